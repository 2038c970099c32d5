import {describe, it, expect} from 'vitest';
import {
	BROWSER_PACKAGES,
	IncognitoTracker,
	isBrowserPackage,
	MAX_INTERVALS_PER_PACKAGE,
	MAX_VISITED,
	VisitedSet,
	urlForms,
} from '../../source/classify/incognito.js';

const MI = 'com.mi.globalbrowser';
const CHROME = 'com.android.chrome';

describe('BROWSER_PACKAGES', () => {
	it('holds the research 4.1 browsers', () => {
		for (const p of [MI, 'com.mi.globalbrowser.mini', 'com.android.browser', CHROME, 'com.sec.android.app.sbrowser', 'com.huawei.browser', 'com.heytap.browser', 'org.mozilla.firefox', 'com.brave.browser']) {
			expect(BROWSER_PACKAGES.has(p)).toBe(true);
		}
		expect(isBrowserPackage('com.miui.home')).toBe(false);
		expect(isBrowserPackage(undefined)).toBe(false);
	});
});

describe('IncognitoTracker', () => {
	it('follows incognito-on/off facts per package, with intervals', () => {
		const t = new IncognitoTracker();
		expect(t.observe({kind: 'incognito-on', pkg: MI}, 100, 7)).toBe(true);
		expect(t.observe({kind: 'incognito-on', pkg: MI}, 105)).toBe(false);
		expect(t.observe({kind: 'incognito-on', pkg: CHROME}, 110)).toBe(true);
		expect(t.active()).toEqual([CHROME, MI]);
		expect(t.since(MI)).toBe(100);
		expect(t.isIncognito(MI, 99)).toBe(false);
		expect(t.isIncognito(MI, 100)).toBe(true);
		expect(t.observe({kind: 'incognito-off', pkg: MI}, 200)).toBe(true);
		expect(t.observe({kind: 'incognito-off', pkg: MI}, 201)).toBe(false);
		expect(t.isIncognito(MI, 150)).toBe(true);
		expect(t.isIncognito(MI, 200)).toBe(false);
		expect(t.active()).toEqual([CHROME]);
		expect(t.active(150)).toEqual([CHROME, MI]);
		expect(t.intervalAt(MI, 150)).toEqual({pkg: MI, start: 100, end: 200, signal: 'log', endedBy: 'log', logLine: 7});
	});

	it('toggles by hand and ends incognito when the browser process dies', () => {
		const t = new IncognitoTracker();
		expect(t.toggle(MI, 10)).toBe(true);
		expect(t.intervals(MI)[0]!.signal).toBe('marker');
		expect(t.toggle(MI, 20)).toBe(false);
		expect(t.toggle(MI, 30)).toBe(true);
		expect(t.observe({kind: 'proc-died', pkg: MI, pid: 1}, 40)).toBe(true);
		expect(t.isIncognito(MI, 41)).toBe(false);
		expect(t.intervals(MI).map((i) => [i.start, i.end])).toEqual([[10, 20], [30, 40]]);
	});

	it('keeps the kind of signal that opened each interval, and what ended it', () => {
		const t = new IncognitoTracker();
		t.observe({kind: 'incognito-on', pkg: CHROME, signal: 'notification'}, 10);
		t.observe({kind: 'incognito-on', pkg: MI, signal: 'secure-window'}, 11);
		expect(t.signals()).toEqual({[CHROME]: 'notification', [MI]: 'secure-window'});
		// A second "on" of another kind keeps the open interval and the kind that opened it.
		expect(t.observe({kind: 'incognito-on', pkg: CHROME, signal: 'log'}, 12)).toBe(false);
		expect(t.intervalAt(CHROME, 13)?.signal).toBe('notification');
		t.observe({kind: 'incognito-off', pkg: MI, signal: 'secure-window'}, 20);
		expect(t.signals()).toEqual({[CHROME]: 'notification'});
		expect(t.intervals(MI)[0]).toMatchObject({signal: 'secure-window', endedBy: 'secure-window', end: 20});
		// A fact without a kind is a log rule's.
		t.observe({kind: 'incognito-on', pkg: MI}, 30);
		expect(t.intervalAt(MI, 31)?.signal).toBe('log');
	});

	it('resolves conflicts by the documented rule', () => {
		const t = new IncognitoTracker();
		// 1. Automatic signals are equals: the latest change wins, whichever kind opened the interval.
		t.observe({kind: 'incognito-on', pkg: CHROME, signal: 'notification'}, 10);
		expect(t.observe({kind: 'incognito-off', pkg: CHROME, signal: 'secure-window'}, 12)).toBe(true);
		expect(t.observe({kind: 'incognito-on', pkg: CHROME, signal: 'log'}, 14)).toBe(true);
		expect(t.intervalAt(CHROME, 15)?.signal).toBe('log');
		expect(t.observe({kind: 'incognito-off', pkg: CHROME, signal: 'notification'}, 16)).toBe(true);
		// 2. A marker "on" holds against automatic "off" signals until a marker "off".
		expect(t.observe({kind: 'incognito-on', pkg: MI, signal: 'marker'}, 20)).toBe(true);
		expect(t.observe({kind: 'incognito-off', pkg: MI, signal: 'secure-window'}, 21)).toBe(false);
		expect(t.observe({kind: 'incognito-off', pkg: MI, signal: 'log'}, 22)).toBe(false);
		expect(t.observe({kind: 'incognito-off', pkg: MI, signal: 'notification'}, 23)).toBe(false);
		expect(t.isIncognito(MI, 24)).toBe(true);
		expect(t.observe({kind: 'incognito-off', pkg: MI, signal: 'marker'}, 25)).toBe(true);
		// ...and hands the package back: a new automatic "on" is news.
		expect(t.observe({kind: 'incognito-on', pkg: MI, signal: 'log'}, 30)).toBe(true);
		// A marker "on" over an automatic interval takes it over.
		expect(t.observe({kind: 'incognito-on', pkg: MI, signal: 'marker'}, 31)).toBe(false);
		expect(t.intervalAt(MI, 32)?.signal).toBe('marker');
		expect(t.observe({kind: 'incognito-off', pkg: MI, signal: 'log'}, 33)).toBe(false);
		// A marker "off" ends whatever set the state.
		t.observe({kind: 'incognito-on', pkg: CHROME, signal: 'secure-window'}, 40);
		expect(t.toggle(CHROME, 41)).toBe(false);
		expect(t.intervals(CHROME).at(-1)).toMatchObject({signal: 'secure-window', end: 41, endedBy: 'marker'});
		// 3. The process dying ends everything, a marker's interval included.
		expect(t.observe({kind: 'proc-died', pkg: MI, pid: 12455}, 50)).toBe(true);
		expect(t.intervals(MI).at(-1)).toMatchObject({signal: 'marker', end: 50, endedBy: 'proc-died'});
		expect(t.active()).toEqual([]);
	});

	it('never ends an interval before it began (reordered lines)', () => {
		const t = new IncognitoTracker();
		t.start(MI, 100);
		t.stop(MI, 90);
		expect(t.intervals(MI)[0]).toMatchObject({start: 100, end: 100});
	});

	it('caps the intervals kept per package', () => {
		const t = new IncognitoTracker();
		for (let i = 0; i < MAX_INTERVALS_PER_PACKAGE + 10; i++) t.toggle(MI, i * 2) && t.toggle(MI, i * 2 + 1);
		expect(t.intervals(MI).length).toBe(MAX_INTERVALS_PER_PACKAGE);
		expect(t.intervals(MI)[0]!.start).toBe(20);
	});

	it('tracks the foreground app over time', () => {
		const t = new IncognitoTracker();
		t.observe({kind: 'activity-start', pkg: 'com.miui.home'}, 5);
		t.setForeground(MI, 10);
		t.observe({kind: 'incognito-on', pkg: MI}, 12);
		t.setForeground('com.miui.home', 20);
		t.setForeground('com.whatsapp', 15);
		expect(t.foreground(11)).toBe(MI);
		expect(t.foreground(16)).toBe('com.whatsapp');
		expect(t.foreground()).toBe('com.miui.home');
		expect(t.foreground(1)).toBeUndefined();
		expect(t.incognitoForeground(13)).toBe(MI);
		expect(t.incognitoForeground(11)).toBeUndefined();
		expect(t.incognitoForeground(21)).toBeUndefined();
	});
});

