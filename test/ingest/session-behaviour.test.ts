/**
 * Session behaviour pinned before the split of issue 13: plain HTTP uploads, flag raising (with
 * its dedupe, evidence and the encrypted-upload judgement), the `i` key's incognito toggle and the
 * log clock offset, each seen through what a Session gives out (snapshot, NDJSON events, markers).
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {ndjsonRecord} from '../../source/report/ndjson.js';
import {ANY_BROWSER, Session, type MarkerMade} from '../../source/ingest/session.js';
import {createRuleSet} from '../../source/classify/rules.js';
import {loadBrowserLogRules, loadBundledRules} from '../../source/app/rule-files.js';
import {openCapture} from '../../source/sources/capture-source.js';
import {ipv4, raw, tcp} from '../decode/frames.js';
import {repoRoot} from '../helpers/corpus.js';
import type {RawPacket} from '../../source/types.js';

const classifier = createRuleSet({bundled: loadBundledRules(new URL(`file://${path.join(repoRoot, 'source/classify/rules')}/`))});
const browserLogRules = loadBrowserLogRules();
const PHONE = '10.0.0.2';
const MI = 'com.mi.globalbrowser';
const LINKTYPE_RAW = 101;
const PSH_ACK = 0x18;

/** One plain HTTP request from the phone in a single TCP segment (the analyzer picks up mid-stream). */
function httpRequest(o: {host: string; path: string; method?: string; body?: string; dst?: string; sport?: number; index: number; ts: number}): RawPacket {
	const body = Buffer.from(o.body ?? '');
	const head = `${o.method ?? 'POST'} ${o.path} HTTP/1.1\r\nHost: ${o.host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`;
	const payload = Uint8Array.from(Buffer.concat([Buffer.from(head, 'latin1'), body]));
	return raw(LINKTYPE_RAW, ipv4(PHONE, o.dst ?? '203.0.113.7', 6, tcp(o.sport ?? 40_000 + o.index, 80, PSH_ACK, 1, payload)), {index: o.index, ts: o.ts});
}

function recorded(opts: {logYear?: number} = {}) {
	const events: Array<Record<string, unknown>> = [];
	const session = new Session({classifier, browserLogRules, ...opts, onEvent: (e) => events.push(ndjsonRecord(e))});
	return {session, events, ofType: (type: string) => events.filter((e) => e.type === type)};
}

const LEAK_BODY = 'event=page_view&url=http%3A%2F%2Fexample.org%2Fprivate-page&distinct_id=abc';

describe('Session: plain HTTP', () => {
	it('an upload makes an http event with its body in base64, a timeline row and a cleartext destination', () => {
		const {session, ofType} = recorded();
		session.addPacket(httpRequest({host: 'sa.api.intl.miui.com:8080', path: '/sa?project=x', body: 'abc=1', index: 1, ts: 1000}));
		session.finish();
		expect(ofType('http')).toEqual([
			{type: 'http', ts: 1000, index: 1, method: 'POST', host: 'sa.api.intl.miui.com', path: '/sa?project=x', bodyBytes: 5, body: Buffer.from('abc=1').toString('base64'), tls: false, alpn: null, src: PHONE, sport: 40_001, dst: '203.0.113.7', dport: 80},
		]);
		const snap = session.snapshot();
		const d = snap.destinations.find((x) => x.host === 'sa.api.intl.miui.com');
		expect(d).toMatchObject({via: ['http'], payload: 'cleartext', owner: 'Xiaomi', packets: 1});
		expect(d!.ips).toContain('203.0.113.7');
		expect(d!.tls).toBeUndefined();
		expect(snap.timeline).toContainEqual({ts: 1000, kind: 'http', text: 'POST sa.api.intl.miui.com/sa?project=x (5 B)', index: 1, source: 'net'});
	});

	it('a request without a Host header is the address\'s destination', () => {
		const s = new Session({classifier, browserLogRules});
		const p = httpRequest({host: 'x', path: '/p', method: 'GET', index: 1, ts: 1000, dst: '198.51.100.4'});
		// Replace the Host header by another header of the same length.
		const text = Buffer.from(p.data).toString('latin1').replace('Host: x', 'Hxst: x');
		s.addPacket({...p, data: Uint8Array.from(Buffer.from(text, 'latin1'))});
		expect(s.snapshot().destinations.find((d) => d.host === '198.51.100.4')).toMatchObject({via: ['http'], payload: 'cleartext'});
	});
});

