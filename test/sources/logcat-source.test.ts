import {mkdtempSync, readFileSync, writeFileSync, appendFileSync, truncateSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, it, expect, afterAll} from 'vitest';
import {LineSplitter, MAX_LINE_BYTES, openLogcat} from '../../source/sources/logcat-source.js';
import type {LogLine} from '../../source/types.js';
import {corpusPath, needFiles} from '../helpers/corpus.js';

const enc = (s: string) => new TextEncoder().encode(s);

function splitAll(chunks: Uint8Array[]) {
	const s = new LineSplitter();
	const lines: LogLine[] = [];
	for (const c of chunks) lines.push(...s.push(c));
	lines.push(...s.end());
	return {lines, s};
}

async function collect(stream: AsyncIterable<LogLine[]>) {
	const batches: LogLine[][] = [];
	for await (const b of stream) batches.push(b);
	return {batches, lines: batches.flat()};
}

const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-logcat-'));
afterAll(() => rmSync(tmp, {recursive: true, force: true}));

describe('LineSplitter', () => {
	const input = 'first\r\nsecond\nthird é 中 😀\r\n\nlast without newline';
	const expected = ['first', 'second', 'third é 中 😀', '', 'last without newline'];

	it('splits LF and CRLF, keeps the last line and blank lines, numbers from 1', () => {
		const {lines} = splitAll([enc(input)]);
		expect(lines.map((l) => l.text)).toEqual(expected);
		expect(lines.map((l) => l.index)).toEqual([1, 2, 3, 4, 5]);
	});

	it('gives the same lines whatever the chunk boundaries (inside CRLF, inside a UTF-8 sequence)', () => {
		const bytes = enc(input);
		for (let a = 0; a <= bytes.length; a++) {
			for (const b of [a, Math.min(bytes.length, a + 1), Math.min(bytes.length, a + 3)]) {
				const {lines, s} = splitAll([bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]);
				expect(lines.map((l) => l.text)).toEqual(expected);
				expect(s.latin1Lines).toBe(0);
			}
		}
	});

	it('decodes an invalid UTF-8 line as latin1, byte for byte, and counts it', () => {
		const bytes = new Uint8Array([...enc('ok é\n'), 0x62, 0x61, 0x64, 0xff, 0xc3, 0x28, 0x0a, ...enc('ctl \x00\x1b[31m\x7f\n')]);
		const {lines, s} = splitAll([bytes]);
		expect(lines.map((l) => l.text)).toEqual(['ok é', 'bad\xff\xc3(', 'ctl \x00\x1b[31m\x7f']);
		expect(s.latin1Lines).toBe(1);
	});

	it('drops a BOM at the start of the input only', () => {
		const {lines} = splitAll([enc('\uFEFFa\n\uFEFFb\n')]);
		expect(lines.map((l) => l.text)).toEqual(['a', '\uFEFFb']);
	});

	it('caps an overlong line at MAX_LINE_BYTES, bounded memory, next line intact', () => {
		const s = new LineSplitter();
		const lines: LogLine[] = [];
		const block = new Uint8Array(10_000).fill(0x78);
		// 100 chunks of one 1 MB line without a newline, then a normal line.
		for (let i = 0; i < 100; i++) lines.push(...s.push(block));
		lines.push(...s.push(enc('tail of the long line\nnext\n')));
		lines.push(...s.end());
		expect(lines.map((l) => [l.index, l.text.length])).toEqual([
			[1, MAX_LINE_BYTES],
			[2, 4],
		]);
		expect(s.truncated).toBe(1);
		// Overlong inside one chunk, and overlong across carry + a chunk with the newline.
		const one = splitAll([new Uint8Array([...new Uint8Array(MAX_LINE_BYTES + 5).fill(0x61), 0x0a, 0x62])]);
		expect(one.lines.map((l) => l.text.length)).toEqual([MAX_LINE_BYTES, 1]);
		expect(one.s.truncated).toBe(1);
		const two = splitAll([new Uint8Array(MAX_LINE_BYTES - 2).fill(0x61), new Uint8Array([0x61, 0x61, 0x61, 0x61, 0x0a])]);
		expect(two.lines.map((l) => l.text.length)).toEqual([MAX_LINE_BYTES]);
		expect(two.s.truncated).toBe(1);
		const exact = splitAll([new Uint8Array(MAX_LINE_BYTES).fill(0x61), enc('\nz')]);
		expect(exact.lines.map((l) => l.text.length)).toEqual([MAX_LINE_BYTES, 1]);
		expect(exact.s.truncated).toBe(0);
	});
});

