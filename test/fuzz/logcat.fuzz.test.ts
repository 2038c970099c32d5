/**
 * Properties of the logcat line parser, every `-v` format: arbitrary and mutated real lines never
 * throw and stay bounded; lines written here from arbitrary fields, in each format, parse back to
 * those fields.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {LogcatParser, MAX_LINE_CHARS, MAX_LONG_MESSAGE_LINES, parseLogcatLine} from '../../source/decode/logcat.js';
import type {LogRecord} from '../../source/types.js';
import {fuzzOptions, timed} from './fuzz-options.js';
import {repoRoot} from '../helpers/corpus.js';
import {logcatLines, mutated} from './real-inputs.js';

const real = logcatLines();
const realBytes = real.filter((l) => l.length > 0).map((l) => new Uint8Array(Buffer.from(l, 'utf8')));

/** A line as a phone, a file or an attacker may give it: real, mutated, arbitrary, or huge. */
const anyLine = fc.oneof(
	{weight: 2, arbitrary: fc.constantFrom(...real)},
	{weight: 4, arbitrary: mutated(realBytes).map((b) => Buffer.from(b).toString('utf8'))},
	{weight: 2, arbitrary: fc.string({unit: 'binary', maxLength: 200})},
	{weight: 1, arbitrary: fc.tuple(fc.constantFrom(...real), fc.string({maxLength: 4}), fc.integer({min: 1000, max: 3 * MAX_LINE_CHARS})).map(([l, s, n]) => l + s.repeat(n))},
);

describe('LogcatParser: any lines', () => {
	it('no throw; at most one record per line (plus one at the end); messages, tags and times bounded', () => {
		fc.assert(
			fc.property(fc.array(anyLine, {maxLength: 30}), (lines) => {
				const parser = new LogcatParser({year: 2024, zone: 'UTC'});
				const records: LogRecord[] = [];
				lines.forEach((text, i) => records.push(...timed(() => parser.push({text, index: i + 1}))));
				records.push(...parser.end());
				expect(records.length).toBeLessThanOrEqual(lines.length + 1);
				for (const r of records) {
					// A -v long record joins up to MAX_LONG_MESSAGE_LINES lines of MAX_LINE_CHARS.
					expect(r.message.length).toBeLessThanOrEqual(MAX_LONG_MESSAGE_LINES * (MAX_LINE_CHARS + 1));
					if (r.tag !== undefined) expect(r.tag.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
					if (r.ts !== undefined) expect(Number.isFinite(r.ts)).toBe(true);
				}
				expect(parser.stats.lines).toBe(lines.length);
			}),
			fuzzOptions(100),
		);
	});

	it('parseLogcatLine on any one line: no throw, one record, the message never longer than the line', () => {
		fc.assert(
			fc.property(anyLine, (text) => {
				const r = timed(() => parseLogcatLine(text));
				expect(r.message.length).toBeLessThanOrEqual(Math.min(text.length, MAX_LINE_CHARS));
			}),
			fuzzOptions(300),
		);
	});
});

// ---------------------------------------------------------------------------------------------
// Oracle: a line per format from arbitrary fields.

type Fields = {month: number; day: number; hour: number; minute: number; second: number; ms: number; pid: number; tid: number; level: string; tag: string; message: string};

const fields: fc.Arbitrary<Fields> = fc.record({
	month: fc.integer({min: 1, max: 12}),
	day: fc.integer({min: 1, max: 28}),
	hour: fc.integer({min: 0, max: 23}),
	minute: fc.integer({min: 0, max: 59}),
	second: fc.integer({min: 0, max: 59}),
	ms: fc.integer({min: 0, max: 999}),
	pid: fc.integer({min: 1, max: 99_999}),
	tid: fc.integer({min: 1, max: 99_999}),
	level: fc.constantFrom('V', 'D', 'I', 'W', 'E', 'F', 'A'),
	tag: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,22}$/),
	// Any text a log message may hold on one line: quotes, brackets, colons, non-ASCII; no controls.
	message: fc.string({unit: fc.oneof(fc.constantFrom(':', '(', ')', '[', ']', '/', ' ', '"', 'é', '日', '😀'), fc.string({unit: 'grapheme-ascii', minLength: 1, maxLength: 1})), maxLength: 60}).filter((m) => !/[\u0000-\u001f\u007f]/.test(m) && m.trim() === m && m.length > 0),
});

const p2 = (n: number) => String(n).padStart(2, '0');
const stamp = (f: Fields) => `${p2(f.month)}-${p2(f.day)} ${p2(f.hour)}:${p2(f.minute)}:${p2(f.second)}.${String(f.ms).padStart(3, '0')}`;
const epoch = (f: Fields) => Date.UTC(2024, f.month - 1, f.day, f.hour, f.minute, f.second) / 1000 + f.ms / 1000;
const pad5 = (n: number) => String(n).padStart(5, ' ');

