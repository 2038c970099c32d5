/**
 * One TLS connection read with logged keys: both directions reassembled (tcp-stream.ts), the
 * hellos read for the client random, version, suite and ALPN, then the client's records
 * decrypted (TLS 1.3 handshake and application keys with key updates, TLS 1.2 AEAD suites) and
 * handed on as plaintext with the packets that carried them. Only the client's side is decrypted:
 * tattle reads what the phone sends, not the answers. Records that arrive before their keys wait
 * (bounded) and are read when the keys come. Anything it cannot read stops this connection with a
 * reason, never the session.
 *
 * Over 300 lines because one connection's reader: both directions, the hellos, records waiting for
 * keys and their decryption share its state.
 */
import {type ConnectionSecrets, type TlsKeyStore} from './tls-keylog.js';
import {TcpStream} from './tcp-stream.js';
import {aeadSuite, openTls12Record, openTls13Record, suiteName, tls12Keys, tls13Keys, tls13UpdatedKeys, type RecordKeys} from './tls-crypto.js';

const CT_CCS = 20;
const CT_ALERT = 21;
const CT_HANDSHAKE = 22;
const CT_APPDATA = 23;

const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const HS_FINISHED = 20;
const HS_KEY_UPDATE = 24;

const TLS12 = 0x0303;
const TLS13 = 0x0304;

/** Largest record body: 2^14 plaintext plus 2048 of expansion (RFC 5246 6.2.3; 1.3 allows less). */
const MAX_RECORD_BODY = 16384 + 2048;

/**
 * Bytes a direction may hold unread: one full record plus a hello flight. A ClientHello is at most
 * 64 KiB of extensions; 96 KiB holds it with its record headers.
 */
const STREAM_CAP = 96 * 1024;

/** Handshake bytes gathered to read the first hello; a hello never needs more (see STREAM_CAP). */
const MAX_HELLO_BYTES = 72 * 1024;

/**
 * Encrypted client bytes kept per connection while its keys are missing. Uploads that matter
 * (telemetry batches) are a few KB to a few hundred KB; 512 KiB keeps them and bounds a download.
 */
const MAX_WAITING_BYTES_PER_CONNECTION = 512 * 1024;

/** Records in a row that fail to authenticate before the connection is given up (wrong keys). */
const MAX_FAILED_IN_A_ROW = 8;

/** HelloRetryRequest's fixed ServerHello.random (RFC 8446 4.1.3). */
const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

/** A shared budget of waiting bytes across connections (one per analyzer). */
export type WaitBudget = {used: number; cap: number; droppedRecords: number; droppedBytes: number};

/** Plaintext the client sent, with the packets that carried it. */
export type ClientPlaintext = {data: Buffer; packets: number[]; ts: number};

/** Where a connection stands, for the dashboard and the report. */
type TlsReadState =
	/** Hellos not both seen yet. */
	| 'handshake'
	/** Encrypted records are waiting for this connection's keys. */
	| 'waiting-keys'
	/** Records are being decrypted. */
	| 'decrypting'
	/** Decryption ended for this connection; `reason` says why. */
	| 'stopped';

type QueuedRecord = {header: Uint8Array; body: Uint8Array; packets: number[]; ts: number};

