import {describe, it, expect} from 'vitest';
import type {LogRecord} from '../../source/types.js';
import {
	matchBrowserLogRule,
	MAX_RULE_REGEX_CHARS,
	parseBrowserLogRules,
	regexProblem,
	type BrowserLogRule,
} from '../../source/classify/browser-rules.js';
import {loadBrowserLogRules} from '../../source/app/rule-files.js';
import {androidFact} from '../../source/decode/android.js';
import {parseLogcatLine} from '../../source/decode/logcat.js';

/** The bundled rules, read from disk at the edge as the CLI does. */
const BUNDLED = loadBrowserLogRules();

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
		const rules = BUNDLED;
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
			expect(matchBrowserLogRule(BUNDLED, rec(tag, line))).toEqual({kind: 'incognito-on', pkg: 'com.android.chrome', detail: 'logcat rule chrome-incognito-launcher (code)', signal: 'log'});
		}
		// The same line is still an activity start for the foreground tracker.
		expect(androidFact(rec('ActivityTaskManager', line))?.kind).toBe('activity-start');
	});

	it('do not fire on an ordinary Chrome start, another tag, another package or a look-alike class', () => {
		expect(matchBrowserLogRule(BUNDLED, rec('ActivityTaskManager', START_LAUNCHER('com.android.chrome/com.google.android.apps.chrome.Main')))).toBeUndefined();
		expect(matchBrowserLogRule(BUNDLED, rec('chromium', START_LAUNCHER('com.android.chrome/org.chromium.chrome.browser.incognito.IncognitoTabLauncher')))).toBeUndefined();
		expect(matchBrowserLogRule(BUNDLED, rec('ActivityTaskManager', START_LAUNCHER('com.evil/org.chromium.chrome.browser.incognito.IncognitoTabLauncher')))).toBeUndefined();
		expect(matchBrowserLogRule(BUNDLED, rec('ActivityTaskManager', START_LAUNCHER('com.android.chrome/org.chromium.chrome.browser.incognito.IncognitoTabLauncherX')))).toBeUndefined();
	});

	it('treat every Firefox Focus start as private browsing', () => {
		const f = matchBrowserLogRule(BUNDLED, rec('ActivityTaskManager', START_LAUNCHER('org.mozilla.focus/.activity.MainActivity')));
		expect(f).toMatchObject({kind: 'incognito-on', pkg: 'org.mozilla.focus'});
		expect(matchBrowserLogRule(BUNDLED, rec('ActivityTaskManager', START_LAUNCHER('org.mozilla.firefox/.App')))).toBeUndefined();
	});

	it('ignore raw lines, buffer banners and untagged records', () => {
		const line = START_LAUNCHER('com.android.chrome/org.chromium.chrome.browser.incognito.IncognitoTabLauncher');
		expect(matchBrowserLogRule(BUNDLED, rec('ActivityTaskManager', line, {raw: true}))).toBeUndefined();
		expect(matchBrowserLogRule(BUNDLED, rec('ActivityTaskManager', line, {buffer: 'main'}))).toBeUndefined();
		expect(matchBrowserLogRule(BUNDLED, rec(undefined, line))).toBeUndefined();
	});

	it('stay fast on a hostile 1 MB message', () => {
		const hostile = `START u0 {${'cmp=com.android.chrome/ '.repeat(50_000)}`;
		const t = performance.now();
		for (let i = 0; i < 20; i++) expect(matchBrowserLogRule(BUNDLED, rec('ActivityTaskManager', hostile))).toBeUndefined();
		// Twenty matches over a capped 4 KiB prefix: milliseconds, not seconds.
		expect(performance.now() - t).toBeLessThan(500);
	});
});

describe('browser-scope rules', () => {
	const rules = parseBrowserLogRules({rules: [rule(), rule({id: 'r2', kind: 'incognito-off', message: '^Incognito profile destroyed$'})]});

	it('match only lines from the browser\'s own pids', () => {
		const on = rec('cr_Incognito', 'Incognito profile created', {pid: 8800});
		expect(matchBrowserLogRule(rules, on, 'com.example.browser')).toMatchObject({kind: 'incognito-on', pkg: 'com.example.browser'});
		expect(matchBrowserLogRule(rules, on, 'com.other.app')).toBeUndefined();
		expect(matchBrowserLogRule(rules, on, undefined)).toBeUndefined();
		expect(matchBrowserLogRule(rules, rec('cr_Incognito', 'Incognito profile destroyed'), 'com.example.browser')?.kind).toBe('incognito-off');
	});

	it('match from any pid when the tag is the browser\'s own', () => {
		const own = parseBrowserLogRules({rules: [rule({ownTag: true})]});
		expect(matchBrowserLogRule(own, rec('cr_Incognito', 'Incognito session started'), undefined)?.pkg).toBe('com.example.browser');
	});
});

// Logcat threadtime lines from the browsers' own pids. Lines marked "verbatim" are copied from
// public bug reports (the issue is named); every other line is shaped like the browser's logging
// (Chromium's `cr_` tags, the AOSP browser classes Mi Browser keeps, Gecko/Fenix and Samsung
// tags), not captured from a phone: no public capture of these browsers entering incognito was found.
const CHROME = 'com.android.chrome';
const MI = 'com.mi.globalbrowser';
const FIREFOX = 'org.mozilla.firefox';
const SAMSUNG = 'com.sec.android.app.sbrowser';
const BRAVE = 'com.brave.browser';

