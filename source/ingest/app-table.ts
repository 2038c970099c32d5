/** Per app (package): bytes sent and received and the destinations it talked to. O(1) per packet. */
import {addApp, type DestinationRef} from './destination-entry.js';

/** One app as ingest counts it. */
export type AppEntry = {pkg: string; uid?: number | string; dests: Set<string>; bytesOut: number; bytesIn: number};

export class AppTable {
	private readonly byPkg = new Map<string, AppEntry>();

	/** Traffic of `pkg` to `d` (zero bytes: a destination attributed by its log line alone; an evicted one is still named). */
	count(pkg: string, uid: number | string | undefined, d: DestinationRef, out: number, inn: number): void {
		let a = this.byPkg.get(pkg);
		if (!a) {
			a = {pkg, uid, dests: new Set(), bytesOut: 0, bytesIn: 0};
			this.byPkg.set(pkg, a);
		}
		a.bytesOut += out;
		a.bytesIn += inn;
		if (!a.dests.has(d.host)) a.dests.add(d.host);
		if (d.entry) addApp(d.entry, pkg);
	}

	entries(): IterableIterator<AppEntry> {
		return this.byPkg.values();
	}
}
