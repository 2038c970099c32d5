/**
 * One destination as ingest counts it (`DestinationEntry`) and what is added to one: evidence,
 * addresses, how it was named, apps, reading. All O(1); the table that holds the entries, and
 * counts packets on them, is destination-table.ts.
 */
import type {Classification, NameVia} from '../types.js';
import type {PayloadSeen} from './payload-seen.js';
import type {CachedSummary} from './snapshot.js';
import {NO_RING} from './rate-rings.js';
import {NO_SERIES} from './upload-timeline.js';

/** Packet indices kept as evidence per destination: enough to check by hand in Wireshark. */
export const MAX_EVIDENCE = 16;
/** IPs remembered per destination (CDNs rotate many; the report needs a few). */
const MAX_IPS = 16;
/** Apps per destination kept. */
const MAX_APPS = 16;

/** Per destination: connections seen and how many could be read (decrypted with keys, or plain HTTP). */
export type Reading = {tls: number; read: number; noKeys: number; stopped: number; appEncrypted: number; plainHttp: number; note?: string};

/**
 * How flows reach their destination: one per entry, made with it. Eviction empties `entry`, so
 * the flows that still hold the ref let the entry go (each held its destination alive until it
 * left the flow table: a flood kept up to 65,536 evicted entries, ~10 MB, that way) and keep only
 * its host (their NDJSON totals name it).
 */
export type DestinationRef = {entry: DestinationEntry | undefined; readonly host: string};

/** One destination as ingest counts it; the snapshot shapes it for the stores. */
export type DestinationEntry = {
	host: string;
	/** What flows hold (see DestinationRef). */
	ref: DestinationRef;
	isIp: boolean;
	/** Its addresses, in the order seen (an address knows itself); an array: a Set each cost ~150 bytes. */
	ips: string[];
	/** How it was named: a bit per NameVia (VIA_BITS), no Set per destination. */
	via: number;
	local: boolean;
	packets: number;
	bytesOut: number;
	bytesIn: number;
	firstTs: number;
	lastTs: number;
	/** Apps and foreground apps: made on first use, most destinations never get one (a Set each was ~10% of the heap). */
	apps: Set<string> | undefined;
	foreground: Set<string> | undefined;
	/** Packet indices (MAX_EVIDENCE); made with the first, so an entry with one packet holds one number. */
	evidence: number[];
	/**
	 * Slot of its outbound bytes-per-second ring (rate-rings.ts), taken on the first outbound
	 * byte: most destinations of a long capture are names DNS mentioned that never got traffic.
	 */
	rate: number;
	/** The second its ring was last moved forward to. */
	rateSec: number;
	/** Slot of its bytes-out series in the upload grid (the report's timeline); taken on the first outbound byte. */
	uploads: number;
	flags: number;
	/** Looked up again since eviction last passed it over (the CLOCK mark, see evict). */
	used: boolean;
	/** Its neighbours in the table's CLOCK queue (older toward the head); undefined at the ends and once out of the table. */
	older: DestinationEntry | undefined;
	newer: DestinationEntry | undefined;
	/** Dropped for room (its ref is empty); what still reaches it through a merge counts into the table's evicted totals. */
	evicted: boolean;
	/** Its classification, once asked (rules do not change during a session). */
	cls?: Classification;
	/** Where its counts went when a DNS name later claimed its address. */
	mergedInto?: DestinationEntry;
	/** How its TLS and HTTP traffic could be read; made on first use. */
	reading: Reading | undefined;
	/** Field keys and identifiers its readable uploads carried; made on first use. */
	seen: PayloadSeen | undefined;
	/** Its summary in the dashboard's last snapshot, reused while unchanged (snapshot.ts). */
	summary: CachedSummary | undefined;
};

/** A fresh entry for a normalised host key, first seen at `ts`. */
export function newEntry(key: string, ts: number): DestinationEntry {
	const isIp = isIpLiteral(key);
	const ref: DestinationRef = {entry: undefined, host: key};
	const d: DestinationEntry = {
		host: key,
		ref,
		isIp,
		ips: isIp ? [key] : [],
		via: 0,
		local: false,
		packets: 0,
		bytesOut: 0,
		bytesIn: 0,
		firstTs: ts,
		lastTs: ts,
		apps: undefined,
		foreground: undefined,
		evidence: [],
		rate: NO_RING,
		rateSec: Math.floor(ts),
		uploads: NO_SERIES,
		flags: 0,
		used: false,
		older: undefined,
		newer: undefined,
		evicted: false,
		// Every field from the start: one hidden class for all entries keeps the per-packet and
		// per-snapshot reads of them monomorphic.
		cls: undefined,
		mergedInto: undefined,
		reading: undefined,
		seen: undefined,
		summary: undefined,
	};
	ref.entry = d;
	return d;
}

/** The entry a flow counts on now: the last of its merge chain. */
export function liveEntry(d: DestinationEntry): DestinationEntry {
	while (d.mergedInto) d = d.mergedInto;
	return d;
}

/** Adds a packet index as evidence, while there is room. */
export function addEvidence(d: DestinationEntry, index: number): void {
	const e = d.evidence;
	// A literal for the first: a push onto [] makes room for 17.
	if (e.length === 0) d.evidence = [index];
	else if (e.length < MAX_EVIDENCE) e.push(index);
}

/** An address of `d`, while there is room. */
export function addIp(d: DestinationEntry, ip: string): void {
	if (d.ips.length < MAX_IPS && ip && !d.ips.includes(ip)) d.ips.push(ip);
}

/** The bit of each way a destination gets named; in name order, so the bits read out sorted. */
const VIA_BITS: Readonly<Record<NameVia, number>> = {dns: 1, http: 2, quic: 4, sni: 8};
const VIA_NAMES = Object.keys(VIA_BITS) as NameVia[];

/** Notes that `d` was named by `via`. */
export function addVia(d: DestinationEntry, via: NameVia): void {
	d.via |= VIA_BITS[via];
}

/** The ways a destination was named, sorted. */
export function viaNames(via: number): NameVia[] {
	return VIA_NAMES.filter((v) => (via & VIA_BITS[v]) !== 0);
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
