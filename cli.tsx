#!/usr/bin/env -S node --max-semi-space-size=8
/**
 * tattle's entry point: parses arguments, picks a mode, hands over (DESIGN.md). The modes live in
 * source/app/ (live, replay, and plain `tattle` choosing between them); exit is source/app/exit.ts's.
 */
import {HELP, parseArgs, UsageError, type CliOptions} from './source/lib/args.js';
import {parseDiffArgs, type DiffOptions} from './source/lib/diff-args.js';
import {parseExportArgs, type ExportOptions} from './source/lib/export-args.js';
import {fail, runToExit} from './source/app/exit.js';
import {version} from './source/app/package-info.js';
import {checkInputFiles} from './source/app/input-files.js';
import {firstFrameForLive, firstFrameForReplay} from './source/app/first-frame.js';

async function main(argv: string[]): Promise<number> {
	let opts: CliOptions;
	let diffOpts: DiffOptions | undefined;
	let exportOpts: ExportOptions | undefined;
	try {
		// `diff` and `export` have options of their own (source/lib/diff-args.ts, export-args.ts); each is the first word. --help wins, as elsewhere.
		if (argv[0] === 'diff' && !argv.some((a) => a === '--help' || a === '-h')) diffOpts = parseDiffArgs(argv.slice(1));
		if (argv[0] === 'export' && !argv.some((a) => a === '--help' || a === '-h')) exportOpts = parseExportArgs(argv.slice(1));
		opts = parseArgs(diffOpts || exportOpts ? [] : argv, process.env);
	} catch (error) {
		if (error instanceof UsageError) fail(error.message);
		throw error;
	}
	if (opts.command === 'help') {
		process.stdout.write(HELP + '\n');
		return 0;
	}
	if (opts.command === 'version') {
		process.stdout.write(`tattle ${version}\n`);
		return 0;
	}
	if (diffOpts) return (await import('./source/app/diff-mode.js')).runDiff(diffOpts);
	if (exportOpts) return (await import('./source/app/export.js')).runExport(exportOpts);
	checkInputFiles(opts);
	let notice: string | undefined;
	if (opts.command === 'auto') ({opts, notice} = await (await import('./source/app/auto.js')).autoMode(opts));
	// Each mode loads its layers when chosen: a replay never loads adb, a headless run never loads Ink.
	// The dashboard's first frame is drawn before the mode's layers load (~1 s), not after.
	if (opts.command === 'live') {
		firstFrameForLive(opts);
		return (await import('./source/app/live.js')).runLive(opts);
	}
	firstFrameForReplay(opts);
	return (await import('./source/app/replay.js')).runReplayMode(opts, notice);
}

runToExit(() => main(process.argv.slice(2)));
