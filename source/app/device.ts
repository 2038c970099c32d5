/** Which phone `tattle live` watches: --serial, $ANDROID_SERIAL, the only one attached, or the user's pick. */
import {createInterface} from 'node:readline/promises';
import type {CliOptions} from '../lib/args.js';
import {sanitize} from '../lib/sanitize.js';
import {adbServerEndpoint, chooseDevice, createAdbClient, ensureAdbServer, listDevices, serialFromEnv} from '../sources/adb.js';
import {ExitError, fail} from './exit.js';
import {keyboardStream} from './terminal.js';

/** The device to watch (asking on the terminal when `interactive`); undefined = wait for one. */
export async function chooseSerial(opts: CliOptions, interactive: boolean): Promise<string | undefined> {
	const serial = opts.serial ?? serialFromEnv();
	if (serial) return serial;
	const endpoint = adbServerEndpoint();
	const client = createAdbClient(endpoint);
	try {
		await ensureAdbServer(client, endpoint);
		const choice = chooseDevice(await listDevices(client));
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

/** Asks on the terminal which device to watch when several are attached (before the dashboard starts). */
async function pickDevice(serials: string[]): Promise<string> {
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
