/**
 * `dumpsys notification` output, read for the notifications browsers post while private tabs are
 * open: Chrome/Chromium post one tagged `incognito_tabs_open` (IncognitoNotificationManager, on
 * channel `incognito`), Firefox a "close private tabs" one. Pure: text in, package names out.
 */

/** Lines of dumpsys output looked at: a busy phone lists a few hundred notifications. */
export const MAX_DUMPSYS_LINES = 20_000;

const RECORD = /NotificationRecord\(/;
const PKG = /\bpkg=([\w.]+)/;
const TAG = /\btag=(\S+)/;
const CHANNEL = /\bchannel=([^\s,)]+)/;
/** Tags and channels that mean "private tabs are open". */
const PRIVATE = /incognito|private[-_]?brows|privatetabs/i;

/** Packages that currently show a private-browsing notification. */
export function incognitoPackages(text: string): string[] {
	const found = new Set<string>();
	const lines = text.split('\n', MAX_DUMPSYS_LINES);
	for (const line of lines) {
		if (!RECORD.test(line)) continue;
		const pkg = PKG.exec(line)?.[1];
		if (!pkg) continue;
		const tag = TAG.exec(line)?.[1] ?? '';
		const channel = CHANNEL.exec(line)?.[1] ?? '';
		if (PRIVATE.test(tag) || PRIVATE.test(channel)) found.add(pkg);
	}
	return [...found].sort();
}

/** The probe's log messages for a change of state between two polls. */
export function incognitoChanges(before: ReadonlySet<string>, now: readonly string[]): string[] {
	const out: string[] = [];
	const set = new Set(now);
	for (const pkg of set) if (!before.has(pkg)) out.push(`incognito-on pkg=${pkg} source=notification`);
	for (const pkg of before) if (!set.has(pkg)) out.push(`incognito-off pkg=${pkg} source=notification`);
	return out;
}
