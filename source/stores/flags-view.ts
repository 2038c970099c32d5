/**
 * View model of the flags panel: newest first, formatted and sanitised.
 */
import {computed} from 'nanostores';
import {formatClock} from '../lib/format.js';
import {sanitize} from '../lib/sanitize.js';
import type {Flag, FlagKind, Severity} from '../types.js';
import {deepEqual} from './equal.js';
import {FIELD_MAX, HOST_MAX} from './destinations-view.js';
import {$flagList, flagKey} from './lists.js';
import {resolveIndex, windowStart} from './selection.js';
import {$flags} from './session-stores.js';
import {$ui, $viewport, type FlagSortMode} from './ui-state.js';

/** A summary longer than this cannot fit any row; the detail view shows the full text. */
const SUMMARY_MAX = 200;

export type FlagRow = {
	key: string;
	time: string;
	kind: FlagKind;
	severity: Severity;
	app: string;
	host: string;
	summary: string;
	encrypted: boolean;
};

type FlagsView = {
	rows: FlagRow[];
	total: number;
	all: number;
	start: number;
	selected: number;
	focused: boolean;
	sort: FlagSortMode;
	/** Count per severity over all flags (not only the filtered ones): the panel title shows them. */
	high: number;
	medium: number;
};

/** One flag as table cells. */
function flagRow(f: Flag): FlagRow {
	return {
		key: flagKey(f),
		time: formatClock(f.ts),
		kind: f.kind,
		severity: f.severity,
		app: sanitize(f.app ?? '', FIELD_MAX),
		host: sanitize(f.host, HOST_MAX),
		summary: sanitize(f.summary, SUMMARY_MAX),
		encrypted: f.evidence.payload === 'encrypted',
	};
}

export const $flagsView = computed([$flagList, $flags, $ui, $viewport], (list, all, ui, viewport): FlagsView => {
	const budget = viewport.flags;
	const sel = ui.selection.flags;
	const index = resolveIndex(sel, list.map(f => flagKey(f)));
	const start = windowStart(sel.offset, index, budget, list.length);
	return {
		rows: list.slice(start, start + Math.max(0, budget)).map(f => flagRow(f)),
		total: list.length,
		all: all.length,
		start,
		selected: list.length === 0 ? -1 : index - start,
		focused: ui.focus === 'flags' && !ui.detail,
		sort: ui.flagSort,
		high: all.filter(f => f.severity === 'high').length,
		medium: all.filter(f => f.severity === 'medium').length,
	};
});
$flagsView.eq = deepEqual;
