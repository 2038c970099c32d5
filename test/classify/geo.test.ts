import {describe, it, expect} from 'vitest';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {createIpInfo, ipv4Scope, MAX_MEMO_IPS} from '../../source/classify/geo.js';
import {loadGeoData} from '../../source/sources/geo-data.js';
import type {CountryDb} from '../../source/lib/asn-ranges.js';
import {parseIpv4} from '../../source/lib/ip-address.js';

const asnDir = fileURLToPath(new URL('../fixtures/classify/asn/', import.meta.url));

/** A country database that answers from a table and counts its calls. */
function fakeCountry(table: Record<string, string>): CountryDb & {calls: number} {
	const db = {
		calls: 0,
		get(ip: string) {
			db.calls++;
			const code = table[ip];
			return code === undefined ? null : {country_code: code};
		},
	};
	return db;
}

describe('createIpInfo without data', () => {
	const info = createIpInfo();
	it.each([
		['10.1.2.3', 'private'],
		['172.16.0.1', 'private'],
		['172.31.255.255', 'private'],
		['172.32.0.1', 'public'],
		['192.168.1.1', 'private'],
		['100.64.0.1', 'private'],
		['100.128.0.1', 'public'],
		['127.0.0.1', 'loopback'],
		['169.254.10.10', 'link-local'],
		['224.0.0.251', 'multicast'],
		['239.255.255.250', 'multicast'],
		['255.255.255.255', 'reserved'],
		['0.0.0.0', 'reserved'],
		['192.0.2.7', 'reserved'],
		['8.8.8.8', 'public'],
		['::1', 'loopback'],
		['::', 'reserved'],
		['fd12:3456::1', 'private'],
		['fc00::1', 'private'],
		['fe80::1%wlan0', 'link-local'],
		['ff02::fb', 'multicast'],
		['2001:db8::1', 'reserved'],
		['2001:4860:4860::8888', 'public'],
		['::ffff:192.168.0.1', 'private'],
		['::ffff:8.8.8.8', 'public'],
		['[2001:4860:4860::8888]', 'public'],
		['not an ip', 'reserved'],
		['999.1.1.1', 'reserved'],
	] as const)('%s is %s', (ip, scope) => {
		const result = info(ip);
		expect(result.scope).toBe(scope);
		expect(result.country).toBeUndefined();
		expect(result.asn).toBeUndefined();
	});

	it('refuses absurdly long text without storing it', () => {
		expect(info('1'.repeat(10_000)).scope).toBe('reserved');
	});
});

describe('createIpInfo over fixture data', async () => {
	const data = await loadGeoData({asnDir, cacheDir: null, countryFile: null});
	const country = fakeCountry({'8.8.8.8': 'US', '161.117.97.14': 'SG', '2001:4860:4860::8888': 'CA', '10.0.0.1': 'ZZ'});
	const info = createIpInfo({...data, country});

	it('names country, AS and organisation of public IPv4 addresses', () => {
		expect(info('8.8.8.8')).toEqual({scope: 'public', country: 'US', asn: 15169, asOrg: 'Google LLC'});
		expect(info('161.117.97.14')).toEqual({scope: 'public', country: 'SG', asn: 45102, asOrg: 'Alibaba (US) Technology Co., Ltd.'});
		// Range edges are inclusive
		expect(info('1.0.0.0').asn).toBe(13335);
		expect(info('1.0.0.255').asn).toBe(13335);
		expect(info('1.0.1.0').asn).toBeUndefined();
		// Inside the merged Gtelecom rows
		expect(info('1.0.8.200').asn).toBe(38803);
	});

	it('names public IPv6 addresses and treats IPv4-mapped ones as IPv4', () => {
		expect(info('2001:4860:4860::8888')).toEqual({scope: 'public', country: 'CA', asn: 15169, asOrg: 'Google LLC'});
		expect(info('2a00:1450:4001:80b::200e').asn).toBe(15169);
		expect(info('2001:4860:ffff:ffff:ffff:ffff:ffff:ffff').asn).toBe(15169);
		expect(info('2001:4861::1').asn).toBeUndefined();
		expect(info('::ffff:8.8.8.8').asn).toBe(15169);
	});

	it('does not look up private addresses', () => {
		const before = country.calls;
		expect(info('10.0.0.1')).toEqual({scope: 'private'});
		expect(country.calls).toBe(before);
	});

	it('memoises per IP', () => {
		const lookup = createIpInfo({...data, country});
		const before = country.calls;
		const a = lookup('8.8.8.8');
		const b = lookup('8.8.8.8');
		expect(a).toBe(b);
		expect(country.calls).toBe(before + 1);
	});

	it('keeps answering correctly past the memo cap', () => {
		const lookup = createIpInfo({...data, country});
		for (let i = 0; i <= MAX_MEMO_IPS + 10; i++) lookup(`8.8.${(i >>> 8) & 255}.${i & 255}`);
		expect(lookup('161.117.97.14').asn).toBe(45102);
	});

	it('survives a country database that throws', () => {
		const lookup = createIpInfo({
			...data,
			country: {
				get() {
					throw new Error('bad');
				},
			},
		});
		expect(lookup('8.8.8.8')).toEqual({scope: 'public', asn: 15169, asOrg: 'Google LLC'});
	});
});

describe('ipv4Scope', () => {
	it('labels the CGNAT block edges', () => {
		expect(ipv4Scope(parseIpv4('100.63.255.255')!)).toBe('public');
		expect(ipv4Scope(parseIpv4('100.127.255.255')!)).toBe('private');
	});
});

describe('createIpInfo over the bundled databases', async () => {
	// A fixed folder: later runs reuse the index (test/sources/geo-data.test.ts covers building it)
	const data = await loadGeoData({cacheDir: join(tmpdir(), 'tattle-geo-test-cache')});
	const info = createIpInfo(data);
	it('places the MiPush fallback 161.117.97.14 in Singapore, Alibaba AS45102', () => {
		expect(info('161.117.97.14')).toEqual({scope: 'public', country: 'SG', asn: 45102, asOrg: 'Alibaba (US) Technology Co., Ltd.'});
	});
	it('places 8.8.8.8 in the US, Google AS15169', () => {
		expect(info('8.8.8.8')).toEqual({scope: 'public', country: 'US', asn: 15169, asOrg: 'Google LLC'});
	});
	it('names Google IPv6 DNS (DB-IP places it in CA)', () => {
		expect(info('2001:4860:4860::8888')).toMatchObject({scope: 'public', asn: 15169, asOrg: 'Google LLC', country: 'CA'});
	});
	it('names 1.1.1.1 as Cloudflare', () => {
		expect(info('1.1.1.1')).toMatchObject({asn: 13335});
	});
});
