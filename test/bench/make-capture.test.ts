import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
// Plain JS (the benchmark runs without a build step); vitest loads it as is.
import {labelVariant, makeCapture} from '../../bench/make-capture.js';
import {hasCorpus} from '../helpers/corpus.js';
import {needTool} from '../helpers/tools.js';

/** Small enough to build and dissect in a second or two, big enough to replicate every template. */
const PACKETS = 4000;

const dir = mkdtempSync(path.join(os.tmpdir(), 'tattle-bench-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

describe('labelVariant', () => {
	it('keeps the length and inner dashes, starts with a letter, and 0 is the label itself', () => {
		expect(labelVariant('igcdn-photos', 0)).toBe('igcdn-photos');
		const v = labelVariant('igcdn-photos', 7);
		expect(v).toHaveLength('igcdn-photos'.length);
		expect(v[5]).toBe('-');
		expect(v).toMatch(/^[a-z][a-z0-9-]*$/);
		expect(v).not.toBe('igcdn-photos');
		expect(labelVariant('igcdn-photos', 7)).toBe(v);
	});
});

describe.runIf(hasCorpus && needTool('tshark', 'tshark'))('makeCapture', () => {
	const a = path.join(dir, 'a.pcap');
	const b = path.join(dir, 'b.pcap');
	const stats = hasCorpus ? makeCapture({out: a, packets: PACKETS, seed: 7}) : undefined;

	it('is deterministic for a seed', () => {
		makeCapture({out: b, packets: PACKETS, seed: 7});
		expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
		makeCapture({out: b, packets: PACKETS, seed: 8});
		expect(readFileSync(b).equals(readFileSync(a))).toBe(false);
	});

	it('writes the asked number of Ethernet frames with valid IPv4, TCP and UDP checksums', () => {
		const tshark = (...args: string[]) => execFileSync('tshark', ['-r', a, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']});
		expect(tshark('-T', 'fields', '-e', 'frame.number', '-Y', 'eth && ip').trim().split('\n')).toHaveLength(PACKETS);
		const bad = tshark(
			'-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
			'-T', 'fields', '-e', 'frame.number',
			'-Y', 'ip.checksum.status != 1 || tcp.checksum.status == 0 || udp.checksum.status == 0',
		);
		expect(bad.trim()).toBe('');
	});

	it('replicates DNS, TLS and HTTP flows under many distinct names', () => {
		const out = execFileSync('tshark', ['-r', a, '-T', 'fields', '-e', 'dns.qry.name', '-e', 'tls.handshake.extensions_server_name', '-e', 'http.host'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']});
		const col = (i: number) => new Set(out.split('\n').map((l) => l.split('\t')[i]).filter(Boolean));
		expect(col(0).size).toBeGreaterThan(50);
		expect(col(1).size).toBeGreaterThan(50);
		expect(col(2).size).toBeGreaterThan(3);
		expect(stats!.flows).toBeGreaterThan(300);
		expect(Object.keys(stats!.kinds).sort()).toEqual(['dns', 'http', 'other', 'quic', 'tls']);
	});
});
