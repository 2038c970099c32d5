import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {
	BundleWriterError,
	createBundleWriter,
	formatLogLine,
	MARKER_TAG,
	type BundleWriter,
	type RecordedMeta,
} from '../../source/sources/bundle-writer.js';
import {CaptureParser, type CaptureSecrets} from '../../source/sources/capture-reader.js';
import {resolveReplayInput} from '../../source/sources/replay-source.js';
import {LogcatParser} from '../../source/decode/logcat.js';
import {androidFact} from '../../source/decode/android.js';
import {concat, dsb, epb, idb, payload, pcapHeader, pcapRecord, shb} from './capture-builders.js';

const META: RecordedMeta = {tool: {name: 'tattle', version: 'test'}, clockOffset: 0};

let tmp: string;
let writers: BundleWriter[] = [];
beforeEach(() => {
	tmp = mkdtempSync(path.join(os.tmpdir(), 'tattle-bundle-'));
	writers = [];
});
afterEach(() => {
	for (const w of writers) w.close();
	rmSync(tmp, {recursive: true, force: true});
});

function open(name = 'b', meta: RecordedMeta = META, syncMs = 0): {w: BundleWriter; dir: string} {
	const dir = path.join(tmp, name);
	const w = createBundleWriter(dir, meta, {syncMs});
	writers.push(w);
	return {w, dir};
}

/** Feeds bytes in pieces of the given sizes (cycled), as a socket might deliver them. */
function feed(w: BundleWriter, bytes: Uint8Array, sizes: number[]): void {
	let i = 0;
	for (let off = 0; off < bytes.length; i++) {
		const n = sizes[i % sizes.length]!;
		w.capture(bytes.slice(off, off + n));
		off += n;
	}
}

function parse(bytes: Uint8Array): {packets: number; error?: string; secrets: CaptureSecrets[]} {
	const secrets: CaptureSecrets[] = [];
	let packets = 0;
	const p = new CaptureParser(() => packets++, {onSecrets: (s) => secrets.push(s)});
	p.push(bytes);
	p.end();
	return {packets, error: p.error?.message, secrets};
}

const le = true;
const header = pcapHeader({le});
const rec = (n: number) => pcapRecord(le, 1_700_000_000 + n, 0, payload(60 + n, n));

