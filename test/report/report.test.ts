import {describe, expect, it} from 'vitest';
import {buildReport, jsonReportPieces, reportFormat, renderReport, reportPieces, REPORT_PIECE} from '../../source/report/report.js';
import type {DestinationSummary, Flag, SessionSnapshot} from '../../source/types.js';

const ESC = '\u001b';

function dest(host: string): DestinationSummary {
	return {host, ips: [], category: 'unknown', apps: [], packets: 1, bytesOut: 1, bytesIn: 0, firstTs: 1, lastTs: 1, via: ['dns'], evidencePackets: [1], flags: 0} as unknown as DestinationSummary;
}

function snapshot(hosts: string[], flags: Flag[] = []): SessionSnapshot {
	return {
		stats: {packets: 1, bytes: 1, logLines: 0, malformed: 0, dropped: 0, firstTs: 1, lastTs: 1, problems: {}},
		destinations: hosts.map(dest),
		categories: [],
		flags,
		apps: [],
		sources: [],
	} as unknown as SessionSnapshot;
}

const flag: Flag = {kind: 'url-leak', severity: 'low', ts: 1, host: 'h.example', summary: 's', evidence: {packets: [1], logLines: []}};

describe('report', () => {
	it('CSV: cells that a spreadsheet would run as a formula are defused; plain numbers stay numbers', () => {
		const csv = renderReport(buildReport(snapshot(["-1+cmd|' /c calc'!a0", '=1+1', '@x', '-12', '3.5']), {version: 't', input: {}}), 'r.csv');
		const hosts = csv.trim().split('\n').slice(1).map((l) => l.split(',')[0]);
		expect(hosts).toEqual(["'-1+cmd|' /c calc'!a0", "'=1+1", "'@x", '-12', '3.5']);
	});

	it('every flag has an app field (null when unknown); input strings lose escapes in JSON and Markdown', () => {
		const r = buildReport(snapshot(['h.example'], [flag]), {version: 't', input: {path: `dmg${ESC}]0;PWNED\u0007.pcap`}});
		const json = JSON.parse(renderReport(r, 'r.json')) as {flags: Array<Record<string, unknown>>; input: {path: string}};
		expect(json.flags[0]).toHaveProperty('app', null);
		expect(json.input.path).not.toContain(ESC);
		const md = renderReport(r, 'r.md');
		expect(md).not.toContain(ESC);
		expect(md).not.toContain('\u0007');
	});

	it('destinations evicted for room: in stats.evicted and a Markdown line only when there were some', () => {
		const plain = buildReport(snapshot(['h.example']), {version: 't', input: {}});
		expect(plain.stats).not.toHaveProperty('evicted');
		expect(renderReport(plain, 'r.md')).not.toContain('evicted');
		const s = snapshot(['h.example']);
		s.stats.evicted = {destinations: 3, packets: 7, bytesOut: 420, bytesIn: 0};
		const r = buildReport(s, {version: 't', input: {}});
		expect(JSON.parse(renderReport(r, 'r.json')).stats.evicted).toEqual({destinations: 3, packets: 7, bytesOut: 420, bytesIn: 0});
		expect(renderReport(r, 'r.md')).toContain('- evicted for room (not in the destinations below): 3 destinations, packets: 7, bytes out: 420, bytes in: 0');
	});

	it('JSON goes out in pieces, byte for byte what JSON.stringify(report, null, 2) gives', () => {
		for (const hosts of [[], ['h.example'], ['a.example', 'b\u00e9.example', 'quote"back\\slash\nline']]) {
			for (const flags of [[], [flag, {...flag, evidence: {packets: [1, 2], logLines: [3], excerpt: 'x\ny'}}]]) {
				const r = buildReport(snapshot(hosts, flags), {version: 't', input: {path: 'p', from: undefined, n: 3}});
				expect(renderReport(r, 'r.json')).toBe(`${JSON.stringify(r, null, 2)}\n`);
			}
		}
	});

	it('jsonReportPieces (destinations made as they are written) gives the JSON report of buildReport, byte for byte', () => {
		for (const hosts of [[], ['h.example'], ['a.example', `esc${ESC}[2Jhost`, 'quote"back\\slash\nline'], Array.from({length: 3000}, (_, i) => `host-${i}.example`)]) {
			const s = snapshot(hosts, [flag]);
			const meta = {version: 't', input: {path: 'p', n: 3}};
			const pieces = [...jsonReportPieces(s, meta)];
			expect(pieces.join('')).toBe(renderReport(buildReport(s, meta), 'r.json'));
			expect(JSON.parse(pieces.join('')).destinations).toHaveLength(hosts.length);
		}
		expect(['r.json', 'report', 'R.JSON', 'r.txt', 'r.md', 'r.CSV', 'r.Html'].map(reportFormat)).toEqual(['json', 'json', 'json', 'json', 'md', 'csv', 'html']);
	});

	it('reportPieces gives what renderReport gives, in pieces of about REPORT_PIECE characters, in every format', () => {
		const hosts = Array.from({length: 3000}, (_, i) => `host-${i}.example`);
		const r = buildReport(snapshot(hosts, [flag]), {version: 't', input: {}});
		for (const name of ['r.json', 'r.md', 'r.csv']) {
			const pieces = [...reportPieces(r, name)];
			const text = renderReport(r, name);
			expect(text.length).toBeGreaterThan(2 * REPORT_PIECE);
			expect(pieces.length).toBeGreaterThan(1);
			expect(pieces.join('')).toBe(text);
			// Each but the last reaches the size, and overshoots by one element at most.
			for (const p of pieces.slice(0, -1)) expect(p.length).toBeGreaterThanOrEqual(REPORT_PIECE);
			for (const p of pieces) expect(p.length).toBeLessThan(REPORT_PIECE + 4096);
		}
	});
});
