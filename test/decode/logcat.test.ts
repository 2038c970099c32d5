import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, it, expect} from 'vitest';
import {LogcatParser, MAX_LINE_CHARS, MAX_LONG_MESSAGE_LINES, makeZone, parseLogcatLine, type LogcatParserOptions} from '../../source/decode/logcat.js';
import type {LogRecord} from '../../source/types.js';
import {repoRoot} from '../helpers/corpus.js';

const fixture = (name: string) => path.join(repoRoot, 'test/fixtures/logcat', name);

/** Every record of a fixture, parsed line by line as a source would hand it over. */
function parseFile(name: string, opts: LogcatParserOptions = {year: 2024}) {
	const lines = readFileSync(fixture(name), 'utf8').split('\n');
	if (lines.at(-1) === '') lines.pop();
	return parseLines(lines, opts);
}

function parseLines(lines: string[], opts: LogcatParserOptions = {year: 2024}) {
	const parser = new LogcatParser(opts);
	const records: LogRecord[] = [];
	lines.forEach((text, i) => records.push(...parser.push({text, index: i + 1})));
	records.push(...parser.end());
	return {records, stats: parser.stats, lines: lines.length};
}

// 2024-05-17 12:34:56 UTC
const T0 = Date.UTC(2024, 4, 17, 12, 34, 56) / 1000;

describe('threadtime', () => {
	it('splits the AOSP prefix and trims the padded tag', () => {
		const rec = parseLogcatLine('05-17 12:34:56.789   183   187 D vold    : Preparing: /data/system/users/0', 7, {year: 2024});
		expect(rec).toEqual({type: 'log', index: 7, ts: T0 + 0.789, pid: 183, tid: 187, level: 'D', tag: 'vold', message: 'Preparing: /data/system/users/0'});
	});

	it('keeps a message that starts with spaces or holds ": "', () => {
		expect(parseLogcatLine('03-30 12:35:58.785   174   174 I SELinux :     /vndservice_contexts').message).toBe('    /vndservice_contexts');
		const rec = parseLogcatLine('05-17 12:34:56.789   380   397 I android.hardware.keymaster@3.0-impl: key: value');
		expect(rec.tag).toBe('android.hardware.keymaster@3.0-impl');
		expect(rec.message).toBe('key: value');
	});

	it('keeps a colon inside the tag when no space follows it', () => {
		const rec = parseLogcatLine('05-17 12:34:56.789   380   397 I a:b: message');
		expect(rec.tag).toBe('a:b');
		expect(rec.message).toBe('message');
	});

	it('takes the year from fallbackNow when none is given', () => {
		const rec = parseLogcatLine('05-17 12:34:56.789   380   397 I Tag: m', 1, {fallbackNow: () => Date.UTC(2019, 0, 1) / 1000});
		expect(rec.ts).toBeCloseTo(Date.UTC(2019, 4, 17, 12, 34, 56) / 1000 + 0.789, 6);
		const ms = parseLogcatLine('05-17 12:34:56.789   380   397 I Tag: m', 1, {fallbackNow: () => Date.UTC(2021, 6, 1)});
		expect(new Date(ms.ts! * 1000).getUTCFullYear()).toBe(2021);
	});

	it('setZone changes the zone of later lines without one (live learns it from the phone)', () => {
		const p = new LogcatParser({year: 2024});
		const line = (index: number) => ({text: '05-17 12:34:56.000   380   397 I Tag: m', index});
		const [utc] = p.push(line(1));
		p.setZone('Europe/Moscow');
		const [msk] = p.push(line(2));
		expect(utc!.ts! - msk!.ts!).toBe(3 * 3600);
		p.setZone('Not/AZone');
		expect(p.stats.badZone).toBe(true);
		expect(p.push(line(3))[0]!.ts).toBe(msk!.ts);
	});

	it('rolls the year over when December is followed by January', () => {
		const {records} = parseLines(['12-31 23:59:59.900   1   1 I Tag: old year', '01-01 00:00:00.100   1   1 I Tag: new year'], {year: 2023});
		expect(records[0]!.ts).toBeCloseTo(Date.UTC(2023, 11, 31, 23, 59, 59) / 1000 + 0.9, 3);
		expect(records[1]!.ts).toBeCloseTo(Date.UTC(2024, 0, 1, 0, 0, 0) / 1000 + 0.1, 3);
	});

	it('applies the zone option: fixed offsets and IANA names, with DST', () => {
		const line = '07-01 12:00:00.000   1   1 I Tag: m';
		const noon = Date.UTC(2024, 6, 1, 12) / 1000;
		expect(parseLogcatLine(line, 1, {year: 2024, zone: '+05:30'}).ts).toBe(noon - 5.5 * 3600);
		expect(parseLogcatLine(line, 1, {year: 2024, zone: '-0800'}).ts).toBe(noon + 8 * 3600);
		expect(parseLogcatLine(line, 1, {year: 2024, zone: 'Europe/Paris'}).ts).toBe(noon - 2 * 3600);
		expect(parseLogcatLine('01-15 12:00:00.000   1   1 I Tag: m', 1, {year: 2024, zone: 'Europe/Paris'}).ts).toBe(Date.UTC(2024, 0, 15, 11) / 1000);
		expect(parseLogcatLine(line, 1, {year: 2024, zone: 'Asia/Shanghai'}).ts).toBe(noon - 8 * 3600);
	});

	it('falls back to UTC on an unknown zone and says so', () => {
		const parser = new LogcatParser({year: 2024, zone: 'Mars/Olympus'});
		expect(parser.stats.badZone).toBe(true);
		expect(parser.push({text: '05-17 12:34:56.000   1   1 I Tag: m', index: 1})[0]!.ts).toBe(T0);
		expect(makeZone('Nowhere/Else')).toBeUndefined();
	});
});