const loghub = corpusPath('logcat', 'loghub__Android_2k.log');
const xiaomi = corpusPath('logcat', 'xiaomi-mocha__logcat.txt');
describe.runIf(needFiles('the corpus logcat files', loghub, xiaomi))('openLogcat on corpus files', () => {
	it('loghub (CRLF, no final newline): 2000 lines, same text as a plain split', async () => {
		const stream = openLogcat(loghub);
		const {lines} = await collect(stream);
		const want = readFileSync(loghub, 'utf8').split('\r\n');
		expect(lines).toHaveLength(2000);
		expect(lines.map((l) => l.text)).toEqual(want);
		expect(lines.at(-1)!.index).toBe(2000);
		expect(stream.lines).toBe(2000);
		expect(stream.bytesRead).toBe(readFileSync(loghub).length);
		expect(stream.error).toBeUndefined();
	});

	it('xiaomi (mixed CRLF/LF, long lines) with tiny chunks: same lines, many batches', async () => {
		const want = readFileSync(xiaomi, 'utf8').split('\n');
		want.pop();
		const stream = openLogcat(xiaomi);
		const big = await collect(stream);
		expect(stream.latin1Lines).toBe(0);
		expect(big.lines.some((l) => l.text.includes('Copyright © 1996'))).toBe(true);
		const small = await collect(openLogcat(xiaomi, {chunkSize: 509}));
		expect(big.lines.map((l) => l.text)).toEqual(want.map((l) => l.replace(/\r$/, '')));
		expect(small.lines).toEqual(big.lines);
		expect(small.batches.length).toBeGreaterThan(big.batches.length * 20);
		expect(small.batches.every((b) => b.length > 0)).toBe(true);
	});
});

describe('openLogcat specs', () => {
	it('- reads the given stdin', async () => {
		async function* stdin() {
			yield enc('05-17 12:34:56.789   1   1 I Tag: a\n05-17');
			yield enc(' 12:34:56.790   1   1 I Tag: b\n');
		}
		const stream = openLogcat('-', {stdin: stdin()});
		const {lines} = await collect(stream);
		expect(stream.name).toBe('stdin');
		expect(lines.map((l) => l.text.slice(-1))).toEqual(['a', 'b']);
	});

	it('- reads any byte stream handed in as stdin, CR LF split across chunks', async () => {
		async function* adb() {
			yield enc('x\r');
			yield enc('\ny');
		}
		const {lines} = await collect(openLogcat('-', {stdin: adb()}));
		expect(lines).toEqual([
			{text: 'x', index: 1},
			{text: 'y', index: 2},
		]);
	});

	it('a missing file or a directory ends with an error, never a throw', async () => {
		const missing = openLogcat(path.join(tmp, 'nope.txt'));
		expect((await collect(missing)).lines).toEqual([]);
		expect(missing.error).toBe('cannot open: no such file');
		const dir = openLogcat(tmp);
		await collect(dir);
		expect(dir.error).toMatch(/directory/);
	});

	it('a failing stream keeps the lines read before the failure', async () => {
		async function* broken() {
			yield enc('one\ntwo');
			throw new Error('connection reset');
		}
		const stream = openLogcat('-', {stdin: broken()});
		const {lines} = await collect(stream);
		expect(lines.map((l) => l.text)).toEqual(['one', 'two']);
		expect(stream.error).toBe('connection reset');
	});

	it('follow: waits for the file, reads growth, starts over on truncation, stops when idle', async () => {
		const file = path.join(tmp, 'live.txt');
		const stream = openLogcat(`follow:${file}`, {followPollMs: 10, followIdleMs: 1000});
		const seen: string[] = [];
		const done = (async () => {
			for await (const batch of stream) for (const l of batch) seen.push(`${l.index}:${l.text}`);
		})();
		const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
		// Poll for the expected state instead of fixed sleeps: the machine may be busy.
		const until = async (ok: () => boolean) => {
			for (let i = 0; i < 300 && !ok(); i++) await wait(10);
		};
		await wait(40);
		writeFileSync(file, 'a\nb');
		await until(() => seen.length === 1);
		expect(seen).toEqual(['1:a']);
		appendFileSync(file, 'c\n');
		await until(() => seen.length === 2);
		expect(seen).toEqual(['1:a', '2:bc']);
		truncateSync(file, 0);
		await until(() => stream.restarts === 1);
		writeFileSync(file, 'new\n');
		await done;
		expect(seen).toEqual(['1:a', '2:bc', '3:new']);
		expect(stream.restarts).toBe(1);
		expect(stream.error).toBeUndefined();
	});

	it('follow: abort ends the iteration', async () => {
		const file = path.join(tmp, 'abort.txt');
		writeFileSync(file, 'one\n');
		const ac = new AbortController();
		const stream = openLogcat(`follow:${file}`, {followPollMs: 10, signal: ac.signal});
		const seen: LogLine[] = [];
		const done = (async () => {
			for await (const b of stream) seen.push(...b);
		})();
		await new Promise((r) => setTimeout(r, 50));
		ac.abort();
		await done;
		expect(seen.map((l) => l.text)).toEqual(['one']);
	});
});
