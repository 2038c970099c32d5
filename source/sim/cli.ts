#!/usr/bin/env node
/**
 * Entry point (imported by nothing): runs the device simulator by hand:
 *   node dist/source/sim/cli.js --port 5555 --logcat logcat.txt --pcap capture.pcap [--speed 1|max]
 * then `adb connect 127.0.0.1:5555` and use the fake phone like a real one.
 */
import {parseArgs} from 'node:util';
import {existsSync} from 'node:fs';
import path from 'node:path';
import {DeviceSim} from './device-sim.js';

const USAGE = `usage: tattle-sim [--port 5555] [--host 127.0.0.1] [--bundle DIR | --logcat FILE --pcap FILE]
                  [--speed N|max] [--rebase] [--root adbd|su|none] [--no-tcpdump] [--drop-after MS]`;

/** Parses argv and runs the simulator until SIGINT/SIGTERM. */
export async function main(argv: string[]): Promise<number> {
	let values;
	try {
		({values} = parseArgs({
			args: argv,
			options: {
				port: {type: 'string', default: '5555'},
				host: {type: 'string', default: '127.0.0.1'},
				bundle: {type: 'string'},
				logcat: {type: 'string'},
				pcap: {type: 'string'},
				speed: {type: 'string', default: '1'},
				rebase: {type: 'boolean', default: false},
				root: {type: 'string', default: 'adbd'},
				'no-tcpdump': {type: 'boolean', default: false},
				'drop-after': {type: 'string'},
				help: {type: 'boolean', short: 'h', default: false},
			},
		}));
	} catch (error) {
		process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
		return 2;
	}
	if (values.help) {
		process.stdout.write(`${USAGE}\n`);
		return 0;
	}
	const speed = values.speed === 'max' ? 'max' : Number(values.speed);
	const root = values.root;
	if ((speed !== 'max' && !(speed > 0)) || (root !== 'adbd' && root !== 'su' && root !== 'none')) {
		process.stderr.write(`${USAGE}\n`);
		return 2;
	}
	let {logcat, pcap} = values;
	if (values.bundle) {
		logcat ??= path.join(values.bundle, 'logcat.txt');
		pcap ??= ['capture.pcap', 'capture.pcapng'].map((f) => path.join(values.bundle!, f)).find((f) => existsSync(f));
	}
	const sim = new DeviceSim({
		logcatPath: logcat && existsSync(logcat) ? logcat : undefined,
		pcapPath: pcap,
		speed,
		rebase: values.rebase,
		root,
		tcpdump: !values['no-tcpdump'],
		dropAfterMs: values['drop-after'] ? Number(values['drop-after']) : undefined,
	});
	const port = await sim.listen(Number(values.port), values.host);
	process.stderr.write(`tattle-sim listening on ${values.host}:${port}: adb connect ${values.host}:${port}\n`);
	await new Promise<void>((resolve) => {
		process.once('SIGINT', resolve);
		process.once('SIGTERM', resolve);
	});
	await sim.close();
	return 0;
}

const isEntry = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isEntry) main(process.argv.slice(2)).then((code) => process.exit(code));
