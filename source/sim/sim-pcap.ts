/**
 * The simulator's capture: a classic pcap file cut into its global header and timed records,
 * so `tcpdump -w -` can be replayed paced by the records' timestamps. pcapng is served whole
 * and unpaced (its blocks are not cut).
 */

type SimPcapRecord = {
	/** Capture time, epoch seconds (float). */
	ts: number;
	/** The record's bytes (16-byte header plus data), a view into the file. */
	bytes: Uint8Array;
	/** Offset of the timestamp fields, for rebasing. */
	offset: number;
};

export type SimCapture = {
	format: 'pcap' | 'pcapng' | 'unknown';
	header: Uint8Array;
	records: SimPcapRecord[];
	littleEndian: boolean;
	/** Timestamp fraction units per second (1e6 or 1e9). */
	tsResol: number;
	/** Bytes after the last whole record (a truncated file); served as they are, never paced. */
	trailer: Uint8Array;
};

const PCAP_HEADER = 24;
const RECORD_HEADER = 16;
/** Largest record accepted: tcpdump's MAXIMUM_SNAPLEN (262144); anything bigger means damage. */
const MAX_RECORD = 262144;

/** Cuts a capture file into header and records; never throws (damage ends the cut). */
export function parseSimCapture(file: Uint8Array): SimCapture {
	const empty = new Uint8Array(0);
	if (file.length < 4) return {format: 'unknown', header: file, records: [], littleEndian: true, tsResol: 1e6, trailer: empty};
	const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
	const magic = view.getUint32(0, false);
	if (magic === 0x0a0d0d0a) return {format: 'pcapng', header: file, records: [], littleEndian: true, tsResol: 1e6, trailer: empty};
	const known: Record<number, [boolean, number]> = {
		0xd4c3b2a1: [true, 1e6],
		0xa1b2c3d4: [false, 1e6],
		0x4d3cb2a1: [true, 1e9],
		0xa1b23c4d: [false, 1e9],
	};
	const kind = known[magic];
	if (!kind || file.length < PCAP_HEADER) {
		return {format: 'unknown', header: file, records: [], littleEndian: true, tsResol: 1e6, trailer: empty};
	}
	const [le, tsResol] = kind;
	const records: SimPcapRecord[] = [];
	let off = PCAP_HEADER;
	while (off + RECORD_HEADER <= file.length) {
		const incl = view.getUint32(off + 8, le);
		if (incl > MAX_RECORD || off + RECORD_HEADER + incl > file.length) break;
		const ts = view.getUint32(off, le) + view.getUint32(off + 4, le) / tsResol;
		records.push({ts, bytes: file.subarray(off, off + RECORD_HEADER + incl), offset: off});
		off += RECORD_HEADER + incl;
	}
	return {format: 'pcap', header: file.subarray(0, PCAP_HEADER), records, littleEndian: le, tsResol, trailer: file.subarray(off)};
}

/** A copy of a record with its timestamp moved by `shiftSec` (for a rebased timeline). */
export function shiftRecord(rec: SimPcapRecord, cap: SimCapture, shiftSec: number): Uint8Array {
	if (shiftSec === 0) return rec.bytes;
	const out = rec.bytes.slice();
	const view = new DataView(out.buffer);
	const units = Math.round((rec.ts + shiftSec) * cap.tsResol);
	const sec = Math.floor(units / cap.tsResol);
	view.setUint32(0, sec >>> 0, cap.littleEndian);
	view.setUint32(4, (units - sec * cap.tsResol) >>> 0, cap.littleEndian);
	return out;
}
