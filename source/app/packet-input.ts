/**
 * Where `tattle live` gets packets: tcpdump on the phone (phone.ts), or another source (stdin, a
 * file, follow:FILE, a PCAPdroid exporter) pumped into the session here.
 */
import type {CliOptions} from '../lib/args.js';
import {sanitize} from '../lib/sanitize.js';
import {describeCaptureError, openCapture} from '../sources/capture-source.js';
import {isNetSpec, NET_SPEC_FORMS, openNetCapture, parseNetSpec} from '../sources/net-source.js';
import type {BundleWriter} from '../sources/bundle-writer.js';
import type {PcapdroidPlan} from '../sources/pcapdroid-api.js';
import type {Session} from '../ingest/session.js';
import {fail} from './exit.js';
import type {CaptureHooks} from './session-setup.js';

export type PacketPlan = {
	/** The source as given (--pcap, or PCAPdroid's exporter); undefined = the phone's tcpdump. */
	spec: string | undefined;
	/** Packets from tcpdump on the phone. */
	phone: boolean;
	/** Packets from elsewhere, pumped by pumpPackets. */
	other: string | undefined;
	/** Packets stamped by this machine's clock, not the phone's: stdin, a file, follow:FILE (hotspot, USB tethering). */
	hostClock: boolean;
};

/**
 * Damaged units described in the event list: enough to see what is wrong, not a flood when a
 * sender sprays garbage; past it they are only counted (the status line and the report say how many).
 */
const MAX_DAMAGE_NOTES = 10;

/** A malformed --pcap URL is a usage error before anything starts, not a failure after the device is up. */
export function checkPcapSpec(opts: CliOptions): void {
	if (opts.pcap && !opts.noPcap && /^[a-z][\w+.-]*:\/\//i.test(opts.pcap) && !parseNetSpec(opts.pcap)) {
		fail(`--pcap ${sanitize(opts.pcap)}: not a packet source: ${netSpecProblem(opts.pcap)}; the forms accepted: ${NET_SPEC_FORMS}, a file, follow:FILE, - (stdin) or adb`);
	}
}

/** What is wrong with a `scheme://...` address that parseNetSpec refused, in words. */
function netSpecProblem(spec: string): string {
	const scheme = /^([a-z][\w+.-]*):\/\//i.exec(spec)![1]!.toLowerCase();
	if (!['udp', 'tcp', 'tcp-listen', 'http'].includes(scheme)) return `unknown scheme ${scheme}://`;
	const rest = spec.slice(scheme.length + 3);
	if (scheme !== 'http' && /[/?#]/.test(rest.replace(/\/$/, ''))) return `${scheme}:// takes no path or query, only HOST:PORT`;
	const hostPort = /^(\[[^\]]*\]|[^:/?#@]*)(?::([^/?#]*))?/.exec(rest)!;
	if (rest.includes('@')) return 'a user name or password is not accepted';
	if (!hostPort[1] || hostPort[1] === '[]') return 'no host (use 0.0.0.0 to listen on every address, 127.0.0.1 for this machine only)';
	const port = hostPort[2];
	if (port === undefined || port === '') return scheme === 'http' ? 'not a valid address' : `no port (${scheme}://${hostPort[1]}:PORT)`;
	if (!/^\d+$/.test(port)) return `port ${port} is not a number`;
	if (Number(port) < 1 || Number(port) > 65535) return `port ${port} is out of range (1-65535)`;
	return `host ${hostPort[1]} is not a valid host name or address`;
}

/** Where packets come from, given --pcap, --no-pcap and PCAPdroid's plan. */
export function packetPlan(opts: CliOptions, droid: PcapdroidPlan | undefined): PacketPlan {
	const spec = droid?.source ?? opts.pcap;
	const phone = !opts.noPcap && !droid && (spec === undefined || spec === 'adb');
	const other = !opts.noPcap && !phone ? spec : undefined;
	return {spec, phone, other, hostClock: other !== undefined && !droid && !isNetSpec(other)};
}

/**
 * Reads packets from `spec` into the session until the source ends or `signal` aborts. --record:
 * the bytes every parser gets go to the bundle too (a new connection's header is checked against
 * the first by the writer; a half record at a cut is dropped). `listening`: a listener's address.
 */
export function pumpPackets(spec: string, session: Session, o: {signal: AbortSignal; rec: BundleWriter | undefined; hooks: CaptureHooks; allowFrom?: readonly string[]}) {
	const {rec, hooks, signal, allowFrom = []} = o;
	const now = () => Date.now() / 1000;
	const kind = parseNetSpec(spec)?.kind;
	// A damaged UDP datagram is skipped and the stream goes on; a TCP or HTTP stream's damage ends its connection.
	const damageKind = kind === 'udp' ? 'bad-datagram' : 'pcap-damaged';
	let damageNotes = 0;
	// --pcapdroid may have picked an exporter we connect to (http): then --pcap-from would do nothing.
	if (allowFrom.length > 0 && kind !== 'udp' && kind !== 'tcp-listen') fail(`--pcap-from needs a listener (udp:// or tcp-listen://); packets come from ${sanitize(spec)}`);
	const netStream = isNetSpec(spec)
		? openNetCapture(spec, {
				signal,
				...hooks,
				allowFrom,
				// Someone else sent to the listener: dropped unparsed, counted where the status line shows drops.
				onRefused: () => session.addDropped(1, 'pcap-refused'),
				onStatus: (state, detail) => session.setStatus({source: 'pcap', state, detail, ts: now()}),
				// Each damaged unit is counted as it comes, so the status line and the report agree.
				onDamage: (err) => session.addMalformed(damageKind, damageNotes++ < MAX_DAMAGE_NOTES ? sanitize(err.message) : undefined, now()),
				tap: rec && {bytes: (b) => rec.capture(b), segment: () => rec.captureRestart(), cut: () => rec.captureCut()},
			})
		: undefined;
	const stream = netStream ?? openCapture(spec, {signal, ...hooks, tap: rec && ((b) => rec.capture(b))});
	const done = (async () => {
		session.setStatus({source: 'pcap', state: 'live', detail: spec, ts: now()});
		for await (const batch of stream) for (const p of batch) session.addPacket(p);
		if (stream.error) {
			process.stderr.write(sanitize(describeCaptureError(stream.name, stream.error)) + '\n');
			// A network source counted its damage as it came (onDamage); its last error is one of those.
			if (!netStream) session.addMalformed('pcap-damaged', stream.error.message, now());
		}
		session.setStatus({source: 'pcap', state: stream.error?.fatal ? 'down' : 'eof', detail: stream.error?.message, ts: now()});
	})();
	return {done, listening: netStream?.listening};
}