describe('bundle writer: the folder', () => {
	it('refuses a folder that is not empty, and a file, with a clear message', () => {
		const full = path.join(tmp, 'full');
		mkdirSync(full);
		writeFileSync(path.join(full, 'x'), 'keep me');
		expect(() => createBundleWriter(full, META)).toThrow(BundleWriterError);
		expect(() => createBundleWriter(full, META)).toThrow(/not empty.*never overwrites/);
		expect(readFileSync(path.join(full, 'x'), 'utf8')).toBe('keep me');
		const file = path.join(tmp, 'file');
		writeFileSync(file, 'x');
		expect(() => createBundleWriter(file, META)).toThrow(/not a folder/);
	});

	it('takes a new folder (parents made) or an empty one, and writes meta.json at once', () => {
		const {dir} = open('a/b/c');
		expect(JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8'))).toMatchObject({tool: {name: 'tattle'}, clockOffset: 0, markers: []});
		const empty = path.join(tmp, 'empty');
		mkdirSync(empty);
		writers.push(createBundleWriter(empty, META, {syncMs: 0}));
		expect(existsSync(path.join(empty, 'logcat.txt'))).toBe(true);
	});

	it('is private: the folder 0700 (even an empty one the user made 0755), every file 0600', () => {
		const mode = (f: string) => (statSync(f).mode & 0o777).toString(8);
		const {w, dir} = open('private');
		w.capture(concat(pcapHeader({le: true}), pcapRecord(true, 1, 0, payload(40, 1))));
		w.keys('CLIENT_RANDOM 00 11\n');
		w.log(new TextEncoder().encode('line\n'));
		w.close();
		expect(mode(dir)).toBe('700');
		for (const f of readdirSync(dir)) expect(`${f} ${mode(path.join(dir, f))}`).toBe(`${f} 600`);
		expect(readdirSync(dir).sort()).toEqual(['capture.pcap', 'keys.log', 'logcat.txt', 'meta.json']);
		const open755 = path.join(tmp, 'open');
		mkdirSync(open755, {mode: 0o755});
		writers.push(createBundleWriter(open755, META, {syncMs: 0}));
		expect(mode(open755)).toBe('700');
	});
});

describe('bundle writer: capture bytes', () => {
	it('writes pcap bytes exactly as received, however they are split', () => {
		const file = concat(header, rec(1), rec(2), rec(3));
		const {w, dir} = open();
		feed(w, file, [1, 7, 3, 30, 2]);
		expect(w.captureFile).toBe('capture.pcap');
		expect(new Uint8Array(readFileSync(path.join(dir, 'capture.pcap')))).toEqual(file);
		expect(w.stats.captureBytes).toBe(file.length);
	});

	it('names pcapng capture.pcapng and keeps Decryption Secrets Blocks byte for byte', () => {
		const keylog = new TextEncoder().encode('CLIENT_RANDOM 00 11\n');
		const file = concat(shb(le), idb(le, 1, 65535), dsb(le, 0x544c534b, keylog), epb(le, 0, 1_700_000_000_000_000n, payload(80, 1)));
		const {w, dir} = open();
		feed(w, file, [5, 11]);
		expect(w.captureFile).toBe('capture.pcapng');
		const written = new Uint8Array(readFileSync(path.join(dir, 'capture.pcapng')));
		expect(written).toEqual(file);
		const parsed = parse(written);
		expect(parsed.packets).toBe(1);
		expect(new TextDecoder().decode(parsed.secrets[0]!.data)).toBe('CLIENT_RANDOM 00 11\n');
	});

	it('big-endian pcapng sections are framed too', () => {
		const be = false;
		const file = concat(shb(be), idb(be, 1, 65535), epb(be, 0, 5n, payload(33, 2)), shb(le), idb(le, 1, 65535), epb(le, 0, 6n, payload(20, 3)));
		const {w, dir} = open();
		feed(w, file, [9]);
		expect(new Uint8Array(readFileSync(path.join(dir, 'capture.pcapng')))).toEqual(file);
		expect(w.stats.captureDroppedBytes).toBe(0);
	});

	it('a stream cut mid-record leaves no torn record: the next stream goes on at a record boundary', () => {
		const {w, dir} = open();
		const r2 = rec(2);
		w.capture(concat(header, rec(1), r2.subarray(0, 20)));
		w.captureCut();
		w.capture(rec(3));
		const written = new Uint8Array(readFileSync(path.join(dir, 'capture.pcap')));
		expect(written).toEqual(concat(header, rec(1), rec(3)));
		expect(parse(written)).toMatchObject({packets: 2, error: undefined});
		expect(w.stats.captureDroppedBytes).toBe(20);
	});

	it('a crash leaves whole records only: what is on disk before close() replays cleanly', () => {
		const {w, dir} = open();
		w.capture(concat(header, rec(1), rec(2).subarray(0, 30)));
		// No close(): the process died here.
		const written = new Uint8Array(readFileSync(path.join(dir, 'capture.pcap')));
		expect(written).toEqual(concat(header, rec(1)));
		expect(resolveReplayInput(dir, undefined).capture).toBe(path.join(dir, 'capture.pcap'));
	});

	it('joins a restarted capture with the same header, and stops at one it cannot join', () => {
		const {w, dir} = open();
		w.capture(concat(header, rec(1)));
		w.captureRestart();
		w.capture(concat(pcapHeader({le, snapLen: 262144}), rec(2)));
		expect(new Uint8Array(readFileSync(path.join(dir, 'capture.pcap')))).toEqual(concat(header, rec(1), rec(2)));
		w.captureRestart();
		const other = concat(pcapHeader({le, linkWord: 113}), rec(3));
		w.capture(other);
		w.capture(rec(4));
		expect(new Uint8Array(readFileSync(path.join(dir, 'capture.pcap')))).toEqual(concat(header, rec(1), rec(2)));
		expect(w.stats.captureDroppedBytes).toBe(other.length + rec(4).length);
	});

	it('bytes that are no capture are kept verbatim (the replay then says what is wrong)', () => {
		const {w, dir} = open();
		const junk = new TextEncoder().encode('tcpdump: permission denied\n');
		w.capture(junk);
		expect(readFileSync(path.join(dir, 'capture.pcap'), 'utf8')).toBe('tcpdump: permission denied\n');
	});

	it('an absurd record length switches to writing through, never holding megabytes back', () => {
		const {w, dir} = open();
		const bad = new Uint8Array(16);
		new DataView(bad.buffer).setUint32(8, 0x7fffffff, true);
		w.capture(concat(header, rec(1), bad));
		expect(new Uint8Array(readFileSync(path.join(dir, 'capture.pcap')))).toEqual(concat(header, rec(1), bad));
	});
});

describe('bundle writer: logcat, markers, meta', () => {
	const enc = (s: string) => new TextEncoder().encode(s);
	const line = '  1700000000.500  1000  1234  1234 I ActivityManager: Start proc 1234:com.android.chrome/u0a123 for activity\n';

	it('writes log bytes verbatim and puts marker lines between whole lines only', () => {
		const {w, dir} = open();
		w.log(enc(line.slice(0, 30)));
		w.marker(1_700_000_001, 'look here');
		const log = () => readFileSync(path.join(dir, 'logcat.txt'), 'utf8');
		expect(log()).toBe(line.slice(0, 30));
		w.log(enc(line.slice(30)));
		expect(log()).toBe(line + formatLogLine(1_700_000_001, MARKER_TAG, 'note look here'));
	});

	it('marker lines read back as logcat records; incognito ones as incognito facts', () => {
		const {w, dir} = open();
		w.marker(1_700_000_002.25, 'marked by hand', 'incognito-on', 'com.android.chrome');
		w.marker(1_700_000_003, 'multi\nline\u001b[31m note');
		w.close();
		const parser = new LogcatParser({});
		const text = readFileSync(path.join(dir, 'logcat.txt'), 'utf8');
		expect(text.split('\n')).toHaveLength(3);
		const recs = text
			.split('\n')
			.filter(Boolean)
			.flatMap((t, i) => parser.push({text: t, index: i + 1}));
		expect(recs[0]).toMatchObject({ts: 1_700_000_002.25, tag: MARKER_TAG, level: 'I'});
		expect(androidFact(recs[0]!)).toMatchObject({kind: 'incognito-on', pkg: 'com.android.chrome'});
		expect(recs[1]).toMatchObject({tag: MARKER_TAG, message: 'note multi line [31m note'});
		const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as RecordedMeta;
		// Notes also go to meta.json (the replay puts them on its timeline); incognito ones only in the log.
		expect(meta.markers).toEqual([{ts: 1_700_000_003, kind: 'note', text: 'multi\nline\u001b[31m note'}]);
	});

	it('ends a torn last log line at close so pending marker lines stay whole', () => {
		const {w, dir} = open();
		w.log(enc('  1700000000.500  1000  1234  1234 I Foo: cut sh'));
		w.marker(1_700_000_004, 'end');
		w.close();
		const lines = readFileSync(path.join(dir, 'logcat.txt'), 'utf8').split('\n');
		expect(lines[1]).toContain(`${MARKER_TAG}: note end`);
	});

	it('meta.json takes updates at each sync, and the sync timer runs by itself', async () => {
		const {w, dir} = open('t', META, 20);
		w.updateMeta({device: {serial: 'X', model: 'Pixel'}, logZone: 'Europe/Paris'});
		const meta = () => JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as RecordedMeta;
		const deadline = Date.now() + 2000;
		while (meta().device === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
		expect(meta()).toMatchObject({device: {model: 'Pixel'}, logZone: 'Europe/Paris', tool: {version: 'test'}});
		expect(existsSync(path.join(dir, 'meta.json.tmp'))).toBe(false);
	});

	it('close() is idempotent, records totals, and later bytes are ignored', () => {
		const {w, dir} = open();
		w.capture(concat(header, rec(1)));
		w.log(enc(line));
		w.close();
		w.close();
		w.capture(rec(2));
		w.log(enc(line));
		w.marker(1, 'late');
		const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as RecordedMeta;
		expect(meta).toMatchObject({capture: 'capture.pcap', recorded: {captureBytes: header.length + rec(1).length, logBytes: line.length}});
		expect(typeof meta.ended).toBe('string');
		expect(readFileSync(path.join(dir, 'logcat.txt'), 'utf8')).toBe(line);
		expect(readFileSync(path.join(dir, 'capture.pcap')).length).toBe(header.length + rec(1).length);
	});

	it('a bundle is what the replay reads: capture, logcat and meta', () => {
		const {w, dir} = open('r', {...META, device: {serial: 'S', model: 'M'}});
		w.capture(concat(header, rec(1)));
		w.log(enc(line));
		w.close();
		const input = resolveReplayInput(dir, undefined);
		expect(input).toMatchObject({capture: path.join(dir, 'capture.pcap'), logcat: path.join(dir, 'logcat.txt'), meta: {device: {model: 'M'}, clockOffset: 0}});
	});
});
