/**
 * --pcapdroid: PCAPdroid on the phone captures and exports to our listener. Checked before anything
 * starts, started once the listener is up, stopped at the end (on a fresh connection if need be).
 */
import {sanitize} from '../lib/sanitize.js';
import {createAdbClient, firstDevice, openDevice, type AdbEndpoint} from '../sources/adb.js';
import {checkPcapdroidInstalled, pcapdroidOptionsFor, PcapdroidError, startPcapdroid} from '../sources/pcapdroid-control.js';
import {pcapdroidPlan, type PcapdroidPlan} from '../sources/pcapdroid-api.js';
import type {Session} from '../ingest/session.js';
import {fail} from './exit.js';

/** How long --pcapdroid waits for a device to send commands to: a phone being plugged in shows up within seconds. */
const PCAPDROID_DEVICE_WAIT_MS = 10_000;

type Device = Awaited<ReturnType<typeof openDevice>>;
type StopCapture = (device: Device) => Promise<void>;

type Pcapdroid = {plan: PcapdroidPlan; device: Device; endpoint: AdbEndpoint};

/** The plan for --pcap (mode, port) and a connection to a phone that has PCAPdroid installed. */
export async function preparePcapdroid(pcap: string | undefined, serial: string | undefined, endpoint: AdbEndpoint): Promise<Pcapdroid> {
	const plan = pcapdroidPlan(pcapdroidOptionsFor(pcap));
	const target = serial ?? (await firstDevice({timeoutMs: PCAPDROID_DEVICE_WAIT_MS, endpoint}).catch(() => undefined))?.serial;
	if (!target) fail('--pcapdroid: no device attached (plug in the phone with USB debugging on, or name it with --serial)');
	const device = await openDevice(createAdbClient(endpoint), target).catch((e: Error) => fail(`--pcapdroid: cannot reach ${target}: ${e.message}`));
	try {
		await checkPcapdroidInstalled(device);
	} catch (error) {
		await device.close().catch(() => undefined);
		fail(error instanceof PcapdroidError ? error.message : `--pcapdroid: ${(error as Error).message}`);
	}
	if (plan.note) process.stderr.write(`tattle: ${plan.note}\n`);
	return {plan, device, endpoint};
}

/** Starts the capture once `listening` settles (the exporter connects once, at start); failures become status. */
export async function startPcapdroidCapture(droid: Pcapdroid, listening: Promise<unknown> | undefined, session: Session): Promise<StopCapture | undefined> {
	const now = () => Date.now() / 1000;
	const {device, plan} = droid;
	await listening?.catch(() => undefined);
	try {
		const stop = await startPcapdroid(device, plan, {endpoint: droid.endpoint, serial: device.serial});
		session.setStatus({source: 'pcapdroid', state: 'live', detail: `capture started on ${device.serial}, exporting to ${plan.source}`, ts: now()});
		return stop;
	} catch (error) {
		session.setStatus({source: 'pcapdroid', state: 'down', detail: (error as Error).message, ts: now()});
		process.stderr.write(`tattle: ${sanitize((error as Error).message)}\n`);
		return undefined;
	}
}

/** Stops PCAPdroid's capture, on a fresh connection if the first one broke meanwhile, and lets go of the device. */
export async function stopPcapdroidCapture(droid: Pcapdroid, stop: StopCapture | undefined): Promise<void> {
	const first = droid.device;
	const device = await openDevice(createAdbClient(droid.endpoint), first.serial).catch(() => first);
	await stop?.(device).catch(() => undefined);
	if (device !== first) await device.close().catch(() => undefined);
	await first.close().catch(() => undefined);
}
