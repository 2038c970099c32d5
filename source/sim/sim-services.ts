/**
 * The simulator's services: what a fake phone answers to `shell:`/`exec:` commands
 * (getprop, echo, date, logcat, tcpdump, dumpsys notification and window), paced on a shared timeline.
 *
 * Over 300 lines because each service is a few lines of answer and they share one timeline.
 */
import {setTimeout as sleepTimer} from 'node:timers/promises';
import {splitSegments, splitShellWords, unwrapSu, type Privilege} from './sim-shell.js';
import {
	addSeconds,
	parseLogcatArgs,
	renderLogLine,
	selectBacklog,
	type SimLogLine,
	type SimTime,
} from './sim-logcat.js';
import {shiftRecord, type SimCapture} from './sim-pcap.js';
import {renderDumpsysWindow, windowShapeFor, type SimWindow} from './sim-window.js';

/** One open stream as a service sees it. */
export type SimStreamIO = {
	/** Sends bytes, waiting for the host's OKAY per message; false once the stream is closed. */
	write(data: Uint8Array | string): Promise<boolean>;
	/** Aborted when the stream or its connection closes. */
	signal: AbortSignal;
};

/** How the phone may run tcpdump: adbd as root (userdebug, `adb root`), via su, or not at all. */
export type SimRootMode = 'adbd' | 'su' | 'none';

export type SimServiceConfig = {
	props: Record<string, string>;
	logLines: SimLogLine[];
	capture?: SimCapture;
	/** Playback speed: 1 = real time, 'max' = as fast as the host reads. */
	speed: number | 'max';
	/** Phone clock minus host clock, seconds. */
	clockOffsetSec: number;
	/** Move recorded times so the first record happens when the timeline starts. */
	rebase: boolean;
	root: SimRootMode;
	/** False: the phone has no tcpdump binary (most user builds). */
	tcpdump: boolean;
	/** The window in front for `dumpsys window` (the launcher when unset); tests change it over time. */
	window?: SimWindow;
	/** Times the capture is served back to back (default 1). */
	captureLaps?: number;
	/** Milliseconds each capture record is sent after its due time (default 0). */
	captureLagMs?: number;
	/** Counts of capture records written (`sent`) and taken by adb (`acked`). */
	served?: {sent: number; acked: number};
	/** Set: tcpdump's next write stops halfway into its last record, then this unplugs the phone. */
	tearNextWrite?: () => void;
};

/** Groups records due within this window into one write: fewer WRTEs, invisible in pacing. */
const BATCH_WINDOW_MS = 10;

/** Sleeps until `ms` from now; false when aborted first. */
async function sleepUntil(atMs: number, signal: AbortSignal): Promise<boolean> {
	const wait = atMs - Date.now();
	if (signal.aborted) return false;
	if (wait <= 0) return true;
	try {
		await sleepTimer(wait, undefined, {signal});
		return true;
	} catch {
		return false;
	}
}

/** Waits until the stream closes (logcat and tcpdump follow forever once the data runs out). */
function untilClosed(signal: AbortSignal): Promise<void> {
	return signal.aborted ? Promise.resolve() : new Promise((r) => signal.addEventListener('abort', () => r(), {once: true}));
}

const NOT_FOUND = (cmd: string): string => `/system/bin/sh: ${cmd}: inaccessible or not found\n`;

/** The shared playback clock: starts at the first logcat or tcpdump request. */
export class SimTimeline {
	private t0Ms: number | undefined;
	private shift = 0;
	private capturesServed = 0;
	readonly bundleStart: number | undefined;

	constructor(private readonly cfg: SimServiceConfig) {
		const starts: number[] = [];
		const firstLog = cfg.logLines.find((l) => l.timed);
		if (firstLog) starts.push(firstLog.time.sec + firstLog.time.nsec / 1e9);
		const firstRec = cfg.capture?.records[0];
		if (firstRec) starts.push(firstRec.ts);
		this.bundleStart = starts.length ? Math.min(...starts) : undefined;
	}

	/** Starts the clock once; later calls keep the first start. */
	start(): void {
		if (this.t0Ms !== undefined) return;
		this.t0Ms = Date.now();
		if (this.cfg.rebase && this.bundleStart !== undefined) {
			this.shift = this.t0Ms / 1000 + this.cfg.clockOffsetSec - this.bundleStart;
		}
	}

	/** Seconds added to every recorded time before it is shown. */
	get shiftSec(): number {
		return this.shift;
	}

	/** Host time (ms) at which a record stamped `ts` happens. */
	dueMs(ts: number): number {
		const t0 = this.t0Ms ?? Date.now();
		if (this.cfg.speed === 'max' || this.bundleStart === undefined) return t0;
		return t0 + ((ts - this.bundleStart) * 1000) / this.cfg.speed;
	}

