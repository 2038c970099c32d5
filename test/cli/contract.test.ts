/** The command-line contract as scripts use it: exit codes, one-line errors, --help, --fail-on, windows. */
import {spawn} from 'node:child_process';
import {cpSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {repoRoot} from '../helpers/corpus.js';
import {cli, tattle} from '../helpers/cli.js';

const leak = path.join(repoRoot, 'captures/incognito-leak');
const ordinary = path.join(repoRoot, 'captures/ordinary-day');
const dir = mkdtempSync(path.join(tmpdir(), 'tattle-contract-'));

describe('command line', () => {
	it('--help is complete and exits 0', async () => {
		const r = await tattle(['--help']);
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/tattle live/);
		expect(r.stdout).toMatch(/Exit codes/);
	});
	it('wrong arguments: one line on stderr, exit 2', async () => {
		const r = await tattle(['replay', leak, '--speed', 'fast']);
		expect(r.code).toBe(2);
		expect(r.stderr.trim().split('\n')).toHaveLength(1);
		expect(r.stderr).toMatch(/^tattle: --speed/);
	});
	it('a missing file: one line, exit 2', async () => {
		const r = await tattle(['replay', path.join(dir, 'nope.pcap')]);
		expect(r.code).toBe(2);
		expect(r.stderr.trim().split('\n')).toHaveLength(1);
	});
	it('a missing --logcat file: one line, exit 2, with or without a capture', async () => {
		for (const args of [['replay', '--logcat', path.join(dir, 'nope.txt')], ['replay', path.join(leak, 'capture.pcap'), '--logcat', path.join(dir, 'nope.txt')]]) {
			const r = await tattle(args);
			expect(r.code).toBe(2);
			expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/--logcat .*nope\.txt: no such file/)]);
		}
	});
	it('a malformed or unknown --pcap source: one line, exit 2, before any device is looked for', async () => {
		for (const spec of ['udp://nohost', 'tcp://host-without-port', 'weird://x']) {
			const r = await tattle(['live', '--pcap', spec], {env: {ANDROID_ADB_SERVER_PORT: '1'}});
			expect(r.code, spec).toBe(2);
			expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^tattle: --pcap .*: not a packet source/)]);
		}
	});
	it('Ctrl-C (SIGINT) or SIGTERM stops a paced headless replay and still writes the report of what was read', async () => {
		const whole = path.join(dir, 'whole.json');
		await tattle(['replay', leak, '--report', whole]);
		const total = (JSON.parse(readFileSync(whole, 'utf8')) as {stats: {packets: number}}).stats.packets;
		for (const signal of ['SIGINT', 'SIGTERM'] as const) {
			const report = path.join(dir, `stopped-${signal}.json`);
			const child = spawn(process.execPath, [cli, 'replay', leak, '--speed', '1', '--json', '--report', report], {stdio: ['ignore', 'pipe', 'pipe']});
			let stderr = '';
			child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
			const reading = new Promise((resolve) => child.stdout.once('data', resolve));
			child.stdout.resume();
			const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
			// The bundle lasts ~19 s at speed 1: once events flow (however slow the start on a loaded
			// machine), 1 s more and part of it has been read.
			await reading;
			await new Promise((r) => setTimeout(r, 1000));
			child.kill(signal);
			expect(await exit, stderr).toBe(0);
			const r = JSON.parse(readFileSync(report, 'utf8')) as {input: {stoppedEarly?: boolean}; stats: {packets: number}};
			expect(r.input.stoppedEarly).toBe(true);
			expect(r.stats.packets).toBeGreaterThan(0);
			expect(r.stats.packets).toBeLessThan(total);
		}
	});
	it('--fail-on exits 3 when such a flag is raised, 0 when not', async () => {
		expect((await tattle(['replay', leak, '--fail-on', 'incognito-url-leak'])).code).toBe(3);
		expect((await tattle(['replay', ordinary, '--fail-on', 'any'])).code).toBe(0);
	});
	it('--from/--to cut the replay window', async () => {
		const all = path.join(dir, 'all.json');
		const cut = path.join(dir, 'cut.json');
		await tattle(['replay', leak, '--report', all]);
		const full = JSON.parse(readFileSync(all, 'utf8')) as {stats: {packets: number; firstTs: number; lastTs: number}};
		const mid = (full.stats.firstTs + full.stats.lastTs) / 2;
		const r = await tattle(['replay', leak, '--from', String(mid), '--report', cut]);
		expect(r.code, r.stderr).toBe(0);
		const part = JSON.parse(readFileSync(cut, 'utf8')) as {stats: {packets: number; firstTs: number}};
		expect(part.stats.packets).toBeGreaterThan(0);
		expect(part.stats.packets).toBeLessThan(full.stats.packets);
		expect(part.stats.firstTs).toBeGreaterThanOrEqual(mid);
	});
	it('--from starts the window in the state the log before it left: incognito uploads in it are still incognito', async () => {
		const all = path.join(dir, 'all-flags.json');
		await tattle(['replay', leak, '--report', all]);
		type R = {flags: Array<{kind: string; ts: number; host: string; evidence: {logLines: number[]}}>; stats: {logLines: number}};
		const full = JSON.parse(readFileSync(all, 'utf8')) as R;
		const tracker = full.flags.find((f) => f.kind === 'incognito-tracker')!;
		const cut = path.join(dir, 'from-flags.json');
		const r = await tattle(['replay', leak, '--from', String(tracker.ts - 0.01), '--to', String(tracker.ts + 0.01), '--report', cut]);
		expect(r.code, r.stderr).toBe(0);
		const part = JSON.parse(readFileSync(cut, 'utf8')) as R;
		const again = part.flags.find((f) => f.kind === 'incognito-tracker' && f.host === tracker.host);
		expect(again, JSON.stringify(part.flags)).toBeDefined();
		// The line that turned incognito on is named, though it was before the window and is not counted in it.
		expect(again!.evidence.logLines).toEqual(tracker.evidence.logLines);
		expect(part.stats.logLines).toBeLessThan(full.stats.logLines);
	});
	it("a bundle's clockOffset puts log times on the capture clock: a phone 7 s behind gives the same flags", async () => {
		type R = {flags: Array<{kind: string; host: string; evidence: {packets: number[]; logLines: number[]}}>};
		const flagsOf = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as R).flags.map((f) => `${f.kind} ${f.host} ${f.evidence.packets.join(',')}`).sort();
		const orig = path.join(dir, 'offset-orig.json');
		await tattle(['replay', leak, '--report', orig]);
		// The same session from a phone whose clock was 7 s behind the capture's.
		const behind = path.join(dir, 'behind');
		cpSync(leak, behind, {recursive: true});
		const shift = (line: string) =>
			line
				.replace(/^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ([+-]\d{4})/, (_m, t: string, z: string) => {
					const ms = Date.parse(`${t.replace(' ', 'T')}${z.slice(0, 3)}:${z.slice(3)}`) - 7000;
					const local = new Date(ms + (Number(z.slice(0, 3)) * 60 + Math.sign(Number(z.slice(0, 3))) * Number(z.slice(3))) * 60_000);
					return `${local.toISOString().replace('T', ' ').slice(0, 23)} ${z}`;
				})
				// tattle's own probe lines, in the epoch shape it writes them (stamped with the phone's clock).
				.replace(/^( *)(\d{10})\.(\d{3})(?= )/, (_m, pad: string, sec: string, ms: string) => `${pad}${Number(sec) - 7}.${ms}`);
		const log = readFileSync(path.join(leak, 'logcat.txt'), 'utf8');
		const shifted = log.split('\n').map(shift).join('\n');
		expect(shifted).not.toBe(log);
		writeFileSync(path.join(behind, 'logcat.txt'), shifted);
		const meta = JSON.parse(readFileSync(path.join(leak, 'meta.json'), 'utf8')) as Record<string, unknown>;
		// Without the offset the incognito window falls 7 s early: the flags are not the same.
		writeFileSync(path.join(behind, 'meta.json'), JSON.stringify({...meta, clockOffset: 0}));
		const wrong = path.join(dir, 'offset-none.json');
		await tattle(['replay', behind, '--report', wrong]);
		expect(flagsOf(wrong)).not.toEqual(flagsOf(orig));
		writeFileSync(path.join(behind, 'meta.json'), JSON.stringify({...meta, clockOffset: 7}));
		const fixed = path.join(dir, 'offset-fixed.json');
		const r = await tattle(['replay', behind, '--report', fixed]);
		expect(r.code, r.stderr).toBe(0);
		expect(flagsOf(fixed)).toEqual(flagsOf(orig));
	});
	it('--json: periodic flow totals carry the fields DESIGN.md names, and grow monotonically per flow', async () => {
		const r = await tattle(['replay', leak, '--json']);
		expect(r.code, r.stderr).toBe(0);
		type FlowEvent = {type: string; ts: number; host: string; src: string; sport: number; dst: string; dport: number; proto: string; packets: number; bytesOut: number; bytesIn: number};
		const flows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as FlowEvent).filter((e) => e.type === 'flow');
		expect(flows.length).toBeGreaterThan(0);
		const last = new Map<string, FlowEvent>();
		let repeats = 0;
		for (const f of flows) {
			expect(Object.keys(f).sort()).toEqual(expect.arrayContaining(['bytesIn', 'bytesOut', 'dport', 'dst', 'host', 'packets', 'proto', 'sport', 'src', 'ts', 'type']));
			const key = `${f.proto} ${f.src}:${f.sport} ${f.dst}:${f.dport}`;
			const before = last.get(key);
			if (before) {
				expect(f.packets).toBeGreaterThan(before.packets);
				repeats++;
			}
			last.set(key, f);
		}
		// Growth is only seen on a flow reported more than once: some must be.
		expect(repeats).toBeGreaterThan(0);
		expect([...last.values()].some((f) => f.host === 'sa.api.intl.miui.com' && f.bytesOut > 0)).toBe(true);
	});
	it('a logcat alone replays, with one log event per record', async () => {
		const r = await tattle(['replay', '--logcat', path.join(leak, 'logcat.txt'), '--json']);
		expect(r.code, r.stderr).toBe(0);
		const logs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as {type: string; index?: number}).filter((e) => e.type === 'log');
		expect(logs.length).toBe(readFileSync(path.join(leak, 'logcat.txt'), 'utf8').trim().split('\n').length);
		expect(logs[0]).toMatchObject({index: 1});
	});
});

describe('incognito stated by hand', () => {
	it('--incognito FROM..TO makes uploads in the window incognito-tracker flags, and only those', async () => {
		const all = path.join(dir, 'inc-all.json');
		const none = path.join(dir, 'inc-none.json');
		expect((await tattle(['replay', ordinary, '--incognito', '0..9999999999', '--report', all])).code).toBe(0);
		expect((await tattle(['replay', ordinary, '--incognito', 'com.android.chrome=0..10', '--report', none])).code).toBe(0);
		const flagsAll = (JSON.parse(readFileSync(all, 'utf8')) as {flags: Array<{kind: string}>}).flags;
		expect(flagsAll.length).toBeGreaterThan(0);
		expect(new Set(flagsAll.map((f) => f.kind))).toEqual(new Set(['incognito-tracker']));
		expect((JSON.parse(readFileSync(none, 'utf8')) as {flags: unknown[]}).flags).toEqual([]);
	});
	it('rejects a malformed window', async () => {
		const r = await tattle(['replay', ordinary, '--incognito', 'yesterday']);
		expect(r.code).toBe(2);
		expect(r.stderr).toMatch(/--incognito/);
	});
});
