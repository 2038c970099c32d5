/**
 * Streaming reader for pcap and pcapng captures: a push parser, no I/O.
 *
 * Bytes go in with `push(chunk)` in any split (one byte at a time or a whole file); packets come
 * out through the `onPacket` callback, synchronously, in file order. The parser never throws on
 * bad bytes: it stops at the first damage and records it in `error`.
 *
 * Ownership of `RawPacket.data`: when a record lies whole inside a pushed chunk, `data` is a
 * view (subarray) into that chunk, not a copy. Consumers must copy (`new Uint8Array(data)`; note
 * that `slice()` does not copy when the chunk is a Node Buffer) whatever they
 * keep past the current batch: a kept view pins the whole chunk (about 1 MiB) in memory, and a
 * caller that reuses its chunk buffers would overwrite it. Records that span two chunks get a
 * fresh buffer of their own.
 *
 * Over 300 lines because pcap and pcapng (every block type, both byte orders) are one push parser
 * with one damage handling.
 */
import type {RawPacket} from '../types.js';

export type CaptureFormat = 'pcap' | 'pcapng';

/** Where and why reading stopped. `fatal` when the input was not a readable capture at all. */
export type CaptureError = {
	offset: number;
	message: string;
	fatal: boolean;
	/** True for operating-system errors (open/read), where a byte offset means little. */
	io?: boolean;
};

/** A pcapng Decryption Secrets Block (e.g. TLS key log lines), copied so it can be kept. */
export type CaptureSecrets = {secretsType: number; data: Uint8Array};

/** One capture interface: pcap has one, pcapng one per IDB of the current section. */
type CaptureInterface = {
	linkType: number;
	snapLen: number;
	/** Timestamp units per second (1e6 = microseconds, 1e9 = nanoseconds). */
	tsResol: number;
	/** Seconds added to every timestamp (pcapng if_tsoffset). */
	tsOffset: number;
	name?: string;
};

type CaptureParserOptions = {
	/** pcapng DSB contents (TLS key logs and the like). */
	onSecrets?(s: CaptureSecrets): void;
	/** pcapng Custom Block: Private Enterprise Number and the bytes after it (a view: copy to keep). */
	onCustomBlock?(pen: number, data: Uint8Array): void;
	/** The format, once the first bytes tell it (pcapng may carry secrets blocks later on). */
	onFormat?(format: CaptureFormat): void;
};

/**
 * Largest captured length accepted for one packet: 256 KiB is Wireshark's
 * WTAP_MAX_PACKET_SIZE_STANDARD; anything bigger is a corrupt length field, and trusting it
 * would make us buffer megabytes waiting for a record that never ends.
 */
export const MAX_CAPTURED_LENGTH = 262_144;

/**
 * Largest pcapng block accepted: packets are capped above, but name resolution, secrets and
 * custom blocks may be bigger. 16 MiB bounds the carry buffer while leaving room for a large
 * TLS key log in a DSB.
 */
const MAX_BLOCK_LENGTH = 16 * 1024 * 1024;

/** Header sizes that decide how many bytes must arrive before a unit can be sized. */
const MAGIC_LENGTH = 4;
const PCAP_FILE_HEADER_LENGTH = 24;
const PCAP_RECORD_HEADER_LENGTH = 16;
/** 12, not 8: an SHB's byte order is only known from the magic at offset 8. */
const PCAPNG_BLOCK_HEADER_LENGTH = 12;

const PCAP_MAGIC_USEC = 0xa1b2c3d4;
const PCAP_MAGIC_NSEC = 0xa1b23c4d;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 0x00000001;
const BLOCK_PB = 0x00000002;
const BLOCK_SPB = 0x00000003;
const BLOCK_EPB = 0x00000006;
const BLOCK_DSB = 0x0000000a;
const BLOCK_CB_COPY = 0x00000bad;
const BLOCK_CB_NOCOPY = 0x40000bad;

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

