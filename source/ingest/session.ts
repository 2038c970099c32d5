/**
 * Ingest: the bridge between decoded events and the stores/report. Session wires the parts, each
 * O(1) per event: the destination table (destination-table.ts), flow accounting
 * (flow-accounting.ts), the app table, the phone's state from its log (phone-state.ts), TLS keys
 * and reading (tls-reading.ts), connections waiting for keys (key-wait.ts), the flag list; uploads
 * are judged by classify/upload-judgement.ts; `snapshot()` shapes it all (snapshot.ts) only when a
 * flush asks; NDJSON consumers get typed SessionEvents, shaped by report/ndjson.ts.
 * Over 300 lines because it is the one AnalyzerSink, the one logcat sink and the API the modes call
 * (markers, the i key, source status); each handler is a few calls into the parts above, and
 * splitting the handlers apart would split one event's story across files.
 */
import type {AndroidFact, Classification, DnsEvent, Flag, HttpEvent, IpInfo, LogLine, LogRecord, PacketMeta, QuicEvent, RateLookup, RawPacket, SessionEvent, SessionSnapshot, SessionStats, SourceInfo, SourceStatus, TimelineEntry, TlsEvent} from '../types.js';
import {PacketAnalyzer, type AnalyzerFlow, type AnalyzerSink, type DecryptionNote} from '../decode/analyzer.js';
import {LogcatParser} from '../decode/logcat.js';
import {androidFact} from '../decode/android.js';
import {inspectPayload} from '../classify/payload.js';
import {TRACKING_CATEGORIES} from '../classify/rules.js';
import {VisitedSet} from '../classify/incognito.js';
import {matchBrowserLogRule, type CompiledBrowserRule} from '../classify/browser-rules.js';
import {addIncognitoEvidence, judgeEncryptedUpload, judgeReadUpload} from '../classify/upload-judgement.js';
import {RingBuffer} from '../lib/ring-buffer.js';
import {notePayload} from './payload-seen.js';
import {ANY_BROWSER, browserWords, plainWords, stateWord} from '../lib/format.js';
import {AppTable} from './app-table.js';
import {addEvidence, addIp, liveEntry, readingOf, type DestinationEntry} from './destination-entry.js';
import {DestinationTable} from './destination-table.js';
import {FlagList} from './flag-list.js';
import {FlowAccounting} from './flow-accounting.js';
import {KeyWait} from './key-wait.js';
import {PhoneState} from './phone-state.js';
import {sessionSnapshot} from './snapshot.js';
import {TlsReading} from './tls-reading.js';
import {dnsNames} from './dns-names.js';

/** The package name of an incognito window stated by hand without one: the browser in front. */
export {ANY_BROWSER};

/** Timeline entries kept for the Events panel and NDJSON consumers that attach late. */
const MAX_TIMELINE = 1_000;
/** The sparkline of a host the destination table does not hold: shared, never written to. */
const NO_SERIES: readonly number[] = [];
/** NDJSON `flow` totals go out every this many seconds of the session clock, for flows that moved. */
const FLOW_REPORT_SECONDS = 10;

type Classifier = {match(host: string, path?: string): Classification};

type SessionOptions = {
	classifier: Classifier;
	/** Browser log rules (loaded at the edge, app/rule-files.ts); absent: no log line changes a browser's incognito state by rule. */
	browserLogRules?: readonly CompiledBrowserRule[];
	/** IP look-up; may be swapped in later when the offline databases finish loading. */
	ipInfo?: (ip: string) => IpInfo;
	maxBody?: number;
	logYear?: number;
	logZone?: string;
	/** Called for every event (for --json, shaped by report/ndjson.ts); absent = no events are built. */
	onEvent?: (event: SessionEvent) => void;
	/**
	 * Hosts and addresses of an earlier run (--baseline): a destination not among them is new
	 * (`new: true` in its summary and in the NDJSON events that name it). Absent: nothing is new.
	 */
	baseline?: ReadonlySet<string>;
};

/** A marker as it is made, told to subscribers (the recorder): a note, or incognito toggled by hand. */
export type MarkerMade = {ts: number; text: string} & ({kind: 'note'} | {kind: 'incognito-on' | 'incognito-off'; pkg: string});

