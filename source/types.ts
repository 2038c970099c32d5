/**
 * Shared types: the contracts between pipeline layers.
 * sources -> decode -> classify -> ingest -> stores -> ui/report.
 * Every layer may import this file; it imports nothing.
 *
 * Over 300 lines because the contract between layers is kept in one file every layer may import;
 * it holds types only.
 */

/** One captured frame as a source hands it over. Parses no protocol. */
export type RawPacket = {
	/** Capture time, epoch seconds (float). */
	ts: number;
	/** LINKTYPE_* value of the interface the frame came from. */
	linkType: number;
	/** Captured bytes (may be shorter than origLen when snaplen cut it). */
	data: Uint8Array;
	/** Original length on the wire. */
	origLen: number;
	/** Interface index (pcapng IDB order; 0 for pcap). */
	iface: number;
	/** 1-based frame number, as Wireshark numbers frames. */
	index: number;
	/** pcapng EPB comments or PCAPdroid metadata, when present. */
	comment?: string;
	/** App metadata attached by the capture (PCAPdroid trailer / pcapng UID map). */
	app?: {uid?: number; package?: string};
};

/** One line of logcat text as a source hands it over. */
export type LogLine = {
	/** Absolute time when the source knows it (e.g. the bundle's clock). */
	ts?: number;
	text: string;
	/** 1-based line number in its file/stream. */
	index: number;
};

export type SourceState = 'starting' | 'live' | 'stalled' | 'down' | 'eof';

/** Status report from a source; sources report, they do not throw at the pipeline. */
export type SourceStatus = {
	source: string;
	state: SourceState;
	detail?: string;
	ts: number;
	/** Reconnect attempts so far in an outage (live adb streams); absent when not retrying. */
	retry?: number;
};

/** Layer 3/4 facts of one packet, from decode/packet.ts. */
export type PacketMeta = {
	index: number;
	ts: number;
	/** Original wire length (frame.len). */
	len: number;
	/** 4 or 6; 0 when the frame carried no IP. */
	ipVersion: 0 | 4 | 6;
	src: string;
	dst: string;
	/** IP protocol number (6 TCP, 17 UDP, ...); -1 when no IP. */
	proto: number;
	sport: number;
	dport: number;
	/** Transport payload (TCP/UDP data), a view into the frame; empty when none. */
	payload: Uint8Array;
	/** TCP flags byte (0 for non-TCP). */
	tcpFlags: number;
	/** TCP sequence number (0 for non-TCP). */
	tcpSeq: number;
	/** True when this IP packet is a non-first fragment or has more fragments (not reassembled). */
	fragment: boolean;
	app?: {uid?: number; package?: string};
	/** Set when IP decoded but the transport header was cut short or bogus (payload is then empty). */
	problem?: DecodeProblem;
};

/** Why a packet could not be decoded further; counted, never fatal. */
export type DecodeProblem =
	| 'unknown-linktype'
	| 'truncated'
	| 'bad-ip'
	| 'not-ip'
	| 'bad-transport';

export type DnsAnswer = {name: string; type: string; value: string; ttl?: number};

/** How a destination got its name. */
export type NameVia = 'dns' | 'sni' | 'http' | 'quic';

export type DnsEvent = {
	type: 'dns';
	ts: number;
	index: number;
	/** dns, mdns or llmnr (local discovery). */
	proto: 'dns' | 'mdns' | 'llmnr';
	response: boolean;
	query: string;
	qtype: number;
	/** Every question when the message has more than one (mDNS often does); `query` is the first. */
	questions?: Array<{name: string; qtype: number}>;
	answers: DnsAnswer[];
	client: string;
	server: string;
	/** Names in this message that could not be fully decoded. */
	malformed?: boolean;
};

export type TlsEvent = {
	type: 'tls';
	ts: number;
	index: number;
	/** Packet indices that carried the ClientHello (several when reassembled). */
	packets: number[];
	sni?: string;
	alpn: string[];
	ech: boolean;
	src: string;
	sport: number;
	dst: string;
	dport: number;
};

