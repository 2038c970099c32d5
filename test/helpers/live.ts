/**
 * `tattle live` as a child process for the end-to-end suites: NDJSON events with their arrival
 * times, stderr, and the exit code (on 'close', so events printed at shutdown are in).
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {createInterface} from 'node:readline';
import {afterAll, beforeAll} from 'vitest';
import {AdbHarness} from '../sim/adb-harness.js';
import {cli} from './cli.js';

/** SIGTERM to exit: stop the streams, write the report; a second is typical, 10 s means hung. */
export const EXIT_WAIT_MS = 10_000;

export type LiveEvent = {type: string; ts?: number | null; [k: string]: unknown};
export type LiveRun = {child: ChildProcess; events: Array<{at: number; e: LiveEvent}>; stderr: () => string; exit: Promise<number | null>};

/** How to start the run: stdin a pipe (`child.stdin`) rather than none; a command in front (`prlimit --fsize=N`). */
export type LiveStart = {stdin?: 'pipe'; prefix?: string[]};

/** Starts `tattle live ARGS` with `env` (the harness's adb server); the run is added to `runs` for clean-up. */
export function startLive(env: NodeJS.ProcessEnv, args: string[], runs: LiveRun[], o: LiveStart = {}): LiveRun {
	const command = [...(o.prefix ?? []), process.execPath, cli, 'live', ...args];
	const child = spawn(command[0]!, command.slice(1), {env: {...env, NO_COLOR: '1'}, stdio: [o.stdin ?? 'ignore', 'pipe', 'pipe']});
	const events: LiveRun['events'] = [];
	let stderr = '';
	child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
	createInterface({input: child.stdout!}).on('line', (line) => {
		const at = Date.now() / 1000;
		try {
			events.push({at, e: JSON.parse(line) as LiveEvent});
		} catch {
			events.push({at, e: {type: 'not-json', line}});
		}
	});
	const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
	const run = {child, events, stderr: () => stderr, exit};
	runs.push(run);
	return run;
}

/** SIGTERM, then the exit code (SIGKILL and null when it hangs). */
export async function terminate(run: LiveRun): Promise<number | null> {
	run.child.kill('SIGTERM');
	const timer = setTimeout(() => run.child.kill('SIGKILL'), EXIT_WAIT_MS);
	const code = await run.exit;
	clearTimeout(timer);
	return code;
}

/** Polls `cond` every 50 ms until true or `timeoutMs`; its last value. */
export async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
	const end = Date.now() + timeoutMs;
	while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
	return cond();
}

/** Kills what is still running (afterAll). */
export function killAll(runs: LiveRun[]): void {
	for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
}

/**
 * A real adb server with simulated phones for one describe block: started before its tests, and
 * after them every live run is killed, the server stopped, then `cleanup` runs.
 */
export function useAdbHarness(runs: LiveRun[], cleanup?: () => void): AdbHarness {
	const h = new AdbHarness();
	beforeAll(async () => {
		await h.start();
	});
	afterAll(async () => {
		killAll(runs);
		await h.stop();
		cleanup?.();
	});
	return h;
}
