/**
 * The destination table: one mutable entry per host name or address, taken in O(1) per packet,
 * with a cap and CLOCK eviction over an intrusive queue (O(1) per eviction). Its interface is
 * narrow on purpose (look up or create, count a packet, move counts, fold, iterate) so the storage
 * behind it can change without its callers. What eviction drops stays counted in {@link EvictedTotals}.
 */
import type {NameVia} from '../types.js';
import {addEvidence, addIp, addVia, MAX_EVIDENCE, mergeApps, mergeReading, newEntry, readingOf, type DestinationEntry} from './destination-entry.js';
import {mergePayloadSeen} from './payload-seen.js';
import {RateRings} from './rate-rings.js';
import {GONE_SERIES, UploadGrid} from './upload-timeline.js';

/**
 * Entries one eviction may pass over before it takes the one it stops at. Passing over clears an
 * entry's mark, so long walks are paid for by earlier look-ups; this only caps one eviction's
 * pause (4,096 moves, well under a millisecond) when everything was in use.
 */
const EVICT_WALK = 4096;
/** Destinations kept before the least recently seen are evicted (a flood of random names must not grow memory). */
export const MAX_DESTINATIONS = 20_000;

/** Packets, bytes out and bytes in: what a flow carried, moved as one when the flow is renamed. */
type Counts = {packets: number; out: number; in: number};

/**
 * What eviction took out of the report's destinations: how many were dropped for room, and their
 * packets and bytes, with those their flows carried after they were dropped, so the destinations
 * plus these add up to every packet counted on a destination.
 */
type EvictedTotals = {destinations: number; packets: number; bytesOut: number; bytesIn: number};

export class DestinationTable {
	private readonly byHost = new Map<string, DestinationEntry>();
	/**
	 * The CLOCK queue, oldest first: every entry of `byHost`, in the order a Map would iterate
	 * them (insertion, with entries passed over by eviction moved to the end). Links live on the
	 * entries, so a move or an eviction is a few pointer writes: walking a Map from its head
	 * instead passes over the holes its deletes leave there (half the profile under a flood).
	 */
	private head: DestinationEntry | undefined;
	private tail: DestinationEntry | undefined;
	/** The grid the entries' upload series share (the report's timeline). */
	readonly uploadGrid = new UploadGrid();
	/** The entries' outbound rate rings (the sparkline). */
	private readonly rates = new RateRings();
	/** What eviction dropped (see EvictedTotals). */
	readonly evictedTotals: EvictedTotals = {destinations: 0, packets: 0, bytesOut: 0, bytesIn: 0};

	/** `onEvict` hears of each entry dropped for room (counted as a problem by the session). */
	constructor(private readonly onEvict: () => void) {}

	get size(): number {
		return this.byHost.size;
	}

	/** The entries, least recently placed first (see `head`). */
	*entries(): IterableIterator<DestinationEntry> {
		for (let d = this.head; d; d = d.newer) yield d;
	}

	/** The entry for a host name or IP, created on first sight; `via` says how the name was learnt. */
	entry(host: string, ts: number, via?: NameVia): DestinationEntry {
		// Keys are normalised, so a hit on the raw host is the same entry; most names arrive
		// normalised, and this skips a lower-casing and a regex per DNS answer and flow.
		let d = this.byHost.get(host);
		const key = d ? host : host.toLowerCase().replace(/\.$/, '');
		// A second look only for a key that differs (an address, a flood's name, asks once).
		if (!d && key !== host) d = this.byHost.get(key);
		if (!d) {
			if (this.byHost.size >= MAX_DESTINATIONS) this.evict();
			d = newEntry(key, ts);
			this.byHost.set(key, d);
			this.append(d);
		} else d.used = true;
		if (via) addVia(d, via);
		if (ts > d.lastTs) d.lastTs = ts;
		return d;
	}

	/** Counts one packet of `len` bytes on `d` (outbound feeds its rate ring); O(1). */
	countPacket(d: DestinationEntry, len: number, outbound: boolean, ts: number, index: number): void {
		d.packets++;
		if (outbound) {
			d.bytesOut += len;
			const sec = Math.floor(ts);
			// Forward only (`!(<= 0)`: a NaN second moves it, as it always did).
			if (sec !== d.rateSec && !(sec - d.rateSec <= 0)) {
				this.rates.advance(d.rate, d.rateSec, sec);
				d.rateSec = sec;
			}
			d.rate = this.rates.add(d.rate, sec, len);
		} else d.bytesIn += len;
		if (ts > d.lastTs) d.lastTs = ts;
		// Captures are not always in time order (merged files, clock jumps): first is the earliest.
		if (ts < d.firstTs) d.firstTs = ts;
		addEvidence(d, index);
	}

	/**
	 * Outbound bytes per second of the destination `host` names (a key of the table, as a
	 * summary's host is) for the last RATE_SECONDS seconds ending at `nowSec`, oldest first;
	 * undefined when the table holds no such destination (any more).
	 */
	rateSeries(host: string, nowSec: number): number[] | undefined {
		const d = this.byHost.get(host);
		return d && this.rates.series(d.rate, d.rateSec, nowSec);
	}

