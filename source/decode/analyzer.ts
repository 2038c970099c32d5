/**
 * The per-packet decoder chain: frame -> IP/TCP/UDP -> flow -> DNS / TLS ClientHello / HTTP
 * request / QUIC Initial. Stateful (flows, reassembly, the IP -> name map) but pure: no I/O, no
 * clocks; events go to a sink. Only flows whose first payload looks like TLS or HTTP are
 * buffered, and buffering stops once the hello is read, so the hot path stays a few compares.
 *
 * Over 300 lines because it is the decoder chain: each protocol's hand-off and buffering decision
 * is a few lines here; the protocols live in their own files.
 */
import type {DnsEvent, HttpEvent, NameVia, PacketMeta, QuicEvent, RawPacket, TlsEvent} from '../types.js';
import {decodeInto, PacketFields, PROTO_TCP, PROTO_UDP} from './packet.js';
import {FlowTable, type FlowEndpoints} from './flows.js';
import {IpNames} from './ip-names.js';
import {dnsEventFrom, dnsProtoForPorts, DnsTcpStream, parseDns} from './dns.js';
import {looksLikeTls, parseClientHello} from './tls.js';
import {looksLikeHttpRequest, parseHttpRequest} from './http.js';
import {looksLikeQuicInitial, newQuicCryptoState, parseQuicInitial, type QuicCryptoState} from './quic.js';
import {StreamBuffer} from './stream-buffer.js';
import {addCustomBlock, attachAppMetadata, newAppMetadataContext} from './pcapdroid-metadata.js';
import {TlsConnection, type ClientPlaintext, type WaitBudget} from './tls-decrypt.js';
import {type TlsKeyStore} from './tls-keylog.js';
import {Http2ClientStream, HTTP2_PREFACE, type H2Request} from './http2.js';

/** HTTP requests parsed per flow: keep-alive connections carry many; past this we stop looking. */
const MAX_HTTP_REQUESTS_PER_FLOW = 256;
/** QUIC datagrams inspected per flow before giving up on finding a ClientHello. */
const MAX_QUIC_TRIES = 16;
/** Reassembly cap for an HTTP request head plus the body prefix kept (head cap 32 KiB + body). */
const HTTP_HEAD_ROOM = 32 * 1024;

/**
 * Encrypted bytes waiting for their keys across all connections. Keys usually follow within
 * seconds (a DSB before the next batch, a key log line): 32 MiB holds a busy minute of uploads.
 */
const MAX_WAITING_BYTES = 32 * 1024 * 1024;

/** Connections remembered by client random so keys that come late find them (each also holds a flow slot). */
const MAX_WAITING_CONNECTIONS = 65_536;

/** Plaintext spans remembered per decrypted connection to name the packets of an HTTP/2 request. */
const MAX_PLAIN_SPANS = 512;

/** The HTTP/2 client connection preface (RFC 9113 3.4), as bytes. */
const H2_PREFACE = Buffer.from(HTTP2_PREFACE, 'latin1');

/** What a decrypted connection carries, read as the client sends it. */
type DecryptedApp = {
	proto: 'h2' | 'http/1.1' | 'other' | undefined;
	h1: StreamBuffer | undefined;
	h2: Http2ClientStream | undefined;
	/** Plaintext bytes so far; spans end at these offsets. */
	offset: number;
	spans: Array<{end: number; packets: number[]; ts: number}>;
	/** Time of the last decrypted bytes. */
	lastTs: number;
};

/** How reading a TLS connection went, told once it is known. */
export type DecryptionNote = {state: 'read' | 'no-keys' | 'stopped'; reason?: string};

/**
 * What the analyzer knows about one flow whose payload it inspects, or that has a name or an app.
 * Made only then: a flow that only adds counters (a SYN, a scan, a flow whose payload is never
 * looked at because it is a fragment) is its slot in the flow table and nothing more.
 */
export type AnalyzerFlow = {
	/** Its slot in the flow table (ingest keeps its own per-flow state by slot). */
	slot: number;
	proto: number;
	/** The side that opened the flow (the phone, for outbound connections). */
	client: string;
	cport: number;
	server: string;
	sport: number;
	firstTs: number;
	name?: string;
	via?: NameVia;
	app?: {uid?: number; package?: string};
	/** Application protocol seen: undefined until the first payload decides it. */
	kind?: 'tls' | 'http' | 'dns' | 'quic' | 'other';
	buf?: StreamBuffer;
	dnsTcp?: [DnsTcpStream, DnsTcpStream];
	quic?: QuicCryptoState;
	/** TLS read with logged keys (when a key source is active). */
	tlsc?: TlsConnection;
	plain?: DecryptedApp;
	tries: number;
	requests: number;
	/** True when the flow carries nothing more to learn and can leave the flow table (a UDP DNS exchange once answered). */
	finished: boolean;
};

