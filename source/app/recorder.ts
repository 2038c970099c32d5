/**
 * --record DIR: the same bytes the parsers get go to a capture bundle (DESIGN.md, "Capture
 * bundle"), with meta.json saying how each stream was started, and the markers made while
 * watching, heard from the session.
 */
import type {CliOptions} from '../lib/args.js';
import {plainWords} from '../lib/format.js';
import {sanitize} from '../lib/sanitize.js';
import {logcatCommands, tcpdumpCommands} from '../sources/adb.js';
import {BundleWriterError, createBundleWriter, MAX_MARKER_CHARS, type BundleWriter, type RecordedMeta} from '../sources/bundle-writer.js';
import type {PcapdroidPlan} from '../sources/pcapdroid-api.js';
import type {Session} from '../ingest/session.js';
import {fail} from './exit.js';
import type {PacketPlan} from './packet-input.js';
import {version} from './package-info.js';

type BundleMarker = NonNullable<RecordedMeta['markers']>[number];

/**
 * Markers kept in meta.json: a user marks a few moments an hour; this bounds a key held down for
 * a day (each is also a log line, which the bundle writer bounds on its own).
 */
const MAX_META_MARKERS = 10_000;

/** Who hears that an open bundle stopped recording (a full disk): the session, once it exists. */
const errorSinks = new WeakMap<BundleWriter, (message: string) => void>();

/** The markers each open bundle's meta.json lists: those stated up front, then those made while watching. */
const metaMarkers = new WeakMap<BundleWriter, BundleMarker[]>();

/** Starts the bundle in `dir` (which must be new or empty: else a usage error). */
export function openRecorder(dir: string, opts: CliOptions, serial: string | undefined, packets: PacketPlan, droid: PcapdroidPlan | undefined): BundleWriter {
	const on = serial ? `adb -s ${serial}` : 'adb';
	const [logcat, ...logcatFallbacks] = logcatCommands();
	const [tcpdump, ...tcpdumpFallbacks] = tcpdumpCommands();
	const pcapSource = packets.phone
		? {via: 'adb', command: `${on} shell "${tcpdump}"`, fallbacks: tcpdumpFallbacks}
		: droid
			? {via: 'pcapdroid', adb: droid.adb && `${on} ${droid.adb.join(' ')}`, start: `${on} shell ${droid.start}`, stop: `${on} shell ${droid.stop}`, source: droid.source}
			: {via: packets.other ?? 'none'};
	const markers: BundleMarker[] = opts.incognito.flatMap((w) => [
		{ts: w.from, kind: 'incognito-on' as const, pkg: w.pkg},
		{ts: w.to, kind: 'incognito-off' as const, pkg: w.pkg},
	]);
	try {
		let rec: BundleWriter | undefined;
		const onError = (message: string) => {
			const sink = rec && errorSinks.get(rec);
			if (sink) sink(message);
			else process.stderr.write(`tattle: ${sanitize(message)}\n`);
		};
		rec = createBundleWriter(
			dir,
			{
				tool: {name: 'tattle', version},
				started: new Date().toISOString(),
				// 0 while packets come from the phone (tcpdump, PCAPdroid): one clock. Packets captured on
				// this machine (hotspot, stdin, a file) get the measured offset once the phone answers.
				clockOffset: 0,
				logYear: new Date().getFullYear(),
				streams: {
					logcat: `${on} shell "${logcat}" (tattle live)`,
					...(packets.other || packets.phone ? {pcap: packets.phone ? `${on} shell "${tcpdump}"` : `${packets.other} (tattle live --pcap)`} : {}),
				},
				sources: {logcat: {via: 'adb', command: `${on} shell "${logcat}"`, fallbacks: logcatFallbacks, resume: 'logcat -T <last line time>'}, ...(opts.noPcap ? {} : {pcap: pcapSource})},
				markers: [...markers],
			},
			{onError},
		);
		metaMarkers.set(rec, markers);
		return rec;
	} catch (error) {
		if (error instanceof BundleWriterError) fail(error.message);
		throw error;
	}
}

/**
 * The recording as a source of the session: `record live` while it writes, `record down` with the
 * reason when a write failed (a full disk, a file size limit; the session keeps watching, the
 * bundle keeps what was written). Headless, that is also one line on stderr.
 */
export function recordSession(session: Session, rec: BundleWriter, headless: boolean): void {
	const now = () => Date.now() / 1000;
	session.setStatus({source: 'record', state: 'live', detail: `recording to ${rec.dir}`, ts: now()});
	errorSinks.set(rec, (message) => {
		session.setStatus({source: 'record', state: 'down', detail: `${message}; still watching, the bundle keeps what was written`, ts: now()});
		if (headless) process.stderr.write(`tattle: ${sanitize(plainWords(message))}; still watching\n`);
	});
	recordMarkers(session, rec);
}

/**
 * Markers made while watching (m, i on the dashboard; gaps) go into the bundle as tattle.marker
 * log lines, and all of them (notes and incognito toggles) into meta.json's markers, which a
 * replay applies before the first record (a bundle cut to its capture still has them).
 */
export function recordMarkers(session: Session, rec: BundleWriter): void {
	let markers = metaMarkers.get(rec);
	if (!markers) metaMarkers.set(rec, (markers = []));
	const listed = markers;
	session.onMarker((m) => {
		const ts = m.ts > 0 ? m.ts : Date.now() / 1000;
		if (m.kind === 'note') rec.marker(ts, m.text);
		else rec.marker(ts, 'marked by hand', m.kind, m.pkg);
		if (listed.length >= MAX_META_MARKERS) return;
		listed.push(m.kind === 'note' ? {ts, kind: 'note', text: m.text.slice(0, MAX_MARKER_CHARS)} : {ts, kind: m.kind, pkg: m.pkg, text: 'marked by hand'});
		rec.updateMeta({markers: [...listed]});
	});
}
