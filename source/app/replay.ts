/**
 * `tattle replay`: reads a capture bundle or a capture and/or a logcat file through the same
 * pipeline as live, paced or at full speed, on the dashboard or headless, then writes the reports.
 */
import type {CliOptions} from '../lib/args.js';
import {sanitize} from '../lib/sanitize.js';
import {LogcatParser} from '../decode/logcat.js';
import {describeCaptureError} from '../sources/capture-source.js';
import {resolveReplayInput, ReplayControl, ReplayInputError, runReplay, type ReplayHandlers, type ReplayInput, type ReplayResult} from '../sources/replay-source.js';
import type {Session} from '../ingest/session.js';
import type {SourceState} from '../types.js';
import {startDashboard, type Dashboard} from './dashboard.js';
import {fail, QUIT_SIGNALS} from './exit.js';
import {startKeyLog} from './keylog.js';
import {exitCodeFor, writeReports} from './outputs.js';
import {applyMarkers, captureHooks, makeSession} from './session-setup.js';
import {noteHeadless, wantsTui} from './terminal.js';
import {applyBaseline, readBaseline} from './run-input.js';

/** Replays `opts.path` / `opts.logcat`; `notice` is shown on the dashboard (the demo says it is one). */
export async function runReplayMode(opts: CliOptions, notice?: string): Promise<number> {
	const input = replayInput(opts);
	// Read before anything is shown: a wrong --baseline is an error at once.
	const baseline = await readBaseline(opts);
	const tui = wantsTui(opts);
	noteHeadless(opts, tui);
	const speed = opts.speed ?? (tui ? 1 : 'max');
	const control = new ReplayControl(speed);
	const logYear = opts.logYear ?? input.meta?.logYear;
	const logZone = opts.logZone ?? input.meta?.logZone;
	const {session, geo} = makeSession(opts, {logYear, logZone});
	applyBaseline(session, baseline);
	session.input = {path: input.bundle ?? input.capture, logcat: input.logcat, speed, paused: false};
	session.logClockOffset = input.meta?.clockOffset ?? 0;
	if (input.meta?.device) session.device = input.meta.device;
	applyMarkers(session, opts, input.meta?.markers);
	const abort = new AbortController();
	// --keylog wins over the bundle's keys.log; read whole now, or followed while the replay runs.
	const keyLog = startKeyLog(opts.keylog ?? input.keylog, session, abort.signal, undefined);
	const timeParser = new LogcatParser({year: logYear, zone: logZone});
	const progress = !tui && !opts.quiet && Boolean(process.stderr.isTTY);
	let result: ReplayResult | undefined;
	// One input record for the report at exit and for `e` on the dashboard.
	const reportInput = () => ({
		command: 'replay',
		path: input.bundle ?? input.capture ?? null,
		logcat: input.logcat ?? null,
		speed: String(speed),
		...(opts.baseline ? {baseline: opts.baseline} : {}),
		...(result?.aborted ? {stoppedEarly: true} : {}),
	});
	const ui = tui ? await startDashboard(opts, session, abort, {mode: 'replay', control, notice, reportInput, ready: geo}) : stopOnSignals(abort);

	try {
		result = await runReplay(input, replayHandlers(session, progress), {control, from: opts.from, to: opts.to, timeOf: (line) => timeParser.timeOf(line.text), signal: abort.signal});
	} finally {
		if (progress) process.stderr.write('\r\x1b[K');
		// A followed key log stops with the replay.
		if (!abort.signal.aborted) abort.abort();
		await keyLog;
	}
	session.finish();
	checkCapture(result, input, session, ui);
	await geo;
	if (ui) {
		ui.replayDone();
		await ui.waitUntilExit();
	}
	// Only the report and the exit code read this snapshot: built afresh, with the upload timeline (summaries carry no sparkline series).
	const snap = session.snapshot();
	writeReports(opts, snap, reportInput());
	return exitCodeFor(opts, snap);
}

function replayInput(opts: CliOptions): ReplayInput {
	try {
		return resolveReplayInput(opts.path, opts.logcat);
	} catch (error) {
		if (error instanceof ReplayInputError) fail(error.message);
		throw error;
	}
}

/** Headless: Ctrl-C, SIGTERM or SIGHUP stops the replay where it is and still writes the report of what was read; a second one ends at once. */
function stopOnSignals(abort: AbortController): undefined {
	const stopReplay = () => {
		if (abort.signal.aborted) process.exit(130);
		abort.abort();
	};
	for (const signal of QUIT_SIGNALS) process.on(signal, stopReplay);
	return undefined;
}

/** Records and lines into the session; statuses on the capture's clock; a progress line on stderr if asked. */
export function replayHandlers(session: Session, progress: boolean): ReplayHandlers {
	return {
		onPacket: (p) => session.addPacket(p),
		onLogLine: (l) => session.addLogLine(l),
		onPriorLogLine: (l) => session.primeLogLine(l),
		// runReplay gives the opening statuses the first record's time.
		onStatus: (source: string, state: SourceState, detail?: string, ts?: number) => session.setStatus({source, state, detail, ts: ts ?? (session.now || Date.now() / 1000)}),
		...captureHooks(session),
		onProgress(ts, first) {
			if (session.input) session.input.position = ts;
			if (progress) {
				process.stderr.write(`\rtattle: replaying: ${session.stats.packets} packets, ${session.stats.logLines} log lines, ${Math.round(ts - (first ?? ts))} s of capture read  `);
			}
		},
	};
}

/** A damaged capture is read up to the damage (a notice, exit 0); one with nothing readable and no logcat is an error. */
export function checkCapture(result: ReplayResult, input: ReplayInput, session: Session, ui: Dashboard | undefined): void {
	const capture = result.capture;
	if (!capture?.error) return;
	if (capture.error.fatal && capture.packets === 0 && !input.logcat) {
		ui?.stop();
		fail(describeCaptureError(capture.name, capture.error).replace(/^tattle: /, ''));
	}
	process.stderr.write(sanitize(describeCaptureError(capture.name, capture.error)) + '\n');
	session.addMalformed('capture-damaged', capture.error.message);
}
