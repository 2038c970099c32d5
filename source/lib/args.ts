/**
 * Command-line parsing: pure, no I/O. The contract is DESIGN.md "Command line".
 * Wrong arguments throw UsageError; cli.tsx prints its one line and exits 2.
 */

export class UsageError extends Error {}

export type Command = 'auto' | 'live' | 'replay' | 'help' | 'version';

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
};

/** A span of time a browser was in incognito mode, as the user states it. */
export type IncognitoWindow = {pkg?: string; from: number; to: number};

export const FLAG_KINDS = ['incognito-tracker', 'incognito-url-leak', 'url-leak', 'cleartext-identifier'] as const;

/** Default body bytes kept per HTTP request for payload inspection (64 KiB: issue 2). */
export const DEFAULT_MAX_BODY = 64 * 1024;
/** Flush period of the ingest clock: 250 ms keeps the screen at ~4 updates/s (STYLE.md rule 2). */
export const DEFAULT_REFRESH_MS = 250;

export const HELP = `tattle: watch what an Android phone tells the world

Usage:
  tattle                      live if an adb device is attached, else replay the demo bundle
  tattle live   [options]     watch a tethered phone (adb logcat + packets)
  tattle replay [PATH] [opts] replay a capture bundle folder or a .pcap/.pcapng file
  tattle --help | --version

Live options:
  --serial S           device serial (default: $ANDROID_SERIAL, the only device, or ask)
  --pcap SRC           packet source: adb (default: tcpdump on the phone), - (stdin), FILE,
                       follow:FILE, tcp://HOST:PORT, tcp-listen://HOST:PORT, udp://HOST:PORT,
                       http://HOST:PORT/PATH (PCAPdroid exporters)
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

Common options:
  --incognito [PKG=]FROM..TO
                       the browser (PKG, or whichever is in front) was in incognito mode
                       from FROM to TO (repeatable; epoch seconds or ISO 8601; live --record
                       writes them into the bundle's markers)
  --json               NDJSON events on stdout, no dashboard
  --report FILE        write the session report at the end: .json, .md or .csv (repeatable)
  --rules FILE         more destination rules (JSON, same format as the bundled ones)
  --blocklist FILE     hosts file or adblock list; listed hosts are categorised as trackers
  --keylog FILE|follow:FILE
                       TLS key log (NSS SSLKEYLOGFILE format) to decrypt what the phone sends
                       (TLS 1.2/1.3 AEAD suites, HTTP/1.1 and HTTP/2); follow: a log still being
                       written. pcapng Decryption Secrets Blocks are used without it
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
nothing readable, 3 a --fail-on flag was raised.
Keys in the dashboard: press ? for the full list.`;

const VALUE_OPTIONS = new Set([
	'--logcat',
	'--keylog',
	'--speed',
	'--from',
	'--to',
	'--serial',
	'--pcap',
	'--record',
	'--report',
	'--rules',
	'--blocklist',
	'--fail-on',
	'--refresh',
	'--max-body',
	'--log-year',
	'--log-zone',
	'--incognito',
]);

const LIVE_ONLY = new Set(['--serial', '--pcap', '--no-pcap', '--record', '--pcapdroid']);
const REPLAY_ONLY = new Set(['--speed', '--from', '--to', '--log-year', '--log-zone', '--logcat']);

