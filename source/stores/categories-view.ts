/**
 * View model of the categories panel: totals per category with a bar fraction.
 */
import {computed} from 'nanostores';
import {formatBytes, formatCount} from '../lib/format.js';
import type {Category, CategorySummary} from '../types.js';
import {deepEqual} from './equal.js';
import {$categoryList} from './lists.js';
import {resolveIndex, windowStart} from './selection.js';
import {$ui, $viewport} from './ui-state.js';

export type CategoryRow = {
	key: string;
	category: Category;
	destinations: string;
	packets: string;
	bytesOut: string;
	/** bytesOut relative to the largest category, 0..1, for the bar. */
	share: number;
};

type CategoriesView = {rows: CategoryRow[]; total: number; start: number; selected: number; focused: boolean};

/** One category as cells; `max` is the largest bytesOut of any category. */
function categoryRow(c: CategorySummary, max: number): CategoryRow {
	return {
		key: c.category,
		category: c.category,
		destinations: formatCount(c.destinations),
		packets: formatCount(c.packets),
		bytesOut: formatBytes(c.bytesOut),
		share: max > 0 ? Math.min(1, Math.max(0, c.bytesOut / max)) : 0,
	};
}

export const $categoriesView = computed([$categoryList, $ui, $viewport], (list, ui, viewport): CategoriesView => {
	const budget = viewport.categories;
	const sel = ui.selection.categories;
	const index = resolveIndex(sel, list.map(c => c.category));
	const start = windowStart(sel.offset, index, budget, list.length);
	const max = list.reduce((m, c) => Math.max(m, c.bytesOut), 0);
	return {
		rows: list.slice(start, start + Math.max(0, budget)).map(c => categoryRow(c, max)),
		total: list.length,
		start,
		selected: list.length === 0 ? -1 : index - start,
		focused: ui.focus === 'categories' && !ui.detail,
	};
});
$categoriesView.eq = deepEqual;