/** Bits 16-25 of the pcap link type word must be zero; bits 26-31 carry the FCS length. */
const PCAP_LINKTYPE_RESERVED_MASK = 0x03ff0000;
const PCAP_LINKTYPE_MASK = 0x0000ffff;

/** Bounds the comment text kept per packet: it comes from the file and ends up on screen. */
const MAX_COMMENT_LENGTH = 4096;

const TWO_POW_32 = 4_294_967_296;

const MODE_START = 0;
const MODE_PCAP_HEADER = 1;
const MODE_PCAP_RECORD = 2;
const MODE_PCAPNG = 3;
const MODE_STOPPED = 4;

const utf8 = new TextDecoder('utf-8', {fatal: false});

/** Push parser for pcap/pcapng; see the file comment for the ownership of packet data. */
export class CaptureParser {
	private fmt: CaptureFormat | undefined;
	private err: CaptureError | undefined;
	private count = 0;
	private consumed = 0;

	private mode = MODE_START;
	/** Byte order of the current pcap file or pcapng section. */
	private le = true;
	/** pcap: fraction units per second (1e6 or 1e9). */
	private pcapTps = 1e6;
	/** pcap files older than 2.3 (and some 2.3 ones) swapped caplen and len. */
	private pcapSwapMinor = false;
	private pcapMinor3 = false;
	/** A file header (pcap) or first SHB (pcapng) was accepted: later damage is not fatal. */
	private headerAccepted = false;
	/** Total length wanted for the unit at `offset` (header size while its length is unknown). */
	private want = MAGIC_LENGTH;
	private carry = new Uint8Array(0);
	private carryLength = 0;
	private lastTs = 0;
	/** Buffer and byte offset of the array being parsed (the chunk, or a spanning unit's copy). */
	private unitBuffer: ArrayBufferLike = new ArrayBuffer(0);
	private unitBase = 0;

	// Interfaces of the current section, as parallel arrays: read per packet, so kept flat.
	private ifLink: number[] = [];
	private ifSnap: number[] = [];
	private ifTps: number[] = [];
	private ifOff: number[] = [];
	private ifName: Array<string | undefined> = [];

	// Scratch results of option walks (no per-block objects).
	private optComment: string | undefined;
	private optTps = 1e6;
	private optOff = 0;
	private optName: string | undefined;

	constructor(
		private readonly onPacket: (p: RawPacket) => void,
		private readonly opts: CaptureParserOptions = {},
	) {}

	/** Detected format, once the first bytes have arrived. */
	get format(): CaptureFormat | undefined {
		return this.fmt;
	}

	/** The damage that stopped the parser, if any. */
	get error(): CaptureError | undefined {
		return this.err;
	}

	/** Packets handed to `onPacket` so far. */
	get packets(): number {
		return this.count;
	}

	/** Bytes consumed: complete records and blocks, in file offsets. */
	get offset(): number {
		return this.consumed;
	}

	/** Interfaces of the current section (pcap: the one from the file header). */
	get interfaces(): CaptureInterface[] {
		return this.ifLink.map((linkType, i) => {
			const entry: CaptureInterface = {linkType, snapLen: this.ifSnap[i]!, tsResol: this.ifTps[i]!, tsOffset: this.ifOff[i]!};
			if (this.ifName[i] !== undefined) entry.name = this.ifName[i];
			return entry;
		});
	}

	/** Feeds the next bytes of the capture; never throws on bad input. */
	push(chunk: Uint8Array): void {
		if (this.mode === MODE_STOPPED || chunk.length === 0) return;
		let pos = 0;
		const end = chunk.length;
		if (this.carryLength > 0) {
			pos = this.fillCarry(chunk);
			if (pos < 0) return;
		}
		const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
		this.unitBuffer = chunk.buffer;
		this.unitBase = chunk.byteOffset;
		while (pos < end) {
			const used = this.step(chunk, dv, pos, end - pos);
			if (used > 0) {
				pos += used;
				this.consumed += used;
				continue;
			}
			if (used < 0) return;
			break;
		}
		if (pos < end) this.keep(chunk, pos, end);
	}