export type QuicEvent = {
	type: 'quic';
	ts: number;
	index: number;
	packets: number[];
	sni?: string;
	alpn: string[];
	/** QUIC version as hex, e.g. "0x00000001". */
	version: string;
	src: string;
	sport: number;
	dst: string;
	dport: number;
};

export type HttpEvent = {
	type: 'http';
	ts: number;
	index: number;
	packets: number[];
	method: string;
	host?: string;
	path: string;
	version: string;
	headers: Array<[string, string]>;
	/** First bytes of the body (capped), for payload inspection. */
	body: Uint8Array;
	/** Body length announced by Content-Length (or bytes seen when absent). */
	bodyBytes: number;
	/** True when decrypted from TLS (keylog). */
	tls: boolean;
	/** The application protocol it was read as on a decrypted connection ('h2', 'http/1.1'). */
	alpn?: string;
	src: string;
	sport: number;
	dst: string;
	dport: number;
};

export type LogLevel = 'V' | 'D' | 'I' | 'W' | 'E' | 'F' | 'S' | 'A';

/** One parsed logcat record. Strings are raw (unsanitised); the display layer neutralises them. */
export type LogRecord = {
	type: 'log';
	/** Epoch seconds when known. */
	ts?: number;
	index: number;
	pid?: number;
	tid?: number;
	uid?: number | string;
	level?: LogLevel;
	tag?: string;
	message: string;
	/** Set for `--------- beginning of X` lines. */
	buffer?: string;
	/** True when the line was not a log record (kept as raw text). */
	raw?: boolean;
};

/** Typed Android facts extracted from log records (decode/android.ts). */
export type AndroidFact =
	| {kind: 'activity-start'; pkg: string; activity?: string; user?: number; callerUid?: number}
	| {kind: 'activity-displayed'; pkg: string; activity?: string; ms?: number}
	| {kind: 'proc-start'; pid: number; process: string; pkg: string; uid?: number | string; hostingType?: string}
	| {kind: 'proc-died'; pid?: number; process?: string; pkg?: string}
	| {kind: 'upload-url'; url: string}
	| {kind: 'incognito-on'; pkg: string; detail?: string; signal?: IncognitoSignal}
	| {kind: 'incognito-off'; pkg: string; detail?: string; signal?: IncognitoSignal};

/**
 * The kind of signal that set a browser's incognito state (DESIGN.md "Incognito flags"): the
 * probe of `dumpsys notification` (a private-tabs notification), a line the browser logged, a
 * secure (FLAG_SECURE) browser window in front (`dumpsys window`), or the user's own marker (the
 * `i` key, `tattle.marker` lines, --incognito, a bundle's markers).
 */
export type IncognitoSignal = 'notification' | 'log' | 'secure-window' | 'marker';

export type Severity = 'info' | 'low' | 'medium' | 'high';

export type FlagKind = 'incognito-tracker' | 'incognito-url-leak' | 'url-leak' | 'cleartext-identifier';

export type Flag = {
	kind: FlagKind;
	severity: Severity;
	ts: number;
	app?: string;
	host: string;
	summary: string;
	/** Occurrences folded into this flag (repeats within the dedupe window); absent means 1. */
	count?: number;
	evidence: {
		packets: number[];
		logLines: number[];
		excerpt?: string;
		payload?: 'plain' | 'decoded' | 'encrypted';
		/** The payload was read from TLS decrypted with the session's keys. */
		decrypted?: boolean;
		rule?: string;
		/** The app in the foreground at the time (timing evidence from logcat, not attribution). */
		foreground?: string;
		/** The kind of signal that put the browser in incognito mode, for incognito flags. */
		incognitoSignal?: IncognitoSignal;
	};
};

