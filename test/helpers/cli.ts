import {execFile} from 'node:child_process';
import path from 'node:path';
import {promisify} from 'node:util';
import {repoRoot} from './corpus.js';

const run = promisify(execFile);
/** The built program, as `npm ci` (prepare) or `npm test` (pretest) leaves it. */
export const cli = path.join(repoRoot, 'dist', 'cli.js');

/** Runs tattle with arguments, no terminal; never throws on a non-zero exit. */
export async function tattle(args: string[], o: {env?: Record<string, string>} = {}): Promise<{code: number; stdout: string; stderr: string}> {
	try {
		const r = await run(process.execPath, [cli, ...args], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: {...process.env, NO_COLOR: '1', ...o.env}});
		return {code: 0, stdout: r.stdout, stderr: r.stderr};
	} catch (error) {
		const e = error as {code?: number; stdout?: string; stderr?: string};
		return {code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? ''};
	}
}