describe('other -v formats (fixtures)', () => {
	it('brief', () => {
		const {records, stats} = parseFile('brief.txt');
		expect(stats.formats.brief).toBe(4);
		expect(records[0]).toMatchObject({buffer: 'main', message: '--------- beginning of main'});
		expect(records[1]).toEqual({type: 'log', index: 2, pid: 380, level: 'I', tag: 'ActivityManager', message: expect.stringMatching(/^Start proc 12455:/)});
		expect(records[2]).toMatchObject({pid: 183, tag: 'vold', message: 'Preparing: /data/system/users/0'});
		expect(records[3]).toMatchObject({pid: 2250, level: 'W', tag: 'Tag(With)Parens', message: 'odd tag: still parsed'});
		expect(records[4]).toMatchObject({pid: 12455, level: 'E', tag: 'chromium', message: ''});
	});

	it('process', () => {
		const {records, stats} = parseFile('process.txt');
		expect(stats.formats.process).toBe(3);
		expect(records[0]).toMatchObject({pid: 380, level: 'I', tag: 'ActivityManager', message: expect.stringMatching(/BrowserActivity\}$/)});
		expect(records[1]).toMatchObject({pid: 183, level: 'D', tag: 'vold', message: 'Preparing: /data/system/users/0'});
		expect(records[2]).toMatchObject({pid: 12455, tag: 'chromium', message: 'a (parenthesised) note'});
		expect(records[0]!.tid).toBeUndefined();
		// A thread-format line whose message ends in parentheses with spaces stays thread.
		expect(parseLogcatLine('I(  380:  397) done  (in 5 ms)')).toMatchObject({pid: 380, tid: 397, message: 'done  (in 5 ms)'});
	});

	it('tag', () => {
		const {records, stats} = parseFile('tag.txt');
		expect(stats.formats.tag).toBe(3);
		expect(records.map((r) => r.tag)).toEqual(['ActivityManager', 'vold', 'TRuntime.CctTransportBackend']);
		expect(records[2]!.message).toBe('Making request to: https://firebaselogging-pa.googleapis.com/v1/firelog/legacy/batchlog');
		expect(records[0]!.pid).toBeUndefined();
	});

	it('thread', () => {
		const {records, stats} = parseFile('thread.txt');
		expect(stats.formats.thread).toBe(2);
		expect(records[1]).toEqual({type: 'log', index: 2, pid: 183, tid: 187, level: 'D', message: 'e4crypt_init_user0'});
	});

	it('time', () => {
		const {records, stats} = parseFile('time.txt');
		expect(stats.formats.time).toBe(2);
		expect(records[0]).toMatchObject({ts: T0 + 0.789, pid: 380, level: 'I', tag: 'ActivityManager'});
		expect(records[1]).toMatchObject({pid: 183, tag: 'vold', message: 'Preparing: /data/system/users/0'});
	});

	it('long: multi-line messages, header index, blank-line ends, uid', () => {
		const {records, stats, lines} = parseFile('long.txt');
		expect(records).toHaveLength(4);
		expect(stats.formats.long).toBe(3);
		expect(stats.raw).toBe(0);
		expect(records[1]).toMatchObject({index: 2, ts: T0 + 0.789, pid: 380, tid: 397, level: 'I', tag: 'ActivityTaskManager'});
		expect(records[1]!.message).toMatch(/^START u0 \{.*from uid 10085$/);
		expect(records[2]).toMatchObject({index: 5, uid: 10085, pid: 12455, tid: 12470, level: 'E', tag: 'AndroidRuntime'});
		expect(records[2]!.message).toBe('FATAL EXCEPTION: main\njava.lang.IllegalStateException: boom\n\tat com.example.Main.onCreate(Main.java:42)');
		expect(records[3]).toMatchObject({index: 11, tag: 'ActivityManager', message: '  Force finishing activity com.example/.Main'});
		// No line lost: banners + headers + body lines (message, closing and trailing blanks).
		expect(stats.formats.banner + stats.formats.long + stats.longBodyLines).toBe(lines);
	});

	it('long: a header closes the open record even without a blank line; end() flushes the last', () => {
		const parser = new LogcatParser({year: 2024});
		expect(parser.push({text: '[ 05-17 12:34:56.000   1:    2 I/A ]', index: 1})).toEqual([]);
		expect(parser.push({text: 'first', index: 2})).toEqual([]);
		const out = parser.push({text: '[ 05-17 12:34:57.000   1:    2 W/B ]', index: 3});
		expect(out).toHaveLength(1);
		expect(out[0]).toMatchObject({index: 1, tag: 'A', message: 'first'});
		parser.push({text: 'second', index: 4});
		expect(parser.end()).toEqual([expect.objectContaining({index: 3, tag: 'B', level: 'W', message: 'second'})]);
		expect(parser.end()).toEqual([]);
	});

	it('long: a body is bounded by MAX_LONG_MESSAGE_LINES', () => {
		const lines = ['[ 05-17 12:34:56.000   1:    2 I/A ]', ...Array.from({length: MAX_LONG_MESSAGE_LINES + 3}, (_, i) => `line ${i}`)];
		const {records, stats} = parseLines(lines);
		expect(records[0]!.message.split('\n')).toHaveLength(MAX_LONG_MESSAGE_LINES);
		expect(stats.truncated).toBe(1);
		expect(records.slice(1).every((r) => r.raw)).toBe(true);
		expect(records).toHaveLength(4);
	});

	it('raw: lines without a prefix stay raw, message = line', () => {
		const {records, stats} = parseFile('raw.txt');
		expect(stats.raw).toBe(2);
		expect(records[1]).toEqual({type: 'log', index: 2, message: 'Preparing: /data/system/users/0', raw: true});
	});
});

