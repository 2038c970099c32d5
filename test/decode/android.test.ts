import {readFileSync} from 'node:fs';
import {describe, it, expect} from 'vitest';
import {androidFact, MAX_PROCESSES, parseAndroidUid, pkgOf, ProcessTable} from '../../source/decode/android.js';
import {LogcatParser, parseLogcatLine} from '../../source/decode/logcat.js';
import type {AndroidFact, LogRecord} from '../../source/types.js';
import {corpusPath, needFiles} from '../helpers/corpus.js';

const rec = (tag: string | undefined, message: string): LogRecord => ({type: 'log', index: 1, ...(tag === undefined ? {} : {tag}), message});
const line = (text: string) => androidFact(parseLogcatLine(text, 1, {year: 2024}));

describe('activity facts', () => {
	it('START: cmp, short activity names, user and caller uid', () => {
		expect(line('03-25 23:53:32.984   555  2344 I ActivityTaskManager: START u0 {act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10200000 cmp=com.mi.globalbrowser/com.android.browser.BrowserActivity bnds=[816,684][1104,921]} from uid 10085')).toEqual({
			kind: 'activity-start',
			pkg: 'com.mi.globalbrowser',
			activity: 'com.android.browser.BrowserActivity',
			user: 0,
			callerUid: 10085,
		});
		expect(androidFact(rec('ActivityManager', 'START u10 {flg=0x24000000 cmp=com.tencent.mm/.ui.LauncherUI (has extras)} from uid 10112 on display 0'))).toEqual({
			kind: 'activity-start',
			pkg: 'com.tencent.mm',
			activity: 'com.tencent.mm.ui.LauncherUI',
			user: 10,
			callerUid: 10112,
		});
		expect(androidFact(rec('ActivityTaskManager', 'START u0 {act=android.intent.action.VIEW dat=https://example.org/... flg=0x10000000 pkg=com.android.chrome} with LAUNCH_MULTIPLE from uid 10023'))).toMatchObject({
			pkg: 'com.android.chrome',
			callerUid: 10023,
		});
		expect(androidFact(rec('ActivityTaskManager', 'START u0 {act=android.intent.action.VIEW} from uid 1'))).toBeUndefined();
		expect(androidFact(rec('SomeApp', 'START u0 {cmp=com.evil/.Fake} from uid 1'))).toBeUndefined();
	});

	it('Displayed: all duration shapes', () => {
		expect(androidFact(rec('ActivityTaskManager', 'Displayed com.android.chrome/org.chromium.chrome.browser.ChromeTabbedActivity: +512ms'))).toEqual({
			kind: 'activity-displayed',
			pkg: 'com.android.chrome',
			activity: 'org.chromium.chrome.browser.ChromeTabbedActivity',
			ms: 512,
		});
		expect(androidFact(rec('ActivityTaskManager', 'Displayed com.android.chrome/org.chromium.chrome.browser.ChromeTabbedActivity for user 0: +1s234ms'))).toMatchObject({ms: 1234});
		expect(androidFact(rec('ActivityManager', 'Displayed com.example/.Main: +412ms (total +530ms)'))).toEqual({kind: 'activity-displayed', pkg: 'com.example', activity: 'com.example.Main', ms: 412});
		expect(androidFact(rec('ActivityManager', 'Displayed name.mlopatkin.shuttle/.MainActivity: +1s278ms (total +3m59s754ms)'))).toMatchObject({ms: 1278});
		expect(androidFact(rec('ActivityManager', 'Displayed a.b/.C: +2m3s4ms'))).toMatchObject({ms: 123_004});
	});
});