export type Category =
	| 'analytics'
	| 'advertising'
	| 'attribution'
	| 'crash-report'
	| 'push'
	| 'update'
	| 'config'
	| 'cloud'
	| 'account'
	| 'app-store'
	| 'browsing-data'
	| 'browser-service'
	| 'security-scan'
	| 'feedback'
	| 'content'
	| 'first-party'
	| 'tracker'
	| 'local'
	| 'other'
	| 'unknown';

/** What the classifier knows about a host or IP (rules + offline look-ups). */
export type Classification = {
	owner?: string;
	category: Category;
	/** Host pattern of the rule that matched, and where the rule came from. */
	rule?: string;
	ruleSource?: string;
	note?: string;
	/** Registrable domain (eTLD+1) for grouping unknowns. */
	domain?: string;
};

export type IpInfo = {
	/** ISO country code; undefined when unknown. */
	country?: string;
	asn?: number;
	asOrg?: string;
	/** public, private, loopback, link-local, multicast, reserved. */
	scope: 'public' | 'private' | 'loopback' | 'link-local' | 'multicast' | 'reserved';
};

/** One destination row: the report's destination object plus a few UI facts. */
export type DestinationSummary = {
	host: string;
	ips: string[];
	owner?: string;
	category: Category;
	country?: string;
	asn?: number;
	asOrg?: string;
	/** Apps that sent to it, by capture metadata (PCAPdroid): attribution. */
	apps: string[];
	/** Apps in the foreground (logcat) when its connections opened: timing evidence only, never attribution. */
	foreground?: string[];
	packets: number;
	bytesOut: number;
	bytesIn: number;
	firstTs: number;
	lastTs: number;
	via: NameVia[];
	/** Local discovery names (mDNS/LLMNR). */
	local?: boolean;
	rule?: string;
	ruleSource?: string;
	note?: string;
	/** Packet indices that named or used this destination (first few, capped). */
	evidencePackets: number[];
	/** Flags raised against this destination. */
	flags: number;
	/** What of its payload could be read (see payloadReading in ingest/snapshot.ts). */
	payload?: 'read' | 'partly-read' | 'encrypted' | 'app-encrypted' | 'cleartext';
	/** Its TLS connections and how many were decrypted; `note` is why one could not be. */
	tls?: {connections: number; read: number; noKeys: number; stopped: number; appEncrypted: number; note?: string};
	/** Decoded field keys its readable uploads carried (array positions dropped), sorted, capped. */
	fields?: string[];
	/** Device identifiers its readable uploads carried (kind as in classify/identifiers.ts). */
	identifiers?: Array<{kind: string; value: string; key?: string}>;
	/** Not seen in the --baseline run; absent without a baseline. */
	new?: boolean;
};

export type CategorySummary = {category: Category; destinations: number; packets: number; bytesOut: number; bytesIn: number};

export type AppSummary = {package: string; uid?: number | string; destinations: number; bytesOut: number; bytesIn: number};

export type SessionStats = {
	packets: number;
	bytes: number;
	logLines: number;
	malformed: number;
	dropped: number;
	firstTs?: number;
	lastTs?: number;
	/** Counters by problem kind (unknown link types, truncated frames, evicted flows...). */
	problems: Record<string, number>;
	/**
	 * Destinations dropped from the full destination table, with their packets and bytes (and
	 * those their flows carried after): absent when none was. The destinations plus these add up.
	 */
	evicted?: {destinations: number; packets: number; bytesOut: number; bytesIn: number};
};

/** One line of the timeline tail (log and network events), already summarised. */
export type TimelineEntry = {ts: number; kind: string; text: string; index?: number; source: 'net' | 'log' | 'flag' | 'source' | 'marker'};

export type SourceInfo = {source: string; state: SourceState; detail?: string; rate?: number; since?: number; /** Reconnect attempts in the current outage. */ retry?: number};

