#!/usr/bin/env node
/**
 * tattle's entry point: parses arguments, wires sources -> session -> stores/report, picks the
 * dashboard or headless mode, and owns exit and cleanup. Thin by design (DESIGN.md).
 */
import {closeSync, existsSync, openSync, readFileSync, writeSync} from 'node:fs';
import tty from 'node:tty';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {HELP, parseArgs, UsageError, type CliOptions} from './source/lib/args.js';
import {sanitize} from './source/lib/sanitize.js';
import {Session} from './source/ingest/session.js';
import {startFlushing} from './source/ingest/flusher.js';
import {LogcatParser} from './source/decode/logcat.js';
import {incognitoChanges, incognitoPackages} from './source/decode/dumpsys.js';
import {loadClassifier} from './source/classify/load.js';
import {createIpInfo} from './source/classify/geo.js';
import {loadGeoData} from './source/sources/geo-data.js';
import {resolveReplayInput, ReplayControl, ReplayInputError, runReplay, type BundleMeta, type ReplayInput} from './source/sources/replay.js';
import {describeCaptureError, openCapture} from './source/sources/capture-source.js';
import {followKeyLog, KeyLogError, keyLogPath, readKeyLogFile} from './source/sources/keylog-source.js';
import {buildReport, reportPieces} from './source/report/report.js';
import type {SessionSnapshot, SourceState} from './source/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repo (or installed package) root: dist/cli.js lives one level below it. */
const root = path.resolve(here, path.basename(here) === 'dist' ? '..' : '.');
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {version: string}).version;
/** The demo bundle `tattle` replays when no phone is attached. */
export const DEMO_BUNDLE = path.join(root, 'captures', 'incognito-leak');

class ExitError extends Error {
	constructor(
		message: string,
		readonly code: number,
	) {
		super(message);
	}
}

function fail(message: string, code = 2): never {
	throw new ExitError(message, code);
}

async function main(argv: string[]): Promise<number> {
	let opts: CliOptions;
	try {
		opts = parseArgs(argv, process.env);
	} catch (error) {
		if (error instanceof UsageError) fail(error.message);
		throw error;
	}
	if (opts.command === 'help') {
		process.stdout.write(HELP + '\n');
		return 0;
	}
	if (opts.command === 'version') {
		process.stdout.write(`tattle ${version}\n`);
		return 0;
	}
	if (opts.keylog && !opts.keylog.startsWith('follow:') && !existsSync(opts.keylog)) fail(`--keylog ${opts.keylog}: no such file`);
	for (const f of [...opts.rules, ...opts.blocklist]) if (!existsSync(f)) fail(`${opts.rules.includes(f) ? '--rules' : '--blocklist'} ${f}: no such file`);
	if (opts.command === 'live') return runLive(opts);
	let notice: string | undefined;
	if (opts.command === 'auto') {
		const {firstDevice} = await import('./source/sources/adb.js');
		const device = await firstDevice({timeoutMs: 1500}).catch(() => undefined);
		if (device) return runLive({...opts, command: 'live'});
		if (!existsSync(DEMO_BUNDLE)) fail(`no device attached and no demo bundle at ${DEMO_BUNDLE}`);
		opts = {...opts, command: 'replay', path: DEMO_BUNDLE};
		notice = 'No device attached: replaying the demo bundle (captures/incognito-leak)';
	}
	return replay(opts, notice);
}

/** Asks on the terminal which device to watch when several are attached (before the dashboard starts). */
async function pickDevice(serials: string[]): Promise<string> {
	const {createInterface} = await import('node:readline/promises');
	process.stderr.write('Several devices are attached:\n');
	serials.forEach((s, i) => process.stderr.write(`  ${i + 1}) ${sanitize(s)}\n`));
	const rl = createInterface({input: keyboardStream() ?? process.stdin, output: process.stderr});
	try {
		for (;;) {
			const answer = (await rl.question(`Watch which one? [1-${serials.length}] `)).trim();
			const n = Number(answer);
			if (Number.isInteger(n) && n >= 1 && n <= serials.length) return serials[n - 1]!;
			if (serials.includes(answer)) return answer;
		}
	} finally {
		rl.close();
	}
}

