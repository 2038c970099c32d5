/**
 * Session data stores: one atom per slice of the SessionSnapshot that ingest hands over on its
 * flush clock. Each atom compares structurally, so a flush that changed nothing notifies nobody.
 */
import {atom, batch, type WritableAtom} from 'nanostores';
import type {
	AppSummary,
	CategorySummary,
	DestinationSummary,
	Flag,
	IncognitoSignal,
	RateLookup,
	SessionSnapshot,
	SessionStats,
	SourceInfo,
	TimelineEntry,
} from '../types.js';
import {deepEqual} from './equal.js';

// The CLI reports events such as "replay finished" next to applySnapshot.
export {addNotice} from './notices.js';

export type DeviceInfo = NonNullable<SessionSnapshot['device']>;
export type InputInfo = NonNullable<SessionSnapshot['input']>;

export const EMPTY_STATS: SessionStats = Object.freeze({
	packets: 0,
	bytes: 0,
	logLines: 0,
	malformed: 0,
	dropped: 0,
	problems: {},
});

/** A data atom with structural equality. */
function dataAtom<T>(initial: T): WritableAtom<T> {
	const $store = atom<T>(initial);
	$store.eq = deepEqual;
	return $store;
}

export const $stats = dataAtom<SessionStats>(EMPTY_STATS);
export const $destinations = dataAtom<readonly DestinationSummary[]>([]);
export const $categories = dataAtom<readonly CategorySummary[]>([]);
export const $flags = dataAtom<readonly Flag[]>([]);
export const $apps = dataAtom<readonly AppSummary[]>([]);
export const $timeline = dataAtom<readonly TimelineEntry[]>([]);
export const $sources = dataAtom<readonly SourceInfo[]>([]);
export const $device = dataAtom<DeviceInfo | undefined>(undefined);
export const $input = dataAtom<InputInfo | undefined>(undefined);
export const $incognito = dataAtom<readonly string[]>([]);
/** The kind of signal that set each incognito package's state. */
export const $incognitoSignals = dataAtom<Readonly<Record<string, IncognitoSignal>>>({});

/** A snapshot without sparklines (tests, a look-up never handed over): every series is empty. */
const NO_RATES: RateLookup = () => [];
/**
 * The sparklines of the shown snapshot's destinations, looked up by host: the destinations view
 * asks for its visible rows only. A new look-up each flush (compared by identity).
 */
export const $rates = atom<RateLookup>(NO_RATES);

// While the view is paused, the newest snapshot waits here; capture and ingest carry on.
let holding = false;
let held: {snapshot: SessionSnapshot; rates: RateLookup} | undefined;

/** Write every slice of a snapshot in one synchronous batch (one notification per changed store). */
function writeSnapshot(s: SessionSnapshot, rates: RateLookup): void {
	batch(() => {
		$rates.set(rates);
		$stats.set(s.stats);
		$destinations.set(s.destinations);
		$categories.set(s.categories);
		$flags.set(s.flags);
		$apps.set(s.apps);
		$timeline.set(s.timeline);
		$sources.set(s.sources);
		$device.set(s.device);
		// Ingest mutates its input record in place (speed, pause, position): store a copy, or the
		// next snapshot compares equal to itself and a speed change while paused never shows.
		$input.set(s.input && {...s.input});
		$incognito.set(s.incognito);
		$incognitoSignals.set(s.incognitoSignals ?? {});
	});
}

/**
 * Ingest's flush entry point: show this snapshot, with the look-up of its destinations'
 * sparklines, or keep both aside while the view is paused.
 */
export function applySnapshot(s: SessionSnapshot, rates: RateLookup = NO_RATES): void {
	if (holding) {
		held = {snapshot: s, rates};
		return;
	}

	writeSnapshot(s, rates);
}

/** Freeze (true) or release (false) the visible stores; releasing shows the newest held snapshot. */
export function holdSnapshots(on: boolean): void {
	if (on && !holding) {
		// Frozen means every row's sparkline too, also those scrolled to later: the look-up reads
		// rings that ingest keeps moving, so each shown destination's series is asked (and kept) now.
		const rates = $rates.get();
		for (const d of $destinations.get()) rates(d.host);
	}
	holding = on;
	if (!on && held) {
		const latest = held;
		held = undefined;
		writeSnapshot(latest.snapshot, latest.rates);
	}
}

/** True when a snapshot arrived while paused and is not shown yet. */
export function hasHeldSnapshot(): boolean {
	return held !== undefined;
}

/** Back to an empty session (tests, and a new replay). */
export function resetSession(): void {
	holding = false;
	held = undefined;
	batch(() => {
		$rates.set(NO_RATES);
		$stats.set(EMPTY_STATS);
		$destinations.set([]);
		$categories.set([]);
		$flags.set([]);
		$apps.set([]);
		$timeline.set([]);
		$sources.set([]);
		$device.set(undefined);
		$input.set(undefined);
		$incognito.set([]);
		$incognitoSignals.set({});
	});
}
