/**
 * The HTML report without a browser: its structure (CSP first, one style and one script allowed
 * by hash), the demo through the CLI (every flag with its evidence and filter, the timeline's
 * rows, the incognito window), the caps, and arbitrary hostile strings read back strictly.
 */
import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {HTML_MAX_DESTINATIONS, wiresharkFilter} from '../../source/report/html.js';
import {REPORT_CSS, REPORT_SCRIPT} from '../../source/report/html-assets.js';
import {buildReport, renderReport, reportPieces} from '../../source/report/report.js';
import {sanitize} from '../../source/lib/sanitize.js';
import type {DestinationSummary, Flag, SessionSnapshot} from '../../source/types.js';
import {tattle} from '../helpers/cli.js';
import {repoRoot} from '../helpers/corpus.js';
import {fuzzOptions} from '../fuzz/fuzz-options.js';
import {cspHash, scanHtml} from './html-scan.js';

function dest(host: string, over: Partial<DestinationSummary> = {}): DestinationSummary {
	return {host, ips: ['1.2.3.4'], category: 'unknown', apps: [], packets: 1, bytesOut: 10, bytesIn: 0, firstTs: 1, lastTs: 1, via: ['dns'], evidencePackets: [1], flags: 0, ...over} as DestinationSummary;
}

function snapshot(texts: string[], n = texts.length): SessionSnapshot {
	const flags: Flag[] = texts.map((t, i) => ({kind: 'url-leak', severity: 'low', ts: 100 + i, host: t, app: t, summary: t, evidence: {packets: [i + 1, 3], logLines: [2], excerpt: t, rule: t, foreground: t}}));
	return {
		stats: {packets: 1, bytes: 1, logLines: 0, malformed: 1, dropped: 2, firstTs: 100, lastTs: 110, problems: {[texts[0] ?? 'x']: 1}},
		destinations: Array.from({length: n}, (_, i) => dest(texts[i % texts.length]!, {owner: texts[i % texts.length], country: texts[0], asOrg: texts[0], apps: [texts[0]!]})),
		categories: [],
		flags,
		apps: texts.map((t) => ({package: t, uid: t, destinations: 1, bytesOut: 1, bytesIn: 0})),
		sources: [{source: texts[0] ?? 's', state: 'eof', detail: texts[0]}],
		timeline: [],
		incognito: [],
		device: {model: texts[0] ?? '', manufacturer: texts[1] ?? '', serial: texts[2] ?? ''},
		incognitoWindows: [{pkg: texts[0] ?? 'p', start: 101, end: 105, signal: 'marker'}],
		uploads: {start: 100, bucketSeconds: 0.125, rows: texts.map((t) => ({host: t, bytesOut: [0, 5, 0, 7]}))},
	} as unknown as SessionSnapshot;
}

