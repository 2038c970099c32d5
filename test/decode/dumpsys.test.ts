import {describe, expect, it} from 'vitest';
import {incognitoChanges, incognitoPackages, parseFocusedWindow} from '../../source/decode/dumpsys.js';
import {parseLogcatLine} from '../../source/decode/logcat.js';
import {androidFact} from '../../source/decode/android.js';

// Shaped like `dumpsys notification --noredact` on Android 12-14 (NotificationRecord.toString).
const CHROME_INCOGNITO = `Current Notification Manager state:
  Notification List:
    NotificationRecord(0x0c1a2b3c: pkg=com.android.chrome user=UserHandle{0} id=100 tag=incognito_tabs_open importance=2 key=0|com.android.chrome|100|incognito_tabs_open|10123: Notification(channel=incognito pri=0 contentView=null vibrate=null sound=null defaults=0x0 flags=0x2 color=0x00000000 vis=SECRET))
      uid=10123 userId=0
    NotificationRecord(0x0d2b3c4d: pkg=com.whatsapp user=UserHandle{0} id=1 tag=null importance=4 key=0|com.whatsapp|1|null|10140: Notification(channel=individual_chat_defaults_3 pri=1 vis=PRIVATE))
    NotificationRecord(0x0e3c4d5e: pkg=org.mozilla.firefox user=UserHandle{0} id=7 tag=null importance=2 key=0|org.mozilla.firefox|7|null|10150: Notification(channel=privateTabs pri=0 vis=SECRET))
`;

describe('dumpsys notification', () => {
	it('finds the browsers that show a private-tabs notification', () => {
		expect(incognitoPackages(CHROME_INCOGNITO)).toEqual(['com.android.chrome', 'org.mozilla.firefox']);
		expect(incognitoPackages(CHROME_INCOGNITO.replace(/incognito/g, 'downloads').replace('privateTabs', 'media'))).toEqual([]);
		expect(incognitoPackages('')).toEqual([]);
	});

	it('turns state changes into probe lines the logcat parser and fact rules read', () => {
		const on = incognitoChanges(new Set(), ['com.android.chrome']);
		expect(on).toEqual(['incognito-on pkg=com.android.chrome source=notification']);
		expect(incognitoChanges(new Set(['com.android.chrome']), ['com.android.chrome'])).toEqual([]);
		const off = incognitoChanges(new Set(['com.android.chrome']), []);
		expect(off).toEqual(['incognito-off pkg=com.android.chrome source=notification']);
		// The exact shape LiveSession writes into the logcat stream.
		const line = `${(1795461662.747).toFixed(3).padStart(24)}     0     0     0 I tattle.probe: ${on[0]}`;
		const rec = parseLogcatLine(line, 5);
		expect(rec.ts).toBeCloseTo(1795461662.747, 3);
		expect(rec.tag).toBe('tattle.probe');
		expect(androidFact(rec)).toMatchObject({kind: 'incognito-on', pkg: 'com.android.chrome'});
	});
});

// ---- dumpsys window ---------------------------------------------------------------------------

// Verbatim, a published Android 10 (MIUI) `dumpsys window` entry of a FLAG_SECURE login window
// (Aliyun Drive); the focus line is added in the per-display shape Android 10+ print.
const ANDROID_10_SECURE = `WINDOW MANAGER DISPLAY CONTENTS (dumpsys window displays)
  Display: mDisplayId=0
    mCurrentFocus=Window{8db6bd6 u0 com.alicloud.databox/com.ali.user.mobile.login.ui.UserLoginActivity}
    mFocusedApp=ActivityRecord{4f3e2d1 u0 com.alicloud.databox/com.ali.user.mobile.login.ui.UserLoginActivity t60}

WINDOW MANAGER WINDOWS (dumpsys window windows)
  Window #11 Window{8db6bd6 u0 com.alicloud.databox/com.ali.user.mobile.login.ui.UserLoginActivity}:
    mDisplayId=0 stackId=60 mSession=Session{32b0dd3 32590:u0a10131} mClient=android.os.BinderProxy@8aca3f1
    mOwnerUid=10131 mShowToOwnerOnly=true package=com.alicloud.databox appop=NONE
    mAttrs={(0,0)(fillxfill) sim={adjust=resize forwardNavigation} ty=BASE_APPLICATION fmt=TRANSLUCENT wanim=0x10302fe surfaceInsets=Rect(15, 15 - 15, 15) (manual) (!preservePreviousSurfaceInsets)
      fl=LAYOUT_IN_SCREEN SECURE LAYOUT_INSET_DECOR SPLIT_TOUCH HARDWARE_ACCELERATED TRANSLUCENT_STATUS DRAWS_SYSTEM_BAR_BACKGROUNDS
      pfl=FORCE_DRAW_STATUS_BAR_BACKGROUND
      vsysui=LAYOUT_STABLE LAYOUT_FULLSCREEN LIGHT_STATUS_BAR}
    Requested w=700 h=1080 mLayoutSeq=7518
 canReceiveKeys()=true    mHasSurface=true isReadyForDisplay()=true mWindowRemovalAllowed=false
    WindowStateAnimator{be561d5 com.alicloud.databox/com.ali.user.mobile.login.ui.UserLoginActivity}:
      Surface: shown=true layer=0 alpha=1.0 rect=(0.0,0.0) 730 x 1110 transform=(1.0, 0.0, 1.0, 0.0)
    mForceSeamlesslyRotate=false seamlesslyRotate: pending=null finishedFrameNumber=0
    isOnScreen=true
    isVisible=true
`;

