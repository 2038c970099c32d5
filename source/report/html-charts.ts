/**
 * The HTML report's charts as inline SVG strings (pure: report data -> markup): the uploads
 * timeline (a row per destination, incognito windows shaded, flags marked) and horizontal bars
 * (countries, owners). Sizes are SVG attributes, never style attributes, so the page's CSP holds;
 * every untrusted string goes through `esc`.
 */
import {browserWords, formatBytes} from '../lib/format.js';
import {sanitize, truncateMiddle} from '../lib/sanitize.js';
import type {Report} from './report.js';

/** Longest string one field of the page shows (the report caps its strings at 2,048 already). */
const HTML_FIELD_MAX = 4096;

/**
 * Text for HTML content and double- or single-quoted attributes (SVG is parsed as HTML here):
 * sanitised again, whatever the report did (controls, bidi overrides, escape sequences out), then
 * the five characters that could end text or an attribute written as numeric entities.
 */
export function esc(v: unknown): string {
	return sanitize(String(v ?? ''), HTML_FIELD_MAX).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** ISO time of epoch seconds, '' when it is not a time a Date holds. */
export function isoTime(ts: number | null | undefined): string {
	if (ts === null || ts === undefined || !Number.isFinite(ts)) return '';
	const d = new Date(ts * 1000);
	return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** Seconds in words: "0.25 s", "45 s", "1 min", "2.5 min", "1.5 h", "3 d". */
export function secondsWords(s: number): string {
	if (!Number.isFinite(s)) return '?';
	if (s < 1) return `${Number(s.toPrecision(2))} s`;
	if (s < 60) return `${Number(s.toFixed(s < 10 ? 1 : 0))} s`;
	if (s < 7200) return `${Number((s / 60).toFixed(1))} min`;
	if (s < 172_800) return `${Number((s / 3600).toFixed(1))} h`;
	return `${Number((s / 86_400).toFixed(1))} d`;
}

/** Tick steps in seconds: the first that gives at most MAX_TICKS ticks is used. */
const TICK_STEPS = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];
/** Ticks on the time axis: one every ~120 px of a 900 px chart. */
const MAX_TICKS = 8;

/** Timeline geometry (SVG user units; the SVG scales to the page width). */
const W = 1180;
const LABEL_W = 290;
const X0 = LABEL_W + 10;
const X1 = W - 14;
const AXIS_H = 26;
const FLAG_LANE_H = 22;
const ROW_H = 26;
/** Tallest bar: the bottom of a row, below its flag markers. */
const BAR_H = 16;
/** Host labels are cut to this many columns (the full name is in the tooltip). */
const LABEL_COLUMNS = 40;

type Flag = Report['flags'][number];

/**
 * The uploads timeline: time runs left to right over the grid's span; a row per destination in
 * `r.uploadTimeline`, bar height the square root of the bucket's share of the biggest bucket (so a
 * 300-byte beacon stays visible next to a 2 MB upload); incognito windows as shaded bands across
 * every row; each flag a diamond on its destination's row (or the top lane), linking to its card.
 */
export function timelineSvg(r: Report): string {
	const t = r.uploadTimeline;
	if (!t || t.rows.length === 0) return '<p class="note">No uploads in this session: nothing to draw.</p>';
	const bins = Math.max(1, ...t.rows.map((row) => row.bytesOut.length));
	const span = bins * t.bucketSeconds;
	const x = (ts: number): number => {
		const at = ts - t.start;
		return Number.isFinite(at) ? X0 + (Math.min(Math.max(at, 0), span) / span) * (X1 - X0) : X0;
	};
	// Host names are case-insensitive: destinations are kept in lower case, a flag quotes the name as sent.
	const rowIndex = new Map(t.rows.map((row, i) => [row.host.toLowerCase(), i]));
	const flagged = new Set(r.flags.map((f) => f.host.toLowerCase()));
	const height = AXIS_H + FLAG_LANE_H + t.rows.length * ROW_H + 6;
	const out: string[] = [`<svg viewBox="0 0 ${W} ${height}" role="img" aria-labelledby="timeline-title" data-bins="${bins}">`, `<title id="timeline-title">Bytes sent per destination over time</title>`];

	const step = TICK_STEPS.find((s) => span / s <= MAX_TICKS) ?? span / MAX_TICKS;
	for (let s = 0; s <= span + 1e-9; s += step) {
		const xs = x(t.start + s).toFixed(1);
		out.push(`<line class="grid" x1="${xs}" x2="${xs}" y1="${AXIS_H - 6}" y2="${height - 4}"/><text class="muted" x="${xs}" y="${AXIS_H - 10}" text-anchor="middle">+${esc(secondsWords(s))}</text>`);
	}

	const bottom = height - 4;
	for (const [i, w] of r.incognitoWindows.entries()) {
		const from = x(w.from);
		const to = x(w.to ?? t.start + span);
		const tip = `incognito: ${browserWords(w.app)} from ${isoTime(w.from)} to ${w.to === null ? 'the end' : isoTime(w.to)} (${w.signal})`;
		out.push(
			`<g class="incognito-window" data-window="${i}"><title>${esc(tip)}</title><rect class="incog" x="${from.toFixed(1)}" y="${AXIS_H - 6}" width="${Math.max(2, to - from).toFixed(1)}" height="${bottom - AXIS_H + 6}"/>` +
				`<line class="incog-edge" x1="${from.toFixed(1)}" x2="${from.toFixed(1)}" y1="${AXIS_H - 6}" y2="${bottom}"/></g>`,
		);
	}

	const laneY = AXIS_H + FLAG_LANE_H / 2;
	out.push(`<text class="muted" x="${LABEL_W}" y="${laneY + 4}" text-anchor="end">flags</text>`);
	const max = Math.max(1, ...t.rows.flatMap((row) => row.bytesOut));
	const bw = (X1 - X0) / bins;
	for (const [i, row] of t.rows.entries()) {
		const top = AXIS_H + FLAG_LANE_H + i * ROW_H;
		const hot = flagged.has(row.host.toLowerCase());
		const total = row.bytesOut.reduce((a, b) => a + b, 0);
		out.push(`<g class="row" data-host="${esc(row.host)}"><title>${esc(`${row.host}: ${formatBytes(total)} sent`)}</title>`);
		out.push(`<text x="${LABEL_W}" y="${top + ROW_H - 7}" text-anchor="end">${esc(truncateMiddle(row.host, LABEL_COLUMNS))}</text>`);
		out.push(`<line class="grid" x1="${X0}" x2="${X1}" y1="${top + ROW_H - 1}" y2="${top + ROW_H - 1}"/>`);
		for (const [b, bytes] of row.bytesOut.entries()) {
			if (bytes <= 0) continue;
			const h = Math.max(2, Math.sqrt(bytes / max) * BAR_H);
			out.push(`<rect class="bar${hot ? ' flagged' : ''}" x="${(X0 + b * bw).toFixed(1)}" y="${(top + ROW_H - 1 - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}"/>`);
		}
		out.push('</g>');
	}

	for (const [n, f] of r.flags.entries()) {
		const row = rowIndex.get(f.host.toLowerCase());
		const cy = row === undefined ? laneY : AXIS_H + FLAG_LANE_H + row * ROW_H + 6;
		out.push(`<a href="#flag-${n + 1}" class="flag-mark" data-flag="${n + 1}"><title>${esc(`${f.severity} ${f.kind} ${f.host} at ${isoTime(f.ts)}`)}</title>${diamond(x(f.ts), cy, f.severity)}</a>`);
	}

	out.push('</svg>');
	return out.join('\n');
}

/** A flag marker: a diamond in its severity's colour. */
function diamond(cx: number, cy: number, severity: string): string {
	const r = 5;
	const pts = [
		[cx, cy - r],
		[cx + r, cy],
		[cx, cy + r],
		[cx - r, cy],
	].map(([a, b]) => `${a!.toFixed(1)},${b!.toFixed(1)}`);
	return `<polygon class="sev-${esc(severity)}" points="${pts.join(' ')}"/>`;
}

/** One bar of a bar chart: a label, bytes sent, and how many destinations. */
type Bar = {label: string; bytes: number; destinations: number};

/** Bars kept in a chart; the rest are summed into one "other" bar. */
const MAX_BARS = 12;

/** Sums bytes out and destinations by a key of each destination, biggest first, the tail as "others". */
export function barsBy(destinations: Report['destinations'], key: (d: Report['destinations'][number]) => string): Bar[] {
	const by = new Map<string, Bar>();
	for (const d of destinations) {
		const label = key(d);
		const bar = by.get(label) ?? {label, bytes: 0, destinations: 0};
		bar.bytes += d.bytesOut;
		bar.destinations++;
		by.set(label, bar);
	}
	const all = [...by.values()].sort((a, b) => b.bytes - a.bytes || b.destinations - a.destinations || a.label.localeCompare(b.label));
	if (all.length <= MAX_BARS) return all;
	const rest = all.slice(MAX_BARS - 1);
	const other = {label: `${rest.length} others`, bytes: rest.reduce((a, b) => a + b.bytes, 0), destinations: rest.reduce((a, b) => a + b.destinations, 0)};
	return [...all.slice(0, MAX_BARS - 1), other];
}

/** Horizontal bars, one per entry, length by bytes sent; the figure says what is measured. */
export function barsSvg(bars: Bar[], title: string, id: string): string {
	if (bars.length === 0) return `<p class="note">No destinations.</p>`;
	const width = 580;
	const label = 190;
	const barMax = 250;
	const rowH = 22;
	const max = Math.max(1, ...bars.map((b) => b.bytes));
	const out = [`<svg viewBox="0 0 ${width} ${bars.length * rowH + 4}" role="img" aria-labelledby="${id}-title" id="${id}">`, `<title id="${id}-title">${esc(title)}</title>`];
	for (const [i, b] of bars.entries()) {
		const y = i * rowH + 2;
		const len = b.bytes > 0 ? Math.max(2, (b.bytes / max) * barMax) : 0;
		out.push(
			`<g class="bar-row"><title>${esc(`${b.label}: ${formatBytes(b.bytes)} sent to ${b.destinations} destination(s)`)}</title>` +
				`<text x="${label - 8}" y="${y + 15}" text-anchor="end">${esc(truncateMiddle(b.label, 26))}</text>` +
				`<rect class="hbar" x="${label}" y="${y + 3}" width="${len.toFixed(1)}" height="${rowH - 8}"/>` +
				`<text class="muted" x="${(label + len + 6).toFixed(1)}" y="${y + 15}">${esc(`${formatBytes(b.bytes)} · ${b.destinations} dest.`)}</text></g>`,
		);
	}
	out.push('</svg>');
	return out.join('\n');
}
