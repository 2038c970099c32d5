import {describe, it, expect} from 'vitest';
import type {LogRecord} from '../../source/types.js';
import {
	bundledBrowserLogRules,
	matchBrowserLogRule,
	MAX_RULE_REGEX_CHARS,
	parseBrowserLogRules,
	regexProblem,
	type BrowserLogRule,
} from '../../source/classify/browser-rules.js';
import {androidFact} from '../../source/decode/android.js';

const rec = (tag: string | undefined, message: string, over: Partial<LogRecord> = {}): LogRecord => ({type: 'log', index: 1, ts: 1, pid: 1520, tag, message, ...over});
const START_LAUNCHER = (cmp: string): string =>
	`START u0 {act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10200000 cmp=${cmp} bnds=[48,1203][291,1510]} from uid 10063`;

const rule = (over: Partial<BrowserLogRule> = {}): BrowserLogRule => ({
	id: 'r1',
	pkg: 'com.example.browser',
	scope: 'browser',
	tag: '^cr_Incognito$',
	message: '^Incognito (?:profile created|session started)$',
	kind: 'incognito-on',
	confidence: 'unverified',
	source: 'test',
	...over,
});

describe('bundled browser logcat rules', () => {
	it('load, every one anchored, sourced and with a known confidence', () => {
		const rules = bundledBrowserLogRules();
		expect(rules.length).toBeGreaterThan(0);
		for (const r of rules) {
			expect(r.tag.startsWith('^') && r.message.startsWith('^'), r.id).toBe(true);
			expect(regexProblem(r.tag), r.id).toBeUndefined();
			expect(regexProblem(r.message), r.id).toBeUndefined();
			expect(r.source.length, r.id).toBeGreaterThan(10);
			expect(['code', 'doc', 'inferred', 'unverified']).toContain(r.confidence);
			if (r.confidence === 'inferred' || r.confidence === 'unverified') expect(r.note, r.id).toBeTruthy();
		}
	});

	it('see Chrome launched into incognito by its IncognitoTabLauncher (both AM tags)', () => {
		const line = START_LAUNCHER('com.android.chrome/org.chromium.chrome.browser.incognito.IncognitoTabLauncher');
		for (const tag of ['ActivityTaskManager', 'ActivityManager']) {
			expect(matchBrowserLogRule(rec(tag, line))).toEqual({kind: 'incognito-on', pkg: 'com.android.chrome', detail: 'logcat rule chrome-incognito-launcher (code)'});
		}
		// The same line is still an activity start for the foreground tracker.
		expect(androidFact(rec('ActivityTaskManager', line))?.kind).toBe('activity-start');
	});

	it('do not fire on an ordinary Chrome start, another tag, another package or a look-alike class', () => {
		expect(matchBrowserLogRule(rec('ActivityTaskManager', START_LAUNCHER('com.android.chrome/com.google.android.apps.chrome.Main')))).toBeUndefined();
		expect(matchBrowserLogRule(rec('chromium', START_LAUNCHER('com.android.chrome/org.chromium.chrome.browser.incognito.IncognitoTabLauncher')))).toBeUndefined();
		expect(matchBrowserLogRule(rec('ActivityTaskManager', START_LAUNCHER('com.evil/org.chromium.chrome.browser.incognito.IncognitoTabLauncher')))).toBeUndefined();
		expect(matchBrowserLogRule(rec('ActivityTaskManager', START_LAUNCHER('com.android.chrome/org.chromium.chrome.browser.incognito.IncognitoTabLauncherX')))).toBeUndefined();
	});

	it('treat every Firefox Focus start as private browsing', () => {
		const f = matchBrowserLogRule(rec('ActivityTaskManager', START_LAUNCHER('org.mozilla.focus/.activity.MainActivity')));
		expect(f).toMatchObject({kind: 'incognito-on', pkg: 'org.mozilla.focus'});
		expect(matchBrowserLogRule(rec('ActivityTaskManager', START_LAUNCHER('org.mozilla.firefox/.App')))).toBeUndefined();
	});

	it('ignore raw lines, buffer banners and untagged records', () => {
		const line = START_LAUNCHER('com.android.chrome/org.chromium.chrome.browser.incognito.IncognitoTabLauncher');
		expect(matchBrowserLogRule(rec('ActivityTaskManager', line, {raw: true}))).toBeUndefined();
		expect(matchBrowserLogRule(rec('ActivityTaskManager', line, {buffer: 'main'}))).toBeUndefined();
		expect(matchBrowserLogRule(rec(undefined, line))).toBeUndefined();
	});

	it('stay fast on a hostile 1 MB message', () => {
		const hostile = `START u0 {${'cmp=com.android.chrome/ '.repeat(50_000)}`;
		const t = performance.now();
		for (let i = 0; i < 20; i++) expect(matchBrowserLogRule(rec('ActivityTaskManager', hostile))).toBeUndefined();
		// Twenty matches over a capped 4 KiB prefix: milliseconds, not seconds.
		expect(performance.now() - t).toBeLessThan(500);
	});
});

