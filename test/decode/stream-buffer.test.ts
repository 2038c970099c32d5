import {describe, expect, it} from 'vitest';
import {STREAM_BUFFER_MAX_PACKETS, StreamBuffer} from '../../source/decode/stream-buffer.js';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const seg = (s: string) => Buffer.from(s, 'latin1');

describe('StreamBuffer', () => {
	it('appends in order and records contributing packets', () => {
		const sb = new StreamBuffer(100);
		expect(sb.push(10, seg('hello '), 1)).toBe('appended');
		expect(sb.push(16, seg('world'), 2)).toBe('appended');
		expect(text(sb.bytes())).toBe('hello world');
		expect(sb.packets).toEqual([1, 2]);
	});

	it('retransmits and overlaps are trimmed by sequence number', () => {
		const sb = new StreamBuffer(100);
		sb.push(0, seg('abcdef'), 1);
		expect(sb.push(0, seg('abcdef'), 2)).toBe('duplicate');
		expect(sb.push(3, seg('defghi'), 3)).toBe('appended');
		expect(text(sb.bytes())).toBe('abcdefghi');
		expect(sb.duplicateBytes).toBe(9);
		expect(sb.packets).toEqual([1, 3]);
	});

	it('holds early segments until the gap fills', () => {
		const sb = new StreamBuffer(100);
		sb.push(100, seg('aa'), 1);
		expect(sb.push(106, seg('dd'), 4)).toBe('pending');
		expect(sb.push(104, seg('cc'), 3)).toBe('pending');
		expect(text(sb.bytes())).toBe('aa');
		sb.push(102, seg('bb'), 2);
		expect(text(sb.bytes())).toBe('aabbccdd');
		expect(sb.packets).toEqual([1, 2, 3, 4]);
	});

	it('drops data beyond the cap and far-ahead segments, counting them', () => {
		const sb = new StreamBuffer(8);
		expect(sb.push(0, seg('0123456789'), 1)).toBe('dropped');
		expect(text(sb.bytes())).toBe('01234567');
		expect(sb.full).toBe(true);
		expect(sb.droppedBytes).toBe(2);
		expect(sb.push(1_000_000, seg('zz'), 2)).toBe('dropped');
		expect(sb.droppedBytes).toBe(4);
		expect(sb.droppedSegments).toBe(2);
	});

	it('sequence numbers wrap around 2^32', () => {
		const sb = new StreamBuffer(100);
		sb.push(0xfffffffe, seg('ab'), 1);
		sb.push(0, seg('cd'), 2);
		sb.push(0xffffffff, seg('bc'), 3);
		expect(text(sb.bytes())).toBe('abcd');
	});

	it('consume and skip', () => {
		const sb = new StreamBuffer(16);
		sb.push(0, seg('GET /a\n\nGET /b'), 1);
		sb.consume(8);
		expect(text(sb.bytes())).toBe('GET /b');
		sb.discard(10); // 6 buffered + 4 still to come
		expect(sb.length).toBe(0);
		sb.push(14, seg('xxxxNEXT'), 2);
		expect(text(sb.bytes())).toBe('NEXT');
		// Room is freed by consume: more than the cap passes through over time.
		for (let i = 0; i < 50; i++) {
			sb.push(22 + i * 4, seg('abcd'), 3 + i);
			sb.consume(4);
		}
		expect(sb.droppedBytes).toBe(0);
		expect(sb.packets.length).toBeLessThanOrEqual(STREAM_BUFFER_MAX_PACKETS);
	});

	it('pending list is bounded', () => {
		const sb = new StreamBuffer(1000);
		sb.push(0, seg('a'), 1);
		let dropped = 0;
		for (let i = 0; i < 20; i++) if (sb.push(10 + i * 10, seg('x'), 2 + i) === 'dropped') dropped++;
		expect(dropped).toBeGreaterThan(0);
		expect(sb.droppedSegments).toBe(dropped);
	});
});
