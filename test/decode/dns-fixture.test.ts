/**
 * test/fixtures/decode/dns-lo.pcap: dig against a scripted responder on 127.0.0.1:5300, recorded
 * with tcpdump on lo (two queries, two responses; www.example.test answers with a CNAME).
 */
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {openCapture} from '../../source/sources/capture-source.js';
import {decodeInto, PacketFields} from '../../source/decode/packet.js';
import {dnsEventFrom, dnsProtoForPorts, parseDns} from '../../source/decode/dns.js';
import {FlowTable} from '../../source/decode/flows.js';
import {IpNames} from '../../source/decode/ip-names.js';
import type {DnsEvent} from '../../source/types.js';
import {repoRoot} from '../helpers/corpus.js';

const FIXTURE = path.join(repoRoot, 'test/fixtures/decode/dns-lo.pcap');

describe('dns-lo.pcap fixture', () => {
	it('decodes queries and answers, flows and names', async () => {
		const events: DnsEvent[] = [];
		const flows = new FlowTable();
		const names = new IpNames();
		let frames = 0;
		const m = new PacketFields();
		for await (const batch of openCapture(FIXTURE)) {
			for (const raw of batch) {
				frames++;
				const problem = decodeInto(raw, m);
				if (problem) throw new Error(`frame ${raw.index}: ${problem}`);
				flows.observe(m);
				const proto = dnsProtoForPorts(m.sport, m.dport, [5300]);
				const msg = proto && parseDns(m.payload);
				if (!proto || !msg) continue;
				names.learn(msg);
				events.push(dnsEventFrom(m, msg, proto));
			}
		}
		expect(frames).toBe(4);
		expect(events.map((e) => [e.index, e.response, e.query, e.qtype])).toEqual([
			[1, false, 'www.example.test', 1],
			[2, true, 'www.example.test', 1],
			[3, false, 'mail.example.test', 28],
			[4, true, 'mail.example.test', 28],
		]);
		expect(events[1]!.answers.map((a) => [a.name, a.type, a.value])).toEqual([
			['www.example.test', 'CNAME', 'cdn.example.net'],
			['cdn.example.net', 'A', '192.0.2.7'],
		]);
		expect(events[3]!.answers.map((a) => a.value)).toEqual(['2001:db8::7']);
		expect(events[1]).toMatchObject({client: '127.0.0.1', server: '127.0.0.1', proto: 'dns'});
		expect(names.nameOf('192.0.2.7')?.name).toBe('www.example.test');
		expect(names.nameOf('2001:db8::7')?.name).toBe('mail.example.test');
		// Two dig runs, two source ports: two flows, each one query out and one response in.
		const all = [...flows.values()];
		expect(all.map((f) => [f.serverPort, f.packetsOut, f.packetsIn])).toEqual([
			[5300, 1, 1],
			[5300, 1, 1],
		]);
		expect(all[0]!.bytesOut + all[0]!.bytesIn).toBe(76 + 121);
	});
});
