/**
 * `tattle live --record DIR`: writes a capture bundle as the session runs (DESIGN.md, "Capture
 * bundle"): `capture.pcap` or `capture.pcapng` (the bytes tcpdump or PCAPdroid sent, never
 * re-encoded), `logcat.txt` (the logcat bytes as received, plus tattle's own probe and marker
 * lines in the same shape) and `meta.json` (device, clocks, how each stream was started).
 *
 * Crash safety: every complete capture record and every log chunk is written with writeSync as
 * it arrives, so a killed process loses nothing the kernel was handed; the files are fsynced
 * every {@link BUNDLE_SYNC_MS}, so a power cut loses at most that much. Capture bytes are written
 * whole records (pcap) or whole blocks (pcapng) at a time: a stream cut mid-record (a lost device)
 * leaves no torn record behind, and the next stream goes on from a record boundary.
 * Write failures (a full disk, a file size limit) never throw at the live session: recording
 * stops, `error` says why, and a record or log line half written when it failed is cut off again,
 * so the bundle ends on whole records and whole lines and replays as it is.
 * A bundle holds what the phone sent: the folder is made 0700 and its files 0600 (owner only).
 *
 * Over 300 lines because capture, logcat and meta writing share the crash-safety rules (write per
 * record, fsync clock, whole records only).
 */
import {chmodSync, closeSync, existsSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, renameSync, statSync, writeFileSync, writeSync} from 'node:fs';
import path from 'node:path';

/** How often the bundle's files are fsynced and meta.json rewritten: at most a second lost to a power cut. */
const BUNDLE_SYNC_MS = 1000;
/**
 * Largest pcap record or pcapng block the framer accepts, bytes: the capture reader's own block
 * bound (16 MiB, capture-reader.ts MAX_BLOCK_LENGTH). A bigger length means the bytes are not
 * framed as we think: the rest is then written through unframed, verbatim.
 */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Marker and note lines are cut to this many characters: logcat's own entry limit is about 4 KiB. */
export const MAX_MARKER_CHARS = 4000;
/** Bundle files are the owner's alone: they hold what the phone sent (URLs, identifiers, keys). */
const BUNDLE_FILE_MODE = 0o600;
/** The bundle folder: owner only, so nobody else can list or read it. */
const BUNDLE_DIR_MODE = 0o700;
/** Marker lines waiting for the logcat stream to reach a line boundary; more are dropped and counted. */
const MAX_PENDING_LINES = 1000;

const CAPTURE_PCAP = 'capture.pcap';
const CAPTURE_PCAPNG = 'capture.pcapng';
const LOGCAT_FILE = 'logcat.txt';
const META_FILE = 'meta.json';
/** The TLS key log lines the session saw (key log file or followed log), so a replay decrypts as live did. */
const KEYS_FILE = 'keys.log';
/** Tag of the lines that record the user's markers (decode/android.ts reads incognito ones). */
export const MARKER_TAG = 'tattle.marker';

const PCAP_HEADER = 24;
const PCAP_RECORD_HEADER = 16;
const PCAPNG_MAGIC = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
/** Block header (type, total length) plus the SHB's byte-order magic: enough to frame any block. */
const PCAPNG_PEEK = 12;
const PCAP_MAGICS: Record<number, boolean> = {0xa1b2c3d4: false, 0xa1b23c4d: false, 0xd4c3b2a1: true, 0x4d3cb2a1: true};

/** What the bundle's meta.json holds; fields the replay reads are those of replay-source.ts BundleMeta. */
export type RecordedMeta = {
	tool: {name: string; version: string};
	/** ISO time the recording started. */
	started?: string;
	device?: Record<string, unknown>;
	/** Seconds to add to log times to put them on the capture clock (replay-source.ts BundleMeta). */
	clockOffset?: number;
	logYear?: number;
	logZone?: string;
	/** How each stream was started: a readable line per stream, as the shipped bundles have. */
	streams?: Record<string, string>;
	/** The same in detail: command lines, fallbacks, specs. */
	sources?: Record<string, unknown>;
	markers?: Array<{ts: number; kind?: 'note' | 'incognito-on' | 'incognito-off'; pkg?: string; text?: string}>;
	[key: string]: unknown;
};

