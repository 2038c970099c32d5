/**
 * `tattle diff A B` and `--baseline B` through the CLI, on the demo bundles: captures/normal-browsing
 * (Mi Browser in normal mode) against captures/incognito-leak (the same phone in incognito).
 */
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {repoRoot} from '../helpers/corpus.js';
import {tattle} from '../helpers/cli.js';

const normal = path.join(repoRoot, 'captures/normal-browsing');
const incognito = path.join(repoRoot, 'captures/incognito-leak');
const ordinary = path.join(repoRoot, 'captures/ordinary-day');
const dir = mkdtempSync(path.join(tmpdir(), 'tattle-diff-'));
const ANDROID_ID = '6f1c0b3a9d2e4875';

type DiffJson = {
	tool: {name: string};
	a: {source: string; destinations: number};
	b: {source: string; destinations: number};
	destinations: {onlyA: Array<{host: string}>; onlyB: Array<{host: string; packets: number}>; both: Array<{host: string; delta: {packets: number; bytesOut: number}; fieldsOnlyA: string[]; fieldsOnlyB: string[]}>};
	flagKinds: Array<{kind: string; a: number; b: number}>;
	flags: {onlyA: Array<{kind: string; host: string}>; onlyB: Array<{kind: string; host: string}>};
	identifiers: {both: Array<{kind: string; value: string; hostsA: string[]; hostsB: string[]}>};
	meets: string[];
	failed: string[];
};

const oneLine = (stderr: string) => stderr.trim().split('\n');

describe('tattle diff on the demo bundles', () => {
	let json: DiffJson;
	beforeAll(async () => {
		const r = await tattle(['diff', normal, incognito, '--json']);
		expect(r.code, r.stderr).toBe(0);
		expect(r.stderr).toBe('');
		json = JSON.parse(r.stdout) as DiffJson;
	});

	it('--json: what only one run sent to, and what both did, with changes', () => {
		expect(json.tool.name).toBe('tattle');
		expect(json.a.source).toBe(normal);
		expect(json.destinations.onlyA.map((d) => d.host)).toEqual(['feed.browser.intl.miui.com']);
		expect(json.destinations.onlyB.map((d) => d.host)).toEqual(['www.google.com']);
		expect(json.destinations.onlyB[0]!.packets).toBeGreaterThan(0);
		const sa = json.destinations.both.find((d) => d.host === 'sa.api.intl.miui.com')!;
		// The incognito run sent a second upload (the search): more packets, the search fields only in B.
		expect(sa.delta.packets).toBeGreaterThan(0);
		expect(sa.fieldsOnlyB).toEqual(expect.arrayContaining(['[].properties.search_word', '[].properties.used_searchengine']));
		expect(sa.fieldsOnlyA).toEqual([]);
	});

	it('--json: flags by kind in each run, and the flags only the incognito run raised', () => {
		const kinds = Object.fromEntries(json.flagKinds.map((k) => [k.kind, [k.a, k.b]]));
		expect(kinds['url-leak']![0]).toBeGreaterThan(0);
		expect(kinds['url-leak']![1]).toBe(0);
		expect(kinds['incognito-url-leak']).toEqual([0, expect.any(Number)]);
		expect(kinds['incognito-url-leak']![1]).toBeGreaterThan(0);
		expect(json.flags.onlyB.map((f) => `${f.kind} ${f.host}`)).toContain('incognito-url-leak sa.api.intl.miui.com');
	});

	it('--json: the same Android ID sent in normal and incognito mode', () => {
		expect(json.identifiers.both).toEqual([{kind: 'android-id', value: ANDROID_ID, hostsA: ['sa.api.intl.miui.com'], hostsB: ['sa.api.intl.miui.com']}]);
		expect(json.meets).toEqual(['new-destination', 'identifier', 'new-flag']);
		expect(json.failed).toEqual([]);
	});

	it('terminal text says the same for people', async () => {
		const r = await tattle(['diff', normal, incognito]);
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/Destinations only in A: 1\n\s+feed\.browser\.intl\.miui\.com/);
		expect(r.stdout).toMatch(/Destinations only in B \(new\): 1\n\s+www\.google\.com/);
		expect(r.stdout).toMatch(/sa\.api\.intl\.miui\.com\s+\d+ -> \d+ pkts \(\+\d+\)/);
		expect(r.stdout).toContain('fields only in B: ');
		expect(r.stdout).toMatch(/incognito-url-leak\s+0\s+\d+/);
		expect(r.stdout).toContain(`Identifiers sent in both runs: 1\n  android-id ${ANDROID_ID}: A to sa.api.intl.miui.com; B to sa.api.intl.miui.com`);
	});

	it('--md: the same as a Markdown document', async () => {
		const r = await tattle(['diff', normal, incognito, '--md']);
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/^# tattle diff\n/);
		expect(r.stdout).toContain('## Destinations only in b (new) (1)');
		expect(r.stdout).toMatch(/\| www\.google\.com \| Google \| content \|/);
		expect(r.stdout).toContain(`- android-id ${ANDROID_ID}: A to sa.api.intl.miui.com; B to sa.api.intl.miui.com`);
	});

	it('saved JSON reports diff as their bundles do', async () => {
		const ra = path.join(dir, 'normal.json');
		const rb = path.join(dir, 'incognito.json');
		expect((await tattle(['replay', normal, '--report', ra])).code).toBe(0);
		expect((await tattle(['replay', incognito, '--report', rb])).code).toBe(0);
		const r = await tattle(['diff', ra, rb, '--json']);
		expect(r.code, r.stderr).toBe(0);
		const fromReports = JSON.parse(r.stdout) as DiffJson;
		expect({...fromReports, a: undefined, b: undefined}).toEqual({...json, a: undefined, b: undefined});
		// A report and a bundle mix too.
		const mixed = JSON.parse((await tattle(['diff', ra, incognito, '--json'])).stdout) as DiffJson;
		expect(mixed.identifiers.both).toEqual(json.identifiers.both);
	});
});

