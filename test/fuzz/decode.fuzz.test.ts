/**
 * Properties of the byte-level decoders: link/IP/TCP/UDP (decodePacket, linkPayload), DNS
 * (parseDns, DnsTcpStream), the TLS ClientHello, HTTP/1 requests and QUIC Initials. Inputs are
 * arbitrary bytes and mutants of the real payloads in the fixtures and the corpus; oracles are
 * messages built here from arbitrary fields, which must decode back to those fields.
 */
import {createCipheriv} from 'node:crypto';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {DNS_MAX_ANSWERS, DNS_MAX_NAME_BYTES, DNS_MAX_QUESTIONS, DnsTcpStream, parseDns} from '../../source/decode/dns.js';
import {HTTP_METHODS, parseHttpRequest} from '../../source/decode/http.js';
import {LINK_TRUNCATED, LINK_UNKNOWN, LINKTYPE, NET_KINDS, linkPayload} from '../../source/decode/link.js';
import {decodePacket, isPacket} from '../../source/decode/packet.js';
import {deriveClientKeys, newQuicCryptoState, parseQuicInitial, QUIC_CRYPTO_CAP, QUIC_V1} from '../../source/decode/quic.js';
import {parseClientHello, parseHandshakeClientHello} from '../../source/decode/tls.js';
import {bytes, be16, dnsName, ether, ipv4, ipv6, raw, tcp, udp} from '../decode/frames.js';
import {fuzzOptions, timed} from './fuzz-options.js';
import {bytesFor, chunksAt, mutated, payloadSeeds} from './real-inputs.js';

const seeds = payloadSeeds();
const LINK_TYPES = [...Object.values(LINKTYPE), 7, 300, 0xffff];

// ---------------------------------------------------------------------------------------------
// Link, IP, TCP, UDP

describe('decodePacket and linkPayload', () => {
	const frames = seeds.frames.map((f) => f.data);
	const linkOf = new Map(seeds.frames.map((f) => [f.data, f.linkType]));

	it('any frame on any link type: no throw, offsets inside the frame, the payload a view inside it', () => {
		fc.assert(
			fc.property(bytesFor(frames, 1600), fc.constantFrom(...LINK_TYPES), fc.boolean(), (data, anyLink, keepLink) => {
				const linkType = keepLink ? (linkOf.get(data) ?? anyLink) : anyLink;
				const link = timed(() => linkPayload(linkType, data));
				if (link !== LINK_UNKNOWN && link !== LINK_TRUNCATED) {
					expect(link).toBeGreaterThanOrEqual(0);
					expect(Math.floor(link / NET_KINDS)).toBeLessThanOrEqual(data.length);
				}
				const m = timed(() => decodePacket(raw(linkType, data)));
				if (!isPacket(m)) return;
				expect([0, 4, 6]).toContain(m.ipVersion);
				expect(m.sport).toBeGreaterThanOrEqual(0);
				expect(m.sport).toBeLessThanOrEqual(0xffff);
				expect(m.dport).toBeLessThanOrEqual(0xffff);
				expect(m.payload.length).toBeLessThanOrEqual(data.length);
				if (m.payload.length > 0) {
					expect(m.payload.buffer).toBe(data.buffer);
					expect(m.payload.byteOffset).toBeGreaterThanOrEqual(data.byteOffset);
					expect(m.payload.byteOffset + m.payload.length).toBeLessThanOrEqual(data.byteOffset + data.length);
				}
			}),
			fuzzOptions(400),
		);
	});

	const ip4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
	// Groups often zero, so the :: compression is exercised.
	const ip6 = fc.array(fc.oneof(fc.constant(0), fc.constant(0xffff), fc.nat(0xffff)), {minLength: 8, maxLength: 8}).map((gs) => gs.map((g) => g.toString(16).padStart(4, '0')).join(''));
	/**
	 * inet_ntop's text of 32 hex digits: the WHATWG URL serializer (lower case, first longest zero
	 * run as ::), except that glibc writes IPv4-compatible and IPv4-mapped addresses dotted.
	 */
	const ip6Text = (hex: string) => {
		const g = hex.match(/.{4}/g)!.map((x) => parseInt(x, 16));
		const dotted = `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
		if (g.slice(0, 6).every((x) => x === 0) && g[6] !== 0) return `::${dotted}`;
		if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${dotted}`;
		return new URL(`http://[${g.map((x) => x.toString(16)).join(':')}]/`).hostname.slice(1, -1);
	};

	it('oracle: TCP and UDP over IPv4/IPv6, raw or in Ethernet (with VLAN tags), decode to the fields they were built from', () => {
		fc.assert(
			fc.property(
				fc.boolean(),
				fc.boolean(),
				fc.nat(2),
				fc.tuple(ip4, ip4, ip6, ip6),
				fc.integer({min: 0, max: 0xffff}),
				fc.integer({min: 0, max: 0xffff}),
				fc.uint8Array({maxLength: 200}),
				(v6, isTcp, vlans, [s4, d4, s6, d6], sport, dport, payload) => {
					const proto = isTcp ? 6 : 17;
					const l4 = isTcp ? tcp(sport, dport, 0x18, 12345, payload) : udp(sport, dport, payload);
					const l3 = v6 ? ipv6(s6, d6, proto, l4) : ipv4(s4, d4, proto, l4);
					const inEther = vlans > 0 || sport % 2 === 0;
					const frame = inEther ? ether(v6 ? 0x86dd : 0x0800, l3, new Array(vlans).fill(0x8100)) : l3;
					const m = decodePacket(raw(inEther ? LINKTYPE.ETHERNET : LINKTYPE.RAW, frame));
					expect(isPacket(m)).toBe(true);
					if (!isPacket(m)) return;
					expect([m.ipVersion, m.proto, m.sport, m.dport]).toEqual([v6 ? 6 : 4, proto, sport, dport]);
					expect(Buffer.from(m.payload).toString('hex')).toBe(Buffer.from(payload).toString('hex'));
					expect([m.src, m.dst]).toEqual(v6 ? [ip6Text(s6), ip6Text(d6)] : [s4, d4]);
				},
			),
			fuzzOptions(300),
		);
	});
});

