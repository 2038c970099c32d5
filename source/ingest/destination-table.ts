/**
 * The destination table: one mutable entry per host name or address, taken in O(1) per packet,
 * with a cap and CLOCK eviction. Its interface is narrow on purpose (look up or create, count a
 * packet, move counts, drop, iterate) so the storage behind it can change without its callers.
 */
import type {Classification, NameVia} from '../types.js';
import {mergePayloadSeen, type PayloadSeen} from './payload-seen.js';
import {GONE_SERIES, NO_SERIES, UploadGrid} from './upload-timeline.js';

/**
 * Entries one eviction may pass over before it takes the one it stops at. Passing over clears an
 * entry's mark, so long walks are paid for by earlier look-ups; this only caps one eviction's
 * pause (4,096 map moves, well under a millisecond) when everything was in use.
 */
const EVICT_WALK = 4096;
/** Destinations kept before the least recently seen are evicted (a flood of random names must not grow memory). */
export const MAX_DESTINATIONS = 20_000;
/** Packet indices kept as evidence per destination: enough to check by hand in Wireshark. */
export const MAX_EVIDENCE = 16;
/** IPs remembered per destination (CDNs rotate many; the report needs a few). */
const MAX_IPS = 16;
/** Seconds of per-destination outbound rate kept for the sparkline. */
export const RATE_SECONDS = 30;
/** Apps per destination kept. */
const MAX_APPS = 16;

/** Per destination: connections seen and how many could be read (decrypted with keys, or plain HTTP). */
export type Reading = {tls: number; read: number; noKeys: number; stopped: number; appEncrypted: number; plainHttp: number; note?: string};

/** One destination as ingest counts it; the snapshot shapes it for the stores. */
export type DestinationEntry = {
	host: string;
	isIp: boolean;
	ips: Set<string>;
	via: Set<NameVia>;
	local: boolean;
	packets: number;
	bytesOut: number;
	bytesIn: number;
	firstTs: number;
	lastTs: number;
	/** Apps and foreground apps: made on first use, most destinations never get one (a Set each was ~10% of the heap). */
	apps: Set<string> | undefined;
	foreground: Set<string> | undefined;
	evidence: number[];
	/**
	 * Outbound bytes per second, ring indexed by epoch second; allocated on the first outbound
	 * byte: most destinations of a long capture are names DNS mentioned that never got traffic.
	 */
	rate: Float64Array | undefined;
	rateSec: number;
	/** Slot of its bytes-out series in the upload grid (the report's timeline); taken on the first outbound byte. */
	uploads: number;
	flags: number;
	/** Looked up again since eviction last passed it over (the CLOCK mark, see evict). */
	used: boolean;
	/** Its classification, once asked (rules do not change during a session). */
	cls?: Classification;
	/** Where its counts went when a DNS name later claimed its address. */
	mergedInto?: DestinationEntry;
	/** How its TLS and HTTP traffic could be read; made on first use. */
	reading: Reading | undefined;
	/** Field keys and identifiers its readable uploads carried; made on first use. */
	seen: PayloadSeen | undefined;
};

/** Packets, bytes out and bytes in: what a flow carried, moved as one when the flow is renamed. */
type Counts = {packets: number; out: number; in: number};

export class DestinationTable {
	private readonly byHost = new Map<string, DestinationEntry>();
	/** The grid the entries' upload series share (the report's timeline). */
	readonly uploadGrid = new UploadGrid();

	/** `onEvict` hears of each entry dropped for room (counted as a problem by the session). */
	constructor(private readonly onEvict: () => void) {}

	get size(): number {
		return this.byHost.size;
	}

	entries(): IterableIterator<DestinationEntry> {
		return this.byHost.values();
	}

	/** The entry for a host name or IP, created on first sight; `via` says how the name was learnt. */
	entry(host: string, ts: number, via?: NameVia): DestinationEntry {
		// Keys are normalised, so a hit on the raw host is the same entry; most names arrive
		// normalised, and this skips a lower-casing and a regex per DNS answer and flow.
		let d = this.byHost.get(host);
		const key = d ? host : host.toLowerCase().replace(/\.$/, '');
		if (!d) d = this.byHost.get(key);
		if (!d) {
			if (this.byHost.size >= MAX_DESTINATIONS) this.evict();
			d = newEntry(key, ts);
			this.byHost.set(key, d);
		} else d.used = true;
		if (via) d.via.add(via);
		if (ts > d.lastTs) d.lastTs = ts;
		return d;
	}

