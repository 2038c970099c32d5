/**
 * The flow table (5-tuple -> per-flow totals, bounded, LRU) and the IP -> name map learnt from
 * DNS answers. Pure data structures: time comes from the packets.
 *
 * Over 300 lines because the flow table and the IP -> name map are bounded LRU structures used
 * together on every packet.
 */

import type {NameVia, PacketMeta} from '../types.js';
import type {DnsMessage} from './dns.js';

/**
 * Flows kept at once. A phone holds a few hundred connections; a long capture accumulates tens of
 * thousands of short ones. 65 536 flows at ~300 bytes each is ~20 MB: the most we spend before
 * folding the oldest into aggregates (onEvict).
 */
const FLOW_TABLE_DEFAULT_MAX = 65_536;
/** Addresses remembered by IpNames; one per resolved address, a day of browsing stays under this. */
const IP_NAMES_DEFAULT_MAX = 16_384;
/** CNAME links followed back to the queried name; resolvers stop chains at 8-16 links. */
const MAX_CNAME_CHAIN = 16;
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
/** FlowRecord.closing bits. */
const FIN_FROM_CLIENT = 1;
const FIN_FROM_SERVER = 2;
const RESET = 4;

/** One conversation, both directions. "Out" is client -> server. */
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
	name?: string;
	via?: NameVia;
	/** App attribution, filled by a later layer. */
	app?: {uid?: number; package?: string};
	/** Free slot for other decoders' per-flow state (reassembly buffers...). */
	ext?: unknown;
};

/** The 5-tuple key, the same for both directions (lower endpoint first). */
export function flowKey(proto: number, src: string, sport: number, dst: string, dport: number): string {
	return src < dst || (src === dst && sport <= dport)
		? `${proto} ${src} ${sport} ${dst} ${dport}`
		: `${proto} ${dst} ${dport} ${src} ${sport}`;
}

/** Which side of a new flow's first packet is the client: true when the sender is. */
function senderIsClient(meta: PacketMeta): boolean {
	if (meta.proto === 6) {
		const syn = (meta.tcpFlags & TCP_SYN) !== 0;
		const ack = (meta.tcpFlags & TCP_ACK) !== 0;
		if (syn) return !ack;
	}
	// Mid-stream start: the side on a service port is the server.
	if (meta.sport !== 0 && meta.sport < EPHEMERAL_PORT_MIN && meta.dport >= EPHEMERAL_PORT_MIN) return false;
	return true;
}

/** Names a flow, unless it already has a name from the connection itself (SNI/Host beat DNS). */
export function nameFlow(flow: Flow, name: string, via: NameVia): void {
	if (flow.name && flow.via !== 'dns' && via === 'dns') return;
	flow.name = name;
	flow.via = via;
}

type FlowTableOptions = {
	maxFlows?: number;
	/** Called with a flow as it is evicted, so its totals can be folded into aggregates. */
	onEvict?: (flow: Flow) => void;
	/** Called with a flow as it expires (closed TCP past its linger, UDP gone quiet). */
	onExpire?: (flow: Flow) => void;
};

/**
 * LRU list node: the flow record itself carries its neighbours, so a touch is a few pointer
 * moves, not a Map re-insert (and a flow costs one object, not two).
 */
type Node = FlowRecord;

/** Ports and protocol of a 5-tuple as one number (lower endpoint's port first; < 2^40, exact). */
function portsKey(proto: number, lowPort: number, highPort: number): number {
	return (lowPort * 65536 + highPort) * 256 + proto;
}

/** True when (a, aPort) is the lower endpoint, in flowKey's order. */
function isLow(a: string, aPort: number, b: string, bPort: number): boolean {
	return a < b || (a === b && aPort <= bPort);
}

