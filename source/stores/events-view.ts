/**
 * View model of the events panel: the timeline tail, newest first, filterable.
 */
import {computed} from 'nanostores';
import {formatClock} from '../lib/format.js';
import {sanitize} from '../lib/sanitize.js';
import type {TimelineEntry} from '../types.js';
import {deepEqual} from './equal.js';
import {$eventList, eventKey} from './lists.js';
import {resolveIndex, windowStart} from './selection.js';
import {$timeline} from './session-stores.js';
import {$ui, $viewport} from './ui-state.js';

/** Timeline text cap: a wide terminal row; the detail view shows up to the sanitiser's cap. */
const TEXT_MAX = 240;
/** Event kinds are short labels; cap them so a hostile one cannot push the text away. */
const KIND_MAX = 24;

export type EventRow = {key: string; time: string; source: TimelineEntry['source']; kind: string; text: string};

type EventsView = {rows: EventRow[]; total: number; all: number; start: number; selected: number; focused: boolean};

/** One timeline entry as cells. */
function eventRow(e: TimelineEntry): EventRow {
	return {
		key: eventKey(e),
		time: formatClock(e.ts),
		source: e.source,
		kind: sanitize(e.kind, KIND_MAX),
		text: sanitize(e.text, TEXT_MAX),
	};
}

export const $eventsView = computed([$eventList, $timeline, $ui, $viewport], (list, all, ui, viewport): EventsView => {
	const budget = viewport.events;
	const sel = ui.selection.events;
	const index = resolveIndex(sel, list.map(e => eventKey(e)));
	const start = windowStart(sel.offset, index, budget, list.length);
	return {
		rows: list.slice(start, start + Math.max(0, budget)).map(e => eventRow(e)),
		total: list.length,
		all: all.length,
		start,
		selected: list.length === 0 ? -1 : index - start,
		focused: ui.focus === 'events' && !ui.detail,
	};
});
$eventsView.eq = deepEqual;
