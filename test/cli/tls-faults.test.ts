/**
 * TLS decryption when the capture is not tidy, through the CLI: keys that arrive after the records
 * they open (a DSB at the end of a pcapng, which Wireshark cannot use), keys that never come, a
 * retransmitted and a reordered segment, and a segment lost for good. Every variant is cut from a
 * real capture (test/fixtures/tls, recorded with curl and SSLKEYLOGFILE).
 */
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {parseSimCapture} from '../../source/sim/sim-pcap.js';
import {repoRoot} from '../helpers/corpus.js';
import {tattle} from '../helpers/cli.js';
import {concat, dsb, epb, idb, shb} from '../sources/capture-builders.js';

const DIR = path.join(repoRoot, 'test', 'fixtures', 'tls');
const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-tls-faults-'));
const TLSK = 0x544c534b;

type Frame = {ts: number; data: Uint8Array};
type Event = {type: string; [k: string]: unknown};

/** The frames of a classic pcap fixture (Ethernet). */
function frames(name: string): Frame[] {
	const cap = parseSimCapture(new Uint8Array(readFileSync(path.join(DIR, name))));
	return cap.records.map((r) => ({ts: r.ts, data: r.bytes.subarray(16)}));
}

/** TCP facts of an Ethernet/IPv4 frame: ports and payload length. */
function tcp(f: Frame): {sport: number; dport: number; payload: number} {
	const d = f.data;
	const ihl = (d[14]! & 0x0f) * 4;
	const t = 14 + ihl;
	const sport = (d[t]! << 8) | d[t + 1]!;
	const dport = (d[t + 2]! << 8) | d[t + 3]!;
	const off = (d[t + 12]! >> 4) * 4;
	const total = (d[16]! << 8) | d[17]!;
	return {sport, dport, payload: total - ihl - off};
}

/** Client frames with TLS payload (the client is the side that sent the first payload). */
function clientData(fs: Frame[]): number[] {
	const first = fs.find((f) => tcp(f).payload > 0)!;
	const server = tcp(first).dport;
	return fs.flatMap((f, i) => (tcp(f).dport === server && tcp(f).payload > 0 ? [i] : []));
}

function writePcapng(name: string, fs: Frame[], keysAt: number | undefined, keys: string | undefined): string {
	const parts = [shb(true), idb(true, 1, 262144)];
	const dsbBlock = keys === undefined ? undefined : dsb(true, TLSK, new TextEncoder().encode(keys));
	fs.forEach((f, i) => {
		if (dsbBlock && i === keysAt) parts.push(dsbBlock);
		parts.push(epb(true, 0, BigInt(Math.round(f.ts * 1e6)), f.data));
	});
	if (dsbBlock && (keysAt === undefined || keysAt >= fs.length)) parts.push(dsbBlock);
	const file = path.join(tmp, name);
	writeFileSync(file, concat(...parts));
	return file;
}

async function run(file: string, extra: string[] = []): Promise<{events: Event[]; report: Record<string, any>}> {
	const report = path.join(tmp, `${path.basename(file)}.report.json`);
	const r = await tattle(['replay', file, '--json', '--report', report, ...extra]);
	expect(r.stderr).toBe('');
	expect(r.code).toBe(0);
	return {events: r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Event), report: JSON.parse(readFileSync(report, 'utf8'))};
}

const http = (events: Event[]) => events.filter((e) => e.type === 'http').map((e) => `${e.method} ${e.path}`);
const keysOf = (name: string) => readFileSync(path.join(DIR, name), 'utf8');

