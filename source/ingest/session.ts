/**
 * Ingest: the bridge between classified events and the stores/report. Every event is taken in
 * O(1) into plain mutable structures with caps; `snapshot()` shapes them (sorting, top-N,
 * categories) only when a flush asks, so the per-packet path never pays for the screen.
 */
import type {
	AndroidFact,
	AppSummary,
	Classification,
	DestinationSummary,
	DnsEvent,
	Flag,
	HttpEvent,
	IncognitoSignal,
	IpInfo,
	LogLine,
	LogRecord,
	NameVia,
	PacketMeta,
	QuicEvent,
	RawPacket,
	SessionSnapshot,
	SessionStats,
	SourceInfo,
	SourceStatus,
	TimelineEntry,
	TlsEvent,
} from '../types.js';
import {PacketAnalyzer, type AnalyzerFlow, type AnalyzerSink, type DecryptionNote} from '../decode/analyzer.js';
import {KeyLogParser, TlsKeyStore} from '../decode/tls-keylog.js';
import {LogcatParser} from '../decode/logcat.js';
import {androidFact, ProcessTable} from '../decode/android.js';
import {inspectPayload} from '../classify/payload.js';
import {evaluateUpload, FlagDeduper} from '../classify/flags.js';
import {TRACKING_CATEGORIES} from '../classify/rules.js';
import {IncognitoTracker, VisitedSet, BROWSER_PACKAGES} from '../classify/incognito.js';
import {matchBrowserLogRule, type CompiledBrowserRule} from '../classify/browser-rules.js';
import {RingBuffer} from '../lib/ring-buffer.js';
import {categoryTotals} from './category-totals.js';
import {ANY_BROWSER, browserWords, plainWords, stateWord} from '../lib/format.js';

/**
 * Entries one eviction may pass over before it takes the one it stops at. Passing over clears an
 * entry's mark, so long walks are paid for by earlier look-ups; this only caps one eviction's
 * pause (4,096 map moves, well under a millisecond) when everything was in use.
 */
const EVICT_WALK = 4096;
/** Destinations kept before the least recently seen are evicted (a flood of random names must not grow memory). */
export const MAX_DESTINATIONS = 20_000;
/** Timeline entries kept for the Events panel and NDJSON consumers that attach late. */
export const MAX_TIMELINE = 1_000;
/** Flags kept; past this the oldest are dropped and counted (a storm must not grow memory). */
export const MAX_FLAGS = 5_000;
/** Packet indices kept as evidence per destination: enough to check by hand in Wireshark. */
const MAX_EVIDENCE = 16;
/** IPs remembered per destination (CDNs rotate many; the report needs a few). */
const MAX_IPS = 16;
/** Seconds of per-destination outbound rate kept for the sparkline. */
export const RATE_SECONDS = 30;
/** The rate series of a snapshot taken without rates; shared, never written to. */
const NO_RATE: number[] = [];
/** Apps per destination kept. */
const MAX_APPS = 16;

/** The package name of an incognito window stated by hand without one: the browser in front. */
export {ANY_BROWSER};

/** Address scopes that never leave the local network: a destination seen only there is `local`. */
const LOCAL_SCOPES: ReadonlySet<IpInfo['scope']> = new Set(['private', 'loopback', 'link-local', 'multicast']);

export type Classifier = {match(host: string, path?: string): Classification};

export type SessionOptions = {
	classifier: Classifier;
	/** Browser log rules (loaded at the edge, app/rule-files.ts); absent: no log line changes a browser's incognito state by rule. */
	browserLogRules?: readonly CompiledBrowserRule[];
	/** IP look-up; may be swapped in later when the offline databases finish loading. */
	ipInfo?: (ip: string) => IpInfo;
	maxBody?: number;
	logYear?: number;
	logZone?: string;
	/** Called for every event in NDJSON shape (for --json); absent = no event objects are built. */
	onEvent?: (event: Record<string, unknown>) => void;
};

type DestAgg = {
	host: string;
	isIp: boolean;
	ips: Set<string>;
	via: Set<NameVia>;
	local: boolean;
	packets: number;
	bytesOut: number;
	bytesIn: number;
	firstTs: number;
	lastTs: number;
	/** Apps and foreground apps: made on first use, most destinations never get one (a Set each was ~10% of the heap). */
	apps: Set<string> | undefined;
	foreground: Set<string> | undefined;
	evidence: number[];
	/**
	 * Outbound bytes per second, ring indexed by epoch second; allocated on the first outbound
	 * byte: most destinations of a long capture are names DNS mentioned that never got traffic.
	 */
	rate: Float64Array | undefined;
	rateSec: number;
	flags: number;
	/** Looked up again since eviction last passed it over (the CLOCK mark, see evictDestination). */
	used: boolean;
	cls?: Classification;
	mergedInto?: DestAgg;
	/** How its TLS and HTTP traffic could be read; made on first use. */
	reading: Reading | undefined;
};

/** Per destination: connections seen and how many could be read (decrypted with keys, or plain HTTP). */
type Reading = {tls: number; read: number; noKeys: number; stopped: number; appEncrypted: number; plainHttp: number; note?: string};

/**
 * Seconds of capture time a TLS connection to a tracker may wait for its keys before it is judged
 * as an encrypted upload. Key log lines follow their handshake within a second (friTap, curl);
 * PCAPdroid writes its DSBs before the next batch of packets.
 */
const KEY_WAIT_SECONDS = 5;

/** pcapng DSB secrets type of a TLS key log ("TLSK"). */
const SECRETS_TLS_KEY_LOG = 0x544c534b;

/** Distinct reasons counted for connections that could not be read (a hostile capture must not grow a map). */
const MAX_UNREAD_REASONS = 32;

/** Per-flow ingest state, hung on the analyzer's flow. */
type FlowIngest = {dest: DestAgg; destName: string; packets: number; out: number; in: number; reported?: number; /** How reading its TLS went (NDJSON flow events). */ tls?: DecryptionNote['state']};

/** NDJSON `flow` totals go out every this many seconds of the session clock, for flows that moved. */
export const FLOW_REPORT_SECONDS = 10;

type AppAgg = {pkg: string; uid?: number | string; dests: Set<string>; bytesOut: number; bytesIn: number};

