#!/usr/bin/env node
/**
 * tattle's entry point: parses arguments, wires sources -> session -> stores/report, picks the
 * dashboard or headless mode, and owns exit and cleanup. Thin by design (DESIGN.md).
 */
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {HELP, parseArgs, UsageError, type CliOptions} from './source/lib/args.js';
import {sanitize} from './source/lib/sanitize.js';
import {Session} from './source/ingest/session.js';
import {startFlushing} from './source/ingest/flusher.js';
import {LogcatParser} from './source/decode/logcat.js';
import {loadClassifier} from './source/classify/load.js';
import {createIpInfo} from './source/classify/geo.js';
import {loadGeoData} from './source/sources/geo-data.js';
import {resolveReplayInput, ReplayControl, ReplayInputError, runReplay, type ReplayInput} from './source/sources/replay.js';
import {describeCaptureError} from './source/sources/capture-source.js';
import {buildReport, renderReport} from './source/report/report.js';
import type {SessionSnapshot, SourceState} from './source/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repo (or installed package) root: dist/cli.js lives one level below it. */
const root = path.resolve(here, path.basename(here) === 'dist' ? '..' : '.');
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {version: string}).version;
/** The demo bundle `tattle` replays when no phone is attached. */
export const DEMO_BUNDLE = path.join(root, 'captures', 'incognito-leak');

class ExitError extends Error {
	constructor(
		message: string,
		readonly code: number,
	) {
		super(message);
	}
}

function fail(message: string, code = 2): never {
	throw new ExitError(message, code);
}

