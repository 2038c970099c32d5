import {describe, expect, it} from 'vitest';
import {ipv4Text, ipv6Text, u16, u32, u32le} from '../../source/decode/ip.js';
import {ipv6Addr} from './frames.js';

function v6(hex32: string): string {
	return ipv6Text(Uint8Array.from(ipv6Addr(hex32)), 0);
}

describe('ipv4Text', () => {
	it('prints dotted quads, from the cache too', () => {
		const b = Uint8Array.from([9, 192, 168, 0, 255, 10, 0, 0, 1]);
		expect(ipv4Text(b, 1)).toBe('192.168.0.255');
		expect(ipv4Text(b, 1)).toBe('192.168.0.255');
		expect(ipv4Text(b, 5)).toBe('10.0.0.1');
		expect(ipv4Text(Uint8Array.from([0, 0, 0, 0]), 0)).toBe('0.0.0.0');
	});
});

describe('ipv6Text (tshark/glibc form)', () => {
	it.each([
		['00000000000000000000000000000000', '::'],
		['00000000000000000000000000000001', '::1'],
		['20010db8000000000000000000000001', '2001:db8::1'],
		['fe800000000000000000000000000000', 'fe80::'],
		['20010db8000000010000000000000001', '2001:db8:0:1::1'],
		['00010000000000020000000000030004', '1::2:0:0:3:4'],
		['00010000000200030004000500060007', '1:0:2:3:4:5:6:7'],
		['ff020000000000000000000000010002', 'ff02::1:2'],
		['2a0014504001080300000000000010AB'.toLowerCase(), '2a00:1450:4001:803::10ab'],
		['00000000000000000000ffff01020304', '::ffff:1.2.3.4'],
		['00000000000000000000000001020304', '::1.2.3.4'],
		['22000000000002110002000000000002', '2200::211:2:0:0:2'],
	])('%s -> %s', (hex, text) => {
		expect(v6(hex)).toBe(text);
	});
});

// Printed by tshark 4.0.17 for a crafted raw-IPv6 capture (IPv4-mapped/compatible edge cases).
describe('ipv6Text matches tshark on IPv4-looking addresses', () => {
	it.each([
		['00000000000000000000ffff01020304', '::ffff:1.2.3.4'],
		['00000000000000000000000001020304', '::1.2.3.4'],
		['00000000000000000000ffff00000000', '::ffff:0.0.0.0'],
		['00000000000000000000000000000100', '::100'],
		['0064ff9b000000000000000001020304', '64:ff9b::102:304'],
		['0000000000000000ffff000001020304', '::ffff:0:102:304'],
		['0000000000000000ffffffff00010002', '::ffff:ffff:1:2'],
	])('%s -> %s', (hex, text) => {
		expect(v6(hex)).toBe(text);
	});
});

describe('byte readers', () => {
	it('reads both byte orders', () => {
		const b = Uint8Array.from([0x12, 0x34, 0x56, 0x78]);
		expect(u16(b, 0)).toBe(0x1234);
		expect(u32(b, 0)).toBe(0x12345678);
		expect(u32le(b, 0)).toBe(0x78563412);
		expect(u32(Uint8Array.from([0xff, 0xff, 0xff, 0xff]), 0)).toBe(0xffffffff);
	});
});
