/**
 * Files named on the command line must exist before any mode starts. Apart from session-setup.ts
 * because cli.tsx calls it first: this module loads nothing heavy, so the first frame is not held back.
 */
import {existsSync} from 'node:fs';
import type {CliOptions} from '../lib/args.js';
import {fail} from './exit.js';

/** Fails (one line, exit 2) when a file named on the command line does not exist. */
export function checkInputFiles(opts: CliOptions): void {
	if (opts.keylog && !opts.keylog.startsWith('follow:') && !existsSync(opts.keylog)) fail(`--keylog ${opts.keylog}: no such file`);
	if (opts.baseline && !existsSync(opts.baseline)) fail(`--baseline ${opts.baseline}: no such file or folder`);
	for (const f of [...opts.rules, ...opts.blocklist]) if (!existsSync(f)) fail(`${opts.rules.includes(f) ? '--rules' : '--blocklist'} ${f}: no such file`);
}
