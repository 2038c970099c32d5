/**
 * Bundled logcat rules per browser: a regex on the tag and one on the message of a log record
 * that says a browser entered or left incognito/private mode. Rules live in
 * `logcat-rules/browsers.json` (kept apart from the host rules in `rules/`; app/rule-files.ts reads
 * it and hands the JSON in), are checked when parsed (anchored, bounded length, no nested quantifiers) so a hostile 4 KiB log line cannot
 * make a match slow, and are matched by a pure function. Generic rules (`pkg: "*"`) read the
 * meaning of a line from any known browser's own pids, whatever the app's wording.
 */
import type {AndroidFact, LogRecord} from '../types.js';
import {isBrowserPackage} from './incognito.js';

/** How sure a rule is: read in code, stated in documentation, or inferred from a sibling. */
type RuleConfidence = 'code' | 'doc' | 'inferred' | 'unverified';

/**
 * One rule. `system`: a framework line that names the package itself (any pid); `browser`: only
 * lines from the browser's own pids, or from any pid when `ownTag` says the tag is the browser's alone.
 * `pkg` {@link ANY_BROWSER_PKG} (browser scope only): whichever known browser owns the pid.
 */
export type BrowserLogRule = {
	id: string;
	pkg: string;
	scope: 'system' | 'browser';
	tag: string;
	message: string;
	/** A message that also matches this is not the change (a negation, a failure, a stack frame). */
	unless?: string;
	/** All three regexes ignore case. */
	ignoreCase?: boolean;
	kind: 'incognito-on' | 'incognito-off';
	confidence: RuleConfidence;
	source: string;
	note?: string;
	ownTag?: boolean;
};

/** A rule with its regexes built once. */
export type CompiledBrowserRule = BrowserLogRule & {tagRe: RegExp; messageRe: RegExp; unlessRe?: RegExp};

/** The `pkg` of a generic rule: the line's package is that of its pid, when it is a known browser. */
const ANY_BROWSER_PKG = '*';

/** Rules in one file: a handful per browser family; more means a mistake or a hostile file. */
const MAX_BROWSER_RULES = 256;
/** Longest regex source accepted: the bundled ones are under 150 chars. */
export const MAX_RULE_REGEX_CHARS = 300;
/** Message characters a rule sees: logd caps an entry near 4 KiB, so nothing real is cut. */
const MAX_MATCH_MESSAGE_CHARS = 4096;
/** Tag characters a rule sees: Android tags are short (23 chars before API 26). */
const MAX_MATCH_TAG_CHARS = 128;

const KINDS = new Set(['incognito-on', 'incognito-off']);
const SCOPES = new Set(['system', 'browser']);
const CONFIDENCES = new Set(['code', 'doc', 'inferred', 'unverified']);
const PACKAGE_RE = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+$/;

/**
 * Why a regex source is unsafe or unanchored, or undefined when it is fine. Backtracking blows
 * up on a quantified group that itself holds a quantifier, and on backreferences; both are refused.
 */
export function regexProblem(src: string): string | undefined {
	if (src.length === 0 || src.length > MAX_RULE_REGEX_CHARS) return `length must be 1..${MAX_RULE_REGEX_CHARS}`;
	if (!src.startsWith('^')) return 'must be anchored with ^';
	if (/\\[1-9k]/.test(src)) return 'backreferences are not allowed';
	// Per open group: whether a quantifier was seen inside it.
	const stack: boolean[] = [];
	let inClass = false;
	for (let i = 0; i < src.length; i++) {
		const c = src[i]!;
		if (c === '\\') {
			i++;
			continue;
		}
		if (inClass) {
			if (c === ']') inClass = false;
			continue;
		}
		if (c === '[') inClass = true;
		else if (c === '(') stack.push(false);
		else if (c === ')') {
			const inner = stack.pop();
			if (inner === undefined) return 'unbalanced )';
			const next = src[i + 1];
			const quantified = next === '*' || next === '+' || next === '{' || next === '?';
			if (inner && quantified && next !== '?') return 'nested quantifier';
			if (inner && stack.length > 0) stack[stack.length - 1] = true;
			if (quantified && stack.length > 0) stack[stack.length - 1] = true;
		} else if ((c === '*' || c === '+' || c === '{') && stack.length > 0) stack[stack.length - 1] = true;
	}
	if (stack.length > 0) return 'unbalanced (';
	try {
		new RegExp(src);
	} catch (error) {
		return (error as Error).message;
	}
	return undefined;
}

function str(o: Record<string, unknown>, k: string, where: string): string {
	const v = o[k];
	if (typeof v !== 'string' || v === '') throw new Error(`${where}: "${k}" must be a non-empty string`);
	return v;
}

