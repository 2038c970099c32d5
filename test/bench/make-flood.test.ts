import {execFileSync, spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
// Plain JS (the benchmark runs without a build step); vitest loads it as is.
import {makeFlood} from '../../bench/make-flood.js';
import {repoRoot} from '../helpers/corpus.js';
import {needTool} from '../helpers/tools.js';

/** Small: 3 rounds over 500 addresses. */
const PACKETS = 1500;
const ADDRESSES = 500;

const dir = mkdtempSync(path.join(os.tmpdir(), 'tattle-flood-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

describe.runIf(needTool('tshark', 'tshark'))('makeFlood', () => {
	const a = path.join(dir, 'a.pcap');
	const stats = makeFlood({out: a, packets: PACKETS, addresses: ADDRESSES, seed: 3});

	it('is deterministic for a seed', () => {
		const b = path.join(dir, 'b.pcap');
		makeFlood({out: b, packets: PACKETS, addresses: ADDRESSES, seed: 3});
		expect(readFileSync(b).equals(readFileSync(a))).toBe(true);
		makeFlood({out: b, packets: PACKETS, addresses: ADDRESSES, seed: 4});
		expect(readFileSync(b).equals(readFileSync(a))).toBe(false);
	});

	it('is SYNs with valid checksums, round robin over the addresses, each a new flow', () => {
		expect(stats).toMatchObject({packets: PACKETS, addresses: ADDRESSES});
		const out = execFileSync('tshark', ['-r', a, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', '-e', 'ip.dst', '-e', 'tcp.flags', '-e', 'ip.checksum.status', '-e', 'tcp.checksum.status', '-e', 'tcp.stream'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']});
		const rows = out.trim().split('\n').map((l) => l.split('\t'));
		expect(rows).toHaveLength(PACKETS);
		expect(new Set(rows.map((r) => r[1]))).toEqual(new Set(['0x0002']));
		expect(rows.filter((r) => r[2] !== '1' || r[3] !== '1')).toEqual([]);
		expect(new Set(rows.map((r) => r[0])).size).toBe(ADDRESSES);
		expect(rows[ADDRESSES]![0]).toBe(rows[0]![0]);
		expect(new Set(rows.map((r) => r[4])).size).toBe(PACKETS);
	});

	it('replays through tattle: every SYN counted, one destination per address', () => {
		const report = path.join(dir, 'r.json');
		const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist/cli.js'), 'replay', a, '--speed', 'max', '--report', report], {encoding: 'utf8'});
		expect(r.status, r.stderr).toBe(0);
		const j = JSON.parse(readFileSync(report, 'utf8')) as {stats: {packets: number}; destinations: unknown[]};
		expect(j.stats.packets).toBe(PACKETS);
		expect(j.destinations).toHaveLength(ADDRESSES);
	});
});
