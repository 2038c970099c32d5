/**
 * View model of the destinations panel: the visible rows, formatted and sanitised.
 */
import {computed} from 'nanostores';
import {formatAge, formatAsn, formatBytes, formatCount, formatCountry} from '../lib/format.js';
import {sanitize} from '../lib/sanitize.js';
import type {Category, DestinationSummary, RateLookup} from '../types.js';
import {deepEqual} from './equal.js';
import {$destinationList} from './lists.js';
import {resolveIndex, windowStart} from './selection.js';
import {$destinations, $rates, $stats} from './session-stores.js';
import {$ui, $viewport, type SortMode} from './ui-state.js';

/** Longest DNS name is 253 characters; nothing longer is a real host. */
export const HOST_MAX = 253;
/** Owner, AS org and app cells: long enough for any column, short enough to bound formatting. */
export const FIELD_MAX = 96;
/** Sparkline samples kept per row: the widest sparkline column. */
const SPARK_SAMPLES = 12;

export type DestinationRow = {
	key: string;
	host: string;
	owner: string;
	category: Category;
	country: string;
	asOrg: string;
	app: string;
	bytesOut: string;
	bytesIn: string;
	packets: string;
	last: string;
	rate: readonly number[];
	flags: number;
	/** What of its payload tattle could read: `READING_WORDS` (empty when it carried no TLS or HTTP). */
	reading: string;
	/** Not seen in the --baseline run. */
	isNew: boolean;
};

/** One short word per payload reading, for the Read column (README "Reading inside HTTPS"). */
const READING_WORDS: Record<NonNullable<DestinationSummary['payload']>, string> = {
	read: 'yes',
	'partly-read': 'part',
	encrypted: 'no',
	'app-encrypted': 'app',
	cleartext: 'plain',
};

type DestinationsView = {
	rows: DestinationRow[];
	/** Rows after the filter, and before it. */
	total: number;
	all: number;
	/** Index (in the full list) of the first visible row. */
	start: number;
	/** Index in `rows` of the selected row; -1 when the list is empty. */
	selected: number;
	focused: boolean;
	sort: SortMode;
	filter: string;
	/** A --baseline is in use (the panel shows the new mark column), and how many destinations are new. */
	baseline: boolean;
	newCount: number;
};

/**
 * One destination as table cells. `now` is the session clock (the newest packet), so replays age
 * correctly; `rates` gives its sparkline (asked for visible rows only).
 */
function destinationRow(d: DestinationSummary, now: number | undefined, rates: RateLookup): DestinationRow {
	const apps = d.apps.length > 1 ? `${d.apps[0]} +${d.apps.length - 1}` : (d.apps[0] ?? '');
	const asOrg = [formatAsn(d.asn), d.asOrg].filter(Boolean).join(' ');
	return {
		key: d.host,
		host: sanitize(d.host, HOST_MAX),
		owner: sanitize(d.owner ?? '', FIELD_MAX),
		category: d.category,
		country: formatCountry(d.country),
		asOrg: sanitize(asOrg, FIELD_MAX),
		app: sanitize(apps, FIELD_MAX),
		bytesOut: formatBytes(d.bytesOut),
		bytesIn: formatBytes(d.bytesIn),
		packets: formatCount(d.packets),
		last: formatAge(d.lastTs, now),
		rate: rates(d.host).slice(-SPARK_SAMPLES),
		flags: d.flags,
		reading: d.payload ? READING_WORDS[d.payload] : '',
		isNew: d.new === true,
	};
}

export const $destinationsView = computed(
	[$destinationList, $destinations, $ui, $viewport, $stats, $rates],
	(list, all, ui, viewport, stats, rates): DestinationsView => {
		const budget = viewport.destinations;
		const sel = ui.selection.destinations;
		const index = resolveIndex(sel, list.map(d => d.host));
		const start = windowStart(sel.offset, index, budget, list.length);
		const visible = list.slice(start, start + Math.max(0, budget));
		// With a baseline every summary says whether it is new; without one none does.
		let newCount = 0;
		for (const d of all) if (d.new) newCount++;
		return {
			rows: visible.map(d => destinationRow(d, stats.lastTs, rates)),
			total: list.length,
			all: all.length,
			start,
			selected: list.length === 0 ? -1 : index - start,
			focused: ui.focus === 'destinations' && !ui.detail,
			sort: ui.sort,
			filter: ui.filter,
			baseline: all.length > 0 && all[0]!.new !== undefined,
			newCount,
		};
	},
);
$destinationsView.eq = deepEqual;