// ---------------------------------------------------------------------------------------------
// DNS

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const hostName = fc.array(label, {minLength: 1, maxLength: 5}).map((ls) => ls.join('.'));

/** A DNS message with suffix compression, as servers write them: each suffix written once, then pointed at. */
function dnsMessage(questions: Array<{name: string; qtype: number}>, answers: Array<{name: string; a: number[]}>, response: boolean): Uint8Array {
	const out: number[] = [...be16(0x4242), response ? 0x81 : 0x01, response ? 0x80 : 0x00, ...be16(questions.length), ...be16(answers.length), 0, 0, 0, 0];
	const seen = new Map<string, number>();
	const name = (n: string) => {
		const labels = n.split('.');
		for (let i = 0; i < labels.length; i++) {
			const suffix = labels.slice(i).join('.');
			const at = seen.get(suffix);
			if (at !== undefined) {
				out.push(0xc0 | (at >> 8), at & 0xff);
				return;
			}
			if (out.length < 0x3fff) seen.set(suffix, out.length);
			out.push(labels[i]!.length, ...Buffer.from(labels[i]!, 'latin1'));
		}
		out.push(0);
	};
	for (const q of questions) {
		name(q.name);
		out.push(...be16(q.qtype), 0, 1);
	}
	for (const a of answers) {
		name(a.name);
		out.push(0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...a.a);
	}
	return Uint8Array.from(out);
}

