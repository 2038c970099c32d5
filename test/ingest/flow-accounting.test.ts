import {describe, expect, it} from 'vitest';
import type {AnalyzerFlow} from '../../source/decode/analyzer.js';
import {viaNames} from '../../source/ingest/destination-entry.js';
import {DestinationTable, MAX_DESTINATIONS} from '../../source/ingest/destination-table.js';
import {FlowAccounting, type FlowFacts} from '../../source/ingest/flow-accounting.js';

/** Flows as the analyzer keeps them, by slot (each test's flows take slots 0, 1...): the fields flow accounting reads. */
let table: AnalyzerFlow[] = [];

function flow(over: Partial<AnalyzerFlow> = {}): AnalyzerFlow {
	const f: AnalyzerFlow = {slot: table.length, proto: 6, client: '10.0.0.2', cport: 40000, server: '203.0.113.7', sport: 443, firstTs: 10, tries: 0, requests: 0, finished: false, ...over};
	table.push(f);
	return f;
}

const facts: FlowFacts = {
	maxFlows: 16,
	flowState: (slot) => table[slot],
	serverOf: (slot) => table[slot]!.server,
	firstTsOf: (slot) => table[slot]!.firstTs,
	endpointsOf: (slot) => ({proto: table[slot]!.proto, client: table[slot]!.client, clientPort: table[slot]!.cport, server: table[slot]!.server, serverPort: table[slot]!.sport}),
};

/** Flow accounting where every flow made by `flow()` has started. */
function accounts(foreground?: string) {
	table = [];
	const dests = new DestinationTable(() => {});
	const flows = new FlowAccounting(dests, () => foreground, facts);
	for (let slot = 0; slot < facts.maxFlows; slot++) flows.start(slot);
	return {dests, flows};
}

describe('FlowAccounting', () => {
	it('counts a nameless flow on its address, then moves its counts when a name arrives', () => {
		const {dests, flows} = accounts('com.app');
		const f = flow();
		flows.count(f.slot, 100, true, 10, 1);
		flows.count(f.slot, 900, false, 10.5, 2);
		expect([...dests.entries()].map((d) => [d.host, d.packets])).toEqual([['203.0.113.7', 2]]);
		f.name = 'named.example';
		f.via = 'sni';
		const d = flows.count(f.slot, 50, true, 11, 3).entry!;
		expect(d).toMatchObject({host: 'named.example', packets: 3, bytesOut: 150, bytesIn: 900, firstTs: 10});
		expect(viaNames(d.via)).toEqual(['sni']);
		expect([...d.ips]).toEqual(['203.0.113.7']);
		// The address had nothing of its own left: it is gone.
		expect([...dests.entries()].map((x) => x.host)).toEqual(['named.example']);
	});

	it('a new connection records the app in front as timing evidence', () => {
		const {flows} = accounts('com.mi.globalbrowser');
		const d = flows.count(flow({name: 'x.example', via: 'dns'}).slot, 1, true, 10, 1).entry!;
		expect([...d.foreground!]).toEqual(['com.mi.globalbrowser']);
	});

	it('gives a flow\'s totals only when they changed, with its TLS reading and app', () => {
		const {flows} = accounts();
		const f = flow({name: 't.example', via: 'sni', app: {package: 'com.app', uid: 10001}});
		expect(flows.totals(f.slot, 1)).toBeUndefined();
		flows.count(f.slot, 10, true, 10, 1);
		flows.noteTls(f, 'read', 10);
		// Cut short after being read: still 'read'.
		flows.noteTls(f, 'stopped', 10);
		expect(flows.totals(f.slot, 20)).toEqual({type: 'flow', ts: 20, firstTs: 10, host: 't.example', src: '10.0.0.2', sport: 40000, dst: '203.0.113.7', dport: 443, proto: 6, packets: 1, bytesOut: 10, bytesIn: 0, app: 'com.app', tls: 'read'});
		expect(flows.totals(f.slot, 30)).toBeUndefined();
		flows.count(f.slot, 5, false, 31, 2);
		expect(flows.totals(f.slot, 40)).toMatchObject({packets: 2, bytesIn: 5});
	});

	it('a flow whose destination was evicted counts into the evicted totals, and takes its counts from there when renamed', () => {
		const {dests, flows} = accounts();
		const f = flow({server: '198.51.100.77'});
		flows.count(f.slot, 100, true, 10, 1);
		const first = [...dests.entries()][0]!;
		// A flood of other destinations pushes it out.
		for (let i = 0; i < MAX_DESTINATIONS; i++) dests.entry(`flood${i}.example`, 11);
		expect(first.evicted).toBe(true);
		expect(dests.evictedTotals).toEqual({destinations: 1, packets: 1, bytesOut: 100, bytesIn: 0});
		// The flow holds the ref, not the entry: the entry can go.
		const ref = flows.count(f.slot, 40, false, 12, 2);
		expect(ref).toEqual({entry: undefined, host: '198.51.100.77'});
		expect(dests.evictedTotals).toMatchObject({packets: 2, bytesOut: 100, bytesIn: 40});
		// Its NDJSON totals still name the address it was counted on.
		expect(flows.totals(f.slot, 13)).toMatchObject({host: '198.51.100.77', packets: 2});
		f.name = 'late.example';
		f.via = 'sni';
		const d = flows.count(f.slot, 10, true, 14, 3).entry;
		expect(d).toMatchObject({host: 'late.example', packets: 3, bytesOut: 110, bytesIn: 40});
		expect(dests.evictedTotals).toMatchObject({packets: 0, bytesOut: 0, bytesIn: 0});
	});

	it('a slot taken by a new flow starts with nothing: no totals, no TLS state, its own destination', () => {
		const {dests, flows} = accounts();
		const f = flow({name: 'old.example', via: 'sni'});
		flows.count(f.slot, 10, true, 10, 1);
		flows.noteTls(f, 'read', 10);
		expect(flows.totals(f.slot, 11)).toMatchObject({host: 'old.example', packets: 1, tls: 'read'});
		flows.count(f.slot, 10, true, 12, 2);
		// The flow leaves and a nameless one takes its slot.
		table[f.slot] = {...f, name: undefined, via: undefined, server: '192.0.2.1', firstTs: 20};
		flows.start(f.slot);
		expect(flows.totals(f.slot, 21)).toBeUndefined();
		flows.count(f.slot, 7, false, 21, 3);
		const e = flows.totals(f.slot, 22)!;
		expect(e).toMatchObject({host: '192.0.2.1', firstTs: 20, packets: 1, bytesOut: 0, bytesIn: 7});
		expect(e).not.toHaveProperty('tls');
		expect([...dests.entries()].find((d) => d.host === 'old.example')).toMatchObject({packets: 2, bytesOut: 20});
	});

	it('a name that is the address it already counts on moves nothing', () => {
		const {dests, flows} = accounts();
		const f = flow({server: '198.51.100.5'});
		flows.count(f.slot, 10, true, 10, 1);
		f.name = '198.51.100.5';
		f.via = 'http';
		flows.count(f.slot, 10, true, 11, 2);
		const d = [...dests.entries()].find((x) => x.host === '198.51.100.5')!;
		expect(d.packets).toBe(2);
		// Not marked as named over HTTP: the flow was never renamed.
		expect(viaNames(d.via)).toEqual([]);
	});

	it('a TLS note on a flow not yet counted makes its destination', () => {
		const {dests, flows} = accounts();
		const d = flows.noteTls(flow({name: 'early.example'}), 'no-keys', 5);
		expect(d?.host).toBe('early.example');
		expect(dests.size).toBe(1);
	});
});
