/**
 * Command-line parsing: pure, no I/O. The contract is DESIGN.md "Command line".
 * node:util parseArgs splits argv into tokens; this file says what each option means.
 * Wrong arguments throw UsageError; cli.tsx prints its one line and exits 2.
 *
 * Over 300 lines because the --help text lives beside the options it describes, so the two change together.
 */
import {isIP} from 'node:net';
import {parseArgs as tokenize} from 'node:util';

export class UsageError extends Error {}

type Command = 'auto' | 'live' | 'replay' | 'help' | 'version';

export type CliOptions = {
	command: Command;
	/** replay: bundle folder or .pcap/.pcapng file. */
	path?: string;
	logcat?: string;
	keylog?: string;
	/** Undefined: the CLI picks (recorded pace on a dashboard, max when headless). */
	speed?: number | 'max';
	from?: number;
	to?: number;
	serial?: string;
	pcap?: string;
	/** Who may feed a udp:// or tcp-listen:// listener (--pcap-from); empty: the first sender only. */
	pcapFrom: string[];
	noPcap: boolean;
	record?: string;
	pcapdroid: boolean;
	json: boolean;
	report: string[];
	rules: string[];
	blocklist: string[];
	color: boolean;
	ascii: boolean;
	failOn: string[];
	refreshMs: number;
	maxBody: number;
	logYear?: number;
	logZone?: string;
	/** Incognito windows given by hand (--incognito [PKG=]FROM..TO). */
	incognito: IncognitoWindow[];
	quiet: boolean;
	/** An earlier run (bundle, capture or JSON report): destinations not in it are marked new. */
	baseline?: string;
};

/** A span of time a browser was in incognito mode, as the user states it. */
type IncognitoWindow = {pkg?: string; from: number; to: number};

const FLAG_KINDS = ['incognito-tracker', 'incognito-url-leak', 'url-leak', 'cleartext-identifier'] as const;

/** Default body bytes kept per HTTP request for payload inspection (64 KiB: issue 2). */
export const DEFAULT_MAX_BODY = 64 * 1024;
/** Flush period of the ingest clock: 250 ms keeps the screen at ~4 updates/s (STYLE.md rule 2). */
const DEFAULT_REFRESH_MS = 250;