	/**
	 * Drops a partial record or block left by a stream that broke mid-unit, when the next bytes
	 * start a whole one of the same capture (a restarted tcpdump whose header was joined away).
	 * Returns the bytes dropped; before the file header is whole there is nothing to cut.
	 */
	cut(): number {
		if (this.mode !== MODE_PCAP_RECORD && this.mode !== MODE_PCAPNG) return 0;
		const dropped = this.carryLength;
		this.carryLength = 0;
		return dropped;
	}

	/** Signals end of input: a partial record left over is reported as damage. */
	end(): void {
		if (this.mode === MODE_STOPPED) return;
		if (this.consumed === 0 && this.carryLength === 0) {
			this.fail(0, 'empty input: not a pcap or pcapng capture');
		} else if (!this.headerAccepted) {
			this.fail(0, `truncated file header at byte ${this.consumed} (${this.carryLength} of ${this.want} bytes)`);
		} else if (this.carryLength > 0) {
			this.fail(0, `truncated record at byte ${this.consumed} (${this.carryLength} of ${this.want} bytes)`);
		}
		this.mode = MODE_STOPPED;
		this.carry = new Uint8Array(0);
		this.carryLength = 0;
	}

	/**
	 * Completes the unit held in the carry buffer from the head of `chunk`; returns how many bytes
	 * of the chunk it used, or -1 when it used them all (or stopped on damage).
	 */
	private fillCarry(chunk: Uint8Array): number {
		let pos = 0;
		for (;;) {
			const need = this.want - this.carryLength;
			const take = Math.min(need, chunk.length - pos);
			this.append(chunk, pos, pos + take);
			pos += take;
			if (this.carryLength < this.want) return -1;
			// A fresh copy, so packets parsed from it never alias the reused carry buffer.
			const unit = this.carry.slice(0, this.carryLength);
			this.unitBuffer = unit.buffer;
			this.unitBase = 0;
			const used = this.step(unit, new DataView(unit.buffer), 0, unit.length);
			if (used < 0) return -1;
			if (used > 0) {
				this.consumed += used;
				this.carryLength = 0;
				return pos;
			}
			// The header is complete and now names the full length: go round for the rest.
			// (A unit that wants no more than it has would loop forever: impossible, but cheap to rule out.)
			if (this.want <= this.carryLength) {
				this.fail(0, `internal: record at byte ${this.consumed} cannot be sized`);
				return -1;
			}
		}
	}

	private keep(chunk: Uint8Array, from: number, to: number): void {
		this.carryLength = 0;
		this.append(chunk, from, to);
	}

	private append(chunk: Uint8Array, from: number, to: number): void {
		const n = to - from;
		if (this.carryLength + n > this.carry.length) {
			const grown = new Uint8Array(Math.max(this.want, this.carryLength + n, 64));
			grown.set(this.carry.subarray(0, this.carryLength));
			this.carry = grown;
		}
		this.carry.set(chunk.subarray(from, to), this.carryLength);
		this.carryLength += n;
	}

	/**
	 * Reads one unit (file header, record or block) at `pos`: returns the bytes it used, 0 when
	 * more bytes are needed (`want` says how many in total), -1 on damage.
	 */
	private step(buf: Uint8Array, dv: DataView, pos: number, avail: number): number {
		switch (this.mode) {
			case MODE_PCAP_RECORD:
				return this.pcapRecord(buf, dv, pos, avail);
			case MODE_PCAPNG:
				return this.pcapngBlock(buf, dv, pos, avail);
			case MODE_PCAP_HEADER:
				return this.pcapHeader(dv, pos, avail);
			case MODE_START:
				return this.sniff(buf, dv, pos, avail);
			default:
				return -1;
		}
	}

