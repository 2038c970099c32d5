/**
 * The IP -> name map learnt from DNS answers (CNAME chains followed back). Pure: fed DNS messages.
 */

import type {DnsMessage} from './dns.js';

/** Addresses remembered by IpNames; one per resolved address, a day of browsing stays under this. */
const IP_NAMES_DEFAULT_MAX = 16_384;
/** CNAME links followed back to the queried name; resolvers stop chains at 8-16 links. */
const MAX_CNAME_CHAIN = 16;

type IpName = {name: string; via: 'dns'};

/** Address -> the name the user asked DNS for (CNAME chains followed back), capped LRU. */
export class IpNames {
	readonly maxEntries: number;
	/** Bumped by every set: a name missing at one count is still missing while it is unchanged. */
	changes = 0;
	private readonly map = new Map<string, IpName>();

	constructor(maxEntries = IP_NAMES_DEFAULT_MAX) {
		this.maxEntries = Math.max(1, maxEntries);
	}

	get size(): number {
		return this.map.size;
	}

	/** Learn the A/AAAA answers of a response, each named after the question that led to it. */
	learn(msg: DnsMessage): void {
		if (!msg.response || msg.answers.length === 0) return;
		// target (lowercase) -> owner, for walking CNAME chains backwards.
		let cnameOwner: Map<string, string> | undefined;
		for (const a of msg.answers) {
			if (a.rrtype === 5 && a.value) (cnameOwner ??= new Map()).set(a.value.toLowerCase(), a.name);
		}
		for (const a of msg.answers) {
			if ((a.rrtype !== 1 && a.rrtype !== 28) || !a.value || !a.name) continue;
			let name = a.name;
			if (cnameOwner) {
				for (let i = 0; i < MAX_CNAME_CHAIN; i++) {
					const prev = cnameOwner.get(name.toLowerCase());
					if (prev === undefined || prev === name) break;
					name = prev;
				}
			}
			this.set(a.value, name);
		}
	}

	/** Remember one address's name (most recent answer wins). */
	set(ip: string, name: string): void {
		this.changes++;
		const had = this.map.get(ip);
		if (had) this.map.delete(ip);
		else if (this.map.size >= this.maxEntries) this.map.delete(this.map.keys().next().value as string);
		this.map.set(ip, had && had.name === name ? had : {name, via: 'dns'});
	}

	/** The name DNS gave this address, if any. */
	nameOf(ip: string): IpName | undefined {
		const n = this.map.get(ip);
		if (n) {
			this.map.delete(ip);
			this.map.set(ip, n);
		}
		return n;
	}
}
