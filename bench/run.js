/**
 * `npm run bench` (after `npm run build`): builds a large handshake-heavy capture from real
 * recorded flows, then times, side by side and in rounds (so machine load hits all alike):
 *   (a) tattle's headless replay, (b) tshark extracting the same names, (c) a bare pcap record
 *   walk in Node (the floor), and tattle on a 2x larger file (peak RSS must stay flat);
 *   (d) bytes per second the dashboard writes to a terminal at ~5,000 packets/s.
 * Medians of RUNS runs; the table goes to stdout and bench/out/results.md.
 *
 *   node bench/run.js [--packets N] [--runs R] [--seed S] [--no-tshark] [--no-tty] [--no-2x]
 */
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {DEFAULT_PACKETS, makeCapture} from './make-capture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const OUT = path.join(here, 'out');
const CLI = path.join(repo, 'dist', 'cli.js');

/** Timings per measurement: the median of 3 shrugs off one disturbed run on a shared machine. */
const DEFAULT_RUNS = 3;
/** Dashboard packet rate for the terminal-output test (the issue's figure). */
const TTY_PACKET_RATE = 5_000;
/** Seconds the dashboard runs under a pseudo-terminal. */
const TTY_SECONDS = 10;
/** Terminal size for the dashboard test: a common laptop terminal. */
const TTY_COLS = 120;
const TTY_ROWS = 40;

const TARGET_VS_TSHARK = 30;
const TARGET_VS_WALK = 2.5;
const TARGET_RSS_MB = 150;

function parseArgs(argv) {
	const o = {packets: DEFAULT_PACKETS, runs: DEFAULT_RUNS, seed: 1, tshark: true, tty: true, double: true};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--packets') o.packets = Number(argv[++i]);
		else if (a === '--runs') o.runs = Number(argv[++i]);
		else if (a === '--seed') o.seed = Number(argv[++i]);
		else if (a === '--no-tshark') o.tshark = false;
		else if (a === '--no-tty') o.tty = false;
		else if (a === '--no-2x') o.double = false;
		else throw new Error(`unknown argument ${a} (see the comment at the top of bench/run.js)`);
	}
	if (!Number.isInteger(o.packets) || o.packets < 1000) throw new Error('--packets wants an integer >= 1000');
	if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs wants a positive integer');
	return o;
}

