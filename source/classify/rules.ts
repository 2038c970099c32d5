/**
 * Destination rules: owner and category of a host (and optionally a path) from rule files.
 *
 * Rule files are data (`source/classify/rules/*.json`, `--rules FILE`, blocklists turned into rules),
 * read at the edge (app/rule-files.ts) and handed in as text or parsed JSON: nothing here reads a file.
 * A pattern is an exact host (`sa.api.intl.miui.com`), a wildcard (`*.miui.com`, which also matches
 * the apex `miui.com`, as DNS blocklists do) or an IP literal (`161.117.97.14`).
 *
 * Precedence:
 * 1. user rules (`--rules`) win whenever one of them matches (most specific user rule);
 * 2. mDNS `.local` names and `localhost` are `local`;
 * 3. bundled rules and blocklists: the most specific pattern wins (exact > longest suffix);
 *    on a tie the list wins (the user listed the host), except that a bundled tracking category
 *    (analytics, advertising...) stays, being more precise than a list's `tracker`; the bundled
 *    owner and note stay either way;
 * 4. anything else is `unknown`, grouped by registrable domain.
 * Within one pattern, a rule with the longest matching `path` prefix beats the rule without a path;
 * a pattern that has only path rules, none matching, does not match (the walk goes on up the labels).
 *
 * Over 300 lines because rule-file validation and the matcher share the rule shape and pattern
 * checks; a split would leave two halves that each need the other.
 */
import type {Category, Classification} from '../types.js';
import {isIpLiteral} from '../lib/ip-address.js';
import {normalizeHost, registrableDomain} from './domain.js';

/** One rule as written in a rule file. */
export type HostRule = {
	pattern: string;
	owner?: string;
	category: Category;
	note?: string;
	/** Where the fact comes from: a URL, a list name, a repository path. Required in bundled files. */
	source: string;
	/** Optional path prefix (`/micrash`): the rule applies only to requests under it. */
	path?: string;
};

/** A named group of rules (one JSON file). */
export type RuleFile = {name: string; rules: HostRule[]};

/** Every category, as data (the Category type has no runtime form). */
export const CATEGORIES = [
	'analytics',
	'advertising',
	'attribution',
	'crash-report',
	'push',
	'update',
	'config',
	'cloud',
	'account',
	'app-store',
	'browsing-data',
	'browser-service',
	'security-scan',
	'feedback',
	'content',
	'first-party',
	'tracker',
	'local',
	'other',
	'unknown',
] as const satisfies readonly Category[];

// Fails to compile if types.ts gains a category this list lacks.
const categoriesComplete: Exclude<Category, (typeof CATEGORIES)[number]> extends never ? true : never = true;
void categoriesComplete;

const CATEGORY_SET: ReadonlySet<string> = new Set(CATEGORIES);

/** A rule file is hand-written data; more rules than this is a mistake, not a rule file (blocklists have their own cap). */
const MAX_RULES_PER_FILE = 200_000;

/** Longest accepted owner/note/source text: enough for a few citations, small enough to keep a store row short. */
const MAX_RULE_TEXT = 1_000;

/** True when `category` names one of our categories. */
export function isCategory(category: unknown): category is Category {
	return typeof category === 'string' && CATEGORY_SET.has(category);
}

/** Checks and normalises a pattern; returns undefined when it is not a host, `*.host` or IP literal. */
export function normalizePattern(raw: string): string | undefined {
	const wildcard = raw.startsWith('*.');
	const host = normalizeHost(wildcard ? raw.slice(2) : raw);
	if (host === '') return undefined;
	if (isIpLiteral(host)) return wildcard ? undefined : host;
	if (!validName(host)) return undefined;
	return wildcard ? `*.${host}` : host;
}

/** Labels of [a-z0-9_-], 1-63 long, not starting or ending with '-': a char loop, since blocklists feed it a million names. */
function validName(host: string): boolean {
	let labelStart = 0;
	for (let i = 0; i <= host.length; i++) {
		const c = i === host.length ? 46 : host.charCodeAt(i);
		if (c === 46) {
			const length = i - labelStart;
			if (length === 0 || length > 63 || host.charCodeAt(labelStart) === 45 || host.charCodeAt(i - 1) === 45) return false;
			labelStart = i + 1;
		} else if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95)) return false;
	}
	return true;
}

function optionalText(value: unknown, field: string, where: string, problems: string[]): string | undefined {
	if (value === undefined) return undefined;
	if (typeof value !== 'string' || value.length > MAX_RULE_TEXT) {
		problems.push(`${where}: ${field} must be a string of at most ${MAX_RULE_TEXT} characters`);
		return undefined;
	}
	return value;
}

