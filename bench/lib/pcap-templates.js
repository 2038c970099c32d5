/**
 * Template flows for the benchmark capture: real recorded packets read from pcap/pcapng files,
 * cut to their IPv4 packets and grouped into TCP/UDP conversations, each with the name it carries
 * (DNS question, TLS SNI, HTTP Host) and where that name's bytes sit, so the generator can
 * replicate a flow many times with other addresses, ports and names.
 *
 * Self-contained on purpose (no import from dist/): the benchmark must not depend on the code it
 * measures to build its input.
 */
import {readFileSync} from 'node:fs';

const LINK_ETHERNET = 1;
const LINK_RAW = 101;
const LINK_SLL = 113;
const LINK_IPV4 = 228;
const LINK_SLL2 = 276;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = [0x8100, 0x88a8, 0x9100];
/** VLAN tags unwrapped before giving up: QinQ is two; four bounds odd files. */
const MAX_VLAN_TAGS = 4;
/** Bytes of a payload scanned for a name (a ClientHello or request head fits easily). */
const MAX_NAME_SCAN = 4096;
/** Labels shorter than this give too few variants (36^2) to name thousands of sites. */
const MIN_VARY_LABEL = 3;

/** Reads every record of a pcap or pcapng file as {ts, linkType, data}. */
export function readCapture(file) {
	const buf = readFileSync(file);
	const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
	const magic = dv.getUint32(0, false);
	return magic === 0x0a0d0d0a ? readPcapng(buf, dv) : readPcap(buf, dv);
}

function readPcap(buf, dv) {
	const m = dv.getUint32(0, true);
	const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
	const nano = (le ? m : dv.getUint32(0, false)) === 0xa1b23c4d;
	const linkType = dv.getUint32(20, le) & 0xffff;
	const out = [];
	for (let p = 24; p + 16 <= buf.length; ) {
		const capLen = dv.getUint32(p + 8, le);
		if (p + 16 + capLen > buf.length) break;
		const ts = dv.getUint32(p, le) + dv.getUint32(p + 4, le) / (nano ? 1e9 : 1e6);
		out.push({ts, linkType, data: buf.subarray(p + 16, p + 16 + capLen), origLen: dv.getUint32(p + 12, le)});
		p += 16 + capLen;
	}
	return out;
}

function readPcapng(buf, dv) {
	const out = [];
	let le = true;
	let links = [];
	for (let p = 0; p + 12 <= buf.length; ) {
		let type = dv.getUint32(p, le);
		if (dv.getUint32(p, false) === 0x0a0d0d0a) {
			type = 0x0a0d0d0a;
			le = dv.getUint32(p + 8, true) === 0x1a2b3c4d;
			links = [];
		}
		const len = dv.getUint32(p + 4, le);
		if (len < 12 || p + len > buf.length) break;
		if (type === 1) links.push(dv.getUint16(p + 8, le));
		else if (type === 6) {
			const capLen = dv.getUint32(p + 20, le);
			// Timestamps: default microsecond resolution; templates only need the order.
			const ts = (dv.getUint32(p + 12, le) * 4294967296 + dv.getUint32(p + 16, le)) / 1e6;
			out.push({ts, linkType: links[dv.getUint32(p + 8, le)] ?? -1, data: buf.subarray(p + 28, p + 28 + capLen), origLen: dv.getUint32(p + 24, le)});
		}
		p += len;
	}
	return out;
}

/** Offset of the IPv4 header in a frame, or -1 when the frame carries no IPv4. */
export function ipv4Offset(linkType, d) {
	let off;
	let etherType;
	if (linkType === LINK_ETHERNET) {
		off = 14;
		etherType = (d[12] << 8) | d[13];
		for (let i = 0; i < MAX_VLAN_TAGS && ETHERTYPE_VLAN.includes(etherType); i++) {
			etherType = (d[off + 2] << 8) | d[off + 3];
			off += 4;
		}
	} else if (linkType === LINK_SLL) {
		off = 16;
		etherType = (d[14] << 8) | d[15];
	} else if (linkType === LINK_SLL2) {
		off = 20;
		etherType = (d[0] << 8) | d[1];
	} else if (linkType === LINK_RAW || linkType === LINK_IPV4) {
		off = 0;
		etherType = ETHERTYPE_IPV4;
	} else return -1;
	if (etherType !== ETHERTYPE_IPV4 || off + 20 > d.length || d[off] >> 4 !== 4) return -1;
	return off;
}

/**
 * One IPv4 packet of a template, link layer removed: `ip` is a copy of the IP packet (as
 * captured, possibly cut by snaplen), `wireLen` the IP length on the wire.
 */
function ipPacket(rec) {
	const off = ipv4Offset(rec.linkType, rec.data);
	if (off < 0) return undefined;
	const ip = Uint8Array.from(rec.data.subarray(off));
	const ihl = (ip[0] & 0x0f) * 4;
	const proto = ip[9];
	const frag = ((ip[6] << 8) | ip[7]) & 0x3fff;
	if (ihl < 20 || frag !== 0 || (proto !== 6 && proto !== 17) || ip.length < ihl + (proto === 6 ? 20 : 8)) return undefined;
	const total = (ip[2] << 8) | ip[3];
	const end = Math.min(ip.length, total || ip.length);
	const thl = proto === 6 ? (ip[ihl + 12] >> 4) * 4 : 8;
	if (thl < (proto === 6 ? 20 : 8) || ihl + thl > end) return undefined;
	return {
		ip: ip.subarray(0, end),
		ihl,
		proto,
		src: ip.subarray(12, 16).join('.'),
		dst: ip.subarray(16, 20).join('.'),
		sport: (ip[ihl] << 8) | ip[ihl + 1],
		dport: (ip[ihl + 2] << 8) | ip[ihl + 3],
		payloadOff: ihl + thl,
		/** True when the capture holds the whole IP packet (so transport checksums can be computed). */
		whole: total !== 0 && ip.length >= total,
		wireLen: rec.origLen - off,
	};
}

