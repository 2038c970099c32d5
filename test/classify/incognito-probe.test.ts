import {describe, expect, it} from 'vitest';
import {INCOGNITO_PROBE_COMMAND, IncognitoProbe, incognitoFromWindow} from '../../source/classify/incognito-probe.js';
import {parseFocusedWindow} from '../../source/decode/dumpsys.js';
import {androidFact} from '../../source/decode/android.js';
import {parseLogcatLine} from '../../source/decode/logcat.js';
import {renderDumpsysWindow, type SimWindow, type WindowDumpShape} from '../../source/sim/sim-window.js';

const MI = 'com.mi.globalbrowser';
const CHROME = 'com.android.chrome';
const browser = (secure: boolean, over: Partial<SimWindow> = {}): SimWindow => ({pkg: MI, activity: 'com.android.browser.BrowserActivity', secure, ...over});
const SHAPES: WindowDumpShape[] = ['legacy', 'android-10', 'android-11', 'android-12'];
/** What the probe command prints for a window: no private-tabs notification, then displays and windows. */
const dump = (w: SimWindow | undefined, shape: WindowDumpShape = 'android-12'): string =>
	`Current Notification Manager state:\n  Notification List:\n${renderDumpsysWindow(w, shape, 'displays')}${renderDumpsysWindow(w, shape, 'windows')}`;

describe('incognitoFromWindow', () => {
	it('turns a secure browser window in front on, a non-secure one of it off, and reports changes only', () => {
		const on = incognitoFromWindow(parseFocusedWindow(dump(browser(true))), new Set());
		expect(on.changes).toEqual([`incognito-on pkg=${MI} source=secure-window`]);
		expect([...on.secure]).toEqual([MI]);
		expect(incognitoFromWindow(parseFocusedWindow(dump(browser(true))), on.secure).changes).toEqual([]);
		const off = incognitoFromWindow(parseFocusedWindow(dump(browser(false))), on.secure);
		expect(off.changes).toEqual([`incognito-off pkg=${MI} source=secure-window`]);
		expect(off.secure.size).toBe(0);
		// A non-secure browser window that was never secure says nothing: a log line or a marker may hold the state.
		expect(incognitoFromWindow(parseFocusedWindow(dump(browser(false))), new Set()).changes).toEqual([]);
	});

	it('changes nothing for another app in front, secure or not, or a dump without the window flags', () => {
		const prev = new Set([MI]);
		for (const w of [undefined, {pkg: 'com.bank.app', activity: '.Login', secure: true}, {pkg: 'com.whatsapp', activity: '.Main', secure: false}]) {
			const r = incognitoFromWindow(parseFocusedWindow(dump(w)), prev);
			expect(r.changes).toEqual([]);
			expect(r.secure).toBe(prev);
		}
		expect(incognitoFromWindow(parseFocusedWindow(renderDumpsysWindow(browser(false), 'android-12', 'displays')), prev).changes).toEqual([]);
		expect(incognitoFromWindow(undefined, prev).changes).toEqual([]);
	});

	it('keeps a browser on while a popup of its secure window has the focus', () => {
		const prev = new Set([MI]);
		expect(incognitoFromWindow(parseFocusedWindow(dump(browser(true, {popup: true}))), prev).changes).toEqual([]);
		expect(incognitoFromWindow(parseFocusedWindow(dump(browser(false, {popup: true}))), prev).changes).toEqual([`incognito-off pkg=${MI} source=secure-window`]);
	});

	it.each(SHAPES)('reads the %s shape the simulator serves', (shape) => {
		for (const secure of [true, false]) {
			const parsed = parseFocusedWindow(dump(browser(secure), shape));
			expect(parsed).toMatchObject({pkg: MI, title: `${MI}/com.android.browser.BrowserActivity`, focusedApp: `${MI}/com.android.browser.BrowserActivity`, secure});
		}
		// The full dump, as `dumpsys window` prints it, holds both sections.
		expect(parseFocusedWindow(renderDumpsysWindow(browser(true), shape))?.secure).toBe(true);
	});
});

describe('IncognitoProbe', () => {
	it('combines the notification and window probes: notifications first, the window decides last', () => {
		const probe = new IncognitoProbe();
		const chromeNotification = `Current Notification Manager state:\n    NotificationRecord(0x0c1a2b3c: pkg=${CHROME} user=UserHandle{0} id=100 tag=incognito_tabs_open importance=2 key=0|${CHROME}|100|incognito_tabs_open|10123: Notification(channel=incognito pri=0 vis=SECRET))\n`;
		const chromeWindow = (secure: boolean) => renderDumpsysWindow({pkg: CHROME, activity: 'org.chromium.chrome.browser.ChromeTabbedActivity', secure}, 'android-12');
		expect(probe.poll(dump(undefined))).toEqual([]);
		expect(probe.poll(chromeNotification + chromeWindow(true))).toEqual([`incognito-on pkg=${CHROME} source=notification`, `incognito-on pkg=${CHROME} source=secure-window`]);
		// Back to a normal tab while the private tabs stay open: the window, the more current, decides.
		expect(probe.poll(chromeNotification + chromeWindow(false))).toEqual([`incognito-off pkg=${CHROME} source=secure-window`]);
		expect(probe.poll(chromeWindow(false))).toEqual([`incognito-off pkg=${CHROME} source=notification`]);
	});

	it('writes lines decode/android.ts reads back with their signal', () => {
		const probe = new IncognitoProbe();
		const [message] = probe.poll(dump(browser(true)));
		// The shape sources/adb-live.ts writes probe lines in.
		const line = `${(1795462610.597).toFixed(3).padStart(24)}     0     0     0 I tattle.probe: ${message}`;
		expect(androidFact(parseLogcatLine(line, 1))).toMatchObject({kind: 'incognito-on', pkg: MI, signal: 'secure-window'});
	});

	it('runs one shell command for both', () => {
		expect(INCOGNITO_PROBE_COMMAND).toBe('dumpsys notification --noredact ; dumpsys window displays ; dumpsys window windows');
	});
});
