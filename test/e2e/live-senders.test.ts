/**
 * Who may feed a listener (issue 14): `tattle live --pcap udp://...` and `tcp-listen://...`
 * through the built CLI, with the phone's logcat from the device simulator behind the real adb
 * server, and real sockets from two loopback addresses (127.0.0.1, the phone; 127.0.0.2, someone
 * else on the network). Only the phone's packets are counted; the others are refused, counted
 * and said on the status stream.
 */
import {createSocket} from 'node:dgram';
import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs';
import {connect} from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {repoRoot} from '../helpers/corpus.js';
import {tattle} from '../helpers/cli.js';
import {killAll, startLive, terminate, until, type LiveRun} from '../helpers/live.js';
import {needTool} from '../helpers/tools.js';
import {AdbHarness, freePort} from '../sim/adb-harness.js';
import {ipPackets, pcapHeader, pcapRecord} from '../sources/pcapdroid-dumper.js';

const BUNDLE = path.join(repoRoot, 'captures', 'incognito-leak');
const BUNDLE_LOG = path.join(BUNDLE, 'logcat.txt');
/** Real packets (IP, as PCAPdroid exports them without its extensions). */
const packets = ipPackets(path.join(BUNDLE, 'capture.pcap'));
/** What the phone sends, and what the other host tries to slip in. */
const PHONE_PACKETS = 20;
const OTHER_PACKETS = 30;

const runs: LiveRun[] = [];
const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-senders-'));

type Report = {stats: {packets: number; dropped: number; problems: Record<string, number>}};
const readReport = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Report;
const sourceDetails = (run: LiveRun) => run.events.filter(({e}) => e.type === 'source' && e.source === 'pcap').map(({e}) => `${String(e.state)} ${String(e.detail)}`);

/** The records PCAPdroid's UDP exporter sends: the header, then one record a datagram. */
function datagrams(from: number, count: number): Uint8Array[] {
	return [pcapHeader(false), ...packets.slice(from, from + count).map((p) => pcapRecord(p, p.data))];
}

