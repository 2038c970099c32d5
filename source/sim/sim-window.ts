/**
 * The simulator's `dumpsys window`: the focused window, its package and its flags, in the shapes
 * real phones print. Shapes follow real dumps, trimmed to a few windows and their telling lines:
 * Android 11 and 12+ as in appium-android-driver's `dumpsys window windows` fixtures (rootTaskId,
 * multi-line mAttrs with flag names, USE_BLAST and mMaxBounds from 12 on); Android 10 as a
 * published Android 10 dump of a FLAG_SECURE login window (stackId, `fl=LAYOUT_IN_SCREEN SECURE
 * LAYOUT_INSET_DECOR ...`); Android 5-9 as published dumps (`mAttrs=WM.LayoutParams{... fl=#81810100
 * ...}`, the focus at the end of the windows section, mFocusedApp inside an AppWindowToken).
 * From Android 10 the focus is printed per display (`dumpsys window displays`), not with the windows.
 * Pure: state in, text out.
 */

/** The window in front, as a test sets it. */
export type SimWindow = {
	pkg: string;
	/** Activity class, full (`com.pkg.Main`) or short (`.Main`). */
	activity: string;
	/** FLAG_SECURE on the activity's window (an incognito tab, a banking app). */
	secure: boolean;
	/** A popup of the app has the focus (a menu over the page): its own window carries no SECURE. */
	popup?: boolean;
};

/** Output shapes by Android version. */
export type WindowDumpShape = 'legacy' | 'android-10' | 'android-11' | 'android-12';

/** The launcher, in front when a test has set no window. */
const SIM_LAUNCHER: SimWindow = {pkg: 'com.android.launcher3', activity: 'com.android.launcher3.uioverrides.QuickstepLauncher', secure: false};

/** The shape a phone of this SDK level prints. */
export function windowShapeFor(sdk: string | undefined): WindowDumpShape {
	const n = Number(sdk);
	if (!Number.isFinite(n) || n >= 31) return 'android-12';
	if (n >= 30) return 'android-11';
	if (n >= 29) return 'android-10';
	return 'legacy';
}

/** A stable 7-hex-digit identity (System.identityHashCode in real dumps) for a window title. */
function hashOf(text: string): string {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
	return (h & 0xfffffff).toString(16).padStart(7, '0');
}

const fullActivity = (w: SimWindow): string => (w.activity.startsWith('.') ? w.pkg + w.activity : w.activity);
const shortActivity = (w: SimWindow): string => {
	const full = fullActivity(w);
	return full.startsWith(`${w.pkg}.`) ? full.slice(w.pkg.length) : full;
};

/** `ActivityRecord{hash u0 pkg/.Short tN}`, the same wherever the activity is named. */
function activityRecord(w: SimWindow): string {
	const title = `${w.pkg}/${fullActivity(w)}`;
	return `ActivityRecord{${hashOf(`record ${title}`)} u0 ${w.pkg}/${shortActivity(w)} t${10 + (parseInt(hashOf(`task ${title}`), 16) % 90)}}`;
}

type DumpWindow = {title: string; pkg: string; uid: number; type: string; flags: string[]; hex: number; app?: SimWindow};

/** Flags a base application window usually has, by name and as the legacy hex. */
const APP_FLAGS = ['LAYOUT_IN_SCREEN', 'LAYOUT_INSET_DECOR', 'SPLIT_TOUCH', 'HARDWARE_ACCELERATED', 'DRAWS_SYSTEM_BAR_BACKGROUNDS'];
const APP_HEX = 0x81810100;
/** Flag names print in bit order, and SECURE (0x2000) comes right after LAYOUT_IN_SCREEN (0x100) here. */
const SECURE_HEX = 0x2000;

