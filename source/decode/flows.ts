/**
 * The flow table: 5-tuple -> per-flow totals, bounded, LRU. Struct-of-arrays in typed arrays: a
 * flow is a slot number, its key is the address words and ports (no string), found through an
 * open-addressing hash index; the LRU and expiry lists are slot links, so a look-up, a touch and
 * an eviction are O(1) with no allocation. Other decoders hang their per-flow state on `ext[slot]`.
 * Pure: time comes from the packets.
 *
 * Over 300 lines because it is one structure whose index, LRU and expiry lists share the same
 * arrays and invariants; split, they would expose them.
 */

import type {PacketMeta} from '../types.js';
import {ipv4Text, ipv6Text} from './ip.js';


/**
 * Flows kept at once. A phone holds a few hundred connections; a long capture accumulates tens of
 * thousands of short ones. 65 536 flows cost ~7 MB of typed arrays (only the slots in use are
 * touched): the most we spend before folding the oldest into aggregates (onEvict).
 */
const FLOW_TABLE_DEFAULT_MAX = 65_536;
/** Ports below this are service ports; the other side of such a flow is the client. */
const EPHEMERAL_PORT_MIN = 1024;

/**
 * Seconds of capture time a TCP flow stays after it closed (FIN both ways, or RST), for the last
 * ACKs and retransmitted FINs: Linux's TIME_WAIT. Then it leaves the table, so a long capture
 * holds the connections open now, not every connection it ever saw.
 */
export const TCP_CLOSED_LINGER_SECONDS = 60;
/** Seconds of silence after which a UDP flow (QUIC, an unanswered DNS query...) leaves the table (conntrack's UDP stream timeout). */
export const UDP_IDLE_SECONDS = 120;
/** Expiry candidates examined per packet: bounds the work one packet can cause. */
const EXPIRE_STEPS = 2;

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;
/** closing bits. */
const FIN_FROM_CLIENT = 1;
const FIN_FROM_SERVER = 2;
const RESET = 4;

/** Key words per flow: lower endpoint's address (4 words), higher one's (4), both ports, protocol and IP version. */
const KEY_WORDS = 10;
const PORTS = 8;
const PROTO = 9;
/** No slot (end of a list). */
const NONE = -1;

/** What the table reads of a packet: its facts and where its addresses lie in the frame (PacketFields). */
type FlowPacket = Pick<PacketMeta, 'ipVersion' | 'proto' | 'sport' | 'dport' | 'tcpFlags' | 'len' | 'ts' | 'index'> & {
	readonly data: Uint8Array;
	readonly srcOff: number;
	readonly dstOff: number;
};

/** One conversation, both directions, as read from the table (a copy). "Out" is client -> server. */
export type Flow = {
	key: string;
	proto: number;
	client: string;
	clientPort: number;
	server: string;
	serverPort: number;
	packetsOut: number;
	bytesOut: number;
	packetsIn: number;
	bytesIn: number;
	firstTs: number;
	lastTs: number;
	/** Frame number of the first packet (evidence). */
	firstIndex: number;
};

/** A flow's protocol and its two ends, client first. */
export type FlowEndpoints = Pick<Flow, 'proto' | 'client' | 'clientPort' | 'server' | 'serverPort'>;

/** The 5-tuple key text, the same for both directions (lower endpoint first, in text order). */
export function flowKey(proto: number, src: string, sport: number, dst: string, dport: number): string {
	return src < dst || (src === dst && sport <= dport)
		? `${proto} ${src} ${sport} ${dst} ${dport}`
		: `${proto} ${dst} ${dport} ${src} ${sport}`;
}

/** Which side of a new flow's first packet is the client: true when the sender is. */
function senderIsClient(p: FlowPacket): boolean {
	if (p.proto === 6) {
		const syn = (p.tcpFlags & TCP_SYN) !== 0;
		const ack = (p.tcpFlags & TCP_ACK) !== 0;
		if (syn) return !ack;
	}
	// Mid-stream start: the side on a service port is the server.
	if (p.sport !== 0 && p.sport < EPHEMERAL_PORT_MIN && p.dport >= EPHEMERAL_PORT_MIN) return false;
	return true;
}

type FlowTableOptions = {
	maxFlows?: number;
	/** Called with a flow's slot as it is evicted (still readable: ext, flow()), so its totals can be folded into aggregates. */
	onEvict?: (slot: number) => void;
	/** Called with a flow's slot as it expires (closed TCP past its linger, UDP gone quiet). */
	onExpire?: (slot: number) => void;
};

