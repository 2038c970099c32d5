import {describe, it, expect} from 'vitest';
import {canonicalIpv6, normalizeHost, registrableDomain} from '../../source/classify/domain.js';

describe('registrableDomain', () => {
	it.each([
		['a.b.example.co.uk', 'example.co.uk'],
		['WWW.Example.COM.', 'example.com'],
		['example.com', 'example.com'],
		['sa.api.intl.miui.com', 'miui.com'],
		// ICANN suffixes only: cloud customer names group under the registrant
		['d1234.cloudfront.net', 'cloudfront.net'],
		['firebaselogging-pa.googleapis.com', 'googleapis.com'],
		['x.1.0.10.in-addr.arpa', '10.in-addr.arpa'],
		['8.8.8.8', '8.8.8.8'],
		['2001:DB8::0:1', '2001:db8::1'],
		['localhost', 'localhost'],
		['printer.lan', 'printer.lan'],
		['', ''],
	])('%s -> %s', (host, domain) => {
		expect(registrableDomain(host)).toBe(domain);
	});
});

describe('normalizeHost', () => {
	it('lower-cases and strips a trailing dot, a port and brackets', () => {
		expect(normalizeHost(' Example.COM. ')).toBe('example.com');
		expect(normalizeHost('example.com:8443')).toBe('example.com');
		expect(normalizeHost('[2001:db8::1]:443')).toBe('2001:db8::1');
		expect(normalizeHost('2001:0db8:0000::0001')).toBe('2001:db8::1');
	});
	it('refuses empty and over-long names', () => {
		expect(normalizeHost('')).toBe('');
		expect(normalizeHost('.')).toBe('');
		expect(normalizeHost(`${'a'.repeat(250)}.com`)).toBe('');
	});
});

describe('canonicalIpv6', () => {
	it('leaves text that is not IPv6 alone', () => {
		expect(canonicalIpv6('not:an:address::x')).toBe('not:an:address::x');
	});
});