/** The line in each format, as logcat prints it (android/system/logging/logcat/logprint.cpp), and what must come back. */
const FORMATS: Record<string, (f: Fields) => {lines: string[]; want: Partial<LogRecord>}> = {
	threadtime: (f) => ({lines: [`${stamp(f)} ${pad5(f.pid)} ${pad5(f.tid)} ${f.level} ${f.tag.padEnd(8)}: ${f.message}`], want: {pid: f.pid, tid: f.tid, tag: f.tag, message: f.message, ts: epoch(f)}}),
	brief: (f) => ({lines: [`${f.level}/${f.tag.padEnd(8)}(${pad5(f.pid)}): ${f.message}`], want: {pid: f.pid, tag: f.tag, message: f.message}}),
	time: (f) => ({lines: [`${stamp(f)} ${f.level}/${f.tag.padEnd(8)}(${pad5(f.pid)}): ${f.message}`], want: {pid: f.pid, tag: f.tag, message: f.message, ts: epoch(f)}}),
	process: (f) => ({lines: [`${f.level}(${pad5(f.pid)}) ${f.message}  (${f.tag})`], want: {pid: f.pid, tag: f.tag, message: f.message}}),
	tag: (f) => ({lines: [`${f.level}/${f.tag.padEnd(8)}: ${f.message}`], want: {tag: f.tag, message: f.message}}),
	thread: (f) => ({lines: [`${f.level}(${pad5(f.pid)}:${pad5(f.tid)}) ${f.message}`], want: {pid: f.pid, tid: f.tid, message: f.message}}),
	// A message line that starts with "[ " is left out here: see the known bug below.
	long: (f) => ({lines: [`[ ${stamp(f)} ${pad5(f.pid)}:${pad5(f.tid)} ${f.level}/${f.tag} ]`, f.message, f.message, ''], want: {pid: f.pid, tid: f.tid, tag: f.tag, message: `${f.message}\n${f.message}`, ts: epoch(f)}}),
};

/**
 * Messages that make a line of one format a valid line of another, which no per-line reader can
 * tell apart (logcat prints no format marker): a `tag` line whose message holds "(<pid>):" is a
 * `brief` line with a longer tag; a `thread` line whose message ends "  (<tag>)" is a `process`
 * line with a uid. Found by `npm run fuzz` (seed 886550320); left out of the round trip.
 */
const AMBIGUOUS: Record<string, RegExp> = {tag: /\( *(?:[A-Za-z0-9_]+: *)?\d+\):/, thread: /  \(.*\)$/};

describe('LogcatParser: every format round-trips', () => {
	for (const [format, write] of Object.entries(FORMATS)) {
		it(`${format}: a line written from arbitrary fields parses back to them`, () => {
			fc.assert(
				fc.property(fields, (f) => {
					if (format === 'long' && f.message.startsWith('[ ')) return;
					if (AMBIGUOUS[format]?.test(f.message)) return;
					const {lines, want} = write(f);
					const parser = new LogcatParser({year: 2024, zone: 'UTC'});
					const records = [...lines.flatMap((text, i) => parser.push({text, index: i + 1})), ...parser.end()];
					expect(records).toHaveLength(1);
					const r = records[0]!;
					expect(r.raw).toBeUndefined();
					expect(r.level).toBe(f.level);
					const {ts, ...rest} = want;
					expect(r).toMatchObject(rest);
					if (ts !== undefined) expect(r.ts).toBeCloseTo(ts, 6);
					expect(parser.stats.formats[format as keyof typeof parser.stats.formats]).toBe(1);
				}),
				fuzzOptions(100),
			);
		});
	}
});

// Found by fuzzing, now fixed (decode/logcat.ts): in `-v long`, any body line that starts
// with "[ " closes the open record, header or not; the rest of the message then comes out as raw
// records. Found by the round trip above (message "[ 日+"). logcat cannot print a header inside a
// message, so only a line the header pattern matches should close it.
describe('LogcatParser: -v long', () => {
	it('a message line starting with "[ " stays in its record (fixture hostile/logcat/long-bracket-line.txt)', () => {
		const text = readFileSync(path.join(repoRoot, 'test', 'fixtures', 'hostile', 'logcat', 'long-bracket-line.txt'), 'utf8');
		const parser = new LogcatParser({year: 2024, zone: 'UTC'});
		const records = [...text.split('\n').flatMap((line, i) => parser.push({text: line, index: i + 1})), ...parser.end()];
		expect(records.map((r) => [r.tag, r.raw ?? false])).toEqual([
			['ActivityTaskManager', false],
			['Other', false],
		]);
		expect(records[0]!.message).toBe('first line of the message\n[ 12.345678] a message line that starts like a header\nlast line of the message');
	});
});