/** Bounded 5-tuple flow table; the least recently seen flow is evicted first, in O(1). */
export class FlowTable {
	/** Flows evicted because the table was full. */
	evictions = 0;
	/** Flows that left because they were over (closed TCP past TCP_CLOSED_LINGER_SECONDS, UDP idle UDP_IDLE_SECONDS). */
	expired = 0;
	readonly maxFlows: number;
	/**
	 * Flows by lower address, higher address, then ports and protocol. Nested maps, not one map by
	 * the flowKey string: building and hashing that string per packet was the costliest step of
	 * the whole pipeline (measured 3x slower); address strings come memoised with their hash.
	 */
	private readonly nodes = new Map<string, Map<string, Map<number, Node>>>();
	private count = 0;
	private readonly onEvict?: (flow: Flow) => void;
	private readonly onExpire?: (flow: Flow) => void;
	/** Least recently seen (evicted first) and most recently seen ends of the LRU list. */
	private head: Node | undefined;
	private tail: Node | undefined;
	/**
	 * Flows that can expire (UDP, closed TCP), oldest queueing first. The head is checked per
	 * packet: still in use, it goes back to the tail (once per linger period at most); quiet for
	 * its linger, it leaves. A second list, not the LRU: a quiet open TCP connection (a push
	 * channel) must not hold back the flows queued after it.
	 */
	private expHead: Node | undefined;
	private expTail: Node | undefined;
	/** Latest packet time seen (packets may come slightly out of order). */
	private now = 0;

	constructor(opts: FlowTableOptions = {}) {
		this.maxFlows = Math.max(1, opts.maxFlows ?? FLOW_TABLE_DEFAULT_MAX);
		this.onEvict = opts.onEvict;
		this.onExpire = opts.onExpire;
	}

	get size(): number {
		return this.count;
	}

	/** Account one packet to its flow (created on first sight) and return the flow. */
	observe(meta: PacketMeta): Flow {
		let node = this.tail;
		// Packet trains: the same flow again needs no key string and no look-up.
		if (node === undefined || !sameFlow(node, meta)) {
			node = this.lookup(meta.proto, meta.src, meta.sport, meta.dst, meta.dport);
			if (node === undefined) node = this.create(meta);
			else this.moveToTail(node);
		}
		const flow = node;
		const out = meta.src === flow.client && meta.sport === flow.clientPort;
		if (out) {
			flow.packetsOut++;
			flow.bytesOut += meta.len;
		} else {
			flow.packetsIn++;
			flow.bytesIn += meta.len;
		}
		flow.lastTs = meta.ts;
		if (meta.proto === 6 && (meta.tcpFlags & (TCP_FIN | TCP_RST)) !== 0) this.closing(flow, meta.tcpFlags, out);
		if (meta.ts > this.now) this.now = meta.ts;
		if (this.expHead !== undefined) this.expire(flow);
		return flow;
	}

	/** Notes a FIN or RST; a flow closed both ways (or reset) starts its linger. */
	private closing(flow: FlowRecord, flags: number, out: boolean): void {
		if ((flags & TCP_RST) !== 0) flow.closing |= RESET;
		else flow.closing |= out ? FIN_FROM_CLIENT : FIN_FROM_SERVER;
		const closed = (flow.closing & RESET) !== 0 || (flow.closing & (FIN_FROM_CLIENT | FIN_FROM_SERVER)) === (FIN_FROM_CLIENT | FIN_FROM_SERVER);
		if (closed && !flow.queued) this.enqueue(flow, this.now);
	}

	/** Seconds a queued flow may stay quiet before it leaves. */
	private static linger(flow: FlowRecord): number {
		return flow.proto === 6 ? TCP_CLOSED_LINGER_SECONDS : UDP_IDLE_SECONDS;
	}

	private enqueue(flow: FlowRecord, at: number): void {
		flow.queued = true;
		flow.queuedAt = at;
		flow.expPrev = this.expTail;
		flow.expNext = undefined;
		if (this.expTail) this.expTail.expNext = flow;
		else this.expHead = flow;
		this.expTail = flow;
	}

	private dequeue(flow: FlowRecord): void {
		if (!flow.queued) return;
		if (flow.expPrev) flow.expPrev.expNext = flow.expNext;
		else this.expHead = flow.expNext;
		if (flow.expNext) flow.expNext.expPrev = flow.expPrev;
		else this.expTail = flow.expPrev;
		flow.expPrev = flow.expNext = undefined;
		flow.queued = false;
	}

	/** Up to EXPIRE_STEPS looks at the expiry queue's head (never expiring `current`, the flow of the packet at hand). */
	private expire(current: FlowRecord): void {
		for (let i = 0; i < EXPIRE_STEPS; i++) {
			const f = this.expHead;
			if (f === undefined) return;
			const linger = FlowTable.linger(f);
			// Queued in order: when the head has not waited its linger, nobody behind it has.
			if (this.now - f.queuedAt < linger) return;
			this.dequeue(f);
			if (this.now - f.lastTs < linger || f === current) {
				this.enqueue(f, f.lastTs);
				continue;
			}
			this.remove(f);
			this.expired++;
			this.onExpire?.(f);
		}
	}