function windowsOf(focus: SimWindow): DumpWindow[] {
	const app = (w: SimWindow, uid: number): DumpWindow => ({
		title: `${w.pkg}/${fullActivity(w)}`,
		pkg: w.pkg,
		uid,
		type: 'BASE_APPLICATION',
		flags: w.secure ? ['LAYOUT_IN_SCREEN', 'SECURE', ...APP_FLAGS.slice(1)] : APP_FLAGS,
		// Unsigned, as Integer.toHexString prints it.
		hex: (w.secure ? APP_HEX | SECURE_HEX : APP_HEX) >>> 0,
		app: w,
	});
	const list: DumpWindow[] = [
		{title: 'NavigationBar0', pkg: 'com.android.systemui', uid: 10095, type: 'NAVIGATION_BAR', flags: ['NOT_FOCUSABLE', 'NOT_TOUCH_MODAL', 'TOUCHABLE_WHEN_WAKING', 'WATCH_OUTSIDE_TOUCH', 'SPLIT_TOUCH', 'HARDWARE_ACCELERATED', 'FLAG_SLIPPERY'], hex: 0x20840128},
		{title: 'StatusBar', pkg: 'com.android.systemui', uid: 10095, type: 'STATUS_BAR', flags: ['NOT_FOCUSABLE', 'SPLIT_TOUCH', 'HARDWARE_ACCELERATED', 'DRAWS_SYSTEM_BAR_BACKGROUNDS'], hex: 0x81800008},
	];
	if (focus.popup) list.push({title: `PopupWindow:${hashOf(`popup ${focus.pkg}`)}`, pkg: focus.pkg, uid: 10085, type: 'APPLICATION_SUB_PANEL', flags: ['ALT_FOCUSABLE_IM', 'SPLIT_TOUCH', 'HARDWARE_ACCELERATED'], hex: 0x01820000});
	list.push(app(focus, 10085));
	if (focus.pkg !== SIM_LAUNCHER.pkg) list.push(app(SIM_LAUNCHER, 10089));
	list.push({title: 'com.android.systemui.ImageWallpaper', pkg: 'com.android.systemui', uid: 10095, type: 'WALLPAPER', flags: ['NOT_FOCUSABLE', 'NOT_TOUCHABLE', 'LAYOUT_IN_SCREEN', 'LAYOUT_NO_LIMITS', 'SCALED', 'LAYOUT_INSET_DECOR'], hex: 0x14318});
	return list;
}

/** The focused window's title and identity. */
function focusOf(focus: SimWindow): {hash: string; title: string} {
	const title = focus.popup ? `PopupWindow:${hashOf(`popup ${focus.pkg}`)}` : `${focus.pkg}/${fullActivity(focus)}`;
	return {hash: hashOf(title), title};
}

function windowEntry(w: DumpWindow, i: number, shape: WindowDumpShape): string {
	const id = hashOf(w.title);
	const record = w.app ? activityRecord(w.app) : undefined;
	if (shape === 'legacy') {
		const token = record ? `AppWindowToken{${hashOf(`token ${w.title}`)} token=Token{${hashOf(`t ${w.title}`)} ${record}}}` : `WindowToken{${hashOf(`token ${w.title}`)} null}`;
		const ty = w.type === 'BASE_APPLICATION' ? 1 : w.type === 'STATUS_BAR' ? 2000 : w.type === 'NAVIGATION_BAR' ? 2019 : w.type === 'WALLPAPER' ? 2013 : 1000;
		return [
			`  Window #${i} Window{${id} u0 ${w.title}}:`,
			`    mDisplayId=0 stackId=${record ? 1 + i : 0} mSession=Session{${hashOf(`s ${w.pkg}`)} ${3000 + i}:u0a${w.uid - 10000}} mClient=android.os.BinderProxy@${hashOf(`c ${w.title}`)}`,
			`    mOwnerUid=${w.uid} mShowToOwnerOnly=true package=${w.pkg} appop=NONE`,
			`    mAttrs=WM.LayoutParams{(0,0)(fillxfill) sim=#120 ty=${ty} fl=#${w.hex.toString(16)} wanim=0x1030466 vsysui=0x600 needsMenuKey=2}`,
			`    Requested w=1080 h=2160 mLayoutSeq=311`,
			`    mBaseLayer=21000 mSubLayer=0 mAnimLayer=21015+0=21015 mLastLayer=21015`,
			`    mToken=${token}`,
			`    mViewVisibility=0x0 mHaveFrame=true mObscured=false`,
			`    mHasSurface=true mShownPosition=[0,0] isReadyForDisplay()=true hasSavedSurface()=false mWindowRemovalAllowed=false`,
		].join('\n');
	}
	const task = shape === 'android-10' ? `stackId=${record ? 1 + i : 0}` : `rootTaskId=${record ? 11 + i : 1}`;
	const showFor = shape === 'android-10' ? 'mShowToOwnerOnly=true' : `showForAllUsers=${w.pkg === 'com.android.systemui'}`;
	const blast = shape === 'android-12' ? ' USE_BLAST' : '';
	const lines = [
		`  Window #${i} Window{${id} u0 ${w.title}}:`,
		`    mDisplayId=0 ${task} mSession=Session{${hashOf(`s ${w.pkg}`)} ${3000 + i}:u0a${w.uid - 10000}} mClient=android.os.BinderProxy@${hashOf(`c ${w.title}`)}`,
		`    mOwnerUid=${w.uid} ${showFor} package=${w.pkg} appop=NONE`,
		`    mAttrs={(0,0)(fillxfill) sim={adjust=resize forwardNavigation} layoutInDisplayCutoutMode=always ty=${w.type} fmt=TRANSLUCENT wanim=0x10302f2`,
		`      fl=${w.flags.join(' ')}`,
		`      pfl=FORCE_DRAW_STATUS_BAR_BACKGROUND${blast} FIT_INSETS_CONTROLLED`,
		`      vsysui=LAYOUT_STABLE LAYOUT_FULLSCREEN${shape === 'android-12' ? '\n      bhv=DEFAULT}' : '}'}`,
		`    Requested w=1080 h=2280 mLayoutSeq=108`,
		`    mBaseLayer=21000 mSubLayer=0    mToken=${record ?? `WindowToken{${hashOf(`token ${w.title}`)} android.os.BinderProxy@${hashOf(`b ${w.title}`)}}`}`,
	];
	if (record) lines.push(`    mActivityRecord=${record}`, `    mAppDied=false    drawnStateEvaluated=true    mightAffectAllDrawn=true`);
	lines.push(
		`    mViewVisibility=0x0 mHaveFrame=true mObscured=false`,
		`    mHasSurface=true isReadyForDisplay()=true mWindowRemovalAllowed=false`,
		`    WindowStateAnimator{${hashOf(`a ${w.title}`)} ${w.title}}:`,
		`      mDrawState=HAS_DRAWN       mLastHidden=false`,
		`    isOnScreen=true`,
		`    isVisible=true`,
	);
	return lines.join('\n');
}

