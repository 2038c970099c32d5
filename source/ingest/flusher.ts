/**
 * The flush clock: ingest aggregates cheaply, and this moves a snapshot into the stores on a
 * period (250 ms default: ~4 screen updates a second whatever the packet rate, STYLE.md rule 2).
 * A headless replay never starts it and flushes once at the end.
 */

export type Clock = {
	setInterval(fn: () => void, ms: number): unknown;
	clearInterval(handle: unknown): void;
};

const systemClock: Clock = {
	setInterval: (fn, ms) => setInterval(fn, ms),
	clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

type Flusher = {stop(): void; flushNow(): void; readonly flushes: number};

/** Calls `apply(take())` every `periodMs` on the injected clock, and on demand. */
export function startFlushing<T>(take: () => T, apply: (snapshot: T) => void, opts: {periodMs: number; clock?: Clock}): Flusher {
	const clock = opts.clock ?? systemClock;
	let flushes = 0;
	let stopped = false;
	const flushNow = () => {
		if (stopped) return;
		flushes++;
		apply(take());
	};
	const handle = clock.setInterval(flushNow, opts.periodMs);
	// A live dashboard must not be kept alive by its own clock after everything else ended.
	(handle as {unref?: () => void})?.unref?.();
	return {
		stop() {
			if (!stopped) clock.clearInterval(handle);
			stopped = true;
		},
		flushNow,
		get flushes() {
			return flushes;
		},
	};
}
