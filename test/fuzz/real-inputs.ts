/**
 * Real inputs for the property tests to mutate: the captures, key logs and logcat files under
 * test/fixtures and captures/, and the shared corpus (../shared/corpus) when it is there. Read
 * once per test file, bounded, and sorted so a seed names the same case on every machine.
 */
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {decodePacket, isPacket, PROTO_TCP, PROTO_UDP} from '../../source/decode/packet.js';
import {looksLikeHttpRequest} from '../../source/decode/http.js';
import {looksLikeQuicInitial} from '../../source/decode/quic.js';
import {looksLikeTls} from '../../source/decode/tls.js';
import {CaptureParser} from '../../source/sources/capture-reader.js';
import type {RawPacket} from '../../source/types.js';
import {corpusDir, hasCorpus, repoRoot} from '../helpers/corpus.js';

// CI has the corpus checked out beside the repo; a run there without it would test less, silently.
if (process.env.CI && !hasCorpus) throw new Error(`the shared corpus is missing at ${corpusDir} (set TATTLE_CORPUS)`);

/** Seeds kept per kind: enough variety, few enough that picking one stays cheap. */
const MAX_SEEDS = 400;
/** Files read for seeds are cut to this: a mutant of a 2 MB capture costs more than it finds. */
const MAX_FILE_BYTES = 256 * 1024;

function walk(dir: string, keep: (f: string) => boolean): string[] {
	if (!existsSync(dir)) return [];
	const out: string[] = [];
	for (const e of readdirSync(dir, {withFileTypes: true})) {
		const p = path.join(dir, e.name);
		if (e.isDirectory()) out.push(...walk(p, keep));
		else if (keep(e.name)) out.push(p);
	}
	return out.sort();
}

const roots = [path.join(repoRoot, 'test', 'fixtures'), path.join(repoRoot, 'captures'), ...(hasCorpus ? [corpusDir] : [])];

function files(keep: (f: string) => boolean): string[] {
	return roots.flatMap((r) => walk(r, keep));
}

function head(file: string): Uint8Array {
	const b = readFileSync(file);
	return new Uint8Array(b.subarray(0, Math.min(b.length, MAX_FILE_BYTES)));
}

/** Every capture file, each cut to MAX_FILE_BYTES. */
export const captureFiles = (): Uint8Array[] => (cache.captures ??= files((f) => /\.pcap(ng)?$/.test(f)).map(head));

/** The packets of every capture (copied), in file order. */
export function realPackets(): RawPacket[] {
	if (cache.packets) return cache.packets;
	const out: RawPacket[] = [];
	for (const bytes of captureFiles()) {
		const p = new CaptureParser((pkt) => out.push({...pkt, data: new Uint8Array(pkt.data)}));
		p.push(bytes);
		p.end();
	}
	return (cache.packets = out);
}

export type PayloadSeeds = {dns: Uint8Array[]; tls: Uint8Array[]; http: Uint8Array[]; quic: Uint8Array[]; tcp: Uint8Array[]; udp: Uint8Array[]; frames: RawPacket[]};

/** Transport payloads of the real packets, by what they look like. */
export function payloadSeeds(): PayloadSeeds {
	if (cache.payloads) return cache.payloads;
	const s: PayloadSeeds = {dns: [], tls: [], http: [], quic: [], tcp: [], udp: [], frames: []};
	const add = (list: Uint8Array[], b: Uint8Array) => {
		if (list.length < MAX_SEEDS) list.push(new Uint8Array(b));
	};
	for (const raw of realPackets()) {
		if (s.frames.length < MAX_SEEDS * 4) s.frames.push(raw);
		const m = decodePacket(raw);
		if (!isPacket(m) || m.payload.length === 0) continue;
		const b = m.payload;
		if (m.proto === PROTO_UDP) {
			if (m.sport === 53 || m.dport === 53 || m.sport === 5353 || m.dport === 5353) add(s.dns, b);
			else if (looksLikeQuicInitial(b)) add(s.quic, b);
			else add(s.udp, b);
		} else if (m.proto === PROTO_TCP) {
			if (looksLikeTls(b) && b.length > 5) add(s.tls, b);
			else if (looksLikeHttpRequest(b) && b.length > 16) add(s.http, b);
			else add(s.tcp, b);
		}
	}
	return (cache.payloads = s);
}

/** Lines of every logcat text (fixtures, bundles, corpus), at most MAX_SEEDS * 10. */
export function logcatLines(): string[] {
	if (cache.logcat) return cache.logcat;
	const lines: string[] = [];
	const logs = files((f) => /logcat|\.log$/.test(f) && !f.endsWith('.csv')).concat(walk(path.join(repoRoot, 'test', 'fixtures', 'logcat'), (f) => f.endsWith('.txt')));
	for (const f of [...new Set(logs)].sort()) {
		if (statSync(f).size === 0) continue;
		for (const l of Buffer.from(head(f)).toString('utf8').split('\n')) if (lines.length < MAX_SEEDS * 10) lines.push(l);
	}
	return (cache.logcat = lines);
}