describe('tattle diff exit codes', () => {
	it('--fail-on: 3 when a kind asked for is met, 0 when none is', async () => {
		const hit = await tattle(['diff', normal, incognito, '--fail-on', 'new-destination,identifier']);
		expect(hit.code).toBe(3);
		expect(hit.stdout).toContain('--fail-on met: new-destination, identifier');
		expect((await tattle(['diff', normal, incognito, '--fail-on', 'new-flag'])).code).toBe(3);
		expect((await tattle(['diff', normal, incognito, '--fail-on', 'any'])).code).toBe(3);
		// incognito-leak against itself: nothing new; its own Android ID is in "both" by definition.
		expect((await tattle(['diff', incognito, incognito, '--fail-on', 'new-destination,new-flag'])).code).toBe(0);
		// ordinary-day is another phone (no Android ID sent): nothing shared with the incognito run.
		const other = await tattle(['diff', ordinary, incognito, '--fail-on', 'identifier', '--json']);
		expect(other.code).toBe(0);
		expect((JSON.parse(other.stdout) as DiffJson).identifiers.both).toEqual([]);
	});

	it.each([
		[['diff', normal], /^tattle: diff needs two runs, A and B/],
		[['diff', normal, incognito, '--fail-on', 'incognito-url-leak'], /^tattle: diff --fail-on: unknown kind incognito-url-leak \(one of new-destination, identifier, new-flag, any\)/],
		[['diff', normal, incognito, '--json', '--md'], /^tattle: diff: --json and --md contradict each other/],
		[['diff', normal, incognito, '--speed', 'max'], /^tattle: diff: Unknown option '--speed'/],
	])('usage error %#: one line, exit 2', async (args, message) => {
		const r = await tattle(args);
		expect(r.code).toBe(2);
		expect(oneLine(r.stderr)).toEqual([expect.stringMatching(message)]);
		expect(r.stdout).toBe('');
	});

	it('unreadable runs: one line naming the run and what is wrong, exit 2', async () => {
		const cases: Array<[string, string, RegExp]> = [
			['missing', path.join(dir, 'nope'), /^tattle: diff B .*nope: no such file or folder$/],
			['not JSON', 'broken.json', /^tattle: diff B .*broken\.json: not a tattle JSON report: not valid JSON/],
			['another JSON', 'other.json', /^tattle: diff B .*other\.json: not a tattle JSON report: tool\.name: not "tattle"/],
			['a wrong field', 'wrong.json', /^tattle: diff B .*wrong\.json: not a tattle JSON report: destinations\[0\]\.packets: expected a count/],
			['neither', 'notes.txt', /^tattle: .*notes\.txt/],
		];
		writeFileSync(path.join(dir, 'broken.json'), '{"tool": {"name": "tattle"');
		writeFileSync(path.join(dir, 'other.json'), JSON.stringify({name: 'package', version: '1'}));
		writeFileSync(path.join(dir, 'wrong.json'), JSON.stringify({tool: {name: 'tattle'}, stats: {packets: 1, bytes: 1}, destinations: [{host: 'a', category: 'x', packets: 'many', bytesOut: 0, bytesIn: 0}], flags: []}));
		writeFileSync(path.join(dir, 'notes.txt'), 'just some notes, not a capture\n');
		for (const [name, file, message] of cases) {
			const r = await tattle(['diff', normal, path.isAbsolute(file) ? file : path.join(dir, file)]);
			expect(r.code, name).toBe(2);
			expect(oneLine(r.stderr), name).toEqual([expect.stringMatching(message)]);
			expect(r.stdout, name).toBe('');
		}
	});

	it('--help lists diff, its --fail-on kinds and --baseline', async () => {
		const r = await tattle(['diff', '--help']);
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/tattle diff A B/);
		expect(r.stdout).toMatch(/new-destination, identifier, new-flag/);
		expect(r.stdout).toMatch(/--baseline B/);
	});
});

