/**
 * Pure selection and scrolling arithmetic shared by the actions and the view stores.
 */
import type {Selection} from './ui-state.js';

/** Index of the selected row in `keys`: its key when still present, else the old index clamped. */
export function resolveIndex(sel: Selection, keys: readonly string[]): number {
	if (keys.length === 0) return 0;
	if (sel.key !== undefined) {
		const at = keys.indexOf(sel.key);
		if (at >= 0) return at;
	}

	return Math.min(Math.max(0, sel.index), keys.length - 1);
}

/** First visible row so that `index` is on screen, moving the window as little as possible. */
export function windowStart(offset: number, index: number, budget: number, length: number): number {
	if (budget <= 0 || length <= budget) return 0;
	let start = Math.min(Math.max(0, offset), length - budget);
	if (index < start) start = index;
	if (index >= start + budget) start = index - budget + 1;
	return start;
}

/** The selection after moving by `delta` rows (clamped to the list). */
export function moveBy(sel: Selection, keys: readonly string[], delta: number, budget: number): Selection {
	if (keys.length === 0) return {index: 0, offset: 0};
	const from = resolveIndex(sel, keys);
	const index = Math.min(Math.max(0, from + delta), keys.length - 1);
	return {key: keys[index], index, offset: windowStart(sel.offset, index, budget, keys.length)};
}