// Verbatim (lines of two windows), appium-android-driver's Android 11 `dumpsys window windows`
// fixture: the status bar and the launcher, neither secure. Android 11 prints no focus there;
// the focus lines come from `dumpsys window displays`, in the shape a published Android 11 dump shows.
const ANDROID_11_LAUNCHER = `WINDOW MANAGER DISPLAY CONTENTS (dumpsys window displays)
  Display: mDisplayId=0 (organized)
    init=1080x1920 420dpi cur=1080x1920 app=1080x1794 rng=1080x1017-1794x1731
  mCurrentFocus=Window{7bfc52e u0 com.google.android.apps.nexuslauncher/com.google.android.apps.nexuslauncher.NexusLauncherActivity}
  mFocusedApp=ActivityRecord{1086e23 u0 com.google.android.apps.nexuslauncher/.NexusLauncherActivity t13}
WINDOW MANAGER WINDOWS (dumpsys window windows)
  Window #3 Window{7547027 u0 StatusBar}:
    mDisplayId=0 rootTaskId=1 mSession=Session{6fdbba 684:u0a10144} mClient=android.os.BinderProxy@c7f5d41
    mOwnerUid=10144 showForAllUsers=true package=com.android.systemui appop=NONE
    mAttrs={(0,0)(fillx63) gr=TOP CENTER_VERTICAL sim={adjust=pan} layoutInDisplayCutoutMode=always ty=STATUS_BAR fmt=TRANSLUCENT
      fl=NOT_FOCUSABLE SPLIT_TOUCH HARDWARE_ACCELERATED DRAWS_SYSTEM_BAR_BACKGROUNDS
      pfl=COLOR_SPACE_AGNOSTIC FIT_INSETS_CONTROLLED}
    Requested w=1080 h=63 mLayoutSeq=67
  Window #8 Window{7bfc52e u0 com.google.android.apps.nexuslauncher/com.google.android.apps.nexuslauncher.NexusLauncherActivity}:
    mDisplayId=0 rootTaskId=1 mSession=Session{16ebce2 985:u0a10137} mClient=android.os.BinderProxy@75faba9
    mOwnerUid=10137 showForAllUsers=false package=com.google.android.apps.nexuslauncher appop=NONE
    mAttrs={(0,0)(fillxfill) sim={adjust=pan forwardNavigation} layoutInDisplayCutoutMode=always ty=BASE_APPLICATION fmt=TRANSPARENT wanim=0x10302f2
      fl=LAYOUT_IN_SCREEN LAYOUT_INSET_DECOR SHOW_WALLPAPER SPLIT_TOUCH HARDWARE_ACCELERATED DRAWS_SYSTEM_BAR_BACKGROUNDS
      pfl=FORCE_DRAW_STATUS_BAR_BACKGROUND FIT_INSETS_CONTROLLED
      vsysui=LAYOUT_STABLE LAYOUT_HIDE_NAVIGATION LAYOUT_FULLSCREEN
      fitSides=}
    Requested w=1080 h=1920 mLayoutSeq=67
    mBaseLayer=21000 mSubLayer=0    mToken=ActivityRecord{1086e23 u0 com.google.android.apps.nexuslauncher/.NexusLauncherActivity t13}
  mTopFocusedDisplayId=0
`;