/** Receives decoded events, in packet order. */
export interface AnalyzerSink {
	/**
	 * Every decoded packet, with its flow's slot (`PacketAnalyzer.flowState` and the other
	 * by-slot look-ups tell what is known of it). `meta` is refilled for the next packet: read it
	 * now, keep a copy (`toMeta`-like) if needed.
	 */
	packet(meta: PacketMeta, slot: number, fromClient: boolean): void;
	dns(e: DnsEvent): void;
	tls(e: TlsEvent, flow: AnalyzerFlow): void;
	quic(e: QuicEvent, flow: AnalyzerFlow): void;
	http(e: HttpEvent, flow: AnalyzerFlow): void;
	/** A packet (or part) that could not be decoded, by kind; counted, never fatal. */
	problem(kind: string): void;
	/** A new flow took `slot` (told before anything else of its first packet): state kept by slot starts afresh. */
	flowStart?(slot: number): void;
	/** A flow left the flow table before the end of input (it was over, or the table was full): its last word. Its slot is still readable. */
	flowEnd?(slot: number): void;
	/** A TLS connection's first decrypted bytes ('read'), or how it ended unread or cut short. */
	decryption?(flow: AnalyzerFlow, note: DecryptionNote): void;
}

/** Stateful decoder chain for one capture session. */
export class PacketAnalyzer {
	private readonly flows: FlowTable;
	private readonly names = new IpNames();
	/** PCAPdroid app metadata (trailers, UID-map blocks, `u-<uid>` comments) seen so far. */
	private readonly apps = newAppMetadataContext();
	private readonly maxBody: number;
	/** TLS secrets (key log, DSBs); connections are read only while it is active. */
	private readonly keys: TlsKeyStore | undefined;
	/** Connections whose keys may still come, by client random. */
	private readonly waiting = new Map<string, AnalyzerFlow>();
	/** Encrypted bytes held for keys, across connections. */
	readonly waitBudget: WaitBudget = {used: 0, cap: MAX_WAITING_BYTES, droppedRecords: 0, droppedBytes: 0};
	/** The packet at hand: filled again for each one, so a packet costs no object (sinks must not keep it). */
	private readonly fields = new PacketFields();
	/** Per slot: IpNames.changes when the server's DNS name was last looked for (-1: never). */
	private readonly namesAt: Float64Array;
	/** The slot of the packet at hand (-1 between packets), and its direction: its addresses are in `fields`. */
	private cur = -1;
	private curFromClient = false;
	/** Per-flow state objects made (AnalyzerFlow), for tests and measurements. */
	statesMade = 0;

	constructor(
		private readonly sink: AnalyzerSink,
		opts: {maxBody?: number; maxFlows?: number; keys?: TlsKeyStore} = {},
	) {
		this.maxBody = opts.maxBody ?? 64 * 1024;
		const gone = (slot: number) => this.flowGone(slot);
		this.flows = new FlowTable({maxFlows: opts.maxFlows, onEvict: gone, onExpire: gone});
		this.namesAt = new Float64Array(this.flows.maxFlows);
		this.keys = opts.keys;
		if (this.keys) this.keys.onKeys = (random) => this.keysArrived(random);
	}

	/** A flow leaves before the end: what its reassembly buffer holds is read as at the end of input. */
	private flowGone(slot: number): void {
		const st = this.flows.ext[slot] as AnalyzerFlow | undefined;
		if (st) this.flushBuffer(st);
		this.sink.flowEnd?.(slot);
	}

	private flushBuffer(st: AnalyzerFlow): void {
		if (st.tlsc) this.endTls(st);
		if (!st.buf || st.buf.length === 0) return;
		if (st.kind === 'tls') this.tryTls(st, undefined, true);
		else if (st.kind === 'http') this.tryHttp(st, undefined, true);
	}

	/** Flows evicted because the table was full. */
	get flowsEvicted(): number {
		return this.flows.evictions;
	}

	/** Flows the table holds at most: slots are below this. */
	get maxFlows(): number {
		return this.flows.maxFlows;
	}

