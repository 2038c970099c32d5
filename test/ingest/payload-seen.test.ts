/** Field keys and identifiers kept per destination: positions dropped, caps held, merges bounded. */
import {describe, expect, it} from 'vitest';
import {fieldKey, MAX_FIELD_KEYS, MAX_IDENTIFIERS, mergePayloadSeen, notePayload, payloadSeenSummary} from '../../source/ingest/payload-seen.js';

describe('payload-seen', () => {
	it('a key without its array positions, cut to a bound', () => {
		expect(fieldKey('events[3].properties[12].url')).toBe('events[].properties[].url');
		expect(fieldKey('k'.repeat(10_000))).toHaveLength(128);
	});

	it('keys and identifiers once each, sorted in the summary; nothing found leaves nothing made', () => {
		expect(notePayload(undefined, {fields: [], identifiers: []})).toBeUndefined();
		let s = notePayload(undefined, {fields: [{key: 'b[0].x'}, {key: 'a'}, {key: 'b[1].x'}], identifiers: [{kind: 'android-id', value: '6f1c0b3a9d2e4875', key: 'p[0].$device_id'}]});
		s = notePayload(s, {fields: [{key: 'a'}], identifiers: [{kind: 'android-id', value: '6f1c0b3a9d2e4875'}]});
		expect(payloadSeenSummary(s)).toEqual({fields: ['a', 'b[].x'], identifiers: [{kind: 'android-id', value: '6f1c0b3a9d2e4875', key: 'p[].$device_id'}]});
	});

	it('a flood of distinct keys and ids stops at the caps, also through a merge', () => {
		const many = {fields: Array.from({length: 1000}, (_, i) => ({key: `k${i}`})), identifiers: Array.from({length: 1000}, (_, i) => ({kind: 'imei' as const, value: String(i)}))};
		const s = notePayload(undefined, many);
		expect(s!.fields.size).toBe(MAX_FIELD_KEYS);
		expect(s!.ids.size).toBe(MAX_IDENTIFIERS);
		const other = notePayload(undefined, {fields: [{key: 'other'}], identifiers: []});
		const merged = mergePayloadSeen(other, s);
		expect(merged!.fields.size).toBe(MAX_FIELD_KEYS);
		expect(merged!.fields.has('other')).toBe(true);
	});
});
