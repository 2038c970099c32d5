/**
 * Logcat text -> LogRecord, for every format `adb logcat -v` prints (threadtime, brief, process,
 * tag, thread, time, long, raw) and its modifiers (epoch, monotonic, year, UTC/zone, usec/nsec,
 * uid, printable, color). Formats are detected per line, because real files mix banners, vendor
 * junk and records. Pure: no I/O; the clock is injected.
 *
 * Prefix shapes follow AOSP liblog logprint.cpp (android_log_formatLogLine).
 *
 * Over 300 lines because every `-v` format and modifier is detected per line by one parser (AOSP
 * logprint.cpp's shapes).
 */
import type {LogLevel, LogLine, LogRecord} from '../types.js';

/**
 * Longest line kept, in UTF-16 units. logd caps one entry's payload at 4068 bytes and
 * `-v printable` can turn each byte into a 4-char `\xNN` escape, so 16 Ki holds every real line
 * with its prefix; a hostile stream cannot make us hold more. The rest is dropped and counted.
 */
export const MAX_LINE_CHARS = 16_384;

/**
 * Most message lines in one `-v long` record. One entry is at most 4068 bytes, so a real record
 * has far fewer lines; the bound stops a header followed by endless text from swallowing a stream.
 */
export const MAX_LONG_MESSAGE_LINES = 512;

/**
 * Time-zone offsets cached per 15-minute bucket of local time (every real transition falls on a
 * quarter hour). 1024 buckets cover ten days of log; the cache is cleared when full.
 */
const MAX_ZONE_CACHE = 1024;
const ZONE_BUCKET_SECONDS = 900;

/** Epoch values below this (2000-01-01) are taken as seconds since boot (`-v monotonic`). */
const EPOCH_FLOOR = 946_684_800;

type LogcatFormat = 'threadtime' | 'brief' | 'process' | 'tag' | 'thread' | 'time' | 'long' | 'banner' | 'raw';

export type LogcatParserOptions = {
	/** Year for dates printed without one (default: the year of fallbackNow in `zone`). */
	year?: number;
	/** Zone of dates printed without an offset: IANA name ("Europe/Paris") or "+HH:MM"/"+HHMM"/"UTC" (default UTC). */
	zone?: string;
	/** Current time, epoch seconds (a Date.now() millisecond value is recognised by its size). Default: the system clock. */
	fallbackNow?: () => number;
	/** Device boot time, epoch seconds: turns `-v monotonic` stamps into absolute ts. */
	bootTime?: number;
};

type LogcatParserStats = {
	/** Lines pushed. */
	lines: number;
	/** Records emitted, raw ones included. */
	records: number;
	/** Records that were not log records (junk, blank lines, `-v raw` output). */
	raw: number;
	/** Lines cut at MAX_LINE_CHARS, plus long records cut at MAX_LONG_MESSAGE_LINES. */
	truncated: number;
	/** Lines consumed inside `-v long` records (message lines, the closing blank line, and blank lines a message ended with). */
	longBodyLines: number;
	/** Records by detected format. */
	formats: Record<LogcatFormat, number>;
	/** The zone option was not understood; UTC was used. */
	badZone: boolean;
};

type TimeStamp =
	| {kind: 'date'; year?: number; month: number; day: number; hour: number; minute: number; second: number; frac: number; offset?: number}
	| {kind: 'epoch'; seconds: number}
	| {kind: 'mono'; seconds: number};

type Header = {
	format: LogcatFormat;
	time?: TimeStamp;
	uid?: string;
	pid?: string;
	tid?: string;
	level: string;
	tag?: string;
	message?: string;
};

type PendingLong = {rec: LogRecord; lines: string[]};