describe('TLS decryption with untidy captures', () => {
	for (const base of ['tls13-h2-aes128gcm', 'tls12-h1-aes128gcm']) {
		it(`${base}: keys in a DSB after every packet still open the records (kept until then)`, async () => {
			const file = writePcapng(`${base}-late.pcapng`, frames(`${base}.pcap`), undefined, keysOf(`${base}.keys`));
			const {events, report} = await run(file);
			expect(http(events)).toEqual([`POST /api/v1/upload?case=${base}`]);
			expect(report.tls).toMatchObject({read: 1, noKeys: 0, secretsBlocks: 1});
		});

		it(`${base}: keys between the handshake and the request`, async () => {
			const fs = frames(`${base}.pcap`);
			const data = clientData(fs);
			const file = writePcapng(`${base}-mid.pcapng`, fs, data[Math.floor(data.length / 2)], keysOf(`${base}.keys`));
			const {events} = await run(file);
			expect(http(events)).toEqual([`POST /api/v1/upload?case=${base}`]);
		});
	}

	it('keys that never come: the connection is reported unread, the destination encrypted', async () => {
		const file = writePcapng('nokeys.pcapng', frames('tls13-h2-aes128gcm.pcap'), undefined, undefined);
		const {events, report} = await run(file);
		expect(http(events)).toEqual([]);
		expect(events.find((e) => e.type === 'tls-read')).toMatchObject({state: 'no-keys', reason: 'no keys for this connection in the key log'});
		expect(report.tls).toMatchObject({read: 0, noKeys: 1});
		const d = report.destinations.find((x: {host: string}) => x.host === 'h2.example.com');
		expect(d).toMatchObject({payload: 'encrypted', tls: {connections: 1, read: 0, noKeys: 1}});
	});

	it('keys that never come: a tracker connection in incognito is flagged as encrypted once its keys are overdue, not at its end', async () => {
		const fs = frames('sa-tls13-h2.pcap');
		// Something 10 s later keeps the session going (a repeat of the first frame).
		const later = [...fs, {ts: fs[0]!.ts + 10, data: fs[0]!.data}];
		const file = writePcapng('overdue.pcapng', later, undefined, undefined);
		const {events} = await run(file, ['--incognito', '0..2000000000']);
		const flag = events.findIndex((e) => e.type === 'flag' && e.kind === 'incognito-tracker');
		const unread = events.findIndex((e) => e.type === 'tls-read' && e.state === 'no-keys');
		expect(flag).toBeGreaterThanOrEqual(0);
		expect(unread).toBeGreaterThan(flag);
		expect((events[flag]!.summary as string)).toMatch(/sa\.api\.intl\.miui\.com/);
		expect(events[flag]!.evidence).toMatchObject({payload: 'encrypted'});
	});

	it('a key log for other connections, with bad lines: counted, reported, never fatal', async () => {
		const keys = path.join(tmp, 'other.keys');
		writeFileSync(keys, `CLIENT_RANDOM ${'00'.repeat(32)} ${'11'.repeat(48)}\nnot a key line\nCLIENT_TRAFFIC_SECRET_0 zz\n`);
		const {events, report} = await run(path.join(DIR, 'tls13-h2-aes128gcm.pcap'), ['--keylog', keys]);
		expect(http(events)).toEqual([]);
		expect(report.tls).toMatchObject({keyLogLines: 1, badKeyLogLines: 2, read: 0, noKeys: 1});
		expect(report.tls.badKeyLogSamples).toEqual(['not a key line', 'CLIENT_TRAFFIC_SECRET_0 zz']);
	});

	it('a retransmitted and a reordered segment change nothing', async () => {
		const fs = frames('tls13-h2-hpack-multi.pcap');
		const data = clientData(fs);
		const expected = http((await run(path.join(DIR, 'tls13-h2-hpack-multi.pcap'), ['--keylog', path.join(DIR, 'tls13-h2-hpack-multi.keys')])).events);
		expect(expected.length).toBeGreaterThanOrEqual(5);
		const [a, b] = [data[2]!, data[3]!];
		const messy = [...fs];
		messy.splice(a + 1, 0, fs[a]!); // the same segment again
		[messy[b + 1], messy[b + 2]] = [messy[b + 2]!, messy[b + 1]!];
		const file = writePcapng('messy.pcapng', messy, 0, keysOf('tls13-h2-hpack-multi.keys'));
		const {events} = await run(file);
		expect(http(events).sort()).toEqual([...expected].sort());
	});

	it('a segment lost for good ends decryption of that connection with the reason shown', async () => {
		const fs = frames('tls13-h2-hpack-multi.pcap');
		const data = clientData(fs);
		const lost = data[data.length - 2]!;
		const file = writePcapng('gap.pcapng', fs.filter((_, i) => i !== lost), 0, keysOf('tls13-h2-hpack-multi.keys'));
		const {events, report} = await run(file);
		const read = events.filter((e) => e.type === 'tls-read');
		expect(read[0]).toMatchObject({state: 'read'});
		expect(read.at(-1)).toMatchObject({state: 'stopped'});
		expect(String(read.at(-1)!.reason)).toMatch(/gap/);
		expect(http(events).length).toBeGreaterThanOrEqual(3);
		expect(report.tls.stopped).toBe(1);
	});

	it('a bundle keeps its keys: replay DIR reads keys.log, or the file meta.json names', async () => {
		const dir = path.join(tmp, 'bundle');
		mkdirSync(dir);
		copyFileSync(path.join(DIR, 'tls12-h2-aes128gcm.pcap'), path.join(dir, 'capture.pcap'));
		copyFileSync(path.join(DIR, 'tls12-h2-aes128gcm.keys'), path.join(dir, 'keys.log'));
		expect(http((await run(dir)).events)).toEqual(['POST /api/v1/upload?case=tls12-h2-aes128gcm']);
		const named = path.join(tmp, 'bundle-named');
		mkdirSync(named);
		copyFileSync(path.join(DIR, 'tls12-h2-aes128gcm.pcap'), path.join(named, 'capture.pcap'));
		copyFileSync(path.join(DIR, 'tls12-h2-aes128gcm.keys'), path.join(named, 'session.keylog'));
		writeFileSync(path.join(named, 'meta.json'), JSON.stringify({keys: 'session.keylog'}));
		expect(http((await run(named)).events)).toEqual(['POST /api/v1/upload?case=tls12-h2-aes128gcm']);
	});

	it('--keylog follow:FILE in a replay reads what the file holds while the replay runs', async () => {
		const {events} = await run(path.join(DIR, 'tls13-h2-chacha20.pcap'), ['--keylog', `follow:${path.join(DIR, 'tls13-h2-chacha20.keys')}`, '--speed', '1']);
		expect(http(events)).toEqual(['POST /api/v1/upload?case=tls13-h2-chacha20']);
	});

	it('a missing --keylog file is a usage error', async () => {
		const r = await tattle(['replay', path.join(DIR, 'tls13-h2-chacha20.pcap'), '--keylog', path.join(tmp, 'nope.keys')]);
		expect(r.code).toBe(2);
		expect(r.stderr).toMatch(/--keylog .*nope\.keys: no such file/);
	});
});

