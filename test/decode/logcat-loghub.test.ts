import {readFileSync} from 'node:fs';
import {describe, it, expect} from 'vitest';
import {LogcatParser} from '../../source/decode/logcat.js';
import type {LogRecord} from '../../source/types.js';
import {corpusPath, needFiles} from '../helpers/corpus.js';
import {parseCsv} from '../helpers/csv.js';

// loghub's licence forbids copying: the log and its structured CSV are read in place.
const logFile = corpusPath('logcat', 'loghub__Android_2k.log');
const csvFile = corpusPath('logcat', 'loghub__Android_2k.log_structured.csv');

/** The log parsed and its CSV read, once, when a test asks: a skipped suite's body still runs while collecting. */
let loaded: ReturnType<typeof load> | undefined;
function load() {
	const lines = readFileSync(logFile, 'utf8').split('\n');
	const [head, ...rows] = parseCsv(readFileSync(csvFile, 'utf8'));
	const col = (name: string) => head!.indexOf(name);
	const parser = new LogcatParser({year: 2017, zone: 'UTC'});
	const records: LogRecord[] = [];
	lines.forEach((text, i) => records.push(...parser.push({text, index: i + 1})));
	records.push(...parser.end());
	return {lines, rows, col, parser, records};
}

describe.runIf(needFiles('the loghub Android_2k corpus files', logFile, csvFile))('loghub Android_2k against its structured CSV', () => {
	it('gives one record per line, none raw', () => {
		const {lines, rows, parser, records} = (loaded ??= load());
		expect(lines).toHaveLength(2000);
		expect(rows).toHaveLength(2000);
		expect(records).toHaveLength(2000);
		expect(parser.stats.raw).toBe(0);
		expect(parser.stats.formats.threadtime).toBe(2000);
	});

	it('agrees field by field with all 2000 rows', () => {
		const {rows, col, records} = (loaded ??= load());
		expect(rows).toHaveLength(2000);
		let trailingSpaceRows = 0;
		for (const row of rows) {
			const id = Number(row[col('LineId')]);
			const rec = records[id - 1]!;
			expect(rec.index).toBe(id);
			const [mm, dd] = row[col('Date')]!.split('-').map(Number);
			const [h, m, s] = row[col('Time')]!.split(':');
			const expected = Date.UTC(2017, mm! - 1, dd!, Number(h), Number(m), 0) / 1000 + Number(s);
			expect(rec.ts).toBeCloseTo(expected, 6);
			expect(rec.pid).toBe(Number(row[col('Pid')]));
			expect(rec.tid).toBe(Number(row[col('Tid')]));
			expect(rec.level).toBe(row[col('Level')]);
			expect(rec.tag).toBe(row[col('Component')]);
			const content = row[col('Content')]!;
			if (rec.message !== content) {
				// TRUTH.md: the CSV strips the message's trailing spaces in 26 rows.
				expect(rec.message.trimEnd()).toBe(content);
				expect(rec.message).toMatch(/ $/);
				trailingSpaceRows++;
			}
			expect(rec.message).not.toMatch(/\r/);
		}
		expect(trailingSpaceRows).toBe(26);
	});
});
