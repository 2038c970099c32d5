/**
 * Runs a PCAPdroid plan (pcapdroid-api.ts) on the phone over adb: checks the app is installed, sets
 * up the `adb reverse`/`forward` tunnel, starts the capture with `am start`, and stops it again.
 * The packets themselves arrive through the plan's --pcap source (net-source.ts).
 */
import {execFile} from 'node:child_process';
import type {Adb} from '@yume-chan/adb';
import {findAdbBinary, type AdbEndpoint} from './adb.js';
import {PCAPDROID_PACKAGE, type PcapdroidMode, type PcapdroidPlan, type PcapdroidStartOptions} from './pcapdroid-api.js';

/** Where to get PCAPdroid: said whenever it is missing. */
const PCAPDROID_INSTALL_HINT = `install PCAPdroid (${PCAPDROID_PACKAGE}) from Google Play or F-Droid, open it once, then run tattle again`;
/** `adb forward` takes well under a second; 10 s means the server is stuck. */
const ADB_COMMAND_TIMEOUT_MS = 10_000;

/** PCAPdroid is missing or refused to start; the message says what to do. */
export class PcapdroidError extends Error {}

/** The shell command that lists PCAPdroid's package when it is installed. */
const PCAPDROID_CHECK_COMMAND = `pm list packages ${PCAPDROID_PACKAGE}`;

/** True when `pm list packages` output names PCAPdroid's package. */
export function listsPcapdroid(pmOutput: string): boolean {
	return pmOutput.split('\n').some((line) => line.trim() === `package:${PCAPDROID_PACKAGE}`);
}

/** `am start` failed when it printed an Error/Exception line (it exits 0 on some Androids anyway). */
export function amStartFailure(output: string): string | undefined {
	const line = output.split('\n').find((l) => /^(?:Error|Exception|Security exception|java\.)|not found|inaccessible/i.test(l.trim()));
	return line?.trim().slice(0, 300);
}

/**
 * PCAPdroid options from a --pcap spec given with --pcapdroid (it picks the mode and port), or
 * the TCP exporter over `adb reverse` by default: the only mode that crosses USB with no setup.
 */
export function pcapdroidOptionsFor(spec: string | undefined): PcapdroidStartOptions {
	const m = spec ? /^(udp|tcp-listen|http):\/\/(?:\[[^\]]*\]|[^:/]*):(\d{1,5})/.exec(spec) : null;
	if (!m) return {mode: 'tcp'};
	const mode: PcapdroidMode = m[1] === 'udp' ? 'udp' : m[1] === 'http' ? 'http' : 'tcp';
	return {mode, port: Number(m[2])};
}

/** Fails with {@link PcapdroidError} when PCAPdroid is not installed on the phone. */
export async function checkPcapdroidInstalled(adb: Adb): Promise<void> {
	const out = await adb.subprocess.noneProtocol.spawnWaitText(PCAPDROID_CHECK_COMMAND);
	if (!listsPcapdroid(out)) throw new PcapdroidError(`PCAPdroid is not installed on ${adb.serial}: ${PCAPDROID_INSTALL_HINT}`);
}

/** Runs the plan's tunnel step and start command; resolves to a function that stops the capture. */
export async function startPcapdroid(
	adb: Adb,
	plan: PcapdroidPlan,
	o: {endpoint: AdbEndpoint; serial: string},
): Promise<(adb: Adb) => Promise<void>> {
	if (plan.adb) await tunnel(adb, plan.adb, o);
	const out = await adb.subprocess.noneProtocol.spawnWaitText(plan.start);
	const failure = amStartFailure(out);
	if (failure) throw new PcapdroidError(`PCAPdroid did not start: ${failure}`);
	return async (later: Adb) => {
		await later.subprocess.noneProtocol.spawnWaitText(plan.stop).catch(() => undefined);
		if (plan.adb?.[0] === 'reverse') await later.reverse.remove(plan.adb[1]!).catch(() => undefined);
		else if (plan.adb?.[0] === 'forward') await runAdb(['-s', o.serial, 'forward', '--remove', plan.adb[1]!], o.endpoint).catch(() => undefined);
	};
}

/** `adb reverse` goes through the device connection; `adb forward` is the server's, so the adb binary runs it. */
async function tunnel(adb: Adb, args: string[], o: {endpoint: AdbEndpoint; serial: string}): Promise<void> {
	const [verb, remote, local] = args;
	try {
		if (verb === 'reverse') await adb.reverse.addExternal(remote!, local!);
		else await runAdb(['-s', o.serial, ...args], o.endpoint);
	} catch (error) {
		throw new PcapdroidError(`adb ${args.join(' ')} failed: ${(error as Error).message}`);
	}
}

function runAdb(args: string[], endpoint: AdbEndpoint): Promise<void> {
	const bin = findAdbBinary();
	if (!bin) return Promise.reject(new Error('no adb binary (apt-get install adb, or the Android platform-tools)'));
	return new Promise((resolve, reject) => {
		execFile(
			bin,
			args,
			{env: {...process.env, ANDROID_ADB_SERVER_ADDRESS: endpoint.host, ANDROID_ADB_SERVER_PORT: String(endpoint.port)}, timeout: ADB_COMMAND_TIMEOUT_MS},
			(error, _stdout, stderr) => (error ? reject(new Error(stderr.trim() || error.message)) : resolve()),
		);
	});
}
