/**
 * PCAPdroid's per-packet app metadata: the PCAPdroid trailer (pcap "extensions"), the pcapng UID
 * map custom block (PEN 62652) and the `u-<uid>` EPB comment. Pure: bytes in, values out; the
 * only state is the per-capture AppMetadataContext the caller owns.
 *
 * Formats as PCAPdroid writes them (emanuele-f/PCAPdroid app/src/main/jni/core/pcap_dump.c):
 * - trailer frame: [fake Ethernet: 12 zero bytes + ethertype 0x0800|0x86dd] [IP packet]
 *   [0-3 zero bytes to 4-align] [magic 0x01072021 BE][uid int32 BE][app name, 20 bytes NUL-padded]
 *   [CRC-32 of everything before it, native (little-endian) order]. The pcap header then says
 *   LINKTYPE_ETHERNET; when the trailer would exceed snaplen PCAPdroid writes the bare IP packet
 *   under that same Ethernet link type.
 * - UID map block: custom block 0x00000BAD, PEN 62652, then version u16 (1), type u8 (1 = UID map),
 *   pad u8, uid int32, package_name_len u8, app_name_len u8, package name, app name, padding.
 * - EPB comment `u-<uid>` on every packet when extensions are on (pcapng).
 * The app name in the trailer is the app's label in current PCAPdroid (getNameForUid, i.e. the
 * package, in old versions); it is all the trailer carries, so it becomes `app.package` unless
 * the context knows the uid's real package.
 *
 * Over 300 lines because the three carriers of one metadata (trailer, UID map block, EPB comment)
 * feed one per-capture context.
 */
import * as zlib from 'node:zlib';
import type {RawPacket} from '../types.js';

export const PCAPDROID_TRAILER_LENGTH = 32;
/** PCAPdroid's IANA Private Enterprise Number, in pcapng custom blocks. */
export const PCAPDROID_PEN = 62652;
const PCAPDROID_BLOCK_UID_MAP = 1;
/** PCAPdroid's "uid unknown". */
const PCAPDROID_UID_UNKNOWN = -1;

/**
 * UIDs remembered per capture: a phone has a few hundred packages (each with one app UID, shared
 * UIDs fewer); 4096 leaves room for multi-user profiles while bounding a hostile stream of maps.
 */
export const MAX_APP_UIDS = 4096;
/** Longest package or app name kept: PCAPdroid caps each at 63 bytes; 255 is the field's maximum. */
export const MAX_APP_NAME_LENGTH = 255;

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const ETH_HEADER_LENGTH = 14;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const APPNAME_OFFSET = 8;
const APPNAME_LENGTH = 20;
const FCS_OFFSET = 28;
/** Pad bytes PCAPdroid inserts before the trailer to 4-align it. */
const MAX_TRAILER_PAD = 3;
const IPV4_MIN_HEADER = 20;
const IPV6_HEADER = 40;
/** Bytes before the names in a UID map block's data (after the PEN). */
const UID_MAP_FIXED = 10;
const COMMENT_UID_PREFIX = 'u-';
/** Longest comment line read for a uid: `u-` plus a sign and 10 digits. */
const MAX_UID_COMMENT = 13;

const utf8 = new TextDecoder('utf-8', {fatal: false});

/** What PCAPdroid says about one uid. */
type AppEntry = {uid: number; package?: string; name?: string};

/** A parsed PCAPdroid trailer and where the IP packet lies inside the frame. */
type PcapdroidTrailer = {
	uid: number;
	/** App name as written (label or package), raw; empty when PCAPdroid had none. */
	appName: string;
	/** False when the CRC-32 does not match: the frame was damaged after PCAPdroid wrote it. */
	crcOk: boolean;
	ipStart: number;
	ipEnd: number;
};

type PacketApp = NonNullable<RawPacket['app']>;