/** The NSS key log files of the TLS fixtures. */
export const keyLogTexts = (): string[] => (cache.keylogs ??= files((f) => f.endsWith('.keys')).map((f) => readFileSync(f, 'utf8')));

const cache: {captures?: Uint8Array[]; packets?: RawPacket[]; payloads?: PayloadSeeds; logcat?: string[]; keylogs?: string[]} = {};

// ---------------------------------------------------------------------------------------------
// Mutation: what a damaged, truncated or hostile variant of a real input looks like.

/** Values that sit on length and type boundaries. */
const INTERESTING = [0, 1, 0x3f, 0x40, 0x7f, 0x80, 0xbf, 0xc0, 0xfe, 0xff];

type Mutation =
	| {op: 'set'; at: number; value: number}
	| {op: 'flip'; at: number; bit: number}
	| {op: 'insert'; at: number; bytes: Uint8Array}
	| {op: 'delete'; at: number; n: number}
	| {op: 'repeat'; at: number; n: number; times: number}
	| {op: 'truncate'; at: number}
	| {op: 'u16'; at: number; value: number};

const position = fc.nat({max: 0xffff});

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
	fc.record({op: fc.constant('set' as const), at: position, value: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat({max: 255}))}),
	fc.record({op: fc.constant('flip' as const), at: position, bit: fc.nat({max: 7})}),
	fc.record({op: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({minLength: 1, maxLength: 32})}),
	fc.record({op: fc.constant('delete' as const), at: position, n: fc.integer({min: 1, max: 64})}),
	fc.record({op: fc.constant('repeat' as const), at: position, n: fc.integer({min: 1, max: 64}), times: fc.integer({min: 2, max: 16})}),
	fc.record({op: fc.constant('truncate' as const), at: position}),
	fc.record({op: fc.constant('u16' as const), at: position, value: fc.constantFrom(0, 1, 0x7fff, 0x8000, 0xffff, 0x3fff, 0xc00c)}),
);

/** Applies mutations in order; positions wrap around the current length. */
export function applyMutations(input: Uint8Array, ops: readonly Mutation[]): Uint8Array {
	let b = Uint8Array.from(input);
	for (const m of ops) {
		const n = b.length;
		const at = n === 0 ? 0 : m.at % n;
		switch (m.op) {
			case 'set':
				if (n > 0) b[at] = m.value;
				break;
			case 'flip':
				if (n > 0) b[at]! ^= 1 << m.bit;
				break;
			case 'u16':
				if (n > 1) {
					b[Math.min(at, n - 2)] = m.value >> 8;
					b[Math.min(at, n - 2) + 1] = m.value & 0xff;
				}
				break;
			case 'insert': {
				const out = new Uint8Array(n + m.bytes.length);
				out.set(b.subarray(0, at));
				out.set(m.bytes, at);
				out.set(b.subarray(at), at + m.bytes.length);
				b = out;
				break;
			}
			case 'delete': {
				const out = new Uint8Array(Math.max(0, n - Math.min(m.n, n - at)));
				out.set(b.subarray(0, at));
				out.set(b.subarray(at + m.n), at);
				b = out;
				break;
			}
			case 'repeat': {
				const piece = b.subarray(at, at + m.n);
				const out = new Uint8Array(n + piece.length * (m.times - 1));
				out.set(b.subarray(0, at + piece.length));
				for (let k = 1; k < m.times; k++) out.set(piece, at + piece.length * k);
				out.set(b.subarray(at + piece.length), at + piece.length * m.times);
				b = out;
				break;
			}
			case 'truncate':
				b = b.subarray(0, at);
				break;
		}
	}
	return b;
}

/** A real input picked from `seeds`, then 0-8 mutations. */
export function mutated(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
	if (seeds.length === 0) throw new Error('no seeds to mutate: the fixtures are missing');
	return fc.tuple(fc.nat({max: seeds.length - 1}), fc.array(mutation, {maxLength: 8})).map(([i, ops]) => applyMutations(seeds[i]!, ops));
}

/** Arbitrary bytes, or a mutant of a real input: the two halves of every byte-level property. */
export function bytesFor(seeds: readonly Uint8Array[], maxLength = 2048): fc.Arbitrary<Uint8Array> {
	return fc.oneof({weight: 1, arbitrary: fc.uint8Array({maxLength})}, {weight: 3, arbitrary: mutated(seeds)});
}

/** Splits `b` into chunks at the given cut points (any order, any count), for chunking invariance. */
export function chunksAt(b: Uint8Array, cuts: readonly number[]): Uint8Array[] {
	const points = [...new Set(cuts.map((c) => (b.length === 0 ? 0 : c % (b.length + 1))))].sort((x, y) => x - y);
	const out: Uint8Array[] = [];
	let from = 0;
	for (const p of points) {
		out.push(b.subarray(from, p));
		from = p;
	}
	out.push(b.subarray(from));
	return out;
}