	/** The flow for a key, without touching it. */
	get(key: string): Flow | undefined {
		const [proto, a, aPort, b, bPort] = key.split(' ');
		return this.lookup(Number(proto), a ?? '', Number(aPort), b ?? '', Number(bPort));
	}

	private lookup(proto: number, src: string, sport: number, dst: string, dport: number): Node | undefined {
		return isLow(src, sport, dst, dport)
			? this.nodes.get(src)?.get(dst)?.get(portsKey(proto, sport, dport))
			: this.nodes.get(dst)?.get(src)?.get(portsKey(proto, dport, sport));
	}

	/** Takes a flow's node out of the maps (not the LRU list); undefined when it was not there. */
	private unmap(flow: Flow): Node | undefined {
		const low = isLow(flow.client, flow.clientPort, flow.server, flow.serverPort);
		const a = low ? flow.client : flow.server;
		const b = low ? flow.server : flow.client;
		const byHigh = this.nodes.get(a);
		const byPorts = byHigh?.get(b);
		const ports = low ? portsKey(flow.proto, flow.clientPort, flow.serverPort) : portsKey(flow.proto, flow.serverPort, flow.clientPort);
		const node = byPorts?.get(ports);
		if (node === undefined || node !== flow) return undefined;
		byPorts!.delete(ports);
		// Empty inner maps go too, so the maps stay bounded by the flows held.
		if (byPorts!.size === 0) {
			byHigh!.delete(b);
			if (byHigh!.size === 0) this.nodes.delete(a);
		}
		this.count--;
		return node;
	}

	/** Forgets a finished flow (not counted as an eviction); a later packet of its 5-tuple starts a new one. */
	remove(flow: Flow): void {
		const node = this.unmap(flow);
		if (node === undefined) return;
		this.dequeue(node);
		if (node.prev) node.prev.next = node.next;
		else this.head = node.next;
		if (node.next) node.next.prev = node.prev;
		else this.tail = node.prev;
		node.prev = node.next = undefined;
	}

	/** Forgets every flow (evictions stay counted); a later packet starts a new one. */
	clear(): void {
		this.nodes.clear();
		this.head = this.tail = undefined;
		this.expHead = this.expTail = undefined;
		this.count = 0;
	}

	/** Flows, least recently seen first. */
	*values(): IterableIterator<Flow> {
		// Bounded by the table size; a caller that mutates the table while iterating sees a snapshot's prefix.
		for (let n = this.head, i = 0; n !== undefined && i < this.maxFlows; n = n.next, i++) yield n;
	}

	private moveToTail(node: Node): void {
		if (node === this.tail) return;
		if (node.prev) node.prev.next = node.next;
		else this.head = node.next;
		node.next!.prev = node.prev;
		node.prev = this.tail;
		node.next = undefined;
		this.tail!.next = node;
		this.tail = node;
	}

	private create(meta: PacketMeta): Node {
		if (this.count >= this.maxFlows && this.head) {
			const oldest = this.head;
			this.head = oldest.next;
			if (this.head) this.head.prev = undefined;
			else this.tail = undefined;
			oldest.next = undefined;
			this.unmap(oldest);
			this.dequeue(oldest);
			this.evictions++;
			this.onEvict?.(oldest);
		}
		const node = new FlowRecord(meta, senderIsClient(meta));
		node.prev = this.tail;
		if (this.tail) this.tail.next = node;
		else this.head = node;
		this.tail = node;
		const low = isLow(meta.src, meta.sport, meta.dst, meta.dport);
		const a = low ? meta.src : meta.dst;
		const b = low ? meta.dst : meta.src;
		let byHigh = this.nodes.get(a);
		if (byHigh === undefined) this.nodes.set(a, (byHigh = new Map()));
		let byPorts = byHigh.get(b);
		if (byPorts === undefined) byHigh.set(b, (byPorts = new Map()));
		byPorts.set(low ? portsKey(meta.proto, meta.sport, meta.dport) : portsKey(meta.proto, meta.dport, meta.sport), node);
		this.count++;
		if (meta.proto === 17) this.enqueue(node, meta.ts);
		return node;
	}
}

