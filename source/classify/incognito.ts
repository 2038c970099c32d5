/**
 * The incognito state machine (per browser package) and the set of things a browser visited
 * while incognito. Pure state: time comes in with the events, nothing reads a clock.
 *
 * Over 300 lines because the state machine and the visited set it fills are one model of a
 * browser's incognito state.
 */
import {getDomain} from 'tldts';
import {type AndroidFact, type IncognitoSignal} from '../types.js';
import {isSearchKey} from './payload.js';
import {parseForm} from './formats/codec.js';

/** Browser packages we know (research/xiaomi.md 4.1, plus the common third-party browsers). */
export const BROWSER_PACKAGES: ReadonlySet<string> = new Set([
	'com.mi.globalbrowser',
	'com.mi.globalbrowser.mini',
	'com.android.browser',
	'com.android.chrome',
	'com.chrome.beta',
	'com.chrome.dev',
	'com.chrome.canary',
	'com.sec.android.app.sbrowser',
	'com.sec.android.app.sbrowser.beta',
	'com.huawei.browser',
	'com.heytap.browser',
	'com.coloros.browser',
	'com.oppo.browser',
	'com.vivo.browser',
	'org.mozilla.firefox',
	'org.mozilla.firefox_beta',
	'org.mozilla.fenix',
	'org.mozilla.focus',
	'org.mozilla.klar',
	'com.brave.browser',
	'com.microsoft.emmx',
	'com.opera.browser',
	'com.opera.mini.native',
	'com.opera.gx',
	'com.UCMobile.intl',
	'com.uc.browser.en',
	'com.yandex.browser',
	'com.duckduckgo.mobile.android',
	'com.vivaldi.browser',
	'com.kiwibrowser.browser',
	'org.chromium.chrome',
]);

/** True for a known browser package. */
export function isBrowserPackage(pkg: string | undefined): boolean {
	return pkg !== undefined && BROWSER_PACKAGES.has(pkg);
}

/** One incognito period of a package; `end` is undefined while it lasts. */
type IncognitoInterval = {
	pkg: string;
	start: number;
	end?: number;
	/** The kind of signal that opened it (shown in the status bar, kept in flag evidence). */
	signal: IncognitoSignal;
	/** What ended it: a signal, or the browser's process dying. */
	endedBy?: IncognitoSignal | 'proc-died';
	/** Log line that started it, for flag evidence. */
	logLine?: number;
};

/** Intervals kept per package: a session rarely toggles incognito more than a few dozen times. */
export const MAX_INTERVALS_PER_PACKAGE = 64;
/** Packages tracked: browsers plus whatever the rules name; bounds hostile log input. */
const MAX_TRACKED_PACKAGES = 64;
/** Foreground changes kept for "who was in front at ts": enough for a long replay's recent past. */
const MAX_FOREGROUND_HISTORY = 512;

type ForegroundChange = {pkg: string; ts: number};

/*
 * Conflicting signals, per browser package, taken in the order they arrive (log order):
 * 1. Automatic signals (a line the browser logged, a secure browser window in front, a
 *    private-tabs notification) are equals, and the latest change wins: "on" opens an interval
 *    when none is open (an "on" while on keeps the open interval and the kind that opened it);
 *    "off" ends the open interval whichever automatic kind opened it. The probes report changes,
 *    never a steady state, so an "off" after another kind's "on" is news that "on" did not have
 *    (the user left the incognito tab, closed the private tabs).
 * 2. A user marker (the `i` key, a `tattle.marker` line, --incognito, a bundle's markers) applies
 *    at once, whatever set the state. A marker "on" holds: until a marker "off" or the process
 *    dies, automatic "off" signals are ignored (the user marked it on purpose, where the phone's
 *    own signals were missing or wrong). A marker "on" while an automatic signal holds the state
 *    takes the interval over. A marker "off" ends the interval and hands the package back to
 *    automatic signals: a stale "on" is not repeated (probes report changes only), and a new one
 *    is news (the user opened incognito again).
 * 3. The browser's process dying ends the interval, whatever opened it: incognito tabs live only
 *    in that process.
 * The kind shown (status bar, flag evidence) is the one that opened the current interval.
 */

/** Tracks which packages are in incognito mode, since when, by which signal, and which app is in front. */
export class IncognitoTracker {
	private readonly byPkg = new Map<string, IncognitoInterval[]>();
	private readonly fg: ForegroundChange[] = [];