/** The device to watch: --serial, $ANDROID_SERIAL, the only one, or the user's pick; undefined = wait for one. */
async function chooseSerial(opts: CliOptions, interactive: boolean): Promise<string | undefined> {
	const adb = await import('./source/sources/adb.js');
	const serial = opts.serial ?? adb.serialFromEnv();
	if (serial) return serial;
	const endpoint = adb.adbServerEndpoint();
	const client = adb.createAdbClient(endpoint);
	try {
		await adb.ensureAdbServer(client, endpoint);
		const choice = adb.chooseDevice(await adb.listDevices(client));
		if (choice.kind === 'ready') return choice.device.serial;
		if (choice.kind === 'pick') {
			const serials = choice.devices.map((d) => d.serial);
			if (interactive) return await pickDevice(serials);
			fail(`several devices attached (${serials.join(', ')}): choose one with --serial`);
		}
	} catch (error) {
		if (error instanceof ExitError) throw error;
		// No adb server yet: the live session keeps retrying and says so in its status.
	}
	return undefined;
}

/** How often the incognito notification probe runs: 2 s bounds how late a private session is noticed. */
const INCOGNITO_PROBE_MS = 2000;

/** Watches a tethered phone: logcat and packets over adb (or another packet source), until quit. */
async function runLive(opts: CliOptions): Promise<number> {
	const tui = wantsTui(opts);
	const [{LiveSession}, {LineSplitter}, {CaptureParser}, net, adb, bundle, droid] = await Promise.all([
		import('./source/sources/adb-live.js'),
		import('./source/sources/logcat-source.js'),
		import('./source/sources/capture-reader.js'),
		import('./source/sources/net-source.js'),
		import('./source/sources/adb.js'),
		import('./source/sources/bundle-writer.js'),
		import('./source/sources/pcapdroid-control.js'),
	]);
	// A malformed --pcap is a usage error before anything starts, not a failure after the device is up.
	if (opts.pcap && !opts.noPcap && /^[a-z][\w+.-]*:\/\//i.test(opts.pcap) && !net.parseNetSpec(opts.pcap)) {
		fail(`--pcap ${opts.pcap}: not a packet source (${net.NET_SPEC_FORMS})`);
	}
	if (!tui && !opts.json && opts.report.length === 0 && !process.stdout.isTTY) {
		process.stderr.write('tattle: no terminal: running headless (use --report FILE or --json for output)\n');
	}
	const serial = await chooseSerial(opts, tui);
	const endpoint = adb.adbServerEndpoint();

	// --pcapdroid: PCAPdroid on the phone captures and exports to us; check it is there before anything starts.
	let droidPlan: import('./source/sources/pcapdroid.js').PcapdroidPlan | undefined;
	let droidDevice: Awaited<ReturnType<typeof adb.openDevice>> | undefined;
	if (opts.pcapdroid && !opts.noPcap) {
		/** How long --pcapdroid waits for a device to send commands to: a phone being plugged in shows up within seconds. */
		const PCAPDROID_DEVICE_WAIT_MS = 10_000;
		const {pcapdroidPlan} = await import('./source/sources/pcapdroid.js');
		droidPlan = pcapdroidPlan(droid.pcapdroidOptionsFor(opts.pcap));
		const target = serial ?? (await adb.firstDevice({timeoutMs: PCAPDROID_DEVICE_WAIT_MS, endpoint}).catch(() => undefined))?.serial;
		if (!target) fail('--pcapdroid: no device attached (plug in the phone with USB debugging on, or name it with --serial)');
		droidDevice = await adb.openDevice(adb.createAdbClient(endpoint), target).catch((e: Error) => fail(`--pcapdroid: cannot reach ${target}: ${e.message}`));
		try {
			await droid.checkPcapdroidInstalled(droidDevice);
		} catch (error) {
			await droidDevice.close().catch(() => undefined);
			fail(error instanceof droid.PcapdroidError ? error.message : `--pcapdroid: ${(error as Error).message}`);
		}
		if (droidPlan.note) process.stderr.write(`tattle: ${droidPlan.note}\n`);
	}
	const pcapSpec = droidPlan?.source ?? opts.pcap;
	const phonePcap = !opts.noPcap && !droidPlan && (pcapSpec === undefined || pcapSpec === 'adb');
	const otherPcap = !opts.noPcap && !phonePcap ? pcapSpec : undefined;
	/** Packets stamped by this machine's clock, not the phone's: stdin, a file, follow:FILE (hotspot, USB tethering). */
	const hostClock = otherPcap !== undefined && !droidPlan && !net.isNetSpec(otherPcap);

	// --record DIR: the same bytes the parsers get go to a capture bundle (DESIGN.md, "Capture bundle").
	let writer: import('./source/sources/bundle-writer.js').BundleWriter | undefined;
	if (opts.record) {
		const on = serial ? `adb -s ${serial}` : 'adb';
		const [logcat, ...logcatFallbacks] = adb.logcatCommands();
		const [tcpdump, ...tcpdumpFallbacks] = adb.tcpdumpCommands();
		const pcapSource = phonePcap
			? {via: 'adb', command: `${on} shell "${tcpdump}"`, fallbacks: tcpdumpFallbacks}
			: droidPlan
				? {via: 'pcapdroid', adb: droidPlan.adb && `${on} ${droidPlan.adb.join(' ')}`, start: `${on} shell ${droidPlan.start}`, stop: `${on} shell ${droidPlan.stop}`, source: droidPlan.source}
				: {via: otherPcap ?? 'none'};
		try {
			writer = bundle.createBundleWriter(
				opts.record,
				{
					tool: {name: 'tattle', version},
					started: new Date().toISOString(),
					// 0 while packets come from the phone (tcpdump, PCAPdroid): one clock. Packets captured on
					// this machine (hotspot, stdin, a file) get the measured offset once the phone answers.
					clockOffset: 0,
					logYear: new Date().getFullYear(),
					streams: {logcat: `${on} shell "${logcat}" (tattle live)`, ...(otherPcap || phonePcap ? {pcap: phonePcap ? `${on} shell "${tcpdump}"` : `${otherPcap} (tattle live --pcap)`} : {})},
					sources: {logcat: {via: 'adb', command: `${on} shell "${logcat}"`, fallbacks: logcatFallbacks, resume: 'logcat -T <last line time>'}, ...(opts.noPcap ? {} : {pcap: pcapSource})},
					markers: opts.incognito.flatMap((w) => [
						{ts: w.from, kind: 'incognito-on' as const, pkg: w.pkg},
						{ts: w.to, kind: 'incognito-off' as const, pkg: w.pkg},
					]),
				},
				{onError: (message) => process.stderr.write(`tattle: ${sanitize(message)}\n`)},
			);
		} catch (error) {
			await droidDevice?.close().catch(() => undefined);
			if (error instanceof bundle.BundleWriterError) fail(error.message);
			throw error;
		}
	}
	const rec = writer;

	const {session, geo} = makeSession(opts, {});
	applyMarkers(session, opts, undefined);
	if (rec) {
		// Markers typed in the dashboard (m, i) go into the bundle too, as tattle.marker log lines.
		const addMarker = session.addMarker.bind(session);
		const toggleIncognito = session.toggleIncognito.bind(session);
		let toggleText: string | undefined;
		session.addMarker = (text: string, ts = session.now) => {
			addMarker(text, ts);
			if (toggleText === undefined) rec.marker(ts > 0 ? ts : Date.now() / 1000, text);
			else toggleText = text;
		};
		session.toggleIncognito = (ts = session.now) => {
			toggleText = '';
			let pkg: string | undefined;
			try {
				pkg = toggleIncognito(ts);
			} finally {
				const on = /^incognito on\b/.test(toggleText);
				toggleText = undefined;
				rec.marker(ts > 0 ? ts : Date.now() / 1000, 'marked by hand', on ? 'incognito-on' : 'incognito-off', pkg);
			}
			return pkg;
		};
	}
	const abort = new AbortController();
	const now = () => Date.now() / 1000;
	const onCustomBlock = (pen: number, data: Uint8Array) => session.addCustomBlock(pen, data.slice());
	const {onSecrets, onFormat} = secretsHooks(session);
	const keyLog = startKeyLog(opts.keylog, session, abort.signal, rec);

	// Packets from tcpdump on the phone: one parser per tcpdump run, frames numbered on across restarts.
	let frames = 0;
	const newParser = () =>
		new CaptureParser(
			(p) => {
				p.index = ++frames;
				session.addPacket(p);
			},
			{onCustomBlock, onSecrets, onFormat},
		);
	let parser = newParser();
	let parserDamaged = false;
	const lines = new LineSplitter();
	// Browsers show a notification while private tabs are open: poll for it (DESIGN.md, incognito flags).
	let incognitoNow = new Set<string>();
	const live = new LiveSession({
		serial,
		pcap: phonePcap,
		probe: {
			command: 'dumpsys notification --noredact',
			everyMs: INCOGNITO_PROBE_MS,
			onOutput(text) {
				const now = incognitoPackages(text);
				const changes = incognitoChanges(incognitoNow, now);
				incognitoNow = new Set(now);
				return changes;
			},
		},
		onLogChunk: (bytes) => {
			rec?.log(bytes);
			for (const line of lines.push(bytes)) session.addLogLine(line);
		},
		onPcapChunk: (bytes) => {
			rec?.capture(bytes);
			parser.push(bytes);
			if (parser.error && !parserDamaged) {
				parserDamaged = true;
				session.addMalformed('pcap-damaged', `tcpdump stream: byte ${parser.error.offset}: ${parser.error.message}`, now());
			}
		},
		onPcapRestart: () => {
			rec?.captureRestart();
			parser.end();
			parser = newParser();
			parserDamaged = false;
		},
		onStatus: (s) => session.setStatus(s),
		onDevice: (f) => {
			session.device = {serial: f.serial, model: f.model, manufacturer: f.manufacturer, android: f.android, timeZone: f.timeZone};
			rec?.updateMeta({device: {...f}, logZone: f.timeZone});
			// Only read by log formats without a zone (a phone whose logcat refused -v epoch).
			if (f.timeZone) session.setLogZone(f.timeZone);
			if (hostClock && f.clockOffsetSec !== undefined) {
				// Log times are the phone's, packet times this machine's: one clock for both.
				session.logClockOffset = -f.clockOffsetSec;
				rec?.updateMeta({clockOffset: -f.clockOffsetSec});
			}
		},
		onGap: (source, from, to) => {
			// A record the broken tcpdump stream left half-sent must not end up in the bundle.
			if (source === 'tcpdump') rec?.captureCut();
			session.setStatus({source, state: 'live', detail: `resumed after a ${Math.max(0, Math.round(to - from))} s gap`, ts: to});
			session.addMarker(`${source}: gap from ${new Date(from * 1000).toISOString()} to ${new Date(to * 1000).toISOString()}`, to);
		},
	});
	live.start();

	// Packets from elsewhere: stdin, a file, follow:FILE, or a PCAPdroid exporter.
	let pump: Promise<void> | undefined;
	let stopPcapdroid: ((device: NonNullable<typeof droidDevice>) => Promise<void>) | undefined;
	if (otherPcap) {
		const spec = otherPcap;
		// --record: the bytes every parser gets go to the bundle too (a new connection's header
		// is checked against the first by the writer; a half record at a cut is dropped).
		const netStream = net.isNetSpec(spec)
			? net.openNetCapture(spec, {
					signal: abort.signal,
					onCustomBlock,
					onSecrets,
					onFormat,
					onStatus: (state, detail) => session.setStatus({source: 'pcap', state, detail, ts: now()}),
					tap: rec && {bytes: (b) => rec.capture(b), segment: () => rec.captureRestart(), cut: () => rec.captureCut()},
				})
			: undefined;
		const stream = netStream ?? openCapture(spec, {signal: abort.signal, onCustomBlock, onSecrets, onFormat, tap: rec && ((b) => rec.capture(b))});
		pump = (async () => {
			session.setStatus({source: 'pcap', state: 'live', detail: spec, ts: now()});
			for await (const batch of stream) for (const p of batch) session.addPacket(p);
			if (stream.error) {
				process.stderr.write(sanitize(describeCaptureError(stream.name, stream.error)) + '\n');
				session.addMalformed('pcap-damaged', stream.error.message, now());
			}
			session.setStatus({source: 'pcap', state: stream.error?.fatal ? 'down' : 'eof', detail: stream.error?.message, ts: now()});
		})();
		if (droidPlan && droidDevice) {
			// PCAPdroid's exporter connects once at start: our listener must be up first.
			await netStream?.listening.catch(() => undefined);
			try {
				stopPcapdroid = await droid.startPcapdroid(droidDevice, droidPlan, {endpoint, serial: droidDevice.serial});
				session.setStatus({source: 'pcapdroid', state: 'live', detail: `capture started on ${droidDevice.serial}, exporting to ${droidPlan.source}`, ts: now()});
			} catch (error) {
				session.setStatus({source: 'pcapdroid', state: 'down', detail: (error as Error).message, ts: now()});
				process.stderr.write(`tattle: ${sanitize((error as Error).message)}\n`);
			}
		}
	}

	try {
		if (tui) {
			const ui = await startUi(opts, session, abort, {mode: 'live'});
			await ui.waitUntilExit();
		} else {
			// Headless live runs until Ctrl-C or SIGTERM, then writes its report.
			await new Promise<void>((resolve) => {
				process.once('SIGINT', resolve);
				process.once('SIGTERM', resolve);
			});
		}
		if (droidDevice) {
			// Stop PCAPdroid's capture, on a fresh connection if the first one broke meanwhile.
			const device = await adb.openDevice(adb.createAdbClient(endpoint), droidDevice.serial).catch(() => droidDevice!);
			await stopPcapdroid?.(device).catch(() => undefined);
			if (device !== droidDevice) await device.close().catch(() => undefined);
			await droidDevice.close().catch(() => undefined);
		}
		abort.abort();
		await live.stop();
		await pump?.catch(() => undefined);
		await keyLog;
		parser.end();
	} finally {
		rec?.close();
	}
	session.finish();
	await geo;
	const snap = session.snapshot();
	writeReports(opts, snap, {command: 'live', serial: session.device?.serial ?? serial ?? null, pcap: opts.noPcap ? null : (pcapSpec ?? 'adb'), ...(opts.record ? {record: opts.record} : {})});
	return exitCodeFor(opts, snap);
}

