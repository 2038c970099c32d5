import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {repoRoot} from './helpers/corpus.js';

/**
 * DESIGN.md: a module imports only from layers to its left, plus types.ts and lib/. source/app/
 * (the modes) wires layers together and may import them all; only cli.tsx imports it.
 */
const ORDER = ['sources', 'decode', 'classify', 'ingest', 'stores', 'keys', 'ui', 'report'];
/** Layers each layer may import besides those to its left (report and ui are siblings at the end). */
const EXTRA: Record<string, string[]> = {ui: ['stores', 'keys'], report: [], keys: ['stores']};

function files(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const p = path.join(dir, name);
		return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(name) ? [p] : [];
	});
}

/** Relative imports of a file: static (`from '...'`, `import '...'`) and, with `dynamic`, `import('...')` too. */
function importsOf(file: string, dynamic = false): string[] {
	const text = readFileSync(file, 'utf8');
	const found = [...text.matchAll(/(?:from|^import)\s+'(\.[^']+)'/gm)].map((m) => m[1]!);
	if (dynamic) found.push(...[...text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)].map((m) => m[1]!));
	return found;
}

function layerOf(file: string): string | undefined {
	const rel = path.relative(path.join(repoRoot, 'source'), file).split(path.sep);
	return rel.length > 1 ? rel[0] : undefined;
}

describe('layering', () => {
	const src = path.join(repoRoot, 'source');
	it('no module imports a layer to its right', () => {
		const wrong: string[] = [];
		for (const file of files(src)) {
			const layer = layerOf(file);
			if (!layer || !ORDER.includes(layer)) continue;
			const allowed = new Set([...ORDER.slice(0, ORDER.indexOf(layer) + 1), 'lib', ...(EXTRA[layer] ?? [])]);
			if (layer === 'ui' || layer === 'report') for (const l of ['sources', 'decode', 'classify', 'ingest']) allowed.delete(l);
			for (const spec of importsOf(file)) {
				const target = layerOf(path.resolve(path.dirname(file), spec));
				if (target && target !== layer && !allowed.has(target)) wrong.push(`${path.relative(repoRoot, file)} -> ${spec}`);
			}
		}
		expect(wrong).toEqual([]);
	});
	it('only cli.tsx imports source/app, and cli.tsx imports nothing but source/app and source/lib', () => {
		const wrong: string[] = [];
		for (const file of files(src)) {
			if (layerOf(file) === 'app') continue;
			for (const spec of importsOf(file, true)) {
				if (layerOf(path.resolve(path.dirname(file), spec)) === 'app') wrong.push(`${path.relative(repoRoot, file)} -> ${spec}`);
			}
		}
		const entry = path.join(repoRoot, 'cli.tsx');
		const entryImports = importsOf(entry, true);
		expect(entryImports.length).toBeGreaterThan(0);
		for (const spec of entryImports) {
			if (!['app', 'lib'].includes(layerOf(path.resolve(repoRoot, spec)) ?? '')) wrong.push(`cli.tsx -> ${spec}`);
		}
		expect(wrong).toEqual([]);
	});
});