function focusLines(focus: SimWindow, shape: WindowDumpShape, indent: string): string {
	const f = focusOf(focus);
	const record = activityRecord(focus);
	const app = shape === 'legacy' ? `AppWindowToken{${hashOf(`token ${focus.pkg}/${fullActivity(focus)}`)} token=Token{${hashOf(`t ${focus.pkg}/${fullActivity(focus)}`)} ${record}}}` : record;
	return `${indent}mCurrentFocus=Window{${f.hash} u0 ${f.title}}\n${indent}mFocusedApp=${app}\n`;
}

function windowsSection(focus: SimWindow, shape: WindowDumpShape): string {
	const entries = windowsOf(focus).map((w, i) => windowEntry(w, i, shape));
	let tail = `\n  mGlobalConfiguration={1.0 310mcc260mnc [en_US] ldltr sw392dp w392dp h750dp 440dpi nrml long port finger qwerty/v/v dpad/v}\n  mHasPermanentDpad=false\n`;
	// Before Android 10 the focus closes the windows section; from 10 on it is per display.
	if (shape === 'legacy') tail += focusLines(focus, shape, '  ');
	else tail += `  mTopFocusedDisplayId=0\n`;
	tail += `  mInTouchMode=true\n  mSystemBooted=true mDisplayEnabled=true\n`;
	return `WINDOW MANAGER WINDOWS (dumpsys window windows)\n${entries.join('\n')}\n${tail}`;
}

function displaysSection(focus: SimWindow, shape: WindowDumpShape): string {
	let out = `WINDOW MANAGER DISPLAY CONTENTS (dumpsys window displays)\n  Display: mDisplayId=0${shape === 'legacy' ? '' : ' rootTasks=2'}\n    init=1080x2280 440dpi cur=1080x2280 app=1080x2148 rng=1080x1014-2148x2082\n    deferred=false mLayoutNeeded=false mTouchExcludeRegion=SkRegion((0,0,1080,2280))\n`;
	if (shape !== 'legacy') out += `\n${focusLines(focus, shape, '    ')}`;
	return out;
}

/**
 * `dumpsys window [section]` for the window in front: `windows`, `displays`, or the full dump
 * (both, with the policy header) when no section is named; other sections print their header only.
 */
export function renderDumpsysWindow(focus: SimWindow | undefined, shape: WindowDumpShape, section?: string): string {
	const w = focus ?? SIM_LAUNCHER;
	switch (section) {
		case undefined:
		case '-a':
			return `WINDOW MANAGER POLICY STATE (dumpsys window policy)\n    mSafeMode=false mSystemReady=true mSystemBooted=true\n\n${displaysSection(w, shape)}\n${windowsSection(w, shape)}`;
		case 'windows':
		case 'w':
			return windowsSection(w, shape);
		case 'displays':
		case 'd':
			return displaysSection(w, shape);
		default:
			return `WINDOW MANAGER ${section.toUpperCase()}\n`;
	}
}