	/** Phone clock now, epoch seconds. */
	phoneNow(): number {
		return Date.now() / 1000 + this.cfg.clockOffsetSec;
	}

	/** True for the first tcpdump since start: it sees the capture from its first record. */
	takeFirstCapture(): boolean {
		return this.capturesServed++ === 0;
	}
}

/** Exit status of a command the shell could not find. */
const EXIT_NOT_FOUND = 127;
/** Nesting bound for `su -c 'su -c ...'`: a real shell would recurse, we refuse past this. */
const MAX_SU_DEPTH = 4;

/**
 * Answers one shell command line (`a 2>/dev/null || echo $?` and friends); resolves with the
 * exit status when the command "exits".
 */
export async function runCommand(
	command: string,
	io: SimStreamIO,
	cfg: SimServiceConfig,
	timeline: SimTimeline,
	privilege: Privilege = cfg.root === 'adbd' ? 'root' : 'shell',
	depth = 0,
): Promise<number> {
	let status = 0;
	for (const seg of splitSegments(splitShellWords(command))) {
		if (io.signal.aborted) return status;
		if ((seg.op === '||' && status === 0) || (seg.op === '&&' && status !== 0)) continue;
		const err = (text: string): Promise<boolean> => (seg.quietErrors ? Promise.resolve(true) : io.write(text));
		status = await runSimple(seg.argv, {io, err, cfg, timeline, privilege, depth, lastStatus: status});
	}
	return status;
}

type RunContext = {
	io: SimStreamIO;
	err: (text: string) => Promise<boolean>;
	cfg: SimServiceConfig;
	timeline: SimTimeline;
	privilege: Privilege;
	depth: number;
	lastStatus: number;
};

async function runSimple(argv: string[], ctx: RunContext): Promise<number> {
	const {io, cfg, timeline} = ctx;
	const su = unwrapSu(argv);
	if (su) {
		if (cfg.root === 'none' || ctx.depth >= MAX_SU_DEPTH) {
			await ctx.err(NOT_FOUND('su'));
			return EXIT_NOT_FOUND;
		}
		if ('command' in su) return runCommand(su.command, io, cfg, timeline, 'root', ctx.depth + 1);
		return runSimple(su.argv, {...ctx, privilege: 'root', depth: ctx.depth + 1});
	}
	const [cmd, ...args] = argv;
	switch (cmd) {
		case undefined:
		case 'true':
		case 'exit':
			return 0;
		case 'getprop':
			await io.write(getprop(cfg.props, args[0]));
			return 0;
		case 'echo':
			await io.write(`${args.join(' ').replaceAll('$?', String(ctx.lastStatus))}\n`);
			return 0;
		case 'date':
			await io.write(`${formatDate(timeline.phoneNow(), args[0])}\n`);
			return 0;
		case 'id':
			await io.write(ctx.privilege === 'root' ? 'uid=0(root) gid=0(root) groups=0(root)\n' : 'uid=2000(shell) gid=2000(shell)\n');
			return 0;
		case 'dumpsys':
			if (args[0] === 'notification') await io.write(CANNED_NOTIFICATIONS);
			else if (args[0] === 'window') await io.write(renderDumpsysWindow(cfg.window, windowShapeFor(cfg.props['ro.build.version.sdk']), args[1]));
			return 0;
		case 'logcat':
			return serveLogcat(args, ctx);
		case 'tcpdump':
			return serveTcpdump(ctx);
		default:
			await ctx.err(NOT_FOUND(cmd));
			return EXIT_NOT_FOUND;
	}
}

function getprop(props: Record<string, string>, key: string | undefined): string {
	if (key !== undefined) return `${props[key] ?? ''}\n`;
	return Object.keys(props)
		.sort()
		.map((k) => `[${k}]: [${props[k]}]\n`)
		.join('');
}

/** `date` for the formats tattle uses: `+%s.%N`, `+%s`; anything else prints the UTC date. */
function formatDate(now: number, format: string | undefined): string {
	const sec = Math.floor(now);
	const nsec = String(Math.round((now - sec) * 1e9)).padStart(9, '0').slice(0, 9);
	if (format?.startsWith('+')) return format.slice(1).replaceAll('%s', String(sec)).replaceAll('%N', nsec);
	return new Date(sec * 1000).toUTCString();
}

/** Seconds of a SimTime as a float (for scheduling; precision loss is irrelevant there). */
const seconds = (t: SimTime): number => t.sec + t.nsec / 1e9;