/** Validates parsed JSON as a rule file; returns the clean file and the problems found (bad rules are dropped). */
export function validateRuleFile(data: unknown, origin: string): {file: RuleFile; problems: string[]} {
	const problems: string[] = [];
	const fallbackName = origin.replace(/^.*[\\/]/, '').replace(/\.json$/i, '');
	if (typeof data !== 'object' || data === null || !Array.isArray((data as {rules?: unknown}).rules)) {
		return {file: {name: fallbackName, rules: []}, problems: [`${origin}: expected {"name": ..., "rules": [...]}`]};
	}
	const {name, rules} = data as {name?: unknown; rules: unknown[]};
	if (rules.length > MAX_RULES_PER_FILE) problems.push(`${origin}: ${rules.length} rules, only the first ${MAX_RULES_PER_FILE} are read`);
	const clean: HostRule[] = [];
	for (const [i, raw] of rules.slice(0, MAX_RULES_PER_FILE).entries()) {
		const where = `${origin} rule ${i + 1}`;
		if (typeof raw !== 'object' || raw === null) {
			problems.push(`${where}: not an object`);
			continue;
		}
		const r = raw as Record<string, unknown>;
		const pattern = typeof r.pattern === 'string' ? normalizePattern(r.pattern) : undefined;
		if (pattern === undefined) {
			problems.push(`${where}: bad pattern ${JSON.stringify(r.pattern)}`);
			continue;
		}
		if (!isCategory(r.category)) {
			problems.push(`${where} (${pattern}): unknown category ${JSON.stringify(r.category)}`);
			continue;
		}
		const source = optionalText(r.source, 'source', where, problems);
		if (source === undefined || source.trim() === '') {
			problems.push(`${where} (${pattern}): missing source`);
			continue;
		}
		const path = optionalText(r.path, 'path', where, problems);
		if (path !== undefined && !path.startsWith('/')) {
			problems.push(`${where} (${pattern}): path must start with /`);
			continue;
		}
		const rule: HostRule = {pattern, category: r.category, source};
		const owner = optionalText(r.owner, 'owner', where, problems);
		const note = optionalText(r.note, 'note', where, problems);
		if (owner !== undefined) rule.owner = owner;
		if (note !== undefined) rule.note = note;
		if (path !== undefined) rule.path = path;
		clean.push(rule);
	}
	return {file: {name: typeof name === 'string' && name !== '' ? name : fallbackName, rules: clean}, problems};
}

/** Parses rule-file text; throws an Error listing every problem (a bad `--rules` file should stop the CLI with a clear message). */
export function parseRuleFile(text: string, origin: string): RuleFile {
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch (error) {
		throw new Error(`${origin}: not valid JSON (${(error as Error).message})`);
	}
	const {file, problems} = validateRuleFile(data, origin);
	if (problems.length > 0) throw new Error(`${origin}: ${problems.length} problem(s):\n${problems.slice(0, 20).join('\n')}`);
	return file;
}

/** Rule sources by precedence; each is a list of rule files. */
type RuleLayers = {user?: RuleFile[]; bundled?: RuleFile[]; lists?: RuleFile[]};

/** Matches hosts (and paths) against the rules; built once, queried per event. */
export type RuleSet = {
	match(host: string, path?: string): Classification;
	/** Number of rules indexed (all layers). */
	readonly size: number;
};

type PathRule = {path: string; result: Classification};
/** All rules of one layer that share one pattern. */
type Bucket = {plain?: Classification; paths: PathRule[]};
type LayerIndex = {exact: Map<string, Bucket>; suffix: Map<string, Bucket>};
type Hit = {result: Classification; score: number};

function toClassification(rule: HostRule, fileName: string): Classification {
	const result: Classification = {category: rule.category, rule: rule.path ? `${rule.pattern}${rule.path}` : rule.pattern};
	result.ruleSource = rule.source || fileName;
	if (rule.owner !== undefined) result.owner = rule.owner;
	if (rule.note !== undefined) result.note = rule.note;
	// Shared between every match of the rule: frozen so no caller can change another's answer
	return Object.freeze(result);
}