/** Big-endian 32-bit word at `off`, signed (a small integer, never a heap number). */
function word(d: Uint8Array, off: number): number {
	return (d[off]! << 24) | (d[off + 1]! << 16) | (d[off + 2]! << 8) | d[off + 3]!;
}

/** Bounded 5-tuple flow table; the least recently seen flow is evicted first, in O(1). */
export class FlowTable {
	/** Flows evicted because the table was full. */
	evictions = 0;
	/** Flows that left because they were over (closed TCP past TCP_CLOSED_LINGER_SECONDS, UDP idle UDP_IDLE_SECONDS). */
	expired = 0;
	/** Direction of the packet `observe` saw last: true when it went client -> server. */
	fromClient = false;
	/** True when that packet started its flow. */
	created = false;
	readonly maxFlows: number;
	/** Other decoders' state per slot (cleared when the slot is freed). */
	readonly ext: unknown[] = [];

	private readonly keys: Int32Array;
	private readonly hashes: Int32Array;
	private readonly packetsOut: Float64Array;
	private readonly bytesOut: Float64Array;
	private readonly packetsIn: Float64Array;
	private readonly bytesIn: Float64Array;
	private readonly firstTs: Float64Array;
	private readonly lastTs: Float64Array;
	private readonly firstIndex: Float64Array;
	private readonly queuedAt: Float64Array;
	/** LRU links (least recently seen at head, evicted first). */
	private readonly prev: Int32Array;
	private readonly next: Int32Array;
	/**
	 * Expiry queue links: flows that can expire (UDP, closed TCP), oldest queueing first. The head
	 * is checked per packet: still in use, it goes back to the tail (once per linger period at
	 * most); quiet for its linger, it leaves. A second list, not the LRU: a quiet open TCP
	 * connection (a push channel) must not hold back the flows queued after it.
	 */
	private readonly expPrev: Int32Array;
	private readonly expNext: Int32Array;
	/** Per slot: bit 0 in use, bit 1 queued for expiry, bit 2 the client is the key's lower endpoint; bits 3-5 closing (FIN/RST). */
	private readonly bits: Uint8Array;
	/** Hash index: slot + 1 per entry, 0 empty; linear probing, at most half full. */
	private readonly index: Int32Array;
	private readonly mask: number;
	/** Freed slots to reuse first (a stack), then never-used ones from `fresh`: only touched pages become resident. */
	private readonly free: Int32Array;
	private freeTop = 0;
	private fresh = 0;
	private count = 0;
	private head = NONE;
	private tail = NONE;
	private expHead = NONE;
	private expTail = NONE;
	/** Latest packet time seen (packets may come slightly out of order). */
	private now = 0;
	/** The key of the packet at hand. */
	private readonly k = new Int32Array(KEY_WORDS);
	private readonly onEvict?: (slot: number) => void;
	private readonly onExpire?: (slot: number) => void;

	constructor(opts: FlowTableOptions = {}) {
		const max = Math.max(1, opts.maxFlows ?? FLOW_TABLE_DEFAULT_MAX);
		this.maxFlows = max;
		this.onEvict = opts.onEvict;
		this.onExpire = opts.onExpire;
		this.keys = new Int32Array(max * KEY_WORDS);
		this.hashes = new Int32Array(max);
		this.packetsOut = new Float64Array(max);
		this.bytesOut = new Float64Array(max);
		this.packetsIn = new Float64Array(max);
		this.bytesIn = new Float64Array(max);
		this.firstTs = new Float64Array(max);
		this.lastTs = new Float64Array(max);
		this.firstIndex = new Float64Array(max);
		this.queuedAt = new Float64Array(max);
		this.prev = new Int32Array(max);
		this.next = new Int32Array(max);
		this.expPrev = new Int32Array(max);
		this.expNext = new Int32Array(max);
		this.bits = new Uint8Array(max);
		this.free = new Int32Array(max);
		let size = 8;
		while (size < max * 2) size *= 2;
		this.index = new Int32Array(size);
		this.mask = size - 1;
	}

	get size(): number {
		return this.count;
	}

