/** Per app (package): bytes sent and received and the destinations it talked to. O(1) per packet. */
import {addApp, type DestinationRef} from './destination-entry.js';

/**
 * Hosts remembered per app to count its distinct destinations: as many as the destination table
 * holds at once. The names outlive their destinations (evicted ones too), so a flood with app
 * metadata grew this set without end; past the cap the count is a lower bound.
 */
export const MAX_APP_HOSTS = 20_000;

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
		if (a.dests.size < MAX_APP_HOSTS) a.dests.add(d.host);
		if (d.entry) addApp(d.entry, pkg);
	}

	entries(): IterableIterator<AppEntry> {
		return this.byPkg.values();
	}
}
