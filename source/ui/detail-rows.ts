/**
 * Flattens a detail view into screen rows for a given width (pure): labels in a column,
 * long values wrapped under their label, headings set off by a blank row.
 */
import {wrapWidth} from '../lib/sanitize.js';
import type {DetailTone, DetailView} from '../stores/detail-view.js';

/** Label column: fits "Log lines", "Named by" and "line 12345". */
export const LABEL_WIDTH = 11;
/** A value wraps to at most this many rows (a 1,200-character excerpt at 100 columns). */
const VALUE_MAX_ROWS = 14;

type DetailRow = {key: string; label: string; text: string; tone?: DetailTone; heading?: boolean};

/** Screen rows of a detail view at `width` columns. */
export function detailRows(view: DetailView, width: number, ascii = false): DetailRow[] {
	const rows: DetailRow[] = [];
	const valueWidth = Math.max(8, width - LABEL_WIDTH - 1);
	view.lines.forEach((line, i) => {
		if (line.kind === 'heading') {
			if (rows.length > 0) rows.push({key: `${i}-gap`, label: '', text: ''});
			rows.push({key: `${i}`, label: '', text: line.text, heading: true});
			return;
		}

		wrapWidth(line.value, valueWidth, VALUE_MAX_ROWS, {ascii}).forEach((part, j) => {
			rows.push({key: `${i}-${j}`, label: j === 0 ? line.label : '', text: part, tone: line.tone});
		});
	});
	return rows;
}
