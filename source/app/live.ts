/**
 * `tattle live`: watches a tethered phone (logcat and packets over adb, or packets from another
 * source) until quit, on the dashboard or headless, then writes the reports.
 */
import type {CliOptions} from '../lib/args.js';
import {adbServerEndpoint} from '../sources/adb.js';
import type {BundleWriter} from '../sources/bundle-writer.js';
import type {Session} from '../ingest/session.js';
import {loadDashboard, startDashboard} from './dashboard.js';
import {chooseSerial} from './device.js';
import {startKeyLog} from './keylog.js';
import {quitLatch} from './exit.js';
import {exitCodeFor, liveReportInput, writeReports} from './outputs.js';
import {checkPcapSpec, packetPlan, pumpPackets} from './packet-input.js';
import {preparePcapdroid, startPcapdroidCapture, stopPcapdroidCapture} from './pcapdroid-setup.js';
import {phoneStatusLines, watchPhone} from './phone.js';
import {openRecorder, recordSession} from './recorder.js';
import {applyMarkers, captureHooks, makeSession} from './session-setup.js';
import {noteHeadless, wantsTui} from './terminal.js';
import {applyBaseline, readBaseline} from './run-input.js';

export async function runLive(opts: CliOptions): Promise<number> {
	const tui = wantsTui(opts);
	checkPcapSpec(opts);
	// Read before any device is looked for: a wrong --baseline is an error at once.
	const baseline = await readBaseline(opts);
	noteHeadless(opts, tui);
	// Headless, a quit signal is caught from here on: one sent while adb answers still writes the reports.
	const quit = tui ? undefined : quitLatch();
	// Ink and React load while adb answers and the session is built, not after.
	if (tui) void loadDashboard();
	const serial = await chooseSerial(opts, tui);
	const droid = opts.pcapdroid && !opts.noPcap ? await preparePcapdroid(opts.pcap, serial, adbServerEndpoint()) : undefined;
	const packets = packetPlan(opts, droid?.plan);
	let rec: BundleWriter | undefined;
	try {
		rec = opts.record ? openRecorder(opts.record, opts, serial, packets, droid?.plan) : undefined;
	} catch (error) {
		await droid?.device.close().catch(() => undefined);
		throw error;
	}

	const {session, geo} = makeSession(opts, {});
	// Named from the start (as the first frame did); the phone's own facts replace it when read.
	if (serial) session.device = {serial};
	applyBaseline(session, baseline);
	applyMarkers(session, opts, undefined);
	if (rec) recordSession(session, rec, !tui);
	const abort = new AbortController();
	const hooks = captureHooks(session);
	const keyLog = startKeyLog(opts.keylog, session, abort.signal, rec);
	const onStatus = tui ? undefined : phoneStatusLines();
	const phone = watchPhone(session, {serial, pcap: packets.phone, hostClock: packets.hostClock, rec, hooks, onStatus});
	const pump = packets.other ? pumpPackets(packets.other, session, {signal: abort.signal, rec, hooks, allowFrom: opts.pcapFrom}) : undefined;
	const stopCapture = droid && pump ? await startPcapdroidCapture(droid, pump.listening, session) : undefined;

	try {
		// `e` in the dashboard writes the report from the same input record as the one at exit.
		const reportInput = () => liveReportInput(opts, session, serial, packets.spec);
		await untilQuit(opts, session, abort, quit, {reportInput, ready: geo});
		if (droid) await stopPcapdroidCapture(droid, stopCapture);
		abort.abort();
		await phone.stop();
		await pump?.done.catch(() => undefined);
		await keyLog;
	} finally {
		rec?.close();
	}
	session.finish();
	await geo;
	const snap = session.snapshot();
	writeReports(opts, snap, liveReportInput(opts, session, serial, packets.spec));
	return exitCodeFor(opts, snap);
}

/** The dashboard until q (or a quit signal); headless, until Ctrl-C, SIGTERM or SIGHUP. */
async function untilQuit(opts: CliOptions, session: Session, abort: AbortController, quit: Promise<void> | undefined, report: {reportInput: () => Record<string, unknown>; ready: Promise<void>}): Promise<void> {
	if (quit) return quit;
	const ui = await startDashboard(opts, session, abort, {mode: 'live', ...report});
	await ui.waitUntilExit();
}