/** Longest string in an NDJSON event: a hostile 64 KiB name stays one readable line. */
const MAX_EVENT_STRING = 4096;

/** JSON replacer: untrusted strings lose control characters before they reach a pipe or a terminal. */
function cleanStrings(_key: string, value: unknown): unknown {
	return typeof value === 'string' ? sanitize(value, MAX_EVENT_STRING) : value;
}

/** Whether to show the dashboard: a terminal to draw on and a keyboard, and no headless output asked for. */
function wantsTui(opts: CliOptions): boolean {
	return !opts.json && Boolean(process.stdout.isTTY) && keyboardStream() !== undefined;
}

/** The controlling terminal when stdin is not one (undefined: not opened yet; null: there is none). */
let ttyKeyboard: tty.ReadStream | null | undefined;

/**
 * Where keys come from: stdin when it is a terminal, else the controlling terminal (/dev/tty), as
 * less and fzf do, so `tcpdump -U -w - | tattle live --pcap -` still gets the dashboard and its keys.
 */
function keyboardStream(): NodeJS.ReadStream | undefined {
	if (process.stdin.isTTY) return process.stdin;
	if (ttyKeyboard === undefined) {
		try {
			const fd = openSync('/dev/tty', 'r');
			ttyKeyboard = tty.isatty(fd) ? new tty.ReadStream(fd) : null;
		} catch {
			ttyKeyboard = null;
		}
	}
	return ttyKeyboard ?? undefined;
}