describe('modifiers', () => {
	it('epoch: absolute ts in threadtime, brief-with-time and long', () => {
		const {records} = parseFile('epoch.txt');
		expect(records.map((r) => r.ts)).toEqual([1716000000.123, 1716000001.5, 1716000002.25]);
		expect(records[0]).toMatchObject({pid: 1234, tid: 5678, tag: 'chromium', message: '[INFO:CONSOLE(1)] "hello"'});
		expect(records[1]).toMatchObject({pid: 1234, tag: 'chromium', message: 'brief with epoch'});
		expect(records[2]).toMatchObject({pid: 1234, tid: 5678, message: 'long with epoch'});
	});

	it('monotonic: no ts unless the boot time is known', () => {
		const {records} = parseFile('monotonic.txt');
		expect(records[0]).toMatchObject({pid: 380, tid: 397, tag: 'ActivityManager'});
		expect(records.every((r) => r.ts === undefined && !r.raw)).toBe(true);
		const booted = parseFile('monotonic.txt', {bootTime: 1_700_000_000});
		expect(booted.records[0]!.ts).toBeCloseTo(1_700_000_012.345, 6);
		expect(booted.records[1]!.ts).toBeCloseTo(1_700_098_765.432, 6);
	});

	it('year and zone: the printed offset wins over the option', () => {
		const {records} = parseFile('year-zone.txt', {year: 1999, zone: 'Asia/Tokyo'});
		const base = T0 + 0.789;
		expect(records[0]!.ts).toBeCloseTo(base - 2 * 3600, 6);
		expect(records[1]!.ts).toBeCloseTo(base + 5.5 * 3600, 6);
		expect(records[2]!.ts).toBeCloseTo(base - 9 * 3600, 6); // year printed, zone from the option
		expect(records[3]!.ts).toBeCloseTo(Date.UTC(1999, 4, 17, 12, 34, 56) / 1000 + 0.789, 3); // zone printed, year from the option
		expect(records[4]).toMatchObject({pid: 380, tag: 'ActivityManager'});
		expect(records[4]!.ts).toBeCloseTo(Date.UTC(2024, 11, 31, 23, 59, 59) / 1000 + 0.999, 3);
		expect(records.every((r) => r.message.length > 0 && !r.raw)).toBe(true);
	});

	it('usec and nsec fractions', () => {
		const {records} = parseFile('usec-nsec.txt');
		expect(records[0]!.ts).toBeCloseTo(T0 + 0.789123, 6);
		expect(records[1]!.ts).toBeCloseTo(T0 + 0.789123456, 6);
		expect(records[2]!.ts).toBeCloseTo(T0 + 0.000001, 6);
		expect(records.map((r) => r.message)).toEqual(['usec', 'nsec', 'usec, year, zone']);
	});

	it('uid: numeric or named, before the pid, in every format that prints it', () => {
		const {records, stats} = parseFile('uid.txt');
		expect(stats.raw).toBe(0);
		const fields = records.map((r) => [r.uid, r.pid, r.tid ?? null, r.tag ?? null]);
		expect(fields).toEqual([
			[1000, 380, 397, 'ActivityManager'],
			[10085, 12455, 12470, 'chromium'],
			['root', 1, 1, 'init'],
			['u0_a85', 12455, 12470, 'chromium'],
			[1000, 380, null, 'ActivityManager'],
			[1000, 380, 397, null],
			[1000, 380, null, 'ActivityManager'],
			[1000, 380, null, 'ActivityManager'],
			[10085, 12455, 12470, 'chromium'],
		]);
	});

	it('color: ANSI codes are stripped from records', () => {
		const {records, stats} = parseFile('color.txt');
		expect(stats.raw).toBe(0);
		expect(records.map((r) => [r.level, r.tag, r.message])).toEqual([
			['I', 'ActivityManager', 'green info'],
			['E', 'ActivityManager', 'old 256-colour error'],
			['W', 'vold', 'brief in colour'],
			['D', 'vold', 'long in colour'],
		]);
	});

	it('printable: escapes are kept as printed', () => {
		const {records} = parseFile('printable.txt');
		expect(records[0]!.message).toBe('bytes \\x01\\x7f shown as escapes');
	});
});