type BundleWriterStats = {
	captureBytes: number;
	/** Bytes of TLS key log written to keys.log. */
	keyBytes: number;
	/** Bytes dropped by the framer: a torn record at a stream cut, or a capture that could not be joined. */
	captureDroppedBytes: number;
	logBytes: number;
	markers: number;
	/** Marker lines dropped because too many waited for a line boundary. */
	markersDropped: number;
};

/** Writes one capture bundle; see the module comment. */
export type BundleWriter = {
	readonly dir: string;
	/** Name of the capture file once the first bytes decided it (capture.pcap or capture.pcapng). */
	readonly captureFile: string | undefined;
	readonly stats: BundleWriterStats;
	/** Why recording stopped early (a write failed), if it did. */
	readonly error: string | undefined;
	/** Capture bytes exactly as the packet parser got them. */
	capture(bytes: Uint8Array): void;
	/**
	 * The capture stream broke (the device left, tcpdump died): a record it left half-written is
	 * dropped, and the next bytes continue from a record boundary.
	 */
	captureCut(): void;
	/** A new capture with its own header follows (a tcpdump restart with a different header). */
	captureRestart(): void;
	/** Logcat bytes exactly as received (lines may be split anywhere). */
	log(bytes: Uint8Array): void;
	/** TLS key log text as read (keys.log, named in meta.json as `keys`). */
	keys(text: string): void;
	/** A line of tattle's own (probe, marker) in the live logcat shape, placed between whole log lines. */
	logLine(ts: number, tag: string, message: string, level?: string): void;
	/** A marker: a `tattle.marker` log line; notes also go to meta.json's markers. */
	marker(ts: number, text: string, kind?: 'note' | 'incognito-on' | 'incognito-off', pkg?: string): void;
	/** Merges fields into meta.json (written at the next sync). */
	updateMeta(patch: Partial<RecordedMeta>): void;
	/** Writes meta.json and fsyncs now. */
	sync(): void;
	/** Final sync and close; idempotent. */
	close(): void;
};

/** The bundle folder cannot be used (it exists and is not empty, or cannot be created). */
export class BundleWriterError extends Error {}

type BundleWriterOptions = {
	/** Sync period in ms (default {@link BUNDLE_SYNC_MS}); 0 disables the timer (tests). */
	syncMs?: number;
	/** Called once when recording stops on a write error. */
	onError?(message: string): void;
};

