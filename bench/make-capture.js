/**
 * Builds the benchmark capture: real recorded flows (DNS, TLS ClientHellos with SNI, HTTP
 * requests, QUIC, bulk TLS data) replicated many times with rewritten addresses, ports, TCP
 * sequence numbers and names, interleaved like a busy phone, written as an Ethernet pcap.
 * Deterministic: the same seed and count give the same bytes.
 *
 *   node bench/make-capture.js [--packets N] [--seed S] [--out FILE]
 */
import {closeSync, existsSync, mkdirSync, openSync, writeSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {templateFlows} from './lib/pcap-templates.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
/** The shared corpus beside every clone (TATTLE_CORPUS overrides, as for the tests). */
const CORPUS = path.join(process.env.TATTLE_CORPUS ?? path.resolve(repo, '../shared/corpus'), 'pcap');

/** Recorded captures the flows come from (read in place; none is copied into the repo). */
export const TEMPLATE_FILES = [
	// Android phones: DNS, TLS to Google services, HTTP connectivity checks.
	'ndpi__android.pcap',
	'ndpi__googledns_android10.pcap',
	'ndpi__xiaomi.pcap',
	// A phone app's photo CDN traffic: the bulk TLS data flows.
	'ndpi__instagram.pcap',
	// Many sites' ClientHellos.
	'ndpi__sites.pcapng',
	'zeek__tls__chrome-34-google.pcap',
	'zeek__tls__chrome-1250-tls-x25519-kyber.pcap',
	'zeek__tls__tls-conn-with-extensions.pcap',
	'zeek__tls__tls13-ech.pcap',
	'zeek__tls__openjdk-25.0.2-zeek.org.pcap',
	'zeek__http__get.pcap',
	'lwerdna__simple_http.pcap',
	'tcpdump__dns_udp.pcap',
	'zeek__dns-https.pcap',
	'zeek__quic__curl-8.1.2-dev-http3-www-google-de.pcap',
].map((f) => path.join(CORPUS, f));

/** Default size: over the 500k packets the performance issue asks for. */
export const DEFAULT_PACKETS = 600_000;
/**
 * Share of the capture's packets by kind of flow: handshake-heavy (most flows are short
 * DNS/TLS/HTTP exchanges) with a good third of bulk data, like a phone browsing a feed.
 */
const PACKET_SHARE = {tls: 0.42, other: 0.32, http: 0.1, dns: 0.1, quic: 0.06};
/** Flows open at once: a busy phone holds a few hundred connections. */
const ACTIVE_FLOWS = 256;
/** Packets per second of capture time: 600k packets span 5 minutes, a plausible busy session. */
const CAPTURE_RATE = 2_000;
/** Name variants per template name: ~70 names x 100 gives thousands of distinct destinations. */
const NAME_VARIANTS = 100;
/** Capture start: a fixed epoch second, so the file is deterministic. */
const START_TS = 1_750_000_000;
/** Bytes buffered before a write: few syscalls, small memory. */
const WRITE_CHUNK = 4 * 1024 * 1024;
const SNAPLEN = 262_144;

const PHONE_IP = [10, 7, 0, 2];
const RESOLVER_IP = [10, 7, 0, 1];
const PHONE_MAC = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x02];
const GATEWAY_MAC = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
/** First octets of the made-up server addresses: public unicast ranges, never private or reserved. */
const SERVER_NETS = [23, 31, 34, 52, 54, 66, 74, 91, 104, 142, 151, 157, 185, 199, 203, 216];