/** Per-capture state: the uid table and counts. One per capture stream (reset on a new section). */
type AppMetadataContext = {
	apps: Map<number, AppEntry>;
	/**
	 * The app object handed out per uid (and trailer name), shared by that uid's packets: one
	 * allocation per app instead of per packet. Treat `RawPacket.app` as read-only.
	 */
	resolved: Map<number, {trailerName: string | undefined; app: PacketApp | undefined}>;
	/** Last comment read and its uid: PCAPdroid repeats the same `u-<uid>` for a flow's packets. */
	lastComment: string | undefined;
	lastCommentUid: number | undefined;
	/** A trailer was seen in this capture: later trailer-less frames may be the snaplen edge case. */
	trailerSeen: boolean;
	counts: {
		trailers: number;
		/** Trailers whose CRC did not match (frame left untouched). */
		badTrailers: number;
		/** Bare IP packets under the Ethernet link type (trailer skipped for snaplen). */
		trailerSkipped: number;
		uidComments: number;
		uidMaps: number;
		/** UID map blocks that could not be read. */
		badUidMaps: number;
	};
};

/** A fresh context for one capture. */
export function newAppMetadataContext(): AppMetadataContext {
	return {
		apps: new Map(),
		resolved: new Map(),
		lastComment: undefined,
		lastCommentUid: undefined,
		trailerSeen: false,
		counts: {trailers: 0, badTrailers: 0, trailerSkipped: 0, uidComments: 0, uidMaps: 0, badUidMaps: 0},
	};
}

/** Records what is known about a uid (from a UID map block, or e.g. logcat); bounded by MAX_APP_UIDS. */
export function rememberApp(ctx: AppMetadataContext, entry: AppEntry): void {
	const old = ctx.apps.get(entry.uid);
	if (!old && ctx.apps.size >= MAX_APP_UIDS) return;
	ctx.resolved.delete(entry.uid);
	ctx.apps.set(entry.uid, {uid: entry.uid, package: entry.package ?? old?.package, name: entry.name ?? old?.name});
}

/**
 * Reads a pcapng custom block's data (the bytes after the PEN, as CaptureParser hands them over).
 * Undefined when it is not a PCAPdroid UID map or is malformed. Byte order is told apart by the
 * version field, as PCAPdroid's own Wireshark plugin does.
 */
export function parseUidMapBlock(pen: number, data: Uint8Array): AppEntry | undefined {
	if (pen !== PCAPDROID_PEN || data.length < UID_MAP_FIXED) return undefined;
	const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
	let le: boolean;
	if (dv.getUint16(0, true) === 1) le = true;
	else if (dv.getUint16(0, false) === 1) le = false;
	else return undefined;
	if (data[2] !== PCAPDROID_BLOCK_UID_MAP) return undefined;
	const uid = dv.getInt32(4, le);
	const pkgLen = data[8]!;
	const appLen = data[9]!;
	if (UID_MAP_FIXED + pkgLen + appLen > data.length) return undefined;
	const pkgEnd = UID_MAP_FIXED + pkgLen;
	const entry: AppEntry = {uid};
	if (pkgLen > 0) entry.package = utf8.decode(data.subarray(UID_MAP_FIXED, pkgEnd));
	if (appLen > 0) entry.name = utf8.decode(data.subarray(pkgEnd, pkgEnd + appLen));
	return entry;
}

/** Feeds a custom block to the context; true when it was a PCAPdroid UID map. */
export function addCustomBlock(ctx: AppMetadataContext, pen: number, data: Uint8Array): boolean {
	if (pen !== PCAPDROID_PEN) return false;
	const entry = parseUidMapBlock(pen, data);
	if (!entry) {
		ctx.counts.badUidMaps++;
		return false;
	}
	ctx.counts.uidMaps++;
	rememberApp(ctx, entry);
	return true;
}

/** True when the frame ends with the trailer magic 0x01072021 (the cheap test: 4 byte compares). */
export function hasTrailerMagic(frame: Uint8Array): boolean {
	const n = frame.length;
	if (n < ETH_HEADER_LENGTH + PCAPDROID_TRAILER_LENGTH) return false;
	const m = n - PCAPDROID_TRAILER_LENGTH;
	return frame[m] === 0x01 && frame[m + 1] === 0x07 && frame[m + 2] === 0x20 && frame[m + 3] === 0x21;
}

/**
 * Parses the trailer of a frame captured under LINKTYPE_ETHERNET. Undefined unless the frame has
 * the magic and PCAPdroid's fake Ethernet header (zero MACs, IP ethertype), so ordinary Ethernet
 * frames that happen to end in the magic are left alone.
 */
