import {execFileSync} from 'node:child_process';
import {appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {Readable} from 'node:stream';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, describe, expect, it} from 'vitest';
import {
	CAPTURE_CHUNK_SIZE,
	describeCaptureError,
	openCapture,
	type CaptureStream,
} from '../../source/sources/capture-source.js';
import type {RawPacket} from '../../source/types.js';
import {corpusPath, hasCorpus, readTruth, repoRoot} from '../helpers/corpus.js';
import {needTool} from '../helpers/tools.js';
import {concat, dsb, epb, idb, payload, pcapHeader, pcapRecord, shb} from './capture-builders.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-capture-'));
afterAll(() => rmSync(tmp, {recursive: true, force: true}));

const fixture = (name: string) => path.join(repoRoot, 'test/fixtures/sources', name);

type Drained = {batches: number; packets: RawPacket[]; stream: CaptureStream};

/** Reads a stream to its end, copying packet data as a real consumer must. */
async function drain(stream: CaptureStream): Promise<Drained> {
	const packets: RawPacket[] = [];
	let batches = 0;
	for await (const batch of stream) {
		batches++;
		expect(batch.length).toBeGreaterThan(0);
		for (const p of batch) packets.push({...p, data: new Uint8Array(p.data)});
	}
	return {batches, packets, stream};
}

function pcapOf(n: number, size = 100): Uint8Array {
	const records = Array.from({length: n}, (_, i) => pcapRecord(true, 1_000 + i, 0, payload(size, i)));
	return concat(pcapHeader({le: true}), ...records);
}

describe('openCapture on files', () => {
	it.runIf(hasCorpus)('reads a corpus file with the packet count of its truth', async () => {
		const name = 'ndpi__sites.pcapng';
		const {packets, batches, stream} = await drain(openCapture(corpusPath('pcap', name), {chunkSize: 16 * 1024}));
		expect(stream.error).toBeUndefined();
		expect(stream.format).toBe('pcapng');
		expect(stream.packets).toBe(Number(readTruth(name).get('file')![0]![2]));
		expect(packets.map((p) => p.index)).toEqual(Array.from({length: stream.packets}, (_, i) => i + 1));
		expect(stream.bytesRead).toBe(statSync(corpusPath('pcap', name)).size);
		expect(batches).toBeGreaterThan(10);
		expect(stream.name).toBe(corpusPath('pcap', name));
	});

	it('streams: batches arrive before the whole file is read, each tied to one chunk', async () => {
		const file = path.join(tmp, 'big.pcap');
		const bytes = pcapOf(3000, 1000);
		writeFileSync(file, bytes);
		const chunkSize = 64 * 1024;
		const stream = openCapture(file, {chunkSize});
		let firstAt = -1;
		let count = 0;
		for await (const batch of stream) {
			if (firstAt < 0) firstAt = stream.bytesRead;
			for (const p of batch) {
				count++;
				// A view into a chunk-sized buffer (or a spanning record's own copy), never the whole file.
				expect(p.data.buffer.byteLength).toBeLessThanOrEqual(chunkSize);
			}
		}
		expect(firstAt).toBe(chunkSize);
		expect(count).toBe(3000);
		expect(stream.error).toBeUndefined();
		expect(CAPTURE_CHUNK_SIZE).toBe(1024 * 1024);
	});

	it('makes a missing file a fatal error, not a throw', async () => {
		const name = path.join(tmp, 'missing.pcap');
		const {packets, stream} = await drain(openCapture(name));
		expect(packets).toHaveLength(0);
		expect(stream.error).toMatchObject({fatal: true, offset: 0, message: 'cannot open: no such file'});
		expect(describeCaptureError(stream.name, stream.error!)).toBe(`tattle: ${name}: cannot open: no such file`);
	});

	it('makes a directory a fatal error', async () => {
		const {stream} = await drain(openCapture(tmp));
		expect(stream.error).toMatchObject({fatal: true, message: expect.stringMatching(/directory/)});
	});

	it('makes an unreadable file a fatal error', async () => {
		const file = path.join(tmp, 'secret.pcap');
		writeFileSync(file, pcapOf(1));
		chmodSync(file, 0);
		if (process.getuid?.() !== 0) {
			const {stream} = await drain(openCapture(file));
			expect(stream.error).toMatchObject({fatal: true, message: 'cannot open: permission denied'});
			return;
		}
		// Root reads any file: the same read as an unprivileged user (nobody), through the CLI.
		chmodSync(tmp, 0o755);
		let stderr = '';
		let status = 0;
		try {
			execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, path.join(repoRoot, 'dist', 'cli.js'), 'replay', file], {stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'});
		} catch (error) {
			const e = error as {status: number; stderr: string};
			status = e.status;
			stderr = e.stderr;
		}
		expect(status).toBe(2);
		expect(stderr).toContain(`tattle: ${file}: cannot open: permission denied\n`);
	});

	it('reports a non-capture and a cut file in one line with the byte offset', async () => {
		const text = path.join(tmp, 'notes.txt');
		writeFileSync(text, 'hello, this is not a capture\n');
		const a = await drain(openCapture(text));
		expect(a.stream.error).toMatchObject({fatal: true, offset: 0});
		expect(describeCaptureError('notes.txt', a.stream.error!)).toMatch(/^tattle: notes\.txt: byte 0: not a pcap or pcapng capture/);

		const cut = path.join(tmp, 'cut.pcap');
		writeFileSync(cut, pcapOf(3).subarray(0, 24 + 116 + 50));
		const b = await drain(openCapture(cut));
		expect(b.packets).toHaveLength(1);
		expect(b.stream.error).toMatchObject({fatal: false, offset: 140});
		expect(describeCaptureError('cut.pcap', b.stream.error!)).toMatch(/^tattle: cut\.pcap: byte 140: truncated record at byte 140/);
	});

	it('hands over decryption secrets and says the format is pcapng', async () => {
		const file = path.join(tmp, 'keys.pcapng');
		const keylog = new TextEncoder().encode('CLIENT_RANDOM aa bb\n');
		writeFileSync(file, concat(shb(true), idb(true, 1, 0), dsb(true, 0x544c534b, keylog), epb(true, 0, 1n, payload(60, 0))));
		const secrets: unknown[] = [];
		const formats: string[] = [];
		const {packets} = await drain(openCapture(file, {onSecrets: (s) => secrets.push(s), onFormat: (f) => formats.push(f)}));
		expect(packets).toHaveLength(1);
		expect(secrets).toEqual([{secretsType: 0x544c534b, data: keylog}]);
		expect(formats).toEqual(['pcapng']);
	});
});

