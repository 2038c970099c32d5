/**
 * Flag rules (DESIGN.md "Incognito flags"): given one outbound upload, what it reveals and the
 * incognito state at its time, raise incognito-tracker, incognito-url-leak, url-leak and
 * cleartext-identifier flags with evidence. A guess is never raised without saying so.
 *
 * Over 300 lines because each flag kind's rule sits beside the evidence text it writes, so what a
 * flag claims and what it shows are read together.
 */
import {getDomain} from 'tldts';
import {type Category, type Classification, type Flag, type Severity} from '../types.js';
import {IDENTIFIER_LABELS, type Identifier} from './identifiers.js';
import {type VisitedEntry, type VisitedSet} from './incognito.js';
import {truncateChars} from '../lib/sanitize.js';
import {MAX_EXCERPT_CHARS, type PayloadFindings, type TextSegment} from './payload.js';
import {TRACKING_CATEGORIES} from './rules.js';

export type UploadContext = {
	ts: number;
	/** Destination host (or IP when nameless). */
	host: string;
	classification: Classification;
	/** Package that sent it, when attributed. */
	app?: string;
	/** 1-based packet indices carrying the upload. */
	packets: number[];
	logLines?: number[];
	findings?: PayloadFindings;
	/** True when the payload could not be read (TLS without keys). */
	encrypted: boolean;
	/** Browsers in incognito mode at ts. */
	incognitoApps: string[];
	visited: VisitedSet;
	/** Bytes sent, for size evidence when the payload is encrypted. */
	bytesOut?: number;
	/** Request path (plain HTTP), so uploads to two endpoints of one host read apart. */
	path?: string;
	/** True when the payload was read from decrypted TLS (keylog), not plain HTTP. */
	tls?: boolean;
};

/** Destinations for which a URL in the payload is a url-leak outside incognito. */
const URL_LEAK_CATEGORIES: ReadonlySet<Category> = new Set<Category>(['analytics', 'advertising', 'browsing-data', 'tracker']);
/** Domains whose URLs are XML/JSON schema names, never browsing. */
const SCHEMA_DOMAINS = new Set(['w3.org', 'schema.org', 'android.com', 'xmlsoap.org', 'json-schema.org']);

/** Summary lines stay under 120 chars (report tables, one timeline row). */
export const MAX_SUMMARY_CHARS = 119;
/** Host or package names cut to this inside a summary so the line keeps its meaning. */
const MAX_NAME_IN_SUMMARY = 40;
/** Visited value quoted in a summary. */
const MAX_QUOTE_IN_SUMMARY = 40;
/** Context shown either side of a match in an excerpt. */
const MATCH_CONTEXT_CHARS = 40;

function line(s: string): string {
	return truncateChars(s.replace(/[\r\n\t]+/g, ' '), MAX_SUMMARY_CHARS);
}

function domainOf(ctx: UploadContext): string {
	const h = ctx.host.toLowerCase().replace(/\.$/, '');
	return ctx.classification.domain ?? getDomain(h, {allowPrivateDomains: true}) ?? h;
}

/** A decode chain with layers beyond plain fields (base64, gzip, hex, AES...). */
function isDecoded(layers: string): boolean {
	return /base64|gzip|zlib|deflate|hex|aes|urldecode|strings/.test(layers);
}

/** Whether the payload could be read; the reason when not. */
function readability(ctx: UploadContext): {readable: boolean; encrypted: boolean} {
	const f = ctx.findings;
	if (ctx.encrypted || f?.opaque) return {readable: false, encrypted: true};
	if (!f) return {readable: false, encrypted: false};
	const saw = f.urls.length > 0 || f.identifiers.length > 0 || f.searchTerms.length > 0;
	// A recognised-but-encrypted format (SA gzip=9, OneTrack) with nothing else readable.
	if (f.encrypted && !saw) return {readable: false, encrypted: true};
	return {readable: true, encrypted: false};
}

function base(ctx: UploadContext, kind: Flag['kind'], severity: Severity, summary: string): Flag {
	const flag: Flag = {
		kind,
		severity,
		ts: ctx.ts,
		host: ctx.host,
		summary: line(summary),
		evidence: {packets: [...ctx.packets], logLines: [...(ctx.logLines ?? [])]},
	};
	if (ctx.app) flag.app = ctx.app;
	if (ctx.tls && !ctx.encrypted) flag.evidence.decrypted = true;
	if (ctx.classification.rule) flag.evidence.rule = ctx.classification.rule;
	return flag;
}

function by(ctx: UploadContext): string {
	return ctx.app ? ` by ${truncateChars(ctx.app, MAX_NAME_IN_SUMMARY)}` : '';
}

