/**
 * The session report (DESIGN.md "Report JSON": add fields, never rename), built from the
 * snapshot ingest produces; never from the UI. Every untrusted string is sanitised here,
 * so a hostile host name cannot reach a terminal through `cat report.md`.
 * Over 300 lines because the report's shape and the formats written from it (JSON in pieces,
 * Markdown, CSV) sit together: a field added to the shape is seen beside every writer of it.
 */
import type {DestinationSummary, Flag, SessionSnapshot} from '../types.js';
import {sanitize} from '../lib/sanitize.js';
import {htmlChunks} from './html.js';

/** Longest string kept in a report field (a hostile 64 KiB host name stays readable). */
const MAX_FIELD = 2048;

/**
 * Version of the documented output shapes (docs/schema.md): the JSON report, every NDJSON event
 * and the export tables carry it. Adding a field keeps it; renaming, removing or retyping one
 * bumps it.
 */
export const SCHEMA_VERSION = 1;

type ReportMeta = {version: string; input: Record<string, unknown>};

export type Report = ReturnType<typeof buildReport>;

const clean = (s: string | undefined): string | undefined => (s === undefined ? undefined : sanitize(s, MAX_FIELD));

/** The same record with every string value sanitised (file names and device facts can carry escapes). */
function cleanStrings<T extends object>(o: T): T {
	return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? clean(v) : v])) as T;
}

function destinationEntry(d: DestinationSummary) {
	return {
		host: clean(d.host)!,
		ips: d.ips.map((ip) => clean(ip)!),
		owner: clean(d.owner) ?? null,
		category: d.category,
		country: d.country ?? null,
		asn: d.asn ?? null,
		asOrg: clean(d.asOrg) ?? null,
		apps: d.apps.map((a) => clean(a)!),
		foreground: (d.foreground ?? []).map((a) => clean(a)!),
		packets: d.packets,
		bytesOut: d.bytesOut,
		bytesIn: d.bytesIn,
		firstTs: d.firstTs,
		lastTs: d.lastTs,
		via: d.via,
		local: d.local ?? false,
		rule: clean(d.rule) ?? null,
		ruleSource: clean(d.ruleSource) ?? null,
		note: clean(d.note) ?? null,
		flags: d.flags,
		// What of the payload could be read (read, partly-read, encrypted, app-encrypted, cleartext).
		payload: d.payload ?? null,
		tls: d.tls ? {...d.tls, note: clean(d.tls.note) ?? null} : null,
		// Decoded field keys and device identifiers its readable uploads carried (what `tattle diff` compares).
		fields: (d.fields ?? []).map((k) => clean(k)!),
		identifiers: (d.identifiers ?? []).map((i) => ({kind: clean(i.kind)!, value: clean(i.value)!, key: clean(i.key) ?? null})),
		// Only with --baseline: not seen in the baseline run.
		...(d.new !== undefined ? {new: d.new} : {}),
	};
}

/** A flag as the report has it: `app` always present, null when no evidence names the app (DESIGN.md). */
type ReportFlag = Omit<Flag, 'app'> & {app: string | null};

/** Sanitises the strings of a flag (they quote payloads and host names). */
function cleanFlag(f: Flag): ReportFlag {
	return {
		...f,
		app: clean(f.app) ?? null,
		host: clean(f.host)!,
		summary: clean(f.summary)!,
		evidence: {...f.evidence, excerpt: clean(f.evidence.excerpt), rule: clean(f.evidence.rule), foreground: clean(f.evidence.foreground)},
	};
}