/** mulberry32: a small, seedable PRNG (the capture must be reproducible). */
export function rng(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function hash32(text) {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
	return h;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Variant `k` of a DNS label, same length (so no length field changes); 0 is the label itself. */
export function labelVariant(label, k) {
	if (k === 0) return label;
	const r = rng(hash32(`${label}#${k}`));
	let out = '';
	for (let i = 0; i < label.length; i++) {
		if (label[i] === '-' && i > 0 && i < label.length - 1) out += '-';
		else out += ALNUM[Math.floor(r() * (i === 0 ? 26 : 36))];
	}
	return out;
}

/** Internet checksum over `buf[from, to)` plus an initial sum. */
export function checksum(buf, from, to, sum) {
	let i = from;
	for (; i + 1 < to; i += 2) sum += (buf[i] << 8) | buf[i + 1];
	if (i < to) sum += buf[i] << 8;
	while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
	return ~sum & 0xffff;
}

export function put16(b, at, v) {
	b[at] = (v >>> 8) & 0xff;
	b[at + 1] = v & 0xff;
}

export function put32(b, at, v) {
	b[at] = (v >>> 24) & 0xff;
	b[at + 1] = (v >>> 16) & 0xff;
	b[at + 2] = (v >>> 8) & 0xff;
	b[at + 3] = v & 0xff;
}

function get32(b, at) {
	return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** Picks template flows so each kind gets its PACKET_SHARE of the packets. */
function flowPicker(flows, random) {
	const kinds = Object.keys(PACKET_SHARE).filter((k) => flows.some((f) => f.kind === k));
	const byKind = new Map(kinds.map((k) => [k, flows.filter((f) => f.kind === k)]));
	// Flows per kind in proportion to share / mean packets per flow.
	const weight = kinds.map((k) => {
		const list = byKind.get(k);
		const mean = list.reduce((n, f) => n + f.packets.length, 0) / list.length;
		return PACKET_SHARE[k] / mean;
	});
	const total = weight.reduce((a, b) => a + b, 0);
	return () => {
		let x = random() * total;
		let i = 0;
		while (i < kinds.length - 1 && x >= weight[i]) x -= weight[i++];
		const list = byKind.get(kinds[i]);
		return list[Math.floor(random() * list.length)];
	};
}

/** One replica of a template flow: its addresses, ports, sequence offsets and name. */
function instantiate(t, random, nextPort) {
	let variant;
	let server;
	if (t.kind === 'dns') server = RESOLVER_IP;
	if (t.vary) {
		// Popular names recur (a skewed pick), the tail is long: like real browsing.
		const k = Math.floor(NAME_VARIANTS * random() ** 2);
		variant = Buffer.from(labelVariant(t.vary, k), 'latin1');
		if (!server) {
			const h = hash32(`${t.name}#${k}`);
			server = [SERVER_NETS[h & 15], (h >>> 8) & 0xff, (h >>> 16) & 0xff, 1 + ((h >>> 24) % 254)];
		}
	}
	server ??= [SERVER_NETS[Math.floor(random() * 16)], Math.floor(random() * 256), Math.floor(random() * 256), 1 + Math.floor(random() * 254)];
	const first = t.packets[0];
	const servicePort = first.fromClient ? first.dport : first.sport;
	return {
		t,
		next: 0,
		server,
		clientPort: nextPort(),
		servicePort,
		variant,
		seqOut: Math.floor(random() * 4294967296),
		seqIn: Math.floor(random() * 4294967296),
	};
}

/** Writes one packet of a flow replica at `out[at]`; returns the bytes written (record included). */
function writePacket(out, at, inst, p, ts) {
	const ip = p.ip;
	const frameLen = 14 + ip.length;
	const r = at;
	const sec = Math.floor(ts);
	// pcap record header, little-endian.
	out.writeUInt32LE(sec, r);
	out.writeUInt32LE(Math.round((ts - sec) * 1e6) % 1_000_000, r + 4);
	out.writeUInt32LE(frameLen, r + 8);
	out.writeUInt32LE(Math.max(frameLen, 14 + p.wireLen), r + 12);
	const e = r + 16;
	const toServer = p.fromClient;
	out.set(toServer ? GATEWAY_MAC : PHONE_MAC, e);
	out.set(toServer ? PHONE_MAC : GATEWAY_MAC, e + 6);
	put16(out, e + 12, 0x0800);
	const o = e + 14;
	out.set(ip, o);
	out.set(toServer ? PHONE_IP : inst.server, o + 12);
	out.set(toServer ? inst.server : PHONE_IP, o + 16);
	out[o + 10] = 0;
	out[o + 11] = 0;
	put16(out, o + 10, checksum(out, o, o + p.ihl, 0));
	const t = o + p.ihl;
	put16(out, t, toServer ? inst.clientPort : inst.servicePort);
	put16(out, t + 2, toServer ? inst.servicePort : inst.clientPort);
	if (p.proto === 6) {
		const flags = ip[p.ihl + 13];
		put32(out, t + 4, (get32(out, t + 4) + (toServer ? inst.seqOut : inst.seqIn)) >>> 0);
		if (flags & 0x10) put32(out, t + 8, (get32(out, t + 8) + (toServer ? inst.seqIn : inst.seqOut)) >>> 0);
	}
	if (inst.variant && p.nameAt) for (const n of p.nameAt) out.set(inst.variant, o + n);
	// Transport checksum over the pseudo header and segment, when the whole segment was captured.
	const csum = p.proto === 6 ? t + 16 : t + 6;
	if (p.whole) {
		const segLen = ip.length - p.ihl;
		out[csum] = 0;
		out[csum + 1] = 0;
		let sum = ((out[o + 12] << 8) | out[o + 13]) + ((out[o + 14] << 8) | out[o + 15]) + ((out[o + 16] << 8) | out[o + 17]) + ((out[o + 18] << 8) | out[o + 19]);
		sum += p.proto + segLen;
		let c = checksum(out, t, t + segLen, sum);
		if (p.proto === 17 && c === 0) c = 0xffff;
		put16(out, csum, c);
	} else if (p.proto === 17) put16(out, csum, 0);
	return 16 + frameLen;
}

/** Writes the capture; returns {packets, bytes, flows, names, kinds}. */
export function makeCapture({out, packets = DEFAULT_PACKETS, seed = 1, templates = TEMPLATE_FILES} = {}) {
	const missing = templates.filter((f) => !existsSync(f));
	if (missing.length > 0) throw new Error(`template captures not found: ${missing.join(', ')} (set TATTLE_CORPUS)`);
	const flows = templateFlows(templates).filter((f) => f.packets.length > 0);
	const random = rng(seed);
	const pick = flowPicker(flows, random);
	let port = 32768 + Math.floor(random() * 28000);
	// Ephemeral ports in order, as Linux hands them out, wrapping in the 32768-60999 range.
	const nextPort = () => (port = port >= 60999 ? 32768 : port + 1);
	mkdirSync(path.dirname(out), {recursive: true});
	const fd = openSync(out, 'w');
	const buf = Buffer.allocUnsafe(WRITE_CHUNK);
	let used = 0;
	buf.writeUInt32LE(0xa1b2c3d4, 0);
	buf.writeUInt16LE(2, 4);
	buf.writeUInt16LE(4, 6);
	buf.writeUInt32LE(0, 8);
	buf.writeUInt32LE(0, 12);
	buf.writeUInt32LE(SNAPLEN, 16);
	buf.writeUInt32LE(1, 20);
	used = 24;
	let bytes = 24;
	const active = [];
	const names = new Set();
	const kinds = {};
	let flowCount = 0;
	const start = () => {
		const inst = instantiate(pick(), random, nextPort);
		flowCount++;
		kinds[inst.t.kind] = (kinds[inst.t.kind] ?? 0) + 1;
		if (inst.variant) names.add(inst.t.name.toLowerCase().replace(inst.t.vary, inst.variant.toString('latin1')));
		return inst;
	};
	for (let i = 0; i < ACTIVE_FLOWS; i++) active.push(start());
	let ts = START_TS;
	try {
		for (let n = 0; n < packets; n++) {
			const slot = Math.floor(random() * ACTIVE_FLOWS);
			const inst = active[slot];
			const p = inst.t.packets[inst.next++];
			if (inst.next >= inst.t.packets.length) active[slot] = start();
			// Exponential gaps: a Poisson stream at CAPTURE_RATE.
			ts += -Math.log(1 - random()) / CAPTURE_RATE;
			if (used + 16 + 14 + p.ip.length > WRITE_CHUNK) {
				writeSync(fd, buf, 0, used);
				used = 0;
			}
			const w = writePacket(buf, used, inst, p, ts);
			used += w;
			bytes += w;
		}
		writeSync(fd, buf, 0, used);
	} finally {
		closeSync(fd);
	}
	return {packets, bytes, flows: flowCount, names: names.size, kinds, seconds: ts - START_TS, templates: flows.length};
}

function parseCli(argv) {
	const o = {packets: DEFAULT_PACKETS, seed: 1, out: path.join(here, 'out', 'big.pcap')};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--packets') o.packets = Number(argv[++i]);
		else if (a === '--seed') o.seed = Number(argv[++i]);
		else if (a === '--out') o.out = argv[++i];
		else throw new Error(`unknown argument ${a}`);
	}
	if (!Number.isInteger(o.packets) || o.packets <= 0) throw new Error('--packets wants a positive integer');
	return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const o = parseCli(process.argv.slice(2));
	const t0 = performance.now();
	const s = makeCapture(o);
	console.log(`${o.out}: ${s.packets} packets, ${(s.bytes / 1e6).toFixed(1)} MB, ${s.flows} flows, ${s.names} names, ${s.seconds.toFixed(0)} s of capture (${((performance.now() - t0) / 1000).toFixed(1)} s to build)`);
}