describe('a hostile saved report through --md and the terminal', () => {
	it('escapes HTML and Markdown, strips control characters', async () => {
		const hostile = 'evil\u001b]0;pwned\u0007.example\u001b[2J<img src=x onerror=alert(1)>|*_[x](y)`';
		const report = (hosts: string[]) => ({
			tool: {name: 'tattle', version: '0'},
			stats: {packets: 1, bytes: 1},
			destinations: hosts.map((host) => ({host, ips: [], owner: hostile, category: 'unknown', packets: 1, bytesOut: 1, bytesIn: 1, fields: [`k${hostile}`], identifiers: [{kind: 'android-id', value: hostile, key: null}]})),
			flags: [{kind: 'url-leak', severity: 'low', host: hostile, app: null, summary: hostile}],
		});
		const a = path.join(dir, 'hostile-a.json');
		const b = path.join(dir, 'hostile-b.json');
		writeFileSync(a, JSON.stringify(report(['same.example'])));
		writeFileSync(b, JSON.stringify({...report(['same.example', hostile]), flags: [{kind: 'incognito-url-leak', severity: 'high', host: hostile, app: null, summary: hostile}]}));
		const md = await tattle(['diff', a, b, '--md']);
		expect(md.code).toBe(0);
		expect(md.stdout).not.toContain('<img');
		expect(md.stdout).toContain('&lt;img src=x onerror=alert(1)&gt;\\|\\*\\_\\[x\\](y)\\`');
		const text = await tattle(['diff', a, b]);
		for (const out of [md.stdout, text.stdout, (await tattle(['diff', a, b, '--json'])).stdout]) {
			// eslint-disable-next-line no-control-regex
			expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
		}
		expect(text.stdout).toContain('Identifiers sent in both runs: 1');
	});
});

