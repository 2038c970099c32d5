/**
 * Builds the flood capture: TCP SYNs from the phone to many public addresses, round robin, so
 * every destination and flow table is overrun and evicts on almost every packet (the worst case a
 * port scan or a SYN flood gives). Real bytes: Ethernet + IPv4 + TCP with an MSS option, valid
 * checksums. Deterministic: the same arguments give the same bytes.
 *
 *   node bench/make-flood.js [--packets N] [--addresses A] [--seed S] [--out FILE]
 */
import {closeSync, mkdirSync, openSync, writeSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {checksum, put16, put32, rng} from './make-capture.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The flood: 1,000,000 SYNs to 65,536 addresses. */
export const DEFAULT_FLOOD_PACKETS = 1_000_000;
export const DEFAULT_FLOOD_ADDRESSES = 65_536;
/** SYNs per second of capture time: a fast scanner on a phone's uplink. */
const FLOOD_RATE = 10_000;
const START_TS = 1_750_000_000;
const WRITE_CHUNK = 4 * 1024 * 1024;
const SNAPLEN = 262_144;
const PHONE_IP = [10, 7, 0, 2];
const PHONE_MAC = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x02];
const GATEWAY_MAC = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
/** First octets of the target addresses: public unicast ranges spread over many countries and ASes. */
const TARGET_NETS = [5, 23, 31, 34, 41, 52, 54, 66, 74, 78, 91, 104, 142, 151, 157, 177, 185, 199, 203, 216];
/** Service ports tried, as a scan would. */
const PORTS = [443, 80, 8080, 22, 25, 993, 5228, 853];
/** Ethernet 14 + IPv4 20 + TCP 20 + MSS option 4. */
const FRAME = 58;

/** `count` distinct public addresses as 32-bit numbers, deterministic for the seed. */
function targets(count, random) {
	const seen = new Set();
	const out = [];
	while (out.length < count) {
		const a = TARGET_NETS[Math.floor(random() * TARGET_NETS.length)];
		const v = ((a << 24) | (Math.floor(random() * 0xffffff) & 0xffffff)) >>> 0;
		// Skip .0 and .255 host bytes: some tools treat them as network/broadcast.
		if ((v & 0xff) === 0 || (v & 0xff) === 0xff || seen.has(v)) continue;
		seen.add(v);
		out.push(v);
	}
	return out;
}

/** Writes the flood; returns {packets, bytes, addresses, seconds}. */
export function makeFlood({out, packets = DEFAULT_FLOOD_PACKETS, addresses = DEFAULT_FLOOD_ADDRESSES, seed = 1} = {}) {
	const random = rng(seed);
	const dst = targets(addresses, random);
	mkdirSync(path.dirname(out), {recursive: true});
	const fd = openSync(out, 'w');
	const buf = Buffer.allocUnsafe(WRITE_CHUNK);
	buf.writeUInt32LE(0xa1b2c3d4, 0);
	buf.writeUInt16LE(2, 4);
	buf.writeUInt16LE(4, 6);
	buf.writeUInt32LE(0, 8);
	buf.writeUInt32LE(0, 12);
	buf.writeUInt32LE(SNAPLEN, 16);
	buf.writeUInt32LE(1, 20);
	let used = 24;
	let bytes = 24;
	let port = 32768;
	let ipId = Math.floor(random() * 65536);
	let ts = START_TS;
	try {
		for (let n = 0; n < packets; n++) {
			if (used + 16 + FRAME > WRITE_CHUNK) {
				writeSync(fd, buf, 0, used);
				used = 0;
			}
			ts += 1 / FLOOD_RATE;
			const sec = Math.floor(ts);
			const r = used;
			buf.writeUInt32LE(sec, r);
			buf.writeUInt32LE(Math.round((ts - sec) * 1e6) % 1_000_000, r + 4);
			buf.writeUInt32LE(FRAME, r + 8);
			buf.writeUInt32LE(FRAME, r + 12);
			const e = r + 16;
			buf.set(GATEWAY_MAC, e);
			buf.set(PHONE_MAC, e + 6);
			put16(buf, e + 12, 0x0800);
			const o = e + 14;
			const target = dst[n % addresses];
			buf[o] = 0x45;
			buf[o + 1] = 0;
			put16(buf, o + 2, FRAME - 14);
			put16(buf, o + 4, (ipId = (ipId + 1) & 0xffff));
			put16(buf, o + 6, 0x4000);
			buf[o + 8] = 64;
			buf[o + 9] = 6;
			put16(buf, o + 10, 0);
			buf.set(PHONE_IP, o + 12);
			put32(buf, o + 16, target);
			put16(buf, o + 10, checksum(buf, o, o + 20, 0));
			const t = o + 20;
			// Ephemeral ports in order (Linux's range), so a 5-tuple recurs only after ~28k SYNs.
			port = port >= 60999 ? 32768 : port + 1;
			put16(buf, t, port);
			put16(buf, t + 2, PORTS[Math.floor(n / addresses) % PORTS.length]);
			put32(buf, t + 4, Math.floor(random() * 0x100000000) >>> 0);
			put32(buf, t + 8, 0);
			buf[t + 12] = 6 << 4;
			buf[t + 13] = 0x02;
			put16(buf, t + 14, 64240);
			put16(buf, t + 16, 0);
			put16(buf, t + 18, 0);
			buf[t + 20] = 2;
			buf[t + 21] = 4;
			put16(buf, t + 22, 1460);
			const sum = ((buf[o + 12] << 8) | buf[o + 13]) + ((buf[o + 14] << 8) | buf[o + 15]) + ((buf[o + 16] << 8) | buf[o + 17]) + ((buf[o + 18] << 8) | buf[o + 19]) + 6 + 24;
			put16(buf, t + 16, checksum(buf, t, t + 24, sum));
			used += 16 + FRAME;
			bytes += 16 + FRAME;
		}
		writeSync(fd, buf, 0, used);
	} finally {
		closeSync(fd);
	}
	return {packets, bytes, addresses, seconds: ts - START_TS};
}

function parseCli(argv) {
	const o = {packets: DEFAULT_FLOOD_PACKETS, addresses: DEFAULT_FLOOD_ADDRESSES, seed: 1, out: path.join(here, 'out', 'flood.pcap')};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--packets') o.packets = Number(argv[++i]);
		else if (a === '--addresses') o.addresses = Number(argv[++i]);
		else if (a === '--seed') o.seed = Number(argv[++i]);
		else if (a === '--out') o.out = argv[++i];
		else throw new Error(`unknown argument ${a}`);
	}
	if (!Number.isInteger(o.packets) || o.packets <= 0) throw new Error('--packets wants a positive integer');
	if (!Number.isInteger(o.addresses) || o.addresses <= 0 || o.addresses > 1_000_000) throw new Error('--addresses wants an integer from 1 to 1,000,000');
	return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const o = parseCli(process.argv.slice(2));
	const t0 = performance.now();
	const s = makeFlood(o);
	console.log(`${o.out}: ${s.packets} SYNs to ${s.addresses} addresses, ${(s.bytes / 1e6).toFixed(1)} MB, ${s.seconds.toFixed(0)} s of capture (${((performance.now() - t0) / 1000).toFixed(1)} s to build)`);
}