describe('browser-scope rules', () => {
	const rules = parseBrowserLogRules({rules: [rule(), rule({id: 'r2', kind: 'incognito-off', message: '^Incognito profile destroyed$'})]});

	it('match only lines from the browser\'s own pids', () => {
		const on = rec('cr_Incognito', 'Incognito profile created', {pid: 8800});
		expect(matchBrowserLogRule(on, 'com.example.browser', rules)).toMatchObject({kind: 'incognito-on', pkg: 'com.example.browser'});
		expect(matchBrowserLogRule(on, 'com.other.app', rules)).toBeUndefined();
		expect(matchBrowserLogRule(on, undefined, rules)).toBeUndefined();
		expect(matchBrowserLogRule(rec('cr_Incognito', 'Incognito profile destroyed'), 'com.example.browser', rules)?.kind).toBe('incognito-off');
	});

	it('match from any pid when the tag is the browser\'s own', () => {
		const own = parseBrowserLogRules({rules: [rule({ownTag: true})]});
		expect(matchBrowserLogRule(rec('cr_Incognito', 'Incognito session started'), undefined, own)?.pkg).toBe('com.example.browser');
	});
});

describe('rule checks', () => {
	it('refuse unanchored, nested-quantifier, backreference, unbalanced and over-long regexes', () => {
		expect(regexProblem('Incognito')).toMatch(/anchored/);
		expect(regexProblem('^(a+)+$')).toMatch(/nested/);
		expect(regexProblem('^(?:x(?:a*)b)*$')).toMatch(/nested/);
		expect(regexProblem('^(?:[a-z]+\\.){2,}$')).toMatch(/nested/);
		expect(regexProblem('^(a)\\1$')).toMatch(/backreference/);
		expect(regexProblem('^(a')).toMatch(/unbalanced/);
		expect(regexProblem('^a)')).toMatch(/unbalanced/);
		expect(regexProblem(`^${'a'.repeat(MAX_RULE_REGEX_CHARS)}`)).toMatch(/length/);
		expect(regexProblem('^[')).toBeDefined();
	});

	it('accept optional groups, escaped brackets and quantifiers inside classes', () => {
		expect(regexProblem('^(?:ActivityTaskManager|ActivityManager)$')).toBeUndefined();
		expect(regexProblem('^START u\\d+ \\{[^{}]*\\bcmp=a\\.b/')).toBeUndefined();
		expect(regexProblem('^(a+)?b$')).toBeUndefined();
		expect(regexProblem('^[(+*]+(x)$')).toBeUndefined();
	});

	it('refuse malformed files with the rule\'s position', () => {
		expect(() => parseBrowserLogRules({})).toThrow(/expected/);
		expect(() => parseBrowserLogRules({rules: [rule(), rule()]})).toThrow(/rule 2: duplicate id/);
		expect(() => parseBrowserLogRules({rules: [rule({kind: 'on' as never})]})).toThrow(/rule 1: kind/);
		expect(() => parseBrowserLogRules({rules: [rule({pkg: 'chrome'})]})).toThrow(/package name/);
		expect(() => parseBrowserLogRules({rules: [rule({scope: 'any' as never})]})).toThrow(/scope/);
		expect(() => parseBrowserLogRules({rules: [rule({message: '(a+)+'})]})).toThrow(/message regex/);
		expect(() => parseBrowserLogRules({rules: [{...rule(), source: ''}]})).toThrow(/"source"/);
	});
});
