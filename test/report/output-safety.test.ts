/**
 * Output safety beyond the terminal: every untrusted string gets its format's escaping. One
 * capture full of HTML/JS/Markdown/CSV injection (DNS names, an HTTP Host and body, PCAPdroid app
 * names, device facts, the input path) goes through the built CLI into every report format and
 * NDJSON; then each output is read back the way its consumer would read it (the HTML report also
 * in a real browser: html-browser.test.ts).
 */
import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {buildReport, markdownText, renderReport} from '../../source/report/report.js';
import {sanitize} from '../../source/lib/sanitize.js';
import type {DestinationSummary, Flag, SessionSnapshot} from '../../source/types.js';
import {tattle} from '../helpers/cli.js';
import {parseCsv} from '../helpers/csv.js';
import {fuzzOptions} from '../fuzz/fuzz-options.js';
import {REPORT_CSS, REPORT_SCRIPT} from '../../source/report/html-assets.js';
import {scanHtml} from './html-scan.js';
import {DEVICE, HOSTILE_HOST, HOSTILE_NAMES, HOSTILE_PACKAGE, hostileBundle, PAGE_BREAKERS} from './hostile-capture.js';

/** GFM cell splitting: a backslash escapes the next character, an unescaped `|` separates. */
function splitRow(line: string): string[] {
	const cells: string[] = [];
	let cur = '';
	for (let i = 0; i < line.length; i++) {
		const c = line[i]!;
		if (c === '\\' && i + 1 < line.length) {
			cur += c + line[i + 1];
			i++;
		} else if (c === '|') {
			cells.push(cur);
			cur = '';
		} else cur += c;
	}
	cells.push(cur);
	// A row starts and ends with a pipe: drop the empty outer pieces.
	return cells.slice(1, -1);
}

/** Markup characters left unescaped in a line (table pipes are the caller's business). */
function unescapedMarkup(line: string): string[] {
	const found: string[] = [];
	for (let i = 0; i < line.length; i++) {
		const c = line[i]!;
		if (c === '\\') i++;
		else if ('`[]*_<>'.includes(c)) found.push(c);
		else if (c === '&' && !/^&(?:amp|lt|gt);/.test(line.slice(i))) found.push(c);
	}
	return found;
}

/** The text a Markdown reader sees: backslash escapes and the three entities undone. */
function markdownToText(md: string): string {
	return md
		.replace(/\\(.)/g, '$1')
		.replace(/&lt;/g, '<')
		.replace(/&gt;/g, '>')
		.replace(/&amp;/g, '&');
}

const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;
/** What a spreadsheet would run as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** The form DNS names take in NDJSON: control bytes in labels are written out as tshark does. */
const shown = (name: string): string => name.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
/** The form host names take in the report: as shown, and lower case (host names are case-insensitive). */
const host = (name: string): string => shown(name).toLowerCase();

