/**
 * Ink 6.8 keeps every text it measured (ink issue #986); scripts/bound-ink-caches.mjs bounds those
 * caches at install. These tests run against the Ink that is installed: when an Ink upgrade
 * changes the files, or fixes the leak, they fail and say so.
 */
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {afterAll, describe, expect, it} from 'vitest';
// @ts-expect-error: a plain .mjs script, no type declarations
import {boundInkCaches, INK_CACHE_LIMIT, INK_PATCHES, originalInkSource, patchInkSource} from '../../scripts/bound-ink-caches.mjs';
import {repoRoot} from '../helpers/corpus.js';

const inkBuild = path.join(repoRoot, 'node_modules', 'ink', 'build');
const files = Object.keys(INK_PATCHES as Record<string, unknown>);
const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-ink-'));
afterAll(() => rmSync(tmp, {recursive: true, force: true}));

/** Heap MB a fresh node keeps after measuring 20,000 distinct texts with `measureFile`, and whether the patched code ran. */
function retained(measureFile: string): {mb: number; bounded: boolean} {
	const script = `
		const {default: measureText} = await import(${JSON.stringify(pathToFileURL(measureFile).href)});
		const heap = () => { globalThis.gc(); globalThis.gc(); return process.memoryUsage().heapUsed; };
		const before = heap();
		for (let i = 0; i < 20000; i++) measureText('\\u001b[36mrow ' + i + '\\u001b[39m ' + 'x'.repeat(200));
		process.stdout.write(String((heap() - before) / 1048576) + ' ' + String(globalThis[Symbol.for('tattle.inkCachesBounded')] === true));`;
	const [mb, bounded] = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {cwd: repoRoot, encoding: 'utf8'}).trim().split(' ');
	return {mb: Number(mb), bounded: bounded === 'true'};
}

/** Ink's measure-text.js as Ink shipped it, in a folder of its own (its one import pointed at the installed package). */
function originalMeasureText(): string {
	const installed = readFileSync(path.join(inkBuild, 'measure-text.js'), 'utf8');
	const widest = pathToFileURL(path.join(repoRoot, 'node_modules', 'widest-line', 'index.js')).href;
	const file = path.join(tmp, 'measure-text.js');
	writeFileSync(file, (originalInkSource('measure-text.js', installed) as string).replace("from 'widest-line'", `from '${widest}'`));
	return file;
}

describe('bounding Ink text caches (install script)', () => {
	it('the installed Ink is bounded, and its original text is what the patch expects', () => {
		for (const file of files) {
			const installed = readFileSync(path.join(inkBuild, file), 'utf8');
			// CI installs with npm ci, which runs the script (postinstall).
			expect(patchInkSource(file, installed).status, `${file} of the installed Ink is bounded`).toBe('already');
			const original = originalInkSource(file, installed) as string;
			expect(original).not.toContain('tattle');
			const r = patchInkSource(file, original);
			expect(r.status, `${file} as Ink shipped it has the text the patch expects`).toBe('patched');
			expect(r.source).toBe(installed);
			expect(r.source).toContain(String(INK_CACHE_LIMIT));
		}

		expect(patchInkSource('measure-text.js', 'const cache = new WeakMap();').status).toBe('unknown');
		expect(patchInkSource('output.js', 'const cache = new Map();').status).toBe('unknown');
	});

	it('patches a folder once: a second run finds it done', () => {
		const dir = mkdtempSync(path.join(tmp, 'build-'));
		for (const file of files) writeFileSync(path.join(dir, file), originalInkSource(file, readFileSync(path.join(inkBuild, file), 'utf8')));
		expect(boundInkCaches(dir)).toEqual({'measure-text.js': 'patched', 'wrap-text.js': 'patched'});
		expect(boundInkCaches(dir)).toEqual({'measure-text.js': 'already', 'wrap-text.js': 'already'});
	});

	it('Ink as shipped keeps every text (drop the script when this fails after an Ink upgrade); bounded, memory stays flat', () => {
		const leaked = retained(originalMeasureText());
		const bounded = retained(path.join(inkBuild, 'measure-text.js'));
		expect(leaked.bounded).toBe(false);
		expect(bounded.bounded, 'the installed file sets the flag the dashboard checks').toBe(true);
		expect(leaked.mb, `${leaked.mb.toFixed(1)} MB kept as shipped`).toBeGreaterThan(4);
		expect(bounded.mb, `${bounded.mb.toFixed(1)} MB kept bounded`).toBeLessThan(leaked.mb / 3);
	});
});
