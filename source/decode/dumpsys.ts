/**
 * `dumpsys notification` output, read for the notifications browsers post while private tabs are
 * open: Chrome/Chromium post one tagged `incognito_tabs_open` (IncognitoNotificationManager, on
 * channel `incognito`), Firefox a "close private tabs" one. `dumpsys window` output, read for the
 * focused window, its package and whether it is FLAG_SECURE (browsers mark incognito windows so).
 * Pure: text in, values out. The probe's messages are made here too, in the one format
 * decode/android.ts reads back.
 */

/** Lines of dumpsys output looked at: a busy phone lists a few hundred notifications. */
const MAX_DUMPSYS_LINES = 20_000;

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

/** The signals the probe reports (types.ts IncognitoSignal): what `source=` says on its lines. */
type ProbeSource = 'notification' | 'secure-window';

/**
 * A probe message, the text of a `tattle.probe` log line: `incognito-on pkg=PKG source=SOURCE`.
 * decode/android.ts reads it back (live, and from a recorded bundle).
 */
export function probeMessage(kind: 'incognito-on' | 'incognito-off', pkg: string, source: ProbeSource): string {
	return `${kind} pkg=${pkg} source=${source}`;
}

/** The probe's log messages for a change of state between two polls. */
export function incognitoChanges(before: ReadonlySet<string>, now: readonly string[]): string[] {
	const out: string[] = [];
	const set = new Set(now);
	for (const pkg of set) if (!before.has(pkg)) out.push(probeMessage('incognito-on', pkg, 'notification'));
	for (const pkg of before) if (!set.has(pkg)) out.push(probeMessage('incognito-off', pkg, 'notification'));
	return out;
}

// ---- dumpsys window ---------------------------------------------------------------------------

/**
 * Lines of `dumpsys window` output looked at. A window's entry runs to 30-60 lines and a phone
 * shows a few dozen windows; a full dump with its other sections stays well under this.
 */
const MAX_WINDOW_DUMP_LINES = 100_000;
/** Windows remembered while looking for the focused one: a phone has a few dozen. */
const MAX_WINDOWS = 512;
/** WindowManager.LayoutParams.FLAG_SECURE: no screenshots, no recording, blank in recents. */
const FLAG_SECURE = 0x2000;

/** What `dumpsys window` says of the window in front. */
export type FocusedWindow = {
	/** Package of the focused window: its `package=` attribute, else the part of its title before '/'. */
	pkg?: string;
	/** Its title: `pkg/activity` for an activity's window, else a name (`NotificationShade`, `PopupWindow:1a2b3c4`). */
	title: string;
	/** The focused app (`mFocusedApp`), as `pkg/activity`, when the dump lists it. */
	focusedApp?: string;
	/** FLAG_SECURE on the window (or, for a popup of the focused app, on the app's window); undefined when the dump omits its attributes. */
	secure?: boolean;
};

type WindowEntry = {title: string; pkg?: string; secure?: boolean};