/** A marker as it is made, told to subscribers (the recorder): a note, or incognito toggled by hand. */
export type MarkerMade = {ts: number; text: string} & ({kind: 'note'} | {kind: 'incognito-on' | 'incognito-off'; pkg: string});

/** The aggregate of one session (live or replay). */
export class Session implements AnalyzerSink {
	readonly stats: SessionStats = {packets: 0, bytes: 0, logLines: 0, malformed: 0, dropped: 0, problems: {}};
	private readonly dests = new Map<string, DestAgg>();
	private readonly flags: Flag[] = [];
	private readonly apps = new Map<string, AppAgg>();
	private readonly timeline = new RingBuffer<TimelineEntry>(MAX_TIMELINE);
	private readonly sources = new Map<string, SourceInfo>();
	private readonly analyzer: PacketAnalyzer;
	private readonly logParser: LogcatParser;
	readonly processes = new ProcessTable();
	readonly incognito = new IncognitoTracker();
	private readonly visited = new VisitedSet();
	private readonly deduper = new FlagDeduper();
	/** TLS secrets from the key log and the capture's DSBs. */
	private readonly keys = new TlsKeyStore();
	private readonly keyLog = new KeyLogParser();
	/** DSB text has its own parser: a block arriving while a followed key log has half a line read must not join it. */
	private readonly dsbKeys = new KeyLogParser();
	private secretsBlocks = 0;
	/** TLS connections read, and why others were not (report and status line). */
	private readonly tlsCounts = {read: 0, noKeys: 0, stopped: 0, reasons: new Map<string, number>()};
	/** Connections to a tracker whose 'encrypted upload' judgement waits: their keys may still come. */
	private readonly unjudged = new Map<AnalyzerFlow, {d: DestAgg; ts: number; packets: number[]}>();
	/** Session time of the next look for connections whose keys are overdue. */
	private nextJudgement = 0;
	private ipInfo?: (ip: string) => IpInfo;
	private readonly emit?: (event: Record<string, unknown>) => void;
	device: SessionSnapshot['device'];
	input: SessionSnapshot['input'];
	/** Latest event time seen: the session's clock (replays run on capture time, not wall time). */
	now = 0;
	/**
	 * Seconds added to every log record's time to put it on the capture's clock: a bundle's
	 * clockOffset, or live, minus the phone's lead over the host when packets are captured on the
	 * host (hotspot, stdin). Incognito windows and foreground apps are then compared with packet
	 * times on one clock.
	 */
	logClockOffset = 0;

	constructor(private readonly opts: SessionOptions) {
		this.ipInfo = opts.ipInfo;
		this.emit = opts.onEvent;
		this.analyzer = new PacketAnalyzer(this, {maxBody: opts.maxBody, keys: this.keys});
		this.logParser = new LogcatParser({year: opts.logYear, zone: opts.logZone});
	}

	/** The phone's time zone, for log formats without one (live learns it from getprop). */
	setLogZone(zone: string): void {
		this.logParser.setZone(zone);
	}

	/** Installs the IP look-up once the offline databases are loaded. */
	setIpInfo(lookup: (ip: string) => IpInfo): void {
		this.ipInfo = lookup;
	}

	// ---- inputs -------------------------------------------------------------------------

	/** One frame from a capture source. */
	addPacket(raw: RawPacket): void {
		const st = this.stats;
		st.packets++;
		st.bytes += raw.origLen;
		if (st.firstTs === undefined || raw.ts < st.firstTs) st.firstTs = raw.ts;
		if (st.lastTs === undefined || raw.ts > st.lastTs) st.lastTs = raw.ts;
		if (raw.ts > this.now) this.now = raw.ts;
		this.analyzer.push(raw);
		if (this.unjudged.size > 0 && this.now >= this.nextJudgement) this.judgeOverdue();
		if (this.emit && raw.ts >= this.nextFlowReport) {
			if (this.nextFlowReport > 0) this.emitFlows(raw.ts);
			this.nextFlowReport = raw.ts + FLOW_REPORT_SECONDS;
		}
	}

	/** Session clock time of the next `flow` totals (NDJSON only). */
	private nextFlowReport = 0;

	/** One `flow` event per flow whose totals changed since it was last reported. */
	private emitFlows(ts: number): void {
		if (!this.emit) return;
		for (const st of this.analyzer.activeFlows()) this.emitFlow(st, ts);
	}

	/** A flow's `flow` event, when its totals changed since it was last reported. */
	private emitFlow(st: AnalyzerFlow, ts: number): void {
		const emit = this.emit;
		const fi = st.ingest as FlowIngest | undefined;
		if (!emit || !fi || fi.reported === fi.packets) return;
		fi.reported = fi.packets;
		let d = fi.dest;
		while (d.mergedInto) d = d.mergedInto;
		const proto = st.proto === 6 ? 'tcp' : st.proto === 17 ? 'udp' : String(st.proto);
		emit({type: 'flow', ts, host: d.host, src: st.client, sport: st.cport, dst: st.server, dport: st.sport, proto, packets: fi.packets, bytesOut: fi.out, bytesIn: fi.in, ...(st.app?.package ? {app: st.app.package} : {}), ...(fi.tls ? {tls: fi.tls} : {})});
	}

	/**
	 * Keys may come for this session (a key log was given, the capture is pcapng): TLS connections
	 * are reassembled and their records kept for them from now on.
	 */
	expectKeys(): void {
		this.keys.active = true;
	}

	/** Text of an NSS key log (a file read or followed): lines may be cut across calls; `final` ends it. */
	addKeyLog(text: string, final = false): void {
		this.keys.active = true;
		for (const e of this.keyLog.push(text)) this.keys.add(e);
		if (final) for (const e of this.keyLog.end()) this.keys.add(e);
	}

	/** A pcapng Decryption Secrets Block: a TLS key log is read, other kinds are counted. */
	addSecrets(secretsType: number, data: Uint8Array): void {
		this.secretsBlocks++;
		this.keys.active = true;
		if (secretsType !== SECRETS_TLS_KEY_LOG) {
			this.problem('secrets-unknown-type');
			return;
		}
		const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
		// A block holds whole lines; a last line without a newline ends with the block.
		for (const e of this.dsbKeys.push(text)) this.keys.add(e);
		for (const e of this.dsbKeys.end()) this.keys.add(e);
	}