// ANSI SGR sequences added by `-v color` (old builds used 38;5;N, newer ones plain N).
const ANSI_SGR = /\x1B\[[0-9;]*m/g;
const BANNER = /^-{9} (?:beginning of|switch to) (.*)$/;
const DATE_PREFIX = /^(?:(\d{4})-)?(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{1,9})(?: ([+-])(\d\d):?(\d\d))?(?= )/;
// epoch is printed "%19lld", monotonic "%6lld": both right-aligned, hence the leading spaces.
const NUMERIC_PREFIX = /^ *(\d{1,19})\.(\d{1,9})(?= )/;
const UID = '([A-Za-z0-9_]+)';
const LEVEL = '([VDIWEFSA])';
// After the time stamp. Tags are matched lazily up to the separator and trimmed afterwards, so no
// pattern has two adjacent unbounded repeats (a line of spaces must not cost O(n^2)).
const THREADTIME_REST = new RegExp(`^ +(?:${UID} +)?(\\d+) +(\\d+) ${LEVEL} (.*?):(?: (.*))?$`, 's');
const TIME_REST = new RegExp(`^ ${LEVEL}/(.*?)\\( *(?:${UID}: *)?(\\d+)\\):(?: (.*))?$`, 's');
const LONG_REST = new RegExp(`^ +(?:${UID}: *)?(\\d+): *(\\d+) ${LEVEL}/(.*) \\]$`, 's');
const BRIEF = new RegExp(`^${LEVEL}/(.*?)\\( *(?:${UID}: *)?(\\d+)\\):(?: (.*))?$`, 's');
const THREAD = new RegExp(`^${LEVEL}\\( *(?:${UID}: *)?(\\d+): *(\\d+)\\) (.*)$`, 's');
const PROCESS = new RegExp(`^${LEVEL}\\( *(?:${UID}: *)?(\\d+)\\) (.*)  \\((.*)\\)$`, 's');
const TAG = new RegExp(`^${LEVEL}/(.*?):(?: (.*))?$`, 's');

/** Streaming parser: push lines in order, collect the records each push completes, then end(). */
export class LogcatParser {
	readonly stats: LogcatParserStats = {
		lines: 0,
		records: 0,
		raw: 0,
		truncated: 0,
		longBodyLines: 0,
		formats: {threadtime: 0, brief: 0, process: 0, tag: 0, thread: 0, time: 0, long: 0, banner: 0, raw: 0},
		badZone: false,
	};

	private zoneOffset: (localSeconds: number) => number;
	private readonly bootTime?: number;
	private year: number;
	private lastMonth = 0;
	private pending?: PendingLong;
	/** The previous line closed a `-v long` record: more blank lines are its message's trailing newlines. */
	private afterLong = false;

	constructor(opts: LogcatParserOptions = {}) {
		const zone = makeZone(opts.zone ?? 'UTC');
		if (!zone) this.stats.badZone = true;
		this.zoneOffset = zone ?? (() => 0);
		this.bootTime = opts.bootTime;
		this.year = opts.year ?? yearAt(opts.fallbackNow ?? (() => Date.now() / 1000), this.zoneOffset);
	}

	/**
	 * The zone of later lines whose format carries none (threadtime, time): live learns it from the
	 * phone after the first lines. An unknown zone leaves the current one and sets `badZone`.
	 */
	setZone(zone: string): void {
		const z = makeZone(zone);
		if (z) this.zoneOffset = z;
		else this.stats.badZone = true;
	}

	/** Feed one line; returns the records it completed (zero, one, or two when it closes a long record). */
	push(line: LogLine): LogRecord[] {
		this.stats.lines++;
		const text = this.clean(line.text);
		const out: LogRecord[] = [];
		if (this.afterLong && text === '') {
			this.stats.longBodyLines++;
			return out;
		}
		this.afterLong = false;
		if (this.pending) {
			if (text === '') {
				this.stats.longBodyLines++;
				this.afterLong = true;
				out.push(this.flushLong());
				return out;
			}
			const plain = text.includes('\x1B') ? text.replace(ANSI_SGR, '') : text;
			// Only a real header (or a banner) closes the record: a message line may start with "[ ".
			if (!(plain.startsWith('[ ') && matchHeader(plain)?.format === 'long') && !BANNER.test(plain)) {
				if (this.pending.lines.length < MAX_LONG_MESSAGE_LINES) {
					this.pending.lines.push(plain);
					this.stats.longBodyLines++;
					return out;
				}
				this.stats.truncated++;
			}
			// A header or banner (or an overlong body) closes the open record without a blank line.
			out.push(this.flushLong());
		}
		const rec = this.parseLine(text, line);
		if (rec) out.push(this.count(rec));
		return out;
	}

	/**
	 * The time a line states, without consuming it: for ordering lines before they are parsed
	 * (replay merges logcat with packets). A `-v long` header gives its record's time; body, raw
	 * and tagless-format lines give undefined.
	 */
	timeOf(text: string): number | undefined {
		let plain = text.length > MAX_LINE_CHARS ? text.slice(0, MAX_LINE_CHARS) : text;
		if (plain.includes('\x1B')) plain = plain.replace(ANSI_SGR, '');
		const c = plain.charCodeAt(0);
		if (c === 0x5b /* [ */) return plain.startsWith('[ ') && plain.endsWith(' ]') ? this.timeOfStamp(matchTime(plain.slice(2))?.time) : undefined;
		if (c !== 0x20 && !(c >= 0x30 && c <= 0x39)) return undefined;
		return this.timeOfStamp(matchTime(plain)?.time);
	}

	/** Flush a `-v long` record still open at the end of the input. */
	end(): LogRecord[] {
		return this.pending ? [this.flushLong()] : [];
	}

	private clean(text: string): string {
		let s = text;
		if (s.endsWith('\n')) s = s.slice(0, -1);
		if (s.endsWith('\r')) s = s.slice(0, -1);
		if (s.length > MAX_LINE_CHARS) {
			this.stats.truncated++;
			// Do not split a surrogate pair at the cut.
			const cut = isHighSurrogate(s.charCodeAt(MAX_LINE_CHARS - 1)) ? MAX_LINE_CHARS - 1 : MAX_LINE_CHARS;
			s = s.slice(0, cut);
		}
		return s;
	}

	private parseLine(text: string, line: LogLine): LogRecord | undefined {
		const plain = text.includes('\x1B') ? text.replace(ANSI_SGR, '') : text;
		const banner = BANNER.exec(plain);
		if (banner) {
			const rec: LogRecord = {type: 'log', index: line.index, message: plain, buffer: bufferName(banner[1]!)};
			if (line.ts !== undefined) rec.ts = line.ts;
			this.stats.formats.banner++;
			return rec;
		}
		const header = matchHeader(plain);
		if (!header) {
			const rec: LogRecord = {type: 'log', index: line.index, message: text, raw: true};
			if (line.ts !== undefined) rec.ts = line.ts;
			this.stats.formats.raw++;
			return rec;
		}
		if (!idsInRange(header)) {
			// A 200-digit pid is not a pid: the line is unparsed, never a float like 1e+200.
			const rec: LogRecord = {type: 'log', index: line.index, message: text, raw: true};
			if (line.ts !== undefined) rec.ts = line.ts;
			this.stats.formats.raw++;
			return rec;
		}
		this.stats.formats[header.format]++;
		const rec = this.toRecord(header, line);
		if (header.format === 'long') {
			this.pending = {rec, lines: []};
			return undefined;
		}
		return rec;
	}

	private toRecord(h: Header, line: LogLine): LogRecord {
		const rec: LogRecord = {type: 'log', index: line.index, message: h.message ?? ''};
		const ts = h.time ? this.epochOf(h.time) : undefined;
		if (ts !== undefined) rec.ts = ts;
		else if (line.ts !== undefined) rec.ts = line.ts;
		if (h.pid !== undefined) rec.pid = Number(h.pid);
		if (h.tid !== undefined) rec.tid = Number(h.tid);
		if (h.uid !== undefined) rec.uid = /^\d+$/.test(h.uid) ? Number(h.uid) : h.uid;
		rec.level = h.level as LogLevel;
		if (h.tag !== undefined) rec.tag = h.tag.trimEnd();
		return rec;
	}

	private flushLong(): LogRecord {
		const {rec, lines} = this.pending!;
		this.pending = undefined;
		rec.message = lines.join('\n');
		return this.count(rec);
	}

	private count(rec: LogRecord): LogRecord {
		this.stats.records++;
		if (rec.raw) this.stats.raw++;
		return rec;
	}

	private timeOfStamp(t: TimeStamp | undefined): number | undefined {
		return t ? this.epochOf(t) : undefined;
	}

	private epochOf(t: TimeStamp): number | undefined {
		if (t.kind === 'epoch') return t.seconds;
		if (t.kind === 'mono') return this.bootTime === undefined ? undefined : this.bootTime + t.seconds;
		if (!validDate(t)) return undefined;
		let year = t.year;
		if (year === undefined) {
			// Dates without a year: a jump from December back to January is a new year.
			if (this.lastMonth - t.month >= 6) this.year++;
			this.lastMonth = t.month;
			year = this.year;
		}
		const local = Date.UTC(year, t.month - 1, t.day, t.hour, t.minute, t.second) / 1000;
		const offset = t.offset ?? this.zoneOffset(local);
		return local - offset + t.frac;
	}
}

/** Parse one line on its own (no `-v long` bodies, no year rollover): handy for tests and one-offs. */
export function parseLogcatLine(text: string, index = 1, opts: LogcatParserOptions = {}): LogRecord {
	const parser = new LogcatParser(opts);
	return parser.push({text, index})[0] ?? parser.end()[0]!;
}

function matchHeader(s: string): Header | undefined {
	const c = s.charCodeAt(0);
	if (c === 0x5b /* [ */) return matchLongHeader(s);
	if (c === 0x20 || (c >= 0x30 && c <= 0x39)) return matchTimed(s);
	if (s.length < 3 || !/^[VDIWEFSA][/(]/.test(s)) return undefined;
	let m = BRIEF.exec(s);
	if (m) return {format: 'brief', level: m[1]!, tag: m[2]!, uid: m[3], pid: m[4]!, message: m[5]};
	// "I( 1000:  380) msg  (Tag)" is either process with a uid or thread with a message ending in
	// "  (x)": a trailing "  (word)" is read as the process format's tag. The endsWith check first
	// spares other lines the regex's backtracking.
	if (s.endsWith(')')) {
		m = PROCESS.exec(s);
		if (m && !/\s/.test(m[5]!)) return {format: 'process', level: m[1]!, uid: m[2], pid: m[3]!, message: m[4], tag: m[5]!};
	}
	m = THREAD.exec(s);
	if (m) return {format: 'thread', level: m[1]!, uid: m[2], pid: m[3]!, tid: m[4]!, message: m[5]};
	m = TAG.exec(s);
	if (m) return {format: 'tag', level: m[1]!, tag: m[2]!, message: m[3]};
	return undefined;
}

function matchTimed(s: string): Header | undefined {
	const t = matchTime(s);
	if (!t) return undefined;
	const rest = s.slice(t.length);
	let m = THREADTIME_REST.exec(rest);
	if (m) return {format: 'threadtime', time: t.time, uid: m[1], pid: m[2]!, tid: m[3]!, level: m[4]!, tag: m[5]!, message: m[6]};
	m = TIME_REST.exec(rest);
	if (m) return {format: 'time', time: t.time, level: m[1]!, tag: m[2]!, uid: m[3], pid: m[4]!, message: m[5]};
	return undefined;
}

function matchLongHeader(s: string): Header | undefined {
	if (!s.startsWith('[ ') || !s.endsWith(' ]')) return undefined;
	const body = s.slice(2);
	const t = matchTime(body);
	if (!t) return undefined;
	const m = LONG_REST.exec(body.slice(t.length));
	if (!m) return undefined;
	return {format: 'long', time: t.time, uid: m[1], pid: m[2]!, tid: m[3]!, level: m[4]!, tag: m[5]!};
}

function matchTime(s: string): {time: TimeStamp; length: number} | undefined {
	let m = DATE_PREFIX.exec(s);
	if (m) {
		const time: TimeStamp = {
			kind: 'date',
			month: Number(m[2]),
			day: Number(m[3]),
			hour: Number(m[4]),
			minute: Number(m[5]),
			second: Number(m[6]),
			frac: fraction(m[7]!),
		};
		if (m[1] !== undefined) time.year = Number(m[1]);
		if (m[8] !== undefined) time.offset = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10]) * 60);
		return {time, length: m[0].length};
	}
	m = NUMERIC_PREFIX.exec(s);
	if (m) {
		const seconds = Number(m[1]) + fraction(m[2]!);
		return {time: {kind: seconds >= EPOCH_FLOOR ? 'epoch' : 'mono', seconds}, length: m[0].length};
	}
	return undefined;
}

