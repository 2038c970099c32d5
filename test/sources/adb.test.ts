import {describe, it, expect, beforeAll, afterAll} from 'vitest';
import type {Adb} from '@yume-chan/adb';
import {needTool} from '../helpers/tools.js';
import type {DeviceSim} from '../../source/sim/device-sim.js';
import {AdbHarness, collect, logcatText, pcapBytes, LOGCAT_FIXTURE, PCAP_FIXTURE} from '../sim/adb-harness.js';
import {
	adbLogcat,
	adbServerEndpoint,
	adbTcpdump,
	backoffMs,
	chooseDevice,
	createAdbClient,
	deviceFacts,
	ensureAdbServer,
	explainTcpdumpFailure,
	firstDevice,
	listDevices,
	logcatCommands,
	looksLikeCapture,
	openDevice,
	parseGetprop,
	parsePhoneDate,
	TcpdumpUnavailableError,
	type AdbDevice,
} from '../../source/sources/adb.js';

const dev = (serial: string, state: AdbDevice['state'], id = 1n): AdbDevice => ({serial, state, authenticating: false, transportId: id});

describe('adb helpers', () => {
	it('finds the server the way the adb client does', () => {
		expect(adbServerEndpoint({})).toEqual({host: '127.0.0.1', port: 5037});
		expect(adbServerEndpoint({ANDROID_ADB_SERVER_PORT: '5099'})).toEqual({host: '127.0.0.1', port: 5099});
		expect(adbServerEndpoint({ADB_SERVER_SOCKET: 'tcp:10.0.0.2:5038'})).toEqual({host: '10.0.0.2', port: 5038});
		expect(adbServerEndpoint({ANDROID_ADB_SERVER_PORT: 'nope'}).port).toBe(5037);
	});

	it('chooses the named device, the only one, or asks to pick', () => {
		const a = dev('A', 'device', 1n);
		const b = dev('B', 'device', 2n);
		expect(chooseDevice([a])).toEqual({kind: 'ready', device: a});
		expect(chooseDevice([a, b])).toEqual({kind: 'pick', devices: [a, b]});
		expect(chooseDevice([a, b], 'B')).toEqual({kind: 'ready', device: b});
		expect(chooseDevice([a], 'C')).toMatchObject({kind: 'waiting', reason: expect.stringContaining('C')});
		expect(chooseDevice([dev('U', 'unauthorized')])).toMatchObject({kind: 'waiting', reason: expect.stringContaining('USB debugging prompt')});
		expect(chooseDevice([])).toMatchObject({kind: 'waiting'});
	});

	it('backs off 250 ms doubling to a 4 s cap', () => {
		expect([0, 1, 2, 3, 4, 5, 50].map((n) => backoffMs(n))).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000]);
	});

	it('parses getprop, date and tcpdump failures', () => {
		const p = parseGetprop('[ro.product.model]: [Redmi Note 13]\n[empty]: []\ngarbage\n');
		expect(p.get('ro.product.model')).toBe('Redmi Note 13');
		expect(p.get('empty')).toBe('');
		expect(p.size).toBe(2);
		expect(parsePhoneDate('1717000000.250000000\n')).toBe(1717000000.25);
		expect(parsePhoneDate('1717000000.N\n')).toBe(1717000000);
		expect(parsePhoneDate('date: bad format')).toBeUndefined();
		expect(explainTcpdumpFailure('tattle-exit:127')).toMatch(/not installed/);
		expect(explainTcpdumpFailure('/system/bin/sh: su: inaccessible or not found')).toMatch(/not rooted/);
		expect(explainTcpdumpFailure('Permission denied')).toMatch(/needs root/);
		expect(looksLikeCapture(new Uint8Array([0xd4, 0xc3, 0xb2, 0xa1]))).toBe(true);
		expect(looksLikeCapture(new TextEncoder().encode('tcpd'))).toBe(false);
	});

	it('resumes logcat with -T and absolute epoch times', () => {
		expect(logcatCommands()[0]).toBe('logcat -v threadtime -v epoch -v uid -b main -b system -b events -b crash');
		expect(logcatCommands(1717000000.5)[0]).toMatch(/ -T 1717000000\.500$/);
	});
});