	/** A pcapng Custom Block a capture source met (app metadata). */
	addCustomBlock(pen: number, data: Uint8Array): void {
		this.analyzer.customBlock(pen, data);
	}

	/** One logcat line from a log source. */
	addLogLine(line: LogLine): void {
		this.stats.logLines++;
		for (const rec of this.logRecords(line)) this.logRecord(rec);
	}

	/** The records a line completes (none: the end of input), their times on the capture's clock (logClockOffset). */
	private logRecords(line?: LogLine): LogRecord[] {
		const recs = line ? this.logParser.push(line) : this.logParser.end();
		if (this.logClockOffset !== 0) for (const rec of recs) if (rec.ts !== undefined) rec.ts += this.logClockOffset;
		return recs;
	}

	/**
	 * A log line from before a --from window: it sets the state the window starts in (the process
	 * table, the app in front, incognito mode) but is not counted, shown, emitted or reported.
	 */
	primeLogLine(line: LogLine): void {
		for (const rec of this.logRecords(line)) {
			const {fact, rule} = this.recordFacts(rec);
			if (fact) this.logState(fact, rec, rec.ts ?? this.now);
			if (rule) this.logState(rule, rec, rec.ts ?? this.now);
		}
	}

	/** A source changed state. */
	setStatus(status: SourceStatus): void {
		// Details often quote a library's error ("ExactReadable ended"): the user reads plain words.
		const s = status.detail ? {...status, detail: plainWords(status.detail)} : status;
		const prev = this.sources.get(s.source);
		// The retry count goes to the status line only: an outage is one event, not one per attempt.
		this.sources.set(s.source, {source: s.source, state: s.state, detail: s.detail, since: prev?.state === s.state ? prev.since : s.ts, ...(s.retry ? {retry: s.retry} : {})});
		// A new detail in the same state is news too ("waiting for a device" after "connecting"):
		// sources report only changes, so this cannot flood.
		if (prev?.state !== s.state || prev.detail !== s.detail) {
			this.timeline.push({ts: s.ts, kind: 'source', text: `${s.source}: ${stateWord(s.state)}${s.detail ? ` (${s.detail})` : ''}`, source: 'source'});
			this.emit?.({type: 'source', ts: s.ts, source: s.source, state: s.state, detail: s.detail ?? null});
		}
	}

	/** Counts damage reported by a source (a torn record, a corrupt block). */
	addMalformed(kind: string, detail?: string, ts = this.now): void {
		this.stats.malformed++;
		this.problem(kind);
		if (detail) this.timeline.push({ts, kind: 'malformed', text: detail, source: 'source'});
	}

	/** Counts data a source had to drop (gaps, overflow). */
	addDropped(n: number, kind = 'dropped'): void {
		this.stats.dropped += n;
		this.problems(kind, n);
	}

	/** The browser last seen in front (the `i` key's choice once another app is in front). */
	private lastBrowser: string | undefined;

	/** Who hears of markers as they are made (onMarker). */
	private readonly markerListeners = new Set<(m: MarkerMade) => void>();

	/** Calls `listener` for every marker made from now on (notes, incognito toggles); returns the unsubscribe. */
	onMarker(listener: (m: MarkerMade) => void): () => void {
		this.markerListeners.add(listener);
		return () => void this.markerListeners.delete(listener);
	}

	/** A note typed by the user (`m`), or a marker from a bundle. */
	addMarker(text: string, ts = this.now): void {
		this.markTimeline(text, ts);
		for (const listener of this.markerListeners) listener({kind: 'note', ts, text});
	}

	/** A marker on the timeline and in the NDJSON stream. */
	private markTimeline(text: string, ts: number): void {
		this.timeline.push({ts, kind: 'marker', text, source: 'marker'});
		this.emit?.({type: 'marker', ts, text});
	}

	/**
	 * An incognito window stated by hand (--incognito, a bundle's markers). Without a package it
	 * covers whichever browser is in front: visits and uploads in the window count as incognito.
	 */
	addIncognitoWindow(pkg: string | undefined, from: number, to: number | undefined): void {
		const who = pkg ?? ANY_BROWSER;
		this.incognito.start(who, from, 'marker');
		if (to !== undefined) this.incognito.stop(who, to, 'marker');
		this.timeline.push({ts: from, kind: 'marker', text: `incognito on for ${browserWords(who)} (stated by hand)`, source: 'marker'});
		if (to !== undefined) this.timeline.push({ts: to, kind: 'marker', text: `incognito off for ${browserWords(who)} (stated by hand)`, source: 'marker'});
	}

	/**
	 * The browser the user's `i` key means: the one in front; else one that is incognito now (so a
	 * second press turns it off); else the browser last seen in front; else, with no browser seen
	 * yet, whichever browser comes to the front ({@link ANY_BROWSER}).
	 */
	incognitoTarget(ts = this.now): string {
		const fg = this.processes.foreground?.pkg;
		if (fg && BROWSER_PACKAGES.has(fg)) return fg;
		const active = this.incognito.active();
		const open = active.find((p) => p !== ANY_BROWSER && this.incognito.isIncognito(p, ts)) ?? (active.includes(ANY_BROWSER) ? ANY_BROWSER : undefined);
		return open ?? this.lastBrowser ?? ANY_BROWSER;
	}

	/** The user's `i` key: toggles incognito for the browser {@link incognitoTarget} picks; returns the marker made. */
	toggleIncognito(ts = this.now): MarkerMade & {kind: 'incognito-on' | 'incognito-off'} {
		const pkg = this.incognitoTarget(ts);
		const on = this.incognito.toggle(pkg, ts);
		const text = `incognito ${on ? 'on' : 'off'} for ${browserWords(pkg)} (marked by hand)`;
		this.markTimeline(text, ts);
		const made = {kind: on ? ('incognito-on' as const) : ('incognito-off' as const), ts, pkg, text};
		for (const listener of this.markerListeners) listener(made);
		return made;
	}