function indexLayer(files: RuleFile[]): {index: LayerIndex; count: number} {
	const index: LayerIndex = {exact: new Map(), suffix: new Map()};
	let count = 0;
	for (const file of files) {
		for (const rule of file.rules) {
			const pattern = normalizePattern(rule.pattern);
			if (pattern === undefined || !isCategory(rule.category)) continue;
			const wildcard = pattern.startsWith('*.');
			const map = wildcard ? index.suffix : index.exact;
			const key = wildcard ? pattern.slice(2) : pattern;
			let bucket = map.get(key);
			if (bucket === undefined) {
				bucket = {paths: []};
				map.set(key, bucket);
			}
			const result = toClassification({...rule, pattern}, file.name);
			// A later file overrides an earlier one for the same pattern (and path)
			if (rule.path === undefined) bucket.plain = result;
			else {
				bucket.paths = bucket.paths.filter(p => p.path !== rule.path);
				bucket.paths.push({path: rule.path, result});
				bucket.paths.sort((a, b) => b.path.length - a.path.length);
			}
			count++;
		}
	}
	return {index, count};
}

/** True when `prefix` covers `path` at a segment boundary (/micrash covers /micrash/x and /micrash?x, not /micrashes). */
function pathCovers(prefix: string, path: string): boolean {
	if (!path.startsWith(prefix)) return false;
	if (path.length === prefix.length || prefix.endsWith('/')) return true;
	const next = path[prefix.length];
	return next === '/' || next === '?' || next === '#' || next === ';';
}

function fromBucket(bucket: Bucket | undefined, path: string | undefined): Classification | undefined {
	if (bucket === undefined) return undefined;
	if (path !== undefined) {
		for (const p of bucket.paths) if (pathCovers(p.path, path)) return p.result;
	}
	return bucket.plain;
}

/** Most specific hit in one layer: exact host scores 2n+1, a suffix of k labels scores 2k. */
function lookup(index: LayerIndex, host: string, labels: number, ip: boolean, path: string | undefined): Hit | undefined {
	const exact = fromBucket(index.exact.get(host), path);
	if (exact !== undefined) return {result: exact, score: labels * 2 + 1};
	if (ip) return undefined;
	let suffix = host;
	let k = labels;
	// Bounded by the label count (a host has at most 127 labels)
	while (k > 0) {
		const hit = fromBucket(index.suffix.get(suffix), path);
		if (hit !== undefined) return {result: hit, score: k * 2};
		const dot = suffix.indexOf('.');
		if (dot < 0) break;
		suffix = suffix.slice(dot + 1);
		k--;
	}
	return undefined;
}

function countLabels(host: string): number {
	let n = 1;
	for (let i = 0; i < host.length; i++) if (host.charCodeAt(i) === 46) n++;
	return n;
}

/**
 * Categories that track the user: an upload to them during incognito is suspicious (DESIGN.md
 * "Incognito flags"), and a blocklist's tie does not override them (they already say how).
 */
export const TRACKING_CATEGORIES: ReadonlySet<Category> = new Set<Category>(['analytics', 'advertising', 'attribution', 'crash-report', 'browsing-data', 'tracker']);

const LOCAL: Classification = Object.freeze({category: 'local', note: 'local network name (mDNS .local or localhost)'});

function isLocalName(host: string): boolean {
	return host === 'localhost' || host === 'local' || host.endsWith('.local') || host.endsWith('.localhost');
}

/** Builds the matcher from rule layers (user > local names > most specific of bundled and lists > unknown). */
export function createRuleSet(layers: RuleLayers): RuleSet {
	const user = indexLayer(layers.user ?? []);
	const bundled = indexLayer(layers.bundled ?? []);
	const lists = indexLayer(layers.lists ?? []);
	return {
		size: user.count + bundled.count + lists.count,
		match(rawHost: string, path?: string): Classification {
			const host = normalizeHost(rawHost);
			if (host === '') return {category: 'unknown'};
			const ip = isIpLiteral(host);
			const labels = ip ? 1 : countLabels(host);
			const mine = lookup(user.index, host, labels, ip, path);
			if (mine !== undefined) return mine.result;
			if (!ip && isLocalName(host)) return LOCAL;
			const ours = lookup(bundled.index, host, labels, ip, path);
			const listed = lookup(lists.index, host, labels, ip, path);
			if (ours !== undefined && (listed === undefined || ours.score > listed.score)) return ours.result;
			if (ours !== undefined && listed !== undefined && ours.score === listed.score) {
				return TRACKING_CATEGORIES.has(ours.result.category) ? ours.result : {...ours.result, category: listed.result.category, rule: listed.result.rule, ruleSource: listed.result.ruleSource};
			}
			if (listed !== undefined) return listed.result;
			return {category: 'unknown', domain: registrableDomain(host)};
		},
	};
}