/** Parses a time given as epoch seconds or an ISO 8601 date. */
export function parseTime(value: string, option: string): number {
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

/** Parses argv (without node and script). Throws UsageError on anything wrong. */
export function parseArgs(argv: readonly string[], env: Record<string, string | undefined> = {}): CliOptions {
	const opts: CliOptions = {
		command: 'auto',
		noPcap: false,
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
	const seen = new Set<string>();
	const positional: string[] = [];
	for (let i = 0; i < argv.length; i++) {
		let arg = argv[i]!;
		let value: string | undefined;
		if (arg.startsWith('--') && arg.includes('=')) {
			value = arg.slice(arg.indexOf('=') + 1);
			arg = arg.slice(0, arg.indexOf('='));
		}
		if (VALUE_OPTIONS.has(arg) && value === undefined) {
			value = argv[++i];
			if (value === undefined) throw new UsageError(`${arg} needs a value`);
		} else if (!VALUE_OPTIONS.has(arg) && value !== undefined) {
			throw new UsageError(`${arg} takes no value`);
		}
		if (arg.startsWith('-') && arg !== '-') seen.add(arg);
		switch (arg) {
			case '-h':
			case '--help':
				opts.command = 'help';
				return opts;
			case '-V':
			case '--version':
				opts.command = 'version';
				return opts;
			case '--logcat':
				opts.logcat = value;
				break;
			case '--keylog':
				opts.keylog = value;
				break;
			case '--speed':
				if (value === 'max') opts.speed = 'max';
				else {
					const n = Number(value);
					if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--speed: expected a positive number or max, got ${value}`);
					opts.speed = n;
				}
				break;
			case '--from':
				opts.from = parseTime(value!, arg);
				break;
			case '--to':
				opts.to = parseTime(value!, arg);
				break;
			case '--serial':
				opts.serial = value;
				break;
			case '--pcap':
				opts.pcap = value;
				break;
			case '--no-pcap':
				opts.noPcap = true;
				break;
			case '--record':
				opts.record = value;
				break;
			case '--pcapdroid':
				opts.pcapdroid = true;
				break;
			case '--json':
				opts.json = true;
				break;
			case '--report':
				if (!/\.(json|md|csv)$/i.test(value!)) throw new UsageError(`--report: file must end in .json, .md or .csv: ${value}`);
				opts.report.push(value!);
				break;
			case '--rules':
				opts.rules.push(value!);
				break;
			case '--blocklist':
				opts.blocklist.push(value!);
				break;
			case '--fail-on':
				for (const kind of value!.split(',')) {
					if (kind !== 'any' && !(FLAG_KINDS as readonly string[]).includes(kind)) {
						throw new UsageError(`--fail-on: unknown flag kind ${kind} (one of ${FLAG_KINDS.join(', ')}, any)`);
					}
					opts.failOn.push(kind);
				}
				break;
			case '--refresh':
				opts.refreshMs = positiveInt(value!, arg);
				break;
			case '--max-body':
				opts.maxBody = positiveInt(value!, arg);
				break;
			case '--log-year':
				opts.logYear = positiveInt(value!, arg);
				break;
			case '--log-zone':
				if (!/^([+-]\d{2}:?\d{2}|Z|UTC|[A-Za-z_]+(\/[A-Za-z_+-]+)*)$/.test(value!)) throw new UsageError(`--log-zone: not a zone: ${value}`);
				opts.logZone = value;
				break;
			case '--incognito': {
				const m = /^(?:([\w.]+)=)?(.+?)\.\.(.+)$/.exec(value!);
				if (!m) throw new UsageError(`--incognito: expected [PKG=]FROM..TO, got ${value}`);
				const from = parseTime(m[2]!, arg);
				const to = parseTime(m[3]!, arg);
				if (to < from) throw new UsageError(`--incognito: ${m[3]} is before ${m[2]}`);
				opts.incognito.push({pkg: m[1], from, to});
				break;
			}
			case '--no-color':
				opts.color = false;
				break;
			case '--ascii':
				opts.ascii = true;
				break;
			case '-q':
			case '--quiet':
				opts.quiet = true;
				break;
			default:
				if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg} (see tattle --help)`);
				positional.push(arg);
		}
	}
	if (positional[0] === 'live' || positional[0] === 'replay') {
		opts.command = positional.shift() as Command;
	} else if (positional.length > 0 && opts.command === 'auto') {
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
	}
	if (opts.from !== undefined && opts.to !== undefined && opts.to < opts.from) throw new UsageError('--to is before --from');
	return opts;
}
