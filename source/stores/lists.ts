/**
 * The full list behind each panel: filtered and sorted, unformatted. The per-panel view stores
 * slice these to the row budget and format only what is visible.
 */
import {computed} from 'nanostores';
import type {CategorySummary, DestinationSummary, Flag, Severity, TimelineEntry} from '../types.js';
import {deepEqual} from './equal.js';
import {$categories, $destinations, $flags, $timeline} from './session.js';
import {$ui, type FlagSortMode, type PanelId, type SortMode} from './ui-state.js';

/** The part of the UI state that changes list contents (not selection), so a cursor move does not re-sort. */
export const $listQuery = computed($ui, ui => ({
	filter: ui.filter.trim().toLowerCase(),
	sort: ui.sort,
	flagSort: ui.flagSort,
}));
$listQuery.eq = deepEqual;

/** True when any of the fields contains the (lower-case) needle. */
function matches(needle: string, fields: ReadonlyArray<string | undefined>): boolean {
	if (needle === '') return true;
	for (const f of fields) if (f && f.toLowerCase().includes(needle)) return true;
	return false;
}

/** Destination filter: host, owner, apps, category, country, AS org, IPs. */
export function destinationMatches(d: DestinationSummary, needle: string): boolean {
	return matches(needle, [d.host, d.owner, d.category, d.country, d.asOrg, ...d.apps, ...d.ips]);
}

/** Flag filter: host, app, kind, severity, summary. */
export function flagMatches(f: Flag, needle: string): boolean {
	return matches(needle, [f.host, f.app, f.kind, f.severity, f.summary]);
}

/** Timeline filter: kind, text, source. */
export function eventMatches(e: TimelineEntry, needle: string): boolean {
	return matches(needle, [e.kind, e.text, e.source]);
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
export function listDestinations(all: readonly DestinationSummary[], filter: string, sort: SortMode): DestinationSummary[] {
	return all.filter(d => destinationMatches(d, filter)).sort(DESTINATION_ORDER[sort]);
}

export const SEVERITY_RANK: Record<Severity, number> = {high: 3, medium: 2, low: 1, info: 0};

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
export function listFlags(all: readonly Flag[], filter: string, sort: FlagSortMode = 'newest'): Flag[] {
	return all.filter(f => flagMatches(f, filter)).sort(FLAG_ORDER[sort]);
}

/** Identity of a timeline entry across flushes. */
export function eventKey(e: TimelineEntry): string {
	return `${e.ts}|${e.source}|${e.kind}|${e.index ?? ''}|${e.text.slice(0, 40)}`;
}

/** Timeline newest first (pure); the stable sort keeps arrival order for equal times. */
export function listEvents(all: readonly TimelineEntry[], filter: string): TimelineEntry[] {
	return all.filter(e => eventMatches(e, filter)).sort((a, b) => b.ts - a.ts);
}

/** Categories by bytes sent, then by number of destinations (pure; the filter does not apply: they are totals). */
export function listCategories(all: readonly CategorySummary[]): CategorySummary[] {
	return [...all].sort((a, b) => b.bytesOut - a.bytesOut || b.destinations - a.destinations || (a.category < b.category ? -1 : 1));
}

export const $destinationList = computed([$destinations, $listQuery], (all, q) => listDestinations(all, q.filter, q.sort));
export const $flagList = computed([$flags, $listQuery], (all, q) => listFlags(all, q.filter, q.flagSort));
export const $eventList = computed([$timeline, $listQuery], (all, q) => listEvents(all, q.filter));
export const $categoryList = computed($categories, all => listCategories(all));

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
