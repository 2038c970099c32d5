/**
 * Drives a program in a real terminal: a detached tmux session on a private server (its own
 * socket, `-f /dev/null`), so tests never touch the user's tmux and see exactly what a person
 * would see (`capture-pane`).
 */
import {execFile, execFileSync} from 'node:child_process';
import {rmSync} from 'node:fs';
import {promisify} from 'node:util';
import {setTimeout as sleep} from 'node:timers/promises';
import stringWidth from 'string-width';
import {repoRoot} from './corpus.js';

const run = promisify(execFile);

/** How often waitFor looks at the screen: 50 ms is ~3 frames at the dashboard's 15 fps cap, cheap for tmux. */
const POLL_MS = 50;
/** Default waitFor limit: a cold node start plus GeoIP loading takes ~3 s on a loaded 2-core machine. */
export const WAIT_MS = 15_000;

let sessions = 0;
/** Servers still running (name -> socket file): ended at exit too, so an interrupted run leaves no tmux behind. */
const live = new Map<string, string>();
process.once('exit', () => {
	for (const [socket, file] of live) {
		try {
			execFileSync('tmux', ['-L', socket, 'kill-server'], {stdio: 'ignore'});
		} catch {
			// Already gone.
		}
		removeSocket(file);
	}
});

/** tmux leaves its socket file behind after kill-server. */
function removeSocket(file: string): void {
	if (file) rmSync(file, {force: true});
}

export type TmuxOptions = {
	/** Shell command run in the pane (by sh -c); the pane lives on after it (see `keepShell`). */
	command: string;
	width: number;
	height: number;
	/** False sets NO_COLOR=1; true clears NO_COLOR and FORCE_COLOR so the app decides. */
	color?: boolean;
	/** More environment for the pane. */
	env?: Record<string, string>;
	cwd?: string;
	/**
	 * After the command: print `EXIT=<status>` and start an interactive shell with the prompt
	 * `PROMPT> `, to check the terminal works after the app quits (default true).
	 */
	keepShell?: boolean;
};

export type TmuxPane = {
	readonly name: string;
	readonly socket: string;
	/** tmux key names (`Tab`, `Enter`, `Escape`, `BTab`, `C-c`) or single characters. */
	sendKeys(...keys: string[]): Promise<void>;
	/** Literal text, typed as is. */
	type(text: string): Promise<void>;
	/** The visible screen; `escapes` keeps colour and attribute escapes (capture-pane -e). Wrapped lines are joined. */
	capture(options?: {escapes?: boolean}): Promise<string>;
	/** Polls the screen until it matches; returns that screen, or throws with the last screen. */
	waitFor(pattern: string | RegExp | ((screen: string) => boolean), timeoutMs?: number): Promise<string>;
	/** A tmux format about the pane, e.g. `#{pane_title}`, `#{cursor_flag}`, `#{history_size}`. */
	display(format: string): Promise<string>;
	title(): Promise<string>;
	resize(width: number, height: number): Promise<void>;
	/** Appends what the program writes to the pane, byte for byte, to `file` from now on (pipe-pane). */
	record(file: string): Promise<void>;
	/** Ends the tmux server of this pane (idempotent; never throws). */
	kill(): Promise<void>;
};

/** Shell-quotes one word. */
export function shellQuote(word: string): string {
	return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Columns a line takes on screen. */
export function lineWidth(line: string): number {
	return stringWidth(line);
}

/** Lines of a screen without the trailing blank ones. */
export function screenLines(screen: string): string[] {
	const lines = screen.split('\n').map(l => l.replace(/\s+$/, ''));
	while (lines.length > 0 && lines.at(-1) === '') lines.pop();
	return lines;
}

/** Starts a detached tmux session running `command` at the given size. */
export async function startTmux(o: TmuxOptions): Promise<TmuxPane> {
	const n = ++sessions;
	const socket = `tattle-test-${process.pid}-${n}`;
	const name = `t${n}`;
	const env: Record<string, string | undefined> = {...process.env, LANG: 'C.UTF-8', LC_ALL: undefined, LC_CTYPE: undefined, TMUX: undefined,
		// As in CI, whether or not this run is: Ink blanks the screen when CI is set unless the
		// dashboard clears it first (cli.tsx), and that must fail here, not only on CI's machine.
		CI: 'true'};
	if (o.color === false) env.NO_COLOR = '1';
	else {
		delete env.NO_COLOR;
		delete env.FORCE_COLOR;
	}
	Object.assign(env, o.env);
	// A fresh server per pane copies this environment into the pane: no -e needed, no leftovers.
	const tmux = (...args: string[]) => run('tmux', ['-L', socket, '-f', '/dev/null', ...args], {env: env as NodeJS.ProcessEnv, encoding: 'utf8'});
	const after = o.keepShell === false ? '' : `; echo "EXIT=$?"; PS1='PROMPT> ' exec sh -i`;
	await tmux(
		'new-session', '-d', '-s', name, '-x', String(o.width), '-y', String(o.height), '-c', o.cwd ?? repoRoot,
		`${o.command}${after}`,
	);
	const socketFile = (await tmux('display-message', '-p', '#{socket_path}')).stdout.trim();
	live.set(socket, socketFile);
	let killed = false;
	const target = ['-t', name];
	const pane: TmuxPane = {
		name,
		socket,
		async sendKeys(...keys) {
			for (const key of keys) await tmux('send-keys', ...target, key);
		},
		async type(text) {
			await tmux('send-keys', ...target, '-l', text);
		},
		async capture(options) {
			const args = ['capture-pane', '-p', '-J', ...target];
			if (options?.escapes) args.push('-e');
			return (await tmux(...args)).stdout;
		},
		async waitFor(pattern, timeoutMs = WAIT_MS) {
			const test =
				typeof pattern === 'function' ? pattern : typeof pattern === 'string' ? (s: string) => s.includes(pattern) : (s: string) => pattern.test(s);
			const deadline = Date.now() + timeoutMs;
			let screen = '';
			for (;;) {
				screen = await pane.capture().catch(() => screen);
				if (test(screen)) return screen;
				if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)}; screen:\n${screen}`);
				await sleep(POLL_MS);
			}
		},
		async display(format) {
			return (await tmux('display-message', '-p', ...target, format)).stdout.replace(/\n$/, '');
		},
		title() {
			return pane.display('#{pane_title}');
		},
		async resize(width, height) {
			await tmux('resize-window', ...target, '-x', String(width), '-y', String(height));
		},
		async record(file) {
			await tmux('pipe-pane', ...target, `cat >> ${shellQuote(file)}`);
		},
		async kill() {
			if (killed) return;
			killed = true;
			await tmux('kill-server').catch(() => undefined);
			removeSocket(socketFile);
			live.delete(socket);
		},
	};
	return pane;
}

/**
 * `tattle live --serial SERIAL ARGS...` on its dashboard in a 100x30 tmux pane without colour,
 * against the private adb server on `adbPort`; `stdin`: a shell command whose output is piped in.
 */
export function startLiveInTmux(adbPort: number, serial: string, args: readonly string[], stdin?: string): Promise<TmuxPane> {
	const live = `node dist/cli.js live --serial ${[serial, ...args].map(shellQuote).join(' ')}`;
	return startTmux({
		command: stdin ? `${stdin} | ${live}` : live,
		width: 100,
		height: 30,
		color: false,
		env: {ANDROID_ADB_SERVER_PORT: String(adbPort), ANDROID_SERIAL: ''},
	});
}
