/**
 * Replay: packets and logcat lines from files (or a capture bundle) merged in time order and
 * paced by their timestamps (`speed` x recorded pace, or as fast as possible), with pause,
 * step and a --from/--to window. Parses no protocol: the time of a log line comes from an
 * injected `timeOf` (the CLI wires the logcat decoder in).
 *
 * Over 300 lines because merging packets and log lines, pacing them and the pause/step/window
 * controls share one clock and one cursor.
 */
import {existsSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import type {LogLine, RawPacket} from '../types.js';
import {openCapture, type CaptureFormat, type CaptureSecrets, type CaptureStream} from './capture-source.js';
import {openLogcat} from './logcat-source.js';

/** Pacing sleeps shorter than this are batched: timers cannot do better than a few ms anyway. */
const MIN_SLEEP_MS = 15;
/**
 * Longest wall-time wait between two items. A capture can hold long silences (or a clock jump);
 * at the recorded pace the screen would look frozen, so a longer gap is shortened to this.
 */
const MAX_GAP_WAIT_MS = 3000;
/** How often a paused replay re-checks its control state. */
const PAUSE_POLL_MS = 50;

export type BundleMeta = {
	device?: {serial?: string; model?: string; manufacturer?: string; android?: string; timeZone?: string};
	/** Seconds to add to log times to put them on the capture clock. */
	clockOffset?: number;
	logYear?: number;
	logZone?: string;
	/** Markers recorded with the bundle: notes, and incognito on/off stated by hand. */
	markers?: Array<{ts: number; kind?: 'note' | 'incognito-on' | 'incognito-off'; pkg?: string; text?: string}>;
	[key: string]: unknown;
};

export type ReplayInput = {capture?: string; logcat?: string; meta?: BundleMeta; bundle?: string; /** The bundle's TLS key log (keys.log). */ keylog?: string};

export class ReplayInputError extends Error {}

/** Resolves a replay PATH: a bundle folder (capture.pcap[ng], logcat.txt, meta.json) or a capture file. */
export function resolveReplayInput(p: string | undefined, logcat: string | undefined): ReplayInput {
	if (logcat !== undefined && logcat !== '-') {
		if (!existsSync(logcat)) throw new ReplayInputError(`--logcat ${logcat}: no such file`);
		if (statSync(logcat).isDirectory()) throw new ReplayInputError(`--logcat ${logcat}: a folder, not a logcat file`);
	}
	if (!p) return {logcat};
	if (!existsSync(p)) throw new ReplayInputError(`${p}: no such file or folder`);
	if (!statSync(p).isDirectory()) return {capture: p, logcat};
	const pick = (...names: string[]) => names.map((n) => path.join(p, n)).find((f) => existsSync(f));
	const capture = pick('capture.pcapng', 'capture.pcap');
	const bundleLog = pick('logcat.txt');
	let meta: BundleMeta | undefined;
	const metaFile = pick('meta.json');
	if (metaFile) {
		try {
			meta = JSON.parse(readFileSync(metaFile, 'utf8')) as BundleMeta;
		} catch (error) {
			throw new ReplayInputError(`${metaFile}: not valid JSON (${(error as Error).message})`);
		}
	}
	if (!capture && !bundleLog && !logcat) throw new ReplayInputError(`${p}: not a capture bundle (no capture.pcap, capture.pcapng or logcat.txt)`);
	const keyName = typeof meta?.keys === 'string' && !meta.keys.includes('/') && !meta.keys.includes('\\') ? meta.keys : 'keys.log';
	return {capture, logcat: logcat ?? bundleLog, meta, bundle: p, keylog: pick(keyName)};
}

/** What the UI can do to a running replay. */
export class ReplayControl {
	paused = false;
	speed: number | 'max';
	/** Capture seconds to release while paused (the `.` key). */
	private stepBudget = 0;

	constructor(speed: number | 'max') {
		this.speed = speed;
	}

	togglePause(): boolean {
		this.paused = !this.paused;
		return this.paused;
	}

	/** Releases one second of capture time while paused. */
	step(): void {
		this.stepBudget += 1;
	}

	/** Doubles or halves the speed (bounded to 1/16x .. 1024x); `max` stays max. */
	changeSpeed(factor: number): number | 'max' {
		if (this.speed !== 'max') this.speed = Math.min(1024, Math.max(1 / 16, this.speed * factor));
		return this.speed;
	}

	/** @internal used by the replay loop */
	takeStep(): boolean {
		if (this.stepBudget <= 0) return false;
		this.stepBudget--;
		return true;
	}
}

export type ReplayHandlers = {
	onPacket(p: RawPacket): void;
	onLogLine(l: LogLine): void;
	/** A log line before the --from window: for state only (see Session.primeLogLine). */
	onPriorLogLine?(l: LogLine): void;
	/** Called about every 0.25 s of wall time with progress through the capture clock. */
	onProgress?(ts: number, first: number | undefined): void;
	/**
	 * A source's state: live when reading, eof at the end, down on a fatal error. `ts` is on the
	 * capture's clock when known: the opening statuses carry the first record's time.
	 */
	onStatus?(source: string, state: 'live' | 'eof' | 'down', detail?: string, ts?: number): void;
	/** pcapng Custom Blocks (PCAPdroid's UID map); data is a view, copy to keep. */
	onCustomBlock?(pen: number, data: Uint8Array): void;
	/** pcapng Decryption Secrets Blocks (TLS key logs), as the parser meets them. */
	onSecrets?(s: CaptureSecrets): void;
	/** The capture's format once known. */
	onFormat?(format: CaptureFormat): void;
};

type ReplayOptions = {
	control: ReplayControl;
	from?: number;
	to?: number;
	/** Absolute time of a log line, or undefined when it has none (it then follows its neighbours). */
	timeOf?: (line: LogLine) => number | undefined;
	signal?: AbortSignal;
	sleep?: (ms: number) => Promise<void>;
	now?: () => number;
};

export type ReplayResult = {capture?: CaptureStream; packets: number; logLines: number; aborted: boolean};

/** A log line with the capture-clock time it sorts at (undefined: it follows the line before). */
type LineItem = {ts: number | undefined; line: LogLine};

/**
 * Pulls items one at a time from an async iterable of batches; awaits only once per batch.
 * Packets are taken as they come (no wrapper object per packet: at full speed that was a
 * measurable share of the garbage); lines come wrapped with their time.
 */
class Cursor {
	private batch: Array<RawPacket | LineItem> = [];
	private i = 0;
	done = false;
	private lastTs: number | undefined;
	constructor(
		private readonly it: AsyncIterator<Array<RawPacket | LineItem>>,
		/** True for the capture (items are RawPacket), false for logcat (items are LineItem). */
		readonly packets: boolean,
	) {}
	/** True when the head is not loaded yet and `fill()` must be awaited. */
	get empty(): boolean {
		return this.i >= this.batch.length && !this.done;
	}
	async fill(): Promise<void> {
		while (this.i >= this.batch.length && !this.done) {
			const r = await this.it.next();
			if (r.done) this.done = true;
			else {
				this.batch = r.value;
				this.i = 0;
			}
		}
	}
	head(): RawPacket | LineItem | undefined {
		const item = this.batch[this.i];
		// Lines without a time (banners, continuation) sort with the line before them.
		if (item && item.ts === undefined) item.ts = this.lastTs;
		return item;
	}
	/** Stops reading: closes the source behind the iterator (its file handle) now, not at GC. */
	async close(): Promise<void> {
		this.done = true;
		this.batch = [];
		await this.it.return?.().catch(() => undefined);
	}
	take(): void {
		const item = this.batch[this.i++];
		if (item?.ts !== undefined) this.lastTs = item.ts;
	}
	/**
	 * Hands the packets loaded after the head to `onPacket`, up to `limit` of them; returns how
	 * many. For a lone capture at full speed, where the general loop's per-item choice and pacing
	 * checks cost more than the item. Stops early when `stop()` turns true (an abort).
	 */
	drainPackets(limit: number, onPacket: (p: RawPacket) => void, stop: () => boolean): number {
		const batch = this.batch as RawPacket[];
		let n = 0;
		while (n < limit && this.i < batch.length && !stop()) {
			const p = batch[this.i++]!;
			this.lastTs = p.ts;
			n++;
			onPacket(p);
		}
		return n;
	}
}

async function* mapBatches<T>(src: AsyncIterable<T[]>, f: (x: T) => LineItem): AsyncGenerator<LineItem[]> {
	for await (const batch of src) yield batch.map(f);
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs a replay to the end (or abort), calling the handlers in time order. */
export async function runReplay(input: ReplayInput, h: ReplayHandlers, o: ReplayOptions): Promise<ReplayResult> {
	const sleep = o.sleep ?? defaultSleep;
	const now = o.now ?? (() => performance.now());
	const offset = input.meta?.clockOffset ?? 0;
	const cursors: Cursor[] = [];
	// A replay runs on the capture's clock: the opening statuses wait for the first record's time,
	// so a timeline sorted by time does not show today's wall clock above the capture's events.
	const opening: Array<[string, string]> = [];
	const opened = (ts: number | undefined) => {
		for (const [source, detail] of opening.splice(0)) h.onStatus?.(source, 'live', detail, ts);
	};
	let capture: CaptureStream | undefined;
	if (input.capture) {
		capture = openCapture(input.capture, {signal: o.signal, onCustomBlock: h.onCustomBlock, onSecrets: h.onSecrets, onFormat: h.onFormat});
		cursors.push(new Cursor(capture[Symbol.asyncIterator](), true));
		opening.push(['capture', input.capture]);
	}
	if (input.logcat) {
		const lines = openLogcat(input.logcat, {signal: o.signal});
		const timeOf = o.timeOf;
		cursors.push(
			new Cursor(
				mapBatches(lines, (l: LogLine) => {
					const t = l.ts ?? timeOf?.(l);
					return {ts: t === undefined ? undefined : t + offset, line: l};
				})[Symbol.asyncIterator](),
				false,
			),
		);
		opening.push(['logcat', input.logcat]);
	}
	const aborted = (): ReplayResult => {
		opened(undefined);
		return {capture, packets, logLines, aborted: true};
	};
	let packets = 0;
	let logLines = 0;
	let first: number | undefined;
	let wallStart = now();
	let clockStart: number | undefined;
	let lastProgress = 0;
	let speedSeen = o.control.speed;
	for (;;) {
		if (o.signal?.aborted) return aborted();
		// Pick the earliest head among the cursors (k is 1 or 2: a linear scan is the right tool).
		let best: Cursor | undefined;
		let bestItem: RawPacket | LineItem | undefined;
		// An index loop: `for...of` made an iterator per item (14 MB of garbage in a 10 s dashboard run).
		for (let k = 0; k < cursors.length; k++) {
			const c = cursors[k]!;
			if (c.empty) await c.fill();
			const item = c.head();
			if (!item) continue;
			if (!bestItem || (item.ts ?? -Infinity) < (bestItem.ts ?? -Infinity)) {
				best = c;
				bestItem = item;
			}
		}
		if (!best || !bestItem) break;
		const ts = bestItem.ts;
		if (ts !== undefined && o.to !== undefined && ts > o.to) {
			best.take();
			// Past the window on this stream: drain nothing more from it.
			cursors.splice(cursors.indexOf(best), 1);
			await best.close();
			continue;
		}
		if (ts !== undefined && o.from !== undefined && ts < o.from) {
			// Log lines before the window still set the state it starts in (incognito, processes).
			if (!best.packets) h.onPriorLogLine?.((bestItem as LineItem).line);
			best.take();
			continue;
		}
		if (ts !== undefined) {
			if (first === undefined) {
				first = ts;
				opened(ts);
			}
			const control = o.control;
			if (control.speed !== speedSeen || clockStart === undefined) {
				// A speed change re-anchors the pacing so the new speed applies from here on.
				speedSeen = control.speed;
				clockStart = ts;
				wallStart = now();
			}
			while (control.paused && !control.takeStep()) {
				if (o.signal?.aborted) return aborted();
				await sleep(PAUSE_POLL_MS);
				clockStart = ts;
				wallStart = now();
			}
			if (control.speed !== 'max') {
				const due = wallStart + ((ts - clockStart) * 1000) / control.speed;
				const wait = due - now();
				if (wait > MAX_GAP_WAIT_MS) {
					// Skip the silence: re-anchor so the next item is due MAX_GAP_WAIT_MS from now.
					await sleep(MAX_GAP_WAIT_MS);
					clockStart = ts;
					wallStart = now();
				} else if (wait >= MIN_SLEEP_MS) await sleep(wait);
			}
			// Reading the clock per item costs more than the item at full speed: look every 1024.
			if ((packets + logLines) % 1024 === 0 && now() - lastProgress > 250) {
				lastProgress = now();
				h.onProgress?.(ts, first);
			}
		}
		best.take();
		if (best.packets) {
			packets++;
			h.onPacket(bestItem as RawPacket);
			if (cursors.length === 1 && o.control.speed === 'max' && !o.control.paused && o.from === undefined && o.to === undefined) {
				// Nothing to interleave, pace or window: the rest of the batch goes straight through,
				// stopping where the general loop would look at the clock (every 1024 items).
				// A handler may pause, slow down or abort synchronously: the general loop takes over then.
				const control = o.control;
				const stop = () => o.signal?.aborted === true || control.paused || control.speed !== 'max';
				packets += best.drainPackets(1023 - ((packets + logLines - 1) % 1024), (p) => h.onPacket(p), stop);
			}
		} else {
			logLines++;
			h.onLogLine((bestItem as LineItem).line);
		}
	}
	opened(undefined);
	if (capture) h.onStatus?.('capture', capture.error?.fatal ? 'down' : 'eof', capture.error?.message);
	if (input.logcat) h.onStatus?.('logcat', 'eof');
	return {capture, packets, logLines, aborted: false};
}