describe('parseDns and DnsTcpStream', () => {
	it('any bytes: no throw, lists within their caps and the header counts, names bounded', () => {
		fc.assert(
			fc.property(bytesFor(seeds.dns, 700), (b) => {
				const m = timed(() => parseDns(b));
				if (b.length < 12) {
					expect(m).toBeNull();
					return;
				}
				expect(m).not.toBeNull();
				expect(m!.questions.length).toBeLessThanOrEqual(Math.min(DNS_MAX_QUESTIONS, m!.qdCount));
				expect(m!.answers.length).toBeLessThanOrEqual(DNS_MAX_ANSWERS);
				// A name is at most 255 bytes; tshark's rendering spells an odd byte in at most 4 characters.
				for (const q of m!.questions) expect(q.name.length).toBeLessThanOrEqual(4 * DNS_MAX_NAME_BYTES);
				for (const a of m!.answers) expect(a.name.length).toBeLessThanOrEqual(4 * DNS_MAX_NAME_BYTES);
			}),
			fuzzOptions(500),
		);
	});

	it('oracle: names we encode (with compression pointers) decode to themselves, with their types and A records', () => {
		const q = fc.record({name: hostName, qtype: fc.constantFrom(1, 5, 12, 28, 65)});
		const a = fc.record({name: hostName, a: fc.array(fc.nat(255), {minLength: 4, maxLength: 4})});
		fc.assert(
			fc.property(fc.array(q, {minLength: 1, maxLength: 8}), fc.array(a, {maxLength: 8}), (qs, as) => {
				const m = parseDns(dnsMessage(qs, as, true))!;
				expect(m.malformed).toBe(false);
				expect(m.questions).toEqual(qs.map((x) => ({name: x.name, qtype: x.qtype})));
				expect(m.answers.map((x) => [x.name, x.type, x.value])).toEqual(as.map((x) => [x.name, 'A', x.a.join('.')]));
			}),
			fuzzOptions(300),
		);
	});

	it('DNS over TCP: length-prefixed messages in any segmentation give the messages parseDns gives', () => {
		const msg = fc.oneof(mutated(seeds.dns), fc.array(hostName, {minLength: 1, maxLength: 3}).map((ns) => dnsMessage(ns.map((name) => ({name, qtype: 1})), [], false)));
		fc.assert(
			fc.property(fc.array(msg, {minLength: 1, maxLength: 6}), fc.array(fc.nat(), {maxLength: 10}), (msgs, cuts) => {
				const framed = Uint8Array.from(msgs.flatMap((m) => [...be16(m.length), ...m]));
				const stream = new DnsTcpStream();
				const got = timed(() => chunksAt(framed, cuts).flatMap((c) => stream.push(c)));
				expect(got).toEqual(msgs.map((m) => parseDns(m)).filter((m) => m !== null));
				expect(stream.held()).toBe(0);
			}),
			fuzzOptions(200),
		);
	});
});

// ---------------------------------------------------------------------------------------------
// TLS ClientHello

const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u24 = (n: number) => [(n >> 16) & 0xff, ...u16(n & 0xffff)];
const alpnId = fc.stringMatching(/^[a-z0-9/.-]{1,12}$/);

/** A ClientHello handshake message with SNI and ALPN, and `grease` filler extensions. */
function clientHello(sni: string, alpn: string[], grease: number): number[] {
	const ext = (type: number, data: number[]) => [...u16(type), ...u16(data.length), ...data];
	const host = [...Buffer.from(sni, 'latin1')];
	const entry = [0, ...u16(host.length), ...host];
	const protos = alpn.flatMap((p) => [p.length, ...Buffer.from(p, 'latin1')]);
	const exts = [
		...ext(0x0a0a, []),
		...ext(0, [...u16(entry.length), ...entry]),
		...(alpn.length > 0 ? ext(16, [...u16(protos.length), ...protos]) : []),
		...Array.from({length: grease}, (_, i) => ext(0x1a1a + i, [1, 2, 3])).flat(),
	];
	const body = [3, 3, ...new Array(32).fill(0x42), 32, ...new Array(32).fill(7), ...u16(4), 0x13, 0x01, 0x13, 0x02, 1, 0, ...u16(exts.length), ...exts];
	return [1, ...u24(body.length), ...body];
}

function inRecords(msg: number[], size: number): Uint8Array {
	const out: number[] = [];
	for (let p = 0; p < msg.length; p += size) {
		const frag = msg.slice(p, p + size);
		out.push(22, 3, 1, ...u16(frag.length), ...frag);
	}
	return Uint8Array.from(out);
}