	/** Counts a packet of a flow whose destination was evicted (it counts nowhere else). */
	countEvicted(len: number, outbound: boolean): void {
		const e = this.evictedTotals;
		e.packets++;
		if (outbound) e.bytesOut += len;
		else e.bytesIn += len;
	}

	/** An evicted entry about to fold into another: its counts come back out of the evicted totals, its ref reaches it again. */
	private unevict(d: DestinationEntry): void {
		d.evicted = false;
		d.ref.entry = d;
		const e = this.evictedTotals;
		e.packets -= d.packets;
		e.bytesOut -= d.bytesOut;
		e.bytesIn -= d.bytesIn;
	}

	/**
	 * Moves a flow's counts from the entry it was counted on (undefined: one evicted since) to the
	 * one its new name gives. An address left with nothing of its own is dropped.
	 */
	moveCounts(from: DestinationEntry | undefined, to: DestinationEntry, c: Counts, flowFirstTs: number): void {
		// An evicted entry's counts went to the evicted totals: the flow's move out of there.
		const take = from === undefined || from.evicted ? this.evictedTotals : from;
		take.packets -= c.packets;
		take.bytesOut -= c.out;
		take.bytesIn -= c.in;
		to.packets += c.packets;
		to.bytesOut += c.out;
		to.bytesIn += c.in;
		to.uploads = this.uploadGrid.move(from?.uploads ?? GONE_SERIES, to.uploads, flowFirstTs, c.out);
		if (c.packets > 0 && flowFirstTs < to.firstTs) to.firstTs = flowFirstTs;
		if (from === undefined) return;
		mergeApps(to, from);
		if (from.isIp && from.packets <= 0 && from.via === 0 && from.flags === 0) {
			this.remove(from);
			from.uploads = this.uploadGrid.release(from.uploads);
			from.rate = this.rates.release(from.rate);
		}
	}

	/** Folds address-keyed entries into the name DNS later gave their address (`nameOf`). */
	foldNamedAddresses(nameOf: (ip: string) => string | undefined): void {
		for (const d of [...this.entries()]) {
			if (!d.isIp || d.mergedInto) continue;
			const name = nameOf(d.host);
			if (!name) continue;
			const target = this.entry(name, d.firstTs, 'dns');
			if (target === d) continue;
			// Evicted by an earlier fold's new entry: it still folds, its counts back out of the evicted
			// totals, and its flows reach the name through it again.
			if (d.evicted) this.unevict(d);
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
			d.rate = this.rates.release(d.rate);
			this.remove(d);
		}
	}

	/**
	 * Drops a destination not used lately; its counts go to the evicted totals. A second chance
	 * (CLOCK) over the queue: from the head, an entry used since it was last passed over goes to
	 * the tail with its mark cleared, and the first unmarked one is dropped. A name seen once (a
	 * flood) goes at the first look; a destination in use (the phone's telemetry host) keeps its
	 * place. Each move is paid for by a use, so the cost per eviction is O(1) amortised, and the
	 * walk stops after {@link EVICT_WALK} entries anyway.
	 */
	private evict(): void {
		// Bounded by the size too: never around the queue and back to an entry already moved.
		const walk = Math.min(EVICT_WALK, this.byHost.size);
		let victim = this.head;
		for (let n = 1; victim && victim.used && n < walk; n++) {
			victim.used = false;
			this.unlink(victim);
			this.append(victim);
			victim = this.head;
		}
		if (!victim) return;
		// In the queue, so in the map under its host: no check needed (remove's).
		this.byHost.delete(victim.host);
		this.unlink(victim);
		victim.uploads = this.uploadGrid.release(victim.uploads);
		victim.rate = this.rates.release(victim.rate);
		victim.evicted = true;
		victim.ref.entry = undefined;
		const e = this.evictedTotals;
		e.destinations++;
		e.packets += victim.packets;
		e.bytesOut += victim.bytesOut;
		e.bytesIn += victim.bytesIn;
		this.onEvict();
	}

	/** Puts a new entry at the tail of the queue. */
	private append(d: DestinationEntry): void {
		d.older = this.tail;
		d.newer = undefined;
		if (this.tail) this.tail.newer = d;
		else this.head = d;
		this.tail = d;
	}

	/** Takes an entry out of the table, its key and its place in the queue; one already out is left alone. */
	private remove(d: DestinationEntry): void {
		// Its host may name a newer entry by now (an address dropped, then seen again).
		if (this.byHost.get(d.host) !== d) return;
		this.byHost.delete(d.host);
		this.unlink(d);
	}

	/** Takes an entry out of the queue. */
	private unlink(d: DestinationEntry): void {
		if (d.older) d.older.newer = d.newer;
		else this.head = d.newer;
		if (d.newer) d.newer.older = d.older;
		else this.tail = d.older;
		d.older = d.newer = undefined;
	}
}
