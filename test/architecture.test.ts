import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {repoRoot} from './helpers/corpus.js';
import {builtinsOf, hasDynamicImport, importsOf as importRefs, readText, tsFiles} from './helpers/source-scan.js';

/**
 * DESIGN.md: a module imports only from layers to its left, plus types.ts and lib/. source/app/
 * (the modes) wires layers together and may import them all; only cli.tsx imports it.
 */
const ORDER = ['sources', 'decode', 'classify', 'ingest', 'stores', 'keys', 'ui', 'report'];
/** Layers each layer may import besides those to its left (report and ui are siblings at the end). */
const EXTRA: Record<string, string[]> = {ui: ['stores', 'keys'], report: [], keys: ['stores']};

const files = (dir: string): string[] => tsFiles(dir).filter((f) => /\.tsx?$/.test(f));

/** Relative imports of a file: static (`from '...'`, `import '...'`, `export ... from`) and, with `dynamic`, `import('...')` too. */
function importsOf(file: string, dynamic = false): string[] {
	return importRefs(readText(file))
		.filter((r) => r.spec.startsWith('.') && (dynamic || r.kind !== 'dynamic'))
		.map((r) => r.spec);
}

/** The pure layers (DESIGN.md, STYLE.md rule 11): bytes or events in, values out. */
const PURE_LAYERS = ['decode', 'classify'];
/** Node modules that reach the outside world: files, sockets, processes, workers. */
const IO_MODULES = new Set(['fs', 'fs/promises', 'net', 'dgram', 'http', 'https', 'http2', 'tls', 'child_process', 'worker_threads', 'cluster', 'dns', 'readline', 'os']);

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

describe('purity of decode/ and classify/', () => {
	const src = path.join(repoRoot, 'source');
	const pure = PURE_LAYERS.flatMap((l) => files(path.join(src, l)));
	it('they import no module that does I/O (node:fs, node:net, node:child_process..., with or without the node: prefix)', () => {
		expect(pure.length).toBeGreaterThan(20);
		const wrong = pure.flatMap((f) => builtinsOf(readText(f)).filter((m) => IO_MODULES.has(m)).map((m) => `${path.relative(repoRoot, f)} -> ${m}`));
		expect(wrong).toEqual([]);
	});
	it('they load no module at run time (dynamic import(), which the layering check cannot follow)', () => {
		expect(pure.filter((f) => hasDynamicImport(readText(f))).map((f) => path.relative(repoRoot, f))).toEqual([]);
	});
	it('the checks catch what they are for', () => {
		const bad = ["import {readFileSync} from 'node:fs';", "import * as fs from 'fs';", "import {spawn} from 'child_process';", "import net from 'node:net';", "import {readFile} from 'fs/promises';"];
		for (const line of bad) expect(builtinsOf(line).some((m) => IO_MODULES.has(m)), line).toBe(true);
		expect(builtinsOf("import {createHash} from 'node:crypto';").some((m) => IO_MODULES.has(m))).toBe(false);
		expect(hasDynamicImport("const m = await import('../sources/geo-data.js');")).toBe(true);
		expect(hasDynamicImport('const m = await import (name);')).toBe(true);
		expect(hasDynamicImport("// no import( here\nconst x = 1;")).toBe(false);
	});
});

describe('names', () => {
	it('no two modules of source/ share a file name (an import or a stack trace names one thing)', () => {
		const byName = new Map<string, string[]>();
		for (const file of files(path.join(repoRoot, 'source'))) {
			const name = path.basename(file);
			byName.set(name, [...(byName.get(name) ?? []), path.relative(repoRoot, file)]);
		}
		const shared = [...byName].filter(([, list]) => list.length > 1).map(([, list]) => list.join(' = '));
		expect(shared).toEqual([]);
	});
	/** STYLE.md: no file over ~300 lines without a reason written at its top. */
	const MAX_LINES = 300;
	it(`a module over ${MAX_LINES} lines says why in its first comment ("Over 300 lines because ...")`, () => {
		const unexplained: string[] = [];
		for (const file of [...files(path.join(repoRoot, 'source')), path.join(repoRoot, 'cli.tsx')]) {
			const rel = path.relative(repoRoot, file).split(path.sep).join('/');
			const text = readText(file);
			if (text.split('\n').length <= MAX_LINES) continue;
			const head = /^\/\*\*[\s\S]*?\*\//.exec(text)?.[0] ?? '';
			if (!/Over 300 lines because \S/.test(head)) unexplained.push(`${rel} (${text.split('\n').length} lines)`);
		}
		expect(unexplained).toEqual([]);
	});
});
