/**
 * `tattle live --pcapdroid`: the command lines of PCAPdroid's capture API (an `am start` of its
 * CaptureCtrl activity with string extras), and how tattle then receives the packets. Pure: the
 * adb layer runs the commands.
 *
 * Extras as PCAPdroid reads them (emanuele-f/PCAPdroid docs/app_api.md and
 * model/CaptureSettings.java + Prefs.java): `action` start|stop|get_status, `pcap_dump_mode`
 * udp_exporter|tcp_exporter|http_server, `collector_ip_address`, `collector_port`,
 * `http_server_port`, `app_filter` (comma-separated packages), `dump_extensions` (the trailer /
 * pcapng uid comments; `pcapdroid_trailer` is its deprecated name), `pcapng_format` (paid),
 * `snaplen`, `root_capture`, `api_key` (skips the consent prompt, 1.8.6+). Ints and booleans are
 * accepted as strings, so every extra is passed with `-e`.
 */

export const PCAPDROID_PACKAGE = 'com.emanuelef.remote_capture';
const PCAPDROID_COMPONENT = `${PCAPDROID_PACKAGE}/.activities.CaptureCtrl`;

/** PCAPdroid's defaults: collector port 1234 is its own; 5123 is the port its docs use for the UDP example. */
const PCAPDROID_DEFAULT_COLLECTOR_PORT = 5123;
const PCAPDROID_DEFAULT_HTTP_PORT = 8080;

/** How the packets travel: PCAPdroid's UDP exporter, TCP exporter (it connects to us), or HTTP server. */
export type PcapdroidMode = 'udp' | 'tcp' | 'http';

export type PcapdroidStartOptions = {
	mode: PcapdroidMode;
	/**
	 * udp/tcp: the collector address as the phone sees it. PCAPdroid's API accepts only loopback
	 * (or an address set in its GUI before), so tcp over USB uses 127.0.0.1 plus `adb reverse`.
	 */
	collectorHost?: string;
	/** udp/tcp collector port, or the http server port. */
	port?: number;
	/** Only capture these packages. */
	appFilter?: string[];
	/** Ask for app metadata (trailer in pcap, uid comments and UID map in pcapng). Default true. */
	extensions?: boolean;
	pcapng?: boolean;
	snaplen?: number;
	rootCapture?: boolean;
	/** API key configured in PCAPdroid: skips the consent dialog. */
	apiKey?: string;
};

/** What `--pcapdroid` needs to do besides the start command, and what to read. */
export type PcapdroidPlan = {
	/** `am start ...` to run with `adb shell`. */
	start: string;
	stop: string;
	/** adb arguments to run first (`reverse`/`forward`), when the mode can go over USB. */
	adb?: string[];
	/** The --pcap source spec tattle then reads. */
	source: string;
	/** A caveat to show the user, when there is one. */
	note?: string;
};

const MODE_EXTRA: Record<PcapdroidMode, string> = {udp: 'udp_exporter', tcp: 'tcp_exporter', http: 'http_server'};

/** Android package names: letters, digits, underscores, dot-separated (also keeps shell quoting trivial). */
const PACKAGE_RE = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6_RE = /^[0-9A-Fa-f:.]{2,45}$/;
/** API keys are PCAPdroid-generated tokens; allow a conservative alphabet so no quoting can break. */
const API_KEY_RE = /^[A-Za-z0-9_\-+=/.]{1,128}$/;
/** Largest snaplen PCAPdroid honours (pcapd's 65535); the API may only lower it. */
const MAX_SNAPLEN = 65_535;
const MAX_PORT = 65_535;

