/**
 * No export without an importer: every name a module of source/ exports is imported by another
 * module, cli.tsx, a script, a benchmark or a test. A name only its own file uses is not exported;
 * a name nobody uses is deleted. The few entry points that run as programs are listed below.
 */
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {repoRoot} from './helpers/corpus.js';
import {exportsOf, importsOf, readText, resolveSpec, tsFiles} from './helpers/source-scan.js';

/** Modules whose exports are used from outside the module graph (run as programs, or by the build). */
const ENTRY_POINTS = new Set<string>([
	// The device simulator run as a program (`node dist/source/sim/cli.js`, README "Device simulator")
	'source/sim/cli.ts',
]);

/** Every export of source/ that no other file imports, as `file: name`. */
export function unimportedExports(root: string): string[] {
	const exporters = tsFiles(path.join(root, 'source')).filter((f) => /\.tsx?$/.test(f));
	const importers = [
		...exporters,
		path.join(root, 'cli.tsx'),
		...['test', 'scripts', 'bench'].flatMap((d) => tsFiles(path.join(root, d))),
	];
	const used = new Map<string, Set<string> | '*'>();
	for (const file of importers) {
		for (const ref of importsOf(readText(file))) {
			const target = resolveSpec(file, ref.spec);
			if (target === undefined || target === file) continue;
			const known = used.get(target);
			if (known === '*') continue;
			if (ref.names === '*') used.set(target, '*');
			else used.set(target, new Set([...(known ?? []), ...ref.names]));
		}
	}
	const dead: string[] = [];
	for (const file of exporters) {
		const rel = path.relative(root, file).split(path.sep).join('/');
		if (ENTRY_POINTS.has(rel)) continue;
		const names = used.get(file);
		if (names === '*') continue;
		for (const name of exportsOf(readText(file))) if (!names?.has(name)) dead.push(`${rel}: ${name}`);
	}
	return dead.sort();
}

describe('dead exports', () => {
	it('every export of source/ is imported by another module or a test', () => {
		expect(unimportedExports(repoRoot)).toEqual([]);
	});
});
