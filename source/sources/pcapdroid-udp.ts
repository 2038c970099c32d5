/**
 * Framing of PCAPdroid's UDP exporter (pcap_dump/UDPDumper.java): the first datagram is the
 * preamble (the 24-byte pcap file header, or pcapng SHB+IDB), sent once; every later datagram is
 * exactly one pcap record or one pcapng block. No I/O here: datagrams in, byte units out, to be
 * pushed into a CaptureParser (one parser per preamble).
 *
 * Each datagram is checked on its own before the parser sees it, so a damaged datagram is
 * counted and skipped instead of stopping the stream. A receiver that joins late gets records
 * without a preamble; one is synthesised, as PCAPdroid's tools/udp_receiver.py does: pcap,
 * little-endian (every Android ABI), microseconds, snaplen 65535, LINKTYPE_ETHERNET when the
 * record ends with the PCAPdroid trailer magic, else LINKTYPE_RAW (PCAPdroid only ever dumps IP
 * packets); for pcapng an SHB plus LINKTYPE_RAW interfaces, which is what PCAPdroid writes.
 *
 * UDP has no sequence numbers and pcap neither, so a lost record cannot be seen. What can:
 * timestamps going backwards (reordering), and in pcapng a packet naming an interface or a uid
 * whose IDB or UID-map block never arrived (PCAPdroid sends each exactly once, before first use).
 *
 * Over 300 lines because checking each datagram as a pcap record or pcapng block and synthesising
 * a missing preamble are one framing.
 */
import type {CaptureFormat} from './capture-reader.js';

type FramedDatagram =
	| {
			ok: true;
			/** Start a new capture segment with these preamble bytes (real or synthesised) first. */
			restart?: Uint8Array;
			/** Units to push into the segment's parser, in order. */
			units: Uint8Array[];
	  }
	| {ok: false; reason: string};

export type UdpFramerStats = {
	datagrams: number;
	preambles: number;
	/** Preambles made up for a late join (or a format switch seen without one). */
	synthesized: number;
	malformed: number;
	/** Datagrams whose timestamp is earlier than the one before (reordered on the way). */
	reordered: number;
	/** Blocks known to be lost: an IDB or UID map that a later packet needed but never came. */
	missingBlocks: number;
	lastProblem?: string;
};

const PCAP_HEADER_LENGTH = 24;
const PCAP_RECORD_HEADER_LENGTH = 16;
const PCAP_MAGIC_USEC = 0xa1b2c3d4;
const PCAP_MAGIC_NSEC = 0xa1b23c4d;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
/** As PCAPdroid's own udp_receiver.py: the largest IP packet, and more than any UDP datagram holds. */
const SYNTH_SNAPLEN = 65_535;

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 0x00000001;
const BLOCK_EPB = 0x00000006;
const BLOCK_CB_COPY = 0x00000bad;
const BLOCK_CB_NOCOPY = 0x40000bad;
const PCAPNG_BOM = 0x1a2b3c4d;
/** Block types PCAPdroid sends as datagrams, plus the other standard ones (PB, SPB, NRB, ISB, DSB). */
const KNOWN_BLOCKS = new Set([BLOCK_IDB, 2, 3, 4, 5, BLOCK_EPB, 0x0000000a, BLOCK_CB_COPY, BLOCK_CB_NOCOPY]);
const EPB_HEADER = 28;
const OPT_COMMENT = 1;
const PCAPDROID_PEN = 62652;
const PCAPDROID_UID_MAP = 1;
/** Blocks walked in one preamble datagram: an SHB and its IDBs; PCAPdroid sends 2. */
const MAX_PREAMBLE_BLOCKS = 64;
/**
 * Interfaces synthesised for a packet that names one never described. PCAPdroid adds one IDB per
 * real interface in root mode (wlan0, rmnet, tun0...); 64 bounds a hostile interface id.
 */
export const MAX_SYNTH_INTERFACES = 64;
/** Options walked in one EPB looking for the uid comment; PCAPdroid writes at most 3. */
const MAX_EPB_OPTIONS = 16;
/** UIDs remembered for the lost-map check: a phone's app count, with room (as decode/pcapdroid-metadata.ts). */
const MAX_TRACKED_UIDS = 4096;

const latin1 = new TextDecoder('latin1');