/** Creates `dir` (which must not exist, or be empty) and starts a bundle there. */
export function createBundleWriter(dir: string, meta: RecordedMeta, options: BundleWriterOptions = {}): BundleWriter {
	checkTarget(dir);
	try {
		mkdirSync(dir, {recursive: true, mode: BUNDLE_DIR_MODE});
		// An empty folder the user made may be open to others: a recording is private.
		chmodSync(dir, BUNDLE_DIR_MODE);
	} catch (error) {
		throw new BundleWriterError(`cannot create ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
	}
	return new Writer(dir, meta, options);
}

function checkTarget(dir: string): void {
	if (!existsSync(dir)) return;
	let entries: string[];
	try {
		if (!statSync(dir).isDirectory()) throw new BundleWriterError(`${dir} exists and is not a folder: --record needs a new or empty folder`);
		entries = readdirSync(dir);
	} catch (error) {
		if (error instanceof BundleWriterError) throw error;
		throw new BundleWriterError(`cannot read ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
	}
	if (entries.length > 0) throw new BundleWriterError(`${dir} is not empty: --record never overwrites a recording; name a new folder`);
}

/** Splits a byte stream into whole pcap records or pcapng blocks; falls back to pass-through on nonsense. */
class CaptureFramer {
	format: 'pcap' | 'pcapng' | 'raw' | undefined;
	private carry: Uint8Array = new Uint8Array(0);
	/** pcap: byte order; pcapng: byte order of the current section. */
	private le = true;
	/** pcap: header of the first capture, to join a restarted one with the same header. */
	private firstHeader: Uint8Array | undefined;
	/** Bytes still to drop: the header of a restarted pcap capture that matched the first. */
	private expectHeader = false;
	/** A restarted pcap capture with another header: its bytes cannot go into this file. */
	blocked = false;
	dropped = 0;

	/** Whole units ready to write, in order. */
	push(bytes: Uint8Array): Uint8Array[] {
		if (this.blocked) {
			this.dropped += bytes.length;
			return [];
		}
		if (this.format === 'raw') return [bytes];
		const buf = this.carry.length ? concat(this.carry, bytes) : bytes;
		const out: Uint8Array[] = [];
		let off = 0;
		for (;;) {
			const n = this.unitLength(buf, off);
			if (n === undefined || off + n > buf.length) break;
			if (n < 0) {
				// Not framed as expected: write the rest verbatim from here on.
				this.format = 'raw';
				out.push(buf.subarray(off));
				off = buf.length;
				break;
			}
			const unit = buf.subarray(off, off + n);
			off += n;
			if (this.expectHeader) {
				this.expectHeader = false;
				if (!sameHeader(unit, this.firstHeader)) {
					this.blocked = true;
					this.dropped += buf.length - off + n;
					off = buf.length;
					break;
				}
				continue;
			}
			out.push(unit);
		}
		// Keep the partial unit (a copy: the caller may reuse its chunk).
		this.carry = off < buf.length ? buf.slice(off) : new Uint8Array(0);
		return out;
	}

	/** Drops a partial unit left by a stream that broke. */
	cut(): void {
		this.dropped += this.carry.length;
		this.carry = new Uint8Array(0);
	}

	/** A new capture (with its header) follows. */
	restart(): void {
		this.cut();
		if (this.format === 'pcap') this.expectHeader = true;
	}

	/**
	 * Length of the unit starting at `off`: undefined when more bytes are needed to tell, -1 when
	 * the bytes are not a capture we can frame.
	 */
	private unitLength(buf: Uint8Array, off: number): number | undefined {
		const left = buf.length - off;
		if (left < 4) return undefined;
		const view = new DataView(buf.buffer, buf.byteOffset + off, left);
		if (this.format === undefined || this.expectHeader) {
			const magic = view.getUint32(0, false);
			if (this.format === undefined) {
				if (magic === PCAPNG_MAGIC) this.format = 'pcapng';
				else if (magic in PCAP_MAGICS) {
					this.format = 'pcap';
					this.le = PCAP_MAGICS[magic]!;
				} else return -1;
			}
			if (this.format === 'pcap') {
				if (left < PCAP_HEADER) return undefined;
				this.firstHeader ??= buf.slice(off, off + PCAP_HEADER);
				return PCAP_HEADER;
			}
		}
		if (this.format === 'pcap') {
			if (left < PCAP_RECORD_HEADER) return undefined;
			const incl = view.getUint32(8, this.le);
			return incl > MAX_FRAME_BYTES ? -1 : PCAP_RECORD_HEADER + incl;
		}
		// pcapng: a Section Header Block sets the byte order of the blocks after it.
		if (left < PCAPNG_PEEK) return undefined;
		if (view.getUint32(0, false) === PCAPNG_MAGIC) {
			const bom = view.getUint32(8, true);
			if (bom === PCAPNG_BOM) this.le = true;
			else if (bom === 0x4d3c2b1a) this.le = false;
			else return -1;
		}
		const total = view.getUint32(4, this.le);
		return total < PCAPNG_PEEK || total % 4 !== 0 || total > MAX_FRAME_BYTES ? -1 : total;
	}
}

function sameHeader(a: Uint8Array, b: Uint8Array | undefined): boolean {
	if (!b || a.length !== b.length) return false;
	// Magic (byte order, time precision) and link type must match; version and snaplen may differ.
	for (const i of [0, 1, 2, 3, 20, 21, 22, 23]) if (a[i] !== b[i]) return false;
	return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
	const out = new Uint8Array(a.length + b.length);
	out.set(a);
	out.set(b, a.length);
	return out;
}

/**
 * One line in the live logcat shape (`-v threadtime -v epoch -v uid`, as adb-live.ts writes its
 * probe lines), so the same parser reads it. Control characters become spaces: one line, always.
 */
export function formatLogLine(ts: number, tag: string, message: string, level = 'I'): string {
	// eslint-disable-next-line no-control-regex
	const text = message.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, MAX_MARKER_CHARS);
	const time = Number.isFinite(ts) && ts > 0 ? ts : Date.now() / 1000;
	return `${time.toFixed(3).padStart(24)}     0     0     0 ${level} ${tag}: ${text}\n`;
}

