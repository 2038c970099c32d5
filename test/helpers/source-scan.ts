/**
 * Reads the module graph of the repository as text, for the architecture and dead-export tests:
 * the TypeScript files under a folder, what each imports (static, re-exported and dynamic, with
 * the names taken) and what each exports. Regexes, not the compiler: the sources follow one
 * style (named exports, one import statement per module), and a scan of every file takes ~50 ms.
 */
import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';

/** Every .ts/.tsx file under `dir`, recursively. */
export function tsFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const p = path.join(dir, name);
		return statSync(p).isDirectory() ? tsFiles(p) : /\.(?:tsx?|mjs|js)$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
	});
}

/** One import of a module: its specifier, the names taken ('*' for a namespace or a dynamic import), and how. */
export type ImportRef = {spec: string; names: string[] | '*'; kind: 'static' | 're-export' | 'dynamic' | 'side-effect'};

/** Comments removed (line and block), so a commented-out import or `import(` in prose does not count. */
function stripComments(text: string): string {
	return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function namesIn(list: string): string[] {
	return list
		.split(',')
		.map((n) => n.trim().replace(/^type\s+/, ''))
		.filter((n) => n !== '')
		.map((n) => n.split(/\s+as\s+/)[0]!.trim());
}

/** The imports of a file's text. `import x from` takes `default`; `import * as ns` and `import()` take everything. */
export function importsOf(text: string): ImportRef[] {
	const code = stripComments(text);
	const refs: ImportRef[] = [];
	for (const m of code.matchAll(/(?:^|[;\n])\s*import\s+(type\s+)?([^'";]*?)\s+from\s+['"]([^'"]+)['"]/g)) {
		const clause = m[2]!;
		const spec = m[3]!;
		if (/\*\s+as\s+\w+/.test(clause)) {
			refs.push({spec, names: '*', kind: 'static'});
			continue;
		}
		const names: string[] = [];
		const braces = /\{([^}]*)\}/.exec(clause);
		if (braces) names.push(...namesIn(braces[1]!));
		const head = clause.replace(/\{[^}]*\}/, '').replace(/,/g, '').trim();
		if (head !== '') names.push('default');
		refs.push({spec, names, kind: 'static'});
	}
	for (const m of code.matchAll(/(?:^|[;\n])\s*import\s+['"]([^'"]+)['"]/g)) refs.push({spec: m[1]!, names: [], kind: 'side-effect'});
	for (const m of code.matchAll(/(?:^|[;\n])\s*export\s+(type\s+)?(\*|\{[^}]*\})\s+from\s+['"]([^'"]+)['"]/g)) {
		refs.push({spec: m[3]!, names: m[2] === '*' ? '*' : namesIn(m[2]!.slice(1, -1)), kind: 're-export'});
	}
	for (const m of code.matchAll(/\bimport\(\s*(['"`])([^'"`]+)\1\s*\)/g)) refs.push({spec: m[2]!, names: '*', kind: 'dynamic'});
	return refs;
}

/** True when the text has an `import(...)` call of any argument (a computed one too). */
export function hasDynamicImport(text: string): boolean {
	return /\bimport\s*\(/.test(stripComments(text));
}

/** Node built-in modules a file imports (statically or dynamically), without the `node:` prefix. */
export function builtinsOf(text: string): string[] {
	return importsOf(text)
		.map((r) => r.spec)
		.filter((s) => !s.startsWith('.') && (s.startsWith('node:') || !s.includes('/') || /^(?:fs|child_process)\//.test(s)))
		.map((s) => s.replace(/^node:/, ''));
}

/** Names a file exports: declarations, `export {a, b}` lists and named re-exports (`export {a} from`; `export *` is not counted). */
export function exportsOf(text: string): string[] {
	const code = stripComments(text);
	const names = new Set<string>();
	for (const m of code.matchAll(/^export\s+(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(?:const|let|var|function\*?|class|type|interface|enum)\s+([A-Za-z_$][\w$]*)/gm)) names.add(m[1]!);
	for (const m of code.matchAll(/^export\s+default\b/gm)) names.add('default');
	for (const m of code.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
		for (const part of m[1]!.split(',')) {
			const n = part.trim().replace(/^type\s+/, '');
			if (n !== '') names.add(n.split(/\s+as\s+/).at(-1)!.trim());
		}
	}
	return [...names];
}

/** The file an import specifier names, as the compiler resolves `.js` to `.ts`/`.tsx`; undefined for packages. */
export function resolveSpec(from: string, spec: string): string | undefined {
	if (!spec.startsWith('.')) return undefined;
	const target = path.resolve(path.dirname(from), spec);
	const base = target.replace(/\.(?:js|jsx|ts|tsx|mjs)$/, '');
	return [`${base}.ts`, `${base}.tsx`, target].find((p) => {
		try {
			return statSync(p).isFile();
		} catch {
			return false;
		}
	});
}

/** A file's text (cached: both tests read each file more than once). */
const cache = new Map<string, string>();
export function readText(file: string): string {
	let text = cache.get(file);
	if (text === undefined) {
		text = readFileSync(file, 'utf8');
		cache.set(file, text);
	}
	return text;
}