async function replay(opts: CliOptions, notice?: string): Promise<number> {
	let input: ReplayInput;
	try {
		input = resolveReplayInput(opts.path, opts.logcat);
	} catch (error) {
		if (error instanceof ReplayInputError) fail(error.message);
		throw error;
	}
	const tui = wantsTui(opts);
	if (!tui && !opts.json && opts.report.length === 0 && !process.stdout.isTTY) {
		process.stderr.write('tattle: no terminal: running headless (use --report FILE or --json for output)\n');
	}
	const speed = opts.speed ?? (tui ? 1 : 'max');
	const control = new ReplayControl(speed);
	const logYear = opts.logYear ?? input.meta?.logYear;
	const logZone = opts.logZone ?? input.meta?.logZone;
	const {session, geo} = makeSession(opts, {logYear, logZone});
	session.input = {path: input.bundle ?? input.capture, logcat: input.logcat, speed, paused: false};
	session.logClockOffset = input.meta?.clockOffset ?? 0;
	if (input.meta?.device) session.device = input.meta.device;
	applyMarkers(session, opts, input.meta?.markers);
	const abort = new AbortController();
	// --keylog wins over the bundle's keys.log; read whole now, or followed while the replay runs.
	const keyLog = startKeyLog(opts.keylog ?? input.keylog, session, abort.signal, undefined);
	const timeParser = new LogcatParser({year: logYear, zone: logZone});
	const timeOf = (line: {text: string}) => timeParser.timeOf(line.text);
	const progress = !tui && !opts.quiet && Boolean(process.stderr.isTTY);
	// Statuses on the capture's clock (runReplay gives the opening ones the first record's time).
	const sourceState = (source: string, state: SourceState, detail?: string, ts?: number) =>
		session.setStatus({source, state, detail, ts: ts ?? (session.now || Date.now() / 1000)});

	let ui: Awaited<ReturnType<typeof startUi>> | undefined;
	if (tui) ui = await startUi(opts, session, abort, {mode: 'replay', control, notice});
	else {
		// Headless: Ctrl-C or SIGTERM stops the replay where it is and still writes the report of
		// what was read; a second one ends at once.
		const stopReplay = () => {
			if (abort.signal.aborted) process.exit(130);
			abort.abort();
		};
		process.on('SIGINT', stopReplay);
		process.on('SIGTERM', stopReplay);
	}

	let result: Awaited<ReturnType<typeof runReplay>>;
	try {
		result = await runReplay(
			input,
			{
				onPacket: (p) => session.addPacket(p),
				onLogLine: (l) => session.addLogLine(l),
				onPriorLogLine: (l) => session.primeLogLine(l),
				onStatus: sourceState,
				onCustomBlock: (pen, data) => session.addCustomBlock(pen, data.slice()),
				...secretsHooks(session),
				onProgress(ts, first) {
					if (session.input) session.input.position = ts;
					if (progress) {
						process.stderr.write(`\rtattle: replaying: ${session.stats.packets} packets, ${session.stats.logLines} log lines, ${Math.round(ts - (first ?? ts))} s of capture read  `);
					}
				},
			},
			{control, from: opts.from, to: opts.to, timeOf, signal: abort.signal},
		);
	} finally {
		if (progress) process.stderr.write('\r\x1b[K');
		// A followed key log stops with the replay.
		if (!abort.signal.aborted) abort.abort();
		await keyLog;
	}
	session.finish();
	const capture = result.capture;
	if (capture?.error) {
		const fatalNothing = capture.error.fatal && capture.packets === 0;
		if (fatalNothing && !input.logcat) {
			ui?.stop();
			fail(describeCaptureError(capture.name, capture.error).replace(/^tattle: /, ''));
		}
		process.stderr.write(sanitize(describeCaptureError(capture.name, capture.error)) + '\n');
		session.addMalformed('capture-damaged', capture.error.message);
	}
	await geo;
	if (ui) {
		ui.replayDone();
		await ui.waitUntilExit();
	}
	// Only the report and the exit code read this snapshot: no sparkline series (saves memory at the peak).
	const snap = session.snapshot({rates: false});
	writeReports(opts, snap, {
		command: 'replay',
		path: input.bundle ?? input.capture ?? null,
		logcat: input.logcat ?? null,
		speed: String(speed),
		...(result.aborted ? {stoppedEarly: true} : {}),
	});
	return exitCodeFor(opts, snap);
}

