/**
 * What the phone's log says about its state: the processes (pid -> package), the app in front,
 * each browser's incognito mode, and so which browser the user's `i` key means.
 */
import {ProcessTable} from '../decode/android.js';
import {BROWSER_PACKAGES, IncognitoTracker} from '../classify/incognito.js';
import {ANY_BROWSER} from '../lib/format.js';
import type {AndroidFact} from '../types.js';

export class PhoneState {
	readonly processes = new ProcessTable();
	readonly incognito = new IncognitoTracker();
	/** The browser last seen in front (the `i` key's choice once another app is in front). */
	private lastBrowser: string | undefined;

	/** Takes in one log fact at `ts` (`logLine`: the record's index, as incognito evidence). */
	observe(fact: AndroidFact, ts: number, logLine: number | undefined): void {
		this.processes.observe(fact, ts);
		if (fact.kind === 'activity-start' || fact.kind === 'activity-displayed') {
			this.incognito.setForeground(fact.pkg, ts);
			if (BROWSER_PACKAGES.has(fact.pkg)) this.lastBrowser = fact.pkg;
		} else if (fact.kind === 'incognito-on' || fact.kind === 'incognito-off') this.incognito.observe(fact, ts, logLine);
	}

	/** The package of a pid the process table knows (from Start proc, am_proc_start...). */
	appOfPid(pid: number | undefined): string | undefined {
		return pid === undefined ? undefined : this.processes.appOf(pid)?.pkg;
	}

	/** Whether a visit at `ts` by `app` (else the app in front at `ts`) happened in incognito. */
	visitInIncognito(app: string | undefined, ts: number): boolean {
		// The app in front at the visit's time, not the latest: logcat may run seconds ahead of the
		// packets, and by the time a visit arrives the log may already have left the browser.
		const who = app ?? this.incognito.foreground(ts);
		return (who !== undefined && this.incognito.isIncognito(who, ts)) || this.incognito.isIncognito(ANY_BROWSER, ts);
	}

	/**
	 * The browser the user's `i` key means: the one in front; else one that is incognito now (so a
	 * second press turns it off); else the browser last seen in front; else, with no browser seen
	 * yet, whichever browser comes to the front ({@link ANY_BROWSER}).
	 */
	incognitoTarget(ts: number): string {
		const fg = this.processes.foreground?.pkg;
		if (fg && BROWSER_PACKAGES.has(fg)) return fg;
		const active = this.incognito.active();
		const open = active.find((p) => p !== ANY_BROWSER && this.incognito.isIncognito(p, ts)) ?? (active.includes(ANY_BROWSER) ? ANY_BROWSER : undefined);
		return open ?? this.lastBrowser ?? ANY_BROWSER;
	}
}
