/**
 * A program in a real pseudo-terminal without node-pty: util-linux `script` allocates the pty and
 * copies what the program draws to a pipe as it is written, so a test sees when each byte arrived
 * (tmux's capture-pane only says what is on screen when asked, 50 ms apart at best).
 */
import {spawn} from 'node:child_process';
import {shellQuote} from './tmux.js';

/** Escape sequences (CSI, OSC, single-character ones): removed before matching text. */
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)|[@-Z\\-_])/g;

export type PtyTiming = {
	/** Milliseconds from spawn to the first output that matched, or undefined if it never did. */
	ms: number | undefined;
	/** Everything drawn until then (escapes removed), for failure messages. */
	text: string;
};

/**
 * Runs `argv` in a pty of `columns` x `rows` and times how long after spawn its output first
 * matches `pattern`; then kills it (SIGTERM, then SIGKILL after a second). `timeoutMs` bounds it.
 */
export function timeToOutput(
	argv: string[],
	o: {pattern: RegExp; env?: NodeJS.ProcessEnv; columns?: number; rows?: number; timeoutMs?: number; cwd?: string},
): Promise<PtyTiming> {
	const size = `stty cols ${o.columns ?? 100} rows ${o.rows ?? 30}`;
	// -q quiet, -f flush each write, -e the child's exit status, -c the command; /dev/null: no typescript file.
	const command = `${size}; exec ${argv.map(shellQuote).join(' ')}`;
	return new Promise((resolve) => {
		const started = performance.now();
		// stdin stays an open pipe: at EOF on stdin script would end the session early.
		const child = spawn('script', ['-qfec', command, '/dev/null'], {env: o.env ?? process.env, cwd: o.cwd, stdio: ['pipe', 'pipe', 'ignore'], detached: true});
		let text = '';
		let done = false;
		let closed = false;
		const finish = (ms: number | undefined): void => {
			if (done) return;
			done = true;
			clearTimeout(timer);
			if (closed) return resolve({ms, text});
			const group = -child.pid!;
			try {
				process.kill(group, 'SIGTERM');
			} catch {
				// already gone
			}
			const kill = setTimeout(() => {
				try {
					process.kill(group, 'SIGKILL');
				} catch {
					// already gone
				}
			}, 1000);
			child.once('close', () => {
				clearTimeout(kill);
				resolve({ms, text});
			});
		};
		const timer = setTimeout(() => finish(undefined), o.timeoutMs ?? 10_000);
		child.stdout.on('data', (d: Buffer) => {
			const at = performance.now();
			text += d.toString('utf8').replace(ESCAPES, '');
			if (o.pattern.test(text)) finish(at - started);
		});
		child.once('close', () => {
			closed = true;
			finish(undefined);
		});
	});
}
