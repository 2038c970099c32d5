#!/usr/bin/env node
/**
 * tattle's entry point: parses arguments, picks a mode, hands over (DESIGN.md). The modes live in
 * source/app/ (live, replay, and plain `tattle` choosing between them); exit is source/app/exit.ts's.
 */
import {HELP, parseArgs, UsageError, type CliOptions} from './source/lib/args.js';
import {parseExportArgs, type ExportOptions} from './source/lib/export-args.js';
import {fail, runToExit} from './source/app/exit.js';
import {version} from './source/app/package-info.js';
import {checkInputFiles} from './source/app/session-setup.js';

async function main(argv: string[]): Promise<number> {
	let opts: CliOptions;
	let exportOpts: ExportOptions | undefined;
	try {
		// `export` has options of its own (source/lib/export-args.ts); it is the first word. --help wins, as elsewhere.
		if (argv[0] === 'export' && !argv.some((a) => a === '--help' || a === '-h')) exportOpts = parseExportArgs(argv.slice(1));
		opts = parseArgs(exportOpts ? [] : argv, process.env);
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
	if (exportOpts) return (await import('./source/app/export.js')).runExport(exportOpts);
	checkInputFiles(opts);
	let notice: string | undefined;
	if (opts.command === 'auto') ({opts, notice} = await (await import('./source/app/auto.js')).autoMode(opts));
	// Each mode loads its layers when chosen: a replay never loads adb, a headless run never loads Ink.
	if (opts.command === 'live') return (await import('./source/app/live.js')).runLive(opts);
	return (await import('./source/app/replay.js')).runReplayMode(opts, notice);
}

runToExit(() => main(process.argv.slice(2)));
