import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

/** Repo root (two levels above this file). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The shared folder beside every clone (../shared, or TATTLE_SHARED): corpus and research. */
export const sharedDir = process.env.TATTLE_SHARED ?? path.resolve(repoRoot, '../shared');

/** The shared corpus: ../shared/corpus, or TATTLE_CORPUS. */
export const corpusDir = process.env.TATTLE_CORPUS ?? path.join(sharedDir, 'corpus');

/**
 * Whether files a suite reads from beside the clone are there. In CI (CI env set) a missing one
 * is an error, so the suite fails loudly instead of being skipped; on a developer machine the
 * suite is skipped with a message.
 */
export function needFiles(what: string, ...files: string[]): boolean {
	const missing = files.filter((f) => !existsSync(f));
	if (missing.length === 0) return true;
	if (process.env.CI) throw new Error(`${what} is required in CI: missing ${missing.join(', ')}`);
	console.warn(`skipping tests that need ${what}: missing ${missing.join(', ')}`);
	return false;
}

export const hasCorpus = needFiles('the shared corpus (../shared/corpus, or TATTLE_CORPUS)', path.join(corpusDir, 'pcap'));

/**
 * Names of corpus captures (e.g. "ndpi__xiaomi.pcap") that `keep` accepts, for `it.each`. [] when
 * the corpus is skipped; an error when none is left, since `it.each([])` passes by running nothing.
 */
export function corpusPcaps(keep: (name: string) => boolean = () => true): string[] {
	if (!hasCorpus) return [];
	const dir = path.join(corpusDir, 'pcap');
	const names = readdirSync(dir).filter(keep).sort();
	if (names.length === 0) throw new Error(`no captures in ${dir} for this suite: its tests would run nothing`);
	return names;
}

export function corpusPath(...parts: string[]): string {
	return path.join(corpusDir, ...parts);
}

/** Parsed truth/NAME.tsv: facts grouped by type, fields unescaped. A missing file is an error, not "no facts". */
export function readTruth(name: string): Map<string, string[][]> {
	const facts = new Map<string, string[][]>();
	const file = path.join(corpusDir, 'truth', `${name}.tsv`);
	if (!existsSync(file)) throw new Error(`no truth for ${name}: missing ${file}, so the capture would be checked against nothing`);
	for (const line of readFileSync(file, 'utf8').split('\n')) {
		if (!line || line.startsWith('#')) continue;
		const [kind, ...fields] = line.split('\t').map(unescapeField);
		if (!kind) continue;
		let list = facts.get(kind);
		if (!list) facts.set(kind, (list = []));
		list.push(fields);
	}
	return facts;
}

function unescapeField(s: string): string {
	return s.replace(/\\([tnr\\])/g, (_, c: string) => ({t: '\t', n: '\n', r: '\r', '\\': '\\'})[c] ?? c);
}
