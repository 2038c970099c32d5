/**
 * The live incognito probe's decisions, pure: from `dumpsys notification` and `dumpsys window`
 * output to the `tattle.probe` messages that join the logcat stream (sources/adb-live.ts writes
 * them as log lines; decode/android.ts reads them back, live and from a recorded bundle, so a
 * replay sees the same signals). No I/O, no clock: the caller polls and keeps the probe.
 */
import {incognitoChanges, incognitoPackages, parseFocusedWindow, probeMessage, type FocusedWindow} from '../decode/dumpsys.js';
import {isBrowserPackage} from './incognito.js';

/**
 * One shell command for one poll: the private-tabs notifications, then the focused window
 * (`displays` has it from Android 10 on, `windows` before that and has every window's flags).
 * The parsers look for their own lines only, so the outputs need no separating.
 */
export const INCOGNITO_PROBE_COMMAND = 'dumpsys notification --noredact ; dumpsys window displays ; dumpsys window windows';

/** What the window probe concluded: its messages, and the browsers it now sees in a secure window. */
type WindowProbeResult = {changes: string[]; secure: ReadonlySet<string>};

/**
 * The probe messages for the window in front, given the browsers the previous poll saw in a
 * secure window: a secure browser window in front turns that browser on, a non-secure one of it
 * turns it off; another app in front (the launcher, a notification shade) or a dump without the
 * window's flags changes nothing. Only changes are reported, as for notifications.
 */
export function incognitoFromWindow(parsed: FocusedWindow | undefined, prev: ReadonlySet<string>): WindowProbeResult {
	const pkg = parsed?.pkg;
	if (!parsed || pkg === undefined || parsed.secure === undefined || !isBrowserPackage(pkg)) return {changes: [], secure: prev};
	if (parsed.secure === prev.has(pkg)) return {changes: [], secure: prev};
	const secure = new Set(prev);
	if (parsed.secure) secure.add(pkg);
	else secure.delete(pkg);
	return {changes: [probeMessage(parsed.secure ? 'incognito-on' : 'incognito-off', pkg, 'secure-window')], secure};
}

/**
 * Both probes, with their state between polls. Per poll, notification changes come first and
 * window changes last: both are written with the poll's time, and the window (what is in front
 * now) is the more current of the two, so under the latest-change-wins rule it decides.
 */
export class IncognitoProbe {
	private notifications: ReadonlySet<string> = new Set();
	private secureWindows: ReadonlySet<string> = new Set();

	/** The `tattle.probe` messages for one poll's output ({@link INCOGNITO_PROBE_COMMAND}). */
	poll(text: string): string[] {
		const now = incognitoPackages(text);
		const changes = incognitoChanges(this.notifications, now);
		this.notifications = new Set(now);
		const window = incognitoFromWindow(parseFocusedWindow(text), this.secureWindows);
		this.secureWindows = window.secure;
		return [...changes, ...window.changes];
	}
}
