/**
 * Test harness: a private adb server (its own port, killed afterwards) and simulated phones
 * connected to it with `adb connect`, so tests run the real adb client and server against a
 * fake device on loopback.
 */
import {execFile, spawn} from 'node:child_process';
import {readFileSync} from 'node:fs';
import net from 'node:net';
import {fileURLToPath} from 'node:url';
import {DeviceSim, type DeviceSimOptions} from '../../source/sim/device-sim.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/sim/', import.meta.url));
export const LOGCAT_FIXTURE = `${FIXTURES}logcat-epoch.txt`;
export const PCAP_FIXTURE = `${FIXTURES}http-lo.pcap`;

/** Fixture contents. */
export const logcatText = (): string => readFileSync(LOGCAT_FIXTURE, 'utf8');
export const pcapBytes = (): Uint8Array => new Uint8Array(readFileSync(PCAP_FIXTURE));

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const {port} = s.address() as net.AddressInfo;
			s.close(() => resolve(port));
		});
	});
}

/** How long one adb command may take before the test calls it hung. */
const ADB_COMMAND_TIMEOUT_MS = 10_000;

export class AdbHarness {
	readonly sims: DeviceSim[] = [];
	port = 0;

	get env(): NodeJS.ProcessEnv {
		return {...process.env, ANDROID_ADB_SERVER_PORT: String(this.port), ANDROID_SERIAL: ''};
	}

	/** Runs the real adb client against our private server. */
	adb(args: string[], encoding: 'utf8' | 'buffer' = 'utf8'): Promise<{stdout: string | Buffer; code: number}> {
		return new Promise((resolve) => {
			execFile(
				'adb',
				args,
				{env: this.env, timeout: ADB_COMMAND_TIMEOUT_MS, encoding, maxBuffer: 16 * 1024 * 1024},
				(error, stdout) => resolve({stdout, code: error ? Number((error as {code?: number}).code ?? 1) : 0}),
			);
		});
	}

	/** Runs adb and reads stdout until `bytes` bytes arrived (or the timeout), then kills it. */
	adbBytes(args: string[], bytes: number, timeoutMs: number): Promise<Buffer> {
		return new Promise((resolve) => {
			const child = spawn('adb', args, {env: this.env, stdio: ['ignore', 'pipe', 'ignore']});
			const parts: Buffer[] = [];
			let size = 0;
			const finish = (): void => {
				clearTimeout(timer);
				child.kill();
				resolve(Buffer.concat(parts));
			};
			const timer = setTimeout(finish, timeoutMs);
			child.stdout.on('data', (d: Buffer) => {
				parts.push(d);
				size += d.length;
				if (size >= bytes) finish();
			});
			child.on('exit', finish);
		});
	}

	async start(): Promise<void> {
		this.port = await freePort();
		const r = await this.adb(['start-server']);
		if (r.code !== 0) throw new Error(`adb start-server failed (${r.code})`);
	}

	/** Starts a simulated phone and `adb connect`s it; resolves with its serial. */
	async addSim(options: DeviceSimOptions): Promise<{sim: DeviceSim; serial: string}> {
		const sim = new DeviceSim(options);
		this.sims.push(sim);
		const port = await sim.listen(0);
		const serial = `127.0.0.1:${port}`;
		const r = await this.adb(['connect', serial]);
		if (!String(r.stdout).includes('connected')) throw new Error(`adb connect ${serial}: ${String(r.stdout)}`);
		await this.adb(['-s', serial, 'wait-for-device']);
		return {sim, serial};
	}

	/** Kills the private server and closes every simulator; safe to call after a failed start. */
	async stop(): Promise<void> {
		if (this.port) await this.adb(['kill-server']);
		await Promise.all(this.sims.map((s) => s.close()));
	}
}

/** Collects an async iterable's bytes until `done(bytes)` or the timeout; then stops it. */
export async function collect(
	source: AsyncIterable<Uint8Array>,
	done: (all: Uint8Array) => boolean,
	timeoutMs: number,
): Promise<Uint8Array> {
	const parts: Uint8Array[] = [];
	let all: Uint8Array = new Uint8Array(0);
	const deadline = Date.now() + timeoutMs;
	const iterator = source[Symbol.asyncIterator]();
	try {
		while (!done(all) && Date.now() < deadline) {
			const next = await Promise.race([
				iterator.next(),
				new Promise<undefined>((r) => setTimeout(() => r(undefined), Math.max(1, deadline - Date.now()))),
			]);
			if (!next || next.done) break;
			parts.push(next.value);
			all = Buffer.concat(parts);
		}
	} finally {
		void iterator.return?.(undefined);
	}
	return all;
}