/** The report object, in the stable JSON shape. */
export function buildReport(s: SessionSnapshot, meta: ReportMeta) {
	return {
		tool: {name: 'tattle', version: meta.version},
		schema: SCHEMA_VERSION,
		input: cleanStrings(meta.input),
		device: s.device ? cleanStrings(s.device) : null,
		stats: {
			packets: s.stats.packets,
			bytes: s.stats.bytes,
			logLines: s.stats.logLines,
			malformed: s.stats.malformed,
			dropped: s.stats.dropped,
			firstTs: s.stats.firstTs ?? null,
			lastTs: s.stats.lastTs ?? null,
			problems: s.stats.problems,
			// Only when the destination table was full: what its evictions took out of `destinations`.
			...(s.stats.evicted ? {evicted: s.stats.evicted} : {}),
		},
		destinations: s.destinations.map(destinationEntry),
		categories: s.categories,
		flags: s.flags.map(cleanFlag),
		apps: s.apps.map((a) => ({...a, package: clean(a.package)!})),
		sources: s.sources.map((x) => ({...x, detail: clean(x.detail)})),
		// TLS decryption: key log lines read (good and bad), DSBs, connections read and why others were not.
		tls: s.tls
			? {
					...s.tls,
					badKeyLogSamples: s.tls.badKeyLogSamples.map((x) => clean(x)!),
					reasons: Object.fromEntries(Object.entries(s.tls.reasons).map(([k, v]) => [clean(k)!, v])),
				}
			: null,
		// Incognito windows (capped per browser in classify/incognito.ts); `to` null while one lasts.
		incognitoWindows: (s.incognitoWindows ?? []).map((w) => ({
			app: clean(w.pkg)!,
			from: w.start,
			to: w.end ?? null,
			signal: w.signal,
			endedBy: w.endedBy ?? null,
			logLine: w.logLine ?? null,
		})),
		// Bytes out per time bucket for at most TIMELINE_ROWS destinations (ingest/upload-timeline.ts).
		uploadTimeline: s.uploads ? {...s.uploads, rows: s.uploads.rows.map((r) => ({host: clean(r.host)!, bytesOut: r.bytesOut}))} : null,
	};
}

/**
 * ISO 8601 time of an epoch-seconds stamp; '' when absent or past what a Date holds (+-8.64e12 s):
 * a pcapng's if_tsoffset or if_tsresol can put a packet there, and toISOString would throw.
 */
