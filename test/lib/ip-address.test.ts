import {describe, expect, it} from 'vitest';
import {isIpLiteral, parseIpv4, parseIpv6} from '../../source/lib/ip-address.js';

describe('isIpLiteral', () => {
	it('tells IP literals from names, as node:net does', () => {
		for (const ip of ['161.117.97.14', '::1', '2001:db8::1', 'fe80::1%wlan0', '::ffff:1.2.3.4']) expect(isIpLiteral(ip)).toBe(true);
		for (const name of ['1.2.3.example', '999.1.1.1', 'miui.com', 'not:an:address::x', '', '1.2.3']) expect(isIpLiteral(name)).toBe(false);
	});
});

describe('parseIpv4', () => {
	it('parses dotted quads and rejects the rest', () => {
		expect(parseIpv4('8.8.8.8')).toBe(0x08_08_08_08);
		expect(parseIpv4('255.255.255.255')).toBe(0xff_ff_ff_ff);
		expect(parseIpv4('0.0.0.0')).toBe(0);
		for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', 'a.b.c.d', '1..2.3', '', '1.2.3.-4', '1.2.3.4 ']) expect(parseIpv4(bad)).toBeUndefined();
	});
});

describe('parseIpv6', () => {
	const words = (text: string) => {
		const out = new Uint32Array(4);
		return parseIpv6(text, out) ? Array.from(out) : undefined;
	};
	it('parses compressed, full, IPv4-tailed and zoned forms', () => {
		expect(words('::1')).toEqual([0, 0, 0, 1]);
		expect(words('::')).toEqual([0, 0, 0, 0]);
		expect(words('2001:4860:4860::8888')).toEqual([0x2001_4860, 0x4860_0000, 0, 0x8888]);
		expect(words('2001:db8:0:0:0:0:0:1')).toEqual([0x2001_0db8, 0, 0, 1]);
		expect(words('::ffff:8.8.8.8')).toEqual([0, 0, 0xff_ff, 0x08_08_08_08]);
		expect(words('fe80::1%wlan0')).toEqual([0xfe80_0000, 0, 0, 1]);
		expect(words('FE80::A')).toEqual([0xfe80_0000, 0, 0, 0xa]);
	});
	it('rejects malformed text', () => {
		for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'g::1', ':', '8.8.8.8', '::1.2.3', '']) expect(words(bad)).toBeUndefined();
	});
});