async function serveLogcat(args: string[], {io, err, cfg, timeline}: RunContext): Promise<number> {
	const tz = cfg.props['persist.sys.timezone'] || 'UTC';
	const req = parseLogcatArgs(args, tz, new Date().getUTCFullYear());
	if (req.invalid) {
		await err(`logcat: Invalid parameter "${req.invalid}"\n`);
		return 1;
	}
	if (req.clear) return 0;
	timeline.start();
	const shown = cfg.logLines.map((l) => ({...l, time: addSeconds(l.time, timeline.shiftSec)}));
	const due = cfg.logLines.map((l) => timeline.dueMs(seconds(l.time)));
	const now = Date.now();
	let next = due.findIndex((d) => d > now);
	if (next < 0) next = shown.length;
	const backlog = selectBacklog(shown.slice(0, next), req);
	if (backlog.length && !(await io.write(backlog.map((l) => renderLogLine(l, req.format)).join('')))) return 0;
	if (req.dump) return 0;
	while (next < shown.length) {
		if (!(await sleepUntil(due[next]!, io.signal))) return 0;
		const batchEnd = Date.now() + BATCH_WINDOW_MS;
		let text = '';
		while (next < shown.length && due[next]! <= batchEnd) {
			const line = shown[next++]!;
			if (!req.since || seconds(line.time) >= seconds(req.since)) text += renderLogLine(line, req.format);
		}
		if (text && !(await io.write(text))) return 0;
	}
	await untilClosed(io.signal);
	return 0;
}

const PERMISSION_DENIED =
	'tcpdump: any: You don\'t have permission to perform this capture on that device\n(socket: Operation not permitted)\n';

async function serveTcpdump({io, err, cfg, timeline, privilege}: RunContext): Promise<number> {
	if (!cfg.tcpdump) {
		await err(NOT_FOUND('tcpdump'));
		return EXIT_NOT_FOUND;
	}
	if (privilege !== 'root') {
		await err(PERMISSION_DENIED);
		return 1;
	}
	const cap = cfg.capture;
	if (!cap) {
		await untilClosed(io.signal);
		return 0;
	}
	timeline.start();
	const first = timeline.takeFirstCapture();
	if (!(await io.write(cap.header))) return 0;
	if (cap.format !== 'pcap') {
		await untilClosed(io.signal);
		return 0;
	}
	const openedAt = Date.now();
	const recs = cap.records;
	// Each lap is later by the capture's span plus one mean record gap, so laps do not overlap.
	const span = recs.length > 1 ? (recs.at(-1)!.ts - recs[0]!.ts) * (1 + 1 / (recs.length - 1)) : 0;
	for (let lap = 0; lap < (cfg.captureLaps ?? 1); lap++) {
		const lapSec = lap * span;
		const due = (k: number) => timeline.dueMs(recs[k]!.ts + lapSec);
		// The lag delays sending only: the records keep their times, so the log runs ahead of them.
		const sendAt = (k: number) => due(k) + (cfg.captureLagMs ?? 0);
		// A tcpdump started after the first sees only what happens from now on, as on a phone.
		let i = first ? 0 : recs.findIndex((_, k) => due(k) >= openedAt);
		if (i < 0) continue;
		while (i < recs.length) {
			if (!(await sleepUntil(sendAt(i), io.signal))) return 0;
			const batchEnd = Date.now() + BATCH_WINDOW_MS;
			const parts: Uint8Array[] = [];
			while (i < recs.length && sendAt(i) <= batchEnd) parts.push(shiftRecord(recs[i++]!, cap, timeline.shiftSec + lapSec));
			const tear = cfg.tearNextWrite;
			if (tear) {
				// The cable comes out while adb is mid-record: the whole records before it and half of it.
				cfg.tearNextWrite = undefined;
				const whole = Buffer.concat(parts.slice(0, -1));
				const half = parts.at(-1)!.subarray(0, Math.ceil(parts.at(-1)!.length / 2));
				if (cfg.served) cfg.served.sent += parts.length - 1;
				if (await io.write(Buffer.concat([whole, half]))) if (cfg.served) cfg.served.acked += parts.length - 1;
				tear();
				return 0;
			}
			if (cfg.served) cfg.served.sent += parts.length;
			if (!(await io.write(Buffer.concat(parts)))) return 0;
			if (cfg.served) cfg.served.acked += parts.length;
		}
	}
	await untilClosed(io.signal);
	return 0;
}

const CANNED_NOTIFICATIONS = `Current Notification Manager state:
  Notification List:
    NotificationRecord(0x0c1a2b3c: pkg=com.android.chrome user=UserHandle{0} id=1 tag=null importance=2 key=0|com.android.chrome|1|null|10123: Notification(channel=downloads pri=0 contentView=null vibrate=null sound=null defaults=0x0 flags=0x2 color=0x00000000 vis=PRIVATE))
      uid=10123 userId=0
      opPkg=com.android.chrome
      icon=Icon(typ=RESOURCE pkg=com.android.chrome id=0x7f0804a1)
      tickerText=null
      channel=NotificationChannel{mId='downloads', mName=Downloads}
`;
