/**
 * The full list behind each panel: filtered and sorted, unformatted. The per-panel view stores
 * slice these to the row budget and format only what is visible.
 */
import {computed} from 'nanostores';
import type {CategorySummary, DestinationSummary, Flag, Severity, TimelineEntry} from '../types.js';
import {categoryTotals} from '../ingest/category-totals.js';
import {deepEqual} from './equal.js';
import {destinationFacts, eventFacts, filterNeedle, flagFacts, rowMatches} from './filter.js';
import {$categories, $destinations, $flags, $timeline} from './session-stores.js';
import {$ui, type FlagSortMode, type PanelId, type SortMode} from './ui-state.js';

/** The part of the UI state that changes list contents (not selection), so a cursor move does not re-sort. */
const $listQuery = computed($ui, ui => ({
	filter: filterNeedle(ui.filter),
	sort: ui.sort,
	flagSort: ui.flagSort,
}));
$listQuery.eq = deepEqual;

/** Destination filter: the one rule (filter.ts) over the destination's facts. */
function destinationMatches(d: DestinationSummary, needle: string): boolean {
	return rowMatches(needle, destinationFacts(d));
}

/** Flag filter: the one rule over the flag's facts and its host's destination (`byHost`). */
function flagMatches(f: Flag, needle: string, byHost?: ReadonlyMap<string, DestinationSummary>): boolean {
	return rowMatches(needle, flagFacts(f, byHost?.get(f.host)));
}

/** Timeline filter: the one rule over the entry's facts. */
function eventMatches(e: TimelineEntry, needle: string): boolean {
	return rowMatches(needle, eventFacts(e));
}

const byHost = (a: DestinationSummary, b: DestinationSummary): number =>
	a.host < b.host ? -1 : a.host > b.host ? 1 : 0;

/** Comparators per sort mode; ties fall back to the host name so the order is stable. */
const DESTINATION_ORDER: Record<SortMode, (a: DestinationSummary, b: DestinationSummary) => number> = {
	bytes: (a, b) => b.bytesOut - a.bytesOut || b.bytesIn - a.bytesIn || byHost(a, b),
	recent: (a, b) => b.lastTs - a.lastTs || byHost(a, b),
	name: byHost,
	category: (a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : 0) || b.bytesOut - a.bytesOut || byHost(a, b),
};

/** Filter and sort destinations (pure). */
function listDestinations(all: readonly DestinationSummary[], filter: string, sort: SortMode): DestinationSummary[] {
	return all.filter(d => destinationMatches(d, filter)).sort(DESTINATION_ORDER[sort]);
}

const SEVERITY_RANK: Record<Severity, number> = {high: 3, medium: 2, low: 1, info: 0};

/** Identity of a flag across flushes (flags have no id of their own). */
export function flagKey(f: Flag): string {
	return `${f.kind}|${f.host}|${f.ts}|${f.evidence.packets[0] ?? ''}|${f.evidence.logLines[0] ?? ''}`;
}

/** Within a severity, what a researcher looks for first: browsing data that left in incognito. */
const KIND_RANK: Record<Flag['kind'], number> = {'incognito-url-leak': 3, 'incognito-tracker': 2, 'url-leak': 1, 'cleartext-identifier': 0};

const FLAG_ORDER: Record<FlagSortMode, (a: Flag, b: Flag) => number> = {
	newest: (a, b) => b.ts - a.ts || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity],
	severity: (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || KIND_RANK[b.kind] - KIND_RANK[a.kind] || b.ts - a.ts,
};

/** Flags newest first (or most severe first), filtered (pure). */
function listFlags(
	all: readonly Flag[],
	filter: string,
	sort: FlagSortMode = 'newest',
	destinations: readonly DestinationSummary[] = [],
): Flag[] {
	if (filter === '') return [...all].sort(FLAG_ORDER[sort]);
	const byHost = new Map(destinations.map(d => [d.host, d]));
	return all.filter(f => flagMatches(f, filter, byHost)).sort(FLAG_ORDER[sort]);
}

/** Identity of a timeline entry across flushes. */
export function eventKey(e: TimelineEntry): string {
	return `${e.ts}|${e.source}|${e.kind}|${e.index ?? ''}|${e.text.slice(0, 40)}`;
}

/** Timeline newest first (pure); the stable sort keeps arrival order for equal times. */
function listEvents(all: readonly TimelineEntry[], filter: string): TimelineEntry[] {
	return all.filter(e => eventMatches(e, filter)).sort((a, b) => b.ts - a.ts);
}

/** Categories by bytes sent, then by number of destinations (pure). */
function listCategories(all: readonly CategorySummary[]): CategorySummary[] {
	return [...all].sort((a, b) => b.bytesOut - a.bytesOut || b.destinations - a.destinations || (a.category < b.category ? -1 : 1));
}

export const $destinationList = computed([$destinations, $listQuery], (all, q) => listDestinations(all, q.filter, q.sort));
export const $flagList = computed([$flags, $destinations, $listQuery], (all, dests, q) => listFlags(all, q.filter, q.flagSort, dests));
export const $eventList = computed([$timeline, $listQuery], (all, q) => listEvents(all, q.filter));
/** Under a filter, the totals of the destinations that match it: the same rule as every other panel. */
export const $categoryList = computed([$categories, $destinationList, $listQuery], (all, matching, q) =>
	listCategories(q.filter === '' ? all : categoryTotals(matching)),
);

/** Row keys of a panel's full list, for moving the selection. */
export function listKeys(panel: PanelId): string[] {
	switch (panel) {
		case 'destinations':
			return $destinationList.get().map(d => d.host);
		case 'flags':
			return $flagList.get().map(f => flagKey(f));
		case 'categories':
			return $categoryList.get().map(c => c.category);
		case 'events':
			return $eventList.get().map(e => eventKey(e));
	}
}