	/** Account one packet to its flow (created on first sight); returns the flow's slot and sets fromClient/created. */
	observe(p: FlowPacket): number {
		const k = this.k;
		const srcLow = this.keyOf(p, k);
		let slot = this.tail;
		this.created = false;
		// Packet trains: the same flow again needs no hashing.
		if (slot === NONE || !this.keyIs(slot, k)) {
			slot = this.find(k);
			if (slot === NONE) slot = this.create(p, srcLow);
			else this.moveToTail(slot);
		}
		const b = this.bits[slot]!;
		// A flow between one endpoint and itself: every packet goes "out" (the sender is the client).
		const same = k[PORTS]! >>> 16 === (k[PORTS]! & 0xffff) && this.sameAddress(k);
		const out = same || srcLow === ((b & 4) !== 0);
		this.fromClient = out;
		if (out) {
			this.packetsOut[slot]++;
			this.bytesOut[slot] += p.len;
		} else {
			this.packetsIn[slot]++;
			this.bytesIn[slot] += p.len;
		}
		this.lastTs[slot] = p.ts;
		if (p.proto === 6 && (p.tcpFlags & (TCP_FIN | TCP_RST)) !== 0) this.closing(slot, p.tcpFlags, out);
		if (p.ts > this.now) this.now = p.ts;
		if (this.expHead !== NONE) this.expire(slot);
		return slot;
	}

	/** Fills `k` with the packet's key; true when the sender is the key's lower endpoint. */
	private keyOf(p: FlowPacket, k: Int32Array): boolean {
		const d = p.data;
		let srcLow: boolean;
		if (p.ipVersion === 6) {
			let cmp = 0;
			for (let i = 0; i < 4 && cmp === 0; i++) {
				const s = word(d, p.srcOff + i * 4) >>> 0;
				const t = word(d, p.dstOff + i * 4) >>> 0;
				cmp = s < t ? -1 : s > t ? 1 : 0;
			}
			srcLow = cmp < 0 || (cmp === 0 && p.sport <= p.dport);
			const lo = srcLow ? p.srcOff : p.dstOff;
			const hi = srcLow ? p.dstOff : p.srcOff;
			for (let i = 0; i < 4; i++) {
				k[i] = word(d, lo + i * 4);
				k[4 + i] = word(d, hi + i * 4);
			}
		} else {
			const s = word(d, p.srcOff);
			const t = word(d, p.dstOff);
			srcLow = s >>> 0 < t >>> 0 || (s === t && p.sport <= p.dport);
			k[0] = srcLow ? s : t;
			k[4] = srcLow ? t : s;
			k[1] = k[2] = k[3] = k[5] = k[6] = k[7] = 0;
		}
		k[PORTS] = srcLow ? (p.sport << 16) | p.dport : (p.dport << 16) | p.sport;
		k[PROTO] = p.proto | (p.ipVersion << 8);
		return srcLow;
	}

	private sameAddress(k: Int32Array): boolean {
		return k[0] === k[4] && k[1] === k[5] && k[2] === k[6] && k[3] === k[7];
	}

	private keyIs(slot: number, k: Int32Array): boolean {
		const keys = this.keys;
		const o = slot * KEY_WORDS;
		if (keys[o + PORTS] !== k[PORTS] || keys[o] !== k[0] || keys[o + 4] !== k[4] || keys[o + PROTO] !== k[PROTO]) return false;
		return keys[o + 1] === k[1] && keys[o + 2] === k[2] && keys[o + 3] === k[3] && keys[o + 5] === k[5] && keys[o + 6] === k[6] && keys[o + 7] === k[7];
	}

	private static hash(k: Int32Array): number {
		// murmur3's 32-bit mixing, one key word at a time, then its finaliser.
		let h = 0x2f0b3c5d;
		for (let i = 0; i < KEY_WORDS; i++) {
			let w = Math.imul(k[i]!, 0xcc9e2d51);
			w = (w << 15) | (w >>> 17);
			h ^= Math.imul(w, 0x1b873593);
			h = (h << 13) | (h >>> 19);
			h = (Math.imul(h, 5) + 0xe6546b64) | 0;
		}
		h ^= h >>> 16;
		h = Math.imul(h, 0x85ebca6b);
		h ^= h >>> 13;
		h = Math.imul(h, 0xc2b2ae35);
		return h ^ (h >>> 16);
	}

	/** The slot holding key `k`, or NONE. */
	private find(k: Int32Array): number {
		const index = this.index;
		const mask = this.mask;
		for (let i = FlowTable.hash(k) & mask; ; i = (i + 1) & mask) {
			const e = index[i]!;
			if (e === 0) return NONE;
			if (this.keyIs(e - 1, k)) return e - 1;
		}
	}

	/** Notes a FIN or RST; a flow closed both ways (or reset) starts its linger. */
	private closing(slot: number, flags: number, out: boolean): void {
		let c = this.bits[slot]! >> 3;
		if ((flags & TCP_RST) !== 0) c |= RESET;
		else c |= out ? FIN_FROM_CLIENT : FIN_FROM_SERVER;
		this.bits[slot] = (this.bits[slot]! & 7) | (c << 3);
		const closed = (c & RESET) !== 0 || (c & (FIN_FROM_CLIENT | FIN_FROM_SERVER)) === (FIN_FROM_CLIENT | FIN_FROM_SERVER);
		if (closed && (this.bits[slot]! & 2) === 0) this.enqueue(slot, this.now);
	}

