/**
 * The simulator's logcat: a recorded log file turned into timed lines, and the time prefix
 * rewritten the way `logcat -v` would print it (liblog logprint.cpp android_log_formatLogLine).
 * Only the time prefix is rewritten; the rest of each line is served as recorded.
 */

/** An instant with nanosecond precision: floats lose the digits logcat prints with `-v nsec`. */
export type SimTime = {sec: number; nsec: number};

export type SimLogLine = {
	/** Time the line was logged (UTC); lines with no time prefix inherit the previous line's. */
	time: SimTime;
	/** Everything after the recorded time prefix (or the whole line when it had none). */
	rest: string;
	/** False for lines like `--------- beginning of main`, served verbatim. */
	timed: boolean;
};

type LogTimeFormat = {
	epoch: boolean;
	year: boolean;
	zone: boolean;
	usec: boolean;
	nsec: boolean;
	/** Time zone for local times (`-v UTC` or the phone's persist.sys.timezone). */
	timeZone: string;
};

/** What a `logcat` command line asks for (the options the simulator honours). */
type LogcatRequest = {
	format: LogTimeFormat;
	/** `-d` or `-t`: dump the buffer and exit. */
	dump: boolean;
	/** `-c`: clear, print nothing. */
	clear: boolean;
	/** `-T`/`-t` with a time: lines at or after it. */
	since?: SimTime;
	/** `-T`/`-t` with a count: the last N lines of the buffer. */
	tail?: number;
	/** Option letters logcat would reject, reported as an error line. */
	invalid?: string;
};

/** Longest line kept from a log file: logcat's LOGGER_ENTRY_MAX_LEN is 5 KiB, plus a prefix. */
const MAX_LINE_CHARS = 8 * 1024;

const EPOCH_RE = /^\s*(\d{1,12})\.(\d{1,9})(?= )/;
const LOCAL_RE = /^(?:(\d{4})-)?(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{1,9})(?: ([+-])(\d\d)(\d\d))?(?= )/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
	let f = formatters.get(timeZone);
	if (!f) {
		f = new Intl.DateTimeFormat('en-US', {
			timeZone,
			hourCycle: 'h23',
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			second: '2-digit',
		});
		formatters.set(timeZone, f);
	}
	return f;
}

type Civil = {year: number; month: number; day: number; hour: number; minute: number; second: number};

function civilIn(timeZone: string, sec: number): Civil {
	const parts: Record<string, number> = {};
	for (const p of zoneFormatter(timeZone).formatToParts(sec * 1000)) {
		if (p.type !== 'literal') parts[p.type] = Number(p.value);
	}
	return {year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second!};
}

/** Offset of a zone from UTC at an instant, in seconds (positive east of Greenwich). */
export function zoneOffsetSec(timeZone: string, sec: number): number {
	try {
		const c = civilIn(timeZone, Math.floor(sec));
		return Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute, c.second) / 1000 - Math.floor(sec);
	} catch {
		return 0;
	}
}

function fraction(digits: string): number {
	return Number(digits.padEnd(9, '0').slice(0, 9));
}

/** Reads the time prefix of a logcat line in any threadtime-family format. */
export function parseTimePrefix(
	line: string,
	fallbackYear: number,
	timeZone: string,
): {time: SimTime; length: number} | undefined {
	const e = EPOCH_RE.exec(line);
	if (e) return {time: {sec: Number(e[1]), nsec: fraction(e[2]!)}, length: e[0].length};
	const m = LOCAL_RE.exec(line);
	if (!m) return undefined;
	const year = m[1] ? Number(m[1]) : fallbackYear;
	const civil = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
	let offset: number;
	if (m[8]) offset = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10]) * 60);
	else offset = zoneOffsetSec(timeZone, civil - zoneOffsetSec(timeZone, civil));
	return {time: {sec: civil - offset, nsec: fraction(m[7]!)}, length: m[0].length};
}