/** Splits PCAPdroid UDP exporter datagrams into capture units; see the file comment. */
export class UdpCaptureFramer {
	readonly stats: UdpFramerStats = {datagrams: 0, preambles: 0, synthesized: 0, malformed: 0, reordered: 0, missingBlocks: 0};
	private format: CaptureFormat | undefined;
	private le = true;
	private snapLen = 0;
	private linkType = LINKTYPE_RAW;
	private interfaces = 0;
	/** The current segment began with a made-up preamble (so earlier blocks were never ours to see). */
	private synthesized = false;
	private lastTs = -1;
	private preambleBytes: Uint8Array | undefined;
	private readonly mappedUids = new Set<number>();

	/** True when the current segment began with a made-up preamble (we joined late), not PCAPdroid's own. */
	get madeUpPreamble(): boolean {
		return this.synthesized;
	}

	/** The preamble of the current segment, to restart a parser after damage. */
	get preamble(): Uint8Array | undefined {
		return this.preambleBytes;
	}

	/** Classifies one datagram; never throws. */
	datagram(d: Uint8Array): FramedDatagram {
		this.stats.datagrams++;
		const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
		if (d.length >= 4) {
			const be = dv.getUint32(0, false);
			const le = dv.getUint32(0, true);
			if (be === BLOCK_SHB) return this.pcapngPreamble(d, dv);
			if (isPcapMagic(be) || isPcapMagic(le)) return this.pcapPreamble(d, dv);
		}
		if (this.format === 'pcapng') return this.pcapngUnit(d, dv);
		if (this.format === 'pcap') return this.pcapUnit(d, dv);
		// Late join: whatever validates first decides the format.
		if (pcapngBlockLength(dv, true) === d.length || pcapngBlockLength(dv, false) === d.length) return this.pcapngUnit(d, dv);
		return this.pcapUnit(d, dv);
	}

	private pcapPreamble(d: Uint8Array, dv: DataView): FramedDatagram {
		if (d.length !== PCAP_HEADER_LENGTH) return this.bad(`pcap header datagram of ${d.length} bytes (expected ${PCAP_HEADER_LENGTH})`);
		const le = isPcapMagic(dv.getUint32(0, true));
		if (dv.getUint16(4, le) !== 2) return this.bad(`pcap version ${dv.getUint16(4, le)}.${dv.getUint16(6, le)} unsupported`);
		this.format = 'pcap';
		this.le = le;
		this.snapLen = dv.getUint32(16, le);
		this.linkType = dv.getUint32(20, le) & 0xffff;
		return this.begin(d, false);
	}

	private pcapngPreamble(d: Uint8Array, dv: DataView): FramedDatagram {
		if (d.length < 28) return this.bad(`pcapng section header datagram of ${d.length} bytes`);
		let le: boolean;
		if (dv.getUint32(8, true) === PCAPNG_BOM) le = true;
		else if (dv.getUint32(8, false) === PCAPNG_BOM) le = false;
		else return this.bad('pcapng section header with a bad byte-order magic');
		let at = 0;
		let interfaces = 0;
		for (let n = 0; at < d.length; n++) {
			if (n >= MAX_PREAMBLE_BLOCKS) return this.bad(`pcapng preamble with more than ${MAX_PREAMBLE_BLOCKS} blocks`);
			const len = blockLengthAt(dv, at, le);
			if (len === undefined || at + len > d.length) return this.bad(`pcapng preamble block at byte ${at} is damaged`);
			const type = dv.getUint32(at, le);
			if (n === 0 ? type !== BLOCK_SHB : type !== BLOCK_IDB) return this.bad(`pcapng preamble holds block type 0x${type.toString(16)} at byte ${at}`);
			if (type === BLOCK_IDB) interfaces++;
			at += len;
		}
		this.format = 'pcapng';
		this.le = le;
		this.interfaces = interfaces;
		return this.begin(d, false);
	}