	/** End of all input: flush partial records (a long-format logcat record, pending HTTP bodies). */
	finish(): void {
		this.emitFlows(this.now);
		this.analyzer.end();
		for (const [flow, u] of this.unjudged) this.checkEncryptedUpload(u.d, flow, u.ts, u.packets);
		this.unjudged.clear();
		for (const rec of this.logRecords()) this.logRecord(rec);
	}

	// ---- AnalyzerSink: decoded network events ---------------------------------------------

	packet(meta: PacketMeta, flow: AnalyzerFlow | undefined, fromClient: boolean): void {
		if (!flow) return;
		let fi = flow.ingest as FlowIngest | undefined;
		const name = flow.name ?? flow.server;
		if (!fi || fi.destName !== name) fi = this.moveFlow(flow, fi, name);
		let dest = fi.dest;
		while (dest.mergedInto) dest = fi.dest = dest.mergedInto;
		dest.packets++;
		fi.packets++;
		if (fromClient) {
			dest.bytesOut += meta.len;
			fi.out += meta.len;
			const sec = Math.floor(meta.ts);
			if (sec !== dest.rateSec) advanceRate(dest, sec);
			(dest.rate ??= new Float64Array(RATE_SECONDS))[sec % RATE_SECONDS]! += meta.len;
		} else {
			dest.bytesIn += meta.len;
			fi.in += meta.len;
		}
		if (meta.ts > dest.lastTs) dest.lastTs = meta.ts;
		// Captures are not always in time order (merged files, clock jumps): first is the earliest.
		if (meta.ts < dest.firstTs) dest.firstTs = meta.ts;
		if (dest.evidence.length < MAX_EVIDENCE) dest.evidence.push(meta.index);
		const pkg = meta.app?.package ?? flow.app?.package;
		if (pkg) this.appTraffic(pkg, flow.app?.uid ?? meta.app?.uid, dest, fromClient ? meta.len : 0, fromClient ? 0 : meta.len);
	}

	dns(e: DnsEvent): void {
		const local = e.proto !== 'dns';
		for (const n of dnsNames(e)) {
			const d = this.dest(n, e.ts, 'dns');
			if (local) d.local = true;
			if (d.evidence.length < MAX_EVIDENCE) d.evidence.push(e.index);
		}
		// The name the user asked for owns the addresses (CNAME chains resolve back to it).
		let owner: DestAgg | undefined;
		for (const a of e.answers) if ((a.type === 'A' || a.type === 'AAAA') && e.query) addIp((owner ??= this.dest(e.query, e.ts, 'dns')), a.value);
		if (!e.response || this.emit) this.remember('net', e.ts, 'dns', `${e.response ? 'answer' : 'query'} ${e.query}${e.answers.length ? ` -> ${e.answers.map((a) => a.value).slice(0, 3).join(' ')}` : ''}`, e.index, !e.response);
		this.emit?.({type: 'dns', ts: e.ts, index: e.index, proto: e.proto, response: e.response, query: e.query, qtype: e.qtype, answers: e.answers, client: e.client, server: e.server});
	}

	tls(e: TlsEvent, flow: AnalyzerFlow): void {
		if (e.sni) {
			const d = this.dest(e.sni, e.ts, 'sni');
			addIp(d, e.dst);
			this.noteVisit(flow, e.sni, undefined, e.ts);
			(d.reading ??= newReading()).tls++;
			// Being read with keys: judge it as an encrypted upload only if it ends unread.
			if (flow.tlsc) this.unjudged.set(flow, {d, ts: e.ts, packets: e.packets});
			else this.checkEncryptedUpload(d, flow, e.ts, e.packets);
		}
		this.remember('net', e.ts, 'tls', `TLS ${e.sni ?? '(no SNI)'}${e.ech ? ' ECH' : ''} ${e.dst}:${e.dport}`, e.index);
		this.emit?.({type: 'tls', ts: e.ts, index: e.index, sni: e.sni ?? null, alpn: e.alpn, ech: e.ech, src: e.src, sport: e.sport, dst: e.dst, dport: e.dport});
	}

	quic(e: QuicEvent, flow: AnalyzerFlow): void {
		if (e.sni) {
			const d = this.dest(e.sni, e.ts, 'quic');
			addIp(d, e.dst);
			this.noteVisit(flow, e.sni, undefined, e.ts);
			this.checkEncryptedUpload(d, flow, e.ts, e.packets);
		}
		this.remember('net', e.ts, 'quic', `QUIC ${e.sni ?? '(no SNI)'} ${e.dst}:${e.dport}`, e.index);
		this.emit?.({type: 'quic', ts: e.ts, index: e.index, sni: e.sni ?? null, alpn: e.alpn, version: e.version, src: e.src, sport: e.sport, dst: e.dst, dport: e.dport});
	}