	/** Forgets an entry (an address whose counts moved to its name). */
	drop(host: string): void {
		const d = this.byHost.get(host);
		if (!d) return;
		this.byHost.delete(host);
		d.uploads = this.uploadGrid.release(d.uploads);
	}

	/**
	 * Moves a flow's counts from the entry it was counted on to the one its new name gives. An
	 * address left with nothing of its own is dropped.
	 */
	moveCounts(from: DestinationEntry, to: DestinationEntry, c: Counts, flowFirstTs: number): void {
		from.packets -= c.packets;
		from.bytesOut -= c.out;
		from.bytesIn -= c.in;
		to.packets += c.packets;
		to.bytesOut += c.out;
		to.bytesIn += c.in;
		to.uploads = this.uploadGrid.move(from.uploads, to.uploads, flowFirstTs, c.out);
		if (c.packets > 0 && flowFirstTs < to.firstTs) to.firstTs = flowFirstTs;
		mergeApps(to, from);
		if (from.isIp && from.packets <= 0 && from.via.size === 0 && from.flags === 0) {
			this.byHost.delete(from.host);
			from.uploads = this.uploadGrid.release(from.uploads);
		}
	}

	/** Folds address-keyed entries into the name DNS later gave their address (`nameOf`). */
	foldNamedAddresses(nameOf: (ip: string) => string | undefined): void {
		for (const d of [...this.byHost.values()]) {
			if (!d.isIp || d.mergedInto) continue;
			const name = nameOf(d.host);
			if (!name) continue;
			const target = this.entry(name, d.firstTs, 'dns');
			if (target === d) continue;
			target.packets += d.packets;
			target.bytesOut += d.bytesOut;
			target.bytesIn += d.bytesIn;
			target.firstTs = Math.min(target.firstTs, d.firstTs);
			target.lastTs = Math.max(target.lastTs, d.lastTs);
			target.flags += d.flags;
			// merge gave d's slot back: d is only a forwarding address from now on.
			target.uploads = this.uploadGrid.merge(target.uploads, d.uploads);
			d.uploads = GONE_SERIES;
			if (d.reading) mergeReading(readingOf(target), d.reading);
			target.seen = mergePayloadSeen(target.seen, d.seen);
			addIp(target, d.host);
			mergeApps(target, d);
			for (const i of d.evidence) if (target.evidence.length < MAX_EVIDENCE) target.evidence.push(i);
			d.mergedInto = target;
			this.byHost.delete(d.host);
		}
	}

	/**
	 * Drops a destination not used lately; its traffic stays in the totals (stats). A second
	 * chance (CLOCK) over the map's insertion order instead of a scan: from the head, an entry used
	 * since it was last passed over goes to the tail with its mark cleared, and the first unmarked
	 * one is dropped. A name seen once (a flood) goes at the first look; a destination in use (the
	 * phone's telemetry host) keeps its place. Each move is paid for by a use, so the cost per
	 * eviction is O(1) amortised, and the walk stops after {@link EVICT_WALK} entries anyway.
	 */
	private evict(): void {
		let n = 0;
		let victim: DestinationEntry | undefined;
		const moved: DestinationEntry[] = [];
		for (const d of this.byHost.values()) {
			victim = d;
			if (!d.used || ++n >= EVICT_WALK) break;
			moved.push(d);
		}
		if (!victim) return;
		this.byHost.delete(victim.host);
		victim.uploads = this.uploadGrid.release(victim.uploads);
		this.onEvict();
		for (const d of moved) {
			d.used = false;
			this.byHost.delete(d.host);
			this.byHost.set(d.host, d);
		}
	}
}

function newEntry(key: string, ts: number): DestinationEntry {
	const isIp = isIpLiteral(key);
	const d: DestinationEntry = {
		host: key,
		isIp,
		ips: new Set(),
		via: new Set(),
		local: false,
		packets: 0,
		bytesOut: 0,
		bytesIn: 0,
		firstTs: ts,
		lastTs: ts,
		apps: undefined,
		foreground: undefined,
		evidence: [],
		rate: undefined,
		rateSec: Math.floor(ts),
		uploads: NO_SERIES,
		flags: 0,
		used: false,
		reading: undefined,
		seen: undefined,
	};
	if (isIp) d.ips.add(key);
	return d;
}

