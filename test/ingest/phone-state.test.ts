import {describe, expect, it} from 'vitest';
import {PhoneState} from '../../source/ingest/phone-state.js';
import {ANY_BROWSER} from '../../source/lib/format.js';

const MI = 'com.mi.globalbrowser';
const CHROME = 'com.android.chrome';

describe('PhoneState', () => {
	it('learns processes and the app in front from log facts', () => {
		const p = new PhoneState();
		p.observe({kind: 'proc-start', pid: 12455, process: MI, pkg: MI, uid: 10085}, 1, 1);
		p.observe({kind: 'activity-start', pkg: MI}, 2, 2);
		expect(p.appOfPid(12455)).toBe(MI);
		expect(p.appOfPid(undefined)).toBeUndefined();
		expect(p.incognito.foreground(2)).toBe(MI);
	});

	it('the i key means the browser in front; else one incognito now; else the last browser seen; else any browser', () => {
		const p = new PhoneState();
		expect(p.incognitoTarget(1)).toBe(ANY_BROWSER);
		p.observe({kind: 'activity-start', pkg: CHROME}, 1, 1);
		expect(p.incognitoTarget(1)).toBe(CHROME);
		p.observe({kind: 'activity-start', pkg: MI}, 2, 2);
		p.observe({kind: 'incognito-on', pkg: MI}, 3, 3);
		p.observe({kind: 'activity-start', pkg: 'org.telegram.messenger'}, 4, 4);
		expect(p.incognitoTarget(5)).toBe(MI);
		p.observe({kind: 'incognito-off', pkg: MI}, 6, 6);
		expect(p.incognitoTarget(7)).toBe(MI);
	});

	it('a visit is incognito when its app (else the app in front) is, or a window covers any browser', () => {
		const p = new PhoneState();
		p.observe({kind: 'activity-start', pkg: MI}, 1, 1);
		p.observe({kind: 'incognito-on', pkg: MI}, 2, 2);
		expect(p.visitInIncognito(undefined, 3)).toBe(true);
		expect(p.visitInIncognito(CHROME, 3)).toBe(false);
		p.incognito.start(ANY_BROWSER, 4, 'marker');
		expect(p.visitInIncognito(CHROME, 5)).toBe(true);
	});

	it('a visit without an app is judged by the app in front at its time, whatever the log has said since', () => {
		const p = new PhoneState();
		// The whole log first (logcat ahead of the packets): the browser goes incognito, then the launcher comes to the front.
		p.observe({kind: 'activity-start', pkg: MI}, 1, 1);
		p.observe({kind: 'incognito-on', pkg: MI}, 2, 2);
		p.observe({kind: 'incognito-off', pkg: MI}, 10, 3);
		p.observe({kind: 'activity-start', pkg: 'com.miui.home'}, 11, 4);
		expect(p.visitInIncognito(undefined, 5)).toBe(true);
		expect(p.visitInIncognito(undefined, 12)).toBe(false);
	});
});