describe('process facts', () => {
	it('Start proc: uid forms, :remote suffix, hosting types', () => {
		expect(androidFact(rec('ActivityManager', 'Start proc 12455:com.mi.globalbrowser/u0a85 for next-top-activity {com.mi.globalbrowser/com.android.browser.BrowserActivity}'))).toEqual({
			kind: 'proc-start',
			pid: 12455,
			process: 'com.mi.globalbrowser',
			pkg: 'com.mi.globalbrowser',
			uid: 10085,
			hostingType: 'next-top-activity',
		});
		expect(androidFact(rec('ActivityManager', 'Start proc 19524:com.google.android.apps.messaging:rcs/u0a69 for service com.google.android.apps.messaging/com.google.android.ims.service.JibeService'))).toMatchObject({
			process: 'com.google.android.apps.messaging:rcs',
			pkg: 'com.google.android.apps.messaging',
			uid: 10069,
			hostingType: 'service',
		});
		expect(androidFact(rec('ActivityManager', 'Start proc 19359:com.android.providers.calendar/u0a3 for content provider com.android.providers.calendar/.CalendarProvider2'))).toMatchObject({hostingType: 'content provider'});
		expect(androidFact(rec('ActivityManager', 'Start proc 532:com.android.phone/1001 for added application com.android.phone'))).toMatchObject({uid: 1001, hostingType: 'added application'});
		expect(androidFact(rec('ActivityManager', 'Start proc 469:WebViewLoader-armeabi-v7a/1037 [android.webkit.WebViewLibraryLoader$RelroFileCreator] for '))).toEqual({
			kind: 'proc-start',
			pid: 469,
			process: 'WebViewLoader-armeabi-v7a',
			pkg: 'WebViewLoader-armeabi-v7a',
			uid: 1037,
		});
		expect(androidFact(rec('ActivityManager', 'Start proc 12455:com.pkg/10085 for activity com.pkg/.Main'))).toMatchObject({uid: 10085});
		// Android 4.x shape.
		expect(androidFact(rec('ActivityManager', 'Start proc com.google.android.music:main for service com.google.android.music/.playback.MusicPlaybackService: pid=32676 uid=10037 gids={50037, 3003, 1015, 1028}'))).toEqual({
			kind: 'proc-start',
			pid: 32676,
			process: 'com.google.android.music:main',
			pkg: 'com.google.android.music',
			uid: 10037,
			hostingType: 'service',
		});
	});

	it('am_proc_start event lines, with and without braces, with and without the user field', () => {
		expect(line('05-17 12:34:56.790   380   397 I am_proc_start: [0,12455,10085,com.mi.globalbrowser,next-top-activity,{com.mi.globalbrowser/com.android.browser.BrowserActivity}]')).toEqual({
			kind: 'proc-start',
			pid: 12455,
			process: 'com.mi.globalbrowser',
			pkg: 'com.mi.globalbrowser',
			uid: 10085,
			hostingType: 'next-top-activity',
		});
		expect(androidFact(rec('am_proc_start', '[0,12455,10085,com.pkg:remote,service,com.pkg/.Svc]'))).toMatchObject({pid: 12455, pkg: 'com.pkg', uid: 10085, hostingType: 'service'});
		expect(androidFact(rec('am_proc_start', '[12455,10085,com.pkg,activity,com.pkg/.Main]'))).toMatchObject({pid: 12455, uid: 10085, pkg: 'com.pkg'});
		expect(androidFact(rec(undefined, 'am_proc_start: [0,1,10001,a.b,activity,{a.b/.C}]'))).toMatchObject({pid: 1, pkg: 'a.b'});
		expect(androidFact(rec('am_proc_start', '[0,x,10085,com.pkg,activity]'))).toBeUndefined();
		expect(androidFact(rec('am_proc_start', 'garbage'))).toBeUndefined();
	});

	it('process death in its three shapes', () => {
		expect(androidFact(rec('ActivityManager', 'Process com.tencent.mobileqq:qzone (pid 12236) has died'))).toEqual({kind: 'proc-died', pid: 12236, process: 'com.tencent.mobileqq:qzone', pkg: 'com.tencent.mobileqq'});
		expect(androidFact(rec('ActivityManager', 'Process com.foo (pid 7) has died: fore TOP '))).toMatchObject({pid: 7, pkg: 'com.foo'});
		expect(androidFact(rec('am_proc_died', '[0,12236,com.tencent.mobileqq:qzone,900,17]'))).toEqual({kind: 'proc-died', pid: 12236, process: 'com.tencent.mobileqq:qzone', pkg: 'com.tencent.mobileqq'});
		expect(androidFact(rec('ActivityManager', 'Killing 18535:name.mlopatkin.shuttle/u0a85 (adj 0): user request after error'))).toEqual({kind: 'proc-died', pid: 18535, process: 'name.mlopatkin.shuttle', pkg: 'name.mlopatkin.shuttle'});
	});
});