/** The aggregate of one session (live or replay). */
export class Session implements AnalyzerSink {
	readonly stats: SessionStats = {packets: 0, bytes: 0, logLines: 0, malformed: 0, dropped: 0, problems: {}};
	private readonly phone = new PhoneState();
	readonly processes = this.phone.processes;
	readonly incognito = this.phone.incognito;
	private readonly dests = new DestinationTable(() => this.problem('destinations-evicted'));
	private readonly flags = new FlagList(() => this.problem('flags-dropped'));
	private readonly apps = new AppTable();
	private readonly flows: FlowAccounting;
	private readonly timeline = new RingBuffer<TimelineEntry>(MAX_TIMELINE);
	private readonly sources = new Map<string, SourceInfo>();
	private readonly analyzer: PacketAnalyzer;
	private readonly logParser: LogcatParser;
	private readonly visited = new VisitedSet();
	private readonly tlsReading = new TlsReading();
	/** Connections to a tracker whose 'encrypted upload' judgement waits: their keys may still come. */
	private readonly keyWait = new KeyWait();
	/** Session clock time of the next `flow` totals (NDJSON only). */
	private nextFlowReport = 0;
	/** Who hears of markers as they are made (onMarker). */
	private readonly markerListeners = new Set<(m: MarkerMade) => void>();
	private ipInfo?: (ip: string) => IpInfo;
	private readonly emit?: (event: SessionEvent) => void;
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

	/** Hosts and addresses of the --baseline run (see SessionOptions.baseline). */
	private baseline?: ReadonlySet<string>;

	constructor(private readonly opts: SessionOptions) {
		this.ipInfo = opts.ipInfo;
		this.baseline = opts.baseline;
		this.emit = opts.onEvent;
		this.analyzer = new PacketAnalyzer(this, {maxBody: opts.maxBody, keys: this.tlsReading.keys});
		this.flows = new FlowAccounting(this.dests, (ts) => this.incognito.foreground(ts), this.analyzer);
		this.logParser = new LogcatParser({year: opts.logYear, zone: opts.logZone});
	}

	/** The phone's time zone, for log formats without one (live learns it from getprop). */
	setLogZone(zone: string): void {
		this.logParser.setZone(zone);
	}

	/** The --baseline run's hosts and addresses: destinations not among them are new from now on. */
	setBaseline(hosts: ReadonlySet<string>): void {
		this.baseline = hosts;
	}

	/**
	 * Not in the --baseline run: a name is matched by name (a CDN address shared with another name
	 * does not make it known); an address by the baseline's names and addresses.
	 */
	private isNewHost(host: string): boolean {
		return this.baseline !== undefined && !this.baseline.has(host);
	}

	/** `{new: true}` for an event naming a destination new against the baseline, else nothing. */
	private newMark(host: string | undefined): {new?: true} {
		if (!host || !this.baseline) return {};
		// As the destination table keys it: lower case, no trailing dot.
		return this.isNewHost(host.toLowerCase().replace(/\.$/, '')) ? {new: true} : {};
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
		// On the capture's clock (the latest packet), not the session's: log lines may run seconds
		// ahead of the packets, and a key follows its handshake in capture time.
		const overdue = this.keyWait.overdue(st.lastTs);
		// Still unread KEY_WAIT_SECONDS after their hello: judged now, so a live watch without keys flags at once.
		if (overdue) for (const w of overdue) this.judgeEncrypted(w.d, w.flow, w.ts, w.packets);
		if (this.emit && raw.ts >= this.nextFlowReport) {
			if (this.nextFlowReport > 0) for (const slot of this.analyzer.activeSlots()) this.emitFlow(slot, raw.ts);
			this.nextFlowReport = raw.ts + FLOW_REPORT_SECONDS;
		}
	}

	/** The `flow` event of the flow in `slot`, when its totals changed since it was last reported. */
	private emitFlow(slot: number, ts: number): void {
		const e = this.emit && this.flows.totals(slot, ts);
		if (e) this.emit!(e.type === 'flow' && this.isNewHost(e.host) ? {...e, new: true} : e);
	}

	/** Keys may come for this session (a key log was given, the capture is pcapng): TLS is kept for them. */
	expectKeys(): void {
		this.tlsReading.expect();
	}

	/** Text of an NSS key log (a file read or followed): lines may be cut across calls; `final` ends it. */
	addKeyLog(text: string, final = false): void {
		this.tlsReading.addKeyLog(text, final);
	}

