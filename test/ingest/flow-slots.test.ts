import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {ndjsonRecord} from '../../source/report/ndjson.js';
import {Session} from '../../source/ingest/session.js';
import {createRuleSet} from '../../source/classify/rules.js';
import {loadBundledRules} from '../../source/app/rule-files.js';
import {repoRoot} from '../helpers/corpus.js';
import {ipv4, raw, tcp, udp} from '../decode/frames.js';

const classifier = createRuleSet({bundled: loadBundledRules(new URL(`file://${path.join(repoRoot, 'source/classify/rules')}/`))});

const syn = (dst: string, sport: number, ts: number, index: number) => raw(101, ipv4('10.0.0.2', dst, 6, tcp(sport, 443, 0x02, 1, new Uint8Array(0))), {ts, index});
const query = (ts: number, index: number) => raw(101, ipv4('10.0.0.2', '8.8.8.8', 17, udp(40000, 53, new Uint8Array([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1]))), {ts, index});

describe('Session: flows kept by slot', () => {
	it('--json: a flow in a slot another flow left has its own totals, first time and ends (nothing carried over)', () => {
		const events: Array<Record<string, unknown>> = [];
		const s = new Session({classifier, onEvent: (e) => events.push(ndjsonRecord(e))});
		s.addPacket(query(1000, 1));
		// The quiet DNS flow leaves as this SYN comes (UDP idle): its slot is free for the next flow.
		s.addPacket(syn('198.51.100.7', 41000, 1200, 2));
		s.addPacket(syn('198.51.100.8', 41001, 1201, 3));
		s.addPacket(syn('198.51.100.8', 41001, 1202, 4));
		s.finish();
		const flows = events.filter((e) => e.type === 'flow');
		expect(flows.map((e) => [e.dst, e.dport, e.src, e.sport, e.packets, e.bytesOut, e.bytesIn, e.firstTs, e.host, 'tls' in e])).toEqual([
			['8.8.8.8', 53, '10.0.0.2', 40000, 1, 47, 0, 1000, '8.8.8.8', false],
			['198.51.100.7', 443, '10.0.0.2', 41000, 1, 40, 0, 1200, '198.51.100.7', false],
			['198.51.100.8', 443, '10.0.0.2', 41001, 2, 80, 0, 1201, '198.51.100.8', false],
		]);
		const snap = s.snapshot();
		expect(snap.destinations.map((d) => [d.host, d.packets]).sort()).toEqual([['198.51.100.7', 1], ['198.51.100.8', 2], ['8.8.8.8', 1], ['a', 0]]);
	});
});