// Android 10+ print these per display (`dumpsys window displays`), older ones at the end of
// `dumpsys window windows`: `mCurrentFocus=Window{5c4591 u0 com.pkg/com.pkg.Main}`.
const FOCUS = /^\s*mCurrentFocus=Window\{([0-9a-f]+) u\d+ ([^{}]+)\}/;
// `mFocusedApp=ActivityRecord{b3a1ec9 u0 com.pkg/.Main t82}`; before Android 10 inside an
// `AppWindowToken{... token=Token{... ActivityRecord{3ad78963 u0 com.pkg/.Main t56}}}`.
const FOCUSED_APP = /^\s*mFocusedApp=.{0,200}?ActivityRecord\{[0-9a-f]+ (?:u\d+ )?([^\s/{}]+)\/([^\s{}]+)/;
const WINDOW = /^\s*Window #\d+ Window\{([0-9a-f]+) u\d+ ([^{}]+)\}:/;
const OWNER = /\bpackage=([\w.]+)/;
// Android 10+: `fl=LAYOUT_IN_SCREEN SECURE ...` on its own line of mAttrs; before: `fl=#81812100`
// inside `mAttrs=WM.LayoutParams{...}`. `pfl=` (private flags) and `extfl=` are other fields.
const FLAGS = /(?:^|[\s{])(?:fl|flags)=(\S*)(.*)$/;
const STARTING = /^(?:Splash Screen|Starting) ([\w.]+)$/;

/** Whether a window's `fl=` value holds FLAG_SECURE: hex (`#81812100`, `0x2000`) or flag names. */
function secureFlag(value: string, rest: string): boolean {
	const hex = /^(?:#|0x)([0-9a-fA-F]{1,8})\b/.exec(value);
	if (hex) return (parseInt(hex[1]!, 16) & FLAG_SECURE) !== 0;
	for (const word of `${value}${rest}`.split(/[\s}]+/)) {
		if (word === 'SECURE') return true;
		if (word !== '' && !/^[A-Z_]+$/.test(word)) break;
	}
	return false;
}

/** Package of a window title: `pkg/activity`, `Splash Screen pkg`; undefined for system windows. */
function titlePkg(title: string): string | undefined {
	const slash = title.indexOf('/');
	if (slash > 0) return title.slice(0, slash);
	return STARTING.exec(title)?.[1];
}

/**
 * The focused window of a `dumpsys window` dump (full, or `displays` and `windows` one after the
 * other), its package and FLAG_SECURE; undefined when the dump names no focused window.
 */
export function parseFocusedWindow(text: string): FocusedWindow | undefined {
	let focus: {hash: string; title: string} | undefined;
	let focusedApp: string | undefined;
	const byHash = new Map<string, WindowEntry>();
	const byTitle = new Map<string, WindowEntry>();
	let current: WindowEntry | undefined;
	let flagsSeen = false;
	for (const line of text.split('\n', MAX_WINDOW_DUMP_LINES)) {
		const w = WINDOW.exec(line);
		if (w) {
			current = byHash.size < MAX_WINDOWS ? {title: w[2]!.trim()} : undefined;
			if (current) {
				byHash.set(w[1]!, current);
				if (!byTitle.has(current.title)) byTitle.set(current.title, current);
			}
			flagsSeen = false;
			continue;
		}
		const f = focus ? undefined : FOCUS.exec(line);
		if (f) {
			focus = {hash: f[1]!, title: f[2]!.trim()};
			continue;
		}
		const app = focusedApp ? undefined : FOCUSED_APP.exec(line);
		if (app) {
			focusedApp = `${app[1]}/${app[2]!.startsWith('.') ? app[1] + app[2] : app[2]}`;
			continue;
		}
		if (!current) continue;
		if (current.pkg === undefined) {
			const owner = OWNER.exec(line);
			if (owner) current.pkg = owner[1]!;
		}
		if (!flagsSeen) {
			const fl = FLAGS.exec(line);
			if (fl) {
				flagsSeen = true;
				current.secure = secureFlag(fl[1]!, fl[2]!);
			}
		}
	}
	if (!focus) return undefined;
	const entry = byHash.get(focus.hash) ?? byTitle.get(focus.title);
	const out: FocusedWindow = {title: focus.title};
	const pkg = entry?.pkg ?? titlePkg(focus.title);
	if (pkg !== undefined) out.pkg = pkg;
	if (focusedApp !== undefined) out.focusedApp = focusedApp;
	if (entry?.secure !== undefined) out.secure = entry.secure;
	// A popup or dialog of the app in front (a menu over an incognito tab) has its own flags: the
	// app's own window says whether the screen is secure.
	if (out.secure !== true && !focus.title.includes('/') && focusedApp !== undefined && pkg === titlePkg(focusedApp)) {
		const appWindow = byTitle.get(focusedApp);
		if (appWindow?.secure === true) out.secure = true;
	}
	return out;
}