	private sniff(buf: Uint8Array, dv: DataView, pos: number, avail: number): number {
		if (avail < MAGIC_LENGTH) {
			this.want = MAGIC_LENGTH;
			return 0;
		}
		const magic = dv.getUint32(pos, false);
		if (magic === BLOCK_SHB) {
			this.fmt = 'pcapng';
			this.opts.onFormat?.('pcapng');
			this.mode = MODE_PCAPNG;
			return this.pcapngBlock(buf, dv, pos, avail);
		}
		const magicLe = dv.getUint32(pos, true);
		if (magic === PCAP_MAGIC_USEC || magic === PCAP_MAGIC_NSEC || magicLe === PCAP_MAGIC_USEC || magicLe === PCAP_MAGIC_NSEC) {
			this.fmt = 'pcap';
			this.opts.onFormat?.('pcap');
			this.mode = MODE_PCAP_HEADER;
			return this.pcapHeader(dv, pos, avail);
		}
		return this.fail(0, `not a pcap or pcapng capture (magic 0x${hex32(magic)})`);
	}

	private pcapHeader(dv: DataView, pos: number, avail: number): number {
		if (avail < PCAP_FILE_HEADER_LENGTH) {
			this.want = PCAP_FILE_HEADER_LENGTH;
			return 0;
		}
		const magicLe = dv.getUint32(pos, true);
		const le = magicLe === PCAP_MAGIC_USEC || magicLe === PCAP_MAGIC_NSEC;
		const magic = le ? magicLe : dv.getUint32(pos, false);
		const major = dv.getUint16(pos + 4, le);
		const minor = dv.getUint16(pos + 6, le);
		// Like libpcap and Wireshark: major 2 with any minor (2.0 and 2.5 exist in the wild).
		if (major !== 2) return this.fail(4, `pcap version ${major}.${minor} unsupported (only 2.x)`);
		const snapLen = dv.getUint32(pos + 16, le);
		const linkWord = dv.getUint32(pos + 20, le);
		if ((linkWord & PCAP_LINKTYPE_RESERVED_MASK) !== 0) {
			return this.fail(20, `pcap link type reserved field not zero (0x${hex32((linkWord & PCAP_LINKTYPE_RESERVED_MASK) >>> 0)})`);
		}
		this.le = le;
		this.pcapTps = magic === PCAP_MAGIC_NSEC ? 1e9 : 1e6;
		this.pcapSwapMinor = minor < 3;
		this.pcapMinor3 = minor === 3;
		// The FCS-length bits (26-31) are not needed by the decoders: frames are read by IP length.
		this.resetInterfaces();
		this.addInterface(linkWord & PCAP_LINKTYPE_MASK, snapLen, this.pcapTps, 0, undefined);
		this.headerAccepted = true;
		this.mode = MODE_PCAP_RECORD;
		return PCAP_FILE_HEADER_LENGTH;
	}

	private pcapRecord(buf: Uint8Array, dv: DataView, pos: number, avail: number): number {
		if (avail < PCAP_RECORD_HEADER_LENGTH) {
			this.want = PCAP_RECORD_HEADER_LENGTH;
			return 0;
		}
		const le = this.le;
		let capLen = dv.getUint32(pos + 8, le);
		let origLen = dv.getUint32(pos + 12, le);
		// Before 2.3 the two length fields were the other way round (libpcap's "swapped" files).
		if (this.pcapSwapMinor || (this.pcapMinor3 && capLen > origLen)) {
			const t = capLen;
			capLen = origLen;
			origLen = t;
		}
		const snapLen = this.ifSnap[0]!;
		if (snapLen > 0 && capLen > snapLen) {
			return this.fail(8, `record captured length ${capLen} exceeds the file's snapshot length ${snapLen}`);
		}
		if (capLen > MAX_CAPTURED_LENGTH) {
			return this.fail(8, `record captured length ${capLen} exceeds the ${MAX_CAPTURED_LENGTH}-byte maximum`);
		}
		const total = PCAP_RECORD_HEADER_LENGTH + capLen;
		if (avail < total) {
			this.want = total;
			return 0;
		}
		const ts = dv.getUint32(pos, le) + dv.getUint32(pos + 4, le) / this.pcapTps;
		this.lastTs = ts;
		this.onPacket({
			ts,
			linkType: this.ifLink[0]!,
			data: this.view(pos + PCAP_RECORD_HEADER_LENGTH, capLen),
			origLen,
			iface: 0,
			index: ++this.count,
		});
		return total;
	}

