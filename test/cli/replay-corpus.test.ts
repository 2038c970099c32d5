/**
 * The program as a user runs it: `tattle replay FILE --report out.json` on every corpus capture,
 * no terminal, no device. It exits 0 (a damaged capture is read up to the damage) or 2 with one
 * line saying why nothing could be read; it never crashes or prints a stack trace.
 */
import {execFile} from 'node:child_process';
import {mkdtempSync, readFileSync, existsSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {describe, expect, it} from 'vitest';
import {corpusPath, corpusPcaps, hasCorpus, readTruth, repoRoot} from '../helpers/corpus.js';

const run = promisify(execFile);
const cli = path.join(repoRoot, 'dist', 'cli.js');
const out = mkdtempSync(path.join(tmpdir(), 'tattle-cli-'));

export async function tattle(args: string[], opts: {input?: string} = {}): Promise<{code: number; stdout: string; stderr: string}> {
	try {
		const r = await run(process.execPath, [cli, ...args], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: {...process.env, NO_COLOR: '1'}});
		return {code: 0, stdout: r.stdout, stderr: r.stderr};
	} catch (error) {
		const e = error as {code?: number; stdout?: string; stderr?: string};
		return {code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? ''};
	}
}

describe.runIf(hasCorpus && existsSync(cli))('tattle replay on every corpus capture', () => {
	it.each(corpusPcaps())('%s', async (file) => {
		const report = path.join(out, `${file}.json`);
		const r = await tattle(['replay', corpusPath('pcap', file), '--report', report]);
		expect(r.stderr).not.toMatch(/\n\s+at |internal error|TypeError|RangeError/);
		const truth = readTruth(file);
		const unreadable = (truth.get('file') ?? [])[0]?.[0] === 'capinfos-error';
		if (r.code === 2) {
			// Nothing readable: exactly one line, naming the file.
			expect(r.stderr.trim().split('\n')).toHaveLength(1);
			expect(r.stderr).toMatch(/^tattle: .*: /);
			expect(unreadable, `tattle refused a capture tshark reads: ${r.stderr}`).toBe(true);
			return;
		}
		expect(r.code, r.stderr).toBe(0);
		const rep = JSON.parse(readFileSync(report, 'utf8')) as {stats: {packets: number; malformed: number}};
		const want = Number((truth.get('file') ?? [])[0]?.[2] ?? NaN);
		if (!Number.isNaN(want)) expect(rep.stats.packets).toBe(want);
		// Damage (a torn last record) is reported on stderr and counted, never fatal.
		if (r.stderr.includes('byte')) expect(rep.stats.malformed).toBeGreaterThan(0);
	});
});