	/** Take in an Android fact (incognito on/off, foreground, process death); true when the incognito state changed. */
	observe(fact: AndroidFact, ts: number, logLine?: number): boolean {
		switch (fact.kind) {
			case 'incognito-on':
				return this.start(fact.pkg, ts, fact.signal ?? 'log', logLine);
			case 'incognito-off':
				return this.stop(fact.pkg, ts, fact.signal ?? 'log');
			case 'activity-start':
			case 'activity-displayed':
				this.setForeground(fact.pkg, ts);
				return false;
			case 'proc-died':
				// Incognito tabs live only in the process: when it dies they are gone.
				return fact.pkg ? this.end(fact.pkg, ts, 'proc-died') : false;
			default:
				return false;
		}
	}

	/** The user's toggle (the `i` key): a marker either way; returns the new state. */
	toggle(pkg: string, ts: number): boolean {
		if (this.isIncognito(pkg, ts)) {
			this.stop(pkg, ts, 'marker');
			return false;
		}
		this.start(pkg, ts, 'marker');
		return true;
	}

	/** Enter incognito; false when already in it (or the package cap is reached). */
	start(pkg: string, ts: number, signal: IncognitoSignal = 'log', logLine?: number): boolean {
		let list = this.byPkg.get(pkg);
		if (!list) {
			if (this.byPkg.size >= MAX_TRACKED_PACKAGES) return false;
			list = [];
			this.byPkg.set(pkg, list);
		}
		const last = list[list.length - 1];
		if (last && last.end === undefined) {
			// Rule 2: the user's "on" takes over an interval an automatic signal opened.
			if (signal === 'marker') last.signal = 'marker';
			return false;
		}
		const interval: IncognitoInterval = {pkg, start: ts, signal};
		if (logLine !== undefined) interval.logLine = logLine;
		list.push(interval);
		if (list.length > MAX_INTERVALS_PER_PACKAGE) list.shift();
		return true;
	}

	/** Leave incognito; false when not in it, or when a marker holds it and this signal is automatic. */
	stop(pkg: string, ts: number, signal: IncognitoSignal = 'log'): boolean {
		const last = this.open(pkg);
		// Rule 2: only the user (or the process dying) ends what the user started.
		if (!last || (last.signal === 'marker' && signal !== 'marker')) return false;
		return this.end(pkg, ts, signal);
	}

	/** Ends the open interval whatever opened it; false when none is open. */
	private end(pkg: string, ts: number, by: IncognitoSignal | 'proc-died'): boolean {
		const last = this.open(pkg);
		if (!last) return false;
		// A late or reordered "off" must not make an interval end before it began.
		last.end = Math.max(last.start, ts);
		last.endedBy = by;
		return true;
	}

	/** The open interval of pkg, if any. */
	private open(pkg: string): IncognitoInterval | undefined {
		const list = this.byPkg.get(pkg);
		const last = list?.[list.length - 1];
		return last && last.end === undefined ? last : undefined;
	}

	/** Was pkg in incognito mode at ts? */
	isIncognito(pkg: string, ts: number): boolean {
		return this.intervalAt(pkg, ts) !== undefined;
	}

	/** The interval covering ts, for evidence (log line, since when). */
	intervalAt(pkg: string, ts: number): IncognitoInterval | undefined {
		const list = this.byPkg.get(pkg);
		if (!list) return undefined;
		for (let i = list.length - 1; i >= 0; i--) {
			const iv = list[i]!;
			if (iv.start <= ts && (iv.end === undefined || ts < iv.end)) return iv;
		}
		return undefined;
	}

	/** Packages in incognito at ts, or right now (open intervals) when ts is omitted. */
	active(ts?: number): string[] {
		const out: string[] = [];
		for (const [pkg, list] of this.byPkg) {
			const last = list[list.length - 1];
			if (ts === undefined ? last !== undefined && last.end === undefined : this.isIncognito(pkg, ts)) out.push(pkg);
		}
		return out.sort();
	}

	/** Since when pkg has been in incognito (open interval), if it is. */
	since(pkg: string): number | undefined {
		return this.open(pkg)?.start;
	}

