/** Plain `tattle`: live when an adb device is attached, else the demo bundle replayed. */
import {existsSync} from 'node:fs';
import type {CliOptions} from '../lib/args.js';
import {firstDevice} from '../sources/adb.js';
import {fail} from './exit.js';
import {DEMO_BUNDLE} from './package-info.js';

/** How long plain `tattle` looks for an attached device before it replays the demo instead. */
const DEVICE_LOOK_MS = 1500;

/** The mode plain `tattle` runs, with the notice the demo shows. */
export async function autoMode(opts: CliOptions): Promise<{opts: CliOptions; notice?: string}> {
	const device = await firstDevice({timeoutMs: DEVICE_LOOK_MS}).catch(() => undefined);
	if (device) return {opts: {...opts, command: 'live'}};
	if (!existsSync(DEMO_BUNDLE)) fail(`no device attached and no demo bundle at ${DEMO_BUNDLE}`);
	return {opts: {...opts, command: 'replay', path: DEMO_BUNDLE}, notice: 'No device attached: replaying the demo bundle (captures/incognito-leak)'};
}
