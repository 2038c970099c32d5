import {describe, expect, it} from 'vitest';
import {addApp, addEvidence, addIp, liveEntry, MAX_EVIDENCE, readingOf, viaNames} from '../../source/ingest/destination-entry.js';
import {DestinationTable, MAX_DESTINATIONS} from '../../source/ingest/destination-table.js';
import {NO_RING, RATE_SECONDS} from '../../source/ingest/rate-rings.js';

function table() {
	let evicted = 0;
	const t = new DestinationTable(() => evicted++);
	return {t, evicted: () => evicted};
}

describe('DestinationTable', () => {
	it('one entry per name, whatever its case or trailing dot; an address knows itself as its IP', () => {
		const {t} = table();
		const a = t.entry('Example.COM.', 10, 'dns');
		expect(t.entry('example.com', 12, 'sni')).toBe(a);
		expect(a).toMatchObject({host: 'example.com', isIp: false, firstTs: 10, lastTs: 12});
		expect(viaNames(a.via)).toEqual(['dns', 'sni']);
		const ip = t.entry('203.0.113.9', 5);
		expect(ip.isIp).toBe(true);
		expect([...ip.ips]).toEqual(['203.0.113.9']);
		expect(t.entry('2001:db8::1', 5).isIp).toBe(true);
		expect(t.size).toBe(3);
	});

	it('counts a packet in O(1): bytes each way, the rate ring, first/last time, capped evidence', () => {
		const {t} = table();
		const d = t.entry('h.example', 100);
		t.countPacket(d, 500, true, 100.2, 1);
		t.countPacket(d, 300, true, 101.5, 2);
		t.countPacket(d, 1000, false, 99, 3);
		expect(d).toMatchObject({packets: 3, bytesOut: 800, bytesIn: 1000, firstTs: 99, lastTs: 101.5});
		const series = t.rateSeries('h.example', 101)!;
		expect(series).toHaveLength(RATE_SECONDS);
		expect(series.slice(-2)).toEqual([500, 300]);
		// A minute of silence clears the ring.
		t.countPacket(d, 7, true, 200, 4);
		expect(t.rateSeries('h.example', 200)!.reduce((a, b) => a + b, 0)).toBe(7);
		// Looked up by the host a summary carries; nothing for a host the table does not hold.
		expect(t.rateSeries('other.example', 200)).toBeUndefined();
		for (let i = 0; i < 100; i++) addEvidence(d, 10 + i);
		expect(d.evidence).toHaveLength(MAX_EVIDENCE);
		expect(d.evidence.slice(0, 4)).toEqual([1, 2, 3, 4]);
	});

	it('an inbound-only destination allocates no rate ring', () => {
		const {t} = table();
		const d = t.entry('quiet.example', 1);
		t.countPacket(d, 100, false, 1, 1);
		expect(d.rate).toBe(NO_RING);
		expect(t.rateSeries('quiet.example', 1)!.every((x) => x === 0)).toBe(true);
	});

	it('moves a renamed flow\'s counts, dropping an address left with nothing of its own', () => {
		const {t} = table();
		const ip = t.entry('198.51.100.1', 10);
		t.countPacket(ip, 100, true, 10, 1);
		addApp(ip, 'com.app');
		const named = t.entry('named.example', 12, 'sni');
		t.moveCounts(ip, named, {packets: 1, out: 100, in: 0}, 10);
		expect(named).toMatchObject({packets: 1, bytesOut: 100, firstTs: 10});
		expect([...named.apps!]).toEqual(['com.app']);
		expect([...t.entries()].map((d) => d.host)).toEqual(['named.example']);
	});

	it('folds an address into the name DNS later gave it, with its counts, reading and evidence', () => {
		const {t} = table();
		const ip = t.entry('198.51.100.2', 10);
		t.countPacket(ip, 40, true, 10, 7);
		readingOf(ip).tls++;
		t.foldNamedAddresses((a) => (a === '198.51.100.2' ? 'later.example' : undefined));
		const named = [...t.entries()];
		expect(named.map((d) => d.host)).toEqual(['later.example']);
		expect(named[0]).toMatchObject({packets: 1, bytesOut: 40, evidence: [7], reading: {tls: 1}});
		expect([...named[0]!.ips]).toEqual(['198.51.100.2']);
		expect(liveEntry(ip)).toBe(named[0]);
	});

	it('keeps at most MAX_DESTINATIONS, evicting names seen once before names in use, and says so', () => {
		const {t, evicted} = table();
		t.entry('in-use.example', 0);
		for (let i = 0; i < MAX_DESTINATIONS + 100; i++) {
			t.entry(`once${i}.example`, i);
			if (i % 1000 === 0) t.entry('in-use.example', i);
		}
		expect(t.size).toBe(MAX_DESTINATIONS);
		expect(evicted()).toBe(101);
		const hosts = new Set([...t.entries()].map((d) => d.host));
		expect(hosts.has('in-use.example')).toBe(true);
		expect(hosts.has('once0.example')).toBe(false);
		expect(hosts.has(`once${MAX_DESTINATIONS + 99}.example`)).toBe(true);
	});

	it('evicts in the order a CLOCK over insertion order gives: entries passed over go to the end, in order', () => {
		const {t} = table();
		for (let i = 0; i < MAX_DESTINATIONS; i++) t.entry(`e${i}.example`, i);
		// Marked: the first three are passed over by the next eviction, which takes e3.
		for (const i of [0, 1, 2, 5]) t.entry(`e${i}.example`, MAX_DESTINATIONS);
		t.entry('new.example', MAX_DESTINATIONS);
		const hosts = [...t.entries()].map((d) => d.host);
		expect(hosts.slice(0, 3)).toEqual(['e4.example', 'e5.example', 'e6.example']);
		expect(hosts.slice(-4)).toEqual(['e0.example', 'e1.example', 'e2.example', 'new.example']);
		expect(hosts).not.toContain('e3.example');
		// e5 keeps its mark and its place; the next two evictions take e4, then e6 (passing e5 over).
		t.entry('new2.example', MAX_DESTINATIONS);
		t.entry('new3.example', MAX_DESTINATIONS);
		const after = [...t.entries()].map((d) => d.host);
		expect(after.slice(0, 2)).toEqual(['e7.example', 'e8.example']);
		expect(after.slice(-3)).toEqual(['new2.example', 'e5.example', 'new3.example']);
		expect(t.size).toBe(MAX_DESTINATIONS);
	});

	it('keeps what eviction drops in the evicted totals: the table plus those add up', () => {
		const {t, evicted} = table();
		let packets = 0;
		let out = 0;
		for (let i = 0; i < MAX_DESTINATIONS + 500; i++) {
			const d = t.entry(`10.1.${i >> 8}.${i & 255}`, i);
			t.countPacket(d, 60 + (i % 7), true, i, i + 1);
			t.countPacket(d, 1000, false, i, i + 1);
			packets += 2;
			out += 60 + (i % 7);
		}
		expect(evicted()).toBe(500);
		const e = t.evictedTotals;
		expect(e.destinations).toBe(500);
		const live = [...t.entries()];
		expect(live.reduce((a, d) => a + d.packets, 0) + e.packets).toBe(packets);
		expect(live.reduce((a, d) => a + d.bytesOut, 0) + e.bytesOut).toBe(out);
		expect(live.reduce((a, d) => a + d.bytesIn, 0) + e.bytesIn).toBe((MAX_DESTINATIONS + 500) * 1000);
	});

	it('caps addresses per destination', () => {
		const {t} = table();
		const d = t.entry('cdn.example', 0);
		for (let i = 0; i < 100; i++) addIp(d, `10.0.0.${i}`);
		expect(d.ips).toHaveLength(16);
	});
});
