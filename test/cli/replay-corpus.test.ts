/**
 * The program as a user runs it: `tattle replay FILE --report out.json` on every corpus capture,
 * no terminal, no device. It exits 0 (a damaged capture is read up to the damage) or 2 with one
 * line saying why nothing could be read; it never crashes or prints a stack trace.
 */
import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {corpusPath, corpusPcaps, hasCorpus, readTruth} from '../helpers/corpus.js';
import {tattle} from '../helpers/cli.js';

const out = mkdtempSync(path.join(tmpdir(), 'tattle-cli-'));

describe.runIf(hasCorpus)('tattle replay on every corpus capture', () => {
	it.each(corpusPcaps())('%s', async (file) => {
		const report = path.join(out, `${file}.json`);
		const r = await tattle(['replay', corpusPath('pcap', file), '--report', report]);
		expect(r.stderr).not.toMatch(/\n\s+at |internal error|TypeError|RangeError/);
		const truth = readTruth(file);
		const [format, , count] = truth.get('file')?.[0] ?? [];
		expect(format, 'the truth has a file line').toBeDefined();
		// capinfos could not read it, or tshark complained (damaged, cut short, unsupported).
		const unreadable = format === 'capinfos-error';
		const damaged = truth.has('read_error');
		if (r.code === 2) {
			// Nothing readable: exactly one line, naming the file.
			expect(r.stderr.trim().split('\n')).toHaveLength(1);
			expect(r.stderr).toMatch(/^tattle: .*: /);
			expect(unreadable, `tattle refused a capture tshark reads: ${r.stderr}`).toBe(true);
			return;
		}
		expect(r.code, r.stderr).toBe(0);
		const rep = JSON.parse(readFileSync(report, 'utf8')) as {stats: {packets: number; malformed: number}};
		// capinfos counts the packets of every file it reads; one it cannot read has no count.
		if (unreadable) expect(damaged, 'capinfos failed but tshark read it cleanly').toBe(true);
		else expect(rep.stats.packets).toBe(Number(count));
		// Damage (a torn last record) is reported on stderr and counted, never fatal; a capture
		// tshark reads cleanly reports none.
		expect(/: byte \d+: /.test(r.stderr), `damage reported: ${r.stderr}`).toBe(damaged);
		if (damaged) expect(rep.stats.malformed).toBeGreaterThan(0);
	});
});