describe.runIf(needTool('adb', 'adb'))('adb sources against the simulator through a real adb server', () => {
	const h = new AdbHarness();
	let serial = '';
	let suSerial = '';
	let bareSerial = '';
	let suSim: DeviceSim | undefined;
	const opened: Adb[] = [];
	const open = async (s: string): Promise<Adb> => {
		const adb = await openDevice(createAdbClient({host: '127.0.0.1', port: h.port}), s);
		opened.push(adb);
		return adb;
	};

	beforeAll(async () => {
		await h.start();
		({serial} = await h.addSim({logcatPath: LOGCAT_FIXTURE, pcapPath: PCAP_FIXTURE, speed: 'max', clockOffsetSec: 42}));
		({serial: suSerial, sim: suSim} = await h.addSim({pcapPath: PCAP_FIXTURE, speed: 'max', root: 'su'}));
		({serial: bareSerial} = await h.addSim({root: 'none', tcpdump: false}));
	});
	afterAll(async () => {
		await Promise.allSettled(opened.map((a) => a.close()));
		await h.stop();
	});

	it('reaches the server and lists the simulated devices in state device', async () => {
		const endpoint = {host: '127.0.0.1', port: h.port};
		const client = createAdbClient(endpoint);
		expect((await ensureAdbServer(client, endpoint, {start: false})).version).toBeGreaterThanOrEqual(41);
		const devices = await listDevices(client);
		expect(devices.map((d) => [d.serial, d.state, d.model]).sort()).toEqual(
			[serial, suSerial, bareSerial].sort().map((s) => [s, 'device', 'TattleSim']),
		);
		expect(chooseDevice(devices, serial)).toMatchObject({kind: 'ready', device: {serial}});
	});

	it('finds the first ready device for the auto mode, or the named one', async () => {
		const endpoint = {host: '127.0.0.1', port: h.port};
		const first = await firstDevice({endpoint, timeoutMs: 3000});
		expect([serial, suSerial, bareSerial]).toContain(first?.serial);
		expect((await firstDevice({endpoint, timeoutMs: 3000, serial: bareSerial}))?.serial).toBe(bareSerial);
		expect(await firstDevice({endpoint, timeoutMs: 300, serial: 'absent'})).toBeUndefined();
	});

	it('reads device facts and the clock offset from getprop and date', async () => {
		const facts = await deviceFacts(await open(serial));
		expect(facts).toMatchObject({serial, manufacturer: 'Xiaomi', model: 'TattleSim', android: '14', sdk: 34, timeZone: 'Europe/Paris'});
		expect(facts.clockOffsetSec!).toBeGreaterThan(41);
		expect(facts.clockOffsetSec!).toBeLessThan(43);
		expect(facts.clockRttSec!).toBeGreaterThanOrEqual(0);
	});

	it('streams logcat lines exactly as the phone printed them', async () => {
		const want = logcatText();
		const got = await collect(adbLogcat(await open(serial)), (b) => b.length >= want.length, 5000);
		expect(new TextDecoder().decode(got)).toBe(want);
	});

	it('streams tcpdump bytes equal to the served pcap', async () => {
		const want = pcapBytes();
		const got = await collect(adbTcpdump(await open(serial)), (b) => b.length >= want.length, 5000);
		expect(Buffer.compare(Buffer.from(got), Buffer.from(want))).toBe(0);
	});

	it('falls back to su -c when plain tcpdump is not permitted', async () => {
		const want = pcapBytes();
		const got = await collect(adbTcpdump(await open(suSerial)), (b) => b.length >= want.length, 5000);
		expect(Buffer.compare(Buffer.from(got), Buffer.from(want))).toBe(0);
		const tries = suSim!.services.filter((s) => s.includes('tcpdump'));
		expect(tries[0]).toMatch(/^exec:tcpdump /);
		expect(tries[1]).toMatch(/^exec:su -c 'tcpdump /);
	});

	it('explains a phone without tcpdump or root and suggests PCAPdroid', async () => {
		const err = await collect(adbTcpdump(await open(bareSerial)), () => false, 5000).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(TcpdumpUnavailableError);
		expect((err as Error).message).toMatch(/not installed on the phone/);
		expect((err as Error).message).toMatch(/not rooted/);
		expect((err as Error).message).toMatch(/PCAPdroid.*--pcap udp:/);
	});
});
