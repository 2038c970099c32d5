/**
 * A test-side PCAPdroid dumper: turns real recorded packets into the bytes PCAPdroid exports,
 * following app/src/main/jni/core/pcap_dump.c (pcap with the trailer, pcapng with UID map blocks
 * and `u-<uid>` comments), little-endian as on every Android phone. Independent of the code under
 * test except for CaptureParser, used only to read the source recordings.
 */
import {readFileSync} from 'node:fs';
import {CaptureParser} from '../../source/sources/capture-reader.js';
import {Writer, concat} from './capture-builders.js';

export type IpPacket = {sec: number; usec: number; data: Uint8Array};

/** The IP packets of an Ethernet, Linux SLL2 or raw-IP capture, copied, with their timestamps. */
export function ipPackets(path: string): IpPacket[] {
	const out: IpPacket[] = [];
	const parser = new CaptureParser((p) => {
		let data = p.data;
		if (p.linkType === 1) {
			const type = (data[12]! << 8) | data[13]!;
			if (type !== 0x0800 && type !== 0x86dd) return;
			data = data.subarray(14);
		} else if (p.linkType === 276) {
			// Linux SLL2 (tcpdump -i any): protocol type first, a 20-byte header.
			const type = (data[0]! << 8) | data[1]!;
			if (type !== 0x0800 && type !== 0x86dd) return;
			data = data.subarray(20);
		} else if (p.linkType !== 101) {
			return;
		}
		const sec = Math.floor(p.ts);
		out.push({sec, usec: Math.round((p.ts - sec) * 1e6), data: new Uint8Array(data)});
	});
	parser.push(new Uint8Array(readFileSync(path)));
	parser.end();
	if (parser.error) throw new Error(`${path}: ${parser.error.message}`);
	return out;
}

/** zlib's CRC-32, written out here so the dumper does not share code with the decoder. */
function crc32(b: Uint8Array): number {
	let c = ~0;
	for (const x of b) {
		c ^= x;
		for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
	}
	return ~c >>> 0;
}

/** [fake Ethernet][IP][pad to 4][trailer: magic BE, uid BE, name[20], crc LE], as dump_packet_pcap. */
export function trailerFrame(ip: Uint8Array, uid: number, appName: string): Uint8Array {
	const pad = (4 - ((14 + ip.length) % 4)) % 4;
	const frame = new Uint8Array(14 + ip.length + pad + 32);
	const dv = new DataView(frame.buffer);
	dv.setUint16(12, ip[0]! >> 4 === 4 ? 0x0800 : 0x86dd, false);
	frame.set(ip, 14);
	const t = 14 + ip.length + pad;
	dv.setUint32(t, 0x01072021, false);
	dv.setInt32(t + 4, uid, false);
	const name = new TextEncoder().encode(appName).subarray(0, 19);
	frame.set(name, t + 8);
	dv.setUint32(t + 28, crc32(frame.subarray(0, t + 28)), true);
	return frame;
}

/** PCAPdroid's pcap header: LINKTYPE_ETHERNET with extensions, else RAW. */
export function pcapHeader(extensions: boolean, snaplen = 65_535): Uint8Array {
	return new Writer(true).u32(0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(snaplen).u32(extensions ? 1 : 101).done();
}

export function pcapRecord(p: {sec: number; usec: number}, frame: Uint8Array, origLen = frame.length): Uint8Array {
	return new Writer(true).u32(p.sec).u32(p.usec).u32(frame.length).u32(origLen).bytes(frame).done();
}

/** One pcap record as PCAPdroid writes it, with or without the trailer (snaplen edge case included). */
export function pcapdroidRecord(p: IpPacket, uid: number, appName: string, snaplen = 65_535): Uint8Array {
	const frame = trailerFrame(p.data, uid, appName);
	// dump_packet_pcap: a trailer that would exceed snaplen is skipped, and so is the fake Ethernet.
	if (frame.length > snaplen) return pcapRecord(p, p.data.subarray(0, snaplen), p.data.length);
	return pcapRecord(p, frame);
}

function option(w: Writer, code: number, value: Uint8Array): void {
	w.u16(code).u16(value.length).bytes(value).pad4();
}

/** SHB (hardware, os, app options) + IDB 0 (RAW), as get_pcapng_preamble. */
export function pcapngPreamble(snaplen = 32_768): Uint8Array {
	const enc = new TextEncoder();
	const shbBody = new Writer(true).u32(0x1a2b3c4d).u16(1).u16(0).i64(-1n);
	option(shbBody, 2, enc.encode('Pixel 7'));
	option(shbBody, 3, enc.encode('Android 14'));
	option(shbBody, 4, enc.encode('PCAPdroid v1.8.6'));
	shbBody.u32(0);
	const body = shbBody.done();
	const shb = new Writer(true).u32(0x0a0d0d0a).u32(body.length + 12).bytes(body).u32(body.length + 12).done();
	const idb = new Writer(true).u32(1).u32(20).u16(101).u16(0).u32(snaplen).u32(20).done();
	return concat(shb, idb);
}

/** PCAPdroid's UID map custom block (PEN 62652, version 1, type 1). */
export function uidMapBlock(uid: number, pkg: string, appName: string): Uint8Array {
	const enc = new TextEncoder();
	const p = enc.encode(pkg);
	const a = enc.encode(appName);
	const w = new Writer(true).u32(62652).u16(1).u8(1).u8(0).u32(uid >>> 0).u8(p.length).u8(a.length).bytes(p).bytes(a).pad4();
	const body = w.done();
	return new Writer(true).u32(0x00000bad).u32(body.length + 12).bytes(body).u32(body.length + 12).done();
}

/** An EPB as dump_packet_pcapng: µs timestamp, optional flags (root mode), `u-<uid>` comment. */
export function epb(p: IpPacket, uid: number | undefined, iface = 0, direction?: 1 | 2): Uint8Array {
	const us = BigInt(p.sec) * 1_000_000n + BigInt(p.usec);
	const w = new Writer(true)
		.u32(iface)
		.u32(Number(us >> 32n))
		.u32(Number(us & 0xffffffffn))
		.u32(p.data.length)
		.u32(p.data.length)
		.bytes(p.data)
		.pad4();
	if (direction !== undefined) option(w, 2, new Writer(true).u32(direction).done());
	if (uid !== undefined) option(w, 1, new TextEncoder().encode(`u-${uid}`));
	if (direction !== undefined || uid !== undefined) w.u32(0);
	const body = w.done();
	return new Writer(true).u32(6).u32(body.length + 12).bytes(body).u32(body.length + 12).done();
}

/** A root-mode IDB for a real interface, with if_name. */
export function interfaceBlock(name: string, snaplen = 65_535): Uint8Array {
	const w = new Writer(true).u16(101).u16(0).u32(snaplen);
	option(w, 2, new TextEncoder().encode(name));
	w.u32(0);
	const body = w.done();
	return new Writer(true).u32(1).u32(body.length + 12).bytes(body).u32(body.length + 12).done();
}