	/** A pcapng Decryption Secrets Block: a TLS key log is read, other kinds are counted. */
	addSecrets(secretsType: number, data: Uint8Array): void {
		if (!this.tlsReading.addSecrets(secretsType, data)) this.problem('secrets-unknown-type');
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
			if (fact) this.phone.observe(fact, rec.ts ?? this.now, rec.index);
			if (rule) this.phone.observe(rule, rec.ts ?? this.now, rec.index);
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
			this.emit?.({type: 'source', status: s});
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

	/** The browser the user's `i` key means (PhoneState.incognitoTarget). */
	incognitoTarget(ts = this.now): string {
		return this.phone.incognitoTarget(ts);
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
		if (this.emit) for (const slot of this.analyzer.activeSlots()) this.emitFlow(slot, this.now);
		this.analyzer.end();
		for (const w of this.keyWait.drain()) this.judgeEncrypted(w.d, w.flow, w.ts, w.packets);
		for (const rec of this.logRecords()) this.logRecord(rec);
	}

	// ---- AnalyzerSink: decoded network events ---------------------------------------------

	packet(meta: PacketMeta, slot: number, fromClient: boolean): void {
		const dest = this.flows.count(slot, meta.len, fromClient, meta.ts, meta.index);
		const app = this.analyzer.flowState(slot)?.app;
		const pkg = meta.app?.package ?? app?.package;
		if (pkg) this.apps.count(pkg, app?.uid ?? meta.app?.uid, dest, fromClient ? meta.len : 0, fromClient ? 0 : meta.len);
	}

	flowStart(slot: number): void {
		this.flows.start(slot);
	}

	dns(e: DnsEvent): void {
		const local = e.proto !== 'dns';
		for (const n of dnsNames(e)) {
			const d = this.dests.entry(n, e.ts, 'dns');
			if (local) d.local = true;
			addEvidence(d, e.index);
		}
		// The name the user asked for owns the addresses (CNAME chains resolve back to it).
		let owner: DestinationEntry | undefined;
		for (const a of e.answers) if ((a.type === 'A' || a.type === 'AAAA') && e.query) addIp((owner ??= this.dests.entry(e.query, e.ts, 'dns')), a.value);
		if (!e.response || this.emit) this.remember('net', e.ts, 'dns', `${e.response ? 'answer' : 'query'} ${e.query}${e.answers.length ? ` -> ${e.answers.map((a) => a.value).slice(0, 3).join(' ')}` : ''}`, e.index, !e.response);
		this.emit?.({type: 'dns', event: e});
	}

	tls(e: TlsEvent, flow: AnalyzerFlow): void {
		if (e.sni) {
			const d = this.dests.entry(e.sni, e.ts, 'sni');
			addIp(d, e.dst);
			this.noteVisit(flow, e.sni, undefined, e.ts);
			readingOf(d).tls++;
			// Being read with keys: judge it as an encrypted upload only if it ends unread.
			if (flow.tlsc) this.keyWait.wait({flow, d, ts: e.ts, packets: e.packets});
			else this.judgeEncrypted(d, flow, e.ts, e.packets);
		}
		this.remember('net', e.ts, 'tls', `TLS ${e.sni ?? '(no SNI)'}${e.ech ? ' ECH' : ''} ${e.dst}:${e.dport}`, e.index);
		this.emit?.({type: 'tls', event: e, ...this.newMark(e.sni)});
	}

	quic(e: QuicEvent, flow: AnalyzerFlow): void {
		if (e.sni) {
			const d = this.dests.entry(e.sni, e.ts, 'quic');
			addIp(d, e.dst);
			this.noteVisit(flow, e.sni, undefined, e.ts);
			this.judgeEncrypted(d, flow, e.ts, e.packets);
		}
		this.remember('net', e.ts, 'quic', `QUIC ${e.sni ?? '(no SNI)'} ${e.dst}:${e.dport}`, e.index);
		this.emit?.({type: 'quic', event: e, ...this.newMark(e.sni)});
	}

	http(e: HttpEvent, flow: AnalyzerFlow): void {
		const host = (e.host ?? e.dst).replace(/:\d+$/, '');
		const d = this.dests.entry(host, e.ts, 'http');
		addIp(d, e.dst);
		const cls = this.classify(d);
		const contentType = e.headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1];
		const findings = inspectPayload({body: e.body, path: e.path, contentType, headers: e.headers});
		d.seen = notePayload(d.seen, findings);
		const reading = readingOf(d);
		if (!e.tls) reading.plainHttp++;
		// Decrypted, yet the body is still opaque: the app encrypts inside TLS.
		else if (findings.opaque || (findings.encrypted && findings.urls.length === 0)) reading.appEncrypted++;
		this.noteVisit(flow, host, `${host}${e.path}`, e.ts, cls);
		const upload = {ts: e.ts, host, classification: cls, app: flow.app?.package, packets: e.packets, findings, bodyBytes: e.bodyBytes, path: e.path, tls: e.tls};
		// Two uploads to one host with the same summary but different endpoints are two findings.
		for (const f of judgeReadUpload(upload, this.incognito, this.visited)) this.raise(f, d, `${f.summary}\u0000${e.method} ${e.path}`);
		this.remember('net', e.ts, 'http', `${e.method} ${host}${e.path}${e.bodyBytes ? ` (${e.bodyBytes} B)` : ''}`, e.index);
		this.emit?.({type: 'http', event: e, host, ...this.newMark(liveEntry(d).host)});
	}

