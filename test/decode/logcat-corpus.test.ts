import {readFileSync} from 'node:fs';
import {describe, it, expect} from 'vitest';
import {LogcatParser} from '../../source/decode/logcat.js';
import type {LogRecord} from '../../source/types.js';
import {corpusPath, needFiles} from '../helpers/corpus.js';

const file = (name: string) => corpusPath('logcat', name);

/** Parse a corpus file in place (latin1 keeps every byte; these files are ASCII). */
function parse(name: string, year = 2020) {
	const text = readFileSync(file(name), 'latin1');
	const lines = text.split('\n');
	if (lines.at(-1) === '') lines.pop();
	const parser = new LogcatParser({year});
	const records: LogRecord[] = [];
	lines.forEach((t, i) => records.push(...parser.push({text: t, index: i + 1})));
	records.push(...parser.end());
	return {records, stats: parser.stats, lines, text};
}

describe.runIf(needFiles('the corpus logcat files', file('andlogview__galaxy_nexus_jbmr2_threadtime.log')))('corpus logcat files', () => {
	it('galaxy nexus: threadtime, time and brief give the same records', () => {
		const tt = parse('andlogview__galaxy_nexus_jbmr2_threadtime.log');
		const time = parse('andlogview__galaxy_nexus_jbmr2_time.log');
		const brief = parse('andlogview__galaxy_nexus_jbmr2_brief.log');
		for (const r of [tt, time, brief]) {
			expect(r.records).toHaveLength(10);
			expect(r.stats.raw).toBe(0);
			expect(r.records[0]).toMatchObject({index: 1, buffer: 'system'});
		}
		expect(tt.text).toContain('\r\n');
		expect(tt.stats.formats.threadtime).toBe(9);
		expect(time.stats.formats.time).toBe(9);
		expect(brief.stats.formats.brief).toBe(9);
		const pick = (r: LogRecord) => [r.pid, r.level, r.tag, r.message];
		expect(time.records.map(pick)).toEqual(tt.records.map(pick));
		expect(brief.records.map(pick)).toEqual(tt.records.map(pick));
		expect(time.records.map((r) => r.ts)).toEqual(tt.records.map((r) => r.ts));
		expect(tt.records[3]).toMatchObject({pid: 380, tid: 397, level: 'I', tag: 'ActivityManager'});
		expect(tt.records[3]!.message).toMatch(/^Start proc com\.google\.android\.music:main for service/);
		expect(tt.records[3]!.ts).toBeCloseTo(Date.UTC(2020, 6, 19, 13, 29, 31) / 1000 + 0.804, 6);
		expect(tt.records.every((r) => !r.message.includes('\r'))).toBe(true);
	});

	it('huawei: vendor junk before the banner stays raw, nothing lost', () => {
		const {records, stats, lines} = parse('andlogview__huawei_p10_log_snippet.log');
		expect(records).toHaveLength(lines.length);
		expect(records.filter((r) => r.raw).map((r) => r.index)).toEqual([1, 2, 3]);
		expect(records[0]!.message).toMatch(/^nt logctl_get\(\): open/);
		expect(records[1]!.message).toBe('');
		expect(records[3]).toMatchObject({index: 4, buffer: 'main'});
		expect(stats.formats.threadtime).toBe(4);
		expect(records[4]).toMatchObject({pid: 1301, tid: 1507, level: 'I', tag: 'QosMonitor', message: 'postEventFromNative: msg=100,arg1=4,arg2=9'});
	});

	it('emulator api31 -v long: 46 multi-line records, 3 banners, every line accounted for', () => {
		const {records, stats, lines} = parse('andlogview__emulator_api31_long.log');
		expect(stats.formats.long).toBe(46);
		expect(stats.formats.banner).toBe(3);
		expect(stats.raw).toBe(0);
		expect(records).toHaveLength(49);
		expect(stats.formats.banner + stats.formats.long + stats.longBodyLines).toBe(lines.length);
		expect(records.filter((r) => r.buffer).map((r) => r.buffer)).toEqual(['main', 'kernel', 'system']);
		const start = records.find((r) => r.tag === 'ActivityTaskManager' && r.message.startsWith('START u0'));
		expect(start).toMatchObject({index: 22, pid: 555, tid: 2344, level: 'I'});
		const logd = records.find((r) => r.tag === 'logd')!;
		expect(logd).toMatchObject({pid: 0, tid: 0, level: 'I', index: 6});
		// A stack trace keeps its lines, tabs included; the header gave the index.
		const trace = records.find((r) => r.message.includes('\n\tat android.app.ActivityThread.main'))!;
		expect(trace.message.split('\n').length).toBeGreaterThan(10);
		expect(lines[trace.index - 1]).toMatch(/^\[ 03-25 /);
	});

	it('goldfish omr1: 5000 threadtime records, fields spot-checked', () => {
		const {records, stats} = parse('andlogview__goldfish_omr1_threadtime.log');
		expect(records).toHaveLength(5000);
		expect(stats.formats.threadtime).toBe(5000);
		expect(records[0]).toMatchObject({index: 1, pid: 2348, tid: 2367, level: 'E', tag: 'ReloadingLock', message: 'Finalizing LOCKED Token[shortcuts 2020-01-13 01:47:46.561]'});
		expect(records[10]).toMatchObject({pid: 1666, tid: 1685, level: 'E', tag: 'memtrack'});
		const levels = new Set(records.map((r) => r.level));
		expect([...levels].sort()).toEqual(['D', 'E', 'I', 'V', 'W']);
		// Every stamp is dated, within the capture's span (2020 is a leap year: 02-29 exists).
		const first = Date.UTC(2020, 0, 13) / 1000;
		const last = Date.UTC(2020, 2, 1) / 1000;
		expect(records.every((r) => r.ts! >= first && r.ts! < last)).toBe(true);
		expect(records.at(-1)!.ts).toBeCloseTo(Date.UTC(2020, 1, 29, 0, 8, 7) / 1000 + 0.943, 6);
	});

	it('xiaomi mocha: mixed CRLF/LF and very long lines, 2 banners, no raw', () => {
		const {records, stats, lines, text} = parse('xiaomi-mocha__logcat.txt');
		expect(lines).toHaveLength(4662);
		expect(records).toHaveLength(4662);
		expect(stats.raw).toBe(0);
		expect(stats.truncated).toBe(0);
		expect(records.filter((r) => r.buffer).map((r) => [r.index, r.buffer])).toEqual([[1, 'main'], [18, 'system']]);
		const crlf = text.split('\n').filter((l) => l.endsWith('\r')).length;
		expect(crlf).toBe(10);
		expect(records.some((r) => r.message.includes('\r'))).toBe(false);
		const longest = records.reduce((a, b) => (b.message.length > a.message.length ? b : a));
		expect(longest.index).toBe(941);
		expect(longest.message.length).toBeGreaterThan(2900);
		expect(records[1]).toMatchObject({pid: 174, tid: 174, level: 'I', tag: 'SELinux', message: 'SELinux: Loaded service_contexts from:'});
		expect(records[3]!.message).toBe('    /vndservice_contexts');
		const keymaster = records.find((r) => r.tag === 'android.hardware.keymaster@3.0-impl')!;
		expect(keymaster.message).toBe('Fetching keymaster device name default');
	});
});