/** Where DSBs and the capture format go: secrets blocks feed the key store, pcapng means keys may come. */
function secretsHooks(session: Session): {onSecrets(s: {secretsType: number; data: Uint8Array}): void; onFormat(f: string): void} {
	return {
		onSecrets: (s) => session.addSecrets(s.secretsType, s.data),
		onFormat: (f) => {
			if (f === 'pcapng') session.expectKeys();
		},
	};
}

/**
 * --keylog FILE is read whole now (keys before the first packet); follow:FILE is followed until
 * `signal`, each piece going to the session and to the bundle being recorded. Resolves when done.
 */
function startKeyLog(spec: string | undefined, session: Session, signal: AbortSignal, rec: {keys(text: string): void} | undefined): Promise<void> {
	if (!spec) return Promise.resolve();
	const {path: file, follow} = keyLogPath(spec);
	if (!follow) {
		let text: string;
		try {
			text = readKeyLogFile(file);
		} catch (error) {
			if (error instanceof KeyLogError) fail(error.message);
			throw error;
		}
		session.addKeyLog(text, true);
		rec?.keys(text);
		return Promise.resolve();
	}
	session.expectKeys();
	return followKeyLog(
		file,
		(text) => {
			session.addKeyLog(text);
			rec?.keys(text);
		},
		{signal},
	)
		.then(() => session.addKeyLog('', true))
		.catch((error: Error) => {
			session.setStatus({source: 'keylog', state: 'down', detail: error.message, ts: Date.now() / 1000});
			process.stderr.write(`tattle: --keylog ${sanitize(file)}: ${sanitize(error.message)}\n`);
		});
}