describe('parseClientHello', () => {
	it('any bytes: no throw; ok results bounded; incomplete asks for more than it has', () => {
		fc.assert(
			fc.property(bytesFor(seeds.tls, 3000), fc.boolean(), (b, truncated) => {
				for (const r of [timed(() => parseClientHello(b, truncated)), timed(() => parseHandshakeClientHello(b.subarray(5), truncated))]) {
					if (r.status === 'ok') {
						expect(r.hello.extensions.length).toBeLessThanOrEqual(128);
						expect(r.hello.alpn.length).toBeLessThanOrEqual(16);
						expect((r.hello.sni ?? '').length).toBeLessThanOrEqual(b.length);
					}
				}
				const r = parseClientHello(b, false);
				if (r.status === 'incomplete' && r.need !== undefined) expect(r.need).toBeGreaterThan(b.length);
			}),
			fuzzOptions(400),
		);
	});

	it('oracle: SNI and ALPN we put in come out, whatever the record size, and every prefix is incomplete', () => {
		fc.assert(
			fc.property(hostName, fc.array(alpnId, {maxLength: 5}), fc.nat(30), fc.integer({min: 8, max: 16384}), fc.nat(), (sni, alpn, grease, size, cut) => {
				const stream = inRecords(clientHello(sni, alpn, grease), size);
				const r = parseClientHello(stream);
				expect(r).toMatchObject({status: 'ok', hello: {sni, alpn}});
				const prefix = stream.subarray(0, cut % stream.length);
				expect(parseClientHello(prefix).status).toBe('incomplete');
			}),
			fuzzOptions(300),
		);
	});
});

// ---------------------------------------------------------------------------------------------
// HTTP/1 requests

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,16}$/);
const fieldValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);
const target = fc.stringMatching(/^\/[\x21-\x7e]{0,40}$/);

describe('parseHttpRequest', () => {
	it('any bytes: no throw; what it consumed and kept is within the buffer and the body cap', () => {
		fc.assert(
			fc.property(bytesFor(seeds.http, 3000), fc.nat(3000), (b, maxBody) => {
				const r = timed(() => parseHttpRequest(b, maxBody));
				if (r.status !== 'ok') return;
				expect(r.req.consumed).toBeLessThanOrEqual(b.length);
				expect(r.req.body.length).toBeLessThanOrEqual(maxBody);
				expect(r.req.headers.length).toBeLessThanOrEqual(256);
			}),
			fuzzOptions(400),
		);
	});

	it('oracle: method, target, headers, Host and body we write are what it reads; a cut head is incomplete', () => {
		fc.assert(
			fc.property(
				fc.constantFrom(...HTTP_METHODS),
				target,
				fc.array(fc.tuple(token, fieldValue), {maxLength: 8}),
				fieldValue,
				fc.uint8Array({maxLength: 500}),
				fc.nat(),
				(method, path, fields, host, body, cut) => {
					const headers = [...fields.filter(([n]) => !/^(host|content-length|transfer-encoding)$/i.test(n)), ['Host', host] as [string, string]];
					const head = `${method} ${path} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}Content-Length: ${body.length}\r\n\r\n`;
					const buf = Uint8Array.from([...Buffer.from(head, 'latin1'), ...body]);
					const r = parseHttpRequest(buf);
					expect(r.status).toBe('ok');
					if (r.status !== 'ok') return;
					expect([r.req.method, r.req.path, r.req.version, r.req.host]).toEqual([method, path, 'HTTP/1.1', host]);
					expect(r.req.headers).toEqual([...headers, ['Content-Length', String(body.length)]]);
					expect(Buffer.from(r.req.body).equals(Buffer.from(body))).toBe(true);
					expect([r.req.consumed, r.req.bodyComplete]).toEqual([buf.length, true]);
					expect(parseHttpRequest(buf.subarray(0, cut % head.length)).status).toBe('incomplete');
				},
			),
			fuzzOptions(300),
		);
	});
});

