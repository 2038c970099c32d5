/**
 * Flags depend on record times, never on the order in which log lines and packets arrive: live,
 * logcat can run seconds ahead of tcpdump's packets (and the simulator at full speed sends the
 * whole log first), where a replay merges the two streams by time. Each case feeds one Session
 * the streams merged by time and another the whole log first, and compares the flags.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {Session} from '../../source/ingest/session.js';
import {loadClassifier} from '../../source/app/rule-files.js';
import {captureHooks} from '../../source/app/session-setup.js';
import {LogcatParser} from '../../source/decode/logcat.js';
import {openCapture} from '../../source/sources/capture-source.js';
import {ReplayControl, resolveReplayInput, runReplay, type ReplayInput} from '../../source/sources/replay-source.js';
import type {Flag, LogLine, RawPacket} from '../../source/types.js';
import {repoRoot} from '../helpers/corpus.js';

const rules = loadClassifier({});
if (!rules.ok) throw new Error(rules.error);
const {rules: classifier, browserLogRules} = rules.value;
const MI = 'com.mi.globalbrowser';

type Order = 'by time' | 'log first' | 'packets first';

/**
 * A bundle through one Session, as `tattle replay` reads it: by time (the replay's merge), or one
 * whole stream before the other (each through the same readers, DSB secrets included).
 */
async function replayBundle(name: string, order: Order): Promise<readonly Flag[]> {
	const input = resolveReplayInput(path.join(repoRoot, 'captures', name), undefined);
	const session = new Session({classifier, browserLogRules, logYear: input.meta?.logYear, logZone: input.meta?.logZone});
	const timeParser = new LogcatParser({year: input.meta?.logYear, zone: input.meta?.logZone});
	const handlers = {onPacket: (p: RawPacket) => session.addPacket(p), onLogLine: (l: LogLine) => session.addLogLine(l), ...captureHooks(session)};
	const run = (part: ReplayInput) => runReplay(part, handlers, {control: new ReplayControl('max'), timeOf: (l) => timeParser.timeOf(l.text)});
	const log: ReplayInput = {logcat: input.logcat, meta: input.meta};
	const capture: ReplayInput = {capture: input.capture, meta: input.meta};
	if (order === 'by time') await run(input);
	else for (const part of order === 'log first' ? [log, capture] : [capture, log]) await run(part);
	session.finish();
	return session.snapshot().flags;
}

describe('flags do not depend on whether log lines or packets arrive first', () => {
	it.each(['incognito-leak', 'incognito-https', 'normal-browsing', 'ordinary-day'])('%s: the whole log before the packets gives the replay\'s flags, kinds and evidence', async (name) => {
		const byTime = await replayBundle(name, 'by time');
		const logFirst = await replayBundle(name, 'log first');
		expect(logFirst).toEqual(byTime);
	});

	it('incognito-leak, log first: the visited URL is an incognito-url-leak, as in the replay (the browser had left the front by the time the packets came)', async () => {
		const flags = await replayBundle('incognito-leak', 'log first');
		const leaks = flags.filter((f) => f.kind === 'incognito-url-leak').map((f) => f.host);
		expect(leaks).toEqual(['sa.api.intl.miui.com', 'data.mistat.intl.xiaomi.com', 'sa.api.intl.miui.com']);
		expect(flags.filter((f) => f.kind === 'url-leak')).toEqual([]);
		const sa = flags.find((f) => f.kind === 'incognito-url-leak')!;
		expect(sa.evidence).toMatchObject({logLines: [25], foreground: MI, incognitoSignal: 'secure-window'});
	});

	/**
	 * The limit (README, Incognito flags): an upload judged before the log line that opens its
	 * window has arrived is judged outside incognito, and the visits before that line are not
	 * remembered as incognito visits. Pinned so that a change to it is a decision, not an accident.
	 */
	it('a TLS connection waits for its keys on the capture\'s clock: a log line 30 s ahead does not make it overdue', async () => {
		// TLS 1.3 + HTTP/2 to sa.api.intl.miui.com (a tracker), the fixture's second connection
		// (frames 22-42); its keys come right after its hello.
		const packets: RawPacket[] = [];
		for await (const batch of openCapture(path.join(repoRoot, 'test/fixtures/tls/sa-tls13-h2.pcap'))) for (const p of batch) if (p.index >= 22) packets.push({...p, data: Uint8Array.from(p.data)});
		const keys = readFileSync(path.join(repoRoot, 'test/fixtures/tls/sa-tls13-h2.keys'), 'utf8');
		const hello = packets.findIndex((p) => p.index === 25);
		const t0 = Math.floor(packets[0]!.ts);
		const on: LogLine = {text: `          ${t0 - 1}.000     0     0     0 I tattle.probe: incognito-on pkg=${MI} source=secure-window`, index: 1};
		const ahead: LogLine = {text: `          ${t0 + 30}.000  1000  1520  1563 D BatteryService: Processing new values`, index: 2};
		const run = (order: Order) => {
			const s = new Session({classifier, browserLogRules});
			s.expectKeys();
			s.addLogLine(on);
			if (order === 'log first') s.addLogLine(ahead);
			packets.forEach((p, i) => {
				s.addPacket(p);
				if (i === hello) s.addKeyLog(keys, true);
			});
			if (order === 'by time') s.addLogLine(ahead);
			s.finish();
			return s.snapshot().flags;
		};
		const byTime = run('by time');
		expect(byTime.filter((f) => f.kind === 'incognito-tracker').map((f) => [f.host, f.evidence.decrypted, f.evidence.payload])).toEqual([['sa.api.intl.miui.com', true, 'decoded']]);
		expect(run('log first')).toEqual(byTime);
	});

	it('packets first (the reverse): uploads judged before their window is known are not incognito flags', async () => {
		const flags = await replayBundle('incognito-leak', 'packets first');
		expect(flags.filter((f) => f.kind.startsWith('incognito-'))).toEqual([]);
		expect(flags.map((f) => f.kind)).toContain('url-leak');
	});
});