/** Checks and compiles a rule file's JSON; throws with the rule's position on anything wrong. */
export function parseBrowserLogRules(json: unknown, file = 'browser rules'): CompiledBrowserRule[] {
	if (typeof json !== 'object' || json === null || !Array.isArray((json as {rules?: unknown}).rules)) throw new Error(`${file}: expected {"rules": [...]}`);
	const list = (json as {rules: unknown[]}).rules;
	if (list.length > MAX_BROWSER_RULES) throw new Error(`${file}: more than ${MAX_BROWSER_RULES} rules`);
	const ids = new Set<string>();
	return list.map((raw, i) => {
		const where = `${file} rule ${i + 1}`;
		if (typeof raw !== 'object' || raw === null) throw new Error(`${where}: not an object`);
		const o = raw as Record<string, unknown>;
		const rule: BrowserLogRule = {
			id: str(o, 'id', where),
			pkg: str(o, 'pkg', where),
			scope: str(o, 'scope', where) as BrowserLogRule['scope'],
			tag: str(o, 'tag', where),
			message: str(o, 'message', where),
			kind: str(o, 'kind', where) as BrowserLogRule['kind'],
			confidence: str(o, 'confidence', where) as RuleConfidence,
			source: str(o, 'source', where),
		};
		if (typeof o['note'] === 'string') rule.note = o['note'];
		if (o['ownTag'] === true) rule.ownTag = true;
		if (o['unless'] !== undefined) rule.unless = str(o, 'unless', where);
		if (o['ignoreCase'] === true) rule.ignoreCase = true;
		if (ids.has(rule.id)) throw new Error(`${where}: duplicate id ${rule.id}`);
		ids.add(rule.id);
		const anyBrowser = rule.pkg === ANY_BROWSER_PKG;
		if (!anyBrowser && !PACKAGE_RE.test(rule.pkg)) throw new Error(`${where}: "${rule.pkg}" is not a package name`);
		if (!SCOPES.has(rule.scope)) throw new Error(`${where}: scope must be system or browser`);
		// A system line from any pid names no browser by its pid: "*" needs the browser's own pids.
		if (anyBrowser && (rule.scope !== 'browser' || rule.ownTag)) throw new Error(`${where}: pkg "*" needs scope browser and no ownTag`);
		if (!KINDS.has(rule.kind)) throw new Error(`${where}: kind must be incognito-on or incognito-off`);
		if (!CONFIDENCES.has(rule.confidence)) throw new Error(`${where}: confidence must be code, doc, inferred or unverified`);
		for (const k of ['tag', 'message', 'unless'] as const) {
			const src = rule[k];
			const problem = src === undefined ? undefined : regexProblem(src);
			if (problem) throw new Error(`${where}: ${k} regex ${problem}`);
		}
		const flags = rule.ignoreCase ? 'i' : '';
		const compiled: CompiledBrowserRule = {...rule, tagRe: new RegExp(rule.tag, flags), messageRe: new RegExp(rule.message, flags)};
		if (rule.unless !== undefined) compiled.unlessRe = new RegExp(rule.unless, flags);
		return compiled;
	});
}

/**
 * The incognito fact a log record states under the browser rules (the first rule that matches),
 * or undefined. `rules` come from parseBrowserLogRules (the bundled file is read at the edge). `pkgOfPid` is the package that owns the record's pid, when known: `browser`-scope
 * rules need it to match, and generic rules take it as the line's package.
 */
export function matchBrowserLogRule(rules: readonly CompiledBrowserRule[], rec: LogRecord, pkgOfPid?: string): AndroidFact | undefined {
	if (rec.raw || rec.buffer !== undefined || rec.tag === undefined) return undefined;
	const tag = rec.tag.slice(0, MAX_MATCH_TAG_CHARS);
	const message = rec.message.slice(0, MAX_MATCH_MESSAGE_CHARS);
	const fromBrowser = isBrowserPackage(pkgOfPid);
	for (const r of rules) {
		let pkg = r.pkg;
		if (pkg === ANY_BROWSER_PKG) {
			if (!fromBrowser) continue;
			pkg = pkgOfPid!;
		} else if (r.scope === 'browser' && pkgOfPid !== r.pkg && !r.ownTag) continue;
		if (!r.tagRe.test(tag) || !r.messageRe.test(message) || r.unlessRe?.test(message)) continue;
		return {kind: r.kind, pkg, detail: `logcat rule ${r.id} (${r.confidence})`, signal: 'log'};
	}
	return undefined;
}
