import {describe, it, expect, beforeAll, afterAll} from 'vitest';
import {needTool} from '../helpers/tools.js';
import {AdbHarness, logcatText, pcapBytes, LOGCAT_FIXTURE, PCAP_FIXTURE} from './adb-harness.js';
import {INCOGNITO_PROBE_COMMAND, IncognitoProbe} from '../../source/classify/incognito-probe.js';

describe.runIf(needTool('adb', 'adb'))('device simulator with the real adb client and server', () => {
	const h = new AdbHarness();
	let serial = '';
	let suSerial = '';
	let noRootSerial = '';

	beforeAll(async () => {
		await h.start();
		({serial} = await h.addSim({logcatPath: LOGCAT_FIXTURE, pcapPath: PCAP_FIXTURE, speed: 'max'}));
		({serial: suSerial} = await h.addSim({pcapPath: PCAP_FIXTURE, speed: 'max', root: 'su'}));
		({serial: noRootSerial} = await h.addSim({root: 'none', tcpdump: false}));
	});
	afterAll(async () => {
		await h.stop();
	});

	it('is listed as a device with its banner product and model', async () => {
		const {stdout} = await h.adb(['devices', '-l']);
		expect(String(stdout)).toMatch(new RegExp(`${serial.replace(/\./g, '\\.')}\\s+device product:sim model:TattleSim device:sim`));
	});

	it('answers adb shell getprop, with and without a key', async () => {
		const all = String((await h.adb(['-s', serial, 'shell', 'getprop'])).stdout);
		expect(all).toContain('[ro.product.manufacturer]: [Xiaomi]');
		expect(all).toContain('[persist.sys.timezone]: [Europe/Paris]');
		expect(String((await h.adb(['-s', serial, 'shell', 'getprop', 'ro.build.version.release'])).stdout)).toBe('14\n');
		expect(String((await h.adb(['-s', serial, 'shell', 'echo', 'hello', 'phone'])).stdout)).toBe('hello phone\n');
	});

	it('tells the phone clock with date +%s.%N', async () => {
		const before = Date.now() / 1000;
		const out = String((await h.adb(['-s', serial, 'shell', 'date', '+%s.%N'])).stdout);
		const phone = Number(out.trim());
		expect(out).toMatch(/^\d{10}\.\d{9}\n$/);
		expect(Math.abs(phone - before)).toBeLessThan(5);
	});

	it('serves tcpdump -w - as the exact pcap bytes through exec-out', async () => {
		const want = pcapBytes();
		// tcpdump follows forever: read the file's length, then stop the client.
		const got = await h.adbBytes(['-s', serial, 'exec-out', 'tcpdump -i any -U -s 0 -w - 2>/dev/null'], want.length, 5000);
		expect(got.length).toBe(want.length);
		expect(Buffer.compare(got, Buffer.from(want))).toBe(0);
	});

	it('serves logcat -d with the time prefix rewritten to the asked format', async () => {
		const epoch = String((await h.adb(['-s', serial, 'exec-out', 'logcat -d -v threadtime -v epoch -v uid'])).stdout);
		expect(epoch).toBe(logcatText());
		const year = String((await h.adb(['-s', serial, 'exec-out', 'logcat -d -v year,zone -t 2'])).stdout).split('\n');
		expect(year[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+0[12]00 10071  9012  9040 E Analytics-Core: upload failed/);
		expect(year).toHaveLength(3);
	});

	it('needs su for tcpdump when adbd is not root, and says not found when nothing is there', async () => {
		const plain = String((await h.adb(['-s', suSerial, 'exec-out', 'tcpdump -w - || echo exit:$?'])).stdout);
		expect(plain).toMatch(/You don't have permission[\s\S]*exit:1\n$/);
		const none = String((await h.adb(['-s', noRootSerial, 'exec-out', "su -c 'tcpdump -w -'"])).stdout);
		expect(none).toBe('/system/bin/sh: su: inaccessible or not found\n');
		const missing = String((await h.adb(['-s', noRootSerial, 'exec-out', 'tcpdump -w - 2>/dev/null || echo exit:$?'])).stdout);
		expect(missing).toBe('exit:127\n');
	});

	it('serves dumpsys window, and a test switches the browser window secure over time', async () => {
		const MI = 'com.mi.globalbrowser';
		const window = {pkg: MI, activity: 'com.android.browser.BrowserActivity', secure: false};
		for (const sdk of ['28', '29', '30', '34']) {
			const {sim, serial: s} = await h.addSim({props: {'ro.build.version.sdk': sdk}, window});
			const probe = new IncognitoProbe();
			// The live probe's one command, through the real adb client and server.
			const poll = async (): Promise<string[]> => probe.poll(String((await h.adb(['-s', s, 'shell', INCOGNITO_PROBE_COMMAND])).stdout));
			expect(await poll(), sdk).toEqual([]);
			sim.setFocusedWindow({...window, secure: true});
			expect(await poll(), sdk).toEqual([`incognito-on pkg=${MI} source=secure-window`]);
			// A menu over the incognito tab, then the launcher: neither ends it.
			sim.setFocusedWindow({...window, secure: true, popup: true});
			expect(await poll(), sdk).toEqual([]);
			sim.setFocusedWindow(undefined);
			expect(await poll(), sdk).toEqual([]);
			sim.setFocusedWindow(window);
			expect(await poll(), sdk).toEqual([`incognito-off pkg=${MI} source=secure-window`]);
		}
	});

	it('hangs: the adb server lists it offline while its TCP connection stays up, and online again on wake', async () => {
		const {sim, serial: hungSerial} = await h.addSim({speed: 1});
		const state = async () => new RegExp(`^${hungSerial.replaceAll('.', '\\.')}\\t(\\S+)`, 'm').exec(String((await h.adb(['devices'])).stdout))?.[1];
		expect(await state()).toBe('device');
		sim.hang();
		let seen: string | undefined;
		for (let i = 0; i < 50 && seen !== 'offline'; i++) {
			await new Promise((r) => setTimeout(r, 100));
			seen = await state();
		}
		expect(seen).toBe('offline');
		// Still offline a while later, with the server's reconnection held open, not refused.
		await new Promise((r) => setTimeout(r, 2000));
		expect(await state()).toBe('offline');
		expect(sim.connectionCount).toBeGreaterThanOrEqual(1);
		sim.wake();
		await h.adb(['-s', hungSerial, 'wait-for-device']);
		expect(await state()).toBe('device');
		expect(String((await h.adb(['-s', hungSerial, 'shell', 'getprop', 'ro.product.model'])).stdout).trim()).toBe('TattleSim');
		await sim.close();
	}, 30_000);

	it('refuses services it does not simulate', async () => {
		const r = await h.adb(['-s', serial, 'reverse', 'tcp:1', 'tcp:2']);
		expect(r.code).not.toBe(0);
		const canned = String((await h.adb(['-s', serial, 'shell', 'dumpsys', 'notification'])).stdout);
		expect(canned).toContain('pkg=com.android.chrome');
	});
});