describe('Session: flags', () => {
	it('a visited URL sent to an analytics host is a url-leak flag: snapshot, timeline, NDJSON, destination count', () => {
		const {session, ofType} = recorded();
		session.addPacket(httpRequest({host: 'sa.api.intl.miui.com', path: '/sa', body: LEAK_BODY, index: 1, ts: 1000}));
		const snap = session.snapshot();
		expect(snap.flags).toHaveLength(1);
		const f = snap.flags[0]!;
		expect(f).toMatchObject({kind: 'url-leak', host: 'sa.api.intl.miui.com', ts: 1000, evidence: {packets: [1]}});
		expect(f.app).toBeUndefined();
		expect(snap.destinations.find((d) => d.host === 'sa.api.intl.miui.com')!.flags).toBe(1);
		expect(snap.timeline).toContainEqual({ts: 1000, kind: 'url-leak', text: `${f.severity.toUpperCase()} url-leak sa.api.intl.miui.com: ${f.summary}`, index: 1, source: 'flag'});
		expect(ofType('flag')).toEqual([{type: 'flag', ...f, app: null}]);
	});

	it('a repeat folds into the first flag, counted; the same upload to another endpoint is a second flag; a URL leak is one per request', () => {
		const s = new Session({classifier, browserLogRules});
		s.addIncognitoWindow(undefined, 0, undefined);
		s.addPacket(httpRequest({host: 'sa.api.intl.miui.com', path: '/sa', body: 'a=1', index: 1, ts: 1000}));
		s.addPacket(httpRequest({host: 'sa.api.intl.miui.com', path: '/sa', body: 'a=1', index: 2, ts: 1001}));
		let flags = s.snapshot().flags;
		expect(flags.map((f) => [f.kind, f.count, f.evidence.packets])).toEqual([['incognito-tracker', 2, [1, 2]]]);
		s.addPacket(httpRequest({host: 'sa.api.intl.miui.com', path: '/other', body: 'a=1', index: 3, ts: 1002}));
		flags = s.snapshot().flags;
		expect(flags.map((f) => f.evidence.packets)).toEqual([[1, 2], [3]]);
		expect(s.snapshot().destinations.find((d) => d.host === 'sa.api.intl.miui.com')!.flags).toBe(2);
		const leaks = new Session({classifier, browserLogRules});
		leaks.addPacket(httpRequest({host: 'sa.api.intl.miui.com', path: '/sa', body: LEAK_BODY, index: 1, ts: 1000}));
		leaks.addPacket(httpRequest({host: 'sa.api.intl.miui.com', path: '/sa', body: LEAK_BODY, index: 2, ts: 1001}));
		expect(leaks.snapshot().flags.map((f) => [f.kind, f.evidence.packets])).toEqual([['url-leak', [1]], ['url-leak', [2]]]);
	});

	it('in incognito, a page visited then sent out is an incognito-url-leak naming the signal, the log line and the app in front', () => {
		const s = new Session({classifier, browserLogRules});
		const START = '2026-11-23 22:36:47.928 +0300  1520  1548 I ActivityManager: Start proc 12455:com.mi.globalbrowser/u0a85 for activity {com.mi.globalbrowser/com.android.browser.BrowserActivity}';
		const FRONT = '2026-11-23 22:36:48.000 +0300  1520  1532 I ActivityTaskManager: START u0 {act=android.intent.action.MAIN flg=0x10200000 cmp=com.mi.globalbrowser/com.android.browser.BrowserActivity} from uid 10085';
		const ENTER = '2026-11-23 22:36:50.597 +0300 12455 12455 I BrowserActivity: Entering incognito mode';
		[START, FRONT, ENTER].forEach((text, i) => s.addLogLine({text, index: i + 1}));
		const t = Date.UTC(2026, 10, 23, 19, 36, 55) / 1000;
		s.addPacket(httpRequest({host: 'example.org', path: '/private-page', method: 'GET', index: 1, ts: t, dst: '93.184.215.14'}));
		s.addPacket(httpRequest({host: 'sa.api.intl.miui.com', path: '/sa', body: LEAK_BODY, index: 2, ts: t + 1}));
		const leak = s.snapshot().flags.find((f) => f.kind === 'incognito-url-leak');
		expect(leak).toMatchObject({host: 'sa.api.intl.miui.com', evidence: {packets: [2], logLines: [3], foreground: MI, incognitoSignal: 'log'}});
	});

	it('TLS to a tracker in incognito without keys is an encrypted incognito-tracker flag; with keys it is read and judged on its payload', async () => {
		const run = async (keys: boolean) => {
			const s = new Session({classifier, browserLogRules});
			s.addIncognitoWindow(undefined, 0, undefined);
			if (keys) s.addKeyLog(readFileSync(path.join(repoRoot, 'test/fixtures/tls/sa-tls13-h2.keys'), 'utf8'), true);
			for await (const batch of openCapture(path.join(repoRoot, 'test/fixtures/tls/sa-tls13-h2.pcap'))) for (const p of batch) s.addPacket(p);
			s.finish();
			return s.snapshot();
		};
		const plain = await run(false);
		const tracker = plain.flags.filter((f) => f.kind === 'incognito-tracker');
		expect(tracker.map((f) => [f.host, f.evidence.incognitoSignal])).toEqual([['sa.api.intl.miui.com', 'marker']]);
		expect(plain.destinations.find((d) => d.host === 'sa.api.intl.miui.com')).toMatchObject({payload: 'encrypted', tls: {connections: 1, read: 0}});
		const keyed = await run(true);
		// Read with keys: judged on what it says (decrypted), never as an encrypted upload.
		const keyedTracker = keyed.flags.filter((f) => f.kind === 'incognito-tracker');
		expect(keyedTracker.map((f) => [f.host, f.evidence.decrypted, f.evidence.payload])).toEqual([['sa.api.intl.miui.com', true, 'decoded']]);
		expect(keyed.destinations.find((d) => d.host === 'sa.api.intl.miui.com')).toMatchObject({payload: 'read', tls: {connections: 1, read: 1}});
		expect(keyed.tls).toMatchObject({read: 2, noKeys: 0});
	});

	it('a connection whose keys never come is judged once it is overdue, before the capture ends', async () => {
		const s = new Session({classifier, browserLogRules});
		s.addIncognitoWindow(undefined, 0, undefined);
		s.expectKeys();
		let last = 0;
		for await (const batch of openCapture(path.join(repoRoot, 'test/fixtures/tls/sa-tls13-h2.pcap'))) for (const p of batch) {
			s.addPacket(p);
			last = p.ts;
		}
		expect(s.snapshot().flags.filter((f) => f.kind === 'incognito-tracker')).toEqual([]);
		// A later packet, past the wait for keys, brings the judgement without finish().
		s.addPacket(httpRequest({host: 'later.example', path: '/', method: 'GET', index: 999, ts: last + 10}));
		expect(s.snapshot().flags.filter((f) => f.kind === 'incognito-tracker').map((f) => f.host)).toEqual(['sa.api.intl.miui.com']);
	});
});

