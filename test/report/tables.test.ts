/** The export's table shaping (source/report/tables.ts): events and reports to rows, caps, hostile reports. */
import {describe, expect, it} from 'vitest';
import {sessionId, SessionTableBuilder, TABLE_NAMES, TABLES} from '../../source/report/tables.js';
import {clickhouseScript, duckdbLoadScript, rowLine} from '../../source/report/table-files.js';

const report = {
	tool: {name: 'tattle', version: '9.9.9'},
	device: {serial: 'S1', model: 'M'},
	stats: {packets: 3, bytes: 300, logLines: 2, malformed: 0, dropped: 0, firstTs: 100, lastTs: 200, problems: {}},
	destinations: [{host: 'a.example', ips: ['1.2.3.4'], bytesOut: 10, via: ['dns'], local: false}],
	flags: [{kind: 'url-leak', severity: 'medium', ts: 150, app: null, host: 'a.example', summary: 's', evidence: {packets: [2], logLines: [1]}}],
};
const input = {kind: 'bundle' as const, path: 'x'};
const flow = (packets: number, ts: number) => ({type: 'flow', ts, firstTs: ts - 1, host: 'h', src: '10.0.0.2', sport: 5000, dst: '1.2.3.4', dport: 443, proto: 'tcp', packets, bytesOut: packets * 10, bytesIn: 0});

describe('SessionTableBuilder', () => {
	it('contacts: DNS questions (not answers, not mDNS), TLS and QUIC SNI, HTTP Host; nothing without a name', () => {
		const b = new SessionTableBuilder();
		b.event({type: 'dns', ts: 1, index: 1, proto: 'dns', response: false, query: 'q.example', client: 'c', server: 's'});
		b.event({type: 'dns', ts: 2, index: 2, proto: 'dns', response: true, query: 'q.example', client: 'c', server: 's'});
		b.event({type: 'dns', ts: 3, index: 3, proto: 'mdns', response: false, query: 'printer.local', client: 'c', server: 's'});
		b.event({type: 'tls', ts: 4, index: 4, sni: 't.example', src: 'c', dst: 's', dport: 443});
		b.event({type: 'tls', ts: 5, index: 5, sni: null, src: 'c', dst: 's', dport: 443});
		b.event({type: 'quic', ts: 6, index: 6, sni: 'u.example', src: 'c', dst: 's', dport: 443});
		b.event({type: 'http', ts: 7, index: 7, host: 'h.example', src: 'c', dst: 's', dport: 80});
		const t = b.finish(report, input, []);
		expect(t.contacts.map((c) => [c.host, c.via, c.packet])).toEqual([
			['q.example', 'dns', 1],
			['t.example', 'sni', 4],
			['u.example', 'quic', 6],
			['h.example', 'http', 7],
		]);
		expect(t.contacts[0]).toMatchObject({dport: null, dst: 's'});
	});

	it('flows: the last totals of a 5-tuple; fewer packets than reported means a new connection, a new row', () => {
		const b = new SessionTableBuilder();
		b.event(flow(3, 10));
		b.event(flow(7, 20));
		b.event(flow(2, 30));
		const t = b.finish(report, input, []);
		expect(t.flows.map((f) => [f.packets, f.first_ts, f.reported_ts])).toEqual([
			[2, 29, 30],
			[7, 19, 20],
		]);
	});

	it('log facts: only classified lines', () => {
		const b = new SessionTableBuilder();
		b.event({type: 'log', ts: 1, index: 1, pid: 5, uid: 'u0_a1', tag: 'T', message: 'plain'});
		b.event({type: 'log', ts: 2, index: 2, pid: 5, uid: 10085, tag: 'tattle.probe', message: 'incognito-on pkg=p', kind: 'incognito-on', signal: 'secure-window'});
		expect(b.finish(report, input, []).log_facts).toEqual([
			{session_id: expect.any(String), ts: 2, line: 2, kind: 'incognito-on', app: null, pid: 5, uid: '10085', tag: 'tattle.probe', message: 'incognito-on pkg=p', signal: 'secure-window'},
		]);
	});

	it('caps every table and counts what it dropped', () => {
		const b = new SessionTableBuilder(2);
		for (let i = 1; i <= 5; i++) b.event({type: 'tls', ts: i, index: i, sni: `h${i}`, src: 'c', dst: 's', dport: 443});
		for (let i = 1; i <= 3; i++) b.event({...flow(1, i), sport: i});
		const t = b.finish({...report, destinations: [...report.destinations, ...report.destinations, ...report.destinations]}, input, []);
		expect(t.contacts).toHaveLength(2);
		expect(t.flows).toHaveLength(2);
		expect(t.destinations).toHaveLength(2);
		expect(t.sessions[0]!.rows_dropped).toBe(3 + 1 + 1);
		expect(t.sessions[0]!.destinations).toBe(3);
	});

	it('a hostile or broken report gives rows of nulls, never a throw', () => {
		const junk = {tool: {name: 'tattle'}, stats: {packets: '3', firstTs: 'x'}, destinations: [null, 5, {host: 7, ips: 'no', asn: 1.5}], flags: 'no', device: []};
		const t = new SessionTableBuilder().finish(junk, {kind: 'report', path: 'r.json'}, []);
		expect(t.sessions[0]).toMatchObject({packets: null, start_ts: null, device_serial: null, flags: 0, destinations: 3});
		expect(t.destinations).toHaveLength(3);
		expect(t.destinations[2]).toMatchObject({host: '7', ips: [], asn: null});
		expect(t.flags).toEqual([]);
	});

	it('incognito intervals; an open one has a null end', () => {
		const t = new SessionTableBuilder().finish(report, input, [
			{pkg: 'p', start: 1, end: 2, signal: 'log', endedBy: 'proc-died', logLine: 3},
			{pkg: 'p', start: 5, signal: 'marker'},
		]);
		expect(t.incognito.map(({session_id, ...r}) => r)).toEqual([
			{pkg: 'p', start_ts: 1, end_ts: 2, signal: 'log', ended_by: 'proc-died', log_line: 3},
			{pkg: 'p', start_ts: 5, end_ts: null, signal: 'marker', ended_by: null, log_line: null},
		]);
	});
});

describe('session ids, lines and scripts', () => {
	it('the id depends on the device and the capture, not on where it was read from', () => {
		expect(sessionId(report as never)).toMatch(/^[0-9a-f]{16}$/);
		expect(sessionId({...report, input: {path: 'elsewhere'}} as never)).toBe(sessionId(report as never));
		expect(sessionId({...report, device: {serial: 'S2'}} as never)).not.toBe(sessionId(report as never));
		expect(sessionId({...report, stats: {...report.stats, packets: 4}} as never)).not.toBe(sessionId(report as never));
	});

	it('a row line has every column of its table in order, lists empty rather than null', () => {
		const line = JSON.parse(rowLine('destinations', {session_id: 'x', host: 'h', extra: 1}));
		expect(Object.keys(line)).toEqual(TABLES.destinations.map((c) => c.name));
		expect(line).toMatchObject({host: 'h', ips: [], owner: null});
	});

	it('load.sql and clickhouse.sql create every table with every column', () => {
		for (const script of [duckdbLoadScript(), clickhouseScript()]) {
			for (const t of TABLE_NAMES) {
				const stmt = script.split('\n').find((l) => l.startsWith(`CREATE`) && l.includes(` ${t} `));
				expect(stmt, t).toBeDefined();
				for (const c of TABLES[t]) expect(stmt).toContain(c.name);
			}
		}
	});
});
