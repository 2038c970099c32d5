import {describe, it, expect} from 'vitest';
import {mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {
	CATEGORIES,
	createRuleSet,
	normalizePattern,
	parseRuleFile,
	validateRuleFile,
	type RuleFile,
} from '../../source/classify/rules.js';
import {loadBundledRules, loadRuleFile} from '../../source/app/rule-files.js';
import {needFiles, sharedDir} from '../helpers/corpus.js';

const rulesDir = new URL('../../source/classify/rules/', import.meta.url);
const bundled = loadBundledRules();
const rules = createRuleSet({bundled});
const TSV = join(sharedDir, 'research', 'xiaomi-hosts.tsv');

describe('bundled rule files', () => {
	const names = readdirSync(rulesDir).filter(name => name.endsWith('.json'));

	it('has one file per family', () => {
		for (const family of ['xiaomi', 'google', 'facebook', 'attribution', 'huawei', 'samsung', 'oppo', 'vivo', 'sdk-analytics', 'common']) {
			expect(names).toContain(`${family}.json`);
		}
		expect(bundled.length).toBe(names.length);
	});

	it.each(names)('%s is valid: known categories, a pattern and a source on every rule', name => {
		const data: unknown = JSON.parse(readFileSync(new URL(name, rulesDir), 'utf8'));
		const {file, problems} = validateRuleFile(data, name);
		expect(problems).toEqual([]);
		expect(file.rules.length).toBe((data as {rules: unknown[]}).rules.length);
		expect(file.rules.length).toBeGreaterThan(0);
		for (const rule of file.rules) {
			expect(CATEGORIES).toContain(rule.category);
			expect(rule.category).not.toBe('unknown');
			expect(rule.source.trim()).not.toBe('');
		}
	});

	it('defines no pattern (and path) twice across files', () => {
		const seen = new Map<string, string>();
		const duplicates: string[] = [];
		for (const file of bundled) {
			for (const rule of file.rules) {
				const key = `${rule.pattern}${rule.path ?? ''}`;
				if (seen.has(key)) duplicates.push(`${key} in ${seen.get(key)} and ${file.name}`);
				seen.set(key, file.name);
			}
		}
		expect(duplicates).toEqual([]);
	});

	describe.runIf(needFiles('the shared research table (../shared/research, or TATTLE_SHARED)', TSV))('the research table', () => {
		const mapped: Record<string, string> = {'ad-config': 'advertising', location: 'other', 'vendor-other': 'first-party'};
		it('is imported row for row, with its category (or our mapping of it)', () => {
			// Read here, not while collecting: a skipped suite's body still runs.
			const rows = readFileSync(TSV, 'utf8').split('\n').slice(1).filter(line => line.trim() !== '');
			const byPattern = new Map(bundled.flatMap(file => file.rules.filter(rule => !rule.path).map(rule => [rule.pattern, rule] as const)));
			const missing: string[] = [];
			for (const row of rows) {
				const [pattern, owner, category] = row.split('\t') as [string, string, string];
				const rule = byPattern.get(pattern);
				if (rule === undefined || rule.owner !== owner || rule.category !== (mapped[category] ?? category)) missing.push(row);
			}
			expect(missing).toEqual([]);
			expect(rows.length).toBeGreaterThan(300);
		});
	});
});

describe('matching precedence with the bundled rules', () => {
	it('exact beats a longer wildcard beats a shorter wildcard', () => {
		expect(rules.match('adv.sec.miui.com')).toMatchObject({category: 'advertising', owner: 'Xiaomi', rule: 'adv.sec.miui.com'});
		expect(rules.match('foo.sec.miui.com')).toMatchObject({category: 'security-scan', rule: '*.sec.miui.com'});
		expect(rules.match('foo.bar.miui.com')).toMatchObject({category: 'first-party', owner: 'Xiaomi', rule: '*.miui.com'});
	});

	it('lets a wildcard match its apex', () => {
		expect(rules.match('sec.miui.com')).toMatchObject({category: 'security-scan', rule: '*.sec.miui.com'});
		expect(rules.match('miui.com')).toMatchObject({rule: '*.miui.com'});
	});

	it('normalises case, a trailing dot and a port', () => {
		expect(rules.match('ADV.Sec.MIUI.com.').category).toBe('advertising');
		expect(rules.match('adv.sec.miui.com:443').category).toBe('advertising');
	});

	it('carries the rule source and note', () => {
		const hit = rules.match('sa.api.intl.miui.com');
		expect(hit.category).toBe('browsing-data');
		expect(hit.ruleSource).toContain('palant.info');
		expect(rules.match('sdkconfig.ad.intl.xiaomi.com').note).toContain('ad-config');
	});

	it('matches IP-literal rules (MiPush fallback)', () => {
		expect(rules.match('161.117.97.14')).toMatchObject({category: 'push', owner: 'Xiaomi'});
		expect(rules.match('161.117.97.15').category).toBe('unknown');
	});

	it('uses path rules when a path is given', () => {
		expect(rules.match('data.mistat.xiaomi.com').category).toBe('analytics');
		expect(rules.match('data.mistat.xiaomi.com', '/micrash').category).toBe('crash-report');
		expect(rules.match('data.mistat.xiaomi.com', '/micrash?x=1').category).toBe('crash-report');
		expect(rules.match('data.mistat.xiaomi.com', '/micrashes').category).toBe('analytics');
		expect(rules.match('data.mistat.xiaomi.com', '/mistats/v2').category).toBe('analytics');
		expect(rules.match('clients4.google.com', '/ukm').category).toBe('browsing-data');
		expect(rules.match('clients4.google.com', '/uma/v2').category).toBe('analytics');
	});

	it('walks on up when a pattern has only path rules and none applies', () => {
		expect(rules.match('www.google.com', '/complete/search?q=x').category).toBe('browsing-data');
		expect(rules.match('www.google.com', '/search?q=x')).toMatchObject({category: 'content', rule: '*.google.com'});
		expect(rules.match('dev.mi.com', '/mistats/xmstats/event/dynamic/upload').category).toBe('analytics');
		expect(rules.match('dev.mi.com', '/doc')).toMatchObject({category: 'first-party', rule: '*.mi.com'});
	});

	it('names ordinary traffic seen in the corpus', () => {
		expect(rules.match('graph.facebook.com').category).toBe('analytics');
		expect(rules.match('googleads.g.doubleclick.net').category).toBe('advertising');
		expect(rules.match('pagead2.googlesyndication.com').category).toBe('advertising');
		expect(rules.match('connectivitycheck.gstatic.com').category).toBe('other');
		expect(rules.match('mtalk.google.com').category).toBe('push');
		expect(rules.match('app-measurement.com').category).toBe('analytics');
		expect(rules.match('launches.appsflyer.com').category).toBe('attribution');
		expect(rules.match('igcdn-photos-a-a.akamaihd.net').owner).toBe('Akamai');
		expect(rules.match('s3-external-2.amazonaws.com').owner).toBe('Amazon (AWS)');
		expect(rules.match('1.0.0.10.in-addr.arpa').category).toBe('other');
	});
});

describe('local and unknown names', () => {
	it('labels mDNS and localhost names local', () => {
		expect(rules.match('johanna-qemu-virtual-machine.local').category).toBe('local');
		expect(rules.match('_ipps._tcp.local').category).toBe('local');
		expect(rules.match('localhost').category).toBe('local');
	});

	it('groups unknown hosts by registrable domain', () => {
		expect(rules.match('a.b.example.co.uk')).toEqual({category: 'unknown', domain: 'example.co.uk'});
		expect(rules.match('203.0.113.9')).toEqual({category: 'unknown', domain: '203.0.113.9'});
		expect(rules.match('')).toEqual({category: 'unknown'});
	});
});

describe('user rules', () => {
	const user: RuleFile = {
		name: 'mine',
		rules: [
			{pattern: '*.miui.com', owner: 'Me', category: 'other', source: 'my notes'},
			{pattern: 'printer.local', category: 'content', source: 'my notes'},
			{pattern: 'ads.example.net', category: 'content', source: 'my notes'},
		],
	};
	const list: RuleFile = {name: 'list.txt', rules: [{pattern: '*.example.net', category: 'tracker', source: 'list.txt'}, {pattern: '*.doubleclick.net', category: 'tracker', source: 'list.txt'}, {pattern: 'tracker.googleapis.com', category: 'tracker', source: 'list.txt'}, {pattern: 'gvt1.com', category: 'tracker', source: 'list.txt'}]};
	const layered = createRuleSet({user: [user], bundled, lists: [list]});

	it('take precedence over bundled rules, even more specific ones', () => {
		expect(layered.match('adv.sec.miui.com')).toMatchObject({category: 'other', owner: 'Me', ruleSource: 'my notes'});
		expect(layered.match('printer.local').category).toBe('content');
		expect(layered.match('ads.example.net').category).toBe('content');
	});

	it('win ties with bundled rules, except against a more precise tracking category, and lose to a more specific list entry', () => {
		expect(layered.match('ad.doubleclick.net').category).toBe('advertising');
		// Listed by the user, bundled as plain Google infrastructure: the list's category, Google's name.
		const listed = createRuleSet({bundled, lists: [{name: 'hosts', rules: [{pattern: 'connectivitycheck.gstatic.com', category: 'tracker', source: 'hosts'}]}]});
		expect(rules.match('connectivitycheck.gstatic.com').category).not.toBe('tracker');
		expect(listed.match('connectivitycheck.gstatic.com')).toMatchObject({category: 'tracker', owner: 'Google', ruleSource: 'hosts'});
		expect(layered.match('tracker.googleapis.com')).toMatchObject({category: 'tracker', ruleSource: 'list.txt'});
		expect(layered.match('other.example.net').category).toBe('tracker');
		// An exact list entry beats a bundled wildcard on its apex (exact > suffix)
		expect(layered.match('gvt1.com').category).toBe('tracker');
		expect(layered.match('dl.gvt1.com').category).toBe('update');
		expect(layered.size).toBe(user.rules.length + list.rules.length + bundled.reduce((n, f) => n + f.rules.length, 0));
	});

	it('load from a file and report every problem of a bad one', () => {
		const dir = mkdtempSync(join(tmpdir(), 'tattle-rules-'));
		const good = join(dir, 'good.json');
		writeFileSync(good, JSON.stringify({name: 'good', rules: [{pattern: 'x.example', category: 'analytics', source: 'me'}]}));
		expect(createRuleSet({user: [loadRuleFile(good)]}).match('x.example').category).toBe('analytics');
		const bad = join(dir, 'bad.json');
		writeFileSync(bad, JSON.stringify({rules: [{pattern: 'x..example', category: 'analytics', source: 'me'}, {pattern: 'y.example', category: 'spying', source: 'me'}, {pattern: 'z.example', category: 'analytics'}]}));
		expect(() => loadRuleFile(bad)).toThrow(/3 problem\(s\)[\s\S]*bad pattern[\s\S]*unknown category[\s\S]*missing source/);
		expect(() => parseRuleFile('{not json', 'x.json')).toThrow(/not valid JSON/);
		expect(() => parseRuleFile('[]', 'x.json')).toThrow(/expected/);
	});
});

describe('normalizePattern', () => {
	it.each([
		['*.Example.COM', '*.example.com'],
		['example.com.', 'example.com'],
		['161.117.97.14', '161.117.97.14'],
		['2001:DB8::1', '2001:db8::1'],
		['_dmarc.example.com', '_dmarc.example.com'],
	])('%s -> %s', (raw, expected) => {
		expect(normalizePattern(raw)).toBe(expected);
	});
	it.each(['', '*.', '*.1.2.3.4', 'a..b', '-a.example', 'a-.example', 'a b.example', 'ex*ample.com', `${'a'.repeat(64)}.com`])('rejects %j', raw => {
		expect(normalizePattern(raw)).toBeUndefined();
	});
});