	/** Seconds a queued flow may stay quiet before it leaves. */
	private linger(slot: number): number {
		return (this.keys[slot * KEY_WORDS + PROTO]! & 0xff) === 6 ? TCP_CLOSED_LINGER_SECONDS : UDP_IDLE_SECONDS;
	}

	private enqueue(slot: number, at: number): void {
		this.bits[slot]! |= 2;
		this.queuedAt[slot] = at;
		this.expPrev[slot] = this.expTail;
		this.expNext[slot] = NONE;
		if (this.expTail !== NONE) this.expNext[this.expTail] = slot;
		else this.expHead = slot;
		this.expTail = slot;
	}

	private dequeue(slot: number): void {
		if ((this.bits[slot]! & 2) === 0) return;
		const p = this.expPrev[slot]!;
		const n = this.expNext[slot]!;
		if (p !== NONE) this.expNext[p] = n;
		else this.expHead = n;
		if (n !== NONE) this.expPrev[n] = p;
		else this.expTail = p;
		this.bits[slot]! &= ~2;
	}

	/** Up to EXPIRE_STEPS looks at the expiry queue's head (never expiring `current`, the flow of the packet at hand). */
	private expire(current: number): void {
		for (let i = 0; i < EXPIRE_STEPS; i++) {
			const f = this.expHead;
			if (f === NONE) return;
			const linger = this.linger(f);
			// Queued in order: when the head has not waited its linger, nobody behind it has.
			if (this.now - this.queuedAt[f]! < linger) return;
			this.dequeue(f);
			if (this.now - this.lastTs[f]! < linger || f === current) {
				this.enqueue(f, this.lastTs[f]!);
				continue;
			}
			this.expired++;
			this.onExpire?.(f);
			this.remove(f);
		}
	}

	/** The flow for a key text (IPv4 addresses), without touching it: a copy of its state. */
	get(key: string): Flow | undefined {
		const [proto, a, aPort, b, bPort] = key.split(' ');
		const words = (text: string | undefined) => {
			const q = (text ?? '').split('.').map(Number);
			return q.length === 4 && q.every((x) => Number.isInteger(x) && x >= 0 && x < 256) ? ((q[0]! << 24) | (q[1]! << 16) | (q[2]! << 8) | q[3]!) : undefined;
		};
		const x = words(a);
		const y = words(b);
		if (x === undefined || y === undefined) return undefined;
		const xl = x >>> 0 < y >>> 0 || (x === y && Number(aPort) <= Number(bPort));
		const k = new Int32Array(KEY_WORDS);
		k[0] = xl ? x : y;
		k[4] = xl ? y : x;
		k[PORTS] = xl ? (Number(aPort) << 16) | Number(bPort) : (Number(bPort) << 16) | Number(aPort);
		k[PROTO] = Number(proto) | (4 << 8);
		const slot = this.find(k);
		return slot === NONE ? undefined : this.flow(slot);
	}

	/** A copy of the flow in `slot` (for tests and reports; not on the packet path). */
	flow(slot: number): Flow {
		const {proto, client, clientPort, server, serverPort} = this.endpoints(slot);
		return {
			key: flowKey(proto, client, clientPort, server, serverPort),
			proto, client, clientPort, server, serverPort,
			packetsOut: this.packetsOut[slot]!, bytesOut: this.bytesOut[slot]!, packetsIn: this.packetsIn[slot]!, bytesIn: this.bytesIn[slot]!,
			firstTs: this.firstTs[slot]!, lastTs: this.lastTs[slot]!, firstIndex: this.firstIndex[slot]!,
		};
	}

	/** The flow's protocol and endpoints, the address text made from its key now (not on the packet path). */
	endpoints(slot: number): FlowEndpoints {
		const o = slot * KEY_WORDS;
		const keys = this.keys;
		const v6 = keys[o + PROTO]! >> 8 === 6;
		const text = (at: number) => {
			const b = new Uint8Array(v6 ? 16 : 4);
			for (let i = 0; i < b.length; i += 4) {
				const w = keys[o + at + i / 4]!;
				b[i] = w >>> 24;
				b[i + 1] = (w >>> 16) & 0xff;
				b[i + 2] = (w >>> 8) & 0xff;
				b[i + 3] = w & 0xff;
			}
			return v6 ? ipv6Text(b, 0) : ipv4Text(b, 0);
		};
		const lowIsClient = (this.bits[slot]! & 4) !== 0;
		const low = text(0);
		const high = text(4);
		const ports = keys[o + PORTS]!;
		return {
			proto: keys[o + PROTO]! & 0xff,
			client: lowIsClient ? low : high,
			clientPort: lowIsClient ? ports >>> 16 : ports & 0xffff,
			server: lowIsClient ? high : low,
			serverPort: lowIsClient ? ports & 0xffff : ports >>> 16,
		};
	}

