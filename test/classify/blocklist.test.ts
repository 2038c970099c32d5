import {describe, it, expect} from 'vitest';
import {fileURLToPath} from 'node:url';
import {parseBlocklist} from '../../source/classify/blocklist.js';
import {loadBlocklist} from '../../source/app/rule-files.js';
import {createRuleSet} from '../../source/classify/rules.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/classify/${name}`, import.meta.url));

describe('hosts files', () => {
	const result = loadBlocklist(fixture('hosts-sample.txt'));
	const patterns = result.file.rules.map(r => r.pattern);

	it('reads blocked hosts (several on a line), skipping boilerplate names', () => {
		expect(patterns).toEqual(['ads.example.com', 'tracker.example.net', 'metrics.example.net', 'telemetry.example.org', 'stats.example.io']);
	});
	it('names the file as the source and tracker as the default category', () => {
		expect(result.file.name).toBe('hosts-sample.txt');
		expect(result.file.rules[0]).toEqual({pattern: 'ads.example.com', category: 'tracker', source: 'hosts-sample.txt'});
	});
	it('applies category and owner headers to the rules after them', () => {
		expect(result.file.rules.at(-1)).toEqual({pattern: 'stats.example.io', category: 'analytics', owner: 'Example Analytics Inc.', source: 'hosts-sample.txt'});
	});
	it('counts what it ignored', () => {
		expect(result.ignored.redirect).toBe(1);
		expect(result.ignored.malformed).toBe(1);
		expect(result.lines).toBe(12);
		expect(result.truncated).toBe(false);
	});
	it('matches hosts exactly, not their subdomains', () => {
		const rules = createRuleSet({lists: [result.file]});
		expect(rules.match('ads.example.com').category).toBe('tracker');
		expect(rules.match('x.ads.example.com').category).toBe('unknown');
	});
});

describe('adblock lists', () => {
	const result = loadBlocklist(fixture('adblock-sample.txt'));
	const patterns = result.file.rules.map(r => r.pattern);

	it('turns ||domain^ into domain-and-subdomain rules; harmless options kept, narrowing ones ignored', () => {
		expect(patterns).toEqual(['*.doubleclick-like.example', '*.ads.example.org', '*.thirdparty.example', '*.adserver.example.co.uk', '*.wild.example', 'plain.example']);
	});
	it('counts cosmetic, exception, URL and regex rules as ignored', () => {
		expect(result.ignored).toEqual({cosmetic: 2, exception: 1, url: 2, regex: 1, redirect: 0, malformed: 0});
	});
	it('uses the ! category header', () => {
		expect(result.file.rules.find(r => r.pattern === '*.adserver.example.co.uk')?.category).toBe('advertising');
		expect(result.file.rules[0]!.category).toBe('tracker');
	});
	it('matches the apex and subdomains', () => {
		const rules = createRuleSet({lists: [result.file]});
		expect(rules.match('doubleclick-like.example').ruleSource).toBe('adblock-sample.txt');
		expect(rules.match('a.b.doubleclick-like.example').category).toBe('tracker');
		expect(rules.match('allowed.example').category).toBe('unknown');
	});
});

describe('hostile and large input', () => {
	it('never throws on junk', () => {
		const junk = ['\u0000\u0001', '0.0.0.0', '||^', '||', '||a^$', '#', '!', '@@', '0.0.0.0 ' + 'a'.repeat(300), '::1', 'é.example', '*.', '*', '||a..b^'].join('\n');
		const result = parseBlocklist(junk, 'junk');
		expect(result.file.rules).toEqual([]);
		expect(result.ignored.malformed).toBeGreaterThan(0);
	});
	it('stops at the rule and line caps and says so', () => {
		const lines: string[] = [];
		for (let i = 0; i < 105; i++) lines.push(`0.0.0.0 h${i}.example`);
		const byRules = parseBlocklist(lines.join('\n'), 'big', {maxRules: 100, maxLines: 1000});
		expect(byRules.file.rules.length).toBe(100);
		expect(byRules.truncated).toBe(true);
		const byLines = parseBlocklist(lines.join('\n'), 'big', {maxRules: 1000, maxLines: 10});
		expect(byLines.lines).toBe(10);
		expect(byLines.truncated).toBe(true);
		expect(parseBlocklist(lines.join('\n'), 'big').truncated).toBe(false);
	});
	it('handles CRLF line ends', () => {
		const result = parseBlocklist('0.0.0.0 a.example\r\n||b.example^\r\n', 'crlf');
		expect(result.file.rules.map(r => r.pattern)).toEqual(['a.example', '*.b.example']);
	});
});