export const HELP = `tattle: watch what an Android phone tells the world

Usage:
  tattle                      live if an adb device is attached, else replay the demo bundle
  tattle live   [options]     watch a tethered phone (adb logcat + packets)
  tattle replay [PATH] [opts] replay a capture bundle folder or a .pcap/.pcapng file
  tattle diff A B [opts]      what changed between two runs (README "Comparing runs")
  tattle export --out DIR PATH...
                              many sessions as tables for DuckDB (README "Many sessions")
  tattle --help | --version

Live options:
  --serial S           device serial (default: $ANDROID_SERIAL, the only device, or ask)
  --pcap SRC           packet source: adb (default: tcpdump on the phone), - (stdin), FILE,
                       follow:FILE, tcp://HOST:PORT, tcp-listen://HOST:PORT, udp://HOST:PORT,
                       http://HOST:PORT/PATH (PCAPdroid exporters)
  --pcap-from ADDR[,ADDR]
                       a udp:// or tcp-listen:// listener takes packets only from these
                       addresses (default: from the first sender only); others are dropped
  --no-pcap            logcat only
  --record DIR         write a capture bundle to DIR while watching (refuses to overwrite)
  --pcapdroid          start PCAPdroid's capture on the phone through its am-start API

Replay options:
  PATH                 bundle folder, or .pcap/.pcapng file (optional when --logcat is given)
  --logcat FILE        logcat text to replay with (or without) the capture
  --log-year YYYY      year for logcat formats without one (threadtime)
  --log-zone ZONE      time zone of such logcat lines (IANA name or +HH:MM; default UTC)
  --speed N|max        1 = recorded pace (default on a terminal), 10 = ten times, max = no pacing
  --from T, --to T     replay only this window (epoch seconds or ISO 8601 time)

Diff options (diff is the first word):
  A, B                 the reference run and the run compared with it: capture bundles,
                       .pcap/.pcapng files (replayed at full speed) or tattle JSON reports
  --json, --md         the diff as JSON or Markdown on stdout (default: text)
  --fail-on KIND       exit 3 if the diff shows this (comma-separated, repeatable, or "any");
                       kinds: new-destination, identifier, new-flag. new-destination: B talks
                       to a host A never did; identifier: a device identifier sent in both
                       runs; new-flag: B raised a flag of a kind at a host where A raised none
  --rules FILE, --blocklist FILE, --max-body BYTES   as below, for the runs replayed

Export options (export is the first word):
  --out DIR            new or empty folder for the tables: sessions, destinations, flows,
                       contacts, flags, log_facts, incognito (one .ndjson file each),
                       load.sql (cd DIR && duckdb sessions.duckdb < load.sql) and
                       clickhouse.sql (the same tables for ClickHouse); docs/schema.md
  PATH...              capture bundles, .pcap/.pcapng files (replayed at full speed) or
                       tattle JSON reports (sessions, destinations and flags only); one session each
  --rules FILE, --blocklist FILE, -q   as below

Common options:
  --incognito [PKG=]FROM..TO
                       the browser (PKG, or whichever is in front) was in incognito mode
                       from FROM to TO (repeatable; epoch seconds or ISO 8601; live --record
                       writes them into the bundle's markers)
  --json               NDJSON events on stdout, no dashboard
  --report FILE        write the session report at the end: .json, .md, .csv or .html
                       (one self-contained page: timeline, flags with their evidence and
                       Wireshark filters, charts; loads nothing) (repeatable)
  --rules FILE         more destination rules (JSON, same format as the bundled ones)
  --blocklist FILE     hosts file or adblock list; listed hosts are categorised as trackers
  --keylog FILE|follow:FILE
                       TLS key log (NSS SSLKEYLOGFILE format) to decrypt what the phone sends
                       (TLS 1.2/1.3 AEAD suites, HTTP/1.1 and HTTP/2); follow: a log still being
                       written. pcapng Decryption Secrets Blocks are used without it
  --baseline B         an earlier run to compare with (a capture bundle, a .pcap/.pcapng file
                       or a tattle JSON report): destinations it never saw are marked new on
                       the dashboard, and carry new: true in --json events and the report
  --fail-on KIND       exit 3 if a flag of this kind was raised (repeatable; or "any")
                       kinds: ${FLAG_KINDS.join(', ')}
  --max-body BYTES     HTTP body bytes kept per request for inspection (default ${DEFAULT_MAX_BODY})
  --refresh MS         dashboard refresh period (default ${DEFAULT_REFRESH_MS})
  --no-color           no colour (also when NO_COLOR is set)
  --ascii              ASCII only: no box drawing or symbols
  -q, --quiet          no progress line on stderr
  -h, --help           this help
  -V, --version        print the version

Exit codes: 0 ok (also when a damaged capture was read up to the damage), 2 usage error or
nothing readable (export: an input skipped), 3 a --fail-on flag was raised (diff: a --fail-on kind was met).
Keys in the dashboard: press ? for the full list.`;

/** Every option, as node:util parseArgs declares them (string = takes a value). */
const OPTIONS = {
	help: {type: 'boolean', short: 'h'},
	version: {type: 'boolean', short: 'V'},
	quiet: {type: 'boolean', short: 'q'},
	logcat: {type: 'string'},
	keylog: {type: 'string'},
	speed: {type: 'string'},
	from: {type: 'string'},
	to: {type: 'string'},
	serial: {type: 'string'},
	pcap: {type: 'string'},
	'no-pcap': {type: 'boolean'},
	'pcap-from': {type: 'string'},
	record: {type: 'string'},
	pcapdroid: {type: 'boolean'},
	json: {type: 'boolean'},
	report: {type: 'string'},
	rules: {type: 'string'},
	blocklist: {type: 'string'},
	'fail-on': {type: 'string'},
	refresh: {type: 'string'},
	'max-body': {type: 'string'},
	'log-year': {type: 'string'},
	'log-zone': {type: 'string'},
	incognito: {type: 'string'},
	'no-color': {type: 'boolean'},
	ascii: {type: 'boolean'},
	baseline: {type: 'string'},
} as const;

type OptionName = keyof typeof OPTIONS;