describe('--baseline B', () => {
	it('replay: destinations the baseline never saw are new in the report and in --json events', async () => {
		const report = path.join(dir, 'baseline.json');
		const r = await tattle(['replay', incognito, '--baseline', normal, '--report', report, '--json']);
		expect(r.code, r.stderr).toBe(0);
		const rep = JSON.parse(readFileSync(report, 'utf8')) as {input: {baseline?: string}; destinations: Array<{host: string; new?: boolean}>};
		expect(rep.input.baseline).toBe(normal);
		expect(rep.destinations.filter((d) => d.new).map((d) => d.host)).toEqual(['www.google.com']);
		expect(rep.destinations.every((d) => typeof d.new === 'boolean')).toBe(true);
		const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as {type: string; host?: string; sni?: string; new?: boolean});
		const fresh = events.filter((e) => e.new);
		expect(fresh.length).toBeGreaterThan(0);
		expect(new Set(fresh.map((e) => e.host ?? e.sni))).toEqual(new Set(['www.google.com']));
		expect(events.some((e) => e.type === 'flow' && e.host === 'www.google.com' && e.new === true)).toBe(true);
	});

	it('the Markdown and CSV reports say which destinations are new; without --baseline they have no such column', async () => {
		const md = path.join(dir, 'baseline.md');
		const csv = path.join(dir, 'baseline.csv');
		expect((await tattle(['replay', incognito, '--baseline', normal, '--report', md, '--report', csv])).code).toBe(0);
		const mdText = readFileSync(md, 'utf8');
		expect(mdText).toMatch(/^## Destinations \(\d+, 1 new against the baseline\)$/m);
		const rows = mdText.split('\n').filter((l) => /^\| [^-]/.test(l) && l.endsWith(' new |'));
		expect(rows.map((l) => l.split(' | ')[0])).toEqual(['| host', '| www.google.com']);
		const lines = readFileSync(csv, 'utf8').trim().split('\n');
		expect(lines[0]!.split(',').at(-1)).toBe('new');
		expect(lines.slice(1).filter((l) => l.endsWith(',true')).map((l) => l.split(',')[0])).toEqual(['www.google.com']);
		expect(lines.slice(1).every((l) => /,(true|false)$/.test(l))).toBe(true);
		const plainMd = path.join(dir, 'plain.md');
		const plainCsv = path.join(dir, 'plain.csv');
		await tattle(['replay', incognito, '--report', plainMd, '--report', plainCsv]);
		expect(readFileSync(plainMd, 'utf8')).not.toMatch(/ new \|| new against/);
		expect(readFileSync(plainCsv, 'utf8').split('\n')[0]!.split(',').at(-1)).toBe('payload');
	});

	it('a saved report works as the baseline; without --baseline nothing is marked', async () => {
		const base = path.join(dir, 'base-report.json');
		await tattle(['replay', normal, '--report', base]);
		const out = path.join(dir, 'with-report-baseline.json');
		expect((await tattle(['replay', incognito, '--baseline', base, '--report', out])).code).toBe(0);
		const rep = JSON.parse(readFileSync(out, 'utf8')) as {destinations: Array<{host: string; new?: boolean}>};
		expect(rep.destinations.filter((d) => d.new).map((d) => d.host)).toEqual(['www.google.com']);
		const plain = path.join(dir, 'no-baseline.json');
		await tattle(['replay', incognito, '--report', plain]);
		const none = JSON.parse(readFileSync(plain, 'utf8')) as {destinations: Array<{new?: boolean}>};
		expect(none.destinations.some((d) => 'new' in d)).toBe(false);
	});

	it('an unreadable baseline: one line, exit 2', async () => {
		const r = await tattle(['replay', incognito, '--baseline', path.join(dir, 'nope.json')]);
		expect(r.code).toBe(2);
		expect(oneLine(r.stderr)).toEqual([expect.stringMatching(/^tattle: --baseline .*nope\.json: no such file or folder$/)]);
		const live = await tattle(['live', '--baseline', path.join(dir, 'nope.json')], {env: {ANDROID_ADB_SERVER_PORT: '1'}});
		expect(live.code).toBe(2);
		expect(oneLine(live.stderr)).toEqual([expect.stringMatching(/^tattle: --baseline .*nope\.json: no such file or folder$/)]);
	});
});
