import {appendFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, afterEach, describe, expect, it, vi} from 'vitest';
import {ByteSourceError, followFile, openByteSource, readFile, readStream, StallWatch} from '../../source/sources/byte-stream.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-bytes-'));
afterAll(() => rmSync(tmp, {recursive: true, force: true}));

const enc = (s: string) => new TextEncoder().encode(s);
const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString();

/** Reads to the end; the error, if any, instead of a throw. */
async function collect(chunks: AsyncIterable<Uint8Array>) {
	const out: Uint8Array[] = [];
	const buffers: ArrayBufferLike[] = [];
	try {
		for await (const c of chunks) {
			out.push(Uint8Array.from(c));
			buffers.push(c.buffer);
		}
	} catch (error) {
		return {out, buffers, error: error as ByteSourceError};
	}
	return {out, buffers, error: undefined};
}

/** Polls until `ok`, for states a busy machine reaches late. */
async function until(ok: () => boolean) {
	for (let i = 0; i < 300 && !ok(); i++) await sleep(10);
}

describe('readFile', () => {
	it('reads the whole file into a ring of buffers, reused in turn', async () => {
		const file = path.join(tmp, 'ring.bin');
		writeFileSync(file, 'abcdefghij');
		const {out, buffers, error} = await collect(readFile(file, {chunkSize: 3, ring: 2, kind: 'test file'}));
		expect(error).toBeUndefined();
		expect(out.map((c) => Buffer.from(c).toString())).toEqual(['abc', 'def', 'ghi', 'j']);
		// One buffer more than the ring: the read ahead fills it while the consumer holds the last two.
		expect(new Set(buffers.slice(0, 3)).size).toBe(3);
		expect(buffers[3]).toBe(buffers[0]);
	});

	it('reads ahead without touching the last `ring` chunks handed out', async () => {
		const file = path.join(tmp, 'ahead.bin');
		writeFileSync(file, 'abcdefghijklmnopqrstu');
		const held: Array<[Uint8Array, string]> = [];
		for await (const chunk of readFile(file, {chunkSize: 3, ring: 2, kind: 'test file'})) {
			held.push([chunk, Buffer.from(chunk).toString()]);
			// Give the read ahead time to land before looking.
			await new Promise(r => setTimeout(r, 5));
			for (const [view, text] of held.slice(-2)) expect(Buffer.from(view).toString()).toBe(text);
		}

		expect(held.map(([, t]) => t).join('')).toBe('abcdefghijklmnopqrstu');
	});

	it('says what went wrong in words, with the kind of file expected', async () => {
		const opts = {chunkSize: 16, ring: 1, kind: 'test file'};
		const missing = await collect(readFile(path.join(tmp, 'nope'), opts));
		expect(missing.error).toBeInstanceOf(ByteSourceError);
		expect(missing.error).toMatchObject({message: 'cannot open: no such file', code: 'ENOENT'});
		const dir = await collect(readFile(tmp, opts));
		expect(dir.error).toMatchObject({message: 'cannot open: is a directory, not a test file', code: 'EISDIR'});
		const parent = await collect(readFile(path.join(tmp, 'ring.bin', 'x'), opts));
		expect(parent.error?.message).toBe('cannot open: a parent in the path is not a directory');
	});
});

describe('readStream', () => {
	it('passes chunks through; a system error reads "read failed", any other its own message', async () => {
		async function* reset() {
			yield enc('one');
			throw Object.assign(new Error('socket hang up'), {code: 'ECONNRESET'});
		}
		const a = await collect(readStream(reset(), {kind: 'test file'}));
		expect(text(a.out)).toBe('one');
		expect(a.error).toMatchObject({message: 'read failed: socket hang up', code: 'ECONNRESET'});
		async function* plain() {
			yield enc('two');
			throw new Error('connection reset');
		}
		const b = await collect(readStream(plain(), {kind: 'test file'}));
		expect(b.error).toMatchObject({message: 'connection reset', code: undefined});
	});

	it('ends at once on abort while a read is pending', async () => {
		const ac = new AbortController();
		async function* quiet() {
			yield enc('x');
			await new Promise(() => {});
		}
		setTimeout(() => ac.abort(), 30);
		const {out, error} = await collect(readStream(quiet(), {kind: 'test file', signal: ac.signal}));
		expect(text(out)).toBe('x');
		expect(error).toBeUndefined();
	});
});