	http(e: HttpEvent, flow: AnalyzerFlow): void {
		const host = (e.host ?? e.dst).replace(/:\d+$/, '');
		const d = this.dest(host, e.ts, 'http');
		addIp(d, e.dst);
		const cls = this.classify(d);
		const app = flow.app?.package;
		const contentType = e.headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1];
		const findings = inspectPayload({body: e.body, path: e.path, contentType, headers: e.headers});
		const reading = (d.reading ??= newReading());
		if (!e.tls) reading.plainHttp++;
		// Decrypted, yet the body is still opaque: the app encrypts inside TLS.
		else if (findings.opaque || (findings.encrypted && findings.urls.length === 0)) reading.appEncrypted++;
		this.noteVisit(flow, host, `${host}${e.path}`, e.ts, cls);
		const incognitoApps = this.incognito.active(e.ts);
		const raised = evaluateUpload({
			ts: e.ts,
			host,
			classification: cls,
			app,
			packets: e.packets,
			logLines: this.incognitoEvidence(incognitoApps, e.ts),
			findings,
			encrypted: false,
			incognitoApps,
			visited: this.visited,
			bytesOut: e.bodyBytes,
			path: e.path,
			tls: e.tls,
		});
		// Two uploads to one host with the same summary but different endpoints are two findings.
		for (const f of raised) this.raise(f, d, `${f.summary}\u0000${e.method} ${e.path}`);
		this.remember('net', e.ts, 'http', `${e.method} ${host}${e.path}${e.bodyBytes ? ` (${e.bodyBytes} B)` : ''}`, e.index);
		this.emit?.({type: 'http', ts: e.ts, index: e.index, method: e.method, host, path: e.path, bodyBytes: e.bodyBytes, body: bodyBase64(e.body), tls: e.tls, alpn: e.alpn ?? null, src: e.src, sport: e.sport, dst: e.dst, dport: e.dport});
	}

	problem(kind: string): void {
		this.problems(kind, 1);
	}

	/** A flow left the analyzer's table (over, or evicted): its totals go out now, not at the next tick. */
	flowEnd(flow: AnalyzerFlow): void {
		this.emitFlow(flow, this.now);
		const u = this.unjudged.get(flow);
		if (u) {
			this.unjudged.delete(flow);
			this.checkEncryptedUpload(u.d, flow, u.ts, u.packets);
		}
	}

	/**
	 * Connections still unread KEY_WAIT_SECONDS after their hello are judged as encrypted uploads
	 * now, so a live watch without keys flags at once rather than when the connection ends.
	 */
	private judgeOverdue(): void {
		this.nextJudgement = this.now + 1;
		for (const [flow, u] of this.unjudged) {
			if (this.now - u.ts < KEY_WAIT_SECONDS) continue;
			this.unjudged.delete(flow);
			this.checkEncryptedUpload(u.d, flow, u.ts, u.packets);
		}
	}

	/** How reading a TLS connection went: counted per destination and for the session. */
	decryption(flow: AnalyzerFlow, note: DecryptionNote): void {
		const fi = flow.ingest as FlowIngest | undefined;
		// A connection read, then cut short, stays 'read' for its flow: some of it was read.
		if (fi && fi.tls !== 'read') fi.tls = note.state;
		let d = fi?.dest ?? this.dest(flow.name ?? flow.server, this.now);
		while (d.mergedInto) d = d.mergedInto;
		const r = (d.reading ??= newReading());
		const c = this.tlsCounts;
		if (note.state === 'read') {
			r.read++;
			c.read++;
			this.unjudged.delete(flow);
		} else {
			if (note.state === 'no-keys') {
				r.noKeys++;
				c.noKeys++;
			} else {
				r.stopped++;
				c.stopped++;
			}
			if (note.reason) {
				r.note ??= note.reason;
				if (c.reasons.has(note.reason) || c.reasons.size < MAX_UNREAD_REASONS) c.reasons.set(note.reason, (c.reasons.get(note.reason) ?? 0) + 1);
			}
		}
		const what = note.state === 'read' ? 'decrypting' : note.state === 'no-keys' ? 'not decrypted (no keys)' : `decryption stopped: ${note.reason}`;
		this.remember('net', this.now, 'tls', `TLS ${flow.name ?? flow.server} ${what}`);
		this.emit?.({type: 'tls-read', ts: this.now, host: flow.name ?? flow.server, src: flow.client, sport: flow.cport, dst: flow.server, dport: flow.sport, state: note.state, reason: note.reason ?? null});
	}

	// ---- logcat -------------------------------------------------------------------------

	private logRecord(rec: LogRecord): void {
		const ts = rec.ts ?? this.now;
		if (rec.ts !== undefined && rec.ts > this.now) this.now = rec.ts;
		const {fact, rule} = this.recordFacts(rec);
		if (fact) this.androidFact(fact, rec, ts);
		if (rule) this.logState(rule, rec, ts);
		if (rec.raw) this.problem('log-unparsed');
		// A launcher START line is an activity start and an incognito signal: the signal names it.
		const named = rule ?? fact;
		const kind = named?.kind;
		const signal = named && 'signal' in named ? named.signal : undefined;
		if (named || (rec.level && 'WEF'.includes(rec.level))) {
			this.remember('log', ts, kind ?? 'log', `${rec.tag ?? ''}: ${rec.message}`, rec.index);
		}
		// Lines without a time (banners, unparsed text) take the session's clock, once it has one.
		this.emit?.({type: 'log', ts: rec.ts ?? (this.now > 0 ? this.now : null), index: rec.index, ...this.appField(rec.pid), pid: rec.pid ?? null, tid: rec.tid ?? null, uid: rec.uid ?? null, level: rec.level ?? null, tag: rec.tag ?? null, message: rec.message, ...(kind ? {kind} : {}), ...(signal ? {signal} : {}), ...(rec.buffer ? {buffer: rec.buffer} : {}), ...(rec.raw ? {raw: true} : {})});
	}

	/**
	 * What a record states: an Android fact (decode/android.ts), and an incognito change under the
	 * browser log rules (classify/browser-rules.ts), matched with the package of the record's pid.
	 * tattle's own probe and marker lines state their change themselves.
	 */
	private recordFacts(rec: LogRecord): {fact?: AndroidFact; rule?: AndroidFact} {
		if (rec.raw || rec.buffer) return {};
		const fact = androidFact(rec);
		if (fact?.kind === 'incognito-on' || fact?.kind === 'incognito-off') return {fact};
		const rule = matchBrowserLogRule(this.opts.browserLogRules ?? [], rec, this.appOfPid(rec.pid));
		return rule ? {fact, rule} : {fact};
	}

	/** The package of a pid the process table knows (from Start proc, am_proc_start...). */
	private appOfPid(pid: number | undefined): string | undefined {
		return pid === undefined ? undefined : this.processes.appOf(pid)?.pkg;
	}

	/** `{app}` for a log event whose pid names an app, else nothing. */
	private appField(pid: number | undefined): {app?: string} {
		const app = this.appOfPid(pid);
		return app ? {app} : {};
	}

	/** What a log fact says about the phone's state: its processes, the app in front, incognito mode. */
	private logState(fact: AndroidFact, rec: LogRecord, ts: number): void {
		this.processes.observe(fact, ts);
		if (fact.kind === 'activity-start' || fact.kind === 'activity-displayed') {
			this.incognito.setForeground(fact.pkg, ts);
			if (BROWSER_PACKAGES.has(fact.pkg)) this.lastBrowser = fact.pkg;
		}
		else if (fact.kind === 'incognito-on' || fact.kind === 'incognito-off') this.incognito.observe(fact, ts, rec.index);
	}

	private androidFact(fact: AndroidFact, rec: LogRecord, ts: number): void {
		this.logState(fact, rec, ts);
		if (fact.kind !== 'upload-url') return;
		let host = '';
		try {
			host = new URL(fact.url).hostname;
		} catch {
			this.problem('bad-upload-url');
		}
		if (!host) return;
		const d = this.dest(host, ts, 'http');
		// The app whose process logged the request: attribution by pid, so it counts among the
		// app's destinations (bytes stay with the flows that carried them).
		const app = this.appOfPid(rec.pid);
		if (app) this.appTraffic(app, this.processes.uidOf(app), d, 0, 0);
	}

	// ---- helpers ------------------------------------------------------------------------

	private problems(kind: string, n: number): void {
		this.stats.problems[kind] = (this.stats.problems[kind] ?? 0) + n;
	}

	private remember(source: TimelineEntry['source'], ts: number, kind: string, text: string, index?: number, keep = true): void {
		if (keep) this.timeline.push({ts, kind, text, index, source});
	}

	/** The destination for a host name or IP, created on first sight (eviction: see evictDestination). */
	private dest(host: string, ts: number, via?: NameVia): DestAgg {
		// Keys are normalised, so a hit on the raw host is the same entry; most names arrive
		// normalised, and this skips a lower-casing and a regex per DNS answer and flow.
		let d = this.dests.get(host);
		const key = d ? host : host.toLowerCase().replace(/\.$/, '');
		if (!d) d = this.dests.get(key);
		if (!d) {
			if (this.dests.size >= MAX_DESTINATIONS) this.evictDestination();
			d = {
				host: key,
				isIp: isIpLiteral(key),
				ips: new Set(),
				via: new Set(),
				local: false,
				packets: 0,
				bytesOut: 0,
				bytesIn: 0,
				firstTs: ts,
				lastTs: ts,
				apps: undefined,
				foreground: undefined,
				evidence: [],
				rate: undefined,
				rateSec: Math.floor(ts),
				flags: 0,
				used: false,
				reading: undefined,
			};
			if (d.isIp) d.ips.add(key);
			this.dests.set(key, d);
		} else d.used = true;
		if (via) d.via.add(via);
		if (ts > d.lastTs) d.lastTs = ts;
		return d;
	}

	/**
	 * Drops a destination not used lately; its traffic stays in the totals (stats). A second
	 * chance (CLOCK) over the map's insertion order instead of a scan: from the head, an entry used
	 * since it was last passed over goes to the tail with its mark cleared, and the first unmarked
	 * one is dropped. A name seen once (a flood) goes at the first look; a destination in use (the
	 * phone's telemetry host) keeps its place. Each move is paid for by a use, so the cost per
	 * eviction is O(1) amortised, and the walk stops after {@link EVICT_WALK} entries anyway.
	 */
	private evictDestination(): void {
		let n = 0;
		let victim: DestAgg | undefined;
		const moved: DestAgg[] = [];
		for (const d of this.dests.values()) {
			victim = d;
			if (!d.used || ++n >= EVICT_WALK) break;
			moved.push(d);
		}
		if (!victim) return;
		this.dests.delete(victim.host);
		this.problem('destinations-evicted');
		for (const d of moved) {
			d.used = false;
			this.dests.delete(d.host);
			this.dests.set(d.host, d);
		}
	}

	/** Points a flow at the destination for its (new) name, moving what it already counted. */
	private moveFlow(flow: AnalyzerFlow, fi: FlowIngest | undefined, name: string): FlowIngest {
		const via = flow.name ? flow.via : undefined;
		const dest = this.dest(name, flow.firstTs, via);
		if (!dest.isIp) addIp(dest, flow.server);
		if (!fi) {
			fi = {dest, destName: name, packets: 0, out: 0, in: 0};
			flow.ingest = fi;
			this.noteForeground(dest, flow.firstTs);
			return fi;
		}
		let old = fi.dest;
		while (old.mergedInto) old = old.mergedInto;
		if (old !== dest) {
			old.packets -= fi.packets;
			old.bytesOut -= fi.out;
			old.bytesIn -= fi.in;
			dest.packets += fi.packets;
			dest.bytesOut += fi.out;
			dest.bytesIn += fi.in;
			if (fi.packets > 0 && flow.firstTs < dest.firstTs) dest.firstTs = flow.firstTs;
			mergeApps(dest, old);
			if (old.isIp && old.packets <= 0 && old.via.size === 0 && old.flags === 0) this.dests.delete(old.host);
		}
		fi.dest = dest;
		fi.destName = name;
		return fi;
	}

	/** Timing evidence: which app was in front when a connection to `d` opened. */
	private noteForeground(d: DestAgg, ts: number): void {
		const fg = this.incognito.foreground(ts);
		if (fg && (d.foreground?.size ?? 0) < MAX_APPS) (d.foreground ??= new Set()).add(fg);
	}

	private classify(d: DestAgg): Classification {
		if (!d.cls) d.cls = this.opts.classifier.match(d.host);
		return d.cls;
	}

	/** Records what the browser visited while in incognito, for url-leak matching later. */
	private noteVisit(flow: AnalyzerFlow, host: string, url: string | undefined, ts: number, cls?: Classification): void {
		const app = flow.app?.package ?? this.processes.foreground?.pkg;
		const inIncognito = (app !== undefined && this.incognito.isIncognito(app, ts)) || this.incognito.isIncognito(ANY_BROWSER, ts);
		if (!inIncognito) return;
		const c = cls ?? this.opts.classifier.match(host);
		if (TRACKING_CATEGORIES.has(c.category)) return;
		this.visited.add(url ?? host, ts);
	}

	/** An encrypted connection to a tracking destination while a browser is in incognito mode. */
	private checkEncryptedUpload(d: DestAgg, flow: AnalyzerFlow, ts: number, packets: number[]): void {
		const active = this.incognito.active(ts);
		if (active.length === 0) return;
		const cls = this.classify(d);
		if (!TRACKING_CATEGORIES.has(cls.category)) return;
		const raised = evaluateUpload({
			ts,
			host: d.host,
			classification: cls,
			app: flow.app?.package,
			packets,
			logLines: this.incognitoEvidence(active, ts),
			encrypted: true,
			incognitoApps: active,
			visited: this.visited,
		});
		for (const f of raised) this.raise(f, d);
	}

	/** The kind of signal behind the incognito state an incognito flag relied on: its app's, else the first browser's. */
	private incognitoSignal(f: Flag): IncognitoSignal | undefined {
		const apps = f.app !== undefined && this.incognito.isIncognito(f.app, f.ts) ? [f.app] : this.incognito.active(f.ts);
		for (const pkg of apps) {
			const iv = this.incognito.intervalAt(pkg, f.ts);
			if (iv) return iv.signal;
		}
		return undefined;
	}

	/** The log lines that put these browsers in incognito mode (flag evidence). */
	private incognitoEvidence(apps: string[], ts: number): number[] {
		const lines: number[] = [];
		for (const pkg of apps) {
			const line = this.incognito.intervalAt(pkg, ts)?.logLine;
			if (line !== undefined) lines.push(line);
		}
		return lines;
	}

	private raise(f: Flag, d: DestAgg, match?: string): void {
		// Repeats fold into the first flag, with their evidence (FlagDeduper).
		if (!this.deduper.accept(f, match)) return;
		const fg = this.incognito.foreground(f.ts);
		if (fg && !f.evidence.foreground) f.evidence.foreground = fg;
		if (f.kind === 'incognito-tracker' || f.kind === 'incognito-url-leak') {
			const signal = this.incognitoSignal(f);
			if (signal) f.evidence.incognitoSignal = signal;
		}
		d.flags++;
		if (this.flags.length >= MAX_FLAGS) {
			this.flags.shift();
			this.problem('flags-dropped');
		}
		this.flags.push(f);
		this.timeline.push({ts: f.ts, kind: f.kind, text: `${f.severity.toUpperCase()} ${f.kind} ${f.host}: ${f.summary}`, index: f.evidence.packets[0], source: 'flag'});
		this.emit?.({type: 'flag', ...f, app: f.app ?? null});
	}

	private appTraffic(pkg: string, uid: number | string | undefined, d: DestAgg, out: number, inn: number): void {
		let a = this.apps.get(pkg);
		if (!a) {
			a = {pkg, uid, dests: new Set(), bytesOut: 0, bytesIn: 0};
			this.apps.set(pkg, a);
		}
		a.bytesOut += out;
		a.bytesIn += inn;
		if (!a.dests.has(d.host)) a.dests.add(d.host);
		if ((d.apps?.size ?? 0) < MAX_APPS) (d.apps ??= new Set()).add(pkg);
	}

	/** Folds IP-keyed destinations into the name DNS later gave their address. */
	private mergeNamedIps(): void {
		for (const d of [...this.dests.values()]) {
			if (!d.isIp || d.mergedInto) continue;
			const name = this.analyzer.nameOf(d.host);
			if (!name) continue;
			const target = this.dest(name, d.firstTs, 'dns');
			if (target === d) continue;
			target.packets += d.packets;
			target.bytesOut += d.bytesOut;
			target.bytesIn += d.bytesIn;
			target.firstTs = Math.min(target.firstTs, d.firstTs);
			target.lastTs = Math.max(target.lastTs, d.lastTs);
			target.flags += d.flags;
			if (d.reading) mergeReading((target.reading ??= newReading()), d.reading);
			addIp(target, d.host);
			mergeApps(target, d);
			for (const i of d.evidence) if (target.evidence.length < MAX_EVIDENCE) target.evidence.push(i);
			d.mergedInto = target;
			this.dests.delete(d.host);
		}
	}

	// ---- output -------------------------------------------------------------------------

	/**
	 * The whole state, shaped for the stores and the report. `rates: false` leaves every
	 * destination's rate series empty (one shared array): the report has no sparklines, and
	 * 30 numbers for each of ~17k destinations were a share of the end-of-replay peak.
	 */
	snapshot(opts: {rates?: boolean} = {}): SessionSnapshot {
		const rates = opts.rates !== false;
		this.mergeNamedIps();
		const destinations: DestinationSummary[] = [];
		const nowSec = Math.floor(this.now);
		for (const d of this.dests.values()) {
			const cls = this.classify(d);
			const info = this.lookupIps(d);
			const s: DestinationSummary = {
				host: d.host,
				ips: [...d.ips],
				owner: cls.owner,
				// No rule, and nothing beyond the LAN (mDNS/LLMNR names; private, link-local, loopback or
				// multicast addresses, such as the router answering DNS): local, not an unknown third party.
				category: cls.category === 'unknown' && (d.local || (info !== undefined && LOCAL_SCOPES.has(info.scope))) ? 'local' : cls.category,
				country: info?.country,
				asn: info?.asn,
				asOrg: info?.asOrg ?? (info && info.scope !== 'public' ? info.scope : undefined),
				apps: d.apps ? [...d.apps] : [],
				foreground: d.foreground && d.foreground.size > 0 ? [...d.foreground] : undefined,
				packets: d.packets,
				bytesOut: d.bytesOut,
				bytesIn: d.bytesIn,
				firstTs: d.firstTs,
				lastTs: d.lastTs,
				via: [...d.via].sort(),
				local: d.local || undefined,
				rule: cls.rule,
				ruleSource: cls.ruleSource,
				note: cls.note,
				evidencePackets: [...d.evidence],
				rate: rates ? rateSeries(d, nowSec) : NO_RATE,
				flags: d.flags,
			};
			const payload = payloadReading(d.reading);
			if (payload) {
				s.payload = payload;
				const r = d.reading!;
				if (r.tls > 0 || r.read > 0) s.tls = {connections: Math.max(r.tls, r.read), read: r.read, noKeys: r.noKeys, stopped: r.stopped, appEncrypted: r.appEncrypted, ...(r.note ? {note: r.note} : {})};
			}
			destinations.push(s);
		}
		destinations.sort((a, b) => b.bytesOut + b.bytesIn - (a.bytesOut + a.bytesIn) || b.packets - a.packets || a.host.localeCompare(b.host));
		const apps: AppSummary[] = [...this.apps.values()]
			.map((a) => ({package: a.pkg, uid: a.uid, destinations: a.dests.size, bytesOut: a.bytesOut, bytesIn: a.bytesIn}))
			.sort((a, b) => b.bytesOut - a.bytesOut);
		const stats = {...this.stats, problems: {...this.stats.problems}};
		stats.problems['flows-evicted'] = this.analyzer.flowsEvicted;
		if (stats.problems['flows-evicted'] === 0) delete stats.problems['flows-evicted'];
		const wb = this.analyzer.waitBudget;
		if (wb.droppedRecords > 0) stats.problems['tls-records-dropped-waiting-keys'] = wb.droppedRecords;
		return {
			stats,
			destinations,
			categories: categoryTotals(destinations).sort((a, b) => b.bytesOut - a.bytesOut || b.destinations - a.destinations),
			flags: [...this.flags],
			apps,
			timeline: this.timeline.toArray(),
			sources: [...this.sources.values()],
			device: this.device,
			input: this.input,
			incognito: this.incognito.active(),
			incognitoSignals: this.incognito.signals(),
			tls: this.tlsSummary(),
		};
	}

	/** Keys seen and connections read, when keys could come at all. */
	private tlsSummary(): SessionSnapshot['tls'] {
		if (!this.keys.active) return undefined;
		const c = this.tlsCounts;
		return {
			keyLogLines: this.keyLog.entries + this.dsbKeys.entries,
			badKeyLogLines: this.keyLog.bad + this.dsbKeys.bad,
			badKeyLogSamples: [...this.keyLog.badSamples, ...this.dsbKeys.badSamples].slice(0, 3),
			secretsBlocks: this.secretsBlocks,
			connectionsKeyed: this.keys.size,
			read: c.read,
			noKeys: c.noKeys,
			stopped: c.stopped,
			reasons: Object.fromEntries(c.reasons),
			waitingDropped: this.analyzer.waitBudget.droppedRecords,
		};
	}

	private lookupIps(d: DestAgg): IpInfo | undefined {
		if (!this.ipInfo) return undefined;
		let fallback: IpInfo | undefined;
		for (const ip of d.ips) {
			const info = this.ipInfo(ip);
			if (info.scope === 'public') return info;
			fallback ??= info;
		}
		return fallback;
	}
}

