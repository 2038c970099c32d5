import {describe, expect, it} from 'vitest';
import {AppTable} from '../../source/ingest/app-table.js';
import {readingOf} from '../../source/ingest/destination-entry.js';
import {DestinationTable} from '../../source/ingest/destination-table.js';
import {destinationSummary, payloadReading, sessionSnapshot, type SnapshotParts} from '../../source/ingest/snapshot.js';
import type {Classification, IpInfo} from '../../source/types.js';

const unknown: Classification = {category: 'unknown'};
const scopeOf = (ip: string): IpInfo => (ip.startsWith('192.168.') ? {scope: 'private'} : {scope: 'public', country: 'NL', asn: 64500, asOrg: 'Example AS'});

function parts(over: Partial<SnapshotParts> & Pick<SnapshotParts, 'destinations'>): SnapshotParts {
	return {
		stats: {packets: 0, bytes: 0, logLines: 0, malformed: 0, dropped: 0, problems: {}},
		apps: [],
		classify: () => unknown,
		ipInfo: scopeOf,
		flags: [],
		timeline: [],
		sources: [],
		device: undefined,
		input: undefined,
		incognito: [],
		incognitoSignals: {},
		tls: undefined,
		...over,
	};
}

describe('sessionSnapshot', () => {
	it('sorts destinations by bytes, then packets, then name; apps by bytes out; totals categories', () => {
		const t = new DestinationTable(() => {});
		t.countPacket(t.entry('small.example', 1), 10, true, 1, 1);
		t.countPacket(t.entry('big.example', 1), 1000, true, 1, 2);
		t.countPacket(t.entry('b.example', 1), 10, false, 1, 3);
		const apps = new AppTable();
		apps.count('com.quiet', 1, t.entry('small.example', 1).ref, 1, 0);
		apps.count('com.loud', 2, t.entry('big.example', 1).ref, 900, 5);
		const snap = sessionSnapshot(parts({destinations: t.entries(), apps: apps.entries()}));
		expect(snap.destinations.map((d) => d.host)).toEqual(['big.example', 'b.example', 'small.example']);
		expect(snap.apps.map((a) => [a.package, a.destinations, a.bytesOut])).toEqual([['com.loud', 1, 900], ['com.quiet', 1, 1]]);
		expect(snap.categories).toEqual([expect.objectContaining({category: 'unknown', destinations: 3, bytesOut: 1010})]);
	});

	it('with reuse, an unchanged destination keeps its summary object; a changed one gets a new one', () => {
		const t = new DestinationTable(() => {});
		t.countPacket(t.entry('a.example', 99), 10, true, 99, 1);
		t.countPacket(t.entry('b.example', 99), 10, true, 99, 2);
		const first = sessionSnapshot(parts({destinations: t.entries(), reuse: true}));
		t.countPacket(t.entry('b.example', 130), 10, true, 130, 3);
		const next = sessionSnapshot(parts({destinations: t.entries(), reuse: true}));
		const byHost = (snap: typeof first, host: string) => snap.destinations.find((d) => d.host === host);
		expect(byHost(next, 'a.example')).toBe(byHost(first, 'a.example'));
		expect(byHost(next, 'b.example')).not.toBe(byHost(first, 'b.example'));
		expect(byHost(next, 'b.example')).toMatchObject({bytesOut: 20, lastTs: 130});
		// No sparkline series in a summary: the dashboard looks those up for its visible rows.
		expect(next.destinations.every((d) => !('rate' in d))).toBe(true);
		expect(sessionSnapshot(parts({destinations: t.entries()})).destinations).toEqual(next.destinations);
	});
});

describe('destinationSummary', () => {
	it('an unknown destination only on the LAN is local; a public one keeps its country and AS', () => {
		const t = new DestinationTable(() => {});
		const lan = t.entry('192.168.1.1', 1);
		const pub = t.entry('203.0.113.5', 1);
		expect(destinationSummary(lan, unknown, scopeOf('192.168.1.1'))).toMatchObject({category: 'local', asOrg: 'private'});
		expect(destinationSummary(pub, unknown, scopeOf('203.0.113.5'))).toMatchObject({category: 'unknown', country: 'NL', asn: 64500, asOrg: 'Example AS'});
		const mdns = t.entry('printer.local', 1);
		mdns.local = true;
		expect(destinationSummary(mdns, unknown, undefined)).toMatchObject({category: 'local', local: true});
		expect(destinationSummary(mdns, {category: 'analytics', owner: 'X'}, undefined)).toMatchObject({category: 'analytics', owner: 'X'});
	});

	it('says what of its TLS could be read', () => {
		const t = new DestinationTable(() => {});
		const d = t.entry('tls.example', 1);
		Object.assign(readingOf(d), {tls: 2, read: 1, noKeys: 1, note: 'no keys for this connection'});
		expect(destinationSummary(d, unknown, undefined)).toMatchObject({payload: 'partly-read', tls: {connections: 2, read: 1, noKeys: 1, stopped: 0, appEncrypted: 0, note: 'no keys for this connection'}});
	});
});

describe('payloadReading', () => {
	const r = (o: Partial<Parameters<typeof payloadReading>[0] & object>) => ({tls: 0, read: 0, noKeys: 0, stopped: 0, appEncrypted: 0, plainHttp: 0, ...o});
	it('one word per case', () => {
		expect(payloadReading(undefined)).toBeUndefined();
		expect(payloadReading(r({}))).toBeUndefined();
		expect(payloadReading(r({plainHttp: 1}))).toBe('cleartext');
		expect(payloadReading(r({tls: 1}))).toBe('encrypted');
		expect(payloadReading(r({tls: 2, read: 1}))).toBe('partly-read');
		expect(payloadReading(r({tls: 1, read: 1}))).toBe('read');
		expect(payloadReading(r({tls: 1, read: 1, appEncrypted: 1}))).toBe('app-encrypted');
	});
});