// Verbatim, a published Android 5-6 window entry (hex flags on one mAttrs line); the two focus
// lines close the windows section as before Android 10, in the shape of a published Android 5 dump.
const LEGACY = (flags: string) => `WINDOW MANAGER WINDOWS (dumpsys window windows)
  Window #2 Window{14eaa6e5 u0 com.vourkosa.overlayapp/com.vourkosa.overlayapp.MainActivity}:
    mDisplayId=0 mSession=Session{27d0ccae 6335:u0a10090} mClient=android.os.BinderProxy@25bcb5dc
    mOwnerUid=10090 mShowToOwnerOnly=true package=com.vourkosa.overlayapp appop=NONE
    mAttrs=WM.LayoutParams{(0,0)(fillxfill) sim=#120 ty=1 fl=#${flags} wanim=0x1030466 vsysui=0x600 surfaceInsets=Rect(0, 0 - 0, 0) needsMenuKey=2}
    Requested w=1080 h=1776 mLayoutSeq=139
    mBaseLayer=21000 mSubLayer=0 mAnimLayer=21010+0=21010 mLastLayer=21010
    mToken=AppWindowToken{2a8c4f1 token=Token{15ff9498 ActivityRecord{398cce7b u0 com.vourkosa.overlayapp/.MainActivity t612}}}

  mCurConfiguration={1.0 ?mcc?mnc en_US ?layoutDir sw320dp w320dp h544dp 240dpi nrml long port finger -keyb/v/h -nav/h s.5}
  mHasPermanentDpad=false
  mCurrentFocus=Window{14eaa6e5 u0 com.vourkosa.overlayapp/com.vourkosa.overlayapp.MainActivity}
  mFocusedApp=AppWindowToken{2a8c4f1 token=Token{15ff9498 ActivityRecord{398cce7b u0 com.vourkosa.overlayapp/.MainActivity t612}}}
`;

describe('dumpsys window: the focused window', () => {
	it('reads Android 10 named flags: a secure window in front', () => {
		expect(parseFocusedWindow(ANDROID_10_SECURE)).toEqual({
			pkg: 'com.alicloud.databox',
			title: 'com.alicloud.databox/com.ali.user.mobile.login.ui.UserLoginActivity',
			focusedApp: 'com.alicloud.databox/com.ali.user.mobile.login.ui.UserLoginActivity',
			secure: true,
		});
	});

	it('reads Android 11: the focus from the display, the flags from the window list', () => {
		expect(parseFocusedWindow(ANDROID_11_LAUNCHER)).toEqual({
			pkg: 'com.google.android.apps.nexuslauncher',
			title: 'com.google.android.apps.nexuslauncher/com.google.android.apps.nexuslauncher.NexusLauncherActivity',
			focusedApp: 'com.google.android.apps.nexuslauncher/com.google.android.apps.nexuslauncher.NexusLauncherActivity',
			secure: false,
		});
	});

	it('reads Android 5-9 hex flags (FLAG_SECURE is 0x2000) and the focus at the end of the window list', () => {
		expect(parseFocusedWindow(LEGACY('81810100'))).toMatchObject({pkg: 'com.vourkosa.overlayapp', secure: false, focusedApp: 'com.vourkosa.overlayapp/com.vourkosa.overlayapp.MainActivity'});
		expect(parseFocusedWindow(LEGACY('81812100'))).toMatchObject({pkg: 'com.vourkosa.overlayapp', secure: true});
	});

	it('says nothing of flags it was not shown, and nothing without a focused window', () => {
		const displaysOnly = ANDROID_10_SECURE.slice(0, ANDROID_10_SECURE.indexOf('WINDOW MANAGER WINDOWS'));
		expect(parseFocusedWindow(displaysOnly)).toEqual({
			pkg: 'com.alicloud.databox',
			title: 'com.alicloud.databox/com.ali.user.mobile.login.ui.UserLoginActivity',
			focusedApp: 'com.alicloud.databox/com.ali.user.mobile.login.ui.UserLoginActivity',
		});
		expect(parseFocusedWindow('  mCurrentFocus=null\n  mFocusedApp=null\n')).toBeUndefined();
		expect(parseFocusedWindow('')).toBeUndefined();
		// The shade pulled down over an app: systemui's window has the focus, not the app.
		const shade = ANDROID_11_LAUNCHER.replace(/mCurrentFocus=Window\{[^}]*\}/, 'mCurrentFocus=Window{e7e5d02 u0 NotificationShade}');
		expect(parseFocusedWindow(shade)).toMatchObject({title: 'NotificationShade', focusedApp: 'com.google.android.apps.nexuslauncher/com.google.android.apps.nexuslauncher.NexusLauncherActivity'});
		expect(parseFocusedWindow(shade)?.pkg).toBeUndefined();
	});

	it('stays linear on a hostile dump', () => {
		const junk = `${'  Window #1 Window{1 u0 a/b}:\n    fl='.repeat(20_000)}${' fl=#'.repeat(10_000)}\n  mCurrentFocus=Window{1 u0 a/b}\n`;
		const t = performance.now();
		expect(parseFocusedWindow(junk)).toMatchObject({pkg: 'a'});
		expect(performance.now() - t).toBeLessThan(1000);
	});
});
