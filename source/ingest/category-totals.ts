/** Per-category totals over destinations: the session's categories, and a filtered view's. Pure. */
import type {CategorySummary, DestinationSummary} from '../types.js';

/** Destinations, packets and bytes per category, in first-seen order. */
export function categoryTotals(destinations: readonly DestinationSummary[]): CategorySummary[] {
	const totals = new Map<CategorySummary['category'], CategorySummary>();
	for (const d of destinations) {
		let c = totals.get(d.category);
		if (!c) totals.set(d.category, (c = {category: d.category, destinations: 0, packets: 0, bytesOut: 0, bytesIn: 0}));
		c.destinations++;
		c.packets += d.packets;
		c.bytesOut += d.bytesOut;
		c.bytesIn += d.bytesIn;
	}
	return [...totals.values()];
}