	problem(kind: string): void {
		this.problems(kind, 1);
	}

	/** A flow left the analyzer's table (over, or evicted): its totals go out now, not at the next tick. */
	flowEnd(slot: number): void {
		this.emitFlow(slot, this.now);
		const flow = this.analyzer.flowState(slot);
		const w = flow && this.keyWait.end(flow);
		if (w) this.judgeEncrypted(w.d, flow, w.ts, w.packets);
	}

	/** How reading a TLS connection went: counted per destination and for the session. */
	decryption(flow: AnalyzerFlow, note: DecryptionNote): void {
		const d = this.flows.noteTls(flow, note.state, this.now);
		this.tlsReading.count(d && readingOf(d), note);
		if (note.state === 'read') this.keyWait.read(flow);
		const what = note.state === 'read' ? 'decrypting' : note.state === 'no-keys' ? 'not decrypted (no keys)' : `decryption stopped: ${note.reason}`;
		this.remember('net', this.now, 'tls', `TLS ${flow.name ?? flow.server} ${what}`);
		this.emit?.({type: 'tls-read', ts: this.now, host: flow.name ?? flow.server, src: flow.client, sport: flow.cport, dst: flow.server, dport: flow.sport, state: note.state, reason: note.reason});
	}

	// ---- logcat -------------------------------------------------------------------------

	private logRecord(rec: LogRecord): void {
		const ts = rec.ts ?? this.now;
		if (rec.ts !== undefined && rec.ts > this.now) this.now = rec.ts;
		const {fact, rule} = this.recordFacts(rec);
		if (fact) this.androidFact(fact, rec, ts);
		if (rule) this.phone.observe(rule, ts, rec.index);
		if (rec.raw) this.problem('log-unparsed');
		// A launcher START line is an activity start and an incognito signal: the signal names it.
		const named = rule ?? fact;
		const kind = named?.kind;
		const signal = named && 'signal' in named ? named.signal : undefined;
		if (named || (rec.level && 'WEF'.includes(rec.level))) {
			this.remember('log', ts, kind ?? 'log', `${rec.tag ?? ''}: ${rec.message}`, rec.index);
		}
		// Lines without a time (banners, unparsed text) take the session's clock, once it has one.
		this.emit?.({type: 'log', record: rec, ts: rec.ts ?? (this.now > 0 ? this.now : null), app: this.phone.appOfPid(rec.pid), kind, signal});
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
		const rule = matchBrowserLogRule(this.opts.browserLogRules ?? [], rec, this.phone.appOfPid(rec.pid));
		return rule ? {fact, rule} : {fact};
	}

	private androidFact(fact: AndroidFact, rec: LogRecord, ts: number): void {
		this.phone.observe(fact, ts, rec.index);
		if (fact.kind !== 'upload-url') return;
		let host = '';
		try {
			host = new URL(fact.url).hostname;
		} catch {
			this.problem('bad-upload-url');
		}
		if (!host) return;
		const d = this.dests.entry(host, ts, 'http');
		// The app whose process logged the request: attribution by pid, so it counts among the
		// app's destinations (bytes stay with the flows that carried them).
		const app = this.phone.appOfPid(rec.pid);
		if (app) this.apps.count(app, this.processes.uidOf(app), d.ref, 0, 0);
	}

	// ---- helpers ------------------------------------------------------------------------

	private problems(kind: string, n: number): void {
		this.stats.problems[kind] = (this.stats.problems[kind] ?? 0) + n;
	}

	private remember(source: TimelineEntry['source'], ts: number, kind: string, text: string, index?: number, keep = true): void {
		if (keep) this.timeline.push({ts, kind, text, index, source});
	}