/** Sends datagrams to 127.0.0.1:port from `address`, a few at a time so the loopback buffer never overflows. */
async function sendUdp(address: string, port: number, list: Uint8Array[]): Promise<void> {
	const sock = createSocket('udp4');
	await new Promise<void>((resolve) => sock.bind(0, address, resolve));
	for (const [i, d] of list.entries()) {
		await new Promise<void>((resolve, reject) => sock.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
		if (i % 8 === 7) await new Promise((r) => setTimeout(r, 5));
	}
	sock.close();
}

/** Connects from `address` and streams a pcap (header and records); resolves when the peer closed or we finished. */
function sendTcp(address: string, port: number, list: Uint8Array[]): Promise<'closed-by-tattle' | 'sent'> {
	return new Promise((resolve) => {
		const sock = connect({host: '127.0.0.1', port, localAddress: address});
		let closedEarly = false;
		let ending = false;
		sock.on('error', () => (closedEarly = !ending));
		sock.on('connect', () => {
			for (const d of list) sock.write(d);
			// Held open a moment, as PCAPdroid keeps streaming: time for another host to try to cut in.
			setTimeout(() => {
				ending = true;
				sock.end();
			}, 1500);
		});
		sock.on('end', () => (closedEarly ||= !ending));
		sock.on('close', () => resolve(closedEarly ? 'closed-by-tattle' : 'sent'));
	});
}

async function udpPort(): Promise<number> {
	const s = createSocket('udp4');
	await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
	const {port} = s.address();
	await new Promise<void>((resolve) => s.close(() => resolve()));
	return port;
}

describe.runIf(needTool('adb', 'adb'))('who may feed a listener: the phone only', () => {
	const h = new AdbHarness();
	beforeAll(async () => {
		await h.start();
	});
	afterAll(async () => {
		killAll(runs);
		await h.stop();
		rmSync(tmp, {recursive: true, force: true});
	});

	it('udp:// locks onto the first sender: another host\'s datagrams are dropped unparsed, counted and said', async () => {
		const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, speed: 'max'});
		const port = await udpPort();
		const report = path.join(tmp, 'udp-lock.json');
		const run = startLive(h.env, ['--serial', serial, '--pcap', `udp://0.0.0.0:${port}`, '--json', '--report', report], runs);
		expect(await until(() => sourceDetails(run).some((s) => s.includes('listening on udp')), 15_000), run.stderr()).toBe(true);
		await sendUdp('127.0.0.1', port, datagrams(0, PHONE_PACKETS));
		expect(await until(() => sourceDetails(run).some((s) => /only from 127\.0\.0\.1 \(the first sender\)/.test(s)), 5000), sourceDetails(run).join('\n')).toBe(true);
		await sendUdp('127.0.0.2', port, datagrams(100, OTHER_PACKETS));
		expect(await until(() => sourceDetails(run).some((s) => s.includes('refused 127.0.0.2')), 5000), sourceDetails(run).join('\n')).toBe(true);
		// The phone goes on sending after the intruder: still let in.
		await sendUdp('127.0.0.1', port, datagrams(PHONE_PACKETS, PHONE_PACKETS).slice(1));
		await new Promise((r) => setTimeout(r, 500));
		expect(await terminate(run)).toBe(0);
		const r = readReport(report);
		expect(r.stats.packets).toBe(2 * PHONE_PACKETS);
		expect(r.stats.problems['pcap-refused']).toBe(OTHER_PACKETS + 1);
		expect(r.stats.dropped).toBeGreaterThanOrEqual(OTHER_PACKETS + 1);
		// Said once, not once a datagram.
		expect(sourceDetails(run).filter((s) => s.includes('refused 127.0.0.2'))).toHaveLength(1);
		// The report is the owner's alone.
		expect((statSync(report).mode & 0o777).toString(8)).toBe('600');
	}, 40_000);

	it('--pcap-from takes only the listed address, even when another host sends first', async () => {
		const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, speed: 'max'});
		const port = await udpPort();
		const report = path.join(tmp, 'udp-allow.json');
		const run = startLive(h.env, ['--serial', serial, '--pcap', `udp://0.0.0.0:${port}`, '--pcap-from', '127.0.0.2', '--json', '--report', report], runs);
		expect(await until(() => sourceDetails(run).some((s) => s.includes('listening on udp')), 15_000), run.stderr()).toBe(true);
		await sendUdp('127.0.0.1', port, datagrams(100, OTHER_PACKETS));
		await sendUdp('127.0.0.2', port, datagrams(0, PHONE_PACKETS));
		expect(await until(() => sourceDetails(run).some((s) => s.includes('refused 127.0.0.1') && s.includes('127.0.0.2 (--pcap-from)')), 5000), sourceDetails(run).join('\n')).toBe(true);
		await new Promise((r) => setTimeout(r, 500));
		expect(await terminate(run)).toBe(0);
		const r = readReport(report);
		expect(r.stats.packets).toBe(PHONE_PACKETS);
		expect(r.stats.problems['pcap-refused']).toBe(OTHER_PACKETS + 1);
	}, 40_000);

	it('tcp-listen:// refuses a connection from another host, and it cannot cut the phone\'s', async () => {
		const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, speed: 'max'});
		const port = await freePort();
		const report = path.join(tmp, 'tcp.json');
		const run = startLive(h.env, ['--serial', serial, '--pcap', `tcp-listen://127.0.0.1:${port}`, '--pcap-from', '127.0.0.1', '--json', '--report', report], runs);
		expect(await until(() => sourceDetails(run).some((s) => s.includes('listening on tcp')), 15_000), run.stderr()).toBe(true);
		const phone = sendTcp('127.0.0.1', port, datagrams(0, PHONE_PACKETS));
		expect(await until(() => sourceDetails(run).some((s) => /PCAPdroid connected from 127\.0\.0\.1:\d+, only from 127\.0\.0\.1 \(--pcap-from\)/.test(s)), 5000), sourceDetails(run).join('\n')).toBe(true);
		// A new connection normally replaces the old one (PCAPdroid restarted): from someone else it must not.
		const other = await sendTcp('127.0.0.2', port, datagrams(100, OTHER_PACKETS));
		expect(other).toBe('closed-by-tattle');
		expect(await phone).toBe('sent');
		await new Promise((r) => setTimeout(r, 300));
		expect(await terminate(run)).toBe(0);
		const r = readReport(report);
		expect(r.stats.packets).toBe(PHONE_PACKETS);
		expect(r.stats.problems['pcap-refused']).toBe(1);
		expect(sourceDetails(run).some((s) => s.includes('refused 127.0.0.2'))).toBe(true);
	}, 40_000);
});

describe('--pcap-from on the command line', () => {
	it.each([
		[['live', '--pcap-from', '127.0.0.1'], /--pcap-from needs a listener/],
		[['live', '--pcap', 'tcp://127.0.0.1:5000', '--pcap-from', '127.0.0.1'], /--pcap-from needs a listener/],
		[['live', '--pcap', 'udp://0.0.0.0:5000', '--pcap-from', 'phone.local'], /--pcap-from: not an IP address: phone\.local/],
		[['replay', 'x.pcap', '--pcap-from', '127.0.0.1'], /--pcap-from is for tattle live/],
	])('%j is refused with one clear line', async (args, why) => {
		const r = await tattle(args);
		expect(r.code).toBe(2);
		expect(r.stderr).toMatch(why);
		expect(r.stderr.trim().split('\n')).toHaveLength(1);
	});

	it('--help names it', async () => {
		const r = await tattle(['--help']);
		expect(r.stdout).toMatch(/--pcap-from ADDR\[,ADDR\]/);
	});
});