function hostName(ctx: UploadContext): string {
	return truncateChars(ctx.host, MAX_NAME_IN_SUMMARY);
}

/** Longest request path shown in a summary: the endpoint's name, not its query. */
const MAX_PATH_IN_SUMMARY = 32;

/** The request path without its query, short (`/track/v4`), or nothing when unknown. */
function endpoint(ctx: UploadContext): string {
	if (!ctx.path || ctx.path === '/') return '';
	const q = ctx.path.search(/[?#;]/);
	return truncateChars(q >= 0 ? ctx.path.slice(0, q) : ctx.path, MAX_PATH_IN_SUMMARY);
}

/** Size/timing evidence for an unreadable upload. */
function sizeExcerpt(ctx: UploadContext): string {
	const parts = [`${ctx.packets.length} packet(s)`];
	if (ctx.bytesOut !== undefined) parts.push(`${ctx.bytesOut} B out`);
	if (ctx.findings?.entropy !== undefined) parts.push(`entropy ${ctx.findings.entropy.toFixed(2)} bits/byte`);
	const notes = ctx.findings?.formatResults.flatMap((r) => r.notes.map((n) => `${r.format}: ${n}`)) ?? [];
	if (notes.length > 0) parts.push(notes[0]!);
	return truncateChars(`encrypted payload: ${parts.join(', ')} at ts ${ctx.ts}`, MAX_EXCERPT_CHARS);
}

/** Name used for the browser a payload hint speaks of when neither the hint nor the capture names it. */
const HINTED_BROWSER = 'browser';

/**
 * The browsers in incognito for this upload: the tracker's state, or else the payload's own word
 * (Sensors `download_files` type=privacy), which speaks for the app that sent it.
 */
function effectiveIncognito(ctx: UploadContext): string[] {
	if (ctx.incognitoApps.length > 0) return ctx.incognitoApps;
	const hint = ctx.findings?.incognitoHint;
	return hint ? [hint.pkg ?? ctx.app ?? HINTED_BROWSER] : [];
}

/** The excerpt plus the UI-usage events the payload names, when there is room for them. */
function withUi(excerpt: string, f: PayloadFindings | undefined): string {
	const ui = f?.uiEvents ?? [];
	if (ui.length === 0) return excerpt;
	const room = MAX_EXCERPT_CHARS - excerpt.length - ' | ui: '.length;
	// The match comes first: UI names only fill what space is left.
	return room >= MIN_UI_EXCERPT_CHARS ? `${excerpt} | ui: ${truncateChars(ui.join(', '), room)}` : excerpt;
}

/** Fewer characters than this of UI names say nothing useful: leave them out. */
const MIN_UI_EXCERPT_CHARS = 12;

function trackerFlag(ctx: UploadContext, r: {readable: boolean; encrypted: boolean}): Flag | undefined {
	const incognitoApps = effectiveIncognito(ctx);
	if (incognitoApps.length === 0 || !TRACKING_CATEGORIES.has(ctx.classification.category)) return undefined;
	const hinted = ctx.incognitoApps.length === 0;
	const fromBrowser = ctx.app !== undefined && incognitoApps.includes(ctx.app);
	const hasUrl = r.readable && (ctx.findings?.urls.length ?? 0) > 0;
	const severity: Severity = fromBrowser || hasUrl ? 'high' : 'medium';
	const cat = ctx.classification.category;
	const browsers = truncateChars(incognitoApps.join(', '), MAX_NAME_IN_SUMMARY);
	let who: string;
	if (fromBrowser) who = `from ${truncateChars(ctx.app!, MAX_NAME_IN_SUMMARY)} while in incognito`;
	else if (ctx.app) who = `by ${truncateChars(ctx.app, MAX_NAME_IN_SUMMARY)} while ${browsers} incognito`;
	else who = `while ${browsers} incognito`;
	const caveats: string[] = [];
	// The hint is the one caveat that must show: the incognito state is the payload's own word.
	if (hinted) caveats.push('per payload hint');
	if (!ctx.app) caveats.push('sender unknown');
	if (r.encrypted) caveats.push('encrypted: timing/size only');
	else if (!r.readable) caveats.push('not inspected: timing only');
	else if (hasUrl && !hinted) caveats.push('payload holds a URL');
	const how = caveats.length > 0 ? ` (${caveats.join('; ')})` : '';
	// The caveats must survive the length cap: cut the main clause, never the "timing only".
	// The endpoint before the incognito clause: the flag's kind already says incognito, and two
	// endpoints of one host must read apart when the cap cuts the clause.
	const flag = base(ctx, 'incognito-tracker', severity, truncateChars(`${cat} upload to ${hostName(ctx)}${endpoint(ctx)} ${who}`, MAX_SUMMARY_CHARS - how.length) + how);
	if (r.encrypted) {
		flag.evidence.payload = 'encrypted';
		flag.evidence.excerpt = sizeExcerpt(ctx);
	} else if (r.readable && ctx.findings) {
		const layers = ctx.findings.layers[0]?.layers ?? '';
		flag.evidence.payload = isDecoded(layers) ? 'decoded' : 'plain';
		const hint = hinted ? ctx.findings.incognitoHint?.evidence : undefined;
		const excerpt = hint ?? ctx.findings.excerpt;
		if (excerpt) flag.evidence.excerpt = withUi(truncateChars(excerpt, MAX_EXCERPT_CHARS), ctx.findings);
	}
	return flag;
}

type LeakHit = {entry: VisitedEntry; segment: TextSegment; at: number; form: string};

/** The first visited-in-incognito item found in the payload, ignoring the destination's own site. */
function findVisited(ctx: UploadContext, destDomain: string): LeakHit | undefined {
	const f = ctx.findings;
	if (!f || ctx.visited.size === 0) return undefined;
	const exclude = (e: VisitedEntry): boolean => e.domain !== undefined && e.domain === destDomain;
	// One search over all segments joined by a newline (never inside a needle), then map back.
	const starts: number[] = [];
	let offset = 0;
	for (const segment of f.texts) {
		starts.push(offset);
		offset += segment.text.length + 1;
	}
	const m = ctx.visited.match(f.texts.map((t) => t.text).join('\n'), exclude);
	if (!m) return undefined;
	let i = starts.length - 1;
	while (i > 0 && starts[i]! > m.at) i--;
	return {entry: m.entry, segment: f.texts[i]!, at: m.at - starts[i]!, form: m.form};
}

function leakExcerpt(hit: LeakHit): string {
	const t = hit.segment.text;
	const from = Math.max(0, hit.at - MATCH_CONTEXT_CHARS);
	const to = Math.min(t.length, hit.at + hit.form.length + MATCH_CONTEXT_CHARS);
	const around = `${from > 0 ? '…' : ''}${t.slice(from, to)}${to < t.length ? '…' : ''}`;
	const where = hit.segment.layers;
	// Keep the match visible: cut the chain before the content.
	const room = MAX_EXCERPT_CHARS - around.length - 2;
	return truncateChars(`${room > 10 ? truncateChars(where, room) : ''}: ${around}`, MAX_EXCERPT_CHARS);
}

function urlLeakFlags(ctx: UploadContext, destDomain: string): Flag[] {
	const f = ctx.findings!;
	const hit = findVisited(ctx, destDomain);
	if (hit) {
		const what = hit.entry.kind === 'search' ? 'search term' : hit.entry.kind === 'host' ? 'site' : 'URL';
		const quote = truncateChars(hit.entry.value, MAX_QUOTE_IN_SUMMARY);
		// Only an upload made while a browser is in incognito is an incognito leak: once the
		// window has closed the same match is still a leak, but the flag must not claim incognito.
		const during = effectiveIncognito(ctx).length > 0;
		const flag = during
			? base(ctx, 'incognito-url-leak', 'high', `Incognito ${what} "${quote}" sent to ${hostName(ctx)}${by(ctx)}`)
			: base(ctx, 'url-leak', 'medium', `${what} "${quote}" (visited in incognito earlier) sent to ${hostName(ctx)}${by(ctx)}`);
		flag.evidence.payload = isDecoded(hit.segment.layers) ? 'decoded' : 'plain';
		flag.evidence.excerpt = withUi(leakExcerpt(hit), f);
		return [flag];
	}
	if (!URL_LEAK_CATEGORIES.has(ctx.classification.category)) return [];
	const urls = f.urls.filter((u) => {
		if (!/^https?:\/\//i.test(u)) return false;
		let host: string;
		try {
			host = new URL(u).hostname;
		} catch {
			return false;
		}
		const d = getDomain(host, {allowPrivateDomains: true}) ?? host;
		return d !== destDomain && !SCHEMA_DOMAINS.has(d);
	});
	if (urls.length === 0) return [];
	const url = urls[0]!;
	const severity: Severity = ctx.classification.category === 'browsing-data' || f.searchTerms.length > 0 ? 'medium' : 'low';
	const flag = base(ctx, 'url-leak', severity, `URL "${truncateChars(url, MAX_QUOTE_IN_SUMMARY)}" sent to ${hostName(ctx)} (${ctx.classification.category})${by(ctx)}`);
	const layers = f.layers.find((n) => n.kind === 'url' && n.value === url)?.layers ?? '';
	flag.evidence.payload = isDecoded(layers) ? 'decoded' : 'plain';
	const more = urls.length > 1 ? ` (+${urls.length - 1} more URLs)` : '';
	flag.evidence.excerpt = withUi(truncateChars(`${url} via ${layers}${more}`, MAX_EXCERPT_CHARS), f);
	return [flag];
}

function identifierFlag(ctx: UploadContext): Flag | undefined {
	const ids: Identifier[] = ctx.findings?.identifiers ?? [];
	if (ids.length === 0 || ctx.classification.category === 'local') return undefined;
	const kinds = [...new Set(ids.map((i) => IDENTIFIER_LABELS[i.kind]))].join(', ');
	const decoded = ids.some((i) => isDecoded(i.layers ?? ''));
	const how = ctx.tls ? 'readable in decrypted TLS' : decoded ? 'in a decodable payload' : 'in clear';
	const flag = base(ctx, 'cleartext-identifier', 'medium', `${kinds} sent ${how} to ${hostName(ctx)}${by(ctx)}`);
	flag.evidence.payload = decoded ? 'decoded' : 'plain';
	flag.evidence.excerpt = truncateChars(ids.map((i) => `${i.key ?? i.kind}=${i.value} via ${i.layers ?? '?'}`).join('; '), MAX_EXCERPT_CHARS);
	return flag;
}

/** Flags one outbound upload deserves, given what its payload reveals and the incognito state at its time. */
export function evaluateUpload(ctx: UploadContext): Flag[] {
	const flags: Flag[] = [];
	const r = readability(ctx);
	const tracker = trackerFlag(ctx, r);
	if (tracker) flags.push(tracker);
	if (!r.readable) return flags;
	flags.push(...urlLeakFlags(ctx, domainOf(ctx)));
	const ids = identifierFlag(ctx);
	if (ids) flags.push(ids);
	return flags;
}

/** Repeats within this window are one flag: SDKs upload every 15-60 s, so a minute keeps one per burst. */
const DEDUPE_WINDOW_SECONDS = 60;
/** Keys remembered; the oldest are forgotten first (a flood of distinct hosts must not grow memory). */
const MAX_DEDUPE_KEYS = 4096;

/** What the deduper made of a flag: new, or a repeat counted on the flag it repeats. */
type DedupeVerdict = {accepted: true} | {accepted: false; original: Flag};

/** Packets and log lines a folded flag names: enough to check it by hand; `count` says how many repeats there were. */
export const MAX_FLAG_EVIDENCE = 64;

/** A URL leak is one finding per request: its first packet is part of its identity. */
const PER_REQUEST: ReadonlySet<Flag['kind']> = new Set(['incognito-url-leak', 'url-leak']);

/**
 * Folds the same flag (kind, host, app, matched string; for URL leaks, the same request) within a
 * window into the first one, whose `count` goes up and whose evidence gains the repeat's packet and
 * log-line indices (distinct, capped): a repeat is aggregated, never silently lost. Summaries are
 * built without counts or sizes, so the summary stands for the matched string by default.
 */
export class FlagDeduper {
	/** Repeats folded so far. */
	suppressed = 0;
	private readonly last = new Map<string, Flag>();

	constructor(
		private readonly windowSeconds = DEDUPE_WINDOW_SECONDS,
		private readonly maxKeys = MAX_DEDUPE_KEYS,
	) {}

	/** New flag, or a repeat: then the original's `count` is raised (here, once) and it is returned. */
	admit(flag: Flag, match?: string): DedupeVerdict {
		const request = PER_REQUEST.has(flag.kind) ? String(flag.evidence.packets[0] ?? '') : '';
		const key = [flag.kind, flag.host, flag.app ?? '', match ?? flag.summary, request].join('\u0000');
		const prev = this.last.get(key);
		if (prev !== undefined && Math.abs(flag.ts - prev.ts) < this.windowSeconds) {
			this.suppressed++;
			prev.count = (prev.count ?? 1) + 1;
			addEvidence(prev.evidence.packets, flag.evidence.packets);
			addEvidence(prev.evidence.logLines, flag.evidence.logLines);
			return {accepted: false, original: prev};
		}
		this.last.delete(key);
		this.last.set(key, flag);
		if (this.last.size > this.maxKeys) {
			const oldest = this.last.keys().next().value;
			if (oldest !== undefined) this.last.delete(oldest);
		}
		return {accepted: true};
	}

	/** True when the flag is new (or the window since the first of its run has passed); a repeat is counted on the original. */
	accept(flag: Flag, match?: string): boolean {
		return this.admit(flag, match).accepted;
	}
}

/** Adds indices not yet listed, up to {@link MAX_FLAG_EVIDENCE}. */
function addEvidence(to: number[], from: readonly number[]): void {
	for (const i of from) if (to.length < MAX_FLAG_EVIDENCE && !to.includes(i)) to.push(i);
}