	private classify(d: DestinationEntry): Classification {
		return (d.cls ??= this.opts.classifier.match(d.host));
	}

	/** Records what the browser visited while in incognito, for url-leak matching later. */
	private noteVisit(flow: AnalyzerFlow, host: string, url: string | undefined, ts: number, cls?: Classification): void {
		if (!this.phone.visitInIncognito(flow.app?.package, ts)) return;
		const c = cls ?? this.opts.classifier.match(host);
		if (TRACKING_CATEGORIES.has(c.category)) return;
		this.visited.add(url ?? host, ts);
	}

	/** An encrypted connection to `d`: judged as an upload (only a tracker, only in incognito, raises). */
	private judgeEncrypted(d: DestinationEntry, flow: AnalyzerFlow, ts: number, packets: number[]): void {
		if (this.incognito.active(ts).length === 0) return;
		const upload = {ts, host: d.host, classification: this.classify(d), app: flow.app?.package, packets};
		for (const f of judgeEncryptedUpload(upload, this.incognito, this.visited)) this.raise(f, d);
	}

	private raise(f: Flag, d: DestinationEntry, match?: string): void {
		// Repeats fold into the first flag, with their evidence (FlagDeduper).
		if (!this.flags.add(f, match)) return;
		addIncognitoEvidence(f, this.incognito);
		d.flags++;
		this.timeline.push({ts: f.ts, kind: f.kind, text: `${f.severity.toUpperCase()} ${f.kind} ${f.host}: ${f.summary}`, index: f.evidence.packets[0], source: 'flag'});
		this.emit?.({type: 'flag', flag: f});
	}

	// ---- output -------------------------------------------------------------------------

	/**
	 * The whole state, shaped for the stores and the report. `screen` is the dashboard's flush:
	 * a destination's summary is reused while its inputs are unchanged (snapshot.ts), and the
	 * report's upload timeline is left out (no panel shows it, and it was a fifth of an unchanged
	 * snapshot's time). The sparklines' series are not in it: see `rates`.
	 */
	snapshot(opts: {screen?: boolean} = {}): SessionSnapshot {
		this.dests.foldNamedAddresses((ip) => this.analyzer.nameOf(ip));
		const uploading: DestinationEntry[] = [];
		if (!opts.screen) for (const d of this.dests.entries()) if (d.uploads >= 0) uploading.push(d);
		const stats = {...this.stats, problems: {...this.stats.problems}};
		if (this.analyzer.flowsEvicted > 0) stats.problems['flows-evicted'] = this.analyzer.flowsEvicted;
		else delete stats.problems['flows-evicted'];
		if (this.dests.evictedTotals.destinations > 0) stats.evicted = {...this.dests.evictedTotals};
		const waitingDropped = this.analyzer.waitBudget.droppedRecords;
		if (waitingDropped > 0) stats.problems['tls-records-dropped-waiting-keys'] = waitingDropped;
		return sessionSnapshot({
			stats,
			destinations: this.dests.entries(),
			classify: (d) => this.classify(d),
			ipInfo: this.ipInfo,
			isNew: this.baseline ? (d) => this.isNewHost(d.host) : undefined,
			reuse: opts.screen,
			flags: this.flags.list(),
			apps: this.apps.entries(),
			timeline: this.timeline.toArray(),
			sources: [...this.sources.values()],
			device: this.device,
			input: this.input,
			incognito: this.incognito.active(),
			incognitoSignals: this.incognito.signals(),
			tls: this.tlsReading.summary(waitingDropped),
			// Copies: an open window's end is set in place later, and a snapshot must not change under the stores.
			incognitoWindows: this.incognito.intervals().map((w) => ({...w})),
			uploads: opts.screen ? undefined : this.dests.uploadGrid.timeline(uploading),
		});
	}

	/**
	 * The sparklines' look-up for a snapshot taken now: a destination's bytes out per second
	 * ending at the session clock's second, read from its ring when first asked and then kept,
	 * so the rows visible at a flush show the series of that moment however often the view is
	 * drawn. Only the rows on screen ask (~30 of thousands); a host no longer in the table
	 * gives an empty series.
	 */
	rates(): RateLookup {
		const nowSec = Math.floor(this.now);
		const asked = new Map<string, readonly number[]>();
		return (host) => {
			let series = asked.get(host);
			if (series === undefined) {
				series = this.dests.rateSeries(host, nowSec) ?? NO_SERIES;
				asked.set(host, series);
			}
			return series;
		};
	}
}
