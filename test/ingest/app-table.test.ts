import {describe, expect, it} from 'vitest';
import {AppTable, MAX_APP_HOSTS} from '../../source/ingest/app-table.js';
import {DestinationTable} from '../../source/ingest/destination-table.js';

describe('AppTable', () => {
	it('adds up an app\'s bytes and distinct destinations, and names the app on each destination', () => {
		const dests = new DestinationTable(() => {});
		const a = dests.entry('a.example', 1);
		const b = dests.entry('b.example', 1);
		const apps = new AppTable();
		apps.count('com.app', 10001, a.ref, 100, 0);
		apps.count('com.app', 10001, a.ref, 0, 50);
		apps.count('com.app', 10001, b.ref, 0, 0);
		expect([...apps.entries()].map((x) => [x.pkg, x.uid, [...x.dests], x.bytesOut, x.bytesIn])).toEqual([['com.app', 10001, ['a.example', 'b.example'], 100, 50]]);
		expect([...a.apps!]).toEqual(['com.app']);
		expect([...b.apps!]).toEqual(['com.app']);
	});

	it('names at most 16 apps on one destination', () => {
		const d = new DestinationTable(() => {}).entry('shared.example', 1);
		const apps = new AppTable();
		for (let i = 0; i < 40; i++) apps.count(`com.app${i}`, i, d.ref, 1, 0);
		expect(d.apps!.size).toBe(16);
		expect([...apps.entries()]).toHaveLength(40);
	});

	it('remembers at most MAX_APP_HOSTS hosts per app (evicted destinations\' names included), still counting its bytes', () => {
		const dests = new DestinationTable(() => {});
		const apps = new AppTable();
		for (let i = 0; i < MAX_APP_HOSTS + 500; i++) apps.count('com.scan', 1, dests.entry(`10.2.${i >> 8}.${i & 255}`, i).ref, 1, 0);
		const [a] = [...apps.entries()];
		expect(a!.dests.size).toBe(MAX_APP_HOSTS);
		expect(a!.bytesOut).toBe(MAX_APP_HOSTS + 500);
	});
});
