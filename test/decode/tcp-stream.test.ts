import {describe, expect, it} from 'vitest';
import {TcpStream, TCP_STREAM_MAX_PENDING} from '../../source/decode/tcp-stream.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('TcpStream', () => {
	it('joins segments in order and names the packets of each consumed span', () => {
		const s = new TcpStream(1024);
		s.push(1000, bytes('hello '), 1, 10);
		s.push(1006, bytes('wor'), 2, 11);
		s.push(1009, bytes('ld!'), 3, 12);
		expect(text(s.bytes())).toBe('hello world!');
		expect(s.consume(5)).toEqual({packets: [1], ts: 10});
		expect(s.consume(4)).toEqual({packets: [1, 2], ts: 11});
		expect(s.consume(3)).toEqual({packets: [3], ts: 12});
		expect(s.length).toBe(0);
		expect(s.position).toBe(12);
	});

	it('trims retransmissions and overlaps, and fills a hole from held segments', () => {
		const s = new TcpStream(1024);
		s.push(0, bytes('abc'), 1, 1);
		s.push(6, bytes('ghi'), 3, 3); // early: held
		s.push(0, bytes('abc'), 4, 4); // retransmission
		s.push(2, bytes('cdef'), 2, 2); // overlaps one byte, fills the hole
		expect(text(s.bytes())).toBe('abcdefghi');
		expect(s.duplicateBytes).toBe(4);
		expect(s.gap).toBeUndefined();
	});

	it('wraps around the 32-bit sequence space', () => {
		const s = new TcpStream(1024);
		s.push(0xfffffffe, bytes('ab'), 1, 1);
		s.push(0, bytes('cd'), 2, 2);
		expect(text(s.bytes())).toBe('abcd');
	});

	it('records a hole that never fills as a gap and stops there', () => {
		const s = new TcpStream(1 << 20);
		s.push(0, bytes('abc'), 1, 1);
		for (let i = 0; i <= TCP_STREAM_MAX_PENDING; i++) s.push(100 + i * 10, bytes('x'.repeat(10)), 2 + i, 2);
		expect(s.gap?.missing).toBe(97);
		expect(s.gap?.offset).toBe(3);
		s.push(3, bytes('late'), 99, 9);
		expect(text(s.bytes())).toBe('abc');
	});

	it('a hole still open at the end is a gap', () => {
		const s = new TcpStream(1024);
		s.push(0, bytes('abc'), 1, 1);
		s.push(10, bytes('xyz'), 2, 2);
		expect(s.gap).toBeUndefined();
		s.finish();
		expect(s.gap?.missing).toBe(7);
	});

	it('bounds what it holds: more than its cap unread is a gap', () => {
		const s = new TcpStream(8);
		s.push(0, bytes('12345678'), 1, 1);
		s.push(8, bytes('9'), 2, 2);
		expect(s.gap?.reason).toMatch(/more than 8 bytes/);
		expect(s.length).toBe(8);
	});
});
