/**
 * One destination as ingest counts it (`DestinationEntry`) and what counts on one: a packet, its
 * evidence, addresses, apps, reading, the per-second outbound rate. All O(1); the table that
 * holds the entries is destination-table.ts.
 */
import type {Classification, NameVia} from '../types.js';
import type {PayloadSeen} from './payload-seen.js';
import {NO_SERIES} from './upload-timeline.js';

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
	/** Its neighbours in the table's CLOCK queue (older toward the head); undefined at the ends and once out of the table. */
	older: DestinationEntry | undefined;
	newer: DestinationEntry | undefined;
	/** Dropped for room: flows still counting on it count into the table's evicted totals instead. */
	evicted: boolean;
	/** Its classification, once asked (rules do not change during a session). */
	cls?: Classification;
	/** Where its counts went when a DNS name later claimed its address. */
	mergedInto?: DestinationEntry;
	/** How its TLS and HTTP traffic could be read; made on first use. */
	reading: Reading | undefined;
	/** Field keys and identifiers its readable uploads carried; made on first use. */
	seen: PayloadSeen | undefined;
};

/** A fresh entry for a normalised host key, first seen at `ts`. */
export function newEntry(key: string, ts: number): DestinationEntry {
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
		older: undefined,
		newer: undefined,
		evicted: false,
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
export function mergeApps(to: DestinationEntry, from: DestinationEntry): void {
	if (from.apps) for (const a of from.apps) (to.apps ??= new Set()).add(a);
	if (from.foreground) for (const a of from.foreground) addForeground(to, a);
}

/** Adds `from`'s reading counts to `to`. */
export function mergeReading(to: Reading, from: Reading): void {
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
