/**
 * The phone over adb: logcat lines, tcpdump's packets (when they come from the phone), the
 * incognito probe (notification and focused window), device facts and gaps, all into the session and the bundle.
 */
import {INCOGNITO_PROBE_COMMAND, IncognitoProbe} from '../classify/incognito-probe.js';
import {ADB_SOURCE, LiveSession, type LiveStatus} from '../sources/adb-live.js';
import {plainWords} from '../lib/format.js';
import {sanitize} from '../lib/sanitize.js';
import {CaptureParser} from '../sources/capture-reader.js';
import {LineSplitter} from '../sources/logcat-source.js';
import type {BundleWriter} from '../sources/bundle-writer.js';
import type {Session} from '../ingest/session.js';
import type {CaptureHooks} from './session-setup.js';

/** How often the incognito probe (notification, focused window) runs: 2 s bounds how late a private session is noticed. */
const INCOGNITO_PROBE_MS = 2000;

type PhoneOptions = {
	serial: string | undefined;
	/** Run tcpdump on the phone for packets. */
	pcap: boolean;
	/** Packets come stamped by this machine's clock: log times are moved onto it once the phone answers. */
	hostClock: boolean;
	rec: BundleWriter | undefined;
	hooks: CaptureHooks;
	/** Every status of the phone's sources, after the session has it (headless: {@link phoneStatusLines}). */
	onStatus?(status: LiveStatus): void;
};

/** Starts watching the phone; `stop()` ends its streams. */
export function watchPhone(session: Session, o: PhoneOptions): {stop(): Promise<void>} {
	const {rec, hooks} = o;
	const lines = new LineSplitter();
	const packets = tcpdumpPackets(session, hooks);
	// Incognito from the phone: the private-tabs notification and a secure browser window in front,
	// polled together (DESIGN.md, incognito flags); changes become tattle.probe log lines.
	const incognitoProbe = new IncognitoProbe();
	const live = new LiveSession({
		serial: o.serial,
		pcap: o.pcap,
		probe: {command: INCOGNITO_PROBE_COMMAND, everyMs: INCOGNITO_PROBE_MS, onOutput: (text) => incognitoProbe.poll(text)},
		onLogChunk: (bytes) => {
			rec?.log(bytes);
			for (const line of lines.push(bytes)) session.addLogLine(line);
		},
		onPcapChunk: (bytes) => {
			rec?.capture(bytes);
			packets.push(bytes);
		},
		onPcapRestart: () => {
			rec?.captureRestart();
			packets.restart();
		},
		onStatus: (s) => {
			session.setStatus(s);
			o.onStatus?.(s);
		},
		onDevice: (f) => {
			session.device = {serial: f.serial, model: f.model, manufacturer: f.manufacturer, android: f.android, timeZone: f.timeZone};
			rec?.updateMeta({device: {...f}, logZone: f.timeZone});
			// Only read by log formats without a zone (a phone whose logcat refused -v epoch).
			if (f.timeZone) session.setLogZone(f.timeZone);
			if (o.hostClock && f.clockOffsetSec !== undefined) {
				// Log times are the phone's, packet times this machine's: one clock for both.
				session.logClockOffset = -f.clockOffsetSec;
				rec?.updateMeta({clockOffset: -f.clockOffsetSec});
			}
		},
		onGap: (source, from, to) => {
			// A record the broken tcpdump stream left half-sent must not end up in the bundle, nor be
			// read as the head of the next stream's first record.
			// (The stream's own `live: resumed after a gap` status says it came back: not said twice.)
			if (source === 'tcpdump') {
				rec?.captureCut();
				packets.cut();
			}
			session.addMarker(`${source}: gap from ${new Date(from * 1000).toISOString()} to ${new Date(to * 1000).toISOString()}`, to);
		},
	});
	live.start();
	return {
		async stop() {
			await live.stop();
			packets.end();
		},
	};
}

/**
 * Packets from tcpdump on the phone: one parser per tcpdump run, frames numbered on across
 * restarts, the first damage of each run counted. (NetCapture's segments do the same for network
 * exporters, but through a queue and a secrets cap; tcpdump's bytes go to the session at once.)
 */
function tcpdumpPackets(session: Session, hooks: CaptureHooks) {
	let frames = 0;
	const newParser = () =>
		new CaptureParser((p) => {
			p.index = ++frames;
			session.addPacket(p);
		}, hooks);
	let parser = newParser();
	let damaged = false;
	return {
		push(bytes: Uint8Array) {
			parser.push(bytes);
			if (parser.error && !damaged) {
				damaged = true;
				session.addMalformed('pcap-damaged', `tcpdump stream: byte ${parser.error.offset}: ${parser.error.message}`, Date.now() / 1000);
			}
		},
		/** The stream broke mid-record and a joined one goes on: the half record is not a packet. */
		cut() {
			if (parser.cut() > 0) session.addDropped(1, 'pcap-torn');
		},
		restart() {
			parser.end();
			parser = newParser();
			damaged = false;
		},
		end() {
			parser.end();
		},
	};
}

/** What a headless user is told about the phone: one line per change of this state. */
type PhoneState = 'connecting' | 'live' | 'stalled' | 'reconnecting';

/**
 * Headless `tattle live` on stderr: `tattle: phone connecting|live|stalled|reconnecting: detail`,
 * one line when the phone's overall state changes (not per source, not per retry). Streams that
 * never ran (tcpdump missing) do not hold the phone back from `live`.
 */
export function phoneStatusLines(write: (line: string) => void = (l) => process.stderr.write(l)): (s: LiveStatus) => void {
	const sources = new Map<string, LiveStatus>();
	const everLive = new Set<string>();
	let shown: PhoneState | undefined;
	return (s) => {
		sources.set(s.source, s);
		if (s.state === 'live') everLive.add(s.source);
		const streams = [...sources.values()].filter((x) => x.source !== ADB_SOURCE && everLive.has(x.source));
		const adb = sources.get(ADB_SOURCE);
		const broken = [adb, ...streams].find((x) => x && everLive.has(x.source) && x.state === 'down');
		const stalled = streams.find((x) => x.state === 'stalled');
		let state: PhoneState;
		let why: LiveStatus | undefined;
		if (broken) [state, why] = ['reconnecting', broken];
		else if (everLive.size === 0 || adb?.state !== 'live' || streams.some((x) => x.state !== 'live' && x.state !== 'stalled')) [state, why] = [shown === undefined || shown === 'connecting' ? 'connecting' : 'reconnecting', adb];
		else if (stalled) [state, why] = ['stalled', stalled];
		else [state, why] = ['live', adb];
		if (state === shown || streams.length === 0 && state === 'live') return;
		shown = state;
		const detail = why?.detail ? `: ${why.source === ADB_SOURCE ? '' : `${why.source} `}${plainWords(why.detail)}` : '';
		write(`tattle: phone ${state}${sanitize(detail)}\n`);
	};
}