describe('VisitedSet', () => {
	it('builds normalised forms for a URL', () => {
		expect(urlForms('https://WWW.Example.org/Private-Page/').forms).toEqual([
			'www.example.org/private-page',
			'www.example.org%2fprivate-page',
			'example.org/private-page',
			'example.org%2fprivate-page',
		]);
	});

	it('matches a visited URL plain, without scheme, without www. and percent-encoded', () => {
		const v = new VisitedSet();
		v.add('https://www.example.org/private-page', 1, MI);
		expect(v.match('{"url":"https://www.example.org/private-page"}')?.entry.value).toBe('https://www.example.org/private-page');
		expect(v.match('page=example.org/private-page&x=1')).toBeDefined();
		expect(v.match('u=https%3A%2F%2Fexample.org%2Fprivate-page')).toBeDefined();
		expect(v.match('u=HTTPS%3A%2F%2FEXAMPLE.ORG%2FPRIVATE-PAGE')).toBeDefined();
		expect(v.match('https://example.org/private-page?utm=1')?.entry.pkg).toBe(MI);
	});

	it('does not match a different page, a look-alike host or an unvisited URL', () => {
		const v = new VisitedSet();
		v.addUrl('https://example.org/private-page', 1);
		v.addHost('secret.example', 1);
		expect(v.match('https://example.org/private-pages')).toBeUndefined();
		expect(v.match('https://notexample.org/private-page')).toBeUndefined();
		expect(v.match('https://example.org/other')).toBeUndefined();
		expect(v.match('https://secret.example.evil.net/')).toBeUndefined();
		expect(v.match('notsecret.example')).toBeUndefined();
		expect(v.match('cdn.secret.example')?.entry.kind).toBe('host');
	});

	it('keeps search terms from visited URLs and matches their encodings', () => {
		const v = new VisitedSet();
		v.add('www.google.com/search?q=rash+on+arm&hl=en', 5);
		const terms = v.entries().filter((e) => e.kind === 'search');
		expect(terms.map((e) => [e.value, e.domain])).toEqual([['rash on arm', 'google.com']]);
		expect(v.match('{"search_word":"rash on arm"}')?.entry.kind).toBe('search');
		expect(v.match('kw=rash+on+arm')?.entry.kind).toBe('search');
		expect(v.match('kw=rash%20on%20arm')?.entry.kind).toBe('search');
		expect(v.match('crash on armchair')).toBeUndefined();
	});

	it('can exclude entries (the destination\'s own site)', () => {
		const v = new VisitedSet();
		v.addUrl('https://example.org/a', 1);
		expect(v.match('example.org/a', (e) => e.domain === 'example.org')).toBeUndefined();
	});

	it('caps its size, dropping the oldest', () => {
		const v = new VisitedSet();
		for (let i = 0; i < MAX_VISITED + 5; i++) v.addHost(`host${i}.example.com`, i);
		expect(v.size).toBe(MAX_VISITED);
		expect(v.match('host0.example.com')).toBeUndefined();
		expect(v.match(`host${MAX_VISITED + 4}.example.com`)).toBeDefined();
	});
});