/**
 * The distinct names a DNS event mentions, in first-seen order. Most events name only their
 * question: that case skips building a Set (one per DNS message in a replay).
 */
function dnsNames(e: DnsEvent): Iterable<string> {
	const q = e.query;
	let single = true;
	if (e.questions) for (const x of e.questions) if (x.name && x.name !== q) single = false;
	for (const a of e.answers) {
		if (a.name && a.name !== q) single = false;
		if ((a.type === 'CNAME' || a.type === 'HTTPS' || a.type === 'SVCB') && a.value && a.value !== '.' && a.value !== q) single = false;
	}
	if (single) return q ? [q] : [];
	const names = new Set<string>();
	if (q) names.add(q);
	if (e.questions) for (const x of e.questions) if (x.name) names.add(x.name);
	for (const a of e.answers) {
		if (a.name) names.add(a.name);
		if (a.type === 'CNAME' || a.type === 'HTTPS' || a.type === 'SVCB') if (a.value && a.value !== '.') names.add(a.value);
	}
	return names;
}

/** Adds `from`'s apps (all) and foreground apps (up to MAX_APPS) to `to`. */
function mergeApps(to: DestAgg, from: DestAgg): void {
	if (from.apps) for (const a of from.apps) (to.apps ??= new Set()).add(a);
	if (from.foreground) for (const a of from.foreground) if ((to.foreground?.size ?? 0) < MAX_APPS) (to.foreground ??= new Set()).add(a);
}