	/** Time of the flow's first packet. */
	firstTsOf(slot: number): number {
		return this.firstTs[slot]!;
	}

	/** Takes a slot out of the hash index (backward-shift deletion: no tombstones, probes stay short). */
	private unindex(slot: number): void {
		const index = this.index;
		const mask = this.mask;
		let i = this.hashes[slot]! & mask;
		while (index[i] !== slot + 1) i = (i + 1) & mask;
		for (;;) {
			index[i] = 0;
			let j = i;
			for (;;) {
				j = (j + 1) & mask;
				const e = index[j]!;
				if (e === 0) return;
				const home = this.hashes[e - 1]! & mask;
				// An entry whose home lies cyclically in (i, j] stays; any other moves back into the hole.
				if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
				index[i] = e;
				i = j;
				break;
			}
		}
	}

	/**
	 * Forgets a finished flow (not counted as an eviction); a later packet of its 5-tuple starts a
	 * new one. The slot may then be reused: call it with the slot of a flow still in the table.
	 */
	remove(slot: number): void {
		if ((this.bits[slot]! & 1) === 0) return;
		this.unindex(slot);
		this.dequeue(slot);
		const p = this.prev[slot]!;
		const n = this.next[slot]!;
		if (p !== NONE) this.next[p] = n;
		else this.head = n;
		if (n !== NONE) this.prev[n] = p;
		else this.tail = p;
		this.bits[slot] = 0;
		this.ext[slot] = undefined;
		this.free[this.freeTop++] = slot;
		this.count--;
	}

	/** Forgets every flow (evictions stay counted); a later packet starts a new one. */
	clear(): void {
		this.index.fill(0);
		this.bits.fill(0);
		this.ext.length = 0;
		this.head = this.tail = NONE;
		this.expHead = this.expTail = NONE;
		this.count = 0;
		this.freeTop = 0;
		this.fresh = 0;
	}

	/** Slots in use, least recently seen first. */
	*slots(): IterableIterator<number> {
		// Bounded by the table size; a caller that removes flows while iterating sees a prefix.
		for (let s = this.head, i = 0; s !== NONE && i < this.maxFlows; s = this.next[s]!, i++) yield s;
	}

	/** Copies of the flows, least recently seen first. */
	*values(): IterableIterator<Flow> {
		for (const s of this.slots()) yield this.flow(s);
	}

	private moveToTail(slot: number): void {
		if (slot === this.tail) return;
		const p = this.prev[slot]!;
		const n = this.next[slot]!;
		if (p !== NONE) this.next[p] = n;
		else this.head = n;
		this.prev[n] = p;
		this.prev[slot] = this.tail;
		this.next[slot] = NONE;
		this.next[this.tail] = slot;
		this.tail = slot;
	}

	private create(p: FlowPacket, srcLow: boolean): number {
		if (this.count >= this.maxFlows && this.head !== NONE) {
			const oldest = this.head;
			this.evictions++;
			this.onEvict?.(oldest);
			this.remove(oldest);
		}
		const slot = this.freeTop > 0 ? this.free[--this.freeTop]! : this.fresh++;
		const k = this.k;
		const o = slot * KEY_WORDS;
		for (let i = 0; i < KEY_WORDS; i++) this.keys[o + i] = k[i]!;
		const h = FlowTable.hash(k);
		this.hashes[slot] = h;
		const index = this.index;
		let i = h & this.mask;
		while (index[i] !== 0) i = (i + 1) & this.mask;
		index[i] = slot + 1;
		const clientLow = senderIsClient(p) === srcLow;
		this.bits[slot] = 1 | (clientLow ? 4 : 0);
		this.packetsOut[slot] = this.bytesOut[slot] = this.packetsIn[slot] = this.bytesIn[slot] = 0;
		this.firstTs[slot] = this.lastTs[slot] = p.ts;
		this.firstIndex[slot] = p.index;
		this.prev[slot] = this.tail;
		this.next[slot] = NONE;
		if (this.tail !== NONE) this.next[this.tail] = slot;
		else this.head = slot;
		this.tail = slot;
		this.count++;
		this.created = true;
		if (p.proto === 17) this.enqueue(slot, p.ts);
		return slot;
	}
}
