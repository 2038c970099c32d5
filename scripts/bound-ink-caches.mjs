#!/usr/bin/env node
/**
 * Bounds two caches inside Ink 6.8 that grow without end (ink issue #986; fixed upstream only in
 * Ink 7, which needs Node 22). `measureText` (build/measure-text.js) and `wrapText`
 * (build/wrap-text.js) memoise by the full text of every text node Yoga measures and never forget:
 * the dashboard, whose visible rows change at least once a second (their age), kept ~35 kB more a
 * second, ~125 MB an hour, for the life of a live session.
 *
 * Run at install (package.json `postinstall`): it appends a size limit to each cache in the
 * installed Ink (emptied when full; both memoise pure functions, so only the time to measure
 * again is lost). Only text it finds exactly once is changed; anything else (another Ink) is left
 * alone. The patched code sets Symbol.for('tattle.inkCachesBounded') on globalThis when it runs,
 * so the dashboard can tell and says so when it did not (install with --ignore-scripts, another
 * Ink). Every edit only appends code after the text it finds, so the original is that text.
 *
 * Why not a module hook (module.register): measured, it made the dashboard appear 0.6-1.0 s later
 * (every module Ink and the UI load goes through the hook thread).
 */
import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

/** Entries each cache keeps at most: a few frames' worth of rows, ~4 MB. */
export const INK_CACHE_LIMIT = 4096;

const MARK = `globalThis[Symbol.for('tattle.inkCachesBounded')] = true;`;

/** Per file: [text found once, code appended after it]. */
export const INK_PATCHES = {
	'measure-text.js': [
		[
			'const cache = new Map();',
			` const tattleSet = cache.set.bind(cache); cache.set = (k, v) => { if (cache.size >= ${INK_CACHE_LIMIT}) cache.clear(); return tattleSet(k, v); }; ${MARK}`,
		],
	],
	'wrap-text.js': [
		['const cache = {};', ` let tattleKeys = 0; ${MARK}`],
		['    cache[cacheKey] = wrappedText;', ` if (++tattleKeys > ${INK_CACHE_LIMIT}) { for (const k in cache) delete cache[k]; tattleKeys = 0; }`],
	],
};

/**
 * The source of Ink's `file` with its cache bounded: `patched` (the new text), `already` (the
 * text given was patched before), or `unknown` (not the text this expects: left alone).
 */
export function patchInkSource(file, source) {
	const edits = INK_PATCHES[file];
	if (!edits) return {status: 'unknown'};
	if (edits.every(([found, added]) => source.includes(found + added))) return {status: 'already', source};
	let out = source;
	for (const [found, added] of edits) {
		if (out.split(found).length !== 2) return {status: 'unknown'};
		out = out.replace(found, found + added);
	}

	return {status: 'patched', source: out};
}

/** The text Ink shipped, from a patched (or unpatched) source: the appended code taken out. */
export function originalInkSource(file, source) {
	let out = source;
	for (const [found, added] of INK_PATCHES[file] ?? []) out = out.replace(found + added, found);
	return out;
}

/** Patches the Ink whose build/ folder is `buildDir`; one status per file. */
export function boundInkCaches(buildDir) {
	const result = {};
	for (const file of Object.keys(INK_PATCHES)) {
		const where = path.join(buildDir, file);
		const r = patchInkSource(file, readFileSync(where, 'utf8'));
		if (r.status === 'patched') writeFileSync(where, r.source);
		result[file] = r.status;
	}

	return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
	let buildDir;
	try {
		buildDir = path.dirname(fileURLToPath(import.meta.resolve('ink')));
	} catch {
		// Not installed yet (or not at all): nothing to bound; the dashboard says so if it runs.
		process.exit(0);
	}

	try {
		const result = boundInkCaches(buildDir);
		const unknown = Object.entries(result).filter(([, s]) => s === 'unknown').map(([f]) => f);
		if (unknown.length > 0) process.stderr.write(`tattle: Ink's text caches left unbounded (${unknown.join(', ')} not as expected): memory grows in long dashboard sessions\n`);
	} catch (error) {
		// Never fail an install over this: the dashboard shows that the caches are unbounded.
		process.stderr.write(`tattle: could not bound Ink's text caches: ${error.message}\n`);
	}
}
