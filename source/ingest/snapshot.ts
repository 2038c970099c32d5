/**
 * The snapshot for the stores and the report: shapes the destination table and the session's
 * lists (sorting, top-N, categories) only when a flush asks, so the per-packet path never pays
 * for the screen. Pure: everything comes in through {@link SnapshotParts}.
 */
import type {AppSummary, Classification, DestinationSummary, Flag, IpInfo, SessionSnapshot} from '../types.js';
import {categoryTotals} from './category-totals.js';
import {payloadSeenSummary} from './payload-seen.js';
import type {AppEntry} from './app-table.js';
import {viaNames, type DestinationEntry, type Reading} from './destination-entry.js';

/** Address scopes that never leave the local network: a destination seen only there is `local`. */
const LOCAL_SCOPES: ReadonlySet<IpInfo['scope']> = new Set(['private', 'loopback', 'link-local', 'multicast']);

/** What a snapshot is made of: the session's state as it is, plus how to look things up. */
export type SnapshotParts = Omit<SessionSnapshot, 'destinations' | 'categories' | 'apps' | 'flags'> & {
	flags: readonly Flag[];
	destinations: Iterable<DestinationEntry>;
	apps: Iterable<AppEntry>;
	classify: (d: DestinationEntry) => Classification;
	ipInfo: ((ip: string) => IpInfo) | undefined;
	/** Whether a destination is new against the --baseline run; absent without one. */
	isNew?: (d: DestinationEntry) => boolean;
	/**
	 * Reuse the summaries of earlier snapshots for destinations whose inputs did not change (the
	 * dashboard's flush: most of thousands of destinations are idle between two flushes). A
	 * summary holds nothing that moves with the clock alone (the sparkline's series is looked up
	 * apart, `RateLookup`), so an idle destination keeps its summary object.
	 */
	reuse?: boolean;
};

/**
 * A destination's last summary, kept on its entry (`DestinationEntry.summary`: a WeakMap of
 * thousands made each GC slower), with what it was built from: the number inputs (see
 * `summaryInputs`) and the rest.
 */
export type CachedSummary = {
	summary: DestinationSummary;
	inputs: Float64Array;
	info: unknown;
	isNew: boolean | undefined;
	note: string | undefined;
	/** Its place in the last snapshot's order. */
	rank: number;
};

/** How many numbers `summaryInputs` writes. */
const INPUTS = 21;
/** The current entry's inputs, compared in place with the cached ones (no allocation for an unchanged destination). */
const scratch = new Float64Array(INPUTS);

/**
 * Every number a destination's summary is built from. The collections only grow (addresses, apps,
 * evidence, payload keys) and counts only add, so sizes and counts stand for their contents; the
 * classification is fixed per host. NaN never compares equal: such an entry is rebuilt each time.
 */
function summaryInputs(d: DestinationEntry, out: Float64Array): void {
	const r = d.reading;
	out[0] = d.packets;
	out[1] = d.bytesOut;
	out[2] = d.bytesIn;
	out[3] = d.firstTs;
	out[4] = d.lastTs;
	out[5] = d.flags;
	out[6] = d.via;
	out[7] = d.local ? 1 : 0;
	out[8] = d.ips.length;
	out[9] = d.apps?.size ?? -1;
	out[10] = d.foreground?.size ?? -1;
	out[11] = d.evidence.length;
	out[12] = d.seen?.fields.size ?? -1;
	out[13] = d.seen?.ids.size ?? -1;
	out[14] = r ? r.tls : -1;
	out[15] = r ? r.read : -1;
	out[16] = r ? r.noKeys : -1;
	out[17] = r ? r.stopped : -1;
	out[18] = r ? r.appEncrypted : -1;
	out[19] = r ? r.plainHttp : -1;
	// The first evidence index: a first packet replaces an empty array.
	out[20] = d.evidence[0] ?? -1;
}

/** `d`'s summary: the cached one while its inputs are unchanged, else a new one (then cached). */
function cachedSummary(d: DestinationEntry, parts: SnapshotParts): CachedSummary {
	summaryInputs(d, scratch);
	const isNew = parts.isNew?.(d);
	const note = d.reading?.note;
	const hit = d.summary;
	const sameContext = hit !== undefined && hit.info === parts.ipInfo && hit.isNew === isNew && hit.note === note;
	if (sameContext && sameInputs(hit.inputs, scratch)) return hit;
	const summary = destinationSummary(d, parts.classify(d), parts.ipInfo && lookupIps(d, parts.ipInfo), isNew);
	if (hit) {
		hit.summary = summary;
		hit.inputs.set(scratch);
		hit.info = parts.ipInfo;
		hit.isNew = isNew;
		hit.note = note;
		return hit;
	}
	const inputs = new Float64Array(INPUTS);
	inputs.set(scratch);
	return (d.summary = {summary, inputs, info: parts.ipInfo, isNew, note, rank: -1});
}

/**
 * The destinations' summaries through the cache, in the last snapshot's order (new ones at the
 * end): the sort then meets runs already in order, and compares ~n pairs instead of ~n log n
 * (with thousands of ties on bytes and packets, each a localeCompare).
 */