function iso(ts: number | null | undefined): string {
	if (ts === undefined || ts === null) return '';
	const d = new Date(ts * 1000);
	return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/**
 * Markdown escapes: HTML's three (many viewers render raw HTML, so `<script>` must stay text),
 * the table's `|`, the backslash itself, and every character that opens inline markup (code,
 * links, emphasis). One regex pass, so an escape added is never escaped again.
 */
const MARKDOWN_ESCAPES: Readonly<Record<string, string>> = {
	'\\': '\\\\',
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'|': '\\|',
	'`': '\\`',
	'[': '\\[',
	']': '\\]',
	'*': '\\*',
	_: '\\_',
};

/**
 * An untrusted value as Markdown text, safe in a table cell or a list item: control characters
 * and line breaks gone (sanitize makes them one space), markup escaped, length capped.
 */
export function markdownText(v: unknown): string {
	return sanitize(String(v ?? ''), MAX_FIELD).replace(/[\\&<>|`[\]*_]/g, (c) => MARKDOWN_ESCAPES[c]!);
}

const cell = markdownText;

/** The Markdown report, for people, line by line (without their newlines). Every string goes through `cell`. */
function* markdownLines(r: Report): Generator<string> {
	yield* [`# tattle report`, ''];
	yield `- tool: tattle ${cell(r.tool.version)}`;
	for (const [k, v] of Object.entries(r.input)) if (v !== undefined && v !== null) yield `- ${cell(k)}: ${cell(v)}`;
	if (r.device) yield `- device: ${cell([r.device.manufacturer, r.device.model, r.device.serial].filter(Boolean).join(' '))}`;
	const st = r.stats;
	yield `- packets: ${st.packets}, bytes: ${st.bytes}, log lines: ${st.logLines}, malformed: ${st.malformed}, dropped: ${st.dropped}`;
	yield `- time: ${iso(st.firstTs)} .. ${iso(st.lastTs)}`;
	const ev = st.evicted;
	if (ev) yield `- evicted for room (not in the destinations below): ${ev.destinations} destinations, packets: ${ev.packets}, bytes out: ${ev.bytesOut}, bytes in: ${ev.bytesIn}`;
	if (r.tls) {
		const t = r.tls;
		yield `- TLS: ${t.read} connection(s) decrypted, ${t.noKeys} without keys, ${t.stopped} stopped; key log: ${t.keyLogLines} line(s) used, ${t.badKeyLogLines} bad; ${t.secretsBlocks} secrets block(s)`;
		for (const [why, n] of Object.entries(t.reasons)) yield `  - not read (${n}): ${cell(why)}`;
	}
	yield '';
	yield* [`## Flags (${r.flags.length})`, ''];
	if (r.flags.length === 0) yield 'No flags raised.';
	else {
		yield* ['| time | kind | severity | app | host | summary | packets | log lines |', '|---|---|---|---|---|---|---|---|'];
		for (const f of r.flags) {
			yield `| ${iso(f.ts)} | ${cell(f.kind)} | ${cell(f.severity)} | ${cell(f.app)} | ${cell(f.host)} | ${cell(f.summary)} | ${f.evidence.packets.slice(0, 10).join(' ')} | ${f.evidence.logLines.slice(0, 10).join(' ')} |`;
		}
		yield '';
		// Escaped text, not a code span: a code span shows `&lt;` as is, and a backtick in the excerpt would end it.
		for (const f of r.flags) if (f.evidence.excerpt) yield `- ${cell(f.kind)} ${cell(f.host)}: ${cell(f.evidence.excerpt)}`;
	}
	yield* ['', `## Categories`, '', '| category | destinations | packets | bytes out | bytes in |', '|---|---|---|---|---|'];
	for (const c of r.categories) yield `| ${cell(c.category)} | ${c.destinations} | ${c.packets} | ${c.bytesOut} | ${c.bytesIn} |`;
	// With --baseline, a column says which destinations the baseline run never saw.
	const baseline = r.destinations.some((d) => d.new !== undefined);
	const fresh = r.destinations.filter((d) => d.new).length;
	yield* ['', `## Destinations (${r.destinations.length}${baseline ? `, ${fresh} new against the baseline` : ''})`, ''];
	yield* [`| host | owner | category | country | AS | apps | packets | bytes out | bytes in | via | payload |${baseline ? ' new |' : ''}`, `|---|---|---|---|---|---|---|---|---|---|---|${baseline ? '---|' : ''}`];
	for (const d of r.destinations) {
		const as = d.asn ? `AS${d.asn} ${d.asOrg ?? ''}`.trim() : '';
		yield `| ${cell(d.host)} | ${cell(d.owner)} | ${cell(d.category)} | ${cell(d.country)} | ${cell(as)} | ${cell(d.apps.join(' '))} | ${d.packets} | ${d.bytesOut} | ${d.bytesIn} | ${cell(d.via.join(' '))} | ${cell(d.payload)} |${baseline ? ` ${d.new ? 'new' : ''} |` : ''}`;
	}
	if (r.apps.length > 0) {
		yield* ['', '## Apps', '', '| package | uid | destinations | bytes out | bytes in |', '|---|---|---|---|---|'];
		for (const a of r.apps) yield `| ${cell(a.package)} | ${cell(a.uid)} | ${a.destinations} | ${a.bytesOut} | ${a.bytesIn} |`;
	}
}

/** Quotes a CSV field (RFC 4180) and defuses spreadsheet formulas. */
function csvField(v: unknown): string {
	let s = String(v ?? '');
	// A leading = + - @ (or tab, CR) starts a formula in spreadsheets; plain numbers stay numbers.
	if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
	return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The destinations table as CSV (one row per destination), the form spreadsheets read; line by line. */
function* csvLines(r: Report): Generator<string> {
	// With --baseline, a `new` column (true/false): not seen in the baseline run.
	const baseline = r.destinations.some((d) => d.new !== undefined);
	yield ['host', 'ips', 'owner', 'category', 'country', 'asn', 'asOrg', 'apps', 'packets', 'bytesOut', 'bytesIn', 'firstTs', 'lastTs', 'via', 'flags', 'payload', ...(baseline ? ['new'] : [])].join(',');
	for (const d of r.destinations) {
		yield [d.host, d.ips.join(' '), d.owner, d.category, d.country, d.asn, d.asOrg, d.apps.join(' '), d.packets, d.bytesOut, d.bytesIn, d.firstTs, d.lastTs, d.via.join(' '), d.flags, d.payload ?? '', ...(baseline ? [d.new === true] : [])]
			.map(csvField)
			.join(',');
	}
}

/** JSON.stringify(v, null, 2) for a value nested `depth` levels deep (its lines indented to match). */
function jsonAt(v: unknown, depth: number): string {
	const text = JSON.stringify(v, null, 2);
	// Raw newlines in JSON text are layout only: string values have theirs escaped.
	return depth === 0 ? text : text.replace(/\n/g, `\n${'  '.repeat(depth)}`);
}

/**
 * The JSON report in pieces, byte for byte `JSON.stringify(r, null, 2)`: the arrays that grow
 * with the capture (destinations, flags) go one element at a time, so no one string holds the
 * whole report (~10 MB, and as much again as UTF-8, at 17k destinations).
 */
function* jsonChunks(r: Report, destinations?: readonly DestinationSummary[]): Generator<string> {
	const keys = Object.keys(r) as Array<keyof Report>;
	const present = keys.filter((k) => r[k] !== undefined);
	yield '{';
	for (const [i, k] of present.entries()) {
		const v = r[k];
		yield `${i === 0 ? '' : ','}\n  ${JSON.stringify(k)}: `;
		// Given the snapshot's destinations, each entry is made as it is written, garbage right after.
		const lazy = k === 'destinations' && destinations !== undefined;
		const items: readonly unknown[] | undefined = lazy ? destinations : Array.isArray(v) ? v : undefined;
		if (items && items.length > 0) {
			yield '[';
			for (let j = 0; j < items.length; j++) yield `${j === 0 ? '' : ','}\n    ${jsonAt(lazy ? destinationEntry(items[j] as DestinationSummary) : items[j], 2)}`;
			yield '\n  ]';
		} else yield jsonAt(v, 1);
	}
	yield present.length > 0 ? '\n}\n' : '}\n';
}

/** The report for a file name by its extension (.md, .csv, .html, else JSON), in pieces. */
function* reportChunks(r: Report, file: string): Generator<string> {
	const format = reportFormat(file);
	if (format === 'md') for (const l of markdownLines(r)) yield `${l}\n`;
	else if (format === 'csv') for (const l of csvLines(r)) yield `${l}\n`;
	else if (format === 'html') yield* htmlChunks(r);
	else yield* jsonChunks(r);
}

/** The report's format for a file name: by its extension (.md, .csv, .html), else JSON. */
export function reportFormat(file: string): 'md' | 'csv' | 'html' | 'json' {
	const ext = /\.(md|csv|html)$/i.exec(file)?.[1]?.toLowerCase();
	return ext === 'md' || ext === 'csv' || ext === 'html' ? ext : 'json';
}

/** Serialises the report for a file name by its extension. */
export function renderReport(r: Report, file: string): string {
	return [...reportChunks(r, file)].join('');
}

/** Pieces are gathered into strings of about this many characters: one write each. */
export const REPORT_PIECE = 64 * 1024;

/**
 * The report in strings of about REPORT_PIECE characters, for the caller to write one by one:
 * a replay's report is never one string (renderReport, which joins them, is for small ones).
 */
export function* reportPieces(r: Report, file: string): Generator<string> {
	yield* gather(reportChunks(r, file));
}

/**
 * The JSON report of a snapshot in pieces, as reportPieces(buildReport(s, meta), file) would
 * write it, byte for byte; its destinations are made one at a time as they are written. At 17k
 * destinations holding them all was ~10 MB of heap at the replay's end, where its peak is.
 */
export function* jsonReportPieces(s: SessionSnapshot, meta: ReportMeta): Generator<string> {
	yield* gather(jsonChunks(buildReport({...s, destinations: []}, meta), s.destinations));
}

/** Chunks gathered into strings of about REPORT_PIECE characters. */
function* gather(chunks: Iterable<string>): Generator<string> {
	let pending = '';
	for (const chunk of chunks) {
		pending += chunk;
		if (pending.length >= REPORT_PIECE) {
			yield pending;
			pending = '';
		}
	}
	if (pending.length > 0) yield pending;
}