/** The session every mode shares: classifier, optional NDJSON output, offline GeoIP loading in the background. */
function makeSession(opts: CliOptions, log: {logYear?: number; logZone?: string}): {session: Session; geo: Promise<void>} {
	const classifier = loadClassifier({rules: opts.rules, blocklists: opts.blocklist});
	if (!classifier.ok) fail(classifier.error);
	const out = process.stdout;
	const session = new Session({
		classifier: classifier.value,
		maxBody: opts.maxBody,
		logYear: log.logYear,
		logZone: log.logZone,
		onEvent: opts.json ? (e) => out.write(JSON.stringify(e, cleanStrings) + '\n') : undefined,
	});
	const geo = loadGeoData()
		.then((data) => session.setIpInfo(createIpInfo(data)))
		.catch((error: Error) => {
			session.setIpInfo(createIpInfo());
			process.stderr.write(`tattle: offline GeoIP/ASN data unavailable (${sanitize(error.message)}); countries left blank\n`);
		});
	return {session, geo};
}

/** Incognito windows and notes stated by hand: --incognito, and the markers a bundle recorded. */
function applyMarkers(session: Session, opts: CliOptions, markers: BundleMeta['markers']): void {
	for (const w of opts.incognito) session.addIncognitoWindow(w.pkg, w.from, w.to);
	const open = new Map<string | undefined, number>();
	for (const m of [...(markers ?? [])].filter((x) => Number.isFinite(x?.ts)).sort((a, b) => a.ts - b.ts)) {
		if (m.kind === 'incognito-on') open.set(m.pkg, m.ts);
		else if (m.kind === 'incognito-off') {
			const from = open.get(m.pkg);
			if (from !== undefined) session.addIncognitoWindow(m.pkg, from, m.ts);
			open.delete(m.pkg);
		} else session.addMarker(String(m.text ?? 'marker'), m.ts);
	}
	for (const [pkg, from] of open) session.addIncognitoWindow(pkg, from, undefined);
}

