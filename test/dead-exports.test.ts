/**
 * No export without an importer: every name a module of source/ exports is imported by another
 * module, cli.tsx, a script, a benchmark or a test. A name only its own file uses is not exported;
 * a name nobody uses is deleted. The few entry points that run as programs are listed below.
 */
import {existsSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {repoRoot} from './helpers/corpus.js';
import {exportsOf, importsOf, readText, resolveSpec, tsFiles} from './helpers/source-scan.js';

/** Modules whose exports are not checked, each with its reason. */
const NOT_CHECKED = new Set<string>([
	// The device simulator run as a program (`node dist/source/sim/cli.js`, README "Device simulator")
	'source/sim/cli.ts',
]);

/** Every export of source/ that no other file imports, as `file: name`. */
export function unimportedExports(root: string): string[] {
	const exporters = tsFiles(path.join(root, 'source')).filter((f) => /\.tsx?$/.test(f));
	const importers = [
		...exporters,
		path.join(root, 'cli.tsx'),
		...['test', 'scripts', 'bench'].map((d) => path.join(root, d)).filter((d) => existsSync(d)).flatMap((d) => tsFiles(d)),
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
		if (NOT_CHECKED.has(rel)) continue;
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
	it('catches an export nobody imports, and one only a file itself uses', () => {
		const root = mkdtempSync(path.join(tmpdir(), 'tattle-dead-'));
		mkdirSync(path.join(root, 'source', 'lib'), {recursive: true});
		mkdirSync(path.join(root, 'test'));
		writeFileSync(path.join(root, 'source', 'lib', 'a.ts'), 'export const USED = 1;\nexport const MAX_UNUSED = 2;\nexport type Local = {n: number};\nexport function f(x: Local): number {\n\treturn x.n;\n}\n');
		writeFileSync(path.join(root, 'source', 'lib', 'b.ts'), "export {USED as RENAMED} from './a.js';\n");
		writeFileSync(path.join(root, 'cli.tsx'), "import {USED} from './source/lib/a.js';\n");
		writeFileSync(path.join(root, 'test', 'a.test.ts'), "import {f} from '../source/lib/a.js';\n");
		expect(unimportedExports(root)).toEqual(['source/lib/a.ts: Local', 'source/lib/a.ts: MAX_UNUSED', 'source/lib/b.ts: RENAMED']);
	});
});
