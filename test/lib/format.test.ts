import {describe, it, expect} from 'vitest';
import {
	formatBytes,
	formatRate,
	formatCount,
	formatAge,
	formatClock,
	formatDuration,
	formatSpeed,
	formatCountry,
	formatAsn,
	formatIndexList,
	formatInteger,
} from '../../source/lib/format.js';

describe('format', () => {
	it('formats bytes in decimal units', () => {
		expect(formatBytes(0)).toBe('0 B');
		expect(formatBytes(999)).toBe('999 B');
		expect(formatBytes(1234)).toBe('1.2 kB');
		expect(formatBytes(1_234_567)).toBe('1.2 MB');
		expect(formatBytes(45_600_000)).toBe('46 MB');
		expect(formatBytes(-1)).toBe('-');
		expect(formatRate(2048)).toBe('2.0 kB/s');
	});

	it('formats counts compactly and with separators', () => {
		expect(formatCount(12)).toBe('12');
		expect(formatCount(1500)).toBe('1.5k');
		expect(formatCount(2_000_000)).toBe('2.0M');
		expect(formatInteger(12345)).toBe('12,345');
	});

	it('formats ages relative to the session clock', () => {
		expect(formatAge(100, 100.5)).toBe('now');
		expect(formatAge(100, 142)).toBe('42s');
		expect(formatAge(0, 300)).toBe('5m');
		expect(formatAge(0, 7200)).toBe('2h');
		expect(formatAge(0, 200_000)).toBe('2d');
		expect(formatAge(undefined, 5)).toBe('-');
	});

	it('formats time of day in a given zone', () => {
		// 2024-03-01T12:34:56Z
		expect(formatClock(1709296496, 0)).toBe('12:34:56');
		expect(formatClock(1709296496, 480)).toBe('20:34:56');
		expect(formatClock(undefined)).toBe('--:--:--');
	});

	it('formats durations, speeds, countries and ASNs', () => {
		expect(formatDuration(83)).toBe('1:23');
		expect(formatDuration(3723)).toBe('1:02:03');
		expect(formatSpeed(4)).toBe('x4');
		expect(formatSpeed(0.5)).toBe('x0.5');
		expect(formatSpeed('max')).toBe('max');
		expect(formatCountry('sg')).toBe('SG');
		expect(formatCountry('\u001b[2J')).toBe('--');
		expect(formatCountry(undefined)).toBe('--');
		expect(formatAsn(45102)).toBe('AS45102');
		expect(formatAsn(undefined)).toBe('');
	});

	it('caps index lists', () => {
		expect(formatIndexList([1, 2, 3, 4, 5], 3)).toBe('#1, #2, #3 (+2 more)');
		expect(formatIndexList([], 3)).toBe('-');
		expect(formatIndexList([7], 3, 'line ')).toBe('line 7');
	});
});
