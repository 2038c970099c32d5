/** Hostile strings (escape sequences in DNS names, HTTP, logcat, device model) never reach output raw. */
import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {repoRoot} from '../helpers/corpus.js';
import {tattle} from '../helpers/cli.js';

const bundle = path.join(repoRoot, 'test/fixtures/hostile');
// ESC, C1 CSI, BEL and bidi override, raw or as JSON escapes.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]|\\u00(0[0-8bcef]|1[0-9a-f]|7f|9b)|\\u202e/i;

describe('hostile bundle', () => {
	const dir = mkdtempSync(path.join(tmpdir(), 'tattle-hostile-'));
	it('reports (json, md, csv) carry no control characters', async () => {
		const files = ['r.json', 'r.md', 'r.csv'].map((f) => path.join(dir, f));
		const r = await tattle(['replay', bundle, ...files.flatMap((f) => ['--report', f])]);
		expect(r.code, r.stderr).toBe(0);
		for (const f of files) {
			const text = readFileSync(f, 'utf8');
			expect(text, f).not.toMatch(CONTROL);
			expect(text).toMatch(/pwned/i);
		}
		const rep = JSON.parse(readFileSync(files[0]!, 'utf8')) as {destinations: Array<{host: string}>};
		expect(rep.destinations.length).toBeGreaterThan(3);
	});
	it('NDJSON events carry no control characters', async () => {
		const r = await tattle(['replay', bundle, '--json']);
		expect(r.code).toBe(0);
		expect(r.stdout).not.toMatch(CONTROL);
		const types = new Set(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as {type: string}).type));
		expect([...types].sort()).toEqual(expect.arrayContaining(['dns', 'http', 'log', 'source']));
	});
});

describe('numbers out of range in logcat', () => {
	it('a 200-digit pid is an unparsed line in the NDJSON and the report, never 1e+200', async () => {
		const {writeFileSync} = await import('node:fs');
		const dir = mkdtempSync(path.join(tmpdir(), 'tattle-bignum-'));
		const log = path.join(dir, 'log.txt');
		writeFileSync(log, `11-23 19:36:46.398  ${'9'.repeat(200)}  1591 D Tag: message\n11-23 19:36:46.398  1520  1591 D Tag: fine\n`);
		const report = path.join(dir, 'r.json');
		const r = await tattle(['replay', '--logcat', log, '--log-year', '2026', '--json', '--report', report]);
		expect(r.code).toBe(0);
		expect(r.stdout).not.toMatch(/e\+\d/);
		const logs = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'log');
		expect(logs.map((e) => [e.raw ?? false, e.pid])).toEqual([
			[true, null],
			[false, 1520],
		]);
		expect(JSON.parse(readFileSync(report, 'utf8')).stats.problems['log-unparsed']).toBe(1);
	});
});
