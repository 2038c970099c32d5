/**
 * A run to compare with (`tattle diff A B`, `--baseline B`): a saved JSON report is read and
 * checked; a capture bundle or a capture file is replayed headless at full speed through the same
 * pipeline as `tattle replay`, and its report built. Unreadable input is one line and exit 2.
 */
import {closeSync, openSync, readFileSync, readSync, statSync} from 'node:fs';
import {parseArgs, UsageError, type CliOptions} from '../lib/args.js';
import {LogcatParser} from '../decode/logcat.js';
import {resolveReplayInput, ReplayControl, ReplayInputError, runReplay} from '../sources/replay-source.js';
import {buildReport} from '../report/report.js';
import {runFromReport, runFromReportText, RunReportError, runHosts, type RunReport} from '../report/run-report.js';
import type {Session} from '../ingest/session.js';
import {fail} from './exit.js';
import {startKeyLog} from './keylog.js';
import {version} from './package-info.js';
import {checkCapture, replayHandlers} from './replay.js';
import {applyMarkers, makeSession} from './session-setup.js';
import {checkInputFiles} from './input-files.js';

/** Largest JSON report read (a 20,000-destination report is ~15 MB): a bigger file is refused, not parsed. */
const MAX_REPORT_BYTES = 256 * 1024 * 1024;

/** What classifies a replayed run: the same rules the comparing command was given. */
type RunInputOptions = {rules: readonly string[]; blocklist: readonly string[]; maxBody?: number};

/** The hosts and addresses of the --baseline run, or undefined without one. */
export async function readBaseline(opts: CliOptions): Promise<Set<string> | undefined> {
	return opts.baseline === undefined ? undefined : runHosts(await readRun(opts.baseline, '--baseline', opts));
}

/** Marks the session's destinations the baseline run's `hosts` never saw; nothing without one. */
export function applyBaseline(session: Session, hosts: Set<string> | undefined): void {
	if (hosts) session.setBaseline(hosts);
}

/** The run at `p`; `what` names it in errors ("diff A", "--baseline"). */
export async function readRun(p: string, what: string, o: RunInputOptions): Promise<RunReport> {
	let st;
	try {
		st = statSync(p);
	} catch {
		return fail(`${what} ${p}: no such file or folder`);
	}
	if (st.isFile() && looksLikeJson(p)) return readReportFile(p, what, st.size);
	return replayRun(p, what, o);
}

/** A file named .json, or whose first non-blank byte opens a JSON object. */
function looksLikeJson(p: string): boolean {
	if (/\.json$/i.test(p)) return true;
	const head = Buffer.alloc(64);
	let n = 0;
	try {
		const fd = openSync(p, 'r');
		try {
			n = readSync(fd, head, 0, head.length, 0);
		} finally {
			closeSync(fd);
		}
	} catch {
		return false;
	}
	return head.subarray(0, n).toString('latin1').trimStart().startsWith('{');
}

function readReportFile(p: string, what: string, size: number): RunReport {
	if (size > MAX_REPORT_BYTES) fail(`${what} ${p}: larger than ${MAX_REPORT_BYTES / 1024 / 1024} MiB, not read`);
	let text: string;
	try {
		text = readFileSync(p, 'utf8');
	} catch (error) {
		return fail(`${what} ${p}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
	}
	try {
		return runFromReportText(text, p);
	} catch (error) {
		if (error instanceof RunReportError) fail(`${what} ${p}: not a tattle JSON report: ${error.message}`);
		throw error;
	}
}

/** A bundle or capture replayed headless at full speed; its report as a run. */
async function replayRun(p: string, what: string, o: RunInputOptions): Promise<RunReport> {
	const opts = replayOptions(p, what, o);
	let input;
	try {
		input = resolveReplayInput(p, undefined);
	} catch (error) {
		if (error instanceof ReplayInputError) fail(`${what} ${error.message}`);
		throw error;
	}
	const logYear = input.meta?.logYear;
	const logZone = input.meta?.logZone;
	const {session, geo} = makeSession(opts, {logYear, logZone});
	session.input = {path: input.bundle ?? input.capture, logcat: input.logcat, speed: 'max', paused: false};
	session.logClockOffset = input.meta?.clockOffset ?? 0;
	if (input.meta?.device) session.device = input.meta.device;
	applyMarkers(session, opts, input.meta?.markers);
	const abort = new AbortController();
	const keyLog = startKeyLog(input.keylog, session, abort.signal, undefined);
	const timeParser = new LogcatParser({year: logYear, zone: logZone});
	let result;
	try {
		result = await runReplay(input, replayHandlers(session, false), {control: new ReplayControl('max'), timeOf: (line) => timeParser.timeOf(line.text), signal: abort.signal});
	} finally {
		abort.abort();
		await keyLog;
	}
	session.finish();
	checkCapture(result, input, session, undefined);
	await geo;
	const report = buildReport(session.snapshot(), {version, input: {command: 'replay', path: p, logcat: input.logcat ?? null, speed: 'max'}});
	return runFromReport(report, p);
}

/** Replay's own defaults with the comparing command's rules; no NDJSON, no reports, no --fail-on. */
function replayOptions(p: string, what: string, o: RunInputOptions): CliOptions {
	try {
		const opts = parseArgs(['replay', p, ...o.rules.flatMap((f) => ['--rules', f]), ...o.blocklist.flatMap((f) => ['--blocklist', f])]);
		if (o.maxBody !== undefined) opts.maxBody = o.maxBody;
		checkInputFiles(opts);
		return opts;
	} catch (error) {
		if (error instanceof UsageError) fail(`${what}: ${error.message}`);
		throw error;
	}
}