	private pcapngBlock(buf: Uint8Array, dv: DataView, pos: number, avail: number): number {
		if (avail < PCAPNG_BLOCK_HEADER_LENGTH) {
			this.want = PCAPNG_BLOCK_HEADER_LENGTH;
			return 0;
		}
		let le = this.le;
		const type0 = dv.getUint32(pos, le);
		const isShb = type0 === BLOCK_SHB;
		if (isShb) {
			const bom = dv.getUint32(pos + 8, true);
			if (bom === PCAPNG_BYTE_ORDER_MAGIC) le = true;
			else if (dv.getUint32(pos + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) le = false;
			else return this.fail(8, `pcapng section header has a bad byte-order magic (0x${hex32(bom)})`);
		}
		const type = isShb ? BLOCK_SHB : type0;
		const length = dv.getUint32(pos + 4, le);
		if (length < PCAPNG_BLOCK_HEADER_LENGTH || length % 4 !== 0) {
			return this.fail(4, `pcapng block length ${length} is invalid (must be a multiple of 4, at least 12)`);
		}
		if (length > MAX_BLOCK_LENGTH) {
			return this.fail(4, `pcapng block length ${length} exceeds the ${MAX_BLOCK_LENGTH}-byte maximum`);
		}
		if (avail < length) {
			this.want = length;
			return 0;
		}
		if (dv.getUint32(pos + length - 4, le) !== length) {
			return this.fail(length - 4, `pcapng block trailing length ${dv.getUint32(pos + length - 4, le)} does not match ${length}`);
		}
		switch (type) {
			case BLOCK_EPB:
				return this.packetBlock(buf, dv, pos, length, le, false);
			case BLOCK_SPB:
				return this.simplePacketBlock(buf, dv, pos, length, le);
			case BLOCK_IDB:
				return this.interfaceBlock(buf, dv, pos, length, le);
			case BLOCK_SHB:
				return this.sectionHeader(buf, dv, pos, length, le);
			case BLOCK_PB:
				return this.packetBlock(buf, dv, pos, length, le, true);
			case BLOCK_DSB:
				return this.secretsBlock(buf, dv, pos, length, le);
			case BLOCK_CB_COPY:
			case BLOCK_CB_NOCOPY:
				return this.customBlock(buf, dv, pos, length, le);
			default:
				// NRB, ISB, journal entries, unknown types: not needed, length already checked.
				return length;
		}
	}

	private sectionHeader(buf: Uint8Array, dv: DataView, pos: number, length: number, le: boolean): number {
		const minLength = 28;
		if (length < minLength) return this.fail(4, `pcapng section header length ${length} is shorter than ${minLength}`);
		const major = dv.getUint16(pos + 12, le);
		const minor = dv.getUint16(pos + 14, le);
		// 1.2 was written by some old tools and means 1.0 (Wireshark accepts it too).
		if (major !== 1 || (minor !== 0 && minor !== 2)) {
			return this.fail(12, `pcapng section header version ${major}.${minor} unsupported (only 1.0)`);
		}
		if (!this.walkOptions(buf, dv, pos, pos + 24, pos + length - 4, le, BLOCK_SHB)) return -1;
		this.le = le;
		this.resetInterfaces();
		this.headerAccepted = true;
		return length;
	}

	private interfaceBlock(buf: Uint8Array, dv: DataView, pos: number, length: number, le: boolean): number {
		const minLength = 20;
		if (length < minLength) return this.fail(4, `pcapng interface block length ${length} is shorter than ${minLength}`);
		this.optTps = 1e6;
		this.optOff = 0;
		this.optName = undefined;
		if (!this.walkOptions(buf, dv, pos, pos + 16, pos + length - 4, le, BLOCK_IDB)) return -1;
		this.addInterface(dv.getUint16(pos + 8, le), dv.getUint32(pos + 12, le), this.optTps, this.optOff, this.optName);
		return length;
	}

	/** EPB, or the obsolete PB (16-bit interface id followed by a drop count). */
	private packetBlock(buf: Uint8Array, dv: DataView, pos: number, length: number, le: boolean, obsolete: boolean): number {
		const dataStart = 28;
		if (length < dataStart + 4) return this.fail(4, `pcapng packet block length ${length} is shorter than ${dataStart + 4}`);
		const iface = obsolete ? dv.getUint16(pos + 8, le) : dv.getUint32(pos + 8, le);
		if (iface >= this.ifLink.length) {
			return this.fail(8, `packet names interface ${iface} but the section has ${this.ifLink.length}`);
		}
		const capLen = dv.getUint32(pos + 20, le);
		if (capLen > MAX_CAPTURED_LENGTH) {
			return this.fail(20, `packet captured length ${capLen} exceeds the ${MAX_CAPTURED_LENGTH}-byte maximum`);
		}
		const optStart = dataStart + ((capLen + 3) & ~3);
		if (optStart + 4 > length) return this.fail(20, `packet captured length ${capLen} runs past the end of its ${length}-byte block`);
		let comment: string | undefined;
		if (optStart + 4 < length) {
			this.optComment = undefined;
			if (!this.walkOptions(buf, dv, pos, pos + optStart, pos + length - 4, le, BLOCK_EPB)) return -1;
			comment = this.optComment;
		}
		const ts = (dv.getUint32(pos + 12, le) * TWO_POW_32 + dv.getUint32(pos + 16, le)) / this.ifTps[iface]! + this.ifOff[iface]!;
		this.lastTs = ts;
		const packet: RawPacket = {
			ts,
			linkType: this.ifLink[iface]!,
			data: this.view(pos + dataStart, capLen),
			origLen: dv.getUint32(pos + 24, le),
			iface,
			index: ++this.count,
		};
		if (comment !== undefined) packet.comment = comment;
		this.onPacket(packet);
		return length;
	}

	private simplePacketBlock(buf: Uint8Array, dv: DataView, pos: number, length: number, le: boolean): number {
		const dataStart = 12;
		if (length < dataStart + 4) return this.fail(4, `pcapng simple packet block length ${length} is shorter than ${dataStart + 4}`);
		if (this.ifLink.length === 0) return this.fail(0, 'simple packet block before any interface description');
		const origLen = dv.getUint32(pos + 8, le);
		const snap = this.ifSnap[0]!;
		// The block has no captured length: it is the original length cut by snaplen and the block.
		let capLen = Math.min(origLen, length - dataStart - 4);
		if (snap > 0 && snap < capLen) capLen = snap;
		if (capLen > MAX_CAPTURED_LENGTH) {
			return this.fail(8, `packet captured length ${capLen} exceeds the ${MAX_CAPTURED_LENGTH}-byte maximum`);
		}
		this.onPacket({
			// No timestamp in an SPB: the previous packet's is the best estimate.
			ts: this.lastTs,
			linkType: this.ifLink[0]!,
			data: this.view(pos + dataStart, capLen),
			origLen,
			iface: 0,
			index: ++this.count,
		});
		return length;
	}

	private secretsBlock(buf: Uint8Array, dv: DataView, pos: number, length: number, le: boolean): number {
		const dataStart = 16;
		if (length < dataStart + 4) return this.fail(4, `pcapng secrets block length ${length} is shorter than ${dataStart + 4}`);
		const secretsType = dv.getUint32(pos + 8, le);
		const secretsLength = dv.getUint32(pos + 12, le);
		if (secretsLength > length - dataStart - 4) {
			return this.fail(12, `secrets length ${secretsLength} runs past the end of its ${length}-byte block`);
		}
		// A copy: secrets are kept for the whole session and must not pin a chunk.
		// (Not buf.slice: on a Node Buffer that is a view.)
		this.opts.onSecrets?.({secretsType, data: new Uint8Array(buf.subarray(pos + dataStart, pos + dataStart + secretsLength))});
		return length;
	}

	private customBlock(buf: Uint8Array, dv: DataView, pos: number, length: number, le: boolean): number {
		const dataStart = 12;
		if (length < dataStart + 4) return this.fail(4, `pcapng custom block length ${length} is shorter than ${dataStart + 4}`);
		// Custom data and options cannot be told apart without knowing the PEN's format: hand over both.
		this.opts.onCustomBlock?.(dv.getUint32(pos + 8, le), buf.subarray(pos + dataStart, pos + length - 4));
		return length;
	}

	/**
	 * Walks the options between `from` and `to` (absolute), storing the ones `block` cares about
	 * in the opt* fields. False (and `error` set) when an option runs past the block.
	 */
	private walkOptions(buf: Uint8Array, dv: DataView, blockPos: number, from: number, to: number, le: boolean, block: number): boolean {
		let p = from;
		while (p + 4 <= to) {
			const code = dv.getUint16(p, le);
			const len = dv.getUint16(p + 2, le);
			if (code === OPT_ENDOFOPT) return true;
			const value = p + 4;
			if (value + len > to) {
				this.fail(p - blockPos, `pcapng option ${code} of length ${len} runs past the end of its block`);
				return false;
			}
			if (code === OPT_COMMENT && block === BLOCK_EPB) {
				const text = utf8.decode(buf.subarray(value, value + Math.min(len, MAX_COMMENT_LENGTH)));
				this.optComment = this.optComment === undefined ? text : `${this.optComment}\n${text}`;
			} else if (block === BLOCK_IDB) {
				if (code === IF_TSRESOL && len >= 1) {
					const r = buf[value]!;
					// High bit set: a negative power of 2; otherwise a negative power of 10.
					this.optTps = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
				} else if (code === IF_TSOFFSET && len >= 8) {
					this.optOff = Number(dv.getBigInt64(value, le));
				} else if (code === IF_NAME) {
					this.optName = utf8.decode(buf.subarray(value, value + Math.min(len, MAX_COMMENT_LENGTH)));
				}
			}
			p = value + ((len + 3) & ~3);
		}
		if (p < to) {
			this.fail(p - blockPos, `pcapng options end with ${to - p} stray bytes`);
			return false;
		}
		return true;
	}

	private resetInterfaces(): void {
		this.ifLink = [];
		this.ifSnap = [];
		this.ifTps = [];
		this.ifOff = [];
		this.ifName = [];
	}

	private addInterface(link: number, snap: number, tps: number, off: number, name: string | undefined): void {
		this.ifLink.push(link);
		this.ifSnap.push(snap);
		this.ifTps.push(tps);
		this.ifOff.push(off);
		this.ifName.push(name);
	}

	/**
	 * A view of `length` bytes at `at` in the unit being parsed. From the cached buffer and base:
	 * reading `.buffer` per packet, or calling subarray(), measured 2-3x slower in V8.
	 */
	private view(at: number, length: number): Uint8Array {
		return new Uint8Array(this.unitBuffer, this.unitBase + at, length);
	}

	/** Records damage at `rel` bytes into the current unit and stops the parser; returns -1. */
	private fail(rel: number, message: string): number {
		if (!this.err) {
			this.err = {offset: this.consumed + rel, message, fatal: !this.headerAccepted};
		}
		this.mode = MODE_STOPPED;
		return -1;
	}
}

function hex32(n: number): string {
	return (n >>> 0).toString(16).padStart(8, '0');
}