// ---------------------------------------------------------------------------------------------
// QUIC Initial

/** QUIC varint (RFC 9000 16), 2 or 4 bytes. */
function varint(n: number): number[] {
	return n < 0x4000 ? [0x40 | (n >> 8), n & 0xff] : [0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** A client Initial (QUIC v1) carrying CRYPTO data at `offset`, protected as RFC 9001 5 says. */
function initialPacket(dcid: Uint8Array, pn: number, offset: number, data: number[]): Uint8Array {
	const keys = deriveClientKeys(dcid, QUIC_V1)!;
	const frame = [0x06, ...varint(offset), ...varint(data.length), ...data];
	const plain = Buffer.from([...frame, ...new Array(Math.max(0, 1162 - frame.length)).fill(0)]);
	const pnBytes = [(pn >>> 24) & 0xff, (pn >> 16) & 0xff, (pn >> 8) & 0xff, pn & 0xff];
	const header = Buffer.from([0xc3, 0, 0, 0, 1, dcid.length, ...dcid, 0, 0, ...varint(4 + plain.length + 16), ...pnBytes]);
	const nonce = Buffer.from(keys.iv);
	for (let i = 0; i < 4; i++) nonce[nonce.length - 4 + i]! ^= pnBytes[i]!;
	const gcm = createCipheriv('aes-128-gcm', keys.key, nonce);
	gcm.setAAD(header);
	const sealed = Buffer.concat([gcm.update(plain), gcm.final(), gcm.getAuthTag()]);
	const pnOffset = header.length - 4;
	// The sample starts 4 bytes after the packet number offset: with a 4-byte number, the ciphertext start.
	const sample = sealed.subarray(0, 16);
	const ecb = createCipheriv('aes-128-ecb', keys.hp, null);
	const mask = ecb.update(sample);
	header[0]! ^= mask[0]! & 0x0f;
	for (let i = 0; i < 4; i++) header[pnOffset + i]! ^= mask[1 + i]!;
	return new Uint8Array(Buffer.concat([header, sealed]));
}

describe('parseQuicInitial', () => {
	it('any datagram: no throw; CRYPTO kept within its cap', () => {
		fc.assert(
			fc.property(fc.array(bytesFor(seeds.quic, 1500), {minLength: 1, maxLength: 4}), (datagrams) => {
				const state = newQuicCryptoState();
				for (const d of datagrams) timed(() => parseQuicInitial(d, state, 1));
				expect(state.chunks.reduce((n, c) => n + c.data.length, 0)).toBeLessThanOrEqual(QUIC_CRYPTO_CAP);
				expect(state.chunks.length).toBeLessThanOrEqual(128);
			}),
			fuzzOptions(200),
		);
	});

	it('oracle: a ClientHello we protect into 1-3 Initials, sent in any order, gives back its SNI and ALPN', () => {
		fc.assert(
			fc.property(
				fc.uint8Array({minLength: 8, maxLength: 20}),
				hostName,
				fc.array(alpnId, {maxLength: 3}),
				fc.integer({min: 1, max: 3}),
				fc.array(fc.nat(), {minLength: 3, maxLength: 3}),
				(dcid, sni, alpn, parts, order) => {
					const msg = clientHello(sni, alpn, 20);
					const size = Math.ceil(msg.length / parts);
					const packets = Array.from({length: parts}, (_, i) => initialPacket(dcid, i, i * size, msg.slice(i * size, (i + 1) * size)));
					const sorted = packets.map((p, i) => ({p, k: order[i]!})).sort((a, b) => a.k - b.k).map((x) => x.p);
					const state = newQuicCryptoState();
					const results = sorted.map((p, i) => parseQuicInitial(p, state, i + 1));
					expect(results.slice(0, -1).every((r) => r.status === 'incomplete')).toBe(true);
					expect(results.at(-1)).toMatchObject({status: 'ok', sni, alpn});
				},
			),
			fuzzOptions(60),
		);
	});
});
