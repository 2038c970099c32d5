/**
 * The HTML report: one self-contained page from the same report object as JSON, Markdown and
 * CSV (pure: report -> text, in pieces). Inline CSS, one small inline script (copy a Wireshark
 * filter) and inline SVG; a Content-Security-Policy forbids every request. Every string from the
 * phone is escaped with `esc` (text and quoted attributes) and isolated with <bdi dir="ltr"> so right-to-left
 * text cannot reorder what surrounds it; no untrusted string reaches a URL, a style or the script.
 */
import {browserWords, formatBytes, formatInteger} from '../lib/format.js';
import {REPORT_CSP, REPORT_CSS, REPORT_SCRIPT} from './html-assets.js';
import {barsBy, barsSvg, esc, isoTime, secondsWords, timelineSvg} from './html-charts.js';
import type {Report} from './report.js';

/** Destination rows in the table: past this the JSON report has the rest (a 17k-row page is unreadable). */
export const HTML_MAX_DESTINATIONS = 500;
/** Packet numbers in one flag's Wireshark filter: enough to find it, short enough to paste. */
const FILTER_MAX_PACKETS = 64;

type Flag = Report['flags'][number];

/**
 * Untrusted text, escaped and isolated for inline use. Left to right inside: host names, package
 * names and URLs read that way, and a name that starts with a Hebrew word must not be shown reversed.
 */
const u = (v: unknown): string => `<bdi dir="ltr">${esc(v)}</bdi>`;
/** A number cell. */
const num = (n: number): string => `<td class="n">${esc(formatInteger(n))}</td>`;
/** A bytes cell. */
const bytesCell = (n: number): string => `<td class="n">${esc(formatBytes(n))}</td>`;

/** The Wireshark display filter that shows a flag's packets, or '' when it has none. */
export function wiresharkFilter(packets: readonly number[]): string {
	const frames = [...new Set(packets.filter((p) => Number.isSafeInteger(p) && p > 0))].sort((a, b) => a - b).slice(0, FILTER_MAX_PACKETS);
	return frames.length === 0 ? '' : `frame.number in {${frames.join(' ')}}`;
}

/** The page in pieces: head and summary, then each flag and destination on its own. */
export function* htmlChunks(r: Report): Generator<string> {
	yield head(r);
	yield summary(r);
	yield timeline(r);
	yield `<section id="flags"><h2>Flags (${r.flags.length})</h2>\n`;
	if (r.flags.length === 0) yield '<p class="note">No flags raised.</p>\n';
	for (const [i, f] of r.flags.entries()) yield flagCard(f, i + 1, r);
	yield '</section>\n';
	yield where(r);
	yield tables(r);
	yield* destinations(r);
	yield `<footer>Written by tattle ${u(r.tool.version)}. This page loads nothing: its Content-Security-Policy forbids every request. Times are UTC; frame numbers are Wireshark's, log line numbers those of the logcat file.</footer>\n`;
	yield `<script>${REPORT_SCRIPT}</script>\n</body>\n</html>\n`;
}