describe('upload URLs and incognito signals', () => {
	it('datatransport upload URL', () => {
		expect(androidFact(rec('TRuntime.CctTransportBackend', 'Making request to: https://crashlyticsreports-pa.googleapis.com/v1/firelog/legacy/batchlog'))).toEqual({
			kind: 'upload-url',
			url: 'https://crashlyticsreports-pa.googleapis.com/v1/firelog/legacy/batchlog',
		});
		expect(androidFact(rec('TRuntime.CctTransportBackend', 'Status Code: 200'))).toBeUndefined();
		expect(androidFact(rec('TRuntime.CctTransportBackend', 'Making request to: javascript:alert(1)'))).toBeUndefined();
		expect(androidFact(rec('Other', 'Making request to: https://x.example/'))).toBeUndefined();
	});

	it('tattle probe and marker lines', () => {
		// A probe line without a source is the notification probe's (the only probe before the window probe).
		expect(androidFact(rec('tattle.probe', 'incognito-on pkg=com.android.chrome'))).toEqual({kind: 'incognito-on', pkg: 'com.android.chrome', detail: 'probe', signal: 'notification'});
		expect(androidFact(rec('tattle.probe', 'incognito-off pkg=com.android.chrome'))).toEqual({kind: 'incognito-off', pkg: 'com.android.chrome', detail: 'probe', signal: 'notification'});
		expect(androidFact(rec('tattle.probe', 'incognito-on pkg=com.android.chrome source=notification'))?.signal).toBe('notification');
		expect(androidFact(rec('tattle.probe', 'incognito-on pkg=com.mi.globalbrowser source=secure-window'))).toEqual({
			kind: 'incognito-on',
			pkg: 'com.mi.globalbrowser',
			detail: 'probe: source=secure-window',
			signal: 'secure-window',
		});
		expect(androidFact(rec('tattle.marker', 'incognito-on pkg=com.mi.globalbrowser note=user pressed i'))).toEqual({
			kind: 'incognito-on',
			pkg: 'com.mi.globalbrowser',
			detail: 'marker: note=user pressed i',
			signal: 'marker',
		});
		// Through the parser, as the live source writes it.
		expect(line('05-17 12:34:56.789     0     0 I tattle.probe: incognito-on pkg=com.android.chrome')).toMatchObject({kind: 'incognito-on', pkg: 'com.android.chrome'});
		expect(androidFact(rec('tattle.probe', 'incognito-maybe pkg=x'))).toBeUndefined();
		expect(androidFact(rec('chromium', 'incognito-on pkg=com.android.chrome'))).toBeUndefined();
	});

	it('thread-format records (no tag) still give AM facts', () => {
		expect(androidFact(parseLogcatLine('I(  380:  397) Start proc 12455:com.pkg/u0a85 for activity com.pkg/.Main'))).toMatchObject({kind: 'proc-start', pid: 12455});
		expect(androidFact(rec(undefined, 'nothing here'))).toBeUndefined();
	});
});