function hex(b: Uint8Array): string {
	return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** The TLS reader for one TCP connection. */
export class TlsConnection {
	clientRandom: string | undefined;
	serverRandom: Buffer | undefined;
	/** Negotiated version (0x0303, 0x0304) once the ServerHello is read. */
	version: number | undefined;
	suite: number | undefined;
	/** ALPN the server chose (TLS 1.2 ServerHello; in 1.3 it is encrypted, the HTTP layer tells). */
	alpn: string | undefined;
	state: TlsReadState = 'handshake';
	/** Why decryption stopped or cannot start (shown per flow). */
	reason: string | undefined;
	/** Client records decrypted. */
	records = 0;
	/** Application bytes decrypted (client side). */
	plainBytes = 0;
	/** Records that did not authenticate (skipped). */
	failedRecords = 0;
	/** True once keys were found for this connection. */
	keyed = false;
	/** Stopped because the key log never had this connection's keys. */
	missingKeys = false;

	private readonly cs = new TcpStream(STREAM_CAP);
	private ss: TcpStream | undefined = new TcpStream(STREAM_CAP);
	private clientHs: Buffer[] = [];
	private clientHsLen = 0;
	private serverHs: Buffer[] = [];
	private serverHsLen = 0;
	/** TLS 1.2: the client sent ChangeCipherSpec; its next records are protected. */
	private clientCcs = false;
	private queue: QueuedRecord[] = [];
	private queued = 0;
	private keys: RecordKeys | undefined;
	/** TLS 1.3: the application keys the client switches to after its Finished. */
	private nextKeys: RecordKeys | undefined;
	private appPhase = false;
	private failedInARow = 0;

	constructor(
		private readonly store: TlsKeyStore,
		private readonly budget: WaitBudget,
	) {}

	/** A client->server segment: returns the plaintext it completes. */
	client(seq: number, payload: Uint8Array, index: number, ts: number): ClientPlaintext[] {
		if (this.state === 'stopped') return [];
		this.cs.push(seq, payload, index, ts);
		return this.readClient();
	}

	/** A server->client segment: only read until the ServerHello. */
	server(seq: number, payload: Uint8Array, index: number, ts: number): ClientPlaintext[] {
		if (!this.ss || this.state === 'stopped') return [];
		this.ss.push(seq, payload, index, ts);
		this.readServer();
		if (this.version !== undefined) return this.drainQueue();
		return [];
	}

	/** Keys for this connection's client random arrived: read what waited. */
	keysArrived(): ClientPlaintext[] {
		if (this.state !== 'waiting-keys' && this.state !== 'handshake') return [];
		return this.drainQueue();
	}

	/** End of the connection or of input: a hole still open is a gap; waiting records stay unread. */
	finish(): void {
		this.cs.finish();
		if (this.state === 'stopped') return;
		if (this.cs.gap) return this.stop(`gap in the client's stream: ${this.cs.gap.reason}`);
		if (this.queue.length > 0) {
			this.release();
			if (this.version === undefined) return this.stop('no ServerHello seen');
			this.missingKeys = true;
			this.stop('no keys for this connection in the key log');
		}
	}

	private stop(reason: string): void {
		if (this.state === 'stopped') return;
		this.state = 'stopped';
		this.reason = reason;
		this.release();
		this.ss = undefined;
	}

	private release(): void {
		this.budget.used -= this.queued;
		this.queued = 0;
		this.queue = [];
	}

	private readServer(): void {
		const s = this.ss!;
		// Bounded: each pass consumes a record or returns.
		for (let n = 0; n < 4096; n++) {
			if (s.gap) return this.stop(`gap in the server's stream before its ServerHello: ${s.gap.reason}`);
			const b = s.bytes();
			if (b.length < 5) return;
			const type = b[0]!;
			const len = (b[3]! << 8) | b[4]!;
			if (b[1] !== 3 || len > MAX_RECORD_BODY || type < CT_CCS || type > CT_APPDATA) return this.stop('the server does not speak TLS records');
			if (b.length < 5 + len) return;
			const body = Buffer.from(b.subarray(5, 5 + len));
			s.consume(5 + len);
			if (type === CT_ALERT) return this.stop('the server sent an alert before its ServerHello');
			if (type !== CT_HANDSHAKE) continue;
			this.serverHs.push(body);
			this.serverHsLen += body.length;
			if (this.serverHsLen > MAX_HELLO_BYTES) return this.stop('ServerHello too long');
			const hs = Buffer.concat(this.serverHs);
			if (hs.length < 4) continue;
			const msgLen = (hs[1]! << 16) | (hs[2]! << 8) | hs[3]!;
			if (hs.length < 4 + msgLen) continue;
			if (hs[0] !== HS_SERVER_HELLO) return this.stop('the server\'s first handshake message is not a ServerHello');
			if (!this.serverHello(hs.subarray(4, 4 + msgLen))) return;
			if (this.version !== undefined) {
				// Done with the server: the rest is encrypted answers tattle does not read.
				this.ss = undefined;
				return;
			}
			// A HelloRetryRequest: the real ServerHello follows.
			this.serverHs = [hs.subarray(4 + msgLen)];
			this.serverHsLen = this.serverHs[0]!.length;
		}
	}

	/** Reads a ServerHello body; false when it stopped the connection. */
	private serverHello(m: Buffer): boolean {
		if (m.length < 38) {
			this.stop('ServerHello too short');
			return false;
		}
		const legacy = m.readUInt16BE(0);
		const random = m.subarray(2, 34);
		let p = 34;
		const sidLen = m[p]!;
		p += 1 + sidLen;
		if (p + 3 > m.length) {
			this.stop('ServerHello too short');
			return false;
		}
		const suite = m.readUInt16BE(p);
		p += 3;
		let version = legacy;
		let alpn: string | undefined;
		if (p + 2 <= m.length) {
			const extEnd = Math.min(m.length, p + 2 + m.readUInt16BE(p));
			p += 2;
			for (let i = 0; i < 64 && p + 4 <= extEnd; i++) {
				const type = m.readUInt16BE(p);
				const len = m.readUInt16BE(p + 2);
				const body = m.subarray(p + 4, Math.min(extEnd, p + 4 + len));
				p += 4 + len;
				if (type === 43 && body.length >= 2) version = body.readUInt16BE(0);
				else if (type === 16 && body.length >= 3) alpn = body.subarray(3, 3 + body[2]!).toString('latin1');
			}
		}
		if (hex(random) === HRR_RANDOM) return true;
		this.serverRandom = Buffer.from(random);
		this.suite = suite;
		this.alpn = alpn;
		if (version !== TLS12 && version !== TLS13) {
			this.version = version;
			this.stop(`TLS version 0x${version.toString(16)} is not read (1.2 and 1.3 are)`);
			return false;
		}
		this.version = version;
		if (!aeadSuite(suite)) {
			this.stop(`cipher suite ${suiteName(suite)} is not read (AEAD suites are: AES-GCM, ChaCha20-Poly1305)`);
			return false;
		}
		return true;
	}

	private readClient(): ClientPlaintext[] {
		const out: ClientPlaintext[] = [];
		for (let n = 0; n < 4096 && this.state !== 'stopped'; n++) {
			const b = this.cs.bytes();
			if (b.length < 5) break;
			const type = b[0]!;
			const len = (b[3]! << 8) | b[4]!;
			if (b[1] !== 3 || len > MAX_RECORD_BODY || type < CT_CCS || type > CT_APPDATA) {
				this.stop('the client\'s stream is not TLS records (or lost its place)');
				break;
			}
			if (b.length < 5 + len) break;
			const header = Uint8Array.prototype.slice.call(b, 0, 5);
			const body = Uint8Array.prototype.slice.call(b, 5, 5 + len);
			const {packets, ts} = this.cs.consume(5 + len);
			this.clientRecord(header, body, packets, ts, out);
		}
		if (this.cs.gap && this.state !== 'stopped') this.stop(`gap in the client's stream (${this.cs.gap.missing} bytes missing): ${this.cs.gap.reason}`);
		return out;
	}

	private clientRecord(header: Uint8Array, body: Uint8Array, packets: number[], ts: number, out: ClientPlaintext[]): void {
		const type = header[0]!;
		const protectedRecord = type === CT_APPDATA || (this.clientCcs && this.version !== TLS13);
		if (!protectedRecord) {
			if (type === CT_CCS) {
				// TLS 1.2: what follows is protected. (TLS 1.3 sends one for middlebox compatibility only.)
				if (this.clientRandom) this.clientCcs = true;
				return;
			}
			if (type === CT_HANDSHAKE && !this.clientRandom) this.clientHello(body);
			return;
		}
		if (!this.clientRandom) return this.stop('encrypted records before any ClientHello (capture started mid-connection)');
		this.queue.push({header, body, packets, ts});
		this.queued += body.length + 5;
		this.budget.used += body.length + 5;
		this.bound();
		out.push(...this.drainQueue());
	}

	/** Keeps the waiting records within this connection's and the session's budget, oldest dropped first. */
	private bound(): void {
		while (this.queue.length > 0 && (this.queued > MAX_WAITING_BYTES_PER_CONNECTION || this.budget.used > this.budget.cap)) {
			const r = this.queue.shift()!;
			const n = r.body.length + 5;
			this.queued -= n;
			this.budget.used -= n;
			this.budget.droppedRecords++;
			this.budget.droppedBytes += n;
			// A dropped record breaks the sequence numbers of the ones after it.
			if (this.records === 0) {
				this.missingKeys = !this.store.get(this.clientRandom ?? '');
				this.stop(this.missingKeys ? 'no keys came for this connection while its records could wait' : 'records waited too long for their keys (budget full)');
				return;
			}
		}
	}

	private clientHello(body: Uint8Array): void {
		this.clientHs.push(Buffer.from(body));
		this.clientHsLen += body.length;
		if (this.clientHsLen > MAX_HELLO_BYTES) return this.stop('ClientHello too long');
		const hs = Buffer.concat(this.clientHs);
		if (hs.length < 4) return;
		if (hs[0] !== HS_CLIENT_HELLO) return this.stop('the client\'s first handshake message is not a ClientHello');
		if (hs.length < 4 + 34) return;
		// The random is all we need; it sits before anything variable.
		this.clientRandom = hex(hs.subarray(6, 38));
		this.clientHs = [];
	}

	/** Makes the keys for the records waiting, if the store has them; decrypts what it can. */
	private drainQueue(): ClientPlaintext[] {
		const out: ClientPlaintext[] = [];
		if (this.state === 'stopped' || this.queue.length === 0) return out;
		if (this.version === undefined || this.suite === undefined) return out;
		if (!this.keys && !this.makeKeys()) {
			this.state = 'waiting-keys';
			return out;
		}
		this.state = 'decrypting';
		const q = this.queue;
		this.queue = [];
		this.budget.used -= this.queued;
		this.queued = 0;
		for (const r of q) {
			if ((this.state as TlsReadState) === 'stopped') break;
			this.decrypt(r, out);
		}
		return out;
	}

	private makeKeys(): boolean {
		const s: ConnectionSecrets | undefined = this.store.get(this.clientRandom!);
		const suite = aeadSuite(this.suite!)!;
		if (!s) return false;
		if (this.version === TLS12) {
			if (!s.master) return false;
			this.keys = tls12Keys(suite, s.master, Buffer.from(this.clientRandom!, 'hex'), this.serverRandom!).client;
		} else {
			// The application secret is what reads requests; without the handshake one the client's
			// Finished is skipped (trial decryption moves on to the application keys).
			if (!s.clientTraffic0) return false;
			const app = tls13Keys(suite, s.clientTraffic0);
			if (s.clientHandshake) {
				this.keys = tls13Keys(suite, s.clientHandshake);
				this.nextKeys = app;
			} else {
				this.keys = app;
				this.appPhase = true;
			}
		}
		this.keyed = true;
		return true;
	}

	private decrypt(r: QueuedRecord, out: ClientPlaintext[]): void {
		if (this.version === TLS12) {
			const type = r.header[0]!;
			const pt = openTls12Record(this.keys!, type, (r.header[1]! << 8) | r.header[2]!, r.body);
			if (!pt) return this.failed();
			this.failedInARow = 0;
			this.records++;
			if (type === CT_APPDATA) return this.plain(pt, r, out);
			if (type === CT_HANDSHAKE && this.records > 1) return this.stop('renegotiation is not read');
			return;
		}
		let inner = openTls13Record(this.keys!, r.header, r.body);
		if (!inner && !this.appPhase && this.nextKeys) {
			// The client's Finished was missed or its handshake secret is absent: try the next keys.
			inner = openTls13Record(this.nextKeys, r.header, r.body);
			if (inner) this.toAppKeys();
		}
		if (!inner) return this.failed();
		this.failedInARow = 0;
		this.records++;
		if (inner.type === CT_APPDATA) return this.plain(inner.data, r, out);
		if (inner.type !== CT_HANDSHAKE) return;
		// Handshake messages under protection: Finished moves to application keys, KeyUpdate to the next generation.
		let p = 0;
		for (let i = 0; i < 64 && p + 4 <= inner.data.length; i++) {
			const t = inner.data[p]!;
			const len = (inner.data[p + 1]! << 16) | (inner.data[p + 2]! << 8) | inner.data[p + 3]!;
			p += 4 + len;
			if (t === HS_FINISHED && !this.appPhase) this.toAppKeys();
			else if (t === HS_KEY_UPDATE && this.appPhase) {
				const next = tls13UpdatedKeys(this.keys!);
				if (!next) return this.stop('key update without a traffic secret');
				this.keys = next;
			}
		}
	}

	private toAppKeys(): void {
		if (this.appPhase) return;
		this.appPhase = true;
		if (!this.nextKeys) {
			this.stop('no CLIENT_TRAFFIC_SECRET_0 for this connection in the key log');
			return;
		}
		this.keys = this.nextKeys;
		this.nextKeys = undefined;
	}

	private failed(): void {
		this.failedRecords++;
		if (++this.failedInARow >= MAX_FAILED_IN_A_ROW) this.stop('records do not decrypt with the logged keys');
	}

	private plain(data: Buffer, r: QueuedRecord, out: ClientPlaintext[]): void {
		if (data.length === 0) return;
		this.plainBytes += data.length;
		out.push({data, packets: r.packets, ts: r.ts});
	}
}