/** The entry a flow counts on now: the last of its merge chain. */
export function liveEntry(d: DestinationEntry): DestinationEntry {
	while (d.mergedInto) d = d.mergedInto;
	return d;
}

/** Counts one packet of `len` bytes on `d` (outbound feeds the rate ring); O(1). */
export function countPacket(d: DestinationEntry, len: number, outbound: boolean, ts: number, index: number): void {
	d.packets++;
	if (outbound) {
		d.bytesOut += len;
		const sec = Math.floor(ts);
		if (sec !== d.rateSec) advanceRate(d, sec);
		(d.rate ??= new Float64Array(RATE_SECONDS))[sec % RATE_SECONDS]! += len;
	} else d.bytesIn += len;
	if (ts > d.lastTs) d.lastTs = ts;
	// Captures are not always in time order (merged files, clock jumps): first is the earliest.
	if (ts < d.firstTs) d.firstTs = ts;
	if (d.evidence.length < MAX_EVIDENCE) d.evidence.push(index);
}

/** Adds a packet index as evidence, while there is room. */
export function addEvidence(d: DestinationEntry, index: number): void {
	if (d.evidence.length < MAX_EVIDENCE) d.evidence.push(index);
}

export function addIp(d: DestinationEntry, ip: string): void {
	if (d.ips.size < MAX_IPS && ip) d.ips.add(ip);
}

/** An app that talked to `d`, while there is room. */
export function addApp(d: DestinationEntry, pkg: string): void {
	if ((d.apps?.size ?? 0) < MAX_APPS) (d.apps ??= new Set()).add(pkg);
}

/** Timing evidence: an app that was in front when a connection to `d` opened. */
export function addForeground(d: DestinationEntry, pkg: string): void {
	if ((d.foreground?.size ?? 0) < MAX_APPS) (d.foreground ??= new Set()).add(pkg);
}

/** The entry's reading counts, made on first use. */
export function readingOf(d: DestinationEntry): Reading {
	return (d.reading ??= {tls: 0, read: 0, noKeys: 0, stopped: 0, appEncrypted: 0, plainHttp: 0});
}

/** Adds `from`'s apps (all) and foreground apps (up to MAX_APPS) to `to`. */
function mergeApps(to: DestinationEntry, from: DestinationEntry): void {
	if (from.apps) for (const a of from.apps) (to.apps ??= new Set()).add(a);
	if (from.foreground) for (const a of from.foreground) addForeground(to, a);
}

function mergeReading(to: Reading, from: Reading): void {
	to.tls += from.tls;
	to.read += from.read;
	to.noKeys += from.noKeys;
	to.stopped += from.stopped;
	to.appEncrypted += from.appEncrypted;
	to.plainHttp += from.plainHttp;
	to.note ??= from.note;
}

function isIpLiteral(s: string): boolean {
	return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (s.includes(':') && /^[0-9a-f:.]+$/.test(s));
}

/** Moves a destination's rate ring forward to `sec`, zeroing the seconds that passed silently. */
function advanceRate(d: DestinationEntry, sec: number): void {
	const gap = sec - d.rateSec;
	if (gap <= 0) return;
	const clear = Math.min(gap, RATE_SECONDS);
	if (d.rate) for (let i = 1; i <= clear; i++) d.rate[(d.rateSec + i) % RATE_SECONDS] = 0;
	d.rateSec = sec;
}

/** Outbound bytes per second for the last RATE_SECONDS seconds ending at `nowSec`, oldest first. */
export function rateSeries(d: DestinationEntry, nowSec: number): number[] {
	const out: number[] = [];
	for (let s = nowSec - RATE_SECONDS + 1; s <= nowSec; s++) {
		out.push(!d.rate || s > d.rateSec || s <= d.rateSec - RATE_SECONDS ? 0 : d.rate[((s % RATE_SECONDS) + RATE_SECONDS) % RATE_SECONDS]!);
	}
	return out;
}