describe('hostile messages', () => {
	it('stay fast and give nothing (or a bounded fact) on 16 KB of junk', () => {
		const n = 16_384;
		const junk = [
			'Start proc ' + 'x '.repeat(n / 2),
			'Start proc x for ' + 'a '.repeat(n / 2) + ': pid=',
			'Start proc 1:' + 'a'.repeat(n) + '/',
			'START u0 {' + 'cmp='.repeat(n / 4),
			'START u0 {' + 'from uid 1 '.repeat(n / 11),
			'Displayed a/' + 'b'.repeat(n),
			'Displayed a/b: +' + '1'.repeat(n),
			'Killing 1:' + 'a'.repeat(n),
			'Process ' + 'a'.repeat(n) + ' (pid ',
		];
		const started = performance.now();
		for (const m of junk) for (const tag of ['ActivityManager', 'am_proc_start', 'am_proc_died', 'tattle.probe', 'TRuntime.CctTransportBackend']) androidFact(rec(tag, m));
		androidFact(rec('am_proc_start', '[' + '1,'.repeat(n / 2) + ']'));
		androidFact(rec('TRuntime.CctTransportBackend', 'Making request to: https://' + 'a'.repeat(n)));
		expect(performance.now() - started).toBeLessThan(1000);
		const url = androidFact(rec('TRuntime.CctTransportBackend', 'Making request to: https://' + 'a'.repeat(n)));
		expect(url?.kind === 'upload-url' && url.url.length).toBeLessThanOrEqual(2048);
	});
});

describe('uids and process names', () => {
	it('parses every printed uid form', () => {
		expect(parseAndroidUid('u0a85')).toBe(10085);
		expect(parseAndroidUid('u0_a85')).toBe(10085);
		expect(parseAndroidUid('u10a85')).toBe(1_010_085);
		expect(parseAndroidUid('u0i5')).toBe(99_005);
		expect(parseAndroidUid('1000')).toBe(1000);
		expect(parseAndroidUid('weird')).toBe('weird');
		expect(pkgOf('com.pkg:remote')).toBe('com.pkg');
	});
});

describe('ProcessTable', () => {
	it('maps pids to apps, packages to uids, and follows the foreground', () => {
		const t = new ProcessTable();
		const f = (r: LogRecord) => androidFact(r)!;
		t.observe(f(rec('ActivityManager', 'Start proc 12455:com.mi.globalbrowser/u0a85 for next-top-activity {com.mi.globalbrowser/com.android.browser.BrowserActivity}')), 100);
		t.observe(f(rec('am_proc_start', '[0,12460,10085,com.mi.globalbrowser:remote,service,{com.mi.globalbrowser/.Svc}]')), 101);
		t.observe(f(rec('ActivityManager', 'Start proc 20357:com.android.chrome:sandboxed_process0/u0i5 for webview_service com.mi.globalbrowser/org.chromium.content.app.SandboxedProcessService0')), 102);
		expect(t.appOf(12455)).toEqual({pid: 12455, pkg: 'com.mi.globalbrowser', process: 'com.mi.globalbrowser', uid: 10085, since: 100});
		expect(t.appOf(12460)?.pkg).toBe('com.mi.globalbrowser');
		expect(t.uidOf('com.mi.globalbrowser')).toBe(10085);
		expect(t.uidOf('com.android.chrome')).toBeUndefined(); // an isolated uid is not the package's
		expect(t.foreground).toBeUndefined();
		t.observe(f(rec('ActivityTaskManager', 'START u0 {cmp=com.mi.globalbrowser/com.android.browser.BrowserActivity} from uid 10010')), 103);
		expect(t.foreground).toEqual({pkg: 'com.mi.globalbrowser', activity: 'com.android.browser.BrowserActivity', ts: 103});
		t.observe(f(rec('ActivityTaskManager', 'Displayed com.android.chrome/org.chromium.chrome.browser.ChromeTabbedActivity: +512ms')), 104);
		expect(t.foreground?.pkg).toBe('com.android.chrome');
		t.observe(f(rec('ActivityManager', 'Process com.mi.globalbrowser (pid 12455) has died')), 105);
		expect(t.appOf(12455)).toBeUndefined();
		expect(t.uidOf('com.mi.globalbrowser')).toBe(10085);
		// A death naming another process does not drop a reused pid.
		t.observe(f(rec('am_proc_died', '[0,12460,com.other,900,17]')), 106);
		expect(t.appOf(12460)?.pkg).toBe('com.mi.globalbrowser');
		expect(t.size).toBe(2);
	});

	it('is capped at MAX_PROCESSES, evicting the oldest', () => {
		const t = new ProcessTable();
		for (let pid = 1; pid <= MAX_PROCESSES + 10; pid++) t.observe({kind: 'proc-start', pid, process: `p${pid}`, pkg: `p${pid}`, uid: 10000 + pid});
		expect(t.size).toBe(MAX_PROCESSES);
		expect(t.appOf(1)).toBeUndefined();
		expect(t.appOf(MAX_PROCESSES + 10)?.pkg).toBe(`p${MAX_PROCESSES + 10}`);
	});
});

