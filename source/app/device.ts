/** Which phone `tattle live` watches: --serial, $ANDROID_SERIAL, the only one attached, or the user's pick. */
import {createInterface} from 'node:readline/promises';
import type {CliOptions} from '../lib/args.js';
import {sanitize} from '../lib/sanitize.js';
import {
	adbServerEndpoint,
	chooseDevice,
	createAdbClient,
	describeDevice,
	ensureAdbServer,
	listDevices,
	notAttached,
	serialFromEnv,
	type AdbDevice,
} from '../sources/adb.js';
import {ExitError, fail, quietExit} from './exit.js';
import {takeFirstFrame} from './first-frame.js';
import {keyboardStream} from './terminal.js';

/** The device to watch (asking on the terminal when `interactive`); undefined = wait for one. */
export async function chooseSerial(opts: CliOptions, interactive: boolean): Promise<string | undefined> {
	const serial = opts.serial ?? serialFromEnv();
	// On the dashboard a device not attached is said on the status line: nothing to ask adb first.
	if (serial && interactive) return serial;
	const endpoint = adbServerEndpoint();
	const client = createAdbClient(endpoint);
	try {
		await ensureAdbServer(client, endpoint);
		const devices = await listDevices(client);
		if (serial) {
			// Headless, the status line is not seen: say at once which devices are there instead.
			if (!devices.some((d) => d.serial === serial)) process.stderr.write(`tattle: ${sanitize(notAttached(serial, devices))}\n`);
			return serial;
		}
		const choice = chooseDevice(devices);
		if (choice.kind === 'ready') return choice.device.serial;
		if (choice.kind === 'pick') {
			if (interactive) return await pickDevice(devices);
			fail(`several devices attached (${choice.devices.map((d) => d.serial).join(', ')}): choose one with --serial`);
		}
	} catch (error) {
		if (error instanceof ExitError) throw error;
		// No adb server yet: the live session keeps retrying and says so in its status.
	}
	return serial;
}

/** Asks on the terminal which device to watch when several are attached (before the dashboard starts); `q` quits. */
async function pickDevice(devices: AdbDevice[]): Promise<string> {
	// The question replaces the first frame, and the dashboard then draws below the answer.
	process.stdout.write(takeFirstFrame());
	process.stderr.write('Several devices are attached:\n');
	devices.forEach((d, i) => process.stderr.write(`  ${i + 1}) ${sanitize(describeDevice(d))}\n`));
	const input = keyboardStream() ?? process.stdin;
	const rl = createInterface({input, output: process.stderr});
	// q (or Ctrl-D) quits here as it does on the dashboard; Enter is not needed for q.
	const onKey = (_text: string, key?: {name?: string; ctrl?: boolean}): void => {
		if (key?.name === 'q' && !key.ctrl && rl.line === 'q') rl.close();
	};
	input.on('keypress', onKey);
	const quit = new Promise<never>((_resolve, reject) => rl.once('close', () => reject(quietExit())));
	try {
		for (;;) {
			const answer = (await Promise.race([rl.question(`Watch which one? [1-${devices.length}, q to quit] `), quit])).trim();
			if (answer === 'q') throw quietExit();
			const n = Number(answer);
			if (Number.isInteger(n) && n >= 1 && n <= devices.length) return devices[n - 1]!.serial;
			if (devices.some((d) => d.serial === answer)) return answer;
		}
	} finally {
		input.off('keypress', onKey);
		quit.catch(() => undefined);
		rl.close();
	}
}
