/**
 * The dashboard over a session: the flush clock into the stores, the keys' controls, the Ink app,
 * and giving the terminal back at the end. Ink, React and the stores load only when it starts.
 */
import type {CliOptions} from '../lib/args.js';
import {ANY_BROWSER} from '../lib/format.js';
import {startFlushing} from '../ingest/flusher.js';
import type {Session} from '../ingest/session.js';
import type {ReplayControl} from '../sources/replay-source.js';
import {endWhenDone, onQuitSignal} from './exit.js';
import {replacingFirstFrame} from './first-frame.js';
import {liveReportInput, writeReports} from './outputs.js';
import {keyboardStream, liveTerminalForInk, utf8Locale} from './terminal.js';

type DashboardOptions = {
	mode: 'replay' | 'live';
	control?: ReplayControl;
	notice?: string;
	/** The report's `input` record, as the mode writes it at exit (so `e` writes the same report). */
	reportInput?: () => Record<string, unknown>;
	/** Settles when the session's look-ups are loaded (GeoIP): the exit report waits for it, so `e` does too. */
	ready?: Promise<void>;
};

export type Dashboard = {
	/** Unmounts at once (idempotent): an error is about to end the run. */
	stop(): void;
	/** The replay read everything: show it all and say so; the dashboard stays until quit. */
	replayDone(): void;
	/** Resolves once the user quit and the terminal is restored. */
	waitUntilExit(): Promise<void>;
};

/**
 * Set by Ink's two cache files once scripts/bound-ink-caches.mjs (run at install) has bounded them:
 * Ink 6.8 keeps every text it ever measured, ~125 MB an hour on the dashboard (ink issue #986).
 */
const INK_CACHES_BOUNDED = Symbol.for('tattle.inkCachesBounded');

/** Said when Ink's text caches are not bounded (installed with --ignore-scripts, or another Ink). */
const INK_CACHES_NOTICE = "Ink's text caches are unbounded (installed with --ignore-scripts?): memory grows in long sessions";

/** The dashboard's modules (Ink, React, the stores), loading once. */
let loading: Promise<[typeof import('../ui/render.js'), typeof import('../stores/session-stores.js'), typeof import('../stores/controls.js')]> | undefined;

/**
 * Starts loading Ink, React and the stores (idempotent): a mode calls it as soon as it knows the
 * dashboard will show, so the ~0.5 s import overlaps its own set-up (adb, the session).
 */
export function loadDashboard(): NonNullable<typeof loading> {
	if (loading) return loading;
	// React's development build cost ~40% more CPU a frame (measured in tmux at 120x40); users get
	// the production build unless they ask. Set before the first import of react.
	process.env.NODE_ENV ??= 'production';
	// Ink reads CI (is-in-ci) when it loads and then prints only the last frame, at exit: a blank
	// screen for the whole session. The dashboard runs only on a terminal, so that heuristic is wrong here.
	liveTerminalForInk(process.env);
	loading = Promise.all([import('../ui/render.js'), import('../stores/session-stores.js'), import('../stores/controls.js')]);
	// Awaited by startDashboard; a run that fails before then must not also die of an unobserved rejection.
	loading.catch(() => undefined);
	return loading;
}

/** Starts the dashboard for a session; `quit` aborts `abort`. */
export async function startDashboard(opts: CliOptions, session: Session, abort: AbortController, o: DashboardOptions): Promise<Dashboard> {
	const {control, notice} = o;
	endWhenDone();
	const [{renderApp}, stores, controls] = await loadDashboard();
	// Each flush hands the stores the snapshot and the look-up of its sparklines (only the visible rows ask).
	const flusher = startFlushing(() => {
		if (session.input && control) {
			session.input.speed = control.speed;
			session.input.paused = control.paused;
		}
		return {snapshot: session.snapshot({screen: true}), rates: session.rates()};
	}, (s) => stores.applySnapshot(s.snapshot, s.rates), {periodMs: opts.refreshMs});
	if (notice) stores.addNotice(notice);
	if ((globalThis as Record<symbol, unknown>)[INK_CACHES_BOUNDED] !== true) stores.addNotice(INK_CACHES_NOTICE, 'warn');
	// The first frame shows the session as it is (device, sources), not empty stores for a tick.
	flusher.flushNow();
	let resolveExit!: () => void;
	const exited = new Promise<void>((r) => (resolveExit = r));
	const quit = () => {
		abort.abort();
		resolveExit();
	};
	controls.setControls({
		toggleIncognito: () => {
			const m = session.toggleIncognito();
			return m.pkg === ANY_BROWSER ? `${m.text}: no browser seen yet` : m.text;
		},
		addMarker: (note: string) => session.addMarker(note),
		...(control ? {changeSpeed: (factor: number) => control.changeSpeed(factor), step: () => control.step(), togglePlayback: () => control.togglePause()} : {}),
		// The same input as the report at exit: the mode's input record, the same snapshot, after GeoIP.
		exportReport: async () => {
			await o.ready;
			const files = opts.report.length > 0 ? opts.report : [`tattle-report-${Date.now()}.json`];
			const input = o.reportInput?.() ?? (o.mode === 'live' ? liveReportInput(opts, session, opts.serial, opts.pcap) : {command: o.mode, path: session.input?.path ?? null});
			writeReports({...opts, report: files}, session.snapshot(), input);
			return files.join(', ');
		},
		quit,
	});
	// kill, a service manager or a closed terminal quit as q does: the terminal back, the reports written.
	onQuitSignal(quit);
	const keyboard = keyboardStream() ?? process.stdin;
	// Drawn where the first frame was (first-frame.ts), which its first write erases.
	const app = renderApp({color: opts.color, ascii: opts.ascii || !utf8Locale(), mode: o.mode, stdin: keyboard, stdout: replacingFirstFrame(process.stdout)});
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
			// Leave the terminal as we found it, and let go of the keyboard so the process can end.
			if (keyboard.isTTY) keyboard.setRawMode(false);
			keyboard.pause();
			if (keyboard !== process.stdin) keyboard.destroy();
		},
	};
}
