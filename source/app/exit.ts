/**
 * One owner for exit (STYLE.md rule 10): a usage or input error is one line on stderr and a code,
 * a programmer error one line (the stack with TATTLE_DEBUG), and a closed pipe a quiet end.
 */
import {sanitize} from '../lib/strip-controls.js';
import {takeFirstFrame} from './first-frame.js';

/** An error the user caused or can fix: its message is the one line printed, `code` the exit code. */
export class ExitError extends Error {
	constructor(
		message: string,
		readonly code: number,
	) {
		super(message);
	}
}

/** The user quit before anything started (`q` at the device chooser): exit 0, nothing printed. */
export function quietExit(): ExitError {
	return new ExitError('', 0);
}

/** Ends the run with one line on stderr and `code` (2: usage error or nothing readable). */
export function fail(message: string, code = 2): never {
	throw new ExitError(message, code);
}

/**
 * The signals that end a session the way q does (the terminal given back, the reports written):
 * Ctrl-C or kill (SIGINT), a service manager (SIGTERM), a closed terminal or SSH link (SIGHUP).
 */
export const QUIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Calls `quit` on the first of QUIT_SIGNALS; a second one ends the process at once (exit 130).
 * The handler stays registered (not `once`): Ink's signal-exit re-raises a signal nobody else
 * listens to, which killed the run before its reports. Returns the removal of the handler.
 */
export function onQuitSignal(quit: () => void): () => void {
	let quitting = false;
	const handler = () => {
		if (quitting) process.exit(130);
		quitting = true;
		quit();
	};
	for (const s of QUIT_SIGNALS) process.on(s, handler);
	return () => {
		for (const s of QUIT_SIGNALS) process.off(s, handler);
	};
}

/**
 * A quit signal caught from now on, for a headless mode that has setup to do first: a signal that
 * arrives before the mode waits for one (while adb answers, say) still ends it the clean way.
 */
export function quitLatch(): Promise<void> {
	return new Promise<void>((resolve) => onQuitSignal(resolve));
}

/** Set once the dashboard has run: the process then ends as soon as the mode is done. */
let dashboardShown = false;

/** Called by the dashboard: after it unmounts, nothing may keep the process alive. */
export function endWhenDone(): void {
	dashboardShown = true;
}

/** Runs a mode to its exit code and owns how the process ends. */
export function runToExit(mode: () => Promise<number>): void {
	// A closed pipe (`tattle ... --json | head`) ends the run quietly, as other Unix tools do.
	process.stdout.on('error', (error: NodeJS.ErrnoException) => {
		if (error.code === 'EPIPE') process.exit(0);
		// The terminal hung up (SIGHUP follows): nothing more can be drawn, but the reports and the
		// bundle are still to be written, so carry on.
		if (error.code === 'EIO') return;
		throw error;
	});
	mode()
		.then(
			(code) => {
				process.exitCode = code;
			},
			(error: unknown) => {
				if (error instanceof ExitError) {
					// A first frame drawn for a dashboard that never came is erased, so the error stands alone.
					const erase = takeFirstFrame();
					if (erase) process.stdout.write(erase);
					if (error.message) process.stderr.write(`tattle: ${sanitize(error.message)}\n`);
					// Sources, timers or a child may still be running: an error ends the process now
					// (stderr is synchronous on terminals and pipes, and Node restores the terminal mode).
					process.exit(error.code);
				}
				// A programmer error: one line plus where, never a raw dump on the terminal.
				const e = error as Error;
				process.stderr.write(`tattle: internal error: ${sanitize(e?.message ?? String(error))}\n`);
				if (process.env.TATTLE_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
				process.exit(70);
			},
		)
		.then(() => {
			// After the dashboard unmounts, nanostores' computed stores unmount on chained 1 s timers
			// (3 s in all, measured): q took that long to give the prompt back. Nothing is left to do by
			// now (reports are written synchronously; terminal writes are blocking), so end here.
			if (dashboardShown) process.exit();
		});
}