	/** The state of the flow in `slot`, when it has one (see AnalyzerFlow). */
	flowState(slot: number): AnalyzerFlow | undefined {
		return this.flows.ext[slot] as AnalyzerFlow | undefined;
	}

	/** Time of the first packet of the flow in `slot`. */
	firstTsOf(slot: number): number {
		return this.flows.firstTsOf(slot);
	}

	/** The server address of the flow in `slot`, as text (made from the packet at hand or the flow's key when it has no state). */
	serverOf(slot: number): string {
		const st = this.flows.ext[slot] as AnalyzerFlow | undefined;
		if (st) return st.server;
		if (slot === this.cur) return this.curFromClient ? this.fields.dst : this.fields.src;
		return this.flows.endpoints(slot).server;
	}

	/** The protocol and endpoints of the flow in `slot` (not for the packet path: the text may be made anew). */
	endpointsOf(slot: number): FlowEndpoints {
		const st = this.flows.ext[slot] as AnalyzerFlow | undefined;
		return st ? {proto: st.proto, client: st.client, clientPort: st.cport, server: st.server, serverPort: st.sport} : this.flows.endpoints(slot);
	}

	/** The name DNS gave an address, if any. */
	nameOf(ip: string): string | undefined {
		return this.names.nameOf(ip)?.name;
	}

	/** A pcapng Custom Block from the capture (PCAPdroid's UID map names apps by uid). */
	customBlock(pen: number, data: Uint8Array): void {
		addCustomBlock(this.apps, pen, data);
	}

	/** Decodes one frame and reports what it carried. */
	push(raw: RawPacket): void {
		attachAppMetadata(raw, this.apps);
		const meta = this.fields;
		const problem = decodeInto(raw, meta);
		if (problem !== undefined) {
			this.sink.problem(problem);
			return;
		}
		const flows = this.flows;
		const slot = flows.observe(meta);
		const fromClient = flows.fromClient;
		this.cur = slot;
		this.curFromClient = fromClient;
		if (flows.created) {
			this.namesAt[slot] = -1;
			this.sink.flowStart?.(slot);
		}
		// State is made only when there is something to keep: an app, a payload to read, a name.
		let st = flows.ext[slot] as AnalyzerFlow | undefined;
		if (meta.app && !st?.app) (st ??= this.newState(slot, meta, fromClient)).app = meta.app;
		// Only a flow still being read looks at its payload; every other packet only adds counters.
		if (meta.payloadLength > 0 && !meta.fragment) {
			if (meta.proto === PROTO_UDP) this.udp(meta, (st ??= this.newState(slot, meta, fromClient)));
			else if (meta.proto === PROTO_TCP) this.tcp(meta, (st ??= this.newState(slot, meta, fromClient)), fromClient);
		}
		// Looked up again only when DNS taught something since the last miss (a miss touches
		// nothing, and neither does a look-up while nothing is known).
		if (!st?.name && this.namesAt[slot] !== this.names.changes) {
			this.namesAt[slot] = this.names.changes;
			const n = this.names.size > 0 ? this.names.nameOf(st ? st.server : fromClient ? meta.dst : meta.src) : undefined;
			if (n) {
				st ??= this.newState(slot, meta, fromClient);
				st.name = n.name;
				st.via = 'dns';
			}
		}
		this.sink.packet(meta, slot, fromClient);
		this.cur = -1;
		// A handshake-heavy capture is half DNS exchanges: keeping each answered one in the table
		// until LRU eviction doubled its size. A late duplicate just starts a new flow.
		if (st?.finished) flows.remove(slot);
	}

	/** The slots of the flows in the table, least recently seen first (bounded by the table's size). */
	activeSlots(): IterableIterator<number> {
		return this.flows.slots();
	}

	/** Makes the state of the flow in `slot` (from its packet at hand, which went client -> server when `fromClient`). */
	private newState(slot: number, meta: PacketMeta, fromClient: boolean): AnalyzerFlow {
		const st = newFlowState(slot, meta, fromClient, this.flows.firstTsOf(slot));
		this.flows.ext[slot] = st;
		this.statesMade++;
		return st;
	}

	/**
	 * End of input: parse what the reassembly buffers hold (a request cut by the capture's end),
	 * then forget the flows: the report is built next, and the flow state (~25 MB at 30k flows)
	 * would otherwise stay alive alongside it. Learnt names stay.
	 */
	end(): void {
		for (const slot of this.flows.slots()) {
			const st = this.flows.ext[slot] as AnalyzerFlow | undefined;
			if (st) this.flushBuffer(st);
		}
		this.flows.clear();
	}