/** The generic rule's verdict on a logcat line from a pid of `pkg`: its kind, or undefined. */
const kindOf = (line: string, pkg: string | undefined): string | undefined => matchBrowserLogRule(BUNDLED, parseLogcatLine(line, 1), pkg)?.kind;

describe('generic browser rules: meaning, not wording', () => {
	const on: Array<[string, string]> = [
		[CHROME, '05-17 12:34:56.789  8811  8811 I cr_TabModelSelector: onTabModelSelected: isIncognito=true'],
		[CHROME, '05-17 12:34:56.790  8811  8811 I cr_ChromeTabbedActivity: Starting IncognitoTabLauncher'],
		[CHROME, '05-17 12:34:56.801  8811  8811 I cr_IncognitoTabLauncher: onCreate IncognitoTabLauncher'],
		[MI, '11-23 22:36:50.410 12455 12455 I BrowserActivity: Entering incognito mode'],
		[MI, '11-23 22:36:50.412 12455 12455 D IncognitoModeController: switchToIncognito(true)'],
		[MI, '11-23 22:36:50.413 12455 12455 I BrowserActivity: incognito mode enabled'],
		[MI, '11-23 22:36:50.414 12455 12455 D BrowserSettings: isIncognito=true'],
		[FIREFOX, '06-02 09:14:03.221  9120  9120 I BrowsingModeManager: Switching to private browsing'],
		[FIREFOX, '06-02 09:14:03.222  9120  9120 D HomeActivity: browsingModeChanged: isPrivate=true'],
		[FIREFOX, '06-02 09:14:03.223  9120  9120 I fenix   : private browsing on'],
		[SAMSUNG, '03-10 18:54:41.500 10233 10233 I SecretModeManager: Secret mode enabled'],
		[SAMSUNG, '03-10 18:54:41.501 10233 10233 D SecretModeManager: setSecretMode(true)'],
		[BRAVE, '07-02 14:41:10.110 11020 11020 I cr_BraveActivity: Opening new private tab'],
		[BRAVE, '07-02 14:41:10.111 11020 11020 I cr_IncognitoProfile: Incognito profile created'],
	];
	const off: Array<[string, string]> = [
		[CHROME, '05-17 12:40:01.000  8811  8811 I cr_TabModelSelector: onTabModelSelected: isIncognito=false'],
		[CHROME, '05-17 12:40:01.001  8811  8811 I cr_TabModelImpl: closeAllIncognitoTabs'],
		[MI, '11-23 22:37:02.100 12455 12455 I BrowserActivity: Exit incognito mode'],
		[MI, '11-23 22:37:02.101 12455 12455 D IncognitoModeController: switchToIncognito(false)'],
		[MI, '11-23 22:37:02.102 12455 12455 I BrowserActivity: incognito mode disabled'],
		[FIREFOX, '06-02 09:20:00.000  9120  9120 I BrowsingModeManager: leaving private browsing'],
		[FIREFOX, '06-02 09:20:00.001  9120  9120 D HomeActivity: browsingModeChanged: isPrivate=false'],
		[SAMSUNG, '03-10 18:58:00.000 10233 10233 I SecretModeManager: Secret mode disabled'],
		[SAMSUNG, '03-10 18:58:00.001 10233 10233 I SecretModeManager: turn off secret mode'],
		[BRAVE, '07-02 14:50:00.000 11020 11020 I cr_BraveToolbar: private window closed'],
		[BRAVE, '07-02 14:50:00.001 11020 11020 I cr_IncognitoProfile: Destroying incognito profile'],
	];
	const neither: Array<[string, string]> = [
		// Verbatim, bromite/bromite#453: a stack frame naming the incognito tab model.
		[CHROME, '04-18 16:09:15.502 29529 29529 W System.err:    at org.chromium.chrome.browser.tabmodel.IncognitoTabModel.addTab(IncognitoTabModel.java:249)'],
		// Verbatim, bromite/bromite#1030: a crash frame in the incognito new tab page's destroy().
		[CHROME, '04-10 09:00:35.338 13146 13146 E AndroidRuntime: \tat org.chromium.chrome.browser.ntp.IncognitoNewTabPage.destroy(IncognitoNewTabPage.java:151)'],
		// Verbatim, bromite/bromite#2482: the tab model at start-up.
		[CHROME, '12-03 03:06:42.838 15880 15897 I cr_tabmodel: Starting to fetch tab list for tab_state0'],
		// The same frame logged under the app's own tag: a stack frame is never a change.
		[CHROME, '05-17 12:34:58.000  8811  8811 W cr_TabModel:     at org.chromium.chrome.browser.tabmodel.TabModelSelectorImpl.exitIncognito(TabModelSelectorImpl.java:88)'],
		[CHROME, '05-17 12:34:58.001  8811  8811 I cr_Incognito: IncognitoNotificationManager: no tabs'],
		[CHROME, '05-17 12:34:58.002  8811  8811 I cr_IncognitoNotificationManager: no tabs'],
		[CHROME, '05-17 12:34:58.003  8811  8811 I cr_ChromeTabbedActivity: Starting IncognitoNotificationService'],
		[CHROME, '05-17 12:34:58.004  8811  8811 W cr_IncognitoUtils: Cannot enter incognito mode: disabled by policy'],
		[CHROME, '05-17 12:34:58.005  8811  8811 I cr_IncognitoTabLauncher: IncognitoTabLauncher component enabled: false'],
		[CHROME, '05-17 12:34:58.006  8811  8811 I cr_TabModelImpl: Incognito tab closed, 2 left'],
		[CHROME, '05-17 12:34:58.007  8811  8811 D cr_TabPersistentStore: Tab{id=12, isIncognito=false, url=https://news.example/}'],
		[CHROME, '05-17 12:34:58.008  8811  8811 I cr_Incognito: Incognito tab count: 2'],
		// A web page's console output is the page's words, not the browser's.
		[CHROME, '05-17 12:34:58.009  8811  8811 I chromium: [INFO:CONSOLE(12)] "exit incognito", source: https://news.example/ (12)'],
		[CHROME, '05-17 12:34:58.010  8811  8811 I cr_WebContents: [INFO:CONSOLE(12)] "Entering incognito", source: https://news.example/ (12)'],
		[MI, '11-23 22:36:51.000 12455 12455 D BrowserActivity: should enter incognito? false'],
		[MI, '11-23 22:36:51.001 12455 12455 E BrowserActivity: failed to switch to incognito'],
		[FIREFOX, '06-02 09:14:04.000  9120  9120 D GeckoSession: Loading private-browsing.html'],
		[SAMSUNG, '03-10 18:54:42.000 10233 10233 D SecretModeManager: isSecretModeEnabled() = false'],
		[BRAVE, '07-02 14:41:11.000 11020 11020 I cr_PrivacySettings: Private DNS mode: off'],
	];

	it.each(on)('see %s enter incognito: %s', (pkg, line) => {
		expect(kindOf(line, pkg)).toBe('incognito-on');
	});

	it.each(off)('see %s leave incognito: %s', (pkg, line) => {
		expect(kindOf(line, pkg)).toBe('incognito-off');
	});

	it.each(neither)('leave the state alone for %s: %s', (pkg, line) => {
		expect(kindOf(line, pkg)).toBeUndefined();
	});

	it('name the browser that owns the pid, with the rule and the log signal', () => {
		const fact = matchBrowserLogRule(BUNDLED, parseLogcatLine(on[3]![1], 1), MI);
		expect(fact).toEqual({kind: 'incognito-on', pkg: MI, detail: 'logcat rule generic-verb-on (inferred)', signal: 'log'});
	});

	it('read only lines from a known browser\'s own pids', () => {
		const line = '11-23 22:36:50.410 12455 12455 I BrowserActivity: Entering incognito mode';
		expect(kindOf(line, 'com.whatsapp')).toBeUndefined();
		expect(kindOf(line, undefined)).toBeUndefined();
		expect(kindOf(line, 'com.mi.globalbrowser.mini')).toBe('incognito-on');
	});

	it('stay fast on hostile 4 KiB messages from a browser pid', () => {
		const hostile = [
			`${'switch to '.repeat(410)}`,
			`${'is '.repeat(1400)}`,
			`${'private '.repeat(512)}`,
			`${'a'.repeat(4096)}`,
			`${'enter incognito'.repeat(5)}${' at x('.repeat(600)}`,
			`${'changed '.repeat(500)}isIncognito`,
		];
		const t = performance.now();
		for (let i = 0; i < 20; i++) for (const m of hostile) matchBrowserLogRule(BUNDLED, rec('cr_X', m), CHROME);
		expect(performance.now() - t).toBeLessThan(1000);
	});
});

describe('generic rule checks', () => {
	it('refuse "*" outside browser scope or with ownTag, and a bad unless regex', () => {
		expect(() => parseBrowserLogRules({rules: [rule({pkg: '*', scope: 'system'})]})).toThrow(/needs scope browser/);
		expect(() => parseBrowserLogRules({rules: [rule({pkg: '*', ownTag: true})]})).toThrow(/needs scope browser/);
		expect(() => parseBrowserLogRules({rules: [rule({unless: '(a+)+'})]})).toThrow(/unless regex/);
	});

	it('apply unless and ignoreCase', () => {
		const rules = parseBrowserLogRules({rules: [rule({pkg: '*', tag: '^t$', message: '^.{0,8}?incognito on', unless: '^x', ignoreCase: true})]});
		expect(matchBrowserLogRule(rules, rec('T', 'Incognito ON'), CHROME)?.pkg).toBe(CHROME);
		expect(matchBrowserLogRule(rules, rec('T', 'x incognito on'), CHROME)).toBeUndefined();
		// Not a known browser: a generic rule has no package to name.
		expect(matchBrowserLogRule(rules, rec('T', 'incognito on'), 'com.example.browser')).toBeUndefined();
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