describe('followFile', () => {
	it('waits for the file, reads growth, and polling never advances the ring', async () => {
		const file = path.join(tmp, 'grow.txt');
		const ac = new AbortController();
		const chunks: string[] = [];
		const buffers: ArrayBufferLike[] = [];
		const done = (async () => {
			for await (const c of followFile(file, {chunkSize: 64, ring: 2, kind: 'test file', pollMs: 5, signal: ac.signal})) {
				chunks.push(Buffer.from(c).toString());
				buffers.push(c.buffer);
			}
		})();
		await sleep(30);
		const pieces = ['a', 'b', 'c', 'd', 'e', 'f'];
		for (const piece of pieces) {
			const want = chunks.length + 1;
			appendFileSync(file, piece);
			await until(() => chunks.length === want);
			// Many empty polls happen here: none of them may hand the next read a buffer still held.
			await sleep(30);
		}
		ac.abort();
		await done;
		expect(chunks).toEqual(pieces);
		// Strictly alternating: a broken ring, moved on by each empty poll, lands anywhere.
		expect(buffers.map((b) => (b === buffers[0] ? 0 : b === buffers[1] ? 1 : -1))).toEqual([0, 1, 0, 1, 0, 1]);
		expect(buffers[1]).not.toBe(buffers[0]);
	});

	it('without onShrink, a shrunk file is an error saying so', async () => {
		const file = path.join(tmp, 'shrink-fail.txt');
		writeFileSync(file, 'hello world');
		const out: string[] = [];
		let error: ByteSourceError | undefined;
		try {
			for await (const c of followFile(file, {chunkSize: 64, ring: 1, kind: 'test file', pollMs: 5, idleMs: 5000})) {
				out.push(Buffer.from(c).toString());
				truncateSync(file, 3);
			}
		} catch (e) {
			error = e as ByteSourceError;
		}
		expect(out).toEqual(['hello world']);
		expect(error?.message).toBe('file shrank from 11 to 3 bytes (truncated or replaced while followed)');
	});

	it('with onShrink, a shrunk file is read again from its start', async () => {
		const file = path.join(tmp, 'shrink-restart.txt');
		writeFileSync(file, 'old content');
		let shrinks = 0;
		const out: string[] = [];
		for await (const c of followFile(file, {chunkSize: 64, ring: 1, kind: 'test file', pollMs: 5, onShrink: () => shrinks++})) {
			out.push(Buffer.from(c).toString());
			if (out.length === 1) writeFileSync(file, 'new');
			else break;
		}
		expect(out).toEqual(['old content', 'new']);
		expect(shrinks).toBe(1);
	});

	it('gives up on a file that never appears once idle', async () => {
		const {error} = await collect(followFile(path.join(tmp, 'never'), {chunkSize: 64, ring: 1, kind: 'test file', pollMs: 5, idleMs: 40}));
		expect(error?.message).toBe('cannot open: no such file');
	});
});

describe('openByteSource', () => {
	it('names `-` stdin, follow:PATH its path, and reads what each names', async () => {
		const file = path.join(tmp, 'spec.txt');
		writeFileSync(file, 'spec');
		const opts = {chunkSize: 64, ring: 1, kind: 'test file', idleMs: 20, pollMs: 5};
		async function* stdin() {
			yield enc('from stdin');
		}
		const fromStdin = openByteSource('-', {...opts, stdin: stdin()});
		expect(fromStdin.name).toBe('stdin');
		expect(text((await collect(fromStdin.chunks())).out)).toBe('from stdin');
		const followed = openByteSource(`follow:${file}`, opts);
		expect(followed.name).toBe(file);
		expect(text((await collect(followed.chunks())).out)).toBe('spec');
		const whole = openByteSource(file, opts);
		expect(whole.name).toBe(file);
		expect(text((await collect(whole.chunks())).out)).toBe('spec');
	});
});

describe('StallWatch', () => {
	afterEach(() => {
		vi.useRealTimers();
	});

	it('fires once the time passes without a touch, not while touched, not after stop', () => {
		vi.useFakeTimers();
		let stalls = 0;
		const watch = new StallWatch(40, () => stalls++);
		watch.touch();
		for (let i = 0; i < 4; i++) {
			vi.advanceTimersByTime(30);
			watch.touch();
		}
		expect(stalls).toBe(0);
		vi.advanceTimersByTime(40);
		expect(stalls).toBe(1);
		vi.advanceTimersByTime(400);
		expect(stalls).toBe(1);
		watch.touch();
		vi.advanceTimersByTime(20);
		watch.stop();
		vi.advanceTimersByTime(400);
		expect(stalls).toBe(1);
	});
});
