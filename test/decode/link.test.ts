import {describe, expect, it} from 'vitest';
import {LINK_TRUNCATED, LINK_UNKNOWN, NET_IP, NET_IPV6, NET_KINDS, NET_OTHER, linkPayload} from '../../source/decode/link.js';
import {be16, bytes, ether} from './frames.js';

function at(linkType: number, data: Uint8Array): [number, number] | number {
	const r = linkPayload(linkType, data);
	return r < 0 ? r : [Math.floor(r / NET_KINDS), r % NET_KINDS];
}

const ip = new Uint8Array(20).fill(0x45, 0, 1);

describe('linkPayload', () => {
	it('Ethernet, 802.1Q, QinQ (0x88a8, 0x9100)', () => {
		expect(at(1, ether(0x0800, ip))).toEqual([14, NET_IP]);
		expect(at(1, ether(0x86dd, ip))).toEqual([14, NET_IPV6]);
		expect(at(1, ether(0x0806, ip))).toEqual([14, NET_OTHER]);
		expect(at(1, ether(0x0800, ip, [0x8100]))).toEqual([18, NET_IP]);
		expect(at(1, ether(0x0800, ip, [0x88a8, 0x8100]))).toEqual([22, NET_IP]);
		expect(at(1, ether(0x86dd, ip, [0x9100, 0x8100]))).toEqual([22, NET_IPV6]);
	});
	it('Ethernet 802.3 with LLC/SNAP', () => {
		const f = bytes(new Array(12).fill(0), be16(100), [0xaa, 0xaa, 0x03, 0, 0, 0], be16(0x0800), ip);
		expect(at(1, f)).toEqual([22, NET_IP]);
	});
	it('a VLAN tag bomb ends, not loops', () => {
		const tags = new Array(40).fill(0x8100);
		expect(at(1, ether(0x0800, ip, tags))).toEqual(expect.arrayContaining([NET_OTHER]));
	});
	it('Linux SLL and SLL2', () => {
		const sll = bytes(new Array(14).fill(0), be16(0x0800), ip);
		expect(at(113, sll)).toEqual([16, NET_IP]);
		const sll2 = bytes(be16(0x86dd), new Array(18).fill(0), ip);
		expect(at(276, sll2)).toEqual([20, NET_IPV6]);
	});
	it('raw IP link types', () => {
		expect(at(101, ip)).toEqual([0, NET_IP]);
		expect(at(12, ip)).toEqual([0, NET_IP]);
		expect(at(228, ip)).toEqual([0, NET_IP]);
		expect(at(229, ip)).toEqual([0, NET_IPV6]);
	});
	it('null/loopback families in either byte order', () => {
		expect(at(0, bytes([2, 0, 0, 0], ip))).toEqual([4, NET_IP]);
		expect(at(0, bytes([0, 0, 0, 2], ip))).toEqual([4, NET_IP]);
		for (const fam of [10, 24, 28, 30]) {
			expect(at(0, bytes([fam, 0, 0, 0], ip))).toEqual([4, NET_IPV6]);
			expect(at(108, bytes([0, 0, 0, fam], ip))).toEqual([4, NET_IPV6]);
		}
		expect(at(0, bytes([7, 0, 0, 0], ip))).toEqual([4, NET_OTHER]);
	});
	it('PPP with and without address/control, compressed protocol', () => {
		expect(at(9, bytes([0xff, 0x03, 0x00, 0x21], ip))).toEqual([4, NET_IP]);
		expect(at(9, bytes([0x00, 0x57], ip))).toEqual([2, NET_IPV6]);
		expect(at(9, bytes([0x21], ip))).toEqual([1, NET_IP]);
		expect(at(50, bytes([0xff, 0x03, 0xc0, 0x21], ip))).toEqual([4, NET_OTHER]);
	});
	it('NFLOG finds the payload TLV', () => {
		const tlvPrefix = bytes([8, 0, 1, 0], [0, 0, 0, 0]);
		const f = bytes([2, 0, 0, 0], tlvPrefix, [24, 0, 9, 0], ip);
		expect(at(239, f)).toEqual([16, NET_IP]);
	});
	it('unknown and truncated', () => {
		expect(at(147, ip)).toBe(LINK_UNKNOWN);
		expect(at(1, new Uint8Array(10))).toBe(LINK_TRUNCATED);
		expect(at(113, new Uint8Array(15))).toBe(LINK_TRUNCATED);
		expect(at(0, new Uint8Array(2))).toBe(LINK_TRUNCATED);
		expect(at(1, ether(0x8100, new Uint8Array(1)))).toBe(LINK_TRUNCATED);
	});
});
