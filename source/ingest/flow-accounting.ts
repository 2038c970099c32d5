/**
 * Flow accounting: each analyzer flow's packets and bytes, counted on the destination its name
 * gives (moved when a later name, SNI or DNS, renames it), and its totals for NDJSON `flow` events.
 * O(1) per packet.
 */
import type {AnalyzerFlow, DecryptionNote} from '../decode/analyzer.js';
import type {SessionEvent} from '../types.js';
import {addForeground, addIp, liveEntry, type DestinationEntry, type DestinationRef} from './destination-entry.js';
import type {DestinationTable} from './destination-table.js';

/**
 * Per-flow ingest state, hung on the analyzer's flow (`flow.ingest`). It holds its destination's
 * ref, not the entry: an evicted destination is then garbage even while its flows last.
 */
type FlowIngest = {dest: DestinationRef; destName: string; packets: number; out: number; in: number; reported?: number; /** How reading its TLS went (NDJSON flow events). */ tls?: DecryptionNote['state']};

export class FlowAccounting {
	/** `foregroundAt`: the app in front at a time (timing evidence for a new connection). */
	constructor(
		private readonly dests: DestinationTable,
		private readonly foregroundAt: (ts: number) => string | undefined,
	) {}

	/** Counts one packet of `flow` on its destination and returns that destination's ref (its entry is gone if it was evicted). */
	count(flow: AnalyzerFlow, len: number, outbound: boolean, ts: number, index: number): DestinationRef {
		let fi = flow.ingest as FlowIngest | undefined;
		const name = flow.name ?? flow.server;
		if (!fi || fi.destName !== name) fi = this.rename(flow, fi, name);
		const dest = live(fi);
		fi.packets++;
		if (outbound) fi.out += len;
		else fi.in += len;
		// Its destination was dropped for room: the packet still counts, in the evicted totals.
		if (!dest) this.dests.countEvicted(len, outbound);
		else {
			this.dests.countPacket(dest, len, outbound, ts, index);
			if (outbound) dest.uploads = this.dests.uploadGrid.add(dest.uploads, ts, len);
		}
		return fi.dest;
	}

	/** How reading the flow's TLS went; returns the destination it counts on (made if the flow has none yet; none if it was evicted). */
	noteTls(flow: AnalyzerFlow, state: DecryptionNote['state'], now: number): DestinationEntry | undefined {
		const fi = flow.ingest as FlowIngest | undefined;
		// A connection read, then cut short, stays 'read' for its flow: some of it was read.
		if (fi && fi.tls !== 'read') fi.tls = state;
		return fi ? live(fi) : liveEntry(this.dests.entry(flow.name ?? flow.server, now));
	}

	/** The flow's `flow` event when its totals changed since it was last reported (then they count as reported). */
	totals(flow: AnalyzerFlow, ts: number): SessionEvent | undefined {
		const fi = flow.ingest as FlowIngest | undefined;
		if (!fi || fi.reported === fi.packets) return undefined;
		fi.reported = fi.packets;
		const app = flow.app?.package;
		return {type: 'flow', ts, firstTs: flow.firstTs, host: (live(fi) ?? fi.dest).host, src: flow.client, sport: flow.cport, dst: flow.server, dport: flow.sport, proto: flow.proto, packets: fi.packets, bytesOut: fi.out, bytesIn: fi.in, ...(app ? {app} : {}), ...(fi.tls ? {tls: fi.tls} : {})};
	}

	/** Points a flow at the destination for its (new) name, moving what it already counted. */
	private rename(flow: AnalyzerFlow, fi: FlowIngest | undefined, name: string): FlowIngest {
		const dest = this.dests.entry(name, flow.firstTs, flow.name ? flow.via : undefined);
		if (!dest.isIp) addIp(dest, flow.server);
		if (!fi) {
			fi = {dest: dest.ref, destName: name, packets: 0, out: 0, in: 0};
			flow.ingest = fi;
			const fg = this.foregroundAt(flow.firstTs);
			if (fg) addForeground(dest, fg);
			return fi;
		}
		const old = live(fi);
		if (old !== dest) this.dests.moveCounts(old, dest, fi, flow.firstTs);
		fi.dest = dest.ref;
		fi.destName = name;
		return fi;
	}
}

/**
 * The entry a flow counts on now: the last of its merge chain (the flow then holds that one's
 * ref); undefined when it was evicted.
 */
function live(fi: FlowIngest): DestinationEntry | undefined {
	const d = fi.dest.entry;
	if (d === undefined || d.mergedInto === undefined) return d;
	const last = liveEntry(d);
	fi.dest = last.ref;
	return last.ref.entry;
}