function cachedSummaries(parts: SnapshotParts): DestinationSummary[] {
	const all: CachedSummary[] = [];
	let maxRank = -1;
	for (const d of parts.destinations) {
		const c = cachedSummary(d, parts);
		all.push(c);
		if (c.rank > maxRank) maxRank = c.rank;
	}
	// Sized first: writes at scattered indices into an empty array made it a dictionary.
	const ranked = new Array<CachedSummary | undefined>(maxRank + 1);
	const unranked: CachedSummary[] = [];
	for (const c of all) {
		if (c.rank >= 0 && ranked[c.rank] === undefined) ranked[c.rank] = c;
		else unranked.push(c);
	}
	const order: CachedSummary[] = [];
	for (const c of ranked) if (c) order.push(c);
	for (const c of unranked) order.push(c);
	order.sort((a, b) => reportOrder(a.summary, b.summary));
	const out: DestinationSummary[] = [];
	for (let i = 0; i < order.length; i++) {
		order[i]!.rank = i;
		out.push(order[i]!.summary);
	}
	return out;
}

/** The report's order of destinations: most bytes first, then most packets, then by name. */
function reportOrder(a: DestinationSummary, b: DestinationSummary): number {
	return b.bytesOut + b.bytesIn - (a.bytesOut + a.bytesIn) || b.packets - a.packets || a.host.localeCompare(b.host);
}

/** True when the inputs are the same. */
function sameInputs(a: Float64Array, b: Float64Array): boolean {
	for (let i = 0; i < INPUTS; i++) if (a[i] !== b[i]) return false;
	return true;
}

/** The whole state, shaped for the stores and the report; `parts.stats` is copied, not kept. */
export function sessionSnapshot(parts: SnapshotParts): SessionSnapshot {
	const {classify, ipInfo} = parts;
	let destinations: DestinationSummary[];
	if (parts.reuse) destinations = cachedSummaries(parts);
	else {
		destinations = [];
		for (const d of parts.destinations) destinations.push(destinationSummary(d, classify(d), ipInfo && lookupIps(d, ipInfo), parts.isNew?.(d)));
		destinations.sort(reportOrder);
	}
	const apps: AppSummary[] = [...parts.apps]
		.map((a) => ({package: a.pkg, uid: a.uid, destinations: a.dests.size, bytesOut: a.bytesOut, bytesIn: a.bytesIn}))
		.sort((a, b) => b.bytesOut - a.bytesOut);
	return {
		stats: {...parts.stats, problems: {...parts.stats.problems}, ...(parts.stats.evicted ? {evicted: {...parts.stats.evicted}} : {})},
		destinations,
		categories: categoryTotals(destinations).sort((a, b) => b.bytesOut - a.bytesOut || b.destinations - a.destinations),
		flags: [...parts.flags],
		apps,
		timeline: parts.timeline,
		sources: parts.sources,
		device: parts.device,
		input: parts.input,
		incognito: parts.incognito,
		incognitoSignals: parts.incognitoSignals,
		tls: parts.tls,
		incognitoWindows: parts.incognitoWindows,
		uploads: parts.uploads,
	};
}

/** One destination for the stores: its classification, where its addresses are, what could be read. */
export function destinationSummary(d: DestinationEntry, cls: Classification, info: IpInfo | undefined, isNew?: boolean): DestinationSummary {
	const s: DestinationSummary = {
		host: d.host,
		ips: [...d.ips],
		owner: cls.owner,
		// No rule, and nothing beyond the LAN (mDNS/LLMNR names; private, link-local, loopback or
		// multicast addresses, such as the router answering DNS): local, not an unknown third party.
		category: cls.category === 'unknown' && (d.local || (info !== undefined && LOCAL_SCOPES.has(info.scope))) ? 'local' : cls.category,
		country: info?.country,
		asn: info?.asn,
		asOrg: info?.asOrg ?? (info && info.scope !== 'public' ? info.scope : undefined),
		apps: d.apps ? [...d.apps] : [],
		foreground: d.foreground && d.foreground.size > 0 ? [...d.foreground] : undefined,
		packets: d.packets,
		bytesOut: d.bytesOut,
		bytesIn: d.bytesIn,
		firstTs: d.firstTs,
		lastTs: d.lastTs,
		via: viaNames(d.via),
		local: d.local || undefined,
		rule: cls.rule,
		ruleSource: cls.ruleSource,
		note: cls.note,
		evidencePackets: [...d.evidence],
		flags: d.flags,
	};
	const seen = payloadSeenSummary(d.seen);
	if (seen) {
		s.fields = seen.fields;
		s.identifiers = seen.identifiers;
	}
	if (isNew !== undefined) s.new = isNew;
	const r = d.reading;
	const payload = payloadReading(r);
	if (payload && r) {
		s.payload = payload;
		if (r.tls > 0 || r.read > 0) s.tls = {connections: Math.max(r.tls, r.read), read: r.read, noKeys: r.noKeys, stopped: r.stopped, appEncrypted: r.appEncrypted, ...(r.note ? {note: r.note} : {})};
	}
	return s;
}

/**
 * One word for what could be read of a destination's traffic: `app-encrypted` (decrypted, the body
 * still opaque), `read` (every TLS connection decrypted), `partly-read`, `encrypted` (TLS, none
 * read), `cleartext` (plain HTTP only); undefined when it carried neither TLS nor HTTP.
 */
export function payloadReading(r: Reading | undefined): DestinationSummary['payload'] {
	if (!r) return undefined;
	if (r.appEncrypted > 0) return 'app-encrypted';
	if (r.tls === 0 && r.read === 0) return r.plainHttp > 0 ? 'cleartext' : undefined;
	if (r.read === 0) return 'encrypted';
	return r.read >= r.tls ? 'read' : 'partly-read';
}

/** Where a destination is: its first public address's look-up, else its first address's. */
function lookupIps(d: DestinationEntry, ipInfo: (ip: string) => IpInfo): IpInfo | undefined {
	let fallback: IpInfo | undefined;
	for (const ip of d.ips) {
		const info = ipInfo(ip);
		if (info.scope === 'public') return info;
		fallback ??= info;
	}
	return fallback;
}
