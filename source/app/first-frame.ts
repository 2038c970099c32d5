/**
 * The first frame of `tattle live` on a terminal, drawn before anything heavy loads. Importing
 * Ink and React alone takes ~0.5 s on an idle laptop and the device set-up more, which left the
 * screen blank for 1.3-2.3 s (issue 12, defect 17). These are the status bar's first two lines
 * as the dashboard draws them in that state: the device, adb connecting, nothing counted yet. The
 * dashboard's first write erases them and draws in their place; the device chooser erases them too.
 */
import type {CliOptions} from '../lib/args.js';
import {sanitize} from '../lib/strip-controls.js';
import {mapWrites} from '../ui/rewind-fix.js';
import {utf8Locale, wantsTui} from './terminal.js';

/** Rows drawn by drawFirstFrame and not yet erased. */
let drawn = 0;

type FirstFrameOptions = {
	/** The device asked for (--serial or ANDROID_SERIAL), if any. */
	serial: string | undefined;
	/** --ascii or a locale without UTF-8: the status bar's ASCII glyph for `starting`. */
	ascii: boolean;
};

/** Draws the first frame when `tattle live` will show the dashboard (cli.tsx, before the mode loads). */
export function firstFrameForLive(opts: CliOptions): void {
	if (!wantsTui(opts)) return;
	const o: FirstFrameOptions = {serial: opts.serial ?? (process.env.ANDROID_SERIAL || undefined), ascii: opts.ascii || !utf8Locale()};
	const device = o.serial ? sanitize(o.serial, 80) : 'no device';
	drawFirstFrame(`${device} · ${o.ascii ? '~' : '◌'} adb starting (connecting to the adb server)`);
}

/**
 * Draws the first frame when a replay will show the dashboard (cli.tsx, before the mode loads):
 * what is being read, while Ink, React and the decoders load (issue 15: first frame <= 200 ms).
 */
export function firstFrameForReplay(opts: CliOptions): void {
	if (!wantsTui(opts)) return;
	const ascii = opts.ascii || !utf8Locale();
	drawFirstFrame(`replay of ${sanitize(opts.path ?? '', 120)} · ${ascii ? '~' : '◌'} starting (loading the capture)`);
}

/** Writes the first frame to `out` (a terminal): the status bar's title line, then the counters. */
function drawFirstFrame(title: string, out: NodeJS.WriteStream = process.stdout): void {
	const width = Math.max(20, (out.columns || 80) - 1);
	const lines = [`tattle · ${title}`, '0 pkts · 0 B · 0 log lines · 0 not decoded · 0 dropped'];
	// Each line within the width: a wrapped line would take two rows and the erase would miss one.
	out.write(lines.map((l) => `${[...l].slice(0, width).join('')}\n`).join(''));
	drawn = lines.length;
}

/** The escape that erases the first frame (each of its rows, back to the first), once; '' when none is shown. */
export function takeFirstFrame(): string {
	if (drawn === 0) return '';
	// Line by line (up one, erase it): a terminal such as tmux keeps what a clear from the top-left
	// (ESC[J at row 1) erases in its scrollback, where the frame would stay.
	const up = '\r' + '\u001B[1A\u001B[2K'.repeat(drawn);
	drawn = 0;
	return up;
}

/** `stream` whose first write erases the first frame first (the dashboard draws where it was). */
export function replacingFirstFrame<T extends NodeJS.WriteStream>(stream: T): T {
	return mapWrites(stream, (chunk) => takeFirstFrame() + chunk);
}