const LIVE_ONLY = ['--serial', '--pcap', '--pcap-from', '--no-pcap', '--record', '--pcapdroid'];
const REPLAY_ONLY = ['--speed', '--from', '--to', '--log-year', '--log-zone', '--logcat'];

/** Parses a time given as epoch seconds or an ISO 8601 date. */
function parseTime(value: string, option: string): number {
	if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
	const ms = Date.parse(value);
	if (Number.isNaN(ms)) throw new UsageError(`${option}: not a time: ${value} (use epoch seconds or ISO 8601)`);
	return ms / 1000;
}

function positiveInt(value: string, option: string): number {
	const n = Number(value);
	if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${option}: expected a positive integer, got ${value}`);
	return n;
}

function speed(value: string): number | 'max' {
	const n = Number(value);
	if (value !== 'max' && (!Number.isFinite(n) || n <= 0)) throw new UsageError(`--speed: expected a positive number or max, got ${value}`);
	return value === 'max' ? 'max' : n;
}

function reportFile(value: string): string {
	if (!/\.(json|md|csv|html)$/i.test(value)) throw new UsageError(`--report: file must end in .json, .md, .csv or .html: ${value}`);
	return value;
}

/** `--pcap-from ADDR[,ADDR]`: IPv4 or IPv6 addresses (brackets allowed), no names: a name could resolve to anyone. */
function addresses(value: string): string[] {
	const list = value.split(',').map((a) => a.trim().replace(/^\[(.*)\]$/, '$1'));
	const bad = list.find((a) => isIP(a) === 0);
	if (bad !== undefined) throw new UsageError(`--pcap-from: not an IP address: ${bad || '(empty)'} (give addresses, e.g. 192.168.1.23,fe80::1)`);
	return list;
}

function flagKinds(value: string): string[] {
	const unknown = value.split(',').find((kind) => kind !== 'any' && !(FLAG_KINDS as readonly string[]).includes(kind));
	if (unknown !== undefined) throw new UsageError(`--fail-on: unknown flag kind ${unknown} (one of ${FLAG_KINDS.join(', ')}, any)`);
	return value.split(',');
}

function logZone(value: string): string {
	if (!/^([+-]\d{2}:?\d{2}|Z|UTC|[A-Za-z_]+(\/[A-Za-z_+-]+)*)$/.test(value)) throw new UsageError(`--log-zone: not a zone: ${value}`);
	return value;
}

function incognitoWindow(value: string): IncognitoWindow {
	const m = /^(?:([\w.]+)=)?(.+?)\.\.(.+)$/.exec(value);
	if (!m) throw new UsageError(`--incognito: expected [PKG=]FROM..TO, got ${value}`);
	const from = parseTime(m[2]!, '--incognito');
	const to = parseTime(m[3]!, '--incognito');
	if (to < from) throw new UsageError(`--incognito: ${m[3]} is before ${m[2]}`);
	return {pkg: m[1], from, to};
}

/** What each option does (help and version end the parse where they stand, in parseArgs below). */
const APPLY: Record<Exclude<OptionName, 'help' | 'version'>, (o: CliOptions, value: string) => void> = {
	quiet: (o) => (o.quiet = true),
	logcat: (o, v) => (o.logcat = v),
	keylog: (o, v) => (o.keylog = v),
	speed: (o, v) => (o.speed = speed(v)),
	from: (o, v) => (o.from = parseTime(v, '--from')),
	to: (o, v) => (o.to = parseTime(v, '--to')),
	serial: (o, v) => (o.serial = v),
	pcap: (o, v) => (o.pcap = v),
	'no-pcap': (o) => (o.noPcap = true),
	'pcap-from': (o, v) => o.pcapFrom.push(...addresses(v)),
	record: (o, v) => (o.record = v),
	pcapdroid: (o) => (o.pcapdroid = true),
	json: (o) => (o.json = true),
	report: (o, v) => o.report.push(reportFile(v)),
	rules: (o, v) => o.rules.push(v),
	blocklist: (o, v) => o.blocklist.push(v),
	'fail-on': (o, v) => o.failOn.push(...flagKinds(v)),
	refresh: (o, v) => (o.refreshMs = positiveInt(v, '--refresh')),
	'max-body': (o, v) => (o.maxBody = positiveInt(v, '--max-body')),
	'log-year': (o, v) => (o.logYear = positiveInt(v, '--log-year')),
	'log-zone': (o, v) => (o.logZone = logZone(v)),
	incognito: (o, v) => o.incognito.push(incognitoWindow(v)),
	'no-color': (o) => (o.color = false),
	ascii: (o) => (o.ascii = true),
	baseline: (o, v) => (o.baseline = v),
};

function defaults(env: Record<string, string | undefined>): CliOptions {
	return {
		command: 'auto',
		noPcap: false,
		pcapFrom: [],
		pcapdroid: false,
		json: false,
		report: [],
		rules: [],
		blocklist: [],
		color: !('NO_COLOR' in env) || env.NO_COLOR === '',
		ascii: false,
		failOn: [],
		refreshMs: DEFAULT_REFRESH_MS,
		maxBody: DEFAULT_MAX_BODY,
		incognito: [],
		quiet: false,
	};
}

/** Parses argv (without node and script). Throws UsageError on anything wrong. */
export function parseArgs(argv: readonly string[], env: Record<string, string | undefined> = {}): CliOptions {
	const opts = defaults(env);
	const seen = new Set<string>();
	const positional: string[] = [];
	// Not strict: parseArgs only tokenizes (values, `--x=v`, -q). The checks run here, in argument order,
	// so the first wrong argument is the one reported and --help wins over anything after it.
	const {tokens} = tokenize({args: [...argv], options: OPTIONS, strict: false, allowPositionals: true, tokens: true});
	for (const t of tokens) {
		if (t.kind === 'positional') {
			positional.push(t.value);
			continue;
		}
		const word = argv[t.index]!;
		// `-qh` is one unknown word here, not two options; `--` is not an end of options.
		if (t.kind === 'option-terminator' || (!word.startsWith('--') && word !== t.rawName)) throw new UsageError(`unknown option ${word} (see tattle --help)`);
		const known = Object.hasOwn(OPTIONS, t.name) ? (t.name as OptionName) : undefined;
		const option = word.startsWith('--') && word.includes('=') ? word.slice(0, word.indexOf('=')) : t.rawName;
		if (known && OPTIONS[known].type === 'string' && t.value === undefined) throw new UsageError(`${option} needs a value`);
		if ((!known || OPTIONS[known].type === 'boolean') && option !== word) throw new UsageError(`${option} takes no value`);
		if (!known) throw new UsageError(`unknown option ${option} (see tattle --help)`);
		seen.add(t.rawName);
		if (known === 'help' || known === 'version') return {...opts, command: known};
		APPLY[known](opts, t.value ?? '');
	}
	if (positional[0] === 'live' || positional[0] === 'replay') {
		opts.command = positional.shift() as Command;
	} else if (positional.length > 0) {
		throw new UsageError(`unknown command ${positional[0]} (expected live or replay; see tattle --help)`);
	}
	if (opts.command === 'replay') {
		if (positional.length > 1) throw new UsageError(`replay takes one PATH, got ${positional.length}`);
		opts.path = positional[0];
		if (!opts.path && !opts.logcat) throw new UsageError('replay needs a PATH or --logcat FILE');
		for (const o of LIVE_ONLY) if (seen.has(o)) throw new UsageError(`${o} is for tattle live, not replay`);
	} else if (positional.length > 0) {
		throw new UsageError(`unexpected argument ${positional[0]}`);
	}
	if (opts.command === 'live') {
		for (const o of REPLAY_ONLY) if (seen.has(o)) throw new UsageError(`${o} is for tattle replay, not live`);
		if (opts.noPcap && opts.pcap) throw new UsageError('--pcap and --no-pcap contradict each other');
		// Only a listener has senders to choose from; tcp:// and http:// pick their peer by address already.
		if (opts.pcapFrom.length > 0 && !opts.pcapdroid && !/^(udp|tcp-listen):\/\//.test(opts.pcap ?? '')) {
			throw new UsageError('--pcap-from needs a listener: --pcap udp://HOST:PORT or tcp-listen://HOST:PORT (or --pcapdroid)');
		}
	}
	if (opts.from !== undefined && opts.to !== undefined && opts.to < opts.from) throw new UsageError('--to is before --from');
	return opts;
}