/** Splits a recorded log file into timed lines (bounded line length, never throws). */
export function parseLogFile(text: string, fallbackYear: number, timeZone: string): SimLogLine[] {
	const lines: SimLogLine[] = [];
	let last: SimTime | undefined;
	const raw = text.split('\n');
	if (raw.at(-1) === '') raw.pop();
	for (let line of raw) {
		if (line.endsWith('\r')) line = line.slice(0, -1);
		if (line.length > MAX_LINE_CHARS) line = line.slice(0, MAX_LINE_CHARS);
		const p = parseTimePrefix(line, fallbackYear, timeZone);
		if (p) {
			last = p.time;
			lines.push({time: p.time, rest: line.slice(p.length), timed: true});
		} else {
			lines.push({time: last ?? {sec: 0, nsec: 0}, rest: line, timed: false});
		}
	}
	// Untimed lines before the first timed one take its time, so they are served first.
	const first = lines.find((l) => l.timed);
	if (first) for (const l of lines) if (!l.timed && l.time.sec === 0 && l.time.nsec === 0) l.time = first.time;
	return lines;
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** Formats an instant as `logcat -v` prints it (epoch is `%19lld` right-aligned). */
export function formatLogTime(t: SimTime, f: LogTimeFormat): string {
	const frac = f.nsec ? pad(t.nsec, 9) : f.usec ? pad(Math.floor(t.nsec / 1000), 6) : pad(Math.floor(t.nsec / 1e6), 3);
	if (f.epoch) return `${String(t.sec).padStart(19, ' ')}.${frac}`;
	const offset = zoneOffsetSec(f.timeZone, t.sec);
	const c = new Date((t.sec + offset) * 1000);
	const date = `${pad(c.getUTCMonth() + 1, 2)}-${pad(c.getUTCDate(), 2)}`;
	const clock = `${pad(c.getUTCHours(), 2)}:${pad(c.getUTCMinutes(), 2)}:${pad(c.getUTCSeconds(), 2)}`;
	let s = `${f.year ? `${c.getUTCFullYear()}-` : ''}${date} ${clock}.${frac}`;
	if (f.zone) {
		const a = Math.abs(offset);
		s += ` ${offset < 0 ? '-' : '+'}${pad(Math.floor(a / 3600), 2)}${pad(Math.floor((a % 3600) / 60), 2)}`;
	}
	return s;
}

/** One served line (with its newline) in the requested format. */
export function renderLogLine(line: SimLogLine, f: LogTimeFormat): string {
	return line.timed ? `${formatLogTime(line.time, f)}${line.rest}\n` : `${line.rest}\n`;
}

/** Orders two instants. */
function compareTime(a: SimTime, b: SimTime): number {
	return a.sec - b.sec || a.nsec - b.nsec;
}

/** Adds seconds (may be fractional or negative) to an instant. */
export function addSeconds(t: SimTime, seconds: number): SimTime {
	const whole = Math.floor(seconds);
	let nsec = t.nsec + Math.round((seconds - whole) * 1e9);
	let sec = t.sec + whole;
	if (nsec >= 1e9) {
		nsec -= 1e9;
		sec += 1;
	}
	return {sec, nsec};
}

const FORMAT_WORDS = new Set([
	'brief', 'long', 'process', 'raw', 'tag', 'thread', 'threadtime', 'time',
	'color', 'descriptive', 'epoch', 'monotonic', 'printable', 'uid', 'usec', 'nsec', 'UTC', 'year', 'zone',
]);

/** Long options that take a separate value (`--pid 42`); `--pid=42` needs no special case. */
const OPTIONS_WITH_VALUE = new Set(['--pid', '--uid', '--regex', '--max-count', '--buffer', '--file', '--format']);

/** Parses the arguments of a `logcat` command (after the word `logcat`). */
export function parseLogcatArgs(args: string[], phoneTimeZone: string, fallbackYear: number): LogcatRequest {
	const format: LogTimeFormat = {epoch: false, year: false, zone: false, usec: false, nsec: false, timeZone: phoneTimeZone};
	const req: LogcatRequest = {format, dump: false, clear: false};
	const timeOrCount = (v: string): void => {
		if (/^\d+$/.test(v)) req.tail = Number(v);
		else {
			const p = parseTimePrefix(`${v} `, fallbackYear, format.timeZone);
			if (p) req.since = p.time;
			else req.invalid = `-T ${v}`;
		}
	};
	for (let i = 0; i < args.length; i++) {
		const a = args[i]!;
		const value = (): string => {
			if (a.length > 2 && !a.startsWith('--')) return a.slice(2);
			i++;
			return args[i] ?? '';
		};
		if (a.startsWith('-v')) {
			for (const word of value().split(/[,:; \t]+/).filter(Boolean)) {
				if (word === 'UTC') {
					format.timeZone = 'UTC';
					format.zone = !format.zone;
				} else if (word === 'zone') format.zone = !format.zone;
				else if (word === 'epoch' || word === 'year' || word === 'usec' || word === 'nsec') format[word] = true;
				else if (!FORMAT_WORDS.has(word)) req.invalid = `-v ${word}`;
			}
		} else if (a === '-d') req.dump = true;
		else if (a === '-c') req.clear = true;
		else if (a.startsWith('-t')) {
			req.dump = true;
			timeOrCount(value());
		} else if (a.startsWith('-T')) timeOrCount(value());
		else if (/^-[befmnrGp]/.test(a) || OPTIONS_WITH_VALUE.has(a)) value();
	}
	return req;
}

/**
 * Which lines of the buffer a request gets at once: the lines already logged (`available`),
 * filtered by `-T`/`-t`.
 */
export function selectBacklog(available: SimLogLine[], req: LogcatRequest): SimLogLine[] {
	let out = available;
	// Untimed lines are `--------- beginning of X` banners: logcat prints them on every run.
	if (req.since) out = out.filter((l) => !l.timed || compareTime(l.time, req.since!) >= 0);
	if (req.tail !== undefined) out = req.tail === 0 ? [] : out.slice(-req.tail);
	return out;
}