describe('output safety: the hostile capture through every format', () => {
	const dir = mkdtempSync(path.join(tmpdir(), 'tattle-output-safety-'));
	const bundle = hostileBundle(dir);
	const out = {md: path.join(dir, 'r.md'), csv: path.join(dir, 'r.csv'), json: path.join(dir, 'r.json')};
	let run: Promise<{code: number; stdout: string; stderr: string}> | undefined;
	const replay = () => (run ??= tattle(['replay', bundle, '--report', out.md, '--report', out.csv, '--report', out.json, '--json']));

	it('the capture reaches the report: every hostile name, the Host, the app, a flag with an excerpt', async () => {
		const r = await replay();
		expect(r.code, r.stderr).toBe(0);
		const rep = JSON.parse(readFileSync(out.json, 'utf8')) as {
			destinations: Array<{host: string; apps: string[]}>;
			flags: Array<{host: string; summary: string; evidence: {excerpt?: string}}>;
			device: Record<string, string>;
			input: Record<string, unknown>;
		};
		const hosts = rep.destinations.map((d) => d.host);
		// JSON keeps the text: only JSON's own escaping, which JSON.parse undoes.
		for (const n of [...HOSTILE_NAMES, HOSTILE_HOST]) expect(hosts, n).toContain(host(n));
		expect(rep.destinations.flatMap((d) => d.apps)).toContain(HOSTILE_PACKAGE);
		expect(rep.device).toMatchObject(DEVICE);
		expect(JSON.stringify(rep.input)).toContain('<script>x<!-- |[l](javascript:z)|');
		const flag = rep.flags.find((f) => f.host === HOSTILE_HOST && f.evidence.excerpt?.includes('<script>alert(4)'));
		expect(flag, JSON.stringify(rep.flags)).toBeDefined();
	});

	it('Markdown: no raw HTML, no live link or code or emphasis, every table row has its header\'s columns; the text survives', async () => {
		expect((await replay()).code).toBe(0);
		const md = readFileSync(out.md, 'utf8');
		expect(md).not.toMatch(/<script|<img|<svg/i);
		expect(md).not.toMatch(/(?<!\\)\]\(javascript:/);
		const lines = md.split('\n');
		let header: number | undefined;
		let rows = 0;
		for (const line of lines) {
			if (!line.startsWith('|')) {
				header = undefined;
				continue;
			}
			const n = splitRow(line).length;
			header ??= n;
			expect(n, line).toBe(header);
			rows++;
		}
		// Header and separator of four tables, a flag, the destinations.
		expect(rows).toBeGreaterThan(HOSTILE_NAMES.length + 8);
		for (const line of lines) expect(unescapedMarkup(line), line).toEqual([]);
		const text = markdownToText(md);
		for (const n of [...HOSTILE_NAMES.map(host), host(HOSTILE_HOST), HOSTILE_HOST, HOSTILE_PACKAGE, DEVICE.model, DEVICE.serial]) expect(text, n).toContain(n);
		expect(text).toContain('<script>alert(4)</script>');
	});

	it('CSV: parses to the header\'s column count, no cell a spreadsheet would run; the text survives', async () => {
		expect((await replay()).code).toBe(0);
		const rows = parseCsv(readFileSync(out.csv, 'utf8'));
		const width = rows[0]!.length;
		expect(width).toBe(16);
		expect(rows.length).toBe(1 + HOSTILE_NAMES.length + PAGE_BREAKERS.length + 2);
		for (const row of rows) {
			expect(row, row.join(',')).toHaveLength(width);
			for (const cell of row) if (!PLAIN_NUMBER.test(cell)) expect(cell, cell).not.toMatch(FORMULA_START);
		}
		const hosts = rows.slice(1).map((r) => r[0]!.replace(/^'(?=[=+\-@\t\r])/, ''));
		for (const n of [...HOSTILE_NAMES, HOSTILE_HOST]) expect(hosts, n).toContain(host(n));
	});

	it('HTML: only the tags and attributes the report writes, its one script and style by hash, no control or bidi character; the text survives', async () => {
		const page = path.join(dir, 'r.html');
		// An incognito window over the POST: shaded on the timeline, among rows of hostile names.
		const r = await tattle(['replay', bundle, '--report', page, '--incognito', '1700000003..1700000040']);
		expect(r.code, r.stderr).toBe(0);
		const html = readFileSync(page, 'utf8');
		const scan = scanHtml(html);
		expect(scan.problems).toEqual([]);
		expect(scan.scripts).toEqual([REPORT_SCRIPT]);
		expect(scan.styles).toEqual([REPORT_CSS]);
		expect(scan.csp).toContain("default-src 'none'");
		expect(html).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
		for (const n of [...HOSTILE_NAMES.map(host), HOSTILE_HOST, HOSTILE_PACKAGE, DEVICE.model, DEVICE.serial, '<script>alert(4)</script>']) expect(scan.text, n).toContain(n);
		expect(scan.text).toContain(`${'a'.repeat(63)}.${'b'.repeat(63)}`);
		expect(scan.text).toContain('window.__tattlepwned=1');
		expect(html).toContain('<g class="incognito-window" data-window="0">');
		expect(html).toContain('<article class="flag sev-medium" id="flag-1" data-kind="cleartext-identifier">');
	});

	it('NDJSON: every line parses and keeps the text', async () => {
		const r = await replay();
		expect(r.code).toBe(0);
		const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as {type: string; query?: string; host?: string});
		const queries = events.filter((e) => e.type === 'dns').map((e) => e.query);
		for (const n of HOSTILE_NAMES) expect(queries, n).toContain(shown(n));
		expect(events.some((e) => e.type === 'http' && e.host === HOSTILE_HOST)).toBe(true);
	});
});

// ---------------------------------------------------------------------------------------------
// The escapers themselves, on arbitrary strings.

const {seed, numRuns} = fuzzOptions(200);

function dest(host: string, owner: string, apps: string[]): DestinationSummary {
	return {host, owner, ips: ['1.2.3.4'], category: 'unknown', apps, packets: 1, bytesOut: 1, bytesIn: 0, firstTs: 1, lastTs: 1, via: ['dns'], evidencePackets: [1], flags: 0} as unknown as DestinationSummary;
}

function snapshot(texts: string[]): SessionSnapshot {
	const flags: Flag[] = texts.map((t) => ({kind: 'url-leak', severity: 'low', ts: 1, host: t, app: t, summary: t, evidence: {packets: [1], logLines: [], excerpt: t}}));
	return {
		stats: {packets: 1, bytes: 1, logLines: 0, malformed: 0, dropped: 0, firstTs: 1, lastTs: 1, problems: {}},
		destinations: texts.map((t) => dest(t, t, [t, t])),
		categories: [],
		flags,
		apps: texts.map((t) => ({package: t, uid: t, destinations: 1, bytesOut: 1, bytesIn: 0})),
		sources: [],
		device: {model: texts[0] ?? '', manufacturer: texts[1] ?? '', serial: texts[2] ?? ''},
	} as unknown as SessionSnapshot;
}

/** Strings rich in what the formats care about. */
const hostileText = fc.string({
	unit: fc.oneof(
		{weight: 3, arbitrary: fc.constantFrom('<', '>', '&', '|', '`', '[', ']', '(', ')', '*', '_', '\\', '=', '+', '-', '@', '\t', '\r', '\n', '"', ',', "'", '\u2028', '\u001b', ' ')},
		{weight: 1, arbitrary: fc.constantFrom('javascript:', '<script>', '](', '&amp;', '\\|', '=HYPERLINK(', '```')},
		{weight: 2, arbitrary: fc.string({unit: 'grapheme', maxLength: 1})},
	),
	maxLength: 40,
});

describe('output safety: the escapers on arbitrary strings', () => {
	it('markdownText: one line, no unescaped markup or pipe, and the text comes back when unescaped', () => {
		fc.assert(
			fc.property(hostileText, (s) => {
				const m = markdownText(s);
				expect(m).not.toMatch(/[\r\n\u2028\u2029]/);
				expect(unescapedMarkup(m)).toEqual([]);
				expect(splitRow(`| ${m} |`)).toHaveLength(1);
				// Escaping loses nothing beyond what sanitize takes (controls, line breaks made one space).
				expect(markdownToText(m)).toBe(sanitize(s, 2048));
			}),
			{seed, numRuns},
		);
	});

	it('every report format, every field: Markdown tables keep their columns, CSV parses to 16 columns with no formula, JSON round-trips', () => {
		fc.assert(
			fc.property(fc.array(hostileText, {minLength: 1, maxLength: 6}), (texts) => {
				const r = buildReport(snapshot(texts), {version: 't', input: {path: texts[0], from: texts.at(-1)}});
				const md = renderReport(r, 'r.md');
				// The destination table is always there, so its header's column count is always checked.
				expect(md).toMatch(/^\| host /m);
				for (const line of md.split('\n')) {
					expect(unescapedMarkup(line), line).toEqual([]);
					if (line.startsWith('| host ')) expect(splitRow(line)).toHaveLength(11);
				}
				const tableRows = md.split('\n').filter((l) => l.startsWith('|'));
				const widths = new Set(tableRows.map((l) => splitRow(l).length));
				for (const w of widths) expect([5, 8, 11]).toContain(w);
				const csv = parseCsv(renderReport(r, 'r.csv'));
				expect(csv).toHaveLength(1 + texts.length);
				for (const row of csv) {
					expect(row).toHaveLength(16);
					for (const c of row) if (!PLAIN_NUMBER.test(c)) expect(c).not.toMatch(FORMULA_START);
				}
				const json = JSON.parse(renderReport(r, 'r.json')) as {destinations: Array<{host: string}>};
				expect(json.destinations.map((d) => d.host)).toEqual(r.destinations.map((d) => d.host));
			}),
			{seed, numRuns: Math.max(20, Math.floor(numRuns / 4))},
		);
	});
});