	private udp(meta: PacketMeta, st: AnalyzerFlow): void {
		const dnsProto = dnsProtoForPorts(meta.sport, meta.dport);
		if (dnsProto) {
			const msg = parseDns(meta.payload);
			if (!msg) {
				this.sink.problem('bad-dns');
				return;
			}
			st.kind = 'dns';
			if (msg.response) st.finished = true;
			this.names.learn(msg);
			this.sink.dns(dnsEventFrom(meta, msg, dnsProto));
			return;
		}
		if (st.kind === 'other') return;
		if (!looksLikeQuicInitial(meta.payload)) {
			// A long header that is not an Initial (0-RTT sent first, Handshake) may precede one: keep looking, bounded.
			const long = (meta.payload[0]! & 0x80) !== 0;
			if (st.kind === undefined && !long) st.kind = 'other';
			else if (++st.tries >= MAX_QUIC_TRIES) st.kind = 'other';
			return;
		}
		// One UDP 5-tuple can carry a new connection (0-RTT resumption, a retry): a new DCID starts over.
		if (st.quic?.done && !sameDcid(meta.payload, st.quic.dcid)) {
			st.quic = undefined;
			st.tries = 0;
		}
		if (st.quic?.done || st.tries >= MAX_QUIC_TRIES) return;
		st.kind = 'quic';
		st.tries++;
		st.quic ??= newQuicCryptoState();
		const r = parseQuicInitial(meta.payload, st.quic, meta.index);
		if (r.status !== 'ok') return;
		if (r.sni) this.nameFlow(st, r.sni, 'quic');
		this.sink.quic(
			{type: 'quic', ts: meta.ts, index: meta.index, packets: r.packets, sni: r.sni, alpn: r.alpn, version: r.version, src: meta.src, sport: meta.sport, dst: meta.dst, dport: meta.dport},
			st,
		);
		// Done: drop the CRYPTO chunks now, keep the DCID to notice a new connection.
		st.quic.chunks = [];
	}

	private tcp(meta: PacketMeta, st: AnalyzerFlow, fromClient: boolean): void {
		if (meta.sport === 53 || meta.dport === 53) {
			st.kind = 'dns';
			st.dnsTcp ??= [new DnsTcpStream(), new DnsTcpStream()];
			for (const msg of st.dnsTcp[fromClient ? 0 : 1].push(meta.payload)) {
				this.names.learn(msg);
				this.sink.dns(dnsEventFrom(meta, msg, 'dns'));
			}
			return;
		}
		if (st.tlsc) this.tlsSegment(meta, st, fromClient);
		if (!fromClient || st.kind === 'other') return;
		if (st.kind === undefined) {
			if (looksLikeTls(meta.payload)) {
				st.kind = 'tls';
				if (this.keys?.active) {
					st.tlsc = new TlsConnection(this.keys, this.waitBudget);
					this.tlsSegment(meta, st, fromClient);
				}
			} else if (looksLikeHttpRequest(meta.payload)) st.kind = 'http';
			else {
				st.kind = 'other';
				return;
			}
			st.buf = new StreamBuffer(st.kind === 'http' ? HTTP_HEAD_ROOM + this.maxBody : undefined);
		}
		if (!st.buf) return;
		st.buf.push(meta.tcpSeq, meta.payload, meta.index);
		if (st.kind === 'tls') this.tryTls(st, meta, st.buf.full);
		else this.tryHttp(st, meta, false);
	}

	private tryTls(st: AnalyzerFlow, meta: PacketMeta | undefined, final: boolean): void {
		const buf = st.buf!;
		const r = parseClientHello(buf.bytes(), final);
		if (r.status === 'incomplete' && !final) return;
		if (r.status === 'ok') {
			const h = r.hello;
			if (h.sni) this.nameFlow(st, h.sni, 'sni');
			const last = buf.packets[buf.packets.length - 1] ?? meta?.index ?? 0;
			this.sink.tls(
				{type: 'tls', ts: meta?.ts ?? st.firstTs, index: last, packets: [...buf.packets], sni: h.sni, alpn: h.alpn, ech: h.ech, src: st.client, sport: st.cport, dst: st.server, dport: st.sport},
				st,
			);
		} else if (r.status === 'not-tls' || final) this.sink.problem('tls-unreadable');
		st.buf = undefined;
		st.kind = 'other';
	}

	private tryHttp(st: AnalyzerFlow, meta: PacketMeta | undefined, final: boolean): void {
		if (!this.readHttp(st, st.buf!, meta?.ts ?? st.firstTs, meta?.index ?? 0, final, undefined)) this.stopHttp(st);
	}