describe('openCapture on stdin and streams', () => {
	it('reads `-` from the given stdin, in odd chunks', async () => {
		const bytes = pcapOf(50);
		const pieces: Uint8Array[] = [];
		for (let i = 0; i < bytes.length; i += 333) pieces.push(bytes.subarray(i, i + 333));
		const {packets, stream} = await drain(openCapture('-', {stdin: Readable.from(pieces)}));
		expect(stream.name).toBe('stdin');
		expect(stream.error).toBeUndefined();
		expect(packets.map((p) => p.ts)).toEqual(Array.from({length: 50}, (_, i) => 1_000 + i));
		expect(packets[49]!.data).toEqual(payload(100, 49));
		expect(stream.bytesRead).toBe(bytes.length);
	});

	it('reports a stream that ends mid-record', async () => {
		const bytes = pcapOf(2).subarray(0, 24 + 116 + 10);
		const {packets, stream} = await drain(openCapture('-', {stdin: Readable.from([bytes])}));
		expect(packets).toHaveLength(1);
		expect(describeCaptureError(stream.name, stream.error!)).toMatch(/^tattle: stdin: byte 140: truncated record/);
	});

	it('turns a stream failure into a non-fatal error after the packets read', async () => {
		async function* failing(): AsyncGenerator<Uint8Array> {
			yield pcapOf(2);
			throw Object.assign(new Error('socket hang up'), {code: 'ECONNRESET'});
		}
		const {packets, stream} = await drain(openCapture('-', {stdin: failing()}));
		expect(packets).toHaveLength(2);
		expect(stream.error).toMatchObject({fatal: false, io: true, offset: 24 + 2 * 116, message: 'read failed: socket hang up'});
	});

	it('stops a stalled stream on abort without reporting damage', async () => {
		const bytes = pcapOf(2);
		const ac = new AbortController();
		async function* stalls(): AsyncGenerator<Uint8Array> {
			yield bytes.subarray(0, 100);
			await new Promise(() => {}); // never resolves, like a quiet socket
		}
		setTimeout(() => ac.abort(), 50);
		const {packets, stream} = await drain(openCapture('-', {stdin: stalls(), signal: ac.signal}));
		expect(packets).toHaveLength(0);
		expect(stream.error).toBeUndefined();
		expect(stream.bytesRead).toBe(100);
	});
});