type UiOptions = {mode: 'replay' | 'live'; control?: ReplayControl; notice?: string};

/** Set once the dashboard has run: the process then ends as soon as main is done (see the end of this file). */
let dashboardShown = false;

/** Starts the dashboard for a session; resolves to handles the caller uses at the end. */
async function startUi(opts: CliOptions, session: Session, abort: AbortController, o: UiOptions) {
	const {control, notice} = o;
	dashboardShown = true;
	// React's development build cost ~40% more CPU a frame (measured in tmux at 120x40); users get
	// the production build unless they ask. Set before the first import of react.
	process.env.NODE_ENV ??= 'production';
	// Ink reads CI (is-in-ci) when it loads and then prints only the last frame, at exit: a blank
	// screen for the whole session. The dashboard runs only on a terminal, so that heuristic is wrong here.
	liveTerminalForInk(process.env);
	const uiModule = './source/ui/render.js';
	const [{renderApp}, stores, controls] = await Promise.all([import(uiModule), import('./source/stores/session.js'), import('./source/stores/controls.js')]);
	const flusher = startFlushing(() => {
		if (session.input && control) {
			session.input.speed = control.speed;
			session.input.paused = control.paused;
		}
		return session.snapshot();
	}, stores.applySnapshot, {periodMs: opts.refreshMs});
	if (notice) stores.addNotice(notice);
	// The first frame shows the session as it is (device, sources), not empty stores for a tick.
	flusher.flushNow();
	let resolveExit!: () => void;
	const exited = new Promise<void>((r) => (resolveExit = r));
	controls.setControls({
		toggleIncognito: () => session.toggleIncognito(),
		addMarker: (text?: string) => session.addMarker(text ?? 'marker'),
		...(control
			? {
					changeSpeed: (factor: number) => control.changeSpeed(factor),
					step: () => control.step(),
					togglePlayback: () => control.togglePause(),
				}
			: {}),
		exportReport: () => {
			const files = opts.report.length > 0 ? opts.report : [`tattle-report-${Date.now()}.json`];
			writeReports({...opts, report: files}, session.snapshot(), {command: o.mode, path: session.input?.path ?? null});
			return files.join(', ');
		},
		quit: () => {
			abort.abort();
			resolveExit();
		},
	});
	const keyboard = keyboardStream() ?? process.stdin;
	const app = renderApp({color: opts.color, ascii: opts.ascii || !utf8Locale(), mode: o.mode, stdin: keyboard});
	// The dashboard stays up after the replay ends until the user quits: hold the event loop open.
	const keepAlive = setInterval(() => undefined, 60_000);
	let stopped = false;
	const stop = () => {
		if (stopped) return;
		stopped = true;
		clearInterval(keepAlive);
		flusher.stop();
		app.unmount();
	};
	return {
		stop,
		replayDone() {
			flusher.flushNow();
			stores.addNotice('Replay finished: q quits, e exports the report');
		},
		async waitUntilExit() {
			await exited;
			flusher.flushNow();
			stop();
			await app.waitUntilExit().catch(() => undefined);
			// Leave the terminal as we found it, and let go of the keyboard so the process can end.
			if (keyboard.isTTY) keyboard.setRawMode(false);
			keyboard.pause();
			if (keyboard !== process.stdin) keyboard.destroy();
		},
	};
}