function head(r: Report): string {
	const what = String(r.input.path ?? r.input.command ?? 'session');
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(REPORT_CSP)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tattle ${esc(r.tool.version)}">
<title>tattle report: ${esc(what)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header><h1>tattle report</h1>
<p class="sub">${subtitle(r)}</p>
<nav><a href="#summary">Summary</a><a href="#timeline">Timeline</a><a href="#flags">Flags</a><a href="#where">Countries and owners</a><a href="#apps">Apps</a><a href="#categories">Categories</a><a href="#destinations">Destinations</a></nav>
</header>
`;
}

function subtitle(r: Report): string {
	const parts: string[] = [];
	const input = Object.entries(r.input).filter(([, v]) => v !== undefined && v !== null && v !== '');
	if (input.length > 0) parts.push(input.map(([k, v]) => `${esc(k)}: ${u(typeof v === 'object' ? JSON.stringify(v) : v)}`).join(' · '));
	const d = r.device;
	if (d) {
		const name = [d.manufacturer, d.model].filter(Boolean).join(' ');
		parts.push(`device: ${u(name || 'unknown')}${d.serial ? ` (${u(d.serial)})` : ''}${d.android ? `, Android ${u(d.android)}` : ''}`);
	}
	const st = r.stats;
	if (st.firstTs !== null && st.lastTs !== null) parts.push(`${esc(isoTime(st.firstTs))} to ${esc(isoTime(st.lastTs))} (${esc(secondsWords(Math.max(0, st.lastTs - st.firstTs)))})`);
	return parts.join('<br>');
}

function card(value: string, label: string, alert = false): string {
	return `<div class="card${alert ? ' alert' : ''}"><b>${value}</b><span>${label}</span></div>`;
}

function summary(r: Report): string {
	const st = r.stats;
	const out = r.destinations.reduce((a, d) => a + d.bytesOut, 0);
	const high = r.flags.filter((f) => f.severity === 'high').length;
	const lost = st.malformed + st.dropped;
	const cards = [
		card(esc(formatInteger(r.flags.length)), `flags (${high} high)`, high > 0),
		card(esc(formatInteger(r.incognitoWindows.length)), 'incognito windows'),
		card(esc(formatInteger(r.destinations.length)), 'destinations'),
		card(esc(formatBytes(out)), 'sent by the phone'),
		card(esc(formatInteger(st.packets)), `packets (${esc(formatBytes(st.bytes))})`),
		card(esc(formatInteger(st.logLines)), 'log lines'),
		card(esc(formatInteger(lost)), `malformed + dropped`, lost > 0),
	];
	const facts: string[] = [];
	const problems = Object.entries(st.problems).map(([kind, n]) => `${u(kind)} ${esc(formatInteger(n))}`);
	if (problems.length > 0) facts.push(`<dt>counted problems</dt><dd>${problems.join(', ')}</dd>`);
	const ev = st.evicted;
	if (ev) facts.push(`<dt>evicted for room</dt><dd>${esc(formatInteger(ev.destinations))} destinations not listed: ${esc(formatInteger(ev.packets))} packets, ${esc(formatBytes(ev.bytesOut))} out, ${esc(formatBytes(ev.bytesIn))} in</dd>`);
	if (r.tls) {
		const t = r.tls;
		facts.push(`<dt>TLS</dt><dd>${t.read} connection(s) decrypted, ${t.noKeys} without keys, ${t.stopped} stopped; key log: ${t.keyLogLines} line(s) used, ${t.badKeyLogLines} bad; ${t.secretsBlocks} secrets block(s)</dd>`);
		for (const [why, n] of Object.entries(t.reasons)) facts.push(`<dt>not read (${esc(n)})</dt><dd>${u(why)}</dd>`);
	}
	for (const s of r.sources) facts.push(`<dt>source ${u(s.source)}</dt><dd>${u(s.state)}${s.detail ? `: ${u(s.detail)}` : ''}</dd>`);
	return `<section id="summary"><h2>Summary</h2>\n<div class="cards">${cards.join('')}</div>\n${facts.length > 0 ? `<dl class="facts">${facts.join('\n')}</dl>` : ''}</section>\n`;
}

function timeline(r: Report): string {
	const t = r.uploadTimeline;
	const sending = r.destinations.filter((d) => d.bytesOut > 0).length;
	const legend = t
		? `<div class="legend"><span><i class="swatch"></i>bytes sent per ${esc(secondsWords(t.bucketSeconds))}</span><span><i class="swatch flagged"></i>to a flagged destination</span><span><i class="swatch incog"></i>incognito window</span><span>◆ flag (click for its evidence)</span><span>time from ${esc(isoTime(t.start))}</span></div>`
		: '';
	const more = t && sending > t.rows.length ? `<p class="note">${t.rows.length} of ${sending} destinations that received data: flagged ones first, then by bytes sent.</p>` : '';
	const windows = r.incognitoWindows.map(
		(w, i) => `<tr data-window="${i}"><td>${u(browserWords(w.app))}</td><td class="nowrap">${esc(isoTime(w.from))}</td><td class="nowrap">${w.to === null ? 'still open' : esc(isoTime(w.to))}</td><td>${u(w.signal)}</td><td>${u(w.endedBy ?? '')}</td><td class="n">${w.logLine ?? ''}</td></tr>`,
	);
	const table =
		windows.length > 0
			? `<h3>Incognito windows</h3><table><thead><tr><th>browser</th><th>from</th><th>to</th><th>opened by</th><th>ended by</th><th class="n">log line</th></tr></thead><tbody>${windows.join('')}</tbody></table>`
			: '<p class="note">No incognito window in this session.</p>';
	return `<section id="timeline"><h2>Uploads over time</h2>\n${legend}\n<figure class="scroll">${timelineSvg(r)}</figure>\n${more}${table}</section>\n`;
}

function flagCard(f: Flag, n: number, r: Report): string {
	const facts: string[] = [`<dt>destination</dt><dd>${u(f.host)}</dd>`, `<dt>app</dt><dd>${f.app === null ? 'unknown (no capture metadata names it)' : u(f.app)}</dd>`];
	const e = f.evidence;
	if (e.foreground) facts.push(`<dt>in front</dt><dd>${u(e.foreground)} (timing, not attribution)</dd>`);
	if (e.incognitoSignal) facts.push(`<dt>incognito by</dt><dd>${u(e.incognitoSignal)}</dd>`);
	if (e.payload) facts.push(`<dt>payload</dt><dd>${u(e.payload)}${e.decrypted ? ', read from decrypted TLS' : ''}</dd>`);
	if (e.rule) facts.push(`<dt>rule</dt><dd>${u(e.rule)}</dd>`);
	if (f.count && f.count > 1) facts.push(`<dt>occurrences</dt><dd>${esc(f.count)}</dd>`);
	facts.push(`<dt>packets</dt><dd>${e.packets.length > 0 ? esc(e.packets.join(', ')) : 'none'}</dd>`);
	const logFile = typeof r.input.logcat === 'string' ? ` of ${u(r.input.logcat)}` : '';
	facts.push(`<dt>log lines</dt><dd>${e.logLines.length > 0 ? `${esc(e.logLines.join(', '))}${logFile}` : 'none'}</dd>`);
	const filter = wiresharkFilter(e.packets);
	const copy = filter
		? `<div class="filter">Wireshark filter: <code id="filter-${n}">${esc(filter)}</code><button type="button" data-copy="filter-${n}">Copy</button></div>`
		: '';
	const excerpt = e.excerpt ? `<pre class="excerpt">${esc(e.excerpt)}</pre>` : '';
	return (
		`<article class="flag sev-${esc(f.severity)}" id="flag-${n}" data-kind="${esc(f.kind)}">` +
		`<h3><span class="sev">${esc(f.severity)}</span>${esc(f.kind)}<time datetime="${esc(isoTime(f.ts))}">${esc(isoTime(f.ts))}</time></h3>` +
		`<p class="summary">${u(f.summary)}</p><dl class="facts">${facts.join('')}</dl>${excerpt}${copy}</article>\n`
	);
}

function where(r: Report): string {
	const countries = barsBy(r.destinations, (d) => d.country ?? 'unknown');
	const owners = barsBy(r.destinations, (d) => d.owner ?? 'unknown owner');
	return (
		`<section id="where"><h2>Countries and owners</h2><p class="note">Bytes sent, by the country of the destination's address (offline GeoIP) and by its owner (rules).</p>\n` +
		`<div class="two"><figure>${barsSvg(countries, 'Bytes sent by country', 'countries')}<figcaption>Countries</figcaption></figure>` +
		`<figure>${barsSvg(owners, 'Bytes sent by owner', 'owners')}<figcaption>Owners</figcaption></figure></div></section>\n`
	);
}

