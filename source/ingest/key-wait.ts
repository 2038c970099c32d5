/**
 * TLS connections to a tracker that wait for their keys before being judged as encrypted uploads:
 * read with keys, they are judged on what they say instead; still unread a few seconds after
 * their hello, or when they end, they are judged on timing and size.
 */
import type {AnalyzerFlow} from '../decode/analyzer.js';
import type {DestinationEntry} from './destination-entry.js';

/**
 * Seconds of capture time a TLS connection to a tracker may wait for its keys before it is judged
 * as an encrypted upload. Key log lines follow their handshake within a second (friTap, curl);
 * PCAPdroid writes its DSBs before the next batch of packets.
 */
export const KEY_WAIT_SECONDS = 5;

/** A connection waiting: its destination, its hello's time and packets. */
type KeyWaiter = {flow: AnalyzerFlow; d: DestinationEntry; ts: number; packets: number[]};

export class KeyWait {
	private readonly waiting = new Map<AnalyzerFlow, KeyWaiter>();
	/** Session time of the next look for overdue connections (once a second at most). */
	private nextLook = 0;

	wait(w: KeyWaiter): void {
		this.waiting.set(w.flow, w);
	}

	/** Its keys came and it is being read: no encrypted-upload judgement. */
	read(flow: AnalyzerFlow): void {
		this.waiting.delete(flow);
	}

	/** The connection ended: its wait, if it was waiting, to judge now. */
	end(flow: AnalyzerFlow): KeyWaiter | undefined {
		const w = this.waiting.get(flow);
		if (w) this.waiting.delete(flow);
		return w;
	}

	/** Connections waiting longer than KEY_WAIT_SECONDS at `now`, taken out; O(1) when none wait or it is not time to look. */
	overdue(now: number): KeyWaiter[] | undefined {
		if (this.waiting.size === 0 || now < this.nextLook) return undefined;
		this.nextLook = now + 1;
		const due: KeyWaiter[] = [];
		for (const [flow, w] of this.waiting) {
			if (now - w.ts < KEY_WAIT_SECONDS) continue;
			this.waiting.delete(flow);
			due.push(w);
		}
		return due;
	}

	/** End of input: every connection still waiting, taken out. */
	drain(): KeyWaiter[] {
		const all = [...this.waiting.values()];
		this.waiting.clear();
		return all;
	}
}
