import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {repoRoot} from './helpers/corpus.js';

/** DESIGN.md: a module imports only from layers to its left, plus types.ts and lib/. */
const ORDER = ['sources', 'decode', 'classify', 'ingest', 'stores', 'keys', 'ui', 'report'];
/** Layers each layer may import besides those to its left (report and ui are siblings at the end). */
const EXTRA: Record<string, string[]> = {ui: ['stores', 'keys'], report: [], keys: ['stores']};

function files(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const p = path.join(dir, name);
		return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(name) ? [p] : [];
	});
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
			const text = readFileSync(file, 'utf8');
			for (const m of text.matchAll(/from\s+'(\.[^']+)'/g)) {
				const target = layerOf(path.resolve(path.dirname(file), m[1]!));
				if (target && target !== layer && !allowed.has(target)) wrong.push(`${path.relative(repoRoot, file)} -> ${m[1]}`);
			}
		}
		expect(wrong).toEqual([]);
	});
});