	/**
	 * Reads the HTTP/1.x requests a buffer holds (plain TCP, or decrypted TLS when `alpn` is set).
	 * False when the stream cannot be followed further.
	 */
	private readHttp(st: AnalyzerFlow, buf: StreamBuffer, ts: number, index: number, final: boolean, alpn: string | undefined): boolean {
		for (;;) {
			if (buf.length === 0) return true;
			const r = parseHttpRequest(buf.bytes(), this.maxBody);
			const last = final || buf.full;
			if (r.status === 'incomplete') {
				if (!last) return true;
				this.sink.problem('http-incomplete');
				return false;
			}
			// Bytes after a request that are not a request (a body we did not keep, cruft): stop.
			if (r.status === 'not-http') return false;
			const req = r.req;
			// Wait for the body up to what we keep, unless the stream can bring no more.
			if (!req.bodyComplete && !last && req.body.length < this.maxBody) return true;
			const host = req.host;
			if (host) this.nameFlow(st, host.replace(/:\d+$/, ''), 'http');
			const packets = [...buf.packets];
			this.sink.http(
				{
					type: 'http',
					ts,
					index: packets[packets.length - 1] ?? index,
					packets,
					method: req.method,
					host,
					path: req.path,
					version: req.version,
					headers: req.headers,
					body: req.body,
					bodyBytes: req.bodyBytes,
					tls: alpn !== undefined,
					...(alpn !== undefined ? {alpn} : {}),
					src: st.client,
					sport: st.cport,
					dst: st.server,
					dport: st.sport,
				},
				st,
			);
			if (req.headTruncated || (!req.bodyComplete && req.chunked) || ++st.requests >= MAX_HTTP_REQUESTS_PER_FLOW) return false;
			buf.consume(req.consumed);
			if (req.skip > 0) buf.discard(req.skip);
			buf.packets.length = 0;
		}
	}

	// ---- TLS read with keys ----------------------------------------------------------------

	/** One segment of a TLS connection being read: the plaintext it completes goes up as HTTP. */
	private tlsSegment(meta: PacketMeta, st: AnalyzerFlow, fromClient: boolean): void {
		const c = st.tlsc!;
		const hadRandom = c.clientRandom !== undefined;
		const out = fromClient ? c.client(meta.tcpSeq, meta.payload, meta.index, meta.ts) : c.server(meta.tcpSeq, meta.payload, meta.index, meta.ts);
		if (!hadRandom && c.clientRandom !== undefined && this.waiting.size < MAX_WAITING_CONNECTIONS) this.waiting.set(c.clientRandom, st);
		this.plaintext(st, out);
		if (c.state === 'stopped') this.endTls(st);
	}

	/** Keys for a connection came (key log line, DSB): read the records that waited for them. */
	private keysArrived(random: string): void {
		const st = this.waiting.get(random);
		if (!st?.tlsc) return;
		this.plaintext(st, st.tlsc.keysArrived());
		if (st.tlsc.state === 'stopped') this.endTls(st);
	}

	private plaintext(st: AnalyzerFlow, out: ClientPlaintext[]): void {
		for (const p of out) {
			if (!st.plain) {
				st.plain = {proto: undefined, h1: undefined, h2: undefined, offset: 0, spans: [], lastTs: p.ts};
				this.sink.decryption?.(st, {state: 'read'});
			}
			this.appData(st, st.plain, p);
		}
	}

	/** Decrypted client bytes: HTTP/2 or HTTP/1.x requests, told apart by the first bytes. */
	private appData(st: AnalyzerFlow, a: DecryptedApp, p: ClientPlaintext): void {
		if (a.proto === undefined) {
			const head = p.data.subarray(0, H2_PREFACE.length);
			if (head.equals(H2_PREFACE.subarray(0, head.length))) {
				a.proto = 'h2';
				a.h2 = new Http2ClientStream({maxBody: this.maxBody});
			} else if (looksLikeHttpRequest(p.data)) {
				a.proto = 'http/1.1';
				a.h1 = new StreamBuffer(HTTP_HEAD_ROOM + this.maxBody);
			} else a.proto = 'other';
		}
		const start = a.offset;
		a.offset += p.data.length;
		a.lastTs = p.ts;
		if (a.proto === 'h2') {
			a.spans.push({end: a.offset, packets: p.packets, ts: p.ts});
			if (a.spans.length > MAX_PLAIN_SPANS) a.spans.shift();
			const h2 = a.h2!;
			const hadError = h2.error !== undefined;
			for (const req of h2.push(p.data)) this.h2Request(st, a, req);
			if (!hadError && h2.error !== undefined) this.sink.problem('h2-unreadable');
		} else if (a.proto === 'http/1.1' && a.h1) {
			a.h1.push(start, p.data, p.packets[0] ?? 0);
			a.h1.notePackets(p.packets);
			if (!this.readHttp(st, a.h1, p.ts, p.packets[p.packets.length - 1] ?? 0, false, st.tlsc?.alpn ?? 'http/1.1')) {
				a.h1 = undefined;
				a.proto = 'other';
			}
		}
	}

