/**
 * `npm run soak` (after `npm run build`): tattle live on its dashboard for a long while against
 * the device simulator behind the real adb server, streaming a high packet rate and log rate,
 * with the phone dropping off every minute. Measures, and fails (exit 1) when a bound is broken:
 *   - tattle's RSS, sampled every second, against a cap;
 *   - key latency through a real pty (script): from writing `?` to the help overlay's first bytes;
 *   - loss across the drops: the bundle tattle recorded holds every log line the phone had and
 *     every packet adb took from the phone's tcpdump (packets during an outage are never
 *     captured, as on a phone), and the report counts the same.
 * The capture is bench/make-capture.js's (real flows from the shared corpus, 2,000 packets/s of
 * capture time), served `rate / 2000` times faster, in laps of --lap-seconds.
 *
 *   node bench/soak.mjs [--duration S] [--rate PKT_S] [--log-rate LINES_S] [--drop-every S]
 *                       [--drop-ms MS] [--rss-cap-mb MB] [--key-ms MS] [--json]
 */
import {execFile, spawn} from 'node:child_process';
import {closeSync, existsSync, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import {makeCapture} from './make-capture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const CLI = path.join(repo, 'dist', 'cli.js');
const run = promisify(execFile);

/** The issue's figures: 10 minutes, 20k packets/s, 200 log lines/s, a drop every minute. */
const DEFAULTS = {duration: 600, rate: 20_000, logRate: 200, dropEvery: 60, dropMs: 3000, rssCapMb: 400, keyMs: 200, lapSeconds: 10, json: false};
/** make-capture.js spaces packets 2,000 a second of capture time. */
const CAPTURE_RATE = 2000;
/** A key probe every this many seconds: often enough for a distribution, rare enough not to be the load. */
const KEY_EVERY_S = 5;
/** After the last record: time for adb and tattle to drain before q. */
const DRAIN_MS = 5000;
/** Screen output kept for matching: a few frames' worth of diff. */
const OUTPUT_TAIL = 64 * 1024;
/** How long q may take to end the run (the report and the bundle are written on the way out). */
const EXIT_WAIT_MS = 30_000;

function parseArgs(argv) {
	const o = {...DEFAULTS};
	const num = {'--duration': 'duration', '--rate': 'rate', '--log-rate': 'logRate', '--drop-every': 'dropEvery', '--drop-ms': 'dropMs', '--rss-cap-mb': 'rssCapMb', '--key-ms': 'keyMs', '--lap-seconds': 'lapSeconds'};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--json') o.json = true;
		else if (num[a]) o[num[a]] = Number(argv[++i]);
		else throw new Error(`unknown argument ${a} (see the comment at the top of bench/soak.mjs)`);
	}
	for (const k of Object.values(num)) if (!(o[k] > 0)) throw new Error(`--${k} wants a positive number`);
	return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const {port} = s.address();
			s.close(() => resolve(port));
		});
	});
}

/** Log lines in the live epoch format, `logRate` a second of real time (speed-scaled capture time). */
function logcatText(start, lines, step) {
	const out = [];
	for (let k = 0; k < lines; k++) {
		const ts = (start + k * step).toFixed(3);
		out.push(`${ts.padStart(24)}  10123  4000  4001 I SoakApp: soak line ${k} fetching https://example.org/item/${k % 997}`);
	}
	return out.join('\n') + '\n';
}

/** Records in a pcap file: walks the record headers in 1 MiB reads (a 10-minute bundle is gigabytes). */
function pcapRecords(file) {
	const fd = openSync(file, 'r');
	const head = Buffer.alloc(16);
	let n = 0;
	try {
		const size = fstatSync(fd).size;
		for (let at = 24; at + 16 <= size; n++) {
			readSync(fd, head, 0, 16, at);
			at += 16 + head.readUInt32LE(8);
		}
	} finally {
		closeSync(fd);
	}
	return n;
}

function quantile(sorted, q) {
	return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

/** The pid of tattle in a pane: the child of the pane's shell running dist/cli.js. */
function tattlePid(shellPid) {
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
			const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			if (ppid === shellPid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('dist/cli.js')) return Number(entry);
		} catch {
			// gone meanwhile
		}
	}
	return undefined;
}

