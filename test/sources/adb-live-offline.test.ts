/**
 * Issue 12, live-mode defect 5: the adb indicator must not say `live` while the phone is gone.
 * A probe polled back to back is always in flight when the link drops; its failure used to set
 * the adb source `live` again ("incognito probe failed") after it had gone down.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {needTool} from '../helpers/tools.js';
import {AdbHarness, LOGCAT_FIXTURE} from '../sim/adb-harness.js';
import {ADB_SOURCE, LiveSession, type LiveStatus} from '../../source/sources/adb-live.js';

const until = async (cond: () => boolean, timeoutMs: number): Promise<boolean> => {
	const end = Date.now() + timeoutMs;
	while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
	return cond();
};

describe.runIf(needTool('adb', 'adb'))('live session: the adb source while the phone is gone', () => {
	const h = new AdbHarness();
	beforeAll(async () => {
		await h.start();
	});
	afterAll(async () => {
		await h.stop();
	});

	it('stays down from the drop until the phone is back, however a probe in flight ends', async () => {
		const {serial, sim} = await h.addSim({logcatPath: LOGCAT_FIXTURE, speed: 1});
		const statuses: LiveStatus[] = [];
		const session = new LiveSession({
			serial,
			endpoint: {host: '127.0.0.1', port: h.port},
			startServer: false,
			pcap: false,
			tcpReconnect: false,
			// Back to back: a probe is in flight whenever the link drops.
			probe: {command: 'getprop ro.product.model', everyMs: 1, onOutput: () => []},
			onStatus: (s) => statuses.push(s),
		});
		session.start();
		try {
			expect(await until(() => statuses.some((s) => s.source === ADB_SOURCE && s.state === 'live'), 10_000)).toBe(true);
			await new Promise((r) => setTimeout(r, 500));
			const from = statuses.length;
			sim.drop(4000);
			await new Promise((r) => setTimeout(r, 3000));
			const adb = statuses.slice(from).filter((s) => s.source === ADB_SOURCE);
			const down = adb.findIndex((s) => s.state !== 'live');
			expect(down, adb.map((s) => `${s.state} ${s.detail}`).join('\n')).toBeGreaterThanOrEqual(0);
			expect(adb.slice(down).map((s) => s.state), adb.map((s) => `${s.state} ${s.detail}`).join('\n')).not.toContain('live');
		} finally {
			await session.stop();
			await h.adb(['disconnect', serial]);
		}
	}, 30_000);
});