describe('HTML report', () => {
	it('Wireshark filter: frame numbers, sorted, deduplicated, capped; none for a flag without packets', () => {
		expect(wiresharkFilter([243, 132, 132])).toBe('frame.number in {132 243}');
		expect(wiresharkFilter([])).toBe('');
		expect(wiresharkFilter([0, -1, 1.5, Number.NaN])).toBe('');
		expect(wiresharkFilter(Array.from({length: 100}, (_, i) => i + 1)).split(' ')).toHaveLength(3 + 63);
	});

	it('the policy comes first and allows exactly the page\'s one style and one script, by hash, and nothing else', () => {
		const html = renderReport(buildReport(snapshot(['a.example']), {version: 't', input: {path: 'p'}}), 'r.html');
		const scan = scanHtml(html);
		expect(scan.problems).toEqual([]);
		expect(scan.styles).toEqual([REPORT_CSS]);
		expect(scan.scripts).toEqual([REPORT_SCRIPT]);
		expect(scan.csp).toBe(`default-src 'none'; style-src ${cspHash(REPORT_CSS)}; script-src ${cspHash(REPORT_SCRIPT)}; base-uri 'none'; form-action 'none'`);
		expect(html.startsWith('<!doctype html>')).toBe(true);
	});

	it('an empty session (no packet, no flag, no window) still makes a whole page that says so', () => {
		const empty = {stats: {packets: 0, bytes: 0, logLines: 0, malformed: 0, dropped: 0, problems: {}}, destinations: [], categories: [], flags: [], apps: [], sources: [], timeline: [], incognito: []} as unknown as SessionSnapshot;
		const html = renderReport(buildReport(empty, {version: 't', input: {command: 'replay'}}), 'r.html');
		expect(scanHtml(html).problems).toEqual([]);
		for (const said of ['No uploads in this session', 'No flags raised.', 'No incognito window in this session.', 'No app attribution', 'No destinations.']) expect(html).toContain(said);
		expect(html.trimEnd().endsWith('</html>')).toBe(true);
	});

	it('goes out in pieces like the other formats; destinations past the cap are left to the JSON report, and it says so', () => {
		const r = buildReport(snapshot(['h.example'], HTML_MAX_DESTINATIONS + 50), {version: 't', input: {}});
		const pieces = [...reportPieces(r, 'r.html')];
		expect(pieces.join('')).toBe(renderReport(r, 'R.HTML'));
		const html = pieces.join('');
		expect(html.match(/<tr><td><bdi dir="ltr">h\.example<\/bdi><\/td><td><bdi dir="ltr">h\.example/g)).toHaveLength(HTML_MAX_DESTINATIONS);
		expect(html).toContain(`The ${HTML_MAX_DESTINATIONS} with the most traffic; the JSON report has all ${HTML_MAX_DESTINATIONS + 50}.`);
	});

	it('timeline: a flag marks its destination\'s row (host names compared without case), others the top lane; windows clipped to the chart', () => {
		const snap = snapshot(['a.example', 'b.example']);
		snap.flags[0]!.host = 'A.Example';
		snap.flags[1]!.host = 'elsewhere.example';
		snap.incognitoWindows = [{pkg: 'browser', start: 50, end: 1000, signal: 'marker'}];
		const html = renderReport(buildReport(snap, {version: 't', input: {}}), 'r.html');
		const marks = [...html.matchAll(/data-flag="(\d)"><title>[^<]*<\/title><polygon class="sev-low" points="[\d.]+,([\d.]+) /g)].map((m) => [m[1], Number(m[2])]);
		// Diamonds 5 units tall: on row 0 (top 26+22, +6 down) and in the flag lane (centre 26+11).
		expect(marks).toEqual([
			['1', 26 + 22 + 6 - 5],
			['2', 26 + 11 - 5],
		]);
		expect(html).toContain('<rect class="bar flagged"');
		expect(html).toMatch(/<title>incognito: the browser in front from 1970-01-01T00:00:50\.000Z to 1970-01-01T00:16:40\.000Z \(marker\)<\/title><rect class="incog" x="300\.0" y="20" width="866\.0"/);
	});

	const {seed, numRuns} = fuzzOptions(200);
	const hostileText = fc.string({
		unit: fc.oneof(
			{weight: 3, arbitrary: fc.constantFrom('<', '>', '&', '"', "'", '`', '=', '/', ' ', '\u202e', '\u2066', '\u001b', '\n', '\u05d0', '&#60;', '&lt;')},
			{weight: 1, arbitrary: fc.constantFrom('<script>', '</script>', 'javascript:', ' onerror=', '<svg onload=x>', '</style>', '<!--', ']]>', 'href="#x"')},
			{weight: 2, arbitrary: fc.string({unit: 'grapheme', maxLength: 1})},
		),
		maxLength: 40,
	});
	it('arbitrary strings in every field: no tag or attribute the report does not write, and the text reads back', () => {
		fc.assert(
			fc.property(fc.array(hostileText, {minLength: 1, maxLength: 5}), (texts) => {
				const html = renderReport(buildReport(snapshot(texts), {version: 't', input: {path: texts[0], logcat: texts.at(-1)}}), 'r.html');
				const scan = scanHtml(html);
				expect(scan.problems).toEqual([]);
				expect(scan.scripts).toEqual([REPORT_SCRIPT]);
				expect(scan.styles).toEqual([REPORT_CSS]);
				expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u202a-\u202e\u2066-\u2069]/);
				// The summary of each flag reads back as sanitize left it.
				for (const t of texts) expect(scan.text).toContain(sanitize(t, 2048));
			}),
			{seed, numRuns: Math.max(20, Math.floor(numRuns / 4))},
		);
	});

	it('the demo through the CLI: every flag with its evidence and filter, a timeline row per destination sent to, the incognito window shaded', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'tattle-html-'));
		const [html, json] = [path.join(dir, 'r.html'), path.join(dir, 'r.json')];
		const run = await tattle(['replay', path.join(repoRoot, 'captures/incognito-leak'), '--speed', 'max', '--report', html, '--report', json]);
		expect(run.code, run.stderr).toBe(0);
		expect(run.stderr).toBe('');
		const page = readFileSync(html, 'utf8');
		const r = JSON.parse(readFileSync(json, 'utf8')) as ReturnType<typeof buildReport>;
		expect(scanHtml(page).problems).toEqual([]);
		expect(r.flags.length).toBeGreaterThan(5);
		const cards = [...page.matchAll(/<article class="flag sev-(\w+)" id="flag-(\d+)" data-kind="([\w-]+)">/g)];
		expect(cards.map((m) => [m[1], m[3]])).toEqual(r.flags.map((f) => [f.severity, f.kind]));
		for (const [i, f] of r.flags.entries()) {
			expect(page).toContain(`<code id="filter-${i + 1}">${wiresharkFilter(f.evidence.packets)}</code><button type="button" data-copy="filter-${i + 1}">Copy</button>`);
			expect(page).toContain(`<a href="#flag-${i + 1}" class="flag-mark" data-flag="${i + 1}">`);
		}
		// The timeline: one row per destination that was sent anything, its buckets adding up to its bytes out.
		const t = r.uploadTimeline!;
		const sent = r.destinations.filter((d) => d.bytesOut > 0);
		expect(t.rows.map((x) => x.host).sort()).toEqual(sent.map((d) => d.host).sort());
		for (const row of t.rows) expect(row.bytesOut.reduce((a, b) => a + b, 0)).toBe(sent.find((d) => d.host === row.host)!.bytesOut);
		// Flagged destinations first.
		const flagged = new Set(r.flags.map((f) => f.host));
		expect(t.rows.slice(0, flagged.size).every((x) => flagged.has(x.host))).toBe(true);
		for (const row of t.rows) expect(page).toContain(`<g class="row" data-host="${row.host}">`);
		expect(r.incognitoWindows).toEqual([expect.objectContaining({app: 'com.mi.globalbrowser', signal: 'secure-window', logLine: 25})]);
		expect(page).toContain('<g class="incognito-window" data-window="0">');
		expect(page).toMatch(/<td><bdi dir="ltr">com\.mi\.globalbrowser<\/bdi><\/td><td class="nowrap">2026-11-23T19:36:50\.597Z<\/td>/);
	});
});
