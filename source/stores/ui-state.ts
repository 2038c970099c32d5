/**
 * UI state atoms: focus, selection, filter, sort, pause, overlays, layout, notices, and the row
 * budgets the layout gives each panel. Actions that change them live in ui.ts.
 */
import {atom} from 'nanostores';
import {deepEqual} from './equal.js';

export type PanelId = 'destinations' | 'flags' | 'categories' | 'events';

/** Tab order, and the panels 1-4 jump to. Flags come second so a leak is one Tab away. */
export const PANEL_ORDER: readonly PanelId[] = ['destinations', 'flags', 'categories', 'events'];

export type SortMode = 'bytes' | 'recent' | 'name' | 'category';
export const SORT_MODES: readonly SortMode[] = ['bytes', 'recent', 'name', 'category'];

/** Flags: newest first (the default), or most severe first. */
export type FlagSortMode = 'newest' | 'severity';
export const FLAG_SORT_MODES: readonly FlagSortMode[] = ['newest', 'severity'];

/** auto: the breakpoints decide; single: the focused panel takes the body; stack: panels one above another. */
export type LayoutVariant = 'auto' | 'single' | 'stack';
export const LAYOUT_VARIANTS: readonly LayoutVariant[] = ['auto', 'single', 'stack'];

/** A selection follows its row's key when rows reorder; the index is the fallback when the key is gone. */
export type Selection = {key?: string; index: number; offset: number};

export type DetailTarget = {kind: 'destination' | 'flag' | 'event'; key: string};

export type Notice = {text: string; tone: 'info' | 'warn' | 'error'};

export type UiState = {
	focus: PanelId;
	selection: Readonly<Record<PanelId, Selection>>;
	/** Text filter over all list panels (case-insensitive substring). */
	filter: string;
	/** True while the user types a filter; `filterBefore` restores it on Esc. */
	filterEditing: boolean;
	filterBefore: string;
	/** The one-line note of an `m` marker while it is typed; undefined when no note prompt is open. */
	note?: string;
	sort: SortMode;
	flagSort: FlagSortMode;
	paused: boolean;
	detail?: DetailTarget;
	detailScroll: number;
	help: boolean;
	layout: LayoutVariant;
	/** The latest message for the user; cleared by the next key. */
	notice?: Notice;
};

const START: Selection = {index: 0, offset: 0};

export const INITIAL_UI: UiState = {
	focus: 'destinations',
	selection: {destinations: START, flags: START, categories: START, events: START},
	filter: '',
	filterEditing: false,
	filterBefore: '',
	sort: 'bytes',
	// Most severe first: the leak a researcher is looking for is at the top, one Enter away.
	flagSort: 'severity',
	paused: false,
	detailScroll: 0,
	help: false,
	layout: 'auto',
};

export const $ui = atom<UiState>(INITIAL_UI);
$ui.eq = deepEqual;

/** Rows of data each panel can show, as laid out; the view stores slice to these. */
export type Viewport = Readonly<Record<PanelId | 'detail', number>>;

/** Before the first layout: the 80x24 budgets, so a first frame is never oversized. */
export const DEFAULT_VIEWPORT: Viewport = {destinations: 8, flags: 5, categories: 0, events: 0, detail: 16};

export const $viewport = atom<Viewport>(DEFAULT_VIEWPORT);
$viewport.eq = deepEqual;