function tables(r: Report): string {
	const apps =
		r.apps.length === 0
			? '<p class="note">No app attribution in this capture (PCAPdroid captures carry it; the destinations table names the app in front when logcat had it).</p>'
			: `<table><thead><tr><th>package</th><th class="n">uid</th><th class="n">destinations</th><th class="n">sent</th><th class="n">received</th></tr></thead><tbody>${r.apps
					.map((a) => `<tr><td>${u(a.package)}</td><td class="n">${u(a.uid ?? '')}</td>${num(a.destinations)}${bytesCell(a.bytesOut)}${bytesCell(a.bytesIn)}</tr>`)
					.join('')}</tbody></table>`;
	const cats = `<table><thead><tr><th>category</th><th class="n">destinations</th><th class="n">packets</th><th class="n">sent</th><th class="n">received</th></tr></thead><tbody>${r.categories
		.map((c) => `<tr><td>${u(c.category)}</td>${num(c.destinations)}${num(c.packets)}${bytesCell(c.bytesOut)}${bytesCell(c.bytesIn)}</tr>`)
		.join('')}</tbody></table>`;
	return `<section id="apps"><h2>Apps (${r.apps.length})</h2>${apps}</section>\n<section id="categories"><h2>Categories</h2>${cats}</section>\n`;
}

function* destinations(r: Report): Generator<string> {
	const shown = r.destinations.slice(0, HTML_MAX_DESTINATIONS);
	yield `<section id="destinations"><h2>Destinations (${r.destinations.length})</h2>\n`;
	if (shown.length < r.destinations.length) yield `<p class="note">The ${shown.length} with the most traffic; the JSON report has all ${r.destinations.length}.</p>\n`;
	yield '<div class="scroll"><table><colgroup><col class="host"><col class="owner"><col class="cat"><col class="geo"><col class="apps"><col class="num"><col class="num"><col class="num"><col class="read"><col class="few"></colgroup><thead><tr><th>host</th><th>owner</th><th>category</th><th>country, AS</th><th>apps</th><th class="n">packets</th><th class="n">sent</th><th class="n">received</th><th>read</th><th class="n">flags</th></tr></thead><tbody>\n';
	for (const d of shown) {
		const as = d.asn ? `AS${d.asn} ${d.asOrg ?? ''}`.trim() : (d.asOrg ?? '');
		const apps = [...d.apps, ...d.foreground.filter((a) => !d.apps.includes(a)).map((a) => `${a} (in front)`)];
		yield `<tr><td>${u(d.host)}</td><td>${u(d.owner ?? '')}</td><td>${u(d.category)}</td><td>${u([d.country, as].filter(Boolean).join(', '))}</td><td>${u(apps.join(', '))}</td>${num(d.packets)}${bytesCell(d.bytesOut)}${bytesCell(d.bytesIn)}<td>${u(d.payload ?? '')}</td>${num(d.flags)}</tr>\n`;
	}
	yield '</tbody></table></div></section>\n';
}
