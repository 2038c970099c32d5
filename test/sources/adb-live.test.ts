import {describe, it, expect, beforeAll, afterAll} from 'vitest';
import {needTool} from '../helpers/tools.js';
import {AdbHarness, logcatText, pcapBytes, LOGCAT_FIXTURE} from '../sim/adb-harness.js';
import {LiveSession, LOGCAT_SOURCE, TCPDUMP_SOURCE, ADB_SOURCE} from '../../source/sources/adb-live.js';
import type {DeviceFacts} from '../../source/sources/adb.js';
import type {SourceStatus} from '../../source/types.js';

/** The fixture pcap followed by its own records again, `shiftSec` later (same header). */
function doubledPcap(shiftSec: number): {file: Uint8Array; records: Uint8Array} {
	const pcap = Buffer.from(pcapBytes());
	const records = pcap.subarray(24);
	const copy = Buffer.from(records);
	for (let off = 0; off + 16 <= copy.length; off += 16 + copy.readUInt32LE(off + 8)) {
		copy.writeUInt32LE(copy.readUInt32LE(off) + shiftSec, off);
	}
	return {file: Buffer.concat([pcap, copy]), records: Buffer.concat([records, copy])};
}

const until = async (cond: () => boolean, timeoutMs: number): Promise<void> => {
	const end = Date.now() + timeoutMs;
	while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
};

/** Longest wait for both streams after a drop: the adb server's own reconnect schedule dominates. */
const RECONNECT_WAIT_MS = 30_000;

describe.runIf(needTool('adb', 'adb'))('live session over adb: drop and reconnect', () => {
	const h = new AdbHarness();
	let session: LiveSession | undefined;

	beforeAll(async () => {
		await h.start();
	});
	afterAll(async () => {
		await session?.stop();
		await h.stop();
	});

	it('streams logcat and tcpdump, survives an unplug, and resumes both without repeats', async () => {
		const pcap = doubledPcap(5);
		// Speed 2: the log runs 2 s, the second packet burst comes 2.7 s in; the link drops at 0.7 s for 0.3 s.
		const {serial} = await h.addSim({logcatPath: LOGCAT_FIXTURE, pcap: pcap.file, speed: 2, dropAfterMs: 700, dropDownMs: 300});
		const statuses: SourceStatus[] = [];
		const log: Uint8Array[] = [];
		const packets: Uint8Array[] = [];
		const gaps: string[] = [];
		let facts: DeviceFacts | undefined;
		let restarts = 0;
		session = new LiveSession({
			serial,
			endpoint: {host: '127.0.0.1', port: h.port},
			startServer: false,
			logHistorySec: 'all',
			schedule: [100, 200, 400],
			onStatus: (s) => statuses.push(s),
			onLogChunk: (b) => log.push(b),
			onPcapChunk: (b) => packets.push(b),
			onPcapRestart: () => restarts++,
			onDevice: (f) => (facts = f),
			onGap: (source) => gaps.push(source),
		});
		session.start();
		const wantLog = logcatText();
		const wantPcap = Buffer.concat([pcapBytes().subarray(0, 24), pcap.records]);
		const total = (parts: Uint8Array[]): number => parts.reduce((n, p) => n + p.length, 0);
		// The adb server reconnects a dropped TCP device on its own schedule (seconds apart, later
		// under load: one CI-like run needed over 12 s); this bounds a hang, it times nothing.
		await until(() => total(log) >= wantLog.length && total(packets) >= wantPcap.length, RECONNECT_WAIT_MS);

		expect(new TextDecoder().decode(Buffer.concat(log))).toBe(wantLog);
		expect(Buffer.compare(Buffer.concat(packets), wantPcap)).toBe(0);
		expect(restarts).toBe(0);
		expect(facts).toMatchObject({serial, manufacturer: 'Xiaomi', model: 'TattleSim'});

		const states = (source: string): string[] => statuses.filter((s) => s.source === source).map((s) => s.state);
		for (const source of [LOGCAT_SOURCE, TCPDUMP_SOURCE, ADB_SOURCE]) {
			const seq = states(source);
			const down = seq.indexOf('down');
			expect(seq.indexOf('live')).toBeGreaterThanOrEqual(0);
			expect(down).toBeGreaterThan(seq.indexOf('live'));
			expect(seq.lastIndexOf('live')).toBeGreaterThan(down);
		}
		const resumed = statuses.find((s) => s.source === LOGCAT_SOURCE && /resumed after a \d+\.\d s gap/.test(s.detail ?? ''));
		expect(resumed?.state).toBe('live');
		expect(gaps.sort()).toEqual([LOGCAT_SOURCE, TCPDUMP_SOURCE]);

		await session.stop();
		session = undefined;
	}, RECONNECT_WAIT_MS + 10_000);

	it('waits with a clear status for a device that is not attached', async () => {
		const statuses: SourceStatus[] = [];
		const waiting = new LiveSession({
			serial: 'no-such-phone',
			endpoint: {host: '127.0.0.1', port: h.port},
			startServer: false,
			onStatus: (s) => statuses.push(s),
		});
		waiting.start();
		await until(() => statuses.some((s) => /not attached/.test(s.detail ?? '')), 5000);
		await waiting.stop();
		expect(statuses.find((s) => /not attached/.test(s.detail ?? ''))).toMatchObject({source: ADB_SOURCE, state: 'starting'});
		expect(statuses.some((s) => s.source === LOGCAT_SOURCE)).toBe(false);
	});

	it('comes back after the adb server is killed: restarts it, reconnects the phone, resumes logcat', async () => {
		const {serial} = await h.addSim({logcatPath: LOGCAT_FIXTURE, speed: 2});
		const statuses: SourceStatus[] = [];
		const log: Uint8Array[] = [];
		session = new LiveSession({
			serial,
			pcap: false,
			endpoint: {host: '127.0.0.1', port: h.port},
			logHistorySec: 'all',
			schedule: [100, 200, 400],
			onStatus: (s) => statuses.push(s),
			onLogChunk: (b) => log.push(b),
		});
		session.start();
		await until(() => log.length > 0, 5000);
		await h.adb(['kill-server']);
		const wantLog = logcatText();
		await until(() => log.reduce((n, p) => n + p.length, 0) >= wantLog.length, RECONNECT_WAIT_MS);
		expect(new TextDecoder().decode(Buffer.concat(log))).toBe(wantLog);
		expect(statuses.some((s) => s.source === ADB_SOURCE && s.state === 'down' && /adb server/.test(s.detail ?? ''))).toBe(true);
		expect(statuses.filter((s) => s.source === LOGCAT_SOURCE).at(-1)).toMatchObject({state: 'live', detail: expect.stringMatching(/resumed after/)});
		await session.stop();
		session = undefined;
	}, RECONNECT_WAIT_MS + 10_000);
});
