/**
 * Loaded by bench/run.js with `node --import bench/tty-hook.js dist/cli.js replay ...` under a
 * pseudo-terminal: counts what the process writes to its terminal (writes = frames, bytes), when
 * its first frame came (ms since $BENCH_T0, the parent's Date.now() before spawning), and its CPU
 * time; after $BENCH_TTY_WARMUP s it starts a measured window, and after $BENCH_TTY_SECONDS s it
 * writes the figures as JSON to $BENCH_TTY_OUT and exits.
 */
import {writeFileSync} from 'node:fs';

const t0 = Number(process.env.BENCH_T0);
const out = process.env.BENCH_TTY_OUT;
const seconds = Number(process.env.BENCH_TTY_SECONDS ?? 10);
const warmup = Number(process.env.BENCH_TTY_WARMUP ?? 3);
if (!out || !Number.isFinite(t0)) throw new Error('tty-hook.js wants BENCH_T0 and BENCH_TTY_OUT');

let writes = 0;
let bytes = 0;
/** Redraws: Ink opens each frame with a synchronized-update begin (ESC[?2026h); a frame is one to three writes. */
let frames = 0;
const BEGIN_SYNC = '\u001B[?2026h';
let firstFrameMs;
// Visible text, not just cursor/mode escapes: the first write holding any is the first frame.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)|[@-Z\\-_])/g;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
	writes++;
	bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
	if (String(chunk).includes(BEGIN_SYNC)) frames++;
	if (firstFrameMs === undefined && /\S/.test(String(chunk).replace(ESCAPES, ''))) firstFrameMs = Date.now() - t0;
	return write(chunk, ...rest);
};

let mark;
setTimeout(() => {
	mark = {at: performance.now(), writes, frames, bytes, cpu: process.cpuUsage()};
}, warmup * 1000).unref();
setTimeout(() => {
	const now = performance.now();
	const cpu = process.cpuUsage(mark?.cpu);
	const windowS = mark ? (now - mark.at) / 1000 : 0;
	writeFileSync(out, JSON.stringify({
		firstFrameMs,
		windowS,
		writes: writes - (mark?.writes ?? 0),
		frames: frames - (mark?.frames ?? 0),
		bytes: bytes - (mark?.bytes ?? 0),
		cpuS: (cpu.user + cpu.system) / 1e6,
		totalWrites: writes,
		totalBytes: bytes,
		// Peak resident set of the dashboard's process so far (KiB from the OS, in MB).
		maxRssMb: process.resourceUsage().maxRSS / 1024,
	}));
	process.exit(0);
}, seconds * 1000).unref();