	private pcapUnit(d: Uint8Array, dv: DataView): FramedDatagram {
		if (d.length < PCAP_RECORD_HEADER_LENGTH) return this.bad(`datagram of ${d.length} bytes is too short for a pcap record`);
		let le = this.le;
		if (this.format === undefined) {
			if (dv.getUint32(8, true) === d.length - PCAP_RECORD_HEADER_LENGTH) le = true;
			else if (dv.getUint32(8, false) === d.length - PCAP_RECORD_HEADER_LENGTH) le = false;
			else return this.bad('datagram is neither a preamble nor a pcap record nor a pcapng block');
		}
		const capLen = dv.getUint32(8, le);
		const origLen = dv.getUint32(12, le);
		if (capLen !== d.length - PCAP_RECORD_HEADER_LENGTH) {
			return this.bad(`pcap record says ${capLen} captured bytes, datagram holds ${d.length - PCAP_RECORD_HEADER_LENGTH} (truncated or not a record)`);
		}
		if (this.snapLen > 0 && capLen > this.snapLen) return this.bad(`pcap record of ${capLen} bytes exceeds snaplen ${this.snapLen}`);
		if (origLen < capLen) return this.bad(`pcap record original length ${origLen} below captured length ${capLen}`);
		const trailer = hasTrailer(d, PCAP_RECORD_HEADER_LENGTH);
		let restart: Uint8Array | undefined;
		// Join late, or a made-up RAW header that turns out wrong once a trailer shows up.
		if (this.format === undefined || (this.synthesized && trailer && this.linkType !== LINKTYPE_ETHERNET)) {
			this.format = 'pcap';
			this.le = le;
			this.snapLen = SYNTH_SNAPLEN;
			this.linkType = trailer ? LINKTYPE_ETHERNET : LINKTYPE_RAW;
			restart = pcapHeader(le, this.linkType, SYNTH_SNAPLEN);
			this.stats.synthesized++;
			this.lastTs = -1;
			this.synthesized = true;
			this.preambleBytes = restart;
			this.stats.preambles++;
		}
		this.checkOrder(dv.getUint32(0, le) * 1e6 + dv.getUint32(4, le));
		return restart ? {ok: true, restart, units: [d]} : {ok: true, units: [d]};
	}

	private pcapngUnit(d: Uint8Array, dv: DataView): FramedDatagram {
		let le = this.le;
		if (this.format === undefined) le = pcapngBlockLength(dv, true) === d.length;
		const len = blockLengthAt(dv, 0, le);
		if (len === undefined || len !== d.length) return this.bad(`datagram of ${d.length} bytes is not one pcapng block`);
		const type = dv.getUint32(0, le);
		if (this.format === undefined && !KNOWN_BLOCKS.has(type)) return this.bad(`unknown pcapng block type 0x${type.toString(16)} before any preamble`);
		let restart: Uint8Array | undefined;
		if (this.format === undefined) {
			this.format = 'pcapng';
			this.le = le;
			this.interfaces = 0;
			this.synthesized = true;
			this.lastTs = -1;
			this.mappedUids.clear();
			restart = sectionHeader(le);
			this.preambleBytes = restart;
			this.stats.synthesized++;
			this.stats.preambles++;
		}
		const units: Uint8Array[] = [];
		if (type === BLOCK_IDB) {
			this.interfaces++;
		} else if (type === BLOCK_EPB) {
			if (len < EPB_HEADER + 4) return this.bad(`pcapng packet block of ${len} bytes`);
			const capLen = dv.getUint32(20, le);
			if (EPB_HEADER + ((capLen + 3) & ~3) + 4 > len) return this.bad(`pcapng packet of ${capLen} bytes runs past its ${len}-byte block`);
			const iface = dv.getUint32(8, le);
			if (iface >= this.interfaces) {
				const missing = iface + 1 - this.interfaces;
				if (missing > MAX_SYNTH_INTERFACES) return this.bad(`pcapng packet names interface ${iface}`);
				// Made up only for a late join; after a real preamble each one is a lost IDB datagram.
				if (!this.synthesized) this.stats.missingBlocks += missing;
				for (let i = 0; i < missing; i++) units.push(rawInterface(le));
				this.interfaces = iface + 1;
			}
			this.checkOrder(dv.getUint32(12, le) * 2 ** 32 + dv.getUint32(16, le));
			this.checkUidMap(d, dv, le, capLen, len);
		} else if (type === BLOCK_CB_COPY || type === BLOCK_CB_NOCOPY) {
			if (len >= 24 && dv.getUint32(8, le) === PCAPDROID_PEN && d[14] === PCAPDROID_UID_MAP) this.trackUid(dv.getInt32(16, le));
		}
		units.push(d);
		return restart ? {ok: true, restart, units} : {ok: true, units};
	}

