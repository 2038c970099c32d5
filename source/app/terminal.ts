/** The terminal tattle runs in: whether to draw the dashboard, where keys come from, what it can show. */
import {openSync} from 'node:fs';
import tty from 'node:tty';
import type {CliOptions} from '../lib/args.js';

/** Whether to show the dashboard: a terminal to draw on and a keyboard, and no headless output asked for. */
export function wantsTui(opts: CliOptions): boolean {
	return !opts.json && Boolean(process.stdout.isTTY) && keyboardStream() !== undefined;
}

/** Says once on stderr that a run without a terminal and without outputs shows nothing. */
export function noteHeadless(opts: CliOptions, tui: boolean): void {
	if (!tui && !opts.json && opts.report.length === 0 && !process.stdout.isTTY) {
		process.stderr.write('tattle: no terminal: running headless (use --report FILE or --json for output)\n');
	}
}

/** The controlling terminal when stdin is not one (undefined: not opened yet; null: there is none). */
let ttyKeyboard: tty.ReadStream | null | undefined;

/**
 * Where keys come from: stdin when it is a terminal, else the controlling terminal (/dev/tty), as
 * less and fzf do, so `tcpdump -U -w - | tattle live --pcap -` still gets the dashboard and its keys.
 */
export function keyboardStream(): NodeJS.ReadStream | undefined {
	if (process.stdin.isTTY) return process.stdin;
	if (ttyKeyboard === undefined) {
		try {
			const fd = openSync('/dev/tty', 'r');
			ttyKeyboard = tty.isatty(fd) ? new tty.ReadStream(fd) : null;
		} catch {
			ttyKeyboard = null;
		}
	}
	return ttyKeyboard ?? undefined;
}

/** Whether the locale can show box drawing and symbols (no locale set counts as UTF-8). */
export function utf8Locale(): boolean {
	const lc = process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || '';
	return lc === '' || /utf-?8/i.test(lc);
}

/** Removes the variables that make Ink think no one watches the terminal (CI, CONTINUOUS_INTEGRATION). */
export function liveTerminalForInk(env: NodeJS.ProcessEnv): void {
	delete env.CI;
	delete env.CONTINUOUS_INTEGRATION;
}