describe('mixed input and hostile lines', () => {
	it('ids out of range make the line unparsed, never a float (a 200-digit pid is not 1e+200)', () => {
		const p = new LogcatParser({year: 2026, zone: 'UTC'});
		const huge = '9'.repeat(200);
		const recs = [
			...p.push({text: `11-23 19:36:46.398  ${huge}  1591 D Tag: message`, index: 1}),
			...p.push({text: `11-23 19:36:46.398  1520  99999999999 D Tag: message`, index: 2}),
			...p.push({text: `11-23 19:36:46.398  1520  1591 D Tag: fine`, index: 3}),
		];
		expect(recs.map((r) => [r.raw ?? false, r.pid])).toEqual([
			[true, undefined],
			[true, undefined],
			[false, 1520],
		]);
		expect(JSON.stringify(recs)).not.toMatch(/e\+/);
	});

	it('detects the format per line, keeps junk raw, names buffers', () => {
		const {records, stats, lines} = parseFile('mixed.txt');
		expect(records).toHaveLength(lines);
		expect(records.filter((r) => r.raw).map((r) => r.index)).toEqual([1, 2, 10]);
		expect(records.filter((r) => r.buffer).map((r) => r.buffer)).toEqual(['main', 'events', 'radio']);
		expect(records[3]).toMatchObject({pid: 380, message: 'a threadtime line'}); // CR stripped
		expect(records[4]).toMatchObject({pid: 380, tag: 'ActivityManager', message: 'a brief line'});
		expect(records[6]).toMatchObject({tag: 'am_proc_start', message: expect.stringMatching(/^\[0,12455,10085,/)});
		expect(records[9]!.message).toBe('garbage \x00\x07 with control bytes');
		expect(records[10]).toMatchObject({tag: '', message: 'empty tag'});
		expect(stats.formats).toMatchObject({threadtime: 4, brief: 1, banner: 3, raw: 3});
	});

	it('caps a line at MAX_LINE_CHARS and counts it', () => {
		const long = '05-17 12:34:56.789   1   1 I Tag: ' + 'x'.repeat(MAX_LINE_CHARS * 2);
		const {records, stats} = parseLines([long, 'y'.repeat(MAX_LINE_CHARS + 1)]);
		expect(stats.truncated).toBe(2);
		expect(records[0]!.tag).toBe('Tag');
		expect(records[0]!.message.length).toBe(MAX_LINE_CHARS - '05-17 12:34:56.789   1   1 I Tag: '.length);
		expect(records[1]!.message.length).toBe(MAX_LINE_CHARS);
	});

	it('never throws and stays linear on pathological lines', () => {
		const evil = [
			'05-17 12:34:56.789   1   1 I ' + ' '.repeat(MAX_LINE_CHARS),
			'05-17 12:34:56.789   1   1 I ' + ': '.repeat(MAX_LINE_CHARS / 2),
			'05-17 12:34:56.789 I/' + '( '.repeat(MAX_LINE_CHARS / 2),
			'I/' + ' ('.repeat(MAX_LINE_CHARS / 2),
			'I( 1) ' + '  ('.repeat(MAX_LINE_CHARS / 3) + ')',
			'I( 1) ' + '  ('.repeat(MAX_LINE_CHARS / 3),
			'[ ' + '['.repeat(MAX_LINE_CHARS) + ' ]',
			' '.repeat(MAX_LINE_CHARS),
			'9'.repeat(MAX_LINE_CHARS),
			'99-99 99:99:99.999   1   1 I Tag: impossible date',
			'\uD83D'.repeat(10) + '\uFFFF\u0000',
			'',
		];
		const started = performance.now();
		const {records} = parseLines([...evil, ...evil, ...evil]);
		expect(performance.now() - started).toBeLessThan(1500);
		expect(records).toHaveLength(evil.length * 3);
		expect(records[9]).toMatchObject({pid: 1, tag: 'Tag', message: 'impossible date'});
		expect(records[9]!.ts).toBeUndefined();
	});

	it('timeOf reads a line\'s time without consuming it', () => {
		const parser = new LogcatParser({year: 2024});
		expect(parser.timeOf('05-17 12:34:56.789   1   1 I Tag: m')).toBeCloseTo(T0 + 0.789, 6);
		expect(parser.timeOf('[ 05-17 12:34:56.500   1:    2 I/A ]')).toBeCloseTo(T0 + 0.5, 6);
		expect(parser.timeOf('\x1B[32m         1716000000.123  1234  5678 I chromium: m\x1B[0m')).toBe(1716000000.123);
		expect(parser.timeOf('I/Tag(  1): no time')).toBeUndefined();
		expect(parser.timeOf('--------- beginning of main')).toBeUndefined();
		expect(parser.stats.lines).toBe(0);
	});

	it('uses the line ts when the format carries none', () => {
		const parser = new LogcatParser({year: 2024});
		expect(parser.push({text: 'I/Tag(  1): m', index: 1, ts: 42})[0]!.ts).toBe(42);
		expect(parser.push({text: 'junk', index: 2, ts: 43})[0]).toMatchObject({ts: 43, raw: true});
		expect(parser.push({text: '05-17 12:34:56.000   1   1 I Tag: m', index: 3, ts: 44})[0]!.ts).toBe(T0);
	});
});