function rssMb(pid) {
	try {
		const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
		return m ? Number(m[1]) / 1024 : undefined;
	} catch {
		return undefined;
	}
}

export async function soak(o) {
	const {DeviceSim} = await import(path.join(repo, 'dist', 'source', 'sim', 'device-sim.js'));
	const tmp = mkdtempSync(path.join(os.tmpdir(), 'tattle-soak-'));
	const speed = o.rate / CAPTURE_RATE;
	const lapPackets = Math.max(1000, Math.round(Math.min(o.duration, o.lapSeconds) * o.rate));
	const laps = Math.max(1, Math.round((o.duration * o.rate) / lapPackets));
	const pcap = path.join(tmp, 'soak.pcap');
	const made = makeCapture({out: pcap, packets: lapPackets, seed: 7});
	const startTs = made.firstTs ?? 1_750_000_000;
	const logLines = Math.round(o.duration * o.logRate);
	const logFile = path.join(tmp, 'soak-logcat.txt');
	writeFileSync(logFile, logcatText(startTs, logLines, speed / o.logRate));

	const adbPort = await freePort();
	const env = {...process.env, ANDROID_ADB_SERVER_PORT: String(adbPort), ANDROID_SERIAL: ''};
	const adb = (args) => run('adb', args, {env, encoding: 'utf8', timeout: 10_000});
	await adb(['start-server']);
	const sim = new DeviceSim({pcapPath: pcap, logcatPath: logFile, speed, rebase: true, captureLaps: laps});
	const simPort = await sim.listen(0);
	const serial = `127.0.0.1:${simPort}`;
	await adb(['connect', serial]);
	await adb(['-s', serial, 'wait-for-device']);

	const rec = path.join(tmp, 'rec');
	const report = path.join(tmp, 'report.json');
	const q = (w) => `'${w.replaceAll("'", `'\\''`)}'`;
	// script gives tattle a real pty (120x40); keys go in on its stdin, the screen comes out on its stdout.
	// The bin itself, as the `tattle` command runs (its first line gives node its flags), with this node first on PATH.
	const inner = `stty cols 120 rows 40; PATH=${q(path.dirname(process.execPath))}:"$PATH"; exec ${q(CLI)} live --serial ${q(serial)} --record ${q(rec)} --report ${q(report)}`;
	const child = spawn('script', ['-q', '-e', '-c', inner, '/dev/null'], {env: {...env, TERM: 'xterm-256color', LANG: 'C.UTF-8', NO_COLOR: '1'}, stdio: ['pipe', 'pipe', 'ignore']});
	const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
	/** The screen output since the last mark (a tail is kept, so a word split across chunks is still found). */
	let out = '';
	let waiter;
	child.stdout.on('data', (d) => {
		out = (out + d.toString('utf8')).slice(-OUTPUT_TAIL);
		if (waiter && waiter.test(out)) waiter.done(true);
	});
	const waitOutput = (test, ms) =>
		new Promise((resolve) => {
			const timer = setTimeout(() => finish(false), ms);
			const finish = (ok) => {
				clearTimeout(timer);
				waiter = undefined;
				resolve(ok);
			};
			if (test(out)) return finish(true);
			waiter = {test, done: finish};
		});
	const result = {options: o, speed, lapPackets, laps, logLines, rss: [], keys: [], drops: 0};
	try {
		let pid;
		for (let i = 0; i < 100 && !pid; i++, await sleep(100)) pid = tattlePid(child.pid);
		if (!pid) throw new Error('tattle did not start under script');
		if (!(await waitOutput((x) => /[1-9][\d,]* pkts/.test(x), 30_000))) throw new Error(`no packets on the dashboard:\n${out}`);
		const t0 = Date.now();
		let nextDrop = o.dropEvery;
		let nextKey = 2;
		for (let s = 1; s <= o.duration; s++) {
			await sleep(Math.max(0, t0 + s * 1000 - Date.now()));
			const mb = rssMb(pid);
			if (mb !== undefined) result.rss.push(mb);
			if (s >= nextDrop && s <= o.duration - 10) {
				sim.drop(o.dropMs);
				result.drops++;
				nextDrop += o.dropEvery;
			}
			if (s >= nextKey) {
				nextKey += KEY_EVERY_S;
				out = '';
				const at = performance.now();
				child.stdin.write('?');
				const shown = await waitOutput((x) => x.includes('KEYS · '), 5000);
				result.keys.push(shown ? Math.round(performance.now() - at) : Infinity);
				child.stdin.write('\x1b');
				await sleep(500);
			}
			if (!o.json && s % 10 === 0) process.stderr.write(`\rsoak: ${s}/${o.duration} s, RSS ${result.rss.at(-1)?.toFixed(0)} MB, ${sim.served.acked} packets served, ${result.drops} drops   `);
		}
		await sleep(DRAIN_MS);
		result.streamSeconds = (Date.now() - t0) / 1000;
		child.stdin.write('q');
		result.exit = await Promise.race([exited, sleep(EXIT_WAIT_MS).then(() => 'hung')]);
		if (result.exit === 'hung') throw new Error('q did not end the run');
	} finally {
		if (child.exitCode === null) child.kill('SIGKILL');
		await sim.close();
		await adb(['kill-server']).catch(() => undefined);
	}

	const capFile = path.join(rec, 'capture.pcap');
	const recordedLines = readFileSync(path.join(rec, 'logcat.txt'), 'utf8').split('\n').filter((l) => l.includes('SoakApp:')).length;
	const rep = JSON.parse(readFileSync(report, 'utf8'));
	const rss = [...result.rss].sort((a, b) => a - b);
	const keys = [...result.keys].sort((a, b) => a - b);
	const figures = {
		seconds: o.duration,
		packetRate: o.rate,
		logRate: o.logRate,
		drops: result.drops,
		packetsSent: sim.served.sent,
		packetsAcked: sim.served.acked,
		packetsRecorded: existsSync(capFile) ? pcapRecords(capFile) : 0,
		packetsReported: rep.stats.packets,
		// What flowed end to end: the pipeline (simulator, adb, tattle) may run behind the asked rate.
		achievedPacketRate: Math.round((existsSync(capFile) ? pcapRecords(capFile) : 0) / result.streamSeconds),
		logLinesSent: logLines,
		logLinesRecorded: recordedLines,
		rssMaxMb: Math.round(rss.at(-1) ?? NaN),
		rssMedianMb: Math.round(quantile(rss, 0.5)),
		keyProbes: keys.length,
		keyP50Ms: quantile(keys, 0.5),
		keyP95Ms: quantile(keys, 0.95),
		keyMaxMs: keys.at(-1),
		exit: result.exit,
	};
	const failures = [];
	if (figures.exit !== 0) failures.push(`exit ${figures.exit}`);
	if (!(figures.rssMaxMb <= o.rssCapMb)) failures.push(`RSS ${figures.rssMaxMb} MB over the ${o.rssCapMb} MB cap`);
	if (!(figures.keyMaxMs <= o.keyMs)) failures.push(`a key took ${figures.keyMaxMs} ms (bound ${o.keyMs} ms)`);
	if (figures.packetsRecorded < figures.packetsAcked || figures.packetsRecorded > figures.packetsSent) failures.push(`recorded ${figures.packetsRecorded} packets, adb took ${figures.packetsAcked} (sent ${figures.packetsSent})`);
	if (figures.packetsReported !== figures.packetsRecorded) failures.push(`report counts ${figures.packetsReported} packets, the bundle ${figures.packetsRecorded}`);
	if (figures.logLinesRecorded !== logLines) failures.push(`recorded ${figures.logLinesRecorded} of ${logLines} log lines`);
	if (failures.length === 0) rmSync(tmp, {recursive: true, force: true});
	else figures.kept = tmp;
	return {figures, failures};
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const o = parseArgs(process.argv.slice(2));
	const {figures, failures} = await soak(o);
	if (o.json) process.stdout.write(JSON.stringify({figures, failures}) + '\n');
	else {
		process.stderr.write('\n');
		for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(20)} ${v}\n`);
		for (const f of failures) process.stdout.write(`FAIL: ${f}\n`);
	}
	process.exitCode = failures.length ? 1 : 0;
}
