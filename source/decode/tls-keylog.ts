/**
 * NSS key log (SSLKEYLOGFILE) lines -> TLS secrets, and the store of secrets by client random.
 * Lines come from a file (possibly still being written), from pcapng Decryption Secrets Blocks,
 * or from both; a line may be cut across two pieces. Bad lines are counted, never fatal.
 */

/** Labels tattle uses; the others in the format (exporter, early traffic) are read and ignored. */
type KeyLabel =
	| 'CLIENT_RANDOM'
	| 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'
	| 'SERVER_HANDSHAKE_TRAFFIC_SECRET'
	| 'CLIENT_TRAFFIC_SECRET_0'
	| 'SERVER_TRAFFIC_SECRET_0';

const USED: ReadonlySet<string> = new Set<KeyLabel>([
	'CLIENT_RANDOM',
	'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
	'SERVER_HANDSHAKE_TRAFFIC_SECRET',
	'CLIENT_TRAFFIC_SECRET_0',
	'SERVER_TRAFFIC_SECRET_0',
]);

/** Labels of the format that tattle has no use for (QUIC 0-RTT, exporters, RSA pre-master): valid, skipped. */
const KNOWN_UNUSED: ReadonlySet<string> = new Set([
	'CLIENT_EARLY_TRAFFIC_SECRET',
	'EARLY_EXPORTER_SECRET',
	'EXPORTER_SECRET',
	'RSA',
	'ECH_SECRET',
	'ECH_CONFIG',
]);

/** One useful key log line. */
type KeyLogEntry = {label: KeyLabel; clientRandom: string; secret: Buffer};

/**
 * Longest line kept while waiting for its end: a real line is under 250 characters (label, 64 hex
 * digits of random, at most 96 of secret); anything longer is not a key log line.
 */
const MAX_LINE_CHARS = 1024;

/** Bad lines kept verbatim (cut) for the report, so a user sees what was wrong. */
const MAX_BAD_SAMPLES = 3;

const HEX64 = /^[0-9a-fA-F]{64}$/;
const HEX_SECRET = /^(?:[0-9a-fA-F]{2}){16,64}$/;

/** Incremental NSS key log parser: push text pieces, get the entries their complete lines hold. */
export class KeyLogParser {
	/** Lines that are not key log lines (wrong field count, bad hex, unknown label). */
	bad = 0;
	/** Good lines tattle has no use for (exporter secrets, 0-RTT). */
	unused = 0;
	/** Useful entries read. */
	entries = 0;
	readonly badSamples: string[] = [];
	private partial = '';
	private skipping = false;

	/** Reads the complete lines in `text` (and a line begun in an earlier piece). */
	push(text: string): KeyLogEntry[] {
		const out: KeyLogEntry[] = [];
		let from = 0;
		for (;;) {
			const nl = text.indexOf('\n', from);
			if (nl < 0) break;
			const piece = text.slice(from, nl);
			from = nl + 1;
			if (this.skipping) {
				this.skipping = false;
				this.partial = '';
				continue;
			}
			this.line(this.partial + piece, out);
			this.partial = '';
		}
		if (from < text.length && !this.skipping) {
			this.partial += text.slice(from);
			if (this.partial.length > MAX_LINE_CHARS) {
				this.noteBad(this.partial);
				this.partial = '';
				this.skipping = true;
			}
		}
		return out;
	}

	/** End of input: a last line without a newline. */
	end(): KeyLogEntry[] {
		const out: KeyLogEntry[] = [];
		if (this.partial && !this.skipping) this.line(this.partial, out);
		this.partial = '';
		this.skipping = false;
		return out;
	}

	private line(raw: string, out: KeyLogEntry[]): void {
		// The same cap whole or split: a line past it is bad however the reads fell.
		if (raw.length > MAX_LINE_CHARS) return this.noteBad(raw);
		const line = raw.trim();
		if (line === '' || line.startsWith('#')) return;
		const parts = line.split(/\s+/);
		if (parts.length !== 3) return this.noteBad(line);
		const [label, random, secret] = parts as [string, string, string];
		if (KNOWN_UNUSED.has(label)) {
			this.unused++;
			return;
		}
		if (!USED.has(label) || !HEX64.test(random) || !HEX_SECRET.test(secret)) return this.noteBad(line);
		this.entries++;
		out.push({label: label as KeyLabel, clientRandom: random.toLowerCase(), secret: Buffer.from(secret, 'hex')});
	}

	private noteBad(line: string): void {
		this.bad++;
		if (this.badSamples.length < MAX_BAD_SAMPLES) this.badSamples.push(line.slice(0, 120));
	}
}

/** The secrets known for one connection (by its ClientHello random). */
export type ConnectionSecrets = {
	master?: Buffer;
	clientHandshake?: Buffer;
	serverHandshake?: Buffer;
	clientTraffic0?: Buffer;
	serverTraffic0?: Buffer;
};

/**
 * Connections whose secrets are kept. A key log grows by one or two lines a connection; 200,000
 * connections is days of a busy phone (~40 MB at worst) and bounds a hostile log.
 */
const MAX_KEYED_CONNECTIONS = 200_000;

/** Secrets by client random (hex), bounded; tells a listener when a connection's keys arrive. */
export class TlsKeyStore {
	private readonly byRandom = new Map<string, ConnectionSecrets>();
	/** Entries refused because the store was full. */
	dropped = 0;
	/**
	 * True once keys can come (a key log was given, the capture is pcapng, a DSB arrived): only
	 * then do TLS connections pay for reassembly and waiting records.
	 */
	active = false;
	/** Called after an entry is added, with its client random (the decoder re-tries waiting flows). */
	onKeys?: (clientRandom: string) => void;

	get size(): number {
		return this.byRandom.size;
	}

	get(clientRandom: string): ConnectionSecrets | undefined {
		return this.byRandom.get(clientRandom);
	}

	add(e: KeyLogEntry): void {
		this.active = true;
		let s = this.byRandom.get(e.clientRandom);
		if (!s) {
			if (this.byRandom.size >= MAX_KEYED_CONNECTIONS) {
				this.dropped++;
				return;
			}
			s = {};
			this.byRandom.set(e.clientRandom, s);
		}
		switch (e.label) {
			case 'CLIENT_RANDOM':
				s.master = e.secret;
				break;
			case 'CLIENT_HANDSHAKE_TRAFFIC_SECRET':
				s.clientHandshake = e.secret;
				break;
			case 'SERVER_HANDSHAKE_TRAFFIC_SECRET':
				s.serverHandshake = e.secret;
				break;
			case 'CLIENT_TRAFFIC_SECRET_0':
				s.clientTraffic0 = e.secret;
				break;
			case 'SERVER_TRAFFIC_SECRET_0':
				s.serverTraffic0 = e.secret;
				break;
		}
		this.onKeys?.(e.clientRandom);
	}
}
