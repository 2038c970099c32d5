/**
 * Layout as a pure function of terminal size: which panels are shown, their sizes, and the rows
 * of data each can hold. Named breakpoints; panels are dropped rather than squeezed.
 */
import type {LayoutVariant, PanelId, Viewport} from '../stores/ui-state.js';

/** Below this the dashboard cannot draw even one panel usefully: a "too small" notice instead. */
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 8;
/** Under 60x14 only the focused panel fits beside the bars. */
const TINY_COLUMNS = 60;
const TINY_ROWS = 14;
/** From 120x30 (bandwhich's breakpoint) there is room for all four panels, two side by side. */
const WIDE_COLUMNS = 120;
const WIDE_ROWS = 30;
/** From 30 rows a narrower terminal stacks a third panel (the timeline) under flags. */
const TALL_ROWS = 30;
/** Title rule and column header above each panel's rows. */
export const PANEL_CHROME = 2;
/** A panel with fewer data rows than this is dropped, not squeezed. */
const MIN_PANEL_ROWS = 3;
/** Columns between panels placed side by side. */
export const GUTTER = 2;

type Breakpoint = 'too-small' | 'tiny' | 'compact' | 'tall' | 'wide';

type PanelBox = {id: PanelId; width: number; height: number};

/** One horizontal band of the body: panels side by side, all `height` rows tall. */
type Band = {height: number; panels: PanelBox[]};

type Layout = {
	breakpoint: Breakpoint;
	columns: number;
	/** Frame height: one row shorter than the terminal, so Ink never clears the screen per frame. */
	frameRows: number;
	statusRows: number;
	helpRows: number;
	bodyRows: number;
	/** Panels in the body; empty when the detail view or the help overlay takes it. */
	bands: Band[];
	/** The detail view or help overlay covers the body. */
	overlay?: 'detail' | 'help';
	budgets: Viewport;
};

export type LayoutState = {focus: PanelId; variant: LayoutVariant; detail: boolean; help: boolean};

const dataRows = (height: number): number => Math.max(0, height - PANEL_CHROME);

/** Pick the named breakpoint for a terminal size. */
export function breakpointFor(columns: number, rows: number): Breakpoint {
	if (columns < MIN_COLUMNS || rows < MIN_ROWS) return 'too-small';
	if (columns < TINY_COLUMNS || rows < TINY_ROWS) return 'tiny';
	if (columns >= WIDE_COLUMNS && rows >= WIDE_ROWS) return 'wide';
	return rows >= TALL_ROWS ? 'tall' : 'compact';
}

/** Split `total` rows by weights; every part gets at least `min` or the band is dropped by the caller. */
function split(total: number, weights: readonly number[]): number[] {
	const sum = weights.reduce((a, b) => a + b, 0);
	const parts = weights.map(w => Math.floor((total * w) / sum));
	let rest = total - parts.reduce((a, b) => a + b, 0);
	for (let i = 0; rest > 0; i = (i + 1) % parts.length, rest--) parts[i]!++;
	return parts;
}

/** One panel fills the body. */
function single(focus: PanelId, columns: number, body: number): Band[] {
	return [{height: body, panels: [{id: focus, width: columns, height: body}]}];
}

/** Destinations on top, the second panel (flags, or whichever other panel has focus) below. */
function compact(focus: PanelId, columns: number, body: number): Band[] {
	const second: PanelId = focus === 'destinations' ? 'flags' : focus;
	const [top, bottom] = split(body, [11, 9]);
	if (dataRows(bottom!) < MIN_PANEL_ROWS) return single(focus, columns, body);
	return [
		{height: top!, panels: [{id: 'destinations', width: columns, height: top!}]},
		{height: bottom!, panels: [{id: second, width: columns, height: bottom!}]},
	];
}

/** Destinations, flags, and a third panel (events, or categories when focused) one above another. */
function tall(focus: PanelId, columns: number, body: number): Band[] {
	const third: PanelId = focus === 'categories' ? 'categories' : 'events';
	const heights = split(body, [40, 30, 30]);
	const ids: PanelId[] = ['destinations', 'flags', third];
	return ids.map((id, i) => ({height: heights[i]!, panels: [{id, width: columns, height: heights[i]!}]}));
}

/** Destinations across the top; flags beside categories; the timeline across the bottom. */
function wide(columns: number, body: number): Band[] {
	const [top, middle, bottom] = split(body, [45, 30, 25]);
	const right = Math.max(36, Math.floor((columns - GUTTER) * 0.36));
	const left = columns - GUTTER - right;
	return [
		{height: top!, panels: [{id: 'destinations', width: columns, height: top!}]},
		{
			height: middle!,
			panels: [
				{id: 'flags', width: left, height: middle!},
				{id: 'categories', width: right, height: middle!},
			],
		},
		{height: bottom!, panels: [{id: 'events', width: columns, height: bottom!}]},
	];
}

/** Every panel one above another, the focused one kept when rows run short. */
function stack(focus: PanelId, columns: number, body: number): Band[] {
	const weight = (id: PanelId): number => (id === 'destinations' ? 3 : 2);
	let shown: PanelId[] = ['destinations', 'flags', 'categories', 'events'];
	let heights = split(body, shown.map(weight));
	while (shown.length > 1 && Math.min(...heights) - PANEL_CHROME < MIN_PANEL_ROWS) {
		const drop = [...shown].reverse().find(id => id !== focus)!;
		shown = shown.filter(id => id !== drop);
		heights = split(body, shown.map(weight));
	}

	return shown.map((id, i) => ({height: heights[i]!, panels: [{id, width: columns, height: heights[i]!}]}));
}

/** The layout for a terminal of `columns` x `rows` and the UI state that affects it. */
export function computeLayout(columns: number, rows: number, state: LayoutState): Layout {
	const breakpoint = breakpointFor(columns, rows);
	const frameRows = Math.max(1, rows - 1);
	const statusRows = breakpoint === 'tiny' || breakpoint === 'too-small' ? 1 : 2;
	const helpRows = 1;
	const bodyRows = Math.max(0, frameRows - statusRows - helpRows);
	const overlay = state.help ? 'help' : state.detail ? 'detail' : undefined;
	let bands: Band[] = [];
	if (breakpoint !== 'too-small' && !overlay) {
		if (breakpoint === 'tiny' || state.variant === 'single') bands = single(state.focus, columns, bodyRows);
		else if (state.variant === 'stack') bands = stack(state.focus, columns, bodyRows);
		else if (breakpoint === 'wide') bands = wide(columns, bodyRows);
		else if (breakpoint === 'tall') bands = tall(state.focus, columns, bodyRows);
		else bands = compact(state.focus, columns, bodyRows);
	}

	const budgets: Record<keyof Viewport, number> = {destinations: 0, flags: 0, categories: 0, events: 0, detail: 0};
	for (const band of bands) for (const p of band.panels) budgets[p.id] = dataRows(p.height);
	// The detail view has a one-row title; its budget is what a page key scrolls by.
	budgets.detail = Math.max(0, bodyRows - 1);
	return {breakpoint, columns, frameRows, statusRows, helpRows, bodyRows, bands, overlay, budgets};
}
