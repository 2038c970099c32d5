/**
 * Android facts from logcat records: activity starts and draws, process starts and deaths,
 * datatransport upload URLs, and incognito signals written by tattle's own probe or the user's
 * marker. Line shapes come from AOSP (ActivityStarter, ActivityMetricsLogger, ProcessList,
 * event-log tags 30014/30011) and real captures; see research/xiaomi.md section 4. Pure.
 */
import type {AndroidFact, IncognitoSignal, LogRecord} from '../types.js';

/**
 * Processes remembered by ProcessTable. A phone runs a few hundred processes at once and starts a
 * few thousand in a day; 4096 keeps every live one while bounding memory against a hostile log.
 * The oldest entry goes first.
 */
export const MAX_PROCESSES = 4096;

/** Packages whose uid ProcessTable remembers; a phone has a few hundred packages installed. */
const MAX_PACKAGES = 4096;

/** Longest URL taken from an upload line; longer ones are still reported, cut (a log entry is at most 4 KiB anyway). */
const MAX_FACT_URL_CHARS = 2048;

const AM_TAGS = new Set(['ActivityTaskManager', 'ActivityManager']);
const PROBE_TAGS = new Map([
	['tattle.probe', 'probe'],
	['tattle.marker', 'marker'],
]);

const START = /^START u(\d+) \{/;
// '=' is excluded from the package so a scan stops at the next key (no quadratic backtracking on junk).
const CMP = /\bcmp=([^\s/{}=]+)\/([^\s{}]+)/;
const PKG = /\bpkg=([^\s{}]+)/;
const FROM_UID = /\bfrom uid (\d+)/g;
const DISPLAYED = /^Displayed ([^\s/]+)\/([^\s:]+)(?: for user \d+)?: \+((?:\d+(?:ms|[dhms]))+)/;
const DURATION_PART = /(\d+)(ms|d|h|m|s)/g;
// Android 5+: "Start proc 12455:com.pkg:remote/u0a85 for next-top-activity {com.pkg/.Main}"
const START_PROC = /^Start proc (\d+):([^/\s]+)\/(\S+)(?: \[[^\]]*\])? for ?(.*)$/;
// Android 4: "Start proc com.pkg:main for service com.pkg/.Svc: pid=32676 uid=10037 gids={...}"
const START_PROC_OLD = /^Start proc (\S+) for (.+?) \S+: pid=(\d+) uid=(\d+)/;
const TWO_WORD_HOSTING = /^(content provider|added application)\b/;
const DIED = /^Process (\S+) \(pid (\d+)\) has died/;
const KILLING = /^Killing (\d+):([^/\s]+)\/(\S+) \(adj /;
const UPLOAD = /^Making request to: (\S+)/;
const INCOGNITO = /^(incognito-on|incognito-off)\s+pkg=(\S+)\s*(.*)$/;
// The probe names its signal (decode/dumpsys.ts probeMessage); lines without one came from the
// notification probe, the only one before the window probe.
const PROBE_SOURCE = /(?:^|\s)source=secure-window(?:\s|$)/;

/** The Android fact a record states, or undefined (most records state none). */
export function androidFact(rec: LogRecord): AndroidFact | undefined {
	const tag = rec.tag;
	const msg = rec.message;
	if (tag === undefined || AM_TAGS.has(tag)) {
		const fact = activityManagerFact(msg);
		if (fact || tag !== undefined) return fact;
	}
	if (tag === 'am_proc_start') return amProcStart(msg);
	if (tag === 'am_proc_died') return amProcDied(msg);
	if (tag === undefined) {
		// Raw event-log lines ("am_proc_start: [...]") from a format without tags.
		if (msg.startsWith('am_proc_start: ')) return amProcStart(msg.slice(15));
		if (msg.startsWith('am_proc_died: ')) return amProcDied(msg.slice(14));
	}
	if (tag !== undefined && tag.endsWith('CctTransportBackend')) {
		const m = UPLOAD.exec(msg);
		if (m && /^https?:\/\//i.test(m[1]!)) return {kind: 'upload-url', url: m[1]!.slice(0, MAX_FACT_URL_CHARS)};
		return undefined;
	}
	const source = tag === undefined ? undefined : PROBE_TAGS.get(tag);
	if (source) {
		const m = INCOGNITO.exec(msg.trim());
		if (!m) return undefined;
		const rest = m[3]!.trim();
		const signal: IncognitoSignal = source === 'marker' ? 'marker' : PROBE_SOURCE.test(rest) ? 'secure-window' : 'notification';
		return {kind: m[1] as 'incognito-on' | 'incognito-off', pkg: m[2]!, detail: rest ? `${source}: ${rest}` : source, signal};
	}
	return undefined;
}

function activityManagerFact(msg: string): AndroidFact | undefined {
	switch (msg.charCodeAt(0)) {
		case 0x53 /* S */:
			return msg.startsWith('START ') ? activityStart(msg) : msg.startsWith('Start proc ') ? procStart(msg) : undefined;
		case 0x44 /* D */:
			return msg.startsWith('Displayed ') ? displayed(msg) : undefined;
		case 0x50 /* P */:
			return processDied(msg);
		case 0x4b /* K */:
			return killing(msg);
		default:
			return undefined;
	}
}

function activityStart(msg: string): AndroidFact | undefined {
	const start = START.exec(msg);
	if (!start) return undefined;
	const fact: Extract<AndroidFact, {kind: 'activity-start'}> = {kind: 'activity-start', pkg: '', user: Number(start[1])};
	const cmp = CMP.exec(msg);
	if (cmp) {
		fact.pkg = cmp[1]!;
		fact.activity = fullActivity(cmp[1]!, cmp[2]!);
	} else {
		const pkg = PKG.exec(msg);
		if (!pkg) return undefined;
		fact.pkg = pkg[1]!;
	}
	// The caller's uid follows the intent; take the last "from uid" in case the intent text has one.
	let caller: string | undefined;
	for (const m of msg.matchAll(FROM_UID)) caller = m[1];
	if (caller !== undefined) fact.callerUid = Number(caller);
	return fact;
}

function displayed(msg: string): AndroidFact | undefined {
	const m = DISPLAYED.exec(msg);
	if (!m) return undefined;
	return {kind: 'activity-displayed', pkg: m[1]!, activity: fullActivity(m[1]!, m[2]!), ms: durationMs(m[3]!)};
}

function procStart(msg: string): AndroidFact | undefined {
	let m = START_PROC.exec(msg);
	if (m) {
		const fact: Extract<AndroidFact, {kind: 'proc-start'}> = {kind: 'proc-start', pid: Number(m[1]), process: m[2]!, pkg: pkgOf(m[2]!), uid: parseAndroidUid(m[3]!)};
		const hosting = m[4]!.trim();
		if (hosting) fact.hostingType = TWO_WORD_HOSTING.exec(hosting)?.[1] ?? hosting.split(' ')[0]!;
		return fact;
	}
	m = START_PROC_OLD.exec(msg);
	if (m) return {kind: 'proc-start', pid: Number(m[3]), process: m[1]!, pkg: pkgOf(m[1]!), uid: Number(m[4]), hostingType: m[2]!};
	return undefined;
}

function processDied(msg: string): AndroidFact | undefined {
	const m = DIED.exec(msg);
	return m ? {kind: 'proc-died', pid: Number(m[2]), process: m[1]!, pkg: pkgOf(m[1]!)} : undefined;
}

function killing(msg: string): AndroidFact | undefined {
	const m = KILLING.exec(msg);
	return m ? {kind: 'proc-died', pid: Number(m[1]), process: m[2]!, pkg: pkgOf(m[2]!)} : undefined;
}

/** Event tag 30014: [user,pid,uid,process,type,component] (no user field before Android 4.2). */
function amProcStart(body: string): AndroidFact | undefined {
	const f = eventFields(body);
	if (!f) return undefined;
	const off = f.length >= 6 ? 1 : 0;
	if (f.length < 4 + off) return undefined;
	const pid = f[off]!;
	const uid = f[off + 1]!;
	const process = f[off + 2]!;
	if (!/^\d+$/.test(pid) || !/^\d+$/.test(uid) || !process) return undefined;
	const fact: Extract<AndroidFact, {kind: 'proc-start'}> = {kind: 'proc-start', pid: Number(pid), process, pkg: pkgOf(process), uid: Number(uid)};
	if (f[off + 3]) fact.hostingType = f[off + 3]!;
	return fact;
}

/** Event tag 30011: [user,pid,process,...] (older: [pid,process]): the name is the first non-number. */
function amProcDied(body: string): AndroidFact | undefined {
	const f = eventFields(body);
	if (!f) return undefined;
	const at = f.findIndex((x) => !/^-?\d+$/.test(x));
	if (at < 1) return undefined;
	const process = f[at]!;
	return {kind: 'proc-died', pid: Number(f[at - 1]), process, pkg: pkgOf(process)};
}

/** Fields of an event-log list "[a,b,{c,d}]"; a trailing {component} may hold commas. */
function eventFields(body: string): string[] | undefined {
	const s = body.trim();
	if (!s.startsWith('[') || !s.endsWith(']')) return undefined;
	const inner = s.slice(1, -1);
	const brace = inner.indexOf(',{');
	const head = brace < 0 ? inner : inner.slice(0, brace);
	const fields = head.split(',');
	if (brace >= 0) fields.push(inner.slice(brace + 1));
	return fields;
}

/** "com.pkg:remote" -> "com.pkg": a process name is its package plus an optional ":suffix". */
export function pkgOf(process: string): string {
	const colon = process.indexOf(':');
	return colon < 0 ? process : process.slice(0, colon);
}

/** ".Main" is short for "PKG.Main" (ComponentName.flattenToShortString). */
function fullActivity(pkg: string, activity: string): string {
	return activity.startsWith('.') ? pkg + activity : activity;
}

function durationMs(text: string): number {
	const unit: Record<string, number> = {d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1};
	let ms = 0;
	for (const m of text.matchAll(DURATION_PART)) ms += Number(m[1]) * unit[m[2]!]!;
	return ms;
}

/**
 * Android uid from its printed forms: "10085", "u0a85" (ActivityManager), "u0_a85" (ps),
 * "u10i5" (isolated). Unknown shapes are returned as the string.
 */
export function parseAndroidUid(text: string): number | string {
	if (/^\d{1,10}$/.test(text)) return Number(text);
	const m = /^u(\d{1,4})_?([ai])(\d{1,5})$/.exec(text);
	if (!m) return text;
	// UserHandle: uid = user * 100000 + appId; apps start at 10000, isolated processes at 99000.
	return Number(m[1]) * 100_000 + (m[2] === 'a' ? 10_000 : 99_000) + Number(m[3]);
}

type ProcessInfo = {pid: number; pkg: string; process?: string; uid?: number | string; since?: number};
type Foreground = {pkg: string; activity?: string; ts?: number};

/** What runs where: pid -> app, package -> uid, and the app last brought to the front. */
export class ProcessTable {
	private readonly byPid = new Map<number, ProcessInfo>();
	private readonly uids = new Map<string, number | string>();
	private fg?: Foreground;

	/** Apply one fact (ts: when it was logged, epoch seconds). */
	observe(fact: AndroidFact, ts?: number): void {
		switch (fact.kind) {
			case 'proc-start': {
				const info: ProcessInfo = {pid: fact.pid, pkg: fact.pkg, process: fact.process};
				if (fact.uid !== undefined) info.uid = fact.uid;
				if (ts !== undefined) info.since = ts;
				// Re-insert so Map order stays oldest-first for eviction.
				this.byPid.delete(fact.pid);
				this.byPid.set(fact.pid, info);
				if (this.byPid.size > MAX_PROCESSES) this.byPid.delete(this.byPid.keys().next().value!);
				// Isolated and shared processes carry uids that are not the package's own.
				if (fact.uid !== undefined && fact.process === fact.pkg) this.rememberUid(fact.pkg, fact.uid);
				else if (fact.uid !== undefined && !this.uids.has(fact.pkg) && !isIsolated(fact.uid)) this.rememberUid(fact.pkg, fact.uid);
				break;
			}
			case 'proc-died': {
				if (fact.pid === undefined) break;
				const known = this.byPid.get(fact.pid);
				// A pid is reused; drop it only if the dead process is the one we know (or its name is unknown).
				if (known && (!fact.process || !known.process || known.process === fact.process)) this.byPid.delete(fact.pid);
				break;
			}
			case 'activity-start':
			case 'activity-displayed': {
				const fg: Foreground = {pkg: fact.pkg};
				if (fact.activity !== undefined) fg.activity = fact.activity;
				if (ts !== undefined) fg.ts = ts;
				this.fg = fg;
				break;
			}
			default:
				break;
		}
	}

	/** The app a pid belongs to, when its start was seen. */
	appOf(pid: number): ProcessInfo | undefined {
		return this.byPid.get(pid);
	}

	/** The uid of a package, when one of its process starts was seen. */
	uidOf(pkg: string): number | string | undefined {
		return this.uids.get(pkg);
	}

	/** The package last started or drawn on screen. */
	get foreground(): Foreground | undefined {
		return this.fg;
	}

	/** Processes currently known. */
	get size(): number {
		return this.byPid.size;
	}

	private rememberUid(pkg: string, uid: number | string): void {
		this.uids.delete(pkg);
		this.uids.set(pkg, uid);
		if (this.uids.size > MAX_PACKAGES) this.uids.delete(this.uids.keys().next().value!);
	}
}

function isIsolated(uid: number | string): boolean {
	if (typeof uid !== 'number') return false;
	const appId = uid % 100_000;
	return appId >= 90_000 && appId < 100_000;
}
