import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {LogcatParser} from '../../source/decode/logcat.js';
import {ReplayControl, resolveReplayInput, runReplay} from '../../source/sources/replay-source.js';
import {repoRoot} from '../helpers/corpus.js';

const leak = path.join(repoRoot, 'captures', 'incognito-leak');

describe('runReplay', () => {
	it("reports its sources on the capture's clock: opening statuses carry the first record's time", async () => {
		const input = resolveReplayInput(leak, undefined);
		const parser = new LogcatParser({year: input.meta?.logYear, zone: input.meta?.logZone});
		const statuses: Array<[string, string, number | undefined]> = [];
		let first: number | undefined;
		const seen = (ts: number | undefined) => {
			if (first === undefined && ts !== undefined) first = ts;
		};
		await runReplay(
			input,
			{
				onPacket: (p) => seen(p.ts),
				onLogLine: (l) => seen(l.ts ?? parser.timeOf(l.text)),
				onStatus: (source, state, _detail, ts) => statuses.push([source, state, ts]),
			},
			{control: new ReplayControl('max'), timeOf: (l) => parser.timeOf(l.text)},
		);
		const opening = statuses.filter(([, state]) => state === 'live');
		expect(opening.map(([s]) => s).sort()).toEqual(['capture', 'logcat']);
		expect(first).toBeDefined();
		for (const [, , ts] of opening) expect(ts).toBe(first);
		// Nothing was reported before there was a time to report it at.
		expect(statuses.slice(0, 2).every(([, state]) => state === 'live')).toBe(true);
		expect(statuses.slice(2).map(([s, state]) => `${s} ${state}`).sort()).toEqual(['capture eof', 'logcat eof']);
	});
});