function fraction(digits: string): number {
	return Number(digits) / 10 ** digits.length;
}

function validDate(t: Extract<TimeStamp, {kind: 'date'}>): boolean {
	return t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= 31 && t.hour < 24 && t.minute < 60 && t.second <= 60;
}

function bufferName(name: string): string {
	return name.startsWith('/dev/log/') ? name.slice('/dev/log/'.length) : name;
}

function isHighSurrogate(code: number): boolean {
	return code >= 0xd800 && code <= 0xdbff;
}

function yearAt(now: () => number, zoneOffset: (local: number) => number): number {
	let t = now();
	if (t > 1e11) t /= 1000; // Date.now() gives milliseconds
	return new Date((t + zoneOffset(t)) * 1000).getUTCFullYear();
}

/**
 * Offset (seconds east of UTC) for a local wall-clock time, or undefined when the zone is not
 * understood. Fixed offsets are parsed; IANA names go through Intl, cached per quarter hour.
 */
export function makeZone(zone: string): ((localSeconds: number) => number) | undefined {
	const z = zone.trim();
	if (/^(?:UTC|GMT|Z|Etc\/UTC)$/i.test(z)) return () => 0;
	const fixed = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d\d))?$/i.exec(z);
	if (fixed) {
		const off = (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 3600 + Number(fixed[3] ?? 0) * 60);
		return () => off;
	}
	let fmt: Intl.DateTimeFormat;
	try {
		fmt = new Intl.DateTimeFormat('en-US', {
			timeZone: z,
			hourCycle: 'h23',
			year: 'numeric',
			month: 'numeric',
			day: 'numeric',
			hour: 'numeric',
			minute: 'numeric',
			second: 'numeric',
		});
	} catch {
		return undefined;
	}
	const offsetAtUtc = (utc: number): number => {
		const parts: Record<string, number> = {};
		for (const p of fmt.formatToParts(new Date(utc * 1000))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
		const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) / 1000;
		return wall - Math.floor(utc);
	};
	const cache = new Map<number, number>();
	return (local: number) => {
		const bucket = Math.floor(local / ZONE_BUCKET_SECONDS);
		const hit = cache.get(bucket);
		if (hit !== undefined) return hit;
		if (cache.size >= MAX_ZONE_CACHE) cache.clear();
		// Two passes: guess the instant with the offset at the local time read as UTC, then correct.
		const base = bucket * ZONE_BUCKET_SECONDS;
		const first = offsetAtUtc(base);
		const off = offsetAtUtc(base - first);
		cache.set(bucket, off);
		return off;
	};
}

/** Largest pid/tid Linux hands out is 2^22 (pid_max); anything past a signed 32-bit int is not an id. */
const MAX_ID = 0x7fffffff;
/** Android uids are 32-bit unsigned. */
const MAX_UID = 0xffffffff;

/** Whether the header's numeric ids are numbers an Android log could carry (no float, no overflow). */
function idsInRange(h: Header): boolean {
	const ok = (v: string | undefined, max: number) => v === undefined || (v.length <= 10 && Number(v) <= max);
	if (!ok(h.pid, MAX_ID) || !ok(h.tid, MAX_ID)) return false;
	return h.uid === undefined || !/^\d+$/.test(h.uid) || ok(h.uid, MAX_UID);
}
