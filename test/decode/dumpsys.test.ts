import {describe, expect, it} from 'vitest';
import {incognitoChanges, incognitoPackages} from '../../source/decode/dumpsys.js';
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
