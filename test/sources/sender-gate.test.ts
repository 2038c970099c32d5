import {describe, expect, it} from 'vitest';
import {MAX_REFUSED_ADDRESSES, plainAddress, SenderGate} from '../../source/sources/sender-gate.js';

describe('SenderGate', () => {
	it('without a list, locks onto the first sender (any port) and refuses everyone else', () => {
		const g = new SenderGate(undefined);
		expect(g.who).toBeUndefined();
		expect(g.admit('192.168.1.23')).toBe('locked');
		expect(g.admit('192.168.1.23')).toBe('admit');
		expect(g.admit('::ffff:192.168.1.23')).toBe('admit');
		expect(g.admit('192.168.1.99')).toBe('refused');
		expect(g.admit(undefined)).toBe('refused');
		expect(g.refused).toBe(2);
		expect(g.who).toBe('192.168.1.23 (the first sender)');
	});

	it('with a list, admits only those, IPv4-mapped and IPv6 spellings included', () => {
		const g = new SenderGate(['10.0.0.5', 'FE80::1']);
		expect(g.admit('::ffff:10.0.0.5')).toBe('admit');
		expect(g.admit('fe80::1')).toBe('admit');
		expect(g.admit('10.0.0.6')).toBe('refused');
		expect(g.locked).toBeUndefined();
		expect(g.who).toBe('10.0.0.5, fe80::1 (--pcap-from)');
	});

	it('says each refused address once, and remembers only a bounded number of them', () => {
		const g = new SenderGate(['10.0.0.5']);
		expect(g.firstRefusalOf('10.0.0.6')).toBe(true);
		expect(g.firstRefusalOf('::ffff:10.0.0.6')).toBe(false);
		for (let i = 0; i < 1000; i++) g.firstRefusalOf(`10.1.${i >> 8}.${i & 255}`);
		expect(g.firstRefusalOf('10.9.9.9')).toBe(false);
		expect(MAX_REFUSED_ADDRESSES).toBeLessThan(1000);
	});

	it('plainAddress unwraps IPv4-mapped IPv6 only', () => {
		expect(plainAddress('::ffff:127.0.0.2')).toBe('127.0.0.2');
		expect(plainAddress('::1')).toBe('::1');
	});
});
