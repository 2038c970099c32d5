import {describe, expect, it} from 'vitest';
import {FlagList, MAX_FLAGS} from '../../source/ingest/flag-list.js';
import type {Flag} from '../../source/types.js';

const flag = (host: string, ts: number, packet: number): Flag => ({kind: 'incognito-tracker', severity: 'high', ts, host, summary: `upload to ${host}`, evidence: {packets: [packet], logLines: []}});

describe('FlagList', () => {
	it('folds a repeat into the first flag, and keeps one per match', () => {
		const l = new FlagList(() => {});
		expect(l.add(flag('h.example', 1, 1))).toBe(true);
		expect(l.add(flag('h.example', 2, 2))).toBe(false);
		expect(l.add(flag('h.example', 3, 3), 'POST /other')).toBe(true);
		expect(l.list().map((f) => [f.count, f.evidence.packets])).toEqual([[2, [1, 2]], [undefined, [3]]]);
	});

	it('keeps at most MAX_FLAGS, dropping the oldest and saying so', () => {
		let dropped = 0;
		const l = new FlagList(() => dropped++);
		for (let i = 0; i < MAX_FLAGS + 10; i++) l.add(flag(`h${i}.example`, i, i));
		expect(l.list()).toHaveLength(MAX_FLAGS);
		expect(dropped).toBe(10);
		expect(l.list()[0]!.host).toBe('h10.example');
	});
});
