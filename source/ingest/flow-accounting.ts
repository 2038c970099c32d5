/**
 * Flow accounting: each analyzer flow's packets and bytes, counted on the destination its name
 * gives (moved when a later name, SNI or DNS, renames it), and its totals for NDJSON `flow` events.
 * O(1) per packet.
 *
 * Kept by flow slot in typed arrays, not as an object per flow: a flood of SYNs to new addresses
 * holds 65,536 flows at once, and an object each (a few hundred bytes that live for tens of
 * thousands of packets) was much of its live heap.
 */
import type {AnalyzerFlow, DecryptionNote} from '../decode/analyzer.js';
import type {FlowEndpoints} from '../decode/flows.js';
import type {SessionEvent} from '../types.js';
import {addForeground, addIp, liveEntry, type DestinationEntry, type DestinationRef} from './destination-entry.js';
import type {DestinationTable} from './destination-table.js';

/** What flow accounting asks of the analyzer about a flow, by slot (PacketAnalyzer). */
export interface FlowFacts {
	readonly maxFlows: number;
	flowState(slot: number): AnalyzerFlow | undefined;
	serverOf(slot: number): string;
	firstTsOf(slot: number): number;
	endpointsOf(slot: number): FlowEndpoints;
}

/** How reading a flow's TLS went, as stored (0: not told). */
const TLS_STATES: readonly (DecryptionNote['state'] | undefined)[] = [undefined, 'read', 'no-keys', 'stopped'];
const TLS_READ = 1;

export class FlowAccounting {
	/** Per slot: 1 once the flow counts on a destination (it has been counted, or told of its TLS). */
	private readonly counted: Uint8Array;
	/**
	 * Per slot: the ref of the destination it counts on. A ref, not the entry: an evicted
	 * destination is then garbage even while its flows last.
	 */
	private readonly refs: (DestinationRef | undefined)[];
	/** Per slot: the name it counts under (undefined: its server address). */
	private readonly names: (string | undefined)[];
	private readonly packets: Float64Array;
	private readonly out: Float64Array;
	private readonly in: Float64Array;
	/** Per slot: packets when its totals were last reported (-1: never). */
	private readonly reported: Float64Array;
	/** Per slot: how reading its TLS went (TLS_STATES index). */
	private readonly tls: Uint8Array;
	/** A flow's counts, handed to the destination table when it moves. */
	private readonly moving = {packets: 0, out: 0, in: 0};

	/** `foregroundAt`: the app in front at a time (timing evidence for a new connection). */
	constructor(
		private readonly dests: DestinationTable,
		private readonly foregroundAt: (ts: number) => string | undefined,
		private readonly facts: FlowFacts,
	) {
		const n = facts.maxFlows;
		this.counted = new Uint8Array(n);
		this.refs = new Array<DestinationRef | undefined>(n).fill(undefined);
		this.names = new Array<string | undefined>(n).fill(undefined);
		this.packets = new Float64Array(n);
		this.out = new Float64Array(n);
		this.in = new Float64Array(n);
		this.reported = new Float64Array(n);
		this.tls = new Uint8Array(n);
	}

	/** A new flow took `slot`: it counts nowhere yet. */
	start(slot: number): void {
		this.counted[slot] = 0;
		this.refs[slot] = undefined;
		this.names[slot] = undefined;
		this.packets[slot] = this.out[slot] = this.in[slot] = 0;
		this.reported[slot] = -1;
		this.tls[slot] = 0;
	}

	/** Counts one packet of the flow in `slot` on its destination and returns that destination's ref (its entry is gone if it was evicted). */
	count(slot: number, len: number, outbound: boolean, ts: number, index: number): DestinationRef {
		const name = this.facts.flowState(slot)?.name;
		if (this.counted[slot] === 0 || this.names[slot] !== name) this.rename(slot, name);
		const dest = this.live(slot);
		this.packets[slot]++;
		if (outbound) this.out[slot] += len;
		else this.in[slot] += len;
		// Its destination was dropped for room: the packet still counts, in the evicted totals.
		if (!dest) this.dests.countEvicted(len, outbound);
		else {
			this.dests.countPacket(dest, len, outbound, ts, index);
			if (outbound) dest.uploads = this.dests.uploadGrid.add(dest.uploads, ts, len);
		}
		return this.refs[slot]!;
	}

	/** How reading the flow's TLS went; returns the destination it counts on (made if the flow has none yet; none if it was evicted). */
	noteTls(flow: AnalyzerFlow, state: DecryptionNote['state'], now: number): DestinationEntry | undefined {
		const slot = flow.slot;
		if (this.counted[slot] === 0) return liveEntry(this.dests.entry(flow.name ?? flow.server, now));
		// A connection read, then cut short, stays 'read' for its flow: some of it was read.
		if (this.tls[slot] !== TLS_READ) this.tls[slot] = TLS_STATES.indexOf(state);
		return this.live(slot);
	}

	/** The `flow` event of the flow in `slot` when its totals changed since it was last reported (then they count as reported). */
	totals(slot: number, ts: number): SessionEvent | undefined {
		if (this.counted[slot] === 0 || this.reported[slot] === this.packets[slot]) return undefined;
		this.reported[slot] = this.packets[slot]!;
		const app = this.facts.flowState(slot)?.app?.package;
		const tls = TLS_STATES[this.tls[slot]!];
		const e = this.facts.endpointsOf(slot);
		return {type: 'flow', ts, firstTs: this.facts.firstTsOf(slot), host: (this.live(slot) ?? this.refs[slot]!).host, src: e.client, sport: e.clientPort, dst: e.server, dport: e.serverPort, proto: e.proto, packets: this.packets[slot]!, bytesOut: this.out[slot]!, bytesIn: this.in[slot]!, ...(app ? {app} : {}), ...(tls ? {tls} : {})};
	}

	/** Points a flow at the destination for its (new) name, moving what it already counted. */
	private rename(slot: number, name: string | undefined): void {
		const server = this.facts.serverOf(slot);
		const key = name ?? server;
		const counted = this.counted[slot] === 1;
		// A name that is its own address text: still the same destination.
		if (counted && key === (this.names[slot] ?? server)) {
			this.names[slot] = name;
			return;
		}
		const firstTs = this.facts.firstTsOf(slot);
		const dest = this.dests.entry(key, firstTs, name ? this.facts.flowState(slot)!.via : undefined);
		if (!dest.isIp) addIp(dest, server);
		this.names[slot] = name;
		if (!counted) {
			this.counted[slot] = 1;
			this.refs[slot] = dest.ref;
			const fg = this.foregroundAt(firstTs);
			if (fg) addForeground(dest, fg);
			return;
		}
		const old = this.live(slot);
		const m = this.moving;
		m.packets = this.packets[slot]!;
		m.out = this.out[slot]!;
		m.in = this.in[slot]!;
		if (old !== dest) this.dests.moveCounts(old, dest, m, firstTs);
		this.refs[slot] = dest.ref;
	}

	/**
	 * The entry the flow in `slot` counts on now: the last of its merge chain (the flow then holds
	 * that one's ref); undefined when it was evicted.
	 */
	private live(slot: number): DestinationEntry | undefined {
		const d = this.refs[slot]!.entry;
		if (d === undefined || d.mergedInto === undefined) return d;
		const last = liveEntry(d);
		this.refs[slot] = last.ref;
		return last.ref.entry;
	}
}
