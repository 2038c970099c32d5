/**
 * The `tattle` command as installed: dist/cli.js run as it is, through its `#!/usr/bin/env -S node
 * FLAGS` line. The flags hold V8's young generation to 8 MB semi-spaces (~20 MB less peak RSS on
 * every bench file, the same speed: docs/performance.md, eleventh round); `npm start` and the bench
 * must run tattle with the same flags.
 */
import {spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {repoRoot} from '../helpers/corpus.js';
import {cli} from '../helpers/cli.js';
import {until} from '../helpers/live.js';

/** The Node flags of the bin's first line. */
function shebangFlags(): string[] {
	const first = readFileSync(cli, 'utf8').split('\n', 1)[0]!;
	const m = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)+)$/.exec(first);
	expect(m, first).not.toBeNull();
	return m![1]!.trim().split(/\s+/);
}

describe('the tattle command', () => {
	it('runs through its first line, and node gets the flags written there', async () => {
		const flags = shebangFlags();
		expect(flags).toContain('--max-semi-space-size=8');
		// The file itself is executed (as npm's bin link does), not `node dist/cli.js`.
		const child = spawn(cli, ['replay', path.join(repoRoot, 'captures/incognito-leak'), '--speed', '1', '--json'], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
		child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
		const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
		try {
			expect(await until(() => stdout.includes('\n'), 15_000), stderr).toBe(true);
			// env execs node in the same process: its command line is node's.
			const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
			expect(path.basename(argv[0]!)).toMatch(/^node/);
			expect(argv.slice(1, 1 + flags.length)).toEqual(flags);
			expect(argv[1 + flags.length]).toBe(cli);
			expect(JSON.parse(stdout.split('\n', 1)[0]!)).toHaveProperty('type');
		} finally {
			child.kill('SIGTERM');
		}
		expect(await exit, stderr).toBe(0);
	}, 30_000);

	it('npm start runs node with the same flags', () => {
		const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {scripts: Record<string, string>; bin: Record<string, string>};
		expect(pkg.bin.tattle).toBe('dist/cli.js');
		expect(pkg.scripts.start).toBe(`node ${shebangFlags().join(' ')} dist/cli.js`);
	});
});
