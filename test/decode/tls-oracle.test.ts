/**
 * TLS decryption against tshark, through the CLI: for every real capture in test/fixtures/tls
 * (recorded on loopback with curl, OpenSSL, Node and Chromium, keys from SSLKEYLOGFILE), `tattle
 * replay --keylog` (or the pcapng's own DSBs) must find the same HTTP requests tshark finds with
 * the same keys: method, host, path and body bytes.
 */
import {existsSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {repoRoot} from '../helpers/corpus.js';
import {tattle} from '../helpers/cli.js';
import {needTool} from '../helpers/tools.js';
import {tsharkHttpRequests, type OracleRequest} from '../helpers/tshark-http.js';

const DIR = path.join(repoRoot, 'test', 'fixtures', 'tls');
const haveTshark = needTool('tshark', 'tshark');
/** Captures whose suite tattle reads by design: CBC is refused with a reason, tested below. */
const UNSUPPORTED = /cbc/;

type Http = {type: 'http'; method: string; host: string; path: string; body: string; bodyBytes: number; tls: boolean; alpn: string | null};
type Event = {type: string; [k: string]: unknown};

async function replayEvents(capture: string, keys?: string): Promise<Event[]> {
	const args = ['replay', capture, '--json', '--max-body', String(1 << 20), ...(keys ? ['--keylog', keys] : [])];
	const r = await tattle(args);
	expect(r.stderr).toBe('');
	expect(r.code).toBe(0);
	return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Event);
}

const key = (x: {method: string; host: string; path: string; body: string}) => `${x.method} ${x.host} ${x.path} ${x.body}`;

const captures = readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort();

describe.runIf(haveTshark)('TLS decryption agrees with tshark', () => {
	it('has the fixtures', () => {
		expect(captures.length).toBeGreaterThanOrEqual(12);
	});

	for (const file of captures.filter((f) => !UNSUPPORTED.test(f))) {
		it(`${file}: the same requests as tshark`, async () => {
			const capture = path.join(DIR, file);
			const keysFile = capture.replace(/\.pcap(ng)?$/, '.keys');
			// A pcapng carries its keys in DSBs: no key log, so the DSBs alone must do.
			const keys = file.endsWith('.pcapng') ? undefined : keysFile;
			if (keys) expect(existsSync(keys)).toBe(true);
			const oracle: OracleRequest[] = tsharkHttpRequests(capture, keys);
			expect(oracle.length).toBeGreaterThan(0);
			const events = await replayEvents(capture, keys);
			const http = events.filter((e): e is Http & Event => e.type === 'http');
			const ours = http.map((e) => ({method: e.method, host: e.host.replace(/:\d+$/, '').toLowerCase(), path: e.path, body: Buffer.from(e.body, 'base64').toString('hex')}));
			expect(ours.map(key).sort()).toEqual(oracle.map(key).sort());
			for (const e of http) {
				expect(e.tls).toBe(true);
				expect(['h2', 'http/1.1']).toContain(e.alpn);
			}
			expect(http.map((e) => e.alpn).sort()).toEqual(oracle.map((o) => o.alpn).sort());
			const read = events.filter((e) => e.type === 'tls-read');
			expect(read.length).toBeGreaterThan(0);
			expect(read.every((e) => e.state === 'read')).toBe(true);
		});
	}

	for (const file of captures.filter((f) => UNSUPPORTED.test(f))) {
		it(`${file}: a CBC suite is refused by name, with keys that tshark shows are right`, async () => {
			const capture = path.join(DIR, file);
			const keys = capture.replace(/\.pcap(ng)?$/, '.keys');
			expect(tsharkHttpRequests(capture, keys).length).toBeGreaterThan(0);
			const events = await replayEvents(capture, keys);
			expect(events.filter((e) => e.type === 'http')).toEqual([]);
			const stopped = events.find((e) => e.type === 'tls-read');
			expect(stopped).toMatchObject({state: 'stopped'});
			expect(String(stopped!.reason)).toMatch(/cipher suite TLS_|0x00|CBC|not read/);
		});
	}

	it('without keys nothing is decrypted, and the destination says so in the report', async () => {
		const capture = path.join(DIR, 'tls13-h2-aes128gcm.pcap');
		const r = await tattle(['replay', capture, '--json']);
		expect(r.stdout).not.toContain('"type":"http"');
	});
});