class Writer implements BundleWriter {
	readonly stats: BundleWriterStats = {captureBytes: 0, keyBytes: 0, captureDroppedBytes: 0, logBytes: 0, markers: 0, markersDropped: 0};
	captureFile: string | undefined;
	error: string | undefined;
	private readonly meta: RecordedMeta;
	private readonly framer = new CaptureFramer();
	private captureFd: number | undefined;
	private keysFd: number | undefined;
	private keysDirty = false;
	private readonly logFd: number;
	private captureDirty = false;
	/** Bytes in each file so far, all whole records (capture) or whole writes (keys). */
	private captureSize = 0;
	private keysSize = 0;
	private logSize = 0;
	/** Length of logcat.txt up to its last newline: where a failed write cuts it back to. */
	private logLineEnd = 0;
	private logDirty = false;
	private metaDirty = true;
	private logAtLineStart = true;
	private readonly pending: string[] = [];
	private readonly timer: NodeJS.Timeout | undefined;
	private closed = false;

	constructor(
		readonly dir: string,
		meta: RecordedMeta,
		private readonly options: BundleWriterOptions,
	) {
		this.meta = {...meta, markers: [...(meta.markers ?? [])]};
		try {
			// 'wx': fail rather than overwrite, should anything appear between the check and now.
			this.logFd = openSync(path.join(dir, LOGCAT_FILE), 'wx', BUNDLE_FILE_MODE);
		} catch (error) {
			throw new BundleWriterError(`cannot write ${path.join(dir, LOGCAT_FILE)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
		}
		this.writeMeta();
		const period = options.syncMs ?? BUNDLE_SYNC_MS;
		if (period > 0) {
			this.timer = setInterval(() => this.sync(), period);
			// The recording must not keep the process alive on its own.
			this.timer.unref();
		}
	}

	capture(bytes: Uint8Array): void {
		if (this.closed || this.error || bytes.length === 0) return;
		const units = this.framer.push(bytes);
		this.stats.captureDroppedBytes = this.framer.dropped;
		if (units.length === 0) return;
		if (this.captureFd === undefined) {
			this.captureFile = this.framer.format === 'pcapng' ? CAPTURE_PCAPNG : CAPTURE_PCAP;
			const file = path.join(this.dir, this.captureFile);
			if (!this.guard(() => (this.captureFd = openSync(file, 'wx', BUNDLE_FILE_MODE)))) return;
			this.meta.capture = this.captureFile;
			this.metaDirty = true;
		}
		const fd = this.captureFd!;
		for (const unit of units) {
			// A record half written when the disk filled is cut off: the file ends on a whole record.
			if (!this.guard(() => writeAll(fd, unit), () => ftruncateSync(fd, this.captureSize))) return;
			this.captureSize += unit.length;
			this.stats.captureBytes += unit.length;
		}
		this.captureDirty = true;
	}

	keys(text: string): void {
		if (this.closed || this.error || text.length === 0) return;
		if (this.keysFd === undefined) {
			if (!this.guard(() => (this.keysFd = openSync(path.join(this.dir, KEYS_FILE), 'wx', BUNDLE_FILE_MODE)))) return;
			this.meta.keys = KEYS_FILE;
			this.metaDirty = true;
		}
		const bytes = new TextEncoder().encode(text);
		const fd = this.keysFd!;
		if (!this.guard(() => writeAll(fd, bytes), () => ftruncateSync(fd, this.keysSize))) return;
		this.keysSize += bytes.length;
		this.stats.keyBytes += bytes.length;
		this.keysDirty = true;
	}

	captureCut(): void {
		this.framer.cut();
		this.stats.captureDroppedBytes = this.framer.dropped;
	}

	captureRestart(): void {
		this.framer.restart();
		this.stats.captureDroppedBytes = this.framer.dropped;
	}

	log(bytes: Uint8Array): void {
		if (this.closed || this.error || bytes.length === 0) return;
		if (!this.writeLog(bytes)) return;
		this.logAtLineStart = bytes[bytes.length - 1] === 0x0a;
		this.flushPending();
	}

	logLine(ts: number, tag: string, message: string, level = 'I'): void {
		if (this.closed || this.error) return;
		if (this.pending.length >= MAX_PENDING_LINES) {
			this.stats.markersDropped++;
			return;
		}
		this.pending.push(formatLogLine(ts, tag, message, level));
		this.flushPending();
	}

	marker(ts: number, text: string, kind: 'note' | 'incognito-on' | 'incognito-off' = 'note', pkg?: string): void {
		if (this.closed || this.error) return;
		this.stats.markers++;
		if (kind === 'note') {
			this.logLine(ts, MARKER_TAG, `note ${text}`);
			// The replay shows meta.json's notes on its timeline, as the live session did.
			this.meta.markers!.push({ts, kind, text: text.slice(0, MAX_MARKER_CHARS)});
			this.metaDirty = true;
		} else {
			// As a log line only: the replay's logcat rules turn it into the same incognito window.
			this.logLine(ts, MARKER_TAG, `${kind} pkg=${pkg ?? 'browser'} ${text}`.trim());
		}
	}

	updateMeta(patch: Partial<RecordedMeta>): void {
		if (this.closed) return;
		Object.assign(this.meta, patch);
		this.metaDirty = true;
	}

	sync(): void {
		// After a failed write meta.json is still worth a try (it is small, and says why recording stopped).
		if (this.metaDirty) this.writeMeta();
		if (this.error) return;
		if (this.captureDirty && this.captureFd !== undefined) {
			const fd = this.captureFd;
			if (!this.guard(() => fdatasyncSync(fd))) return;
			this.captureDirty = false;
		}
		if (this.logDirty) {
			if (!this.guard(() => fdatasyncSync(this.logFd))) return;
			this.logDirty = false;
		}
		if (this.keysDirty && this.keysFd !== undefined) {
			const fd = this.keysFd;
			if (!this.guard(() => fdatasyncSync(fd))) return;
			this.keysDirty = false;
		}
	}

	close(): void {
		if (this.closed) return;
		clearInterval(this.timer);
		if (this.pending.length && !this.error) {
			// Lines still waiting on a torn last log line: end it, so ours stay whole lines.
			if (!this.logAtLineStart) this.writeLog(new TextEncoder().encode('\n'));
			this.logAtLineStart = true;
			this.flushPending();
		}
		this.meta.ended = new Date().toISOString();
		this.meta.recorded = {...this.stats, ...(this.error ? {error: this.error} : {})};
		this.metaDirty = true;
		this.sync();
		this.closed = true;
		for (const fd of [this.captureFd, this.logFd, this.keysFd]) {
			if (fd === undefined) continue;
			try {
				closeSync(fd);
			} catch {
				// already closed or failed: nothing more to save
			}
		}
	}

	private flushPending(): void {
		if (!this.logAtLineStart || this.pending.length === 0 || this.error) return;
		this.writeLog(new TextEncoder().encode(this.pending.splice(0).join('')));
	}

	/** Appends to logcat.txt; on a failed write the file is cut back to its last whole line. */
	private writeLog(bytes: Uint8Array): boolean {
		if (!this.guard(() => writeAll(this.logFd, bytes), () => ftruncateSync(this.logFd, this.logLineEnd))) return false;
		const lastNewline = bytes.lastIndexOf(0x0a);
		if (lastNewline >= 0) this.logLineEnd = this.logSize + lastNewline + 1;
		this.logSize += bytes.length;
		this.stats.logBytes += bytes.length;
		this.logDirty = true;
		return true;
	}

	private writeMeta(): void {
		const file = path.join(this.dir, META_FILE);
		const tmp = `${file}.tmp`;
		// Write then rename: a crash leaves the old meta.json or the new one, never half of one.
		if (this.guard(() => {
			writeFileSync(tmp, JSON.stringify(this.meta, null, 2) + '\n', {mode: BUNDLE_FILE_MODE});
			renameSync(tmp, file);
		})) this.metaDirty = false;
	}

	/**
	 * Runs a file operation; a failure stops the recording (once, with a reason) instead of
	 * throwing, after `undo` (cutting a half-written write back off; shrinking a file works on a full disk).
	 */
	private guard(op: () => unknown, undo?: () => void): boolean {
		try {
			op();
			return true;
		} catch (error) {
			try {
				undo?.();
			} catch {
				// The file stays as the failed write left it: a replay reads it up to the torn record.
			}
			if (!this.error) {
				this.error = `recording to ${this.dir} stopped: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
				this.options.onError?.(this.error);
			}
			return false;
		}
	}
}

/** writeSync until every byte is written (it may write fewer). */
function writeAll(fd: number, bytes: Uint8Array): void {
	let off = 0;
	while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}
