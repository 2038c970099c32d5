import {describe, it, expect} from 'vitest';
import {findIdentifiers, luhnValid, normaliseKey} from '../../source/classify/identifiers.js';

describe('luhnValid', () => {
	it('accepts a valid IMEI and rejects a one-digit change', () => {
		expect(luhnValid('490154203237518')).toBe(true);
		expect(luhnValid('490154203237519')).toBe(false);
		expect(luhnValid('49015420323751a')).toBe(false);
	});
});

describe('normaliseKey', () => {
	it('keeps the last path segment, lowercase alphanumerics', () => {
		expect(normaliseKey('[0].properties.$device_id')).toBe('deviceid');
		expect(normaliseKey('androidId')).toBe('androidid');
		expect(normaliseKey(undefined)).toBe('');
	});
});

describe('findIdentifiers', () => {
	it('finds an Android ID only under a key that names it', () => {
		for (const key of ['android_id', '$device_id', 'androidId', 'device_id', 'props.android-id']) {
			expect(findIdentifiers('0123456789abcdef', key)).toEqual([{kind: 'android-id', value: '0123456789abcdef', key}]);
		}
		expect(findIdentifiers('0123456789abcdef', 'session')).toEqual([]);
		expect(findIdentifiers('0123456789abcdef')).toEqual([]);
		expect(findIdentifiers('0123456789abcde', 'android_id')).toEqual([]);
		expect(findIdentifiers('0000000000000000', 'android_id')).toEqual([]);
	});

	it('finds a Luhn-valid IMEI anywhere, not a Luhn-invalid one or a longer number', () => {
		expect(findIdentifiers('imei:490154203237518;')).toEqual([{kind: 'imei', value: '490154203237518'}]);
		expect(findIdentifiers('490154203237519')).toEqual([]);
		expect(findIdentifiers('2882303761500000000')).toEqual([]);
		expect(findIdentifiers('000000000000000')).toEqual([]);
		expect(findIdentifiers('490154203237518', 'imeis')).toEqual([{kind: 'imei', value: '490154203237518', key: 'imeis'}]);
	});

	it('finds MAC addresses but not the Android placeholder, broadcast or mixed separators', () => {
		expect(findIdentifiers('bssid=AC:DE:48:00:11:22')).toEqual([{kind: 'mac', value: 'ac:de:48:00:11:22'}]);
		expect(findIdentifiers('ac-de-48-00-11-22', 'wifi_mac')).toEqual([{kind: 'mac', value: 'ac:de:48:00:11:22', key: 'wifi_mac'}]);
		expect(findIdentifiers('02:00:00:00:00:00')).toEqual([]);
		expect(findIdentifiers('ff:ff:ff:ff:ff:ff')).toEqual([]);
		expect(findIdentifiers('ac:de-48:00:11:22')).toEqual([]);
		expect(findIdentifiers('ac:de:48:00:11:22:33')).toEqual([]);
	});

	it('finds an advertising ID only under an ad-id key, and not the opted-out zero UUID', () => {
		const gaid = '38400000-8CF0-11BD-B23E-10B96E40000D';
		for (const key of ['gaid', 'adid', 'advertising_id', 'idfa']) {
			expect(findIdentifiers(gaid, key)).toEqual([{kind: 'advertising-id', value: gaid.toLowerCase(), key}]);
		}
		expect(findIdentifiers(gaid, 'distinct_id')).toEqual([]);
		expect(findIdentifiers('00000000-0000-0000-0000-000000000000', 'gaid')).toEqual([]);
	});
});