describe('Session: the i key (toggleIncognito)', () => {
	const FRONT = (pkg: string, hh = '22:36:48') => `2026-11-23 ${hh}.000 +0300  1520  1532 I ActivityTaskManager: START u0 {act=android.intent.action.MAIN flg=0x10200000 cmp=${pkg}/.Main} from uid 10085`;

	it('with no browser seen, toggles whichever browser comes to the front, and tells the timeline, NDJSON and listeners', () => {
		const {session, ofType} = recorded();
		const heard: MarkerMade[] = [];
		const stop = session.onMarker((m) => heard.push(m));
		const on = session.toggleIncognito(50);
		expect(on).toEqual({kind: 'incognito-on', ts: 50, pkg: ANY_BROWSER, text: 'incognito on for the browser in front (marked by hand)'});
		expect(session.snapshot().incognito).toEqual([ANY_BROWSER]);
		expect(session.snapshot().incognitoSignals).toEqual({[ANY_BROWSER]: 'marker'});
		const off = session.toggleIncognito(60);
		expect(off.kind).toBe('incognito-off');
		expect(heard).toEqual([on, off]);
		expect(ofType('marker')).toEqual([{type: 'marker', ts: 50, text: on.text}, {type: 'marker', ts: 60, text: off.text}]);
		expect(session.snapshot().timeline.filter((e) => e.kind === 'marker').map((e) => e.text)).toEqual([on.text, off.text]);
		stop();
		session.toggleIncognito(70);
		expect(heard).toHaveLength(2);
		expect(session.snapshot().incognito).toEqual([ANY_BROWSER]);
	});

	it('picks the browser in front; with another app in front, the browser still incognito, else the last browser seen', () => {
		const s = new Session({classifier, browserLogRules});
		s.addLogLine({text: FRONT(MI, '22:36:48'), index: 1});
		expect(s.incognitoTarget()).toBe(MI);
		const on = s.toggleIncognito();
		expect(on).toMatchObject({kind: 'incognito-on', pkg: MI});
		expect(on.text).toContain('(marked by hand)');
		s.addLogLine({text: FRONT('org.telegram.messenger', '22:36:49'), index: 2});
		// Another app in front: the browser that is incognito now is the one a press turns off.
		expect(s.toggleIncognito()).toMatchObject({kind: 'incognito-off', pkg: MI});
		// Nothing incognito: the browser last seen in front.
		expect(s.toggleIncognito()).toMatchObject({kind: 'incognito-on', pkg: MI});
		expect(s.snapshot().incognito).toEqual([MI]);
	});

	it('a note is a marker too: timeline, NDJSON and listeners', () => {
		const {session, ofType} = recorded();
		const heard: MarkerMade[] = [];
		session.onMarker((m) => heard.push(m));
		session.addMarker('opened the app', 12);
		expect(heard).toEqual([{kind: 'note', ts: 12, text: 'opened the app'}]);
		expect(ofType('marker')).toEqual([{type: 'marker', ts: 12, text: 'opened the app'}]);
	});
});