/**
 * A flow as the table makes it. The key is computed when asked: nothing on the packet path reads
 * it, and a template string per flow kept ~5 cons-string pieces alive each (~10 MB at 60k flows).
 */
class FlowRecord implements Flow {
	proto: number;
	client: string;
	clientPort: number;
	server: string;
	serverPort: number;
	packetsOut = 0;
	bytesOut = 0;
	packetsIn = 0;
	bytesIn = 0;
	firstTs: number;
	lastTs: number;
	firstIndex: number;
	name?: string = undefined;
	via?: NameVia = undefined;
	app?: {uid?: number; package?: string};
	ext?: unknown = undefined;
	/** LRU neighbours (FlowTable's own; not part of the Flow contract). */
	prev: FlowRecord | undefined = undefined;
	next: FlowRecord | undefined = undefined;
	/** TCP FIN/RST seen (FIN_FROM_CLIENT, FIN_FROM_SERVER, RESET bits). */
	closing = 0;
	/** On the expiry queue, since `queuedAt` (FlowTable's own). */
	queued = false;
	queuedAt = 0;
	expPrev: FlowRecord | undefined = undefined;
	expNext: FlowRecord | undefined = undefined;

	constructor(meta: PacketMeta, fromClient: boolean) {
		this.proto = meta.proto;
		this.client = fromClient ? meta.src : meta.dst;
		this.clientPort = fromClient ? meta.sport : meta.dport;
		this.server = fromClient ? meta.dst : meta.src;
		this.serverPort = fromClient ? meta.dport : meta.sport;
		this.firstTs = meta.ts;
		this.lastTs = meta.ts;
		this.firstIndex = meta.index;
		this.app = meta.app;
	}

	get key(): string {
		return flowKey(this.proto, this.client, this.clientPort, this.server, this.serverPort);
	}
}

/** True when the packet belongs to the flow (either direction). */
function sameFlow(f: Flow, m: PacketMeta): boolean {
	if (f.proto !== m.proto) return false;
	return (
		(m.sport === f.clientPort && m.dport === f.serverPort && m.src === f.client && m.dst === f.server) ||
		(m.sport === f.serverPort && m.dport === f.clientPort && m.src === f.server && m.dst === f.client)
	);
}

type IpName = {name: string; via: 'dns'};

/** Address -> the name the user asked DNS for (CNAME chains followed back), capped LRU. */
export class IpNames {
	readonly maxEntries: number;
	private readonly map = new Map<string, IpName>();

	constructor(maxEntries = IP_NAMES_DEFAULT_MAX) {
		this.maxEntries = Math.max(1, maxEntries);
	}

	get size(): number {
		return this.map.size;
	}

	/** Learn the A/AAAA answers of a response, each named after the question that led to it. */
	learn(msg: DnsMessage): void {
		if (!msg.response || msg.answers.length === 0) return;
		// target (lowercase) -> owner, for walking CNAME chains backwards.
		let cnameOwner: Map<string, string> | undefined;
		for (const a of msg.answers) {
			if (a.rrtype === 5 && a.value) (cnameOwner ??= new Map()).set(a.value.toLowerCase(), a.name);
		}
		for (const a of msg.answers) {
			if ((a.rrtype !== 1 && a.rrtype !== 28) || !a.value || !a.name) continue;
			let name = a.name;
			if (cnameOwner) {
				for (let i = 0; i < MAX_CNAME_CHAIN; i++) {
					const prev = cnameOwner.get(name.toLowerCase());
					if (prev === undefined || prev === name) break;
					name = prev;
				}
			}
			this.set(a.value, name);
		}
	}

	/** Remember one address's name (most recent answer wins). */
	set(ip: string, name: string): void {
		const had = this.map.get(ip);
		if (had) this.map.delete(ip);
		else if (this.map.size >= this.maxEntries) this.map.delete(this.map.keys().next().value as string);
		this.map.set(ip, had && had.name === name ? had : {name, via: 'dns'});
	}

	/** The name DNS gave this address, if any. */
	nameOf(ip: string): IpName | undefined {
		const n = this.map.get(ip);
		if (n) {
			this.map.delete(ip);
			this.map.set(ip, n);
		}
		return n;
	}
}