/** The kept body prefix (at most --max-body bytes) for NDJSON: base64, since bodies are binary as often as text. */
function bodyBase64(b: Uint8Array): string {
	return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

function newReading(): Reading {
	return {tls: 0, read: 0, noKeys: 0, stopped: 0, appEncrypted: 0, plainHttp: 0};
}

function mergeReading(to: Reading, from: Reading): void {
	to.tls += from.tls;
	to.read += from.read;
	to.noKeys += from.noKeys;
	to.stopped += from.stopped;
	to.appEncrypted += from.appEncrypted;
	to.plainHttp += from.plainHttp;
	to.note ??= from.note;
}

/**
 * One word for what could be read of a destination's traffic: `app-encrypted` (decrypted, the body
 * still opaque), `read` (every TLS connection decrypted), `partly-read`, `encrypted` (TLS, none
 * read), `cleartext` (plain HTTP only); undefined when it carried neither TLS nor HTTP.
 */
export function payloadReading(r: Reading | undefined): DestinationSummary['payload'] {
	if (!r) return undefined;
	if (r.appEncrypted > 0) return 'app-encrypted';
	if (r.tls === 0 && r.read === 0) return r.plainHttp > 0 ? 'cleartext' : undefined;
	if (r.read === 0) return 'encrypted';
	return r.read >= r.tls ? 'read' : 'partly-read';
}

function addIp(d: DestAgg, ip: string): void {
	if (d.ips.size < MAX_IPS && ip) d.ips.add(ip);
}

function isIpLiteral(s: string): boolean {
	return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (s.includes(':') && /^[0-9a-f:.]+$/.test(s));
}

/** Moves a destination's rate ring forward to `sec`, zeroing the seconds that passed silently. */
function advanceRate(d: DestAgg, sec: number): void {
	const gap = sec - d.rateSec;
	if (gap <= 0) return;
	const clear = Math.min(gap, RATE_SECONDS);
	if (d.rate) for (let i = 1; i <= clear; i++) d.rate[(d.rateSec + i) % RATE_SECONDS] = 0;
	d.rateSec = sec;
}

/** Outbound bytes per second for the last RATE_SECONDS seconds ending at `nowSec`, oldest first. */
function rateSeries(d: DestAgg, nowSec: number): number[] {
	const out: number[] = [];
	for (let s = nowSec - RATE_SECONDS + 1; s <= nowSec; s++) {
		out.push(!d.rate || s > d.rateSec || s <= d.rateSec - RATE_SECONDS ? 0 : d.rate[((s % RATE_SECONDS) + RATE_SECONDS) % RATE_SECONDS]!);
	}
	return out;
}