describe('Session: the log clock offset', () => {
	const START = '2026-11-23 22:36:47.928 +0300  1520  1548 I ActivityManager: Start proc 12455:com.mi.globalbrowser/u0a85 for activity {com.mi.globalbrowser/com.android.browser.BrowserActivity}';
	const ENTER = '2026-11-23 22:36:50.597 +0300 12455 12455 I BrowserActivity: Entering incognito mode';
	const T_ENTER = Date.UTC(2026, 10, 23, 19, 36, 50, 597) / 1000;
	const OFFSET = -120;

	it('moves every log record onto the capture clock: NDJSON time, incognito windows, the session clock', () => {
		const {session, ofType} = recorded();
		session.logClockOffset = OFFSET;
		session.addLogLine({text: START, index: 1});
		session.addLogLine({text: ENTER, index: 2});
		const log = ofType('log');
		expect(log.map((e) => e.ts)).toEqual([Date.UTC(2026, 10, 23, 19, 36, 47, 928) / 1000 + OFFSET, T_ENTER + OFFSET]);
		expect(session.now).toBe(T_ENTER + OFFSET);
		expect(session.incognito.intervalAt(MI, T_ENTER + OFFSET)).toMatchObject({start: T_ENTER + OFFSET, logLine: 2});
		expect(session.incognito.isIncognito(MI, T_ENTER + OFFSET - 1)).toBe(false);
		expect(session.snapshot().timeline.find((e) => e.index === 2)).toMatchObject({ts: T_ENTER + OFFSET, kind: 'incognito-on'});
	});

	it('applies to the lines before a --from window, and an upload inside the moved window is judged incognito', () => {
		const s = new Session({classifier, browserLogRules});
		s.logClockOffset = OFFSET;
		s.primeLogLine({text: START, index: 1});
		s.primeLogLine({text: ENTER, index: 2});
		expect(s.incognito.intervalAt(MI, T_ENTER + OFFSET)).toMatchObject({start: T_ENTER + OFFSET});
		s.addPacket(httpRequest({host: 'example.org', path: '/private-page', method: 'GET', index: 1, ts: T_ENTER + OFFSET + 1, dst: '93.184.215.14'}));
		s.addPacket(httpRequest({host: 'sa.api.intl.miui.com', path: '/sa', body: LEAK_BODY, index: 2, ts: T_ENTER + OFFSET + 2}));
		expect(s.snapshot().flags.map((f) => f.kind)).toContain('incognito-tracker');
		// Without the offset the same packets come before the window opens.
		const late = new Session({classifier, browserLogRules});
		late.primeLogLine({text: START, index: 1});
		late.primeLogLine({text: ENTER, index: 2});
		late.addPacket(httpRequest({host: 'sa.api.intl.miui.com', path: '/sa', body: LEAK_BODY, index: 2, ts: T_ENTER + OFFSET + 2}));
		expect(late.snapshot().flags.map((f) => f.kind)).toEqual(['url-leak']);
		expect(late.snapshot().flags.map((f) => f.kind)).not.toContain('incognito-tracker');
	});

	it('zero leaves the phone\'s times as they are', () => {
		const {session, ofType} = recorded();
		session.addLogLine({text: ENTER, index: 1});
		expect(ofType('log')[0]!.ts).toBe(T_ENTER);
	});
});
