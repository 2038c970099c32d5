/**
 * Who may feed a listener (`udp://`, `tcp-listen://`): anyone on the network can send to an open
 * port, and a capture is parsed, classified and recorded, so only the phone is let in. With an
 * allow-list (`--pcap-from ADDR[,ADDR]`) only those addresses; without one, the first sender,
 * and nobody else for the rest of the session (the phone keeps its address across a PCAPdroid
 * restart; only its source port changes, so the port is not part of the lock).
 * Datagrams and connections from anyone else are refused before a byte is parsed, and counted.
 */
/**
 * Distinct refused addresses remembered (and reported once each): a spoofed flood of sources
 * must not grow memory or the event stream; past this they are only counted.
 */
export const MAX_REFUSED_ADDRESSES = 16;

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) is `127.0.0.1`. */
export function plainAddress(address: string): string {
	const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
	return (m ? m[1]! : address).toLowerCase();
}

/** What admit() decided: let in; let in and it is the sender we lock onto now; refused. */
type GateVerdict = 'admit' | 'locked' | 'refused';

/** Decides, per datagram or connection, whether its sender may feed the capture. */
export class SenderGate {
	/** Datagrams or connections refused. */
	refused = 0;
	/** The sender locked onto (no allow-list), once one sent. */
	locked: string | undefined;
	private readonly allowed: ReadonlySet<string> | undefined;
	private readonly seenRefused = new Set<string>();

	constructor(allow: readonly string[] | undefined) {
		this.allowed = allow && allow.length > 0 ? new Set(allow.map(plainAddress)) : undefined;
	}

	/** Who is let in, in words: "127.0.0.1 (the first sender)", "10.0.0.5, 10.0.0.6 (--pcap-from)", or undefined before the first. */
	get who(): string | undefined {
		if (this.allowed) return `${[...this.allowed].join(', ')} (--pcap-from)`;
		return this.locked && `${this.locked} (the first sender)`;
	}

	/** The verdict on a sender's address. */
	admit(address: string | undefined): GateVerdict {
		const from = plainAddress(address ?? '');
		if (this.allowed ? this.allowed.has(from) : (this.locked ?? from) === from) {
			if (this.allowed || this.locked !== undefined) return 'admit';
			this.locked = from;
			return 'locked';
		}
		this.refused++;
		return 'refused';
	}

	/**
	 * True the first time `address` was refused (worth saying once), false after, and for every
	 * address past MAX_REFUSED_ADDRESSES.
	 */
	firstRefusalOf(address: string | undefined): boolean {
		const from = plainAddress(address ?? '');
		if (this.seenRefused.has(from) || this.seenRefused.size >= MAX_REFUSED_ADDRESSES) return false;
		this.seenRefused.add(from);
		return true;
	}
}