/**
 * Splits template files into flows: [{file, proto, kind, name, vary, packets:[{ip, fromClient, ...}]}].
 * `kind` is dns | tls | http | quic | other; `vary` is the label of `name` the generator rewrites.
 */
export function templateFlows(files) {
	const flows = [];
	for (const file of files) {
		const byKey = new Map();
		for (const rec of readCapture(file)) {
			const p = ipPacket(rec);
			// Multicast and broadcast (mDNS, SSDP, DHCP) stay on the LAN: not a flow to replicate.
			if (!p || p.ip[16] >= 224 || p.ip[12] >= 224) continue;
			const a = `${p.src}:${p.sport}`;
			const b = `${p.dst}:${p.dport}`;
			const key = `${p.proto} ${a < b ? a + ' ' + b : b + ' ' + a}`;
			let f = byKey.get(key);
			if (!f) {
				f = {file, proto: p.proto, client: a, packets: []};
				byKey.set(key, f);
				flows.push(f);
			}
			p.fromClient = a === f.client;
			f.packets.push(p);
		}
	}
	for (const f of flows) describeFlow(f);
	return flows;
}

function describeFlow(f) {
	const first = f.packets[0];
	// A flow caught mid-stream from the server side: whoever uses the service port is the server.
	if (first.sport < 1024 && first.dport >= 1024) for (const p of f.packets) p.fromClient = !p.fromClient;
	const service = first.fromClient ? first.dport : first.sport;
	f.kind = 'other';
	for (const p of f.packets) {
		const payload = p.ip.subarray(p.payloadOff);
		if (payload.length === 0 || !p.fromClient) continue;
		if (f.proto === 17 && service === 53) {
			f.kind = 'dns';
			f.name = dnsQuestion(payload);
		} else if (f.proto === 17 && service === 443) f.kind = 'quic';
		else if (f.proto === 6 && payload[0] === 0x16) {
			f.kind = 'tls';
			f.name = clientHelloSni(payload);
		} else if (f.proto === 6 && /^[A-Z]{3,7} \S+ HTTP\/1\.[01]\r\n/.test(latin1(payload, 64))) {
			f.kind = 'http';
			f.name = /\r\nhost:[ \t]*([^\r\n:]+)/i.exec(latin1(payload, MAX_NAME_SCAN))?.[1];
		}
		break;
	}
	if (f.name && !/^[\d.]+$/.test(f.name)) {
		const labels = f.name.toLowerCase().split('.');
		// The longest label below the TLD: "www.tcpdump.org" varies "tcpdump".
		const candidates = labels.slice(0, Math.max(1, labels.length - 1)).filter((l) => /^[a-z0-9-]+$/.test(l));
		const vary = candidates.sort((x, y) => y.length - x.length)[0];
		if (vary && vary.length >= MIN_VARY_LABEL) {
			f.vary = vary;
			markName(f, vary);
		}
	}
	f.payloadPackets = f.packets.filter((p) => p.ip.length > p.payloadOff).length;
	f.bytes = f.packets.reduce((n, p) => n + p.wireLen, 0);
}

/** Records, per packet, where the varied label's bytes occur in its payload (any case). */
function markName(f, label) {
	const lower = Buffer.from(label, 'latin1');
	for (const p of f.packets) {
		const payload = Buffer.from(p.ip.buffer, p.ip.byteOffset + p.payloadOff, p.ip.length - p.payloadOff);
		const at = [];
		const folded = Buffer.from(payload.toString('latin1').toLowerCase(), 'latin1');
		for (let i = folded.indexOf(lower); i >= 0; i = folded.indexOf(lower, i + lower.length)) at.push(p.payloadOff + i);
		if (at.length > 0) p.nameAt = at;
	}
}

function latin1(bytes, max) {
	return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, max)).toString('latin1');
}

/** The question name of a DNS message, or undefined. */
function dnsQuestion(m) {
	const labels = [];
	for (let p = 12, i = 0; p < m.length && i < 64; i++) {
		const n = m[p];
		if (n === 0) return labels.join('.');
		if (n > 63 || p + 1 + n > m.length) return undefined;
		labels.push(latin1(m.subarray(p + 1, p + 1 + n), 63));
		p += 1 + n;
	}
	return undefined;
}

/** The server_name of a TLS ClientHello that starts this payload, or undefined. */
function clientHelloSni(b) {
	if (b.length < 44 || b[0] !== 0x16 || b[5] !== 0x01) return undefined;
	let p = 9 + 2 + 32;
	p += 1 + b[p];
	if (p + 2 > b.length) return undefined;
	p += 2 + ((b[p] << 8) | b[p + 1]);
	if (p + 1 > b.length) return undefined;
	p += 1 + b[p];
	if (p + 2 > b.length) return undefined;
	const end = Math.min(b.length, p + 2 + ((b[p] << 8) | b[p + 1]));
	p += 2;
	while (p + 4 <= end) {
		const type = (b[p] << 8) | b[p + 1];
		const len = (b[p + 2] << 8) | b[p + 3];
		if (type === 0 && p + 9 <= end) {
			const n = (b[p + 7] << 8) | b[p + 8];
			return latin1(b.subarray(p + 9, Math.min(end, p + 9 + n)), 255);
		}
		p += 4 + len;
	}
	return undefined;
}