async function main(argv: string[]): Promise<number> {
	let opts: CliOptions;
	try {
		opts = parseArgs(argv, process.env);
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
	if (opts.command === 'live') return runLive(opts);
	let notice: string | undefined;
	if (opts.command === 'auto') {
		const {firstDevice} = await import('./source/sources/adb.js');
		const device = await firstDevice({timeoutMs: 1500}).catch(() => undefined);
		if (device) return runLive({...opts, command: 'live'});
		if (!existsSync(DEMO_BUNDLE)) fail(`no device attached and no demo bundle at ${DEMO_BUNDLE}`);
		opts = {...opts, command: 'replay', path: DEMO_BUNDLE};
		notice = 'No device attached: replaying the demo bundle (captures/incognito-leak)';
	}
	return replay(opts, notice);
}

/** Watches a tethered phone (wired in the live-sources work). */
async function runLive(_opts: CliOptions): Promise<number> {
	fail('live mode is not available in this build yet: use tattle replay');
}

/** Longest string in an NDJSON event: a hostile 64 KiB name stays one readable line. */
const MAX_EVENT_STRING = 4096;

/** JSON replacer: untrusted strings lose control characters before they reach a pipe or a terminal. */
function cleanStrings(_key: string, value: unknown): unknown {
	return typeof value === 'string' ? sanitize(value, MAX_EVENT_STRING) : value;
}

/** Whether to show the dashboard: a terminal on both ends and no headless output asked for. */
function wantsTui(opts: CliOptions): boolean {
	return !opts.json && Boolean(process.stdout.isTTY) && Boolean(process.stdin.isTTY);
}

async function replay(opts: CliOptions, notice?: string): Promise<number> {
	let input: ReplayInput;
	try {
		input = resolveReplayInput(opts.path, opts.logcat);
	} catch (error) {
		if (error instanceof ReplayInputError) fail(error.message);
		throw error;
	}
	const tui = wantsTui(opts);
	if (!tui && !opts.json && opts.report.length === 0 && !process.stdout.isTTY) {
		process.stderr.write('tattle: no terminal: running headless (use --report FILE or --json for output)\n');
	}
	const speed = opts.speed ?? (tui ? 1 : 'max');
	const control = new ReplayControl(speed);
	const classifier = loadClassifier({rules: opts.rules, blocklists: opts.blocklist});
	if (!classifier.ok) fail(classifier.error);
	const logYear = opts.logYear ?? input.meta?.logYear;
	const logZone = opts.logZone ?? input.meta?.logZone;
	const out = process.stdout;
	const session = new Session({
		classifier: classifier.value,
		maxBody: opts.maxBody,
		logYear,
		logZone,
		onEvent: opts.json ? (e) => out.write(JSON.stringify(e, cleanStrings) + '\n') : undefined,
	});
	session.input = {path: input.bundle ?? input.capture, logcat: input.logcat, speed, paused: false};
	if (input.meta?.device) session.device = input.meta.device;
	const geo = loadGeoData()
		.then((data) => session.setIpInfo(createIpInfo(data)))
		.catch((error: Error) => {
			session.setIpInfo(createIpInfo());
			process.stderr.write(`tattle: offline GeoIP/ASN data unavailable (${sanitize(error.message)}); countries left blank\n`);
		});
	const timeParser = new LogcatParser({year: logYear, zone: logZone});
	const timeOf = (line: {text: string}) => timeParser.timeOf(line.text);
	const abort = new AbortController();
	const progress = !tui && !opts.quiet && Boolean(process.stderr.isTTY);
	const sourceState = (source: string, state: SourceState, detail?: string) => session.setStatus({source, state, detail, ts: session.now || Date.now() / 1000});

	let ui: Awaited<ReturnType<typeof startUi>> | undefined;
	if (tui) ui = await startUi(opts, session, control, abort, notice);

	let result: Awaited<ReturnType<typeof runReplay>>;
	try {
		result = await runReplay(
			input,
			{
				onPacket: (p) => session.addPacket(p),
				onLogLine: (l) => session.addLogLine(l),
				onStatus: sourceState,
				onProgress(ts, first) {
					if (session.input) session.input.position = ts;
					if (progress) {
						process.stderr.write(`\rtattle: replaying: ${session.stats.packets} packets, ${session.stats.logLines} log lines, ${Math.round(ts - (first ?? ts))} s of capture read  `);
					}
				},
			},
			{control, from: opts.from, to: opts.to, timeOf, signal: abort.signal},
		);
	} finally {
		if (progress) process.stderr.write('\r\x1b[K');
	}
	session.finish();
	const capture = result.capture;
	if (capture?.error) {
		const fatalNothing = capture.error.fatal && capture.packets === 0;
		if (fatalNothing && !input.logcat) {
			ui?.stop();
			fail(describeCaptureError(capture.name, capture.error).replace(/^tattle: /, ''));
		}
		process.stderr.write(describeCaptureError(capture.name, capture.error) + '\n');
		session.addMalformed('capture-damaged', capture.error.message);
	}
	await geo;
	if (ui) {
		ui.replayDone();
		await ui.waitUntilExit();
	}
	const snap = session.snapshot();
	writeReports(opts, snap, {command: 'replay', path: input.bundle ?? input.capture ?? null, logcat: input.logcat ?? null, speed: String(speed)});
	return exitCodeFor(opts, snap);
}

/** Starts the dashboard for a session; resolves to handles the caller uses at the end. */
async function startUi(opts: CliOptions, session: Session, control: ReplayControl, abort: AbortController, notice?: string) {
	const uiModule = './source/ui/render.js';
	const [{renderApp}, stores, controls] = await Promise.all([import(uiModule), import('./source/stores/session.js'), import('./source/stores/controls.js')]);
	const flusher = startFlushing(() => {
		if (session.input) {
			session.input.speed = control.speed;
			session.input.paused = control.paused;
		}
		return session.snapshot();
	}, stores.applySnapshot, {periodMs: opts.refreshMs});
	if (notice) stores.addNotice(notice);
	let resolveExit!: () => void;
	const exited = new Promise<void>((r) => (resolveExit = r));
	controls.setControls({
		toggleIncognito: () => session.toggleIncognito(),
		addMarker: (text?: string) => session.addMarker(text ?? 'marker'),
		changeSpeed: (factor: number) => control.changeSpeed(factor),
		step: () => control.step(),
		togglePlayback: () => control.togglePause(),
		exportReport: () => {
			const files = opts.report.length > 0 ? opts.report : [`tattle-report-${Date.now()}.json`];
			writeReports({...opts, report: files}, session.snapshot(), {command: 'replay', path: session.input?.path ?? null});
			return files.join(', ');
		},
		quit: () => {
			abort.abort();
			resolveExit();
		},
	});
	const app = renderApp({color: opts.color, ascii: opts.ascii || !utf8Locale(), mode: 'replay'});
	// The dashboard stays up after the replay ends until the user quits: hold the event loop open.
	const keepAlive = setInterval(() => undefined, 60_000);
	let stopped = false;
	const stop = () => {
		if (stopped) return;
		stopped = true;
		clearInterval(keepAlive);
		flusher.stop();
		app.unmount();
	};
	return {
		stop,
		replayDone() {
			flusher.flushNow();
			stores.addNotice('Replay finished: q quits, e exports the report');
		},
		async waitUntilExit() {
			await exited;
			flusher.flushNow();
			stop();
			await app.waitUntilExit().catch(() => undefined);
			// Leave the terminal as we found it, and let go of stdin so the process can end.
			if (process.stdin.isTTY) process.stdin.setRawMode(false);
			process.stdin.pause();
		},
	};
}

function utf8Locale(): boolean {
	const lc = process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || '';
	return lc === '' || /utf-?8/i.test(lc);
}

/** Writes every --report file; a write failure is a clear error, not a stack trace. */
export function writeReports(opts: CliOptions, snap: SessionSnapshot, input: Record<string, unknown>): void {
	if (opts.report.length === 0) return;
	const report = buildReport(snap, {version, input});
	for (const file of opts.report) {
		try {
			writeFileSync(file, renderReport(report, file));
		} catch (error) {
			fail(`cannot write report ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
		}
	}
}

/** 3 when a --fail-on flag kind was raised, else 0. */
export function exitCodeFor(opts: CliOptions, snap: SessionSnapshot): number {
	if (opts.failOn.length === 0) return 0;
	const hit = snap.flags.some((f) => opts.failOn.includes('any') || opts.failOn.includes(f.kind));
	return hit ? 3 : 0;
}

// A closed pipe (`tattle ... --json | head`) ends the run quietly, as other Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
	if (error.code === 'EPIPE') process.exit(0);
	throw error;
});

main(process.argv.slice(2)).then(
	(code) => {
		process.exitCode = code;
	},
	(error: unknown) => {
		if (error instanceof ExitError) {
			process.stderr.write(`tattle: ${sanitize(error.message)}\n`);
			process.exitCode = error.code;
			return;
		}
		// A programmer error: one line plus where, never a raw dump on the terminal.
		const e = error as Error;
		process.stderr.write(`tattle: internal error: ${sanitize(e?.message ?? String(error))}\n`);
		if (process.env.TATTLE_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
		process.exitCode = 70;
	},
);