function hasCommand(cmd) {
	return spawnSync('sh', ['-c', `command -v ${cmd}`], {stdio: 'ignore'}).status === 0;
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** The capture for (packets, seed), built once and reused while its metadata matches. */
function capture(packets, seed) {
	const file = path.join(OUT, `bench-${packets}-s${seed}.pcap`);
	const meta = `${file}.json`;
	if (existsSync(file) && existsSync(meta)) {
		const m = JSON.parse(readFileSync(meta, 'utf8'));
		if (m.packets === packets && m.bytes === statSync(file).size) return {file, ...m};
	}
	process.stderr.write(`building ${path.relative(repo, file)} (${packets} packets)... `);
	const t0 = performance.now();
	const s = makeCapture({out: file, packets, seed});
	process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
	writeFileSync(meta, JSON.stringify(s));
	return {file, ...s};
}

/**
 * Runs a command to its end; resolves to {wall seconds, peak RSS KB, stdout}. Peak RSS comes from
 * GNU time when installed, else from rss-hook.js (node children only).
 */
function measure(cmd, args, {node = false, stdoutFile} = {}) {
	return new Promise((resolve, reject) => {
		const rssFile = path.join(OUT, `.rss-${process.pid}`);
		let argv = [cmd, ...args];
		if (node && !TIME) argv = [cmd, '--import', path.join(here, 'rss-hook.js'), ...args];
		if (TIME) argv = [TIME, '-f', '%M', '-o', rssFile, ...argv];
		const t0 = performance.now();
		const child = spawn(argv[0], argv.slice(1), {stdio: ['ignore', stdoutFile ? 'ignore' : 'pipe', 'pipe']});
		let out = '';
		let err = '';
		child.stdout?.on('data', (d) => (out += d));
		child.stderr.on('data', (d) => (err += d));
		child.on('error', reject);
		child.on('close', (code) => {
			const wall = (performance.now() - t0) / 1000;
			if (code !== 0) return reject(new Error(`${argv.join(' ')} exited ${code}: ${err.trim().slice(-500)}`));
			let rss;
			if (TIME) {
				rss = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
				rmSync(rssFile, {force: true});
			} else rss = Number(/BENCH_MAX_RSS_KB=(\d+)/.exec(err)?.[1]);
			resolve({wall, rss: Number.isFinite(rss) ? rss : undefined, stdout: out});
		});
	});
}

const median = (xs) => {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function tattle(cap) {
	const report = path.join(OUT, `report-${path.basename(cap.file, '.pcap')}.json`);
	const r = await measure(process.execPath, [CLI, 'replay', cap.file, '--speed', 'max', '--report', report], {node: true});
	const stats = JSON.parse(readFileSync(report, 'utf8')).stats;
	if (stats.packets !== cap.packets) throw new Error(`tattle counted ${stats.packets} packets of ${cap.packets}`);
	return r;
}

async function tshark(cap) {
	// Output goes to /dev/null as in the issue; the shell does the redirect so tshark pays the same.
	return measure('sh', ['-c', `tshark -r '${cap.file}' -T fields -e dns.qry.name -e tls.handshake.extensions_server_name -e http.host > /dev/null 2>&1`]);
}

async function walk(cap) {
	const r = await measure(process.execPath, [path.join(here, 'walk.js'), cap.file], {node: true});
	if (Number(r.stdout.trim()) !== cap.packets) throw new Error(`walk counted ${r.stdout.trim()} records of ${cap.packets}`);
	return r;
}

/** Bytes per second the dashboard writes to a pseudo-terminal at ~TTY_PACKET_RATE packets/s. */
function dashboardBytes(cap) {
	const speed = TTY_PACKET_RATE / (cap.packets / cap.seconds);
	const log = path.join(OUT, 'dashboard.typescript');
	rmSync(log, {force: true});
	const inner = `stty cols ${TTY_COLS} rows ${TTY_ROWS}; exec '${process.execPath}' '${CLI}' replay '${cap.file}' --speed ${speed.toFixed(3)}`;
	// script gives the dashboard a real pty; timeout ends it after TTY_SECONDS (SIGTERM, then KILL).
	const r = spawnSync('timeout', ['-k', '3', String(TTY_SECONDS), 'script', '-q', '-e', '-c', inner, log], {
		stdio: ['pipe', 'ignore', 'ignore'],
		env: {...process.env, TERM: 'xterm-256color', LANG: 'C.UTF-8', FORCE_COLOR: '1'},
	});
	const bytes = existsSync(log) ? statSync(log).size : 0;
	return {speed, bytes, perSecond: bytes / TTY_SECONDS, status: r.status};
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', {minimumFractionDigits: d, maximumFractionDigits: d});

async function main() {
	const o = parseArgs(process.argv.slice(2));
	if (!existsSync(CLI)) throw new Error('dist/cli.js missing: run `npm run build` first');
	mkdirSync(OUT, {recursive: true});
	const haveTshark = o.tshark && hasCommand('tshark');
	const big = capture(o.packets, o.seed);
	const double = o.double ? capture(o.packets * 2, o.seed) : undefined;
	const t = {tattle: [], tshark: [], walk: [], double: []};
	for (let run = 1; run <= o.runs; run++) {
		process.stderr.write(`run ${run}/${o.runs}: tattle`);
		t.tattle.push(await tattle(big));
		process.stderr.write(', walk');
		t.walk.push(await walk(big));
		if (double) {
			process.stderr.write(', tattle 2x');
			t.double.push(await tattle(double));
		}
		if (haveTshark) {
			process.stderr.write(', tshark');
			t.tshark.push(await tshark(big));
		}
		process.stderr.write('\n');
	}
	let dash;
	if (o.tty && existsSync(path.join(repo, 'dist', 'source', 'ui', 'render.js')) && hasCommand('script') && hasCommand('timeout')) {
		process.stderr.write(`dashboard under a pty for ${TTY_SECONDS} s...\n`);
		dash = dashboardBytes(big);
	}

	const mb = big.bytes / 1e6;
	const row = (name, runs, cap, note = '') => {
		const wall = median(runs.map((r) => r.wall));
		const rss = runs.every((r) => r.rss !== undefined) ? median(runs.map((r) => r.rss)) / 1024 : undefined;
		return {name, wall, pps: cap.packets / wall, mbps: cap.bytes / 1e6 / wall, rss, note};
	};
	const rows = [row('tattle replay --speed max', t.tattle, big), row('bare record walk (Node)', t.walk, big, 'the floor')];
	if (haveTshark) rows.push(row('tshark -T fields (dns, sni, host)', t.tshark, big));
	if (double) rows.push(row(`tattle replay, 2x file (${fmt(double.packets)} packets)`, t.double, double));
	const [tt, ww] = rows;
	const ts = haveTshark ? rows[2] : undefined;
	const dd = double ? rows[rows.length - 1] : undefined;

	const lines = [];
	lines.push(`# tattle benchmark`);
	lines.push('');
	lines.push(`${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} CPU (${os.cpus()[0]?.model?.trim() ?? '?'}), load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, node ${process.version}`);
	lines.push(`Capture: ${path.relative(repo, big.file)}: ${fmt(big.packets)} packets, ${fmt(mb, 1)} MB, ${fmt(big.flows)} flows, ${fmt(big.names)} distinct names, ${fmt(big.seconds)} s of capture time (seed ${o.seed}; flows by kind: ${Object.entries(big.kinds).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}).`);
	lines.push(`Medians of ${o.runs} run(s); peak RSS via ${TIME ? 'GNU time (%M)' : 'process.resourceUsage().maxRSS'}.`);
	lines.push('');
	lines.push('| what | wall s | packets/s | MB/s | peak RSS MB | note |');
	lines.push('|---|---:|---:|---:|---:|---|');
	for (const r of rows) lines.push(`| ${r.name} | ${r.wall.toFixed(2)} | ${fmt(r.pps)} | ${fmt(r.mbps, 1)} | ${r.rss === undefined ? 'n/a' : fmt(r.rss)} | ${r.note} |`);
	lines.push('');
	const verdict = (ok) => (ok ? 'met' : '**not met**');
	lines.push('| ratio | value | target | |');
	lines.push('|---|---:|---:|---|');
	if (ts) lines.push(`| tattle / tshark throughput | ${(tt.pps / ts.pps).toFixed(1)}x | >= ${TARGET_VS_TSHARK}x | ${verdict(tt.pps / ts.pps >= TARGET_VS_TSHARK)} |`);
	lines.push(`| tattle time / bare walk time | ${(tt.wall / ww.wall).toFixed(2)}x | <= ${TARGET_VS_WALK}x | ${verdict(tt.wall / ww.wall <= TARGET_VS_WALK)} |`);
	if (tt.rss !== undefined) lines.push(`| tattle peak RSS | ${fmt(tt.rss)} MB | < ${TARGET_RSS_MB} MB | ${verdict(tt.rss < TARGET_RSS_MB)} |`);
	if (dd?.rss !== undefined && tt.rss !== undefined) {
		lines.push(`| peak RSS, 2x file / 1x file | ${(dd.rss / tt.rss).toFixed(2)} (${fmt(dd.rss)} MB) | flat, < ${TARGET_RSS_MB} MB | ${verdict(dd.rss < TARGET_RSS_MB && dd.rss / tt.rss < 1.25)} |`);
	}
	if (dash) {
		lines.push(`| dashboard bytes to the terminal | ${fmt(dash.perSecond)} B/s | (reported) | ${TTY_COLS}x${TTY_ROWS} pty, --speed ${dash.speed.toFixed(2)} (~${fmt(TTY_PACKET_RATE)} packets/s), ${TTY_SECONDS} s incl. start-up |`);
	} else if (o.tty) {
		lines.push(`| dashboard bytes to the terminal | not measured | | needs dist/source/ui/render.js, script and timeout |`);
	}
	lines.push('');
	const md = lines.join('\n');
	writeFileSync(path.join(OUT, 'results.md'), md);
	process.stdout.write(md);
	process.stderr.write(`(written to ${path.relative(process.cwd(), path.join(OUT, 'results.md'))})\n`);
}

main().catch((error) => {
	process.stderr.write(`bench: ${error.message}\n`);
	process.exitCode = 1;
});