/** The extras of a start request, in order, as `[key, value]` pairs; throws on invalid options. */
export function pcapdroidStartExtras(o: PcapdroidStartOptions): Array<[string, string]> {
	const port = o.port ?? (o.mode === 'http' ? PCAPDROID_DEFAULT_HTTP_PORT : PCAPDROID_DEFAULT_COLLECTOR_PORT);
	checkPort(port);
	const extras: Array<[string, string]> = [
		['action', 'start'],
		['pcap_dump_mode', MODE_EXTRA[o.mode]],
	];
	if (o.mode === 'http') {
		extras.push(['http_server_port', String(port)]);
	} else {
		const host = o.collectorHost ?? '127.0.0.1';
		if (!IPV4_RE.test(host) && !(host.includes(':') && IPV6_RE.test(host))) {
			throw new Error(`PCAPdroid collector must be an IP address, not ${JSON.stringify(host)}`);
		}
		extras.push(['collector_ip_address', host], ['collector_port', String(port)]);
	}
	if (o.appFilter && o.appFilter.length > 0) {
		for (const p of o.appFilter) if (!PACKAGE_RE.test(p)) throw new Error(`not an Android package name: ${JSON.stringify(p)}`);
		extras.push(['app_filter', o.appFilter.join(',')]);
	}
	const ext = o.extensions ?? true;
	// Both names: dump_extensions since 1.8.0, pcapdroid_trailer before (still read, deprecated).
	extras.push(['dump_extensions', String(ext)], ['pcapdroid_trailer', String(ext)]);
	if (o.pcapng !== undefined) extras.push(['pcapng_format', String(o.pcapng)]);
	if (o.snaplen !== undefined) {
		if (!Number.isInteger(o.snaplen) || o.snaplen < 1 || o.snaplen > MAX_SNAPLEN) throw new Error(`snaplen out of range: ${o.snaplen}`);
		extras.push(['snaplen', String(o.snaplen)]);
	}
	if (o.rootCapture !== undefined) extras.push(['root_capture', String(o.rootCapture)]);
	if (o.apiKey !== undefined) {
		if (!API_KEY_RE.test(o.apiKey)) throw new Error('PCAPdroid api_key has unexpected characters');
		extras.push(['api_key', o.apiKey]);
	}
	return extras;
}

/** argv of the `am start` that starts a PCAPdroid capture (for `adb shell`). */
export function pcapdroidStartArgs(o: PcapdroidStartOptions): string[] {
	return amStart(pcapdroidStartExtras(o));
}

/** The `am start` command line that starts a PCAPdroid capture, shell-quoted. */
export function pcapdroidStartCommand(o: PcapdroidStartOptions): string {
	return shellJoin(pcapdroidStartArgs(o));
}

/** The `am start` command line that stops PCAPdroid's capture. */
export function pcapdroidStopCommand(apiKey?: string): string {
	const extras: Array<[string, string]> = [['action', 'stop']];
	if (apiKey !== undefined) {
		if (!API_KEY_RE.test(apiKey)) throw new Error('PCAPdroid api_key has unexpected characters');
		extras.push(['api_key', apiKey]);
	}
	return shellJoin(amStart(extras));
}

/** The `am start` command line that asks PCAPdroid whether it is capturing. */
export function pcapdroidStatusCommand(): string {
	return shellJoin(amStart([['action', 'get_status']]));
}

/**
 * The whole recipe for one mode over USB: what to tell adb, what to start, what to read.
 * udp cannot be carried by adb (forward/reverse are TCP only): the phone must reach the
 * computer's LAN address, which PCAPdroid accepts only if it was set in its GUI first.
 */
export function pcapdroidPlan(o: PcapdroidStartOptions): PcapdroidPlan {
	const port = o.port ?? (o.mode === 'http' ? PCAPDROID_DEFAULT_HTTP_PORT : PCAPDROID_DEFAULT_COLLECTOR_PORT);
	const start = pcapdroidStartCommand({...o, port});
	const stop = pcapdroidStopCommand(o.apiKey);
	switch (o.mode) {
		case 'tcp':
			return {start, stop, adb: ['reverse', `tcp:${port}`, `tcp:${port}`], source: `tcp-listen://127.0.0.1:${port}`};
		case 'http':
			return {start, stop, adb: ['forward', `tcp:${port}`, `tcp:${port}`], source: `http://127.0.0.1:${port}/`};
		case 'udp':
			return {
				start,
				stop,
				source: `udp://0.0.0.0:${port}`,
				note:
					(o.collectorHost ?? '127.0.0.1') === '127.0.0.1'
						? 'UDP cannot cross adb: set this computer\'s LAN address as collector in PCAPdroid\'s settings, then pass it as the collector host'
						: undefined,
			};
	}
}

function amStart(extras: Array<[string, string]>): string[] {
	const argv = ['am', 'start'];
	for (const [k, v] of extras) argv.push('-e', k, v);
	argv.push('-n', PCAPDROID_COMPONENT);
	return argv;
}

function checkPort(port: number): void {
	if (!Number.isInteger(port) || port < 1 || port > MAX_PORT) throw new Error(`port out of range: ${port}`);
}

/** Quotes argv for `sh -c` (the phone's shell): words with anything but safe characters get single quotes. */
export function shellJoin(argv: string[]): string {
	return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}