	/** A packet of uid N with no UID map seen for N: the map's datagram was lost (counted once). */
	private checkUidMap(d: Uint8Array, dv: DataView, le: boolean, capLen: number, len: number): void {
		let at = EPB_HEADER + ((capLen + 3) & ~3);
		const end = len - 4;
		for (let n = 0; n < MAX_EPB_OPTIONS && at + 4 <= end; n++) {
			const code = dv.getUint16(at, le);
			const olen = dv.getUint16(at + 2, le);
			if (code === 0 || at + 4 + olen > end) return;
			if (code === OPT_COMMENT && olen > 2 && olen <= 13 && d[at + 4] === 0x75 /* u */ && d[at + 5] === 0x2d /* - */) {
				const uid = Number(latin1.decode(d.subarray(at + 6, at + 4 + olen)));
				if (Number.isInteger(uid) && !this.mappedUids.has(uid)) {
					if (!this.synthesized) this.stats.missingBlocks++;
					this.trackUid(uid);
				}
				return;
			}
			at += 4 + ((olen + 3) & ~3);
		}
	}

	private trackUid(uid: number): void {
		if (this.mappedUids.size < MAX_TRACKED_UIDS) this.mappedUids.add(uid);
	}

	private checkOrder(ts: number): void {
		if (ts < this.lastTs) this.stats.reordered++;
		else this.lastTs = ts;
	}

	private begin(d: Uint8Array, synthesized: boolean): FramedDatagram {
		this.stats.preambles++;
		this.synthesized = synthesized;
		this.lastTs = -1;
		this.mappedUids.clear();
		this.preambleBytes = d;
		return {ok: true, restart: d, units: []};
	}

	private bad(reason: string): FramedDatagram {
		this.stats.malformed++;
		this.stats.lastProblem = reason;
		return {ok: false, reason};
	}
}

function isPcapMagic(m: number): boolean {
	return m === PCAP_MAGIC_USEC || m === PCAP_MAGIC_NSEC;
}

/** The block's total length when the block at `at` is well formed (both lengths agree), else undefined. */
function blockLengthAt(dv: DataView, at: number, le: boolean): number | undefined {
	if (dv.byteLength - at < 12) return undefined;
	const len = dv.getUint32(at + 4, le);
	if (len < 12 || len % 4 !== 0 || at + len > dv.byteLength) return undefined;
	if (dv.getUint32(at + len - 4, le) !== len) return undefined;
	return len;
}

/** Length of a lone pcapng block of a known type filling the datagram, in one byte order; else -1. */
function pcapngBlockLength(dv: DataView, le: boolean): number {
	if (dv.byteLength < 12 || !KNOWN_BLOCKS.has(dv.getUint32(0, le))) return -1;
	return blockLengthAt(dv, 0, le) ?? -1;
}

/** True when the record's frame (from `at`) ends with PCAPdroid's trailer magic 0x01072021. */
function hasTrailer(d: Uint8Array, at: number): boolean {
	const m = d.length - 32;
	return m >= at + 14 && d[m] === 0x01 && d[m + 1] === 0x07 && d[m + 2] === 0x20 && d[m + 3] === 0x21;
}

/** A pcap file header: version 2.4, microseconds. */
function pcapHeader(le: boolean, linkType: number, snapLen: number): Uint8Array {
	const b = new Uint8Array(PCAP_HEADER_LENGTH);
	const dv = new DataView(b.buffer);
	dv.setUint32(0, PCAP_MAGIC_USEC, le);
	dv.setUint16(4, 2, le);
	dv.setUint16(6, 4, le);
	dv.setUint32(16, snapLen, le);
	dv.setUint32(20, linkType, le);
	return b;
}

/** A minimal pcapng SHB (v1.0, unknown section length, no options). */
function sectionHeader(le: boolean): Uint8Array {
	const b = new Uint8Array(28);
	const dv = new DataView(b.buffer);
	dv.setUint32(0, BLOCK_SHB, le);
	dv.setUint32(4, 28, le);
	dv.setUint32(8, PCAPNG_BOM, le);
	dv.setUint16(12, 1, le);
	dv.setUint16(14, 0, le);
	dv.setInt32(16, -1, le);
	dv.setInt32(20, -1, le);
	dv.setUint32(24, 28, le);
	return b;
}

/** An IDB as PCAPdroid writes for its capture: LINKTYPE_RAW, no snaplen limit, microseconds. */
function rawInterface(le: boolean): Uint8Array {
	const b = new Uint8Array(20);
	const dv = new DataView(b.buffer);
	dv.setUint32(0, BLOCK_IDB, le);
	dv.setUint32(4, 20, le);
	dv.setUint16(8, LINKTYPE_RAW, le);
	dv.setUint32(12, 0, le);
	dv.setUint32(16, 20, le);
	return b;
}
