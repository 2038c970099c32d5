/**
 * Builds the classifier the CLI uses: bundled rules, the user's --rules files (which win), and
 * --blocklist files. A bad user file is a clear one-line error, never a stack trace.
 */
import {createRuleSet, loadBundledRules, loadRuleFile, type RuleFile, type RuleSet} from './rules.js';
import {loadBlocklist} from './blocklist.js';

export type LoadResult = {ok: true; value: RuleSet; notes: string[]} | {ok: false; error: string};

/** Loads every rule layer; `notes` says what blocklist lines were ignored. */
export function loadClassifier(opts: {rules?: string[]; blocklists?: string[]}): LoadResult {
	const notes: string[] = [];
	const user: RuleFile[] = [];
	const lists: RuleFile[] = [];
	let bundled: RuleFile[];
	try {
		bundled = loadBundledRules();
	} catch (error) {
		return {ok: false, error: `bundled rules are damaged: ${(error as Error).message}`};
	}
	for (const file of opts.rules ?? []) {
		try {
			user.push(loadRuleFile(file));
		} catch (error) {
			return {ok: false, error: `--rules ${file}: ${describe(error)}`};
		}
	}
	for (const file of opts.blocklists ?? []) {
		try {
			const r = loadBlocklist(file);
			lists.push(r.file);
			const ignored = Object.values(r.ignored).reduce((a, b) => a + b, 0);
			if (ignored > 0 || r.truncated) notes.push(`${file}: ${r.file.rules.length} rules, ${ignored} lines ignored${r.truncated ? ', cut at the size cap' : ''}`);
		} catch (error) {
			return {ok: false, error: `--blocklist ${file}: ${describe(error)}`};
		}
	}
	return {ok: true, value: createRuleSet({user, bundled, lists}), notes};
}

function describe(error: unknown): string {
	const e = error as NodeJS.ErrnoException;
	if (e.code === 'ENOENT') return 'no such file';
	if (e.code === 'EACCES') return 'permission denied';
	if (e.code === 'EISDIR') return 'is a folder, not a file';
	return e.message ?? String(error);
}