const realLogs = ['andlogview__goldfish_omr1_threadtime.log', 'loghub__Android_2k.log', 'xiaomi-mocha__logcat.txt'].map((name) => corpusPath('logcat', name));
describe.runIf(needFiles('the corpus logcat files', ...realLogs))('facts from real logs', () => {
	function facts(name: string): Array<[LogRecord, AndroidFact]> {
		const parser = new LogcatParser({year: 2020});
		const out: Array<[LogRecord, AndroidFact]> = [];
		readFileSync(corpusPath('logcat', name), 'latin1')
			.split('\n')
			.forEach((text, i) => {
				for (const r of parser.push({text, index: i + 1})) {
					const f = androidFact(r);
					if (f) out.push([r, f]);
				}
			});
		return out;
	}
	const count = (list: Array<[LogRecord, AndroidFact]>) => {
		const c: Record<string, number> = {};
		for (const [, f] of list) c[f.kind] = (c[f.kind] ?? 0) + 1;
		return c;
	};
	const grep = (name: string, re: RegExp) => readFileSync(corpusPath('logcat', name), 'latin1').split('\n').filter((l) => re.test(l)).length;

	it('goldfish: every Start proc / START / Displayed / Killing line gives a fact', () => {
		const list = facts('andlogview__goldfish_omr1_threadtime.log');
		const c = count(list);
		const name = 'andlogview__goldfish_omr1_threadtime.log';
		expect(c['proc-start']).toBe(grep(name, / ActivityManager: Start proc /));
		expect(c['activity-start']).toBe(grep(name, / ActivityManager: START u0 /));
		expect(c['activity-displayed']).toBe(grep(name, / ActivityManager: Displayed /));
		expect(c['proc-died']).toBe(grep(name, / ActivityManager: (Killing \d|Process \S+ \(pid \d+\) has died)/));
		expect(c['proc-start']).toBeGreaterThan(10);
		const shuttle = list.find(([, f]) => f.kind === 'proc-start' && f.pid === 18535)!;
		expect(shuttle[1]).toEqual({kind: 'proc-start', pid: 18535, process: 'name.mlopatkin.shuttle', pkg: 'name.mlopatkin.shuttle', uid: 10085, hostingType: 'activity'});
		const table = new ProcessTable();
		for (const [r, f] of list) table.observe(f, r.ts);
		expect(table.uidOf('name.mlopatkin.shuttle')).toBe(10085);
		expect(table.foreground?.pkg).toBeDefined();
	});

	it('loghub and xiaomi: START with "on display", has-died, added application', () => {
		const loghub = count(facts('loghub__Android_2k.log'));
		expect(loghub['activity-start']).toBe(grep('loghub__Android_2k.log', / ActivityManager: START u0 /));
		expect(loghub['proc-died']).toBe(grep('loghub__Android_2k.log', / ActivityManager: (Killing \d|Process \S+ \(pid \d+\) has died)/));
		expect(loghub['activity-start']).toBeGreaterThan(0);
		expect(loghub['proc-died']).toBeGreaterThan(0);
		const xiaomi = count(facts('xiaomi-mocha__logcat.txt'));
		expect(xiaomi['proc-start']).toBeGreaterThan(5);
		expect(xiaomi['proc-start']).toBe(grep('xiaomi-mocha__logcat.txt', / ActivityManager: Start proc /));
	});
});
