/**
 * Short, fixed-width-friendly renderings of numbers and times for table cells.
 * All functions are pure; times are epoch seconds.
 */

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;
const COUNT_UNITS = ['', 'k', 'M', 'G'] as const;

/** Scale by 1000 until under 1000; one decimal below 10 so cells stay at most 6 columns wide. */
function scaled(n: number, units: readonly string[], space: string): string {
	if (!Number.isFinite(n) || n < 0) return '-';
	let value = n;
	let unit = 0;
	while (value >= 999.5 && unit < units.length - 1) {
		value /= 1000;
		unit++;
	}

	if (unit === 0) return `${Math.round(value)}${units[0] ? space + units[0] : ''}`;
	const text = value < 9.95 ? value.toFixed(1) : String(Math.round(value));
	return `${text}${space}${units[unit]}`;
}

/** Bytes in decimal units: "512 B", "1.2 MB", "34 GB". */
export function formatBytes(bytes: number): string {
	return scaled(bytes, BYTE_UNITS, ' ');
}

/** A byte rate: "1.2 MB/s". */
export function formatRate(bytesPerSecond: number): string {
	return `${formatBytes(bytesPerSecond)}/s`;
}

/** A count: "999", "1.2k", "34M". */
export function formatCount(n: number): string {
	return scaled(n, COUNT_UNITS, '');
}

/** A count with thousands separators, for totals: "12,345". */
export function formatInteger(n: number): string {
	if (!Number.isFinite(n)) return '-';
	return Math.round(n).toLocaleString('en-US');
}

/** Age of `ts` relative to `now`, compact: "now", "42s", "5m", "3h", "2d". */
export function formatAge(ts: number | undefined, now: number | undefined): string {
	if (ts === undefined || now === undefined || !Number.isFinite(ts) || !Number.isFinite(now)) return '-';
	const seconds = Math.max(0, now - ts);
	if (seconds < 1) return 'now';
	if (seconds < 60) return `${Math.floor(seconds)}s`;
	if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
	if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
	return `${Math.floor(seconds / 86_400)}d`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * Time of day "HH:MM:SS". `offsetMinutes` east of UTC; omitted means this machine's zone
 * (replays of another device's capture pass the device's offset).
 */
export function formatClock(ts: number | undefined, offsetMinutes?: number): string {
	if (ts === undefined || !Number.isFinite(ts)) return '--:--:--';
	const ms = ts * 1000;
	const offset = offsetMinutes ?? -new Date(ms).getTimezoneOffset();
	const d = new Date(ms + offset * 60_000);
	return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** A duration "M:SS" or "H:MM:SS", for replay positions. */
export function formatDuration(seconds: number | undefined): string {
	if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '-:--';
	const s = Math.floor(seconds);
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	return h > 0 ? `${h}:${pad2(m)}:${pad2(s % 60)}` : `${m}:${pad2(s % 60)}`;
}

/** Replay speed: "x4", "x0.5", "max". */
export function formatSpeed(speed: number | 'max' | undefined): string {
	if (speed === undefined) return '';
	if (speed === 'max') return 'max';
	if (!Number.isFinite(speed)) return '';
	return `x${Number(speed.toFixed(2))}`;
}

/** Two-letter country code in capitals, or "--" when unknown or malformed (no emoji flags: they are not text). */
export function formatCountry(code: string | undefined): string {
	if (!code || !/^[A-Za-z]{2}$/.test(code)) return '--';
	return code.toUpperCase();
}

/** "AS45102" or "" when unknown. */
export function formatAsn(asn: number | undefined): string {
	return asn === undefined || !Number.isInteger(asn) || asn < 0 ? '' : `AS${asn}`;
}

/** A list of indices (or short labels), capped: "#12, #15, #16 (+4 more)". */
export function formatIndexList(indices: ReadonlyArray<number | string>, max: number, prefix = '#'): string {
	if (indices.length === 0) return '-';
	const shown = indices.slice(0, Math.max(1, max)).map(i => `${prefix}${i}`);
	const rest = indices.length - shown.length;
	return rest > 0 ? `${shown.join(', ')} (+${rest} more)` : shown.join(', ');
}

/** The package name of an incognito window stated without one (--incognito, `i` before any browser was seen): the browser in front. */
export const ANY_BROWSER = 'browser';

/** A package as the user reads it: {@link ANY_BROWSER} is not a package but "the browser in front". */
export function browserWords(pkg: string): string {
	return pkg === ANY_BROWSER ? 'the browser in front' : pkg;
}

/**
 * Messages of libraries and the OS that reach the user (a source's state, a failure) said in
 * plain words: the adb client's stream and socket internals, Node's error codes. A message not in
 * the table is kept; one that matches keeps what came after the internal part.
 */
const PLAIN_WORDS: ReadonlyArray<readonly [RegExp, string]> = [
	[/ExactReadable ended|Socket ended without exit message|Connection closed unexpectedly|Socket closed/gi, 'the connection to the phone closed'],
	[/readable of `([^`]*)` has stalled for (\d+) milliseconds/gi, 'no data from $1 for $2 ms'],
	[/\bconnect ECONNREFUSED ([\d.:]+)/gi, 'nothing is listening at $1 (is the adb server running? `adb start-server`)'],
	[/\bECONNREFUSED\b/g, 'connection refused'],
	[/\b(read |write )?ECONNRESET\b/g, 'the connection was cut'],
	[/\b(write )?EPIPE\b/g, 'the connection closed'],
	[/\b(connect )?ETIMEDOUT\b/g, 'no answer (timed out)'],
	[/\bEHOSTUNREACH\b/g, 'host unreachable'],
	[/\bThe operation was aborted\b|\bAbortError\b/g, 'stopped'],
	[/No transport id for device (\S+)/g, 'device $1 is not attached'],
	[/TaskQueue is disposed|The AutoResetEvent has been disposed/g, 'the connection was closed'],
	[/\bEACCES\b/g, 'permission denied'],
	[/\bENOSPC\b/g, 'disk full'],
	[/\bEFBIG\b/g, 'file size limit reached'],
	[/\bEDQUOT\b/g, 'disk quota exceeded'],
	[/\bENOENT\b/g, 'no such file or folder'],
];

/** A source's state as the user reads it ("eof" is a programmer's word). */
const STATE_WORDS: Readonly<Record<string, string>> = {starting: 'starting', live: 'live', stalled: 'stalled', down: 'down', eof: 'ended'};

/** The word for a source state. */
export function stateWord(state: string): string {
	return STATE_WORDS[state] ?? state;
}

/** A library's or the OS's message in plain words (see PLAIN_WORDS). */
export function plainWords(message: string): string {
	let out = message;
	for (const [pattern, words] of PLAIN_WORDS) out = out.replace(pattern, words);
	return out;
}
