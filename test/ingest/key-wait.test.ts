import {describe, expect, it} from 'vitest';
import type {AnalyzerFlow} from '../../source/decode/analyzer.js';
import {DestinationTable} from '../../source/ingest/destination-table.js';
import {KEY_WAIT_SECONDS, KeyWait} from '../../source/ingest/key-wait.js';

const flow = (cport: number): AnalyzerFlow => ({slot: cport, proto: 6, client: '10.0.0.2', cport, server: '203.0.113.7', sport: 443, firstTs: 0, tries: 0, requests: 0, finished: false});
const d = new DestinationTable(() => {}).entry('t.example', 0);

describe('KeyWait', () => {
	it('hands back connections still unread KEY_WAIT_SECONDS after their hello, once, and looks at most once a second', () => {
		const k = new KeyWait();
		const a = flow(1);
		const b = flow(2);
		k.wait({flow: a, d, ts: 100, packets: [1]});
		k.wait({flow: b, d, ts: 102, packets: [2]});
		expect(k.overdue(100 + KEY_WAIT_SECONDS - 0.5)).toEqual([]);
		// Within a second of the last look: not looked at again.
		expect(k.overdue(100 + KEY_WAIT_SECONDS)).toBeUndefined();
		expect(k.overdue(100 + KEY_WAIT_SECONDS + 0.5)?.map((w) => w.flow)).toEqual([a]);
		expect(k.overdue(110)?.map((w) => w.flow)).toEqual([b]);
		expect(k.overdue(120)).toBeUndefined();
	});

	it('a connection read with keys is never handed back; one that ends is, at once', () => {
		const k = new KeyWait();
		const a = flow(1);
		const b = flow(2);
		k.wait({flow: a, d, ts: 100, packets: [1]});
		k.wait({flow: b, d, ts: 100, packets: [2]});
		k.read(a);
		expect(k.end(a)).toBeUndefined();
		expect(k.end(b)?.packets).toEqual([2]);
		expect(k.drain()).toEqual([]);
	});

	it('the end of input hands back everything still waiting', () => {
		const k = new KeyWait();
		k.wait({flow: flow(1), d, ts: 100, packets: [1]});
		expect(k.drain()).toHaveLength(1);
		expect(k.drain()).toEqual([]);
	});
});