	/** The kind of signal that opened each open interval, by package (the status bar's "why"). */
	signals(): Record<string, IncognitoSignal> {
		const out: Record<string, IncognitoSignal> = {};
		for (const pkg of this.byPkg.keys()) {
			const iv = this.open(pkg);
			if (iv) out[pkg] = iv.signal;
		}
		return out;
	}

	/** All kept intervals, oldest first (one package or all). */
	intervals(pkg?: string): IncognitoInterval[] {
		if (pkg !== undefined) return [...(this.byPkg.get(pkg) ?? [])];
		return [...this.byPkg.values()].flat().sort((a, b) => a.start - b.start);
	}

	/** Record that pkg came to the foreground at ts. */
	setForeground(pkg: string, ts: number): void {
		const last = this.fg[this.fg.length - 1];
		if (last && last.pkg === pkg) return;
		if (last && ts < last.ts) {
			// Out-of-order event: insert in place so look-ups by time stay right.
			const i = this.fg.findIndex((c) => c.ts > ts);
			this.fg.splice(i, 0, {pkg, ts});
		} else this.fg.push({pkg, ts});
		if (this.fg.length > MAX_FOREGROUND_HISTORY) this.fg.shift();
	}

	/** The foreground package at ts (the latest change at or before it), or the latest when ts is omitted. */
	foreground(ts?: number): string | undefined {
		if (ts === undefined) return this.fg[this.fg.length - 1]?.pkg;
		for (let i = this.fg.length - 1; i >= 0; i--) if (this.fg[i]!.ts <= ts) return this.fg[i]!.pkg;
		return undefined;
	}

	/** The foreground package at ts when it is in incognito mode (requests then are likely its own). */
	incognitoForeground(ts: number): string | undefined {
		const pkg = this.foreground(ts);
		return pkg !== undefined && this.isIncognito(pkg, ts) ? pkg : undefined;
	}
}

type VisitedKind = 'url' | 'host' | 'search';

/** One thing visited in incognito, with the lowercased forms we look for in payloads. */
export type VisitedEntry = {
	kind: VisitedKind;
	/** As given (raw). */
	value: string;
	/** Registrable domain it belongs to (where it was visited), to tell third parties apart. */
	domain?: string;
	ts: number;
	pkg?: string;
	/** Lowercased needles: host, URL without scheme, with and without www., encoded forms. */
	forms: string[];
};

type VisitedMatch = {entry: VisitedEntry; form: string; at: number};

/** Entries kept: a long incognito session visits a few hundred pages; oldest go first. */
export const MAX_VISITED = 2000;
/** Shortest needle matched: shorter hosts/terms would match by accident. */
const MIN_NEEDLE_CHARS = 4;
/** Query pairs read from a visited URL when looking for its search terms. */
const MAX_QUERY_PAIRS = 64;
/** Longest needle kept: a URL past this is cut (the prefix still identifies the page). */
const MAX_NEEDLE_CHARS = 512;

function lowerHost(host: string): string {
	return host.trim().toLowerCase().replace(/\.$/, '');
}

function domainOf(host: string): string | undefined {
	return getDomain(host, {allowPrivateDomains: true}) ?? (host || undefined);
}

function pushForm(forms: string[], s: string): void {
	const f = s.toLowerCase().slice(0, MAX_NEEDLE_CHARS);
	if (f.length >= MIN_NEEDLE_CHARS && !forms.includes(f)) forms.push(f);
}

