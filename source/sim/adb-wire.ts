/**
 * The adb transport message codec (AOSP packages/modules/adb/protocol.txt): a 24-byte
 * little-endian header {command, arg0, arg1, data_length, data_check, magic} plus a payload.
 * Pure: no sockets, no timers.
 */

const A_SYNC = 0x434e5953;
export const A_CNXN = 0x4e584e43;
export const A_AUTH = 0x48545541;
export const A_OPEN = 0x4e45504f;
export const A_OKAY = 0x59414b4f;
export const A_CLSE = 0x45534c43;
export const A_WRTE = 0x45545257;
const A_STLS = 0x534c5453;

/** A_VERSION_SKIP_CHECKSUM: from this version on nobody verifies data_check. */
export const A_VERSION = 0x01000001;

export const HEADER_BYTES = 24;

/** Largest payload we accept from a peer: adb's MAX_PAYLOAD (1 MiB); a larger length is a broken stream. */
const MAX_ACCEPTED_PAYLOAD = 1024 * 1024;

const KNOWN_COMMANDS = new Set([A_SYNC, A_CNXN, A_AUTH, A_OPEN, A_OKAY, A_CLSE, A_WRTE, A_STLS]);

export type AdbMessage = {command: number; arg0: number; arg1: number; data: Uint8Array};

/** Four-letter name of a command, for logs and errors. */
export function commandName(command: number): string {
	let s = '';
	for (let i = 0; i < 4; i++) s += String.fromCharCode((command >>> (8 * i)) & 0xff);
	return s;
}

/** The unsigned byte sum adb calls a checksum (only checked by peers older than A_VERSION). */
export function payloadChecksum(data: Uint8Array): number {
	let sum = 0;
	for (const b of data) sum = (sum + b) >>> 0;
	return sum;
}

/**
 * Encodes one message. The checksum is always filled in: peers at A_VERSION ignore it and
 * older peers (and every peer during the CNXN handshake) need it.
 */
export function encodeMessage(m: AdbMessage): Uint8Array {
	const out = new Uint8Array(HEADER_BYTES + m.data.length);
	const view = new DataView(out.buffer);
	view.setUint32(0, m.command >>> 0, true);
	view.setUint32(4, m.arg0 >>> 0, true);
	view.setUint32(8, m.arg1 >>> 0, true);
	view.setUint32(12, m.data.length, true);
	view.setUint32(16, payloadChecksum(m.data), true);
	view.setUint32(20, (m.command ^ 0xffffffff) >>> 0, true);
	out.set(m.data, HEADER_BYTES);
	return out;
}

/**
 * Incremental decoder: push socket chunks in any split, get whole messages out. On a bad
 * header (wrong magic, unknown command, oversized payload) it stops for good and sets `error`:
 * protocol.txt says such a connection must be closed.
 */
export class MessageDecoder {
	error: string | undefined;
	private chunks: Uint8Array[] = [];
	private buffered = 0;

	constructor(private readonly maxPayload = MAX_ACCEPTED_PAYLOAD) {}

	/** Adds bytes; returns the messages completed by them. */
	push(chunk: Uint8Array): AdbMessage[] {
		if (this.error) return [];
		this.chunks.push(chunk);
		this.buffered += chunk.length;
		const out: AdbMessage[] = [];
		while (this.buffered >= HEADER_BYTES) {
			const head = this.peek(HEADER_BYTES);
			const view = new DataView(head.buffer, head.byteOffset, HEADER_BYTES);
			const command = view.getUint32(0, true);
			const length = view.getUint32(12, true);
			const magic = view.getUint32(20, true);
			if (magic !== (command ^ 0xffffffff) >>> 0 || !KNOWN_COMMANDS.has(command)) {
				this.error = `bad message header (command 0x${command.toString(16)})`;
				return out;
			}
			if (length > this.maxPayload) {
				this.error = `payload of ${length} bytes exceeds ${this.maxPayload}`;
				return out;
			}
			if (this.buffered < HEADER_BYTES + length) break;
			const whole = this.take(HEADER_BYTES + length);
			out.push({
				command,
				arg0: view.getUint32(4, true),
				arg1: view.getUint32(8, true),
				data: whole.slice(HEADER_BYTES),
			});
		}
		return out;
	}

	private peek(n: number): Uint8Array {
		if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
		return this.concat(n, false);
	}

	private take(n: number): Uint8Array {
		return this.concat(n, true);
	}

	private concat(n: number, consume: boolean): Uint8Array {
		const out = new Uint8Array(n);
		let filled = 0;
		let i = 0;
		while (filled < n) {
			const c = this.chunks[i]!;
			const part = c.subarray(0, Math.min(c.length, n - filled));
			out.set(part, filled);
			filled += part.length;
			if (consume) {
				if (part.length === c.length) this.chunks.shift();
				else this.chunks[0] = c.subarray(part.length);
			} else i++;
		}
		if (consume) this.buffered -= n;
		return out;
	}
}
