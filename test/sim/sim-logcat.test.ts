import {describe, it, expect} from 'vitest';
import {
	formatLogTime,
	parseLogFile,
	parseLogcatArgs,
	parseTimePrefix,
	selectBacklog,
	zoneOffsetSec,
} from '../../source/sim/sim-logcat.js';
import {splitSegments, splitShellWords, unwrapSu} from '../../source/sim/sim-shell.js';

const base = {epoch: false, year: false, zone: false, usec: false, nsec: false, timeZone: 'UTC'};

describe('simulator logcat times', () => {
	it('prints epoch times as %19lld with milli, micro or nano fractions', () => {
		const t = {sec: 1717000000, nsec: 123456789};
		expect(formatLogTime(t, {...base, epoch: true})).toBe('         1717000000.123');
		expect(formatLogTime(t, {...base, epoch: true, usec: true})).toBe('         1717000000.123456');
		expect(formatLogTime(t, {...base, epoch: true, nsec: true})).toBe('         1717000000.123456789');
	});

	it('prints local times in the phone time zone, with year and zone when asked', () => {
		const t = {sec: 1717000000, nsec: 5_000_000}; // 2024-05-29T16:26:40Z
		expect(formatLogTime(t, base)).toBe('05-29 16:26:40.005');
		expect(formatLogTime(t, {...base, year: true, zone: true, timeZone: 'Europe/Paris'})).toBe('2024-05-29 18:26:40.005 +0200');
		expect(formatLogTime(t, {...base, timeZone: 'America/New_York', zone: true})).toBe('05-29 12:26:40.005 -0400');
		expect(zoneOffsetSec('Asia/Kolkata', 1717000000)).toBe(19800);
	});

	it('parses every threadtime time prefix back to the same instant', () => {
		const want = {sec: 1717000000, nsec: 5_000_000};
		expect(parseTimePrefix('         1717000000.005  1000  1 1 I x: y', 2024, 'UTC')?.time).toEqual(want);
		expect(parseTimePrefix('2024-05-29 18:26:40.005 +0200  1 1 I x: y', 2024, 'UTC')?.time).toEqual(want);
		expect(parseTimePrefix('05-29 18:26:40.005  1 1 I x: y', 2024, 'Europe/Paris')?.time).toEqual(want);
		expect(parseTimePrefix('--------- beginning of main', 2024, 'UTC')).toBeUndefined();
	});

	it('reads -v words (comma lists, UTC toggling zone), -T times and counts, -d', () => {
		const r = parseLogcatArgs(['-v', 'threadtime', '-v', 'epoch,uid', '-b', 'main', '-T', '1717000000.500'], 'Europe/Paris', 2024);
		expect(r.format.epoch).toBe(true);
		expect(r.since).toEqual({sec: 1717000000, nsec: 500_000_000});
		expect(r.dump).toBe(false);
		const utc = parseLogcatArgs(['-v', 'UTC,zone', '-d'], 'Europe/Paris', 2024);
		expect(utc.format).toMatchObject({timeZone: 'UTC', zone: false});
		expect(utc.dump).toBe(true);
		expect(parseLogcatArgs(['-t', '5'], 'UTC', 2024)).toMatchObject({tail: 5, dump: true});
		expect(parseLogcatArgs(['-v', 'bogus'], 'UTC', 2024).invalid).toBe('-v bogus');
	});

	it('keeps untimed lines in place and filters the backlog by -T', () => {
		const lines = parseLogFile('--------- beginning of main\n 100.000  1 1 I a: one\n 101.500  1 1 I a: two\n', 2024, 'UTC');
		expect(lines.map((l) => l.timed)).toEqual([false, true, true]);
		expect(lines[0]!.time).toEqual({sec: 100, nsec: 0});
		const req = parseLogcatArgs(['-T', '101.000'], 'UTC', 2024);
		expect(selectBacklog(lines, req).map((l) => l.rest)).toEqual(['--------- beginning of main', '  1 1 I a: two']);
	});
});

describe('simulator shell words', () => {
	it('splits quotes, operators and redirections like sh', () => {
		const words = splitShellWords(`su -c 'tcpdump -w - 2>/dev/null || echo x:$?'`);
		expect(words).toEqual(['su', '-c', 'tcpdump -w - 2>/dev/null || echo x:$?']);
		const inner = unwrapSu(words);
		expect(inner).toEqual({command: 'tcpdump -w - 2>/dev/null || echo x:$?'});
		const segs = splitSegments(splitShellWords((inner as {command: string}).command));
		expect(segs).toEqual([
			{op: ';', argv: ['tcpdump', '-w', '-'], quietErrors: true},
			{op: '||', argv: ['echo', 'x:$?'], quietErrors: false},
		]);
		expect(unwrapSu(['su', '0', 'id'])).toEqual({argv: ['id']});
		expect(unwrapSu(['id'])).toBeUndefined();
	});
});