/** Needles for a URL: without scheme, without www., trailing slash dropped, and percent-encoded. */
export function urlForms(url: string): {forms: string[]; host?: string} {
	const forms: string[] = [];
	const noScheme = url.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
	const host = lowerHost(noScheme.split(/[/?#]/, 1)[0]!.replace(/:\d+$/, ''));
	const bare = noScheme.replace(/\/$/, '');
	const variants = [bare, bare.replace(/^www\./i, '')];
	for (const v of variants) {
		pushForm(forms, v);
		pushForm(forms, encodeURIComponent(v));
	}
	return host ? {forms, host} : {forms};
}

/** Needles for a search term: as typed, percent-encoded, and with '+' for spaces. */
function searchForms(term: string): string[] {
	const forms: string[] = [];
	const t = term.trim();
	pushForm(forms, t);
	pushForm(forms, encodeURIComponent(t));
	pushForm(forms, encodeURIComponent(t).replace(/%20/g, '+'));
	return forms;
}

/**
 * True when the needle at `at` sits on name boundaries: "example.org" must not match inside
 * "notexample.org" or "example.org.evil.net". A percent escape before it (%2F) is a boundary.
 */
function onBoundary(text: string, at: number, len: number): boolean {
	const before = text.slice(Math.max(0, at - 3), at);
	const okBefore = before === '' || !/[a-z0-9-]$/.test(before) || /%[0-9a-f]{2}$/.test(before);
	const after = text.slice(at + len, at + len + 2);
	return okBefore && !/^[a-z0-9_-]/.test(after) && !/^\.[a-z0-9]/.test(after);
}

/** URLs, hosts and search terms the browser visited while incognito (capped, oldest dropped). */
export class VisitedSet {
	private readonly list: VisitedEntry[] = [];
	private readonly keys = new Set<string>();

	/** Entries kept. */
	get size(): number {
		return this.list.length;
	}

	/** A URL ("host/path" or with a scheme) or a bare host, told apart by the '/'. */
	add(value: string, ts: number, pkg?: string): void {
		if (/[/?]/.test(value)) this.addUrl(value, ts, pkg);
		else this.addHost(value, ts, pkg);
	}

	/** A page URL the browser requested while incognito; search terms in its query are kept too. */
	addUrl(url: string, ts: number, pkg?: string): void {
		const {forms, host} = urlForms(url);
		const entry: VisitedEntry = {kind: 'url', value: url, ts, forms};
		if (host) entry.domain = domainOf(host);
		this.addEntry(entry, pkg);
		const q = url.indexOf('?');
		if (q < 0) return;
		const pairs = parseForm(url.slice(q + 1).split('#', 1)[0]!, MAX_QUERY_PAIRS) ?? [];
		for (const [k, v] of pairs) if (isSearchKey(k) && v.trim() !== '') this.addSearchTerm(v, ts, pkg, host);
	}

	/** A host (SNI, QUIC, DNS, HTTP Host) the browser contacted while incognito. */
	addHost(host: string, ts: number, pkg?: string): void {
		const h = lowerHost(host);
		const forms: string[] = [];
		pushForm(forms, h);
		if (h.startsWith('www.')) pushForm(forms, h.slice(4));
		this.addEntry({kind: 'host', value: host, ts, forms, domain: domainOf(h)}, pkg);
	}

	/** A search term typed while incognito; `host` is the search engine it went to, when known. */
	addSearchTerm(term: string, ts: number, pkg?: string, host?: string): void {
		const entry: VisitedEntry = {kind: 'search', value: term, ts, forms: searchForms(term)};
		if (host) entry.domain = domainOf(lowerHost(host));
		this.addEntry(entry, pkg);
	}

	/** All entries, oldest first (a copy). */
	entries(): VisitedEntry[] {
		return [...this.list];
	}

	/** The first visited entry found in text (lowercased search), or undefined. */
	match(text: string, exclude?: (entry: VisitedEntry) => boolean): VisitedMatch | undefined {
		if (this.list.length === 0 || text.length < MIN_NEEDLE_CHARS) return undefined;
		const lower = text.toLowerCase();
		// Newest first: the most recent visit is the likeliest source, and URLs before hosts.
		for (const kind of ['url', 'search', 'host'] as const) {
			for (let i = this.list.length - 1; i >= 0; i--) {
				const entry = this.list[i]!;
				if (entry.kind !== kind || exclude?.(entry)) continue;
				for (const form of entry.forms) {
					let at = lower.indexOf(form);
					// A few tries: the first occurrence may sit inside a longer name.
					for (let tries = 0; at >= 0 && tries < 4; tries++) {
						if (onBoundary(lower, at, form.length)) return {entry, form, at};
						at = lower.indexOf(form, at + 1);
					}
				}
			}
		}
		return undefined;
	}

	private addEntry(entry: VisitedEntry, pkg?: string): void {
		if (entry.forms.length === 0) return;
		const key = `${entry.kind}:${entry.forms[0]}`;
		if (this.keys.has(key)) return;
		if (pkg !== undefined) entry.pkg = pkg;
		this.keys.add(key);
		this.list.push(entry);
		if (this.list.length > MAX_VISITED) {
			const old = this.list.shift()!;
			this.keys.delete(`${old.kind}:${old.forms[0]}`);
		}
	}
}