describe('the leak inside HTTPS, replayed (the issue\'s acceptance)', () => {
	for (const [name, alpn] of [['sa-tls13-h2', 'h2'], ['sa-tls12-h1', 'http/1.1']] as const) {
		it(`${name}: a pcap plus --keylog raises incognito-url-leak with the decoded URL (--fail-on exits 3)`, async () => {
			const report = path.join(tmp, `${name}.json`);
			const r = await tattle(['replay', path.join(DIR, `${name}.pcap`), '--keylog', path.join(DIR, `${name}.keys`), '--incognito', '0..2000000000', '--report', report, '--fail-on', 'incognito-url-leak']);
			expect(r.stderr).toBe('');
			expect(r.code).toBe(3);
			const rep = JSON.parse(readFileSync(report, 'utf8'));
			const leak = rep.flags.find((f: {kind: string}) => f.kind === 'incognito-url-leak');
			expect(leak.summary).toContain('Incognito URL "example.org/private-page"');
			expect(leak.evidence).toMatchObject({decrypted: true, payload: 'decoded'});
			expect(leak.evidence.excerpt).toContain('https://example.org/private-page');
			expect(rep.tls).toMatchObject({read: 2});
			const {events} = await run(path.join(DIR, `${name}.pcap`), ['--keylog', path.join(DIR, `${name}.keys`)]);
			expect(events.filter((e) => e.type === 'http').map((e) => e.alpn)).toEqual([alpn, alpn]);
			expect(events.filter((e) => e.type === 'flow').every((e) => e.tls === 'read')).toBe(true);
		});
	}
});