/** Everything ingest hands to the stores and the report at a flush. */
/**
 * A destination's bytes out per second for the sparkline, oldest first, ending at the second of
 * the snapshot it came with (empty for a host it does not know); asked again for a host, it gives
 * the same series (the first answer is kept). The summaries carry no series: most of thousands
 * move every second, and only the visible rows show one, so the dashboard's flush hands the
 * stores this look-up beside the snapshot.
 */
export type RateLookup = (host: string) => readonly number[];

export type SessionSnapshot = {
	stats: SessionStats;
	destinations: DestinationSummary[];
	categories: CategorySummary[];
	flags: Flag[];
	apps: AppSummary[];
	timeline: TimelineEntry[];
	sources: SourceInfo[];
	device?: {serial?: string; model?: string; manufacturer?: string; android?: string; timeZone?: string};
	/** The replayed file or bundle, when replaying. */
	input?: {path?: string; logcat?: string; position?: number; speed?: number | 'max'; paused?: boolean};
	/** Packages the incognito state machine currently believes are in incognito mode. */
	incognito: string[];
	/** For each package in `incognito`, the kind of signal that set its state. */
	incognitoSignals?: Record<string, IncognitoSignal>;
	/** TLS decryption: keys seen and connections read (present when keys could come). */
	tls?: TlsSummary;
	/** Every incognito window kept (capped per package), oldest first: the report's timeline shades them. */
	incognitoWindows?: IncognitoWindow[];
	/** Bytes sent over time for the chosen destinations (ingest/upload-timeline.ts); absent before any upload. */
	uploads?: UploadTimeline;
};

/** One incognito period of a browser package; `end` is absent while it lasts. */
type IncognitoWindow = {
	pkg: string;
	start: number;
	end?: number;
	/** The kind of signal that opened it. */
	signal: IncognitoSignal;
	/** What ended it: a signal, or the browser's process dying. */
	endedBy?: IncognitoSignal | 'proc-died';
	/** Log line that opened it. */
	logLine?: number;
};

/** Bytes out per time bucket for a few destinations, on one grid: bucket i starts at start + i * bucketSeconds. */
export type UploadTimeline = {start: number; bucketSeconds: number; rows: Array<{host: string; bytesOut: number[]}>};

/** What the key log and DSBs gave, and what came of it. */
type TlsSummary = {
	keyLogLines: number;
	badKeyLogLines: number;
	badKeyLogSamples: string[];
	secretsBlocks: number;
	connectionsKeyed: number;
	read: number;
	noKeys: number;
	stopped: number;
	/** Why connections could not be read, with counts. */
	reasons: Record<string, number>;
	waitingDropped: number;
};

/** A connection's endpoints as the phone opened it (NDJSON `src`/`sport`/`dst`/`dport`). */
type FlowEnds = {src: string; sport: number; dst: string; dport: number};

/**
 * What a session tells as it goes (--json), typed: report/ndjson.ts shapes each into one NDJSON
 * object. Decoded events travel as they are; the shaping (nulls, base64 bodies, protocol words)
 * happens there, so ingest builds nothing when nobody listens.
 */
export type SessionEvent =
	| ({type: 'flow'; ts: number; firstTs: number; host: string; proto: number; packets: number; bytesOut: number; bytesIn: number; app?: string; tls?: 'read' | 'no-keys' | 'stopped'; new?: true} & FlowEnds)
	| {type: 'dns'; event: DnsEvent}
	| {type: 'tls'; event: TlsEvent; new?: true}
	| {type: 'quic'; event: QuicEvent; new?: true}
	| {type: 'http'; event: HttpEvent; host: string; new?: true}
	| ({type: 'tls-read'; ts: number; host: string; state: 'read' | 'no-keys' | 'stopped'; reason?: string} & FlowEnds)
	| {type: 'log'; record: LogRecord; ts: number | null; app?: string; kind?: string; signal?: string}
	| {type: 'flag'; flag: Flag}
	| {type: 'source'; status: SourceStatus}
	| {type: 'marker'; ts: number; text: string};