export function parseTrailer(frame: Uint8Array): PcapdroidTrailer | undefined {
	if (!hasTrailerMagic(frame)) return undefined;
	for (let i = 0; i < 12; i++) if (frame[i] !== 0) return undefined;
	const ethertype = (frame[12]! << 8) | frame[13]!;
	if (ethertype !== ETHERTYPE_IPV4 && ethertype !== ETHERTYPE_IPV6) return undefined;
	const n = frame.length;
	const t = n - PCAPDROID_TRAILER_LENGTH;
	const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
	const uid = dv.getInt32(t + 4, false);
	const appName = cString(frame, t + APPNAME_OFFSET, APPNAME_LENGTH);
	const crcOk = crc32(frame, 0, t + FCS_OFFSET) === dv.getUint32(t + FCS_OFFSET, true);
	return {uid, appName, crcOk, ipStart: ETH_HEADER_LENGTH, ipEnd: ipEnd(frame, ETH_HEADER_LENGTH, t)};
}

/**
 * A NUL-terminated string of at most `max` bytes at `at`. ASCII (every package name, most labels)
 * is built directly: TextDecoder costs about a microsecond per call, more than the rest of a trailer.
 */
function cString(b: Uint8Array, at: number, max: number): string {
	let s = '';
	for (let i = at; i < at + max; i++) {
		const c = b[i]!;
		if (c === 0) return s;
		if (c >= 0x80) {
			const nul = b.subarray(at, at + max).indexOf(0);
			return utf8.decode(b.subarray(at, nul < 0 ? at + max : at + nul));
		}
		s += String.fromCharCode(c);
	}
	return s;
}

/**
 * Where the IP packet ends: its own length when that accounts for all but the 0-3 pad bytes,
 * else everything up to the trailer (the IP decoder reads by header length anyway).
 */
function ipEnd(frame: Uint8Array, start: number, limit: number): number {
	const len = ipLength(frame, start, limit);
	if (len !== undefined && start + len <= limit && limit - (start + len) <= MAX_TRAILER_PAD) return start + len;
	return limit;
}

/** Length the IP header announces, or undefined when the bytes are not a plausible IP header. */
function ipLength(frame: Uint8Array, start: number, limit: number): number | undefined {
	const version = frame[start]! >> 4;
	if (version === 4) {
		if (limit - start < IPV4_MIN_HEADER || (frame[start]! & 0x0f) < 5) return undefined;
		return (frame[start + 2]! << 8) | frame[start + 3]!;
	}
	if (version === 6) {
		if (limit - start < IPV6_HEADER) return undefined;
		return IPV6_HEADER + ((frame[start + 4]! << 8) | frame[start + 5]!);
	}
	return undefined;
}

/** Reads the uid from a `u-<uid>` comment (one line of possibly several); undefined otherwise. */
export function uidFromComment(comment: string): number | undefined {
	let at = 0;
	// Bounded by the comment's length, which the capture reader caps.
	while (at < comment.length) {
		let end = comment.indexOf('\n', at);
		if (end < 0) end = comment.length;
		if (end - at <= MAX_UID_COMMENT && comment.startsWith(COMMENT_UID_PREFIX, at)) {
			const text = comment.slice(at + COMMENT_UID_PREFIX.length, end);
			if (/^-?\d{1,10}$/.test(text)) {
				const uid = Number(text);
				if (uid >= -2_147_483_648 && uid <= 2_147_483_647) return uid;
			}
		}
		at = end + 1;
	}
	return undefined;
}

/**
 * Attaches PCAPdroid app metadata to a packet, in place, and returns it: strips a trailer (the
 * frame becomes the bare IP packet, LINKTYPE_RAW), reads `u-<uid>` comments, names the uid from
 * the context's table. Packets without metadata cost a link type check and, for Ethernet, four
 * byte compares. Frames with a damaged trailer are left as they are (counted).
 */