/** Removes the variables that make Ink think no one watches the terminal (CI, CONTINUOUS_INTEGRATION). */
function liveTerminalForInk(env: NodeJS.ProcessEnv): void {
	delete env.CI;
	delete env.CONTINUOUS_INTEGRATION;
}

function utf8Locale(): boolean {
	const lc = process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || '';
	return lc === '' || /utf-?8/i.test(lc);
}

/** Writes every --report file; a write failure is a clear error, not a stack trace. */
export function writeReports(opts: CliOptions, snap: SessionSnapshot, input: Record<string, unknown>): void {
	if (opts.report.length === 0) return;
	const report = buildReport(snap, {version, input});
	for (const file of opts.report) {
		try {
			// Written as it is serialised: at 17k destinations the whole text (and its UTF-8 copy) was the replay's peak.
			const fd = openSync(file, 'w');
			try {
				for (const piece of reportPieces(report, file)) {
					// writeSync may write less than asked (a pipe): loop until all of it is out.
					const bytes = Buffer.from(piece, 'utf8');
					for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
				}
			} finally {
				closeSync(fd);
			}
		} catch (error) {
			fail(`cannot write report ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
		}
	}
}

/** 3 when a --fail-on flag kind was raised, else 0. */
export function exitCodeFor(opts: CliOptions, snap: SessionSnapshot): number {
	if (opts.failOn.length === 0) return 0;
	const hit = snap.flags.some((f) => opts.failOn.includes('any') || opts.failOn.includes(f.kind));
	return hit ? 3 : 0;
}

// A closed pipe (`tattle ... --json | head`) ends the run quietly, as other Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
	if (error.code === 'EPIPE') process.exit(0);
	throw error;
});

main(process.argv.slice(2)).then(
	(code) => {
		process.exitCode = code;
	},
	(error: unknown) => {
		if (error instanceof ExitError) {
			process.stderr.write(`tattle: ${sanitize(error.message)}\n`);
			// Sources, timers or a child may still be running: an error ends the process now
			// (stderr is synchronous on terminals and pipes, and Node restores the terminal mode).
			process.exit(error.code);
		}
		// A programmer error: one line plus where, never a raw dump on the terminal.
		const e = error as Error;
		process.stderr.write(`tattle: internal error: ${sanitize(e?.message ?? String(error))}\n`);
		if (process.env.TATTLE_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
		process.exit(70);
	},
).then(() => {
	// After the dashboard unmounts, nanostores' computed stores unmount on chained 1 s timers
	// (3 s in all, measured): q took that long to give the prompt back. Nothing is left to do by
	// now (reports are written synchronously; terminal writes are blocking), so end here.
	if (dashboardShown) process.exit();
});
