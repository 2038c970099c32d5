/**
 * User blocklists (`--blocklist FILE`) turned into destination rules.
 *
 * Accepted lines:
 * - hosts files: `0.0.0.0 host [host...]`, `127.0.0.1 host`, `:: host`, `::1 host` (exact host);
 * - adblock/AdGuard DNS rules: `||domain^` (domain and its subdomains), with no options or only
 *   options that do not narrow the rule (`$important`, `$third-party`, `$all`, `$document`, `$popup`);
 * - plain domain lists: `domain` (exact) and `*.domain` (domain and subdomains).
 * Comments start with `#` or `!`. A comment `# category: X` or `! category: X` sets the category of
 * the rules after it (default `tracker`), and `# owner: Y` their owner, so one file can carry sections.
 * Ignored and counted: cosmetic rules (`##`, `#@#`, `#?#`, `#$#`), exceptions (`@@`), URL/path and regex
 * rules, hosts lines that map to a real address (a redirect, not a block), and malformed lines.
 * The file is read at the edge (app/rule-files.ts, at most MAX_BLOCKLIST_BYTES); this parses its text.
 */
import type {Category} from '../types.js';
import {isCategory, normalizePattern, type HostRule, type RuleFile} from './rules.js';

/** Big public lists (hagezi ultimate, OISD big) have under a million entries; beyond that we stop rather than eat memory. */
const MAX_BLOCKLIST_RULES = 1_000_000;

/** Lines read per file, including comments: twice the rule cap leaves room for commented lists. */
const MAX_BLOCKLIST_LINES = 2_000_000;

/** Bytes read from a blocklist file: the largest public lists are ~40 MB as hosts files. */
export const MAX_BLOCKLIST_BYTES = 64 * 1024 * 1024;

/** Why a line did not become a rule. */
type IgnoredCounts = {cosmetic: number; exception: number; url: number; regex: number; redirect: number; malformed: number};

export type BlocklistResult = {
	file: RuleFile;
	/** Lines read (comments and blanks included). */
	lines: number;
	ignored: IgnoredCounts;
	/** True when a cap (lines, rules or bytes) cut the list short. */
	truncated: boolean;
};

const BLOCKING_ADDRESSES = new Set(['0.0.0.0', '127.0.0.1', '::', '::1', '0:0:0:0:0:0:0:0', '0:0:0:0:0:0:0:1']);
// Names every hosts file maps to itself; they are not blocked destinations
const HOSTS_BOILERPLATE = new Set(['localhost', 'localhost.localdomain', 'local', 'broadcasthost', 'ip6-localhost', 'ip6-loopback', 'ip6-localnet', 'ip6-mcastprefix', 'ip6-allnodes', 'ip6-allrouters', 'ip6-allhosts', '0.0.0.0']);
const HARMLESS_OPTIONS = new Set(['important', 'third-party', '3p', 'all', 'document', 'doc', 'popup']);
const IP_RE = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)$/i;
const HEADER_RE = /^[#!]\s*(category|owner)\s*:\s*(.+?)\s*$/i;

type Section = {category: Category; owner?: string};

function emptyCounts(): IgnoredCounts {
	return {cosmetic: 0, exception: 0, url: 0, regex: 0, redirect: 0, malformed: 0};
}

/** Applies a `category:` / `owner:` header; returns false when the comment is not a header. */
function readHeader(line: string, section: Section, ignored: IgnoredCounts): boolean {
	const header = HEADER_RE.exec(line);
	if (header === null) return false;
	const value = header[2]!;
	if (header[1]!.toLowerCase() === 'owner') section.owner = value;
	else if (isCategory(value)) section.category = value;
	else ignored.malformed++;
	return true;
}

/** Parses one adblock `||domain^$opts` rule into a wildcard pattern, or names why it was ignored. */
function adblockPattern(line: string): string | keyof IgnoredCounts {
	const dollar = line.indexOf('$');
	const body = dollar < 0 ? line : line.slice(0, dollar);
	if (dollar >= 0) {
		const options = line.slice(dollar + 1).split(',').map(o => o.trim().toLowerCase());
		if (!options.every(o => HARMLESS_OPTIONS.has(o))) return 'url';
	}
	const match = /^\|\|([^/^|*]+)\^?\|?$/.exec(body);
	if (match === null) return body.includes('/') || body.includes('*') ? 'url' : 'malformed';
	return normalizePattern(`*.${match[1]!}`) ?? 'malformed';
}

/** Caps for one parse; the defaults are the named constants (tests pass small ones). */
type BlocklistLimits = {maxRules: number; maxLines: number};

const DEFAULT_LIMITS: BlocklistLimits = {maxRules: MAX_BLOCKLIST_RULES, maxLines: MAX_BLOCKLIST_LINES};

/** Parses a hosts or adblock list into rules (pure; `name` becomes each rule's source). */
export function parseBlocklist(text: string, name: string, limits: BlocklistLimits = DEFAULT_LIMITS): BlocklistResult {
	const ignored = emptyCounts();
	const rules: HostRule[] = [];
	const section: Section = {category: 'tracker'};
	let lines = 0;
	let truncated = false;
	let start = 0;
	const add = (pattern: string) => {
		const rule: HostRule = {pattern, category: section.category, source: name};
		if (section.owner !== undefined) rule.owner = section.owner;
		rules.push(rule);
	};
	while (start < text.length) {
		if (lines >= limits.maxLines || rules.length >= limits.maxRules) {
			truncated = true;
			break;
		}
		let end = text.indexOf('\n', start);
		if (end < 0) end = text.length;
		const line = text.slice(start, end).trim();
		start = end + 1;
		lines++;
		if (line === '' || line.startsWith('[')) continue;
		if (line.includes('##') || line.includes('#@#') || line.includes('#?#') || line.includes('#$#')) {
			ignored.cosmetic++;
			continue;
		}
		if (line.startsWith('#') || line.startsWith('!')) {
			readHeader(line, section, ignored);
			continue;
		}
		if (line.startsWith('@@')) {
			ignored.exception++;
			continue;
		}
		if (line.startsWith('||')) {
			const pattern = adblockPattern(line);
			if (pattern.includes('.')) add(pattern);
			else ignored[pattern as keyof IgnoredCounts]++;
			continue;
		}
		if (line.startsWith('/') && line.length > 1) {
			ignored.regex++;
			continue;
		}
		// hosts line or plain domain; an inline '#' starts a comment
		const hash = line.indexOf('#');
		const fields = (hash > 0 ? line.slice(0, hash).trimEnd() : line).split(/\s+/);
		if (fields.length >= 2 && IP_RE.test(fields[0]!)) {
			if (!BLOCKING_ADDRESSES.has(fields[0]!.toLowerCase())) {
				ignored.redirect++;
				continue;
			}
			for (const host of fields.slice(1)) {
				if (HOSTS_BOILERPLATE.has(host.toLowerCase())) continue;
				const pattern = normalizePattern(host);
				if (pattern === undefined || pattern.startsWith('*.')) ignored.malformed++;
				else add(pattern);
			}
			continue;
		}
		// A bare blocking address is not a destination
		const pattern = fields.length === 1 && !BLOCKING_ADDRESSES.has(fields[0]!) ? normalizePattern(fields[0]!) : undefined;
		if (pattern === undefined) {
			if (fields[0]!.includes('/')) ignored.url++;
			else ignored.malformed++;
		} else add(pattern);
	}
	return {file: {name, rules}, lines, ignored, truncated};
}