export function attachAppMetadata(p: RawPacket, ctx: AppMetadataContext): RawPacket {
	if (p.linkType === LINKTYPE_ETHERNET) {
		if (hasTrailerMagic(p.data)) attachTrailer(p, ctx);
		else if (ctx.trailerSeen) unwrapBareIp(p, ctx);
	}
	if (p.comment !== undefined && p.app === undefined) {
		let uid: number | undefined;
		if (p.comment === ctx.lastComment) {
			uid = ctx.lastCommentUid;
		} else {
			uid = uidFromComment(p.comment);
			ctx.lastComment = p.comment;
			ctx.lastCommentUid = uid;
		}
		if (uid !== undefined) {
			ctx.counts.uidComments++;
			const app = appFor(ctx, uid, undefined);
			if (app) p.app = app;
		}
	}
	return p;
}

function attachTrailer(p: RawPacket, ctx: AppMetadataContext): void {
	const t = parseTrailer(p.data);
	if (!t) return;
	if (!t.crcOk) {
		ctx.counts.badTrailers++;
		return;
	}
	ctx.counts.trailers++;
	ctx.trailerSeen = true;
	const overhead = p.data.length - (t.ipEnd - t.ipStart);
	p.data = p.data.subarray(t.ipStart, t.ipEnd);
	p.origLen = Math.max(p.data.length, p.origLen - overhead);
	p.linkType = LINKTYPE_RAW;
	const app = appFor(ctx, t.uid, t.appName || undefined);
	if (app) p.app = app;
}

/**
 * PCAPdroid's snaplen edge case: no trailer and no fake Ethernet header, the bare IP packet under
 * LINKTYPE_ETHERNET. Only in a capture that had trailers, and only when the IP header's own length
 * matches the original length, so a real Ethernet frame is not mistaken for one.
 */
function unwrapBareIp(p: RawPacket, ctx: AppMetadataContext): void {
	const d = p.data;
	if (d.length === 0) return;
	const len = ipLength(d, 0, d.length);
	if (len === undefined || len !== p.origLen) return;
	ctx.counts.trailerSkipped++;
	p.linkType = LINKTYPE_RAW;
}

/** The app of a uid: the table's package first, else the trailer's name; undefined when nothing is known. */
function appFor(ctx: AppMetadataContext, uid: number, trailerName: string | undefined): RawPacket['app'] {
	const cached = ctx.resolved.get(uid);
	if (cached && cached.trailerName === trailerName) return cached.app;
	const app = resolveApp(ctx, uid, trailerName);
	// Bounded like the table: uids beyond it are resolved each time rather than remembered.
	if (cached || ctx.resolved.size < MAX_APP_UIDS) ctx.resolved.set(uid, {trailerName, app});
	return app;
}

function resolveApp(ctx: AppMetadataContext, uid: number, trailerName: string | undefined): RawPacket['app'] {
	const known = ctx.apps.get(uid);
	const pkg = known?.package ?? trailerName ?? known?.name;
	if (uid === PCAPDROID_UID_UNKNOWN && pkg === undefined) return undefined;
	const app: {uid?: number; package?: string} = {};
	if (uid !== PCAPDROID_UID_UNKNOWN) app.uid = uid;
	if (pkg !== undefined) app.package = pkg.length > MAX_APP_NAME_LENGTH ? pkg.slice(0, MAX_APP_NAME_LENGTH) : pkg;
	return app;
}

const CRC_TABLE = makeCrcTable();

function makeCrcTable(): Uint32Array {
	const table = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		table[n] = c >>> 0;
	}
	return table;
}

/** zlib's native CRC-32 (Node 20.15+), about 20x faster than the table loop on a 1500-byte frame. */
const nativeCrc32 = (zlib as {crc32?: (data: Uint8Array) => number}).crc32;

/** CRC-32 (IEEE 802.3, as zlib and PCAPdroid's crc32.c) of bytes [from, to). */
export function crc32(bytes: Uint8Array, from = 0, to = bytes.length): number {
	if (nativeCrc32) return nativeCrc32(bytes.subarray(from, to)) >>> 0;
	return tableCrc32(bytes, from, to);
}

/** The portable CRC-32, for Node versions without zlib.crc32. */
export function tableCrc32(bytes: Uint8Array, from = 0, to = bytes.length): number {
	let c = 0xffffffff;
	for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}
