/**
 * The edge where classify/'s data comes from disk: bundled host rules, the user's --rules and
 * --blocklist files, and the bundled browser log rules. Files are read here and their text handed
 * to the pure parsers of classify/; a bad user file is a clear one-line error, never a stack trace.
 */
import {closeSync, fstatSync, openSync, readFileSync, readSync, readdirSync} from 'node:fs';
import {basename} from 'node:path';
import {fileURLToPath} from 'node:url';
import {MAX_BLOCKLIST_BYTES, parseBlocklist, type BlocklistResult} from '../classify/blocklist.js';
import {parseBrowserLogRules, type CompiledBrowserRule} from '../classify/browser-rules.js';
import {createRuleSet, parseRuleFile, type RuleFile, type RuleSet} from '../classify/rules.js';

/** The bundled rule folders, beside the compiled classify/ (the build copies the JSON into dist/). */
const BUNDLED_HOST_RULES = new URL('../classify/rules/', import.meta.url);
const BUNDLED_BROWSER_RULES = new URL('../classify/logcat-rules/browsers.json', import.meta.url);

/** Reads one rule file (a `--rules FILE`). */
export function loadRuleFile(path: string): RuleFile {
	return parseRuleFile(readFileSync(path, 'utf8'), path);
}

/** Reads every bundled host rule file (the JSON files of a folder, in name order). */
export function loadBundledRules(dir: URL = BUNDLED_HOST_RULES): RuleFile[] {
	return readdirSync(fileURLToPath(dir))
		.filter((name) => name.endsWith('.json'))
		.sort()
		.map((name) => loadRuleFile(fileURLToPath(new URL(name, dir))));
}

/** Reads a blocklist, at most MAX_BLOCKLIST_BYTES of it (a bigger file is cut and says so); rules are sourced to the file name. */
export function loadBlocklist(path: string, maxBytes = MAX_BLOCKLIST_BYTES): BlocklistResult {
	const fd = openSync(path, 'r');
	let bytes: Buffer;
	let cut: boolean;
	try {
		// One byte past the cap tells a file of exactly the cap from a longer one; a pipe has no size
		const size = fstatSync(fd).size;
		const buffer = Buffer.alloc(Math.min(size > 0 ? size : maxBytes, maxBytes) + 1);
		let length = 0;
		for (let n = 1; n > 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
		cut = length > maxBytes;
		// A cut file ends at its last whole line: half a host name is not a rule
		bytes = cut ? buffer.subarray(0, buffer.lastIndexOf(10, maxBytes - 1) + 1) : buffer.subarray(0, length);
	} finally {
		closeSync(fd);
	}
	const result = parseBlocklist(bytes.toString('utf8'), basename(path));
	if (cut) result.truncated = true;
	return result;
}

/** Reads and compiles a browser log rule file (the bundled one by default). */
export function loadBrowserLogRules(file: URL = BUNDLED_BROWSER_RULES): CompiledBrowserRule[] {
	const path = fileURLToPath(file);
	return parseBrowserLogRules(JSON.parse(readFileSync(path, 'utf8')) as unknown, path);
}

/** What classify/ works from in a session: host rules (all layers) and browser log rules. */
type ClassifierData = {rules: RuleSet; browserLogRules: CompiledBrowserRule[]};

/** Loads every rule layer; `notes` says what blocklist lines were ignored. */
export function loadClassifier(opts: {rules?: string[]; blocklists?: string[]}): {ok: true; value: ClassifierData; notes: string[]} | {ok: false; error: string} {
	const notes: string[] = [];
	const user: RuleFile[] = [];
	const lists: RuleFile[] = [];
	let bundled: RuleFile[];
	let browserLogRules: CompiledBrowserRule[];
	try {
		bundled = loadBundledRules();
		browserLogRules = loadBrowserLogRules();
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
	return {ok: true, value: {rules: createRuleSet({user, bundled, lists}), browserLogRules}, notes};
}

function describe(error: unknown): string {
	const e = error as NodeJS.ErrnoException;
	if (e.code === 'ENOENT') return 'no such file';
	if (e.code === 'EACCES') return 'permission denied';
	if (e.code === 'EISDIR') return 'is a folder, not a file';
	return e.message ?? String(error);
}