	private h2Request(st: AnalyzerFlow, a: DecryptedApp, req: H2Request): void {
		const packets: number[] = [];
		let ts = st.firstTs;
		for (const s of a.spans) {
			if (s.end <= req.startOffset) continue;
			for (const i of s.packets) if (packets.length < 32 && !packets.includes(i)) packets.push(i);
			ts = s.ts;
			if (s.end >= req.endOffset) break;
		}
		const host = req.authority;
		if (host) this.nameFlow(st, host.replace(/:\d+$/, ''), 'http');
		this.sink.http(
			{
				type: 'http',
				ts,
				index: packets[packets.length - 1] ?? 0,
				packets,
				method: req.method,
				host,
				path: req.path,
				version: 'HTTP/2',
				headers: req.headers,
				body: req.body,
				bodyBytes: req.bodyBytes,
				tls: true,
				alpn: 'h2',
				src: st.client,
				sport: st.cport,
				dst: st.server,
				dport: st.sport,
			},
			st,
		);
	}

	/** A TLS connection ends (or stops being read): its last requests, and how reading it went. */
	private endTls(st: AnalyzerFlow): void {
		const c = st.tlsc;
		if (!c) return;
		st.tlsc = undefined;
		c.finish();
		if (c.clientRandom !== undefined && this.waiting.get(c.clientRandom) === st) this.waiting.delete(c.clientRandom);
		const a = st.plain;
		if (a?.h2) for (const req of a.h2.end()) this.h2Request(st, a, req);
		if (a?.h1 && a.h1.length > 0) this.readHttp(st, a.h1, a.lastTs, 0, true, c.alpn ?? 'http/1.1');
		if (a) {
			a.h1 = undefined;
			a.h2 = undefined;
			a.spans = [];
		}
		if (c.state === 'stopped' && c.reason) this.sink.decryption?.(st, {state: c.missingKeys ? 'no-keys' : 'stopped', reason: c.reason});
	}

	private stopHttp(st: AnalyzerFlow): void {
		st.buf = undefined;
		st.kind = 'other';
	}

	private nameFlow(st: AnalyzerFlow, name: string, via: NameVia): void {
		// A name from the connection itself (SNI, Host) beats the DNS guess from the address.
		if (st.name && st.via !== 'dns') return;
		st.name = name.toLowerCase();
		st.via = via;
	}
}

/** Whether a long-header packet's Destination Connection ID equals `dcid`. */
function sameDcid(d: Uint8Array, dcid: Uint8Array | undefined): boolean {
	if (!dcid || d.length < 6) return false;
	const n = d[5]!;
	if (n !== dcid.length || d.length < 6 + n) return false;
	for (let i = 0; i < n; i++) if (d[6 + i] !== dcid[i]) return false;
	return true;
}

/** A flow's state, made at one of its packets (`meta`, which went client -> server when `fromClient`); `firstTs` is its first packet's time. */
function newFlowState(slot: number, meta: PacketMeta, fromClient: boolean, firstTs: number): AnalyzerFlow {
	// Every field up front, so all flows share one object shape: fields added later (kind, name...)
	// gave each flow a shape transition and an out-of-object property array (~10% of the heap at
	// 60k flows).
	return {
		slot,
		proto: meta.proto,
		client: fromClient ? meta.src : meta.dst,
		cport: fromClient ? meta.sport : meta.dport,
		server: fromClient ? meta.dst : meta.src,
		sport: fromClient ? meta.dport : meta.sport,
		firstTs,
		name: undefined,
		via: undefined,
		app: undefined,
		kind: undefined,
		buf: undefined,
		dnsTcp: undefined,
		quic: undefined,
		tlsc: undefined,
		plain: undefined,
		tries: 0,
		requests: 0,
		finished: false,
	};
}