describe('openCapture follow:', () => {
	it('keeps reading a file as it grows, records split across writes', async () => {
		const file = path.join(tmp, 'growing.pcapng');
		writeFileSync(file, concat(shb(true), idb(true, 1, 0)));
		const ac = new AbortController();
		// The idle limit only keeps a broken test from hanging; the abort below ends the normal run.
		const stream = openCapture(`follow:${file}`, {signal: ac.signal, followIdleMs: 10_000, followPollMs: 10});
		const writer = (async () => {
			for (let i = 0; i < 5; i++) {
				await sleep(30);
				const block = epb(true, 0, BigInt(i) * 1_000_000n, payload(50, i));
				// Half a block at a time: the reader must wait for the rest.
				appendFileSync(file, block.subarray(0, 30));
				await sleep(15);
				appendFileSync(file, block.subarray(30));
			}
		})();
		const seen: number[] = [];
		for await (const batch of stream) {
			for (const p of batch) seen.push(p.ts);
			if (seen.length === 5) ac.abort();
		}
		await writer;
		expect(seen).toEqual([0, 1, 2, 3, 4]);
		expect(stream.error).toBeUndefined();
		expect(stream.bytesRead).toBe(statSync(file).size);
		expect(stream.name).toBe(file);
	});

	it('stops after the idle time, reporting a record left half-written', async () => {
		const file = path.join(tmp, 'idle.pcap');
		const bytes = pcapOf(3);
		writeFileSync(file, bytes.subarray(0, bytes.length - 20));
		const started = Date.now();
		const {packets, stream} = await drain(openCapture(`follow:${file}`, {followIdleMs: 100, followPollMs: 10}));
		expect(Date.now() - started).toBeGreaterThanOrEqual(100);
		expect(packets).toHaveLength(2);
		expect(stream.error).toMatchObject({fatal: false, offset: 24 + 2 * 116, message: expect.stringMatching(/^truncated record/)});
	});

	it('waits for the file to appear and stops on abort', async () => {
		const file = path.join(tmp, 'later.pcap');
		const ac = new AbortController();
		const stream = openCapture(`follow:${file}`, {signal: ac.signal, followPollMs: 10});
		setTimeout(() => writeFileSync(file, pcapOf(3)), 60);
		const seen: number[] = [];
		for await (const batch of stream) {
			for (const p of batch) seen.push(p.index);
			if (seen.length === 3) setTimeout(() => ac.abort(), 30);
		}
		expect(seen).toEqual([1, 2, 3]);
		expect(stream.error).toBeUndefined();
	});

	it('ends with an error when the followed file shrinks: a capture cannot resume without its header', async () => {
		const file = path.join(tmp, 'shrinks.pcap');
		writeFileSync(file, pcapOf(3));
		const stream = openCapture(`follow:${file}`, {followIdleMs: 10_000, followPollMs: 10});
		const seen: number[] = [];
		for await (const batch of stream) {
			for (const p of batch) seen.push(p.index);
			truncateSync(file, 24);
		}
		expect(seen).toEqual([1, 2, 3]);
		expect(stream.error).toMatchObject({fatal: false, io: true, message: `file shrank from ${24 + 3 * 116} to 24 bytes (truncated or replaced while followed)`});
	});

	it('gives up on a file that never appears after the idle time', async () => {
		const {stream} = await drain(openCapture(`follow:${path.join(tmp, 'never.pcap')}`, {followIdleMs: 50, followPollMs: 10}));
		expect(stream.error).toMatchObject({fatal: true, message: 'cannot open: no such file'});
	});
});

describe.runIf(needTool('tshark', 'tshark'))('a real loopback recording, against tshark', () => {
	for (const name of ['loopback-http.pcapng', 'loopback-http-nano.pcap']) {
		it(`${name}: same frames, lengths, times and comments as tshark`, async () => {
			const file = fixture(name);
			const out = execFileSync('tshark', ['-n', '-r', file, '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.number', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.time_epoch', '-e', 'frame.comment'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']});
			const frames = out.trim().split('\n').map((l) => l.split('\t'));
			const {packets, stream} = await drain(openCapture(file));
			expect(stream.error).toBeUndefined();
			expect(stream.format).toBe(name.endsWith('.pcapng') ? 'pcapng' : 'pcap');
			expect(packets.length).toBe(frames.length);
			expect(packets.length).toBeGreaterThan(5);
			for (const [i, [num, len, capLen, epoch, comment]] of frames.entries()) {
				const p = packets[i]!;
				expect(p.index).toBe(Number(num));
				expect(p.origLen).toBe(Number(len));
				expect(p.data.length).toBe(Number(capLen));
				expect(Math.abs(p.ts - Number(epoch))).toBeLessThan(1e-6);
				expect(p.comment ?? '').toBe(comment ?? '');
				expect(p.linkType).toBe(1);
			}
			if (name.endsWith('.pcapng')) expect(packets.some((p) => p.comment === 'u-10123')).toBe(true);
			expect(stream.bytesRead).toBe(readFileSync(file).length);
		});
	}
});
