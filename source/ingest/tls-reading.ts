/**
 * TLS keys taken in (an NSS key log, a capture's Decryption Secrets Blocks) and how reading TLS
 * connections went: per destination and for the session, summarised for the report and status.
 */
import type {DecryptionNote} from '../decode/analyzer.js';
import {KeyLogParser, TlsKeyStore} from '../decode/tls-keylog.js';
import type {SessionSnapshot} from '../types.js';
import type {Reading} from './destination-entry.js';

/** pcapng DSB secrets type of a TLS key log ("TLSK"). */
export const SECRETS_TLS_KEY_LOG = 0x544c534b;
/** Distinct reasons counted for connections that could not be read (a hostile capture must not grow a map). */
const MAX_UNREAD_REASONS = 32;

export class TlsReading {
	/** TLS secrets from the key log and the capture's DSBs (the analyzer reads with these). */
	readonly keys = new TlsKeyStore();
	private readonly keyLog = new KeyLogParser();
	/** DSB text has its own parser: a block arriving while a followed key log has half a line read must not join it. */
	private readonly dsbKeys = new KeyLogParser();
	private secretsBlocks = 0;
	private readonly counts = {read: 0, noKeys: 0, stopped: 0, reasons: new Map<string, number>()};

	/** Keys may come (a key log was given, the capture is pcapng): TLS is kept for them from now on. */
	expect(): void {
		this.keys.active = true;
	}

	/** Text of an NSS key log: lines may be cut across calls; `final` ends it. */
	addKeyLog(text: string, final: boolean): void {
		this.keys.active = true;
		for (const e of this.keyLog.push(text)) this.keys.add(e);
		if (final) for (const e of this.keyLog.end()) this.keys.add(e);
	}

	/** A Decryption Secrets Block; false when it holds another kind of secret than a TLS key log. */
	addSecrets(secretsType: number, data: Uint8Array): boolean {
		this.secretsBlocks++;
		this.keys.active = true;
		if (secretsType !== SECRETS_TLS_KEY_LOG) return false;
		const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
		// A block holds whole lines; a last line without a newline ends with the block.
		for (const e of this.dsbKeys.push(text)) this.keys.add(e);
		for (const e of this.dsbKeys.end()) this.keys.add(e);
		return true;
	}

	/** How reading one connection went, counted on its destination's `reading` (none: evicted) and for the session. */
	count(r: Reading | undefined, note: DecryptionNote): void {
		const c = this.counts;
		if (note.state === 'read') {
			if (r) r.read++;
			c.read++;
			return;
		}
		if (note.state === 'no-keys') {
			if (r) r.noKeys++;
			c.noKeys++;
		} else {
			if (r) r.stopped++;
			c.stopped++;
		}
		if (note.reason) {
			if (r) r.note ??= note.reason;
			if (c.reasons.has(note.reason) || c.reasons.size < MAX_UNREAD_REASONS) c.reasons.set(note.reason, (c.reasons.get(note.reason) ?? 0) + 1);
		}
	}

	/** Keys seen and connections read, when keys could come at all. */
	summary(waitingDropped: number): SessionSnapshot['tls'] {
		if (!this.keys.active) return undefined;
		const c = this.counts;
		return {
			keyLogLines: this.keyLog.entries + this.dsbKeys.entries,
			badKeyLogLines: this.keyLog.bad + this.dsbKeys.bad,
			badKeyLogSamples: [...this.keyLog.badSamples, ...this.dsbKeys.badSamples].slice(0, 3),
			secretsBlocks: this.secretsBlocks,
			connectionsKeyed: this.keys.size,
			read: c.read,
			noKeys: c.noKeys,
			stopped: c.stopped,
			reasons: Object.fromEntries(c.reasons),
			waitingDropped,
		};
	}
}
