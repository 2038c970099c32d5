/**
 * UI actions: the only writers of $ui and $viewport. Key bindings call these; components never
 * set stores themselves.
 */
import {listKeys} from './lists.js';
import {dismissNotice} from './notices.js';
import {moveBy, resolveIndex} from './selection.js';
import {holdSnapshots} from './session-stores.js';
import {
	$ui,
	$viewport,
	INITIAL_UI,
	DEFAULT_VIEWPORT,
	FLAG_SORT_MODES,
	LAYOUT_VARIANTS,
	PANEL_ORDER,
	SORT_MODES,
	type DetailTarget,
	type PanelId,
	type UiState,
	type Viewport,
} from './ui-state.js';

export * from './ui-state.js';
export {dismissNotice};

/** A filter is typed by hand; longer text is a paste accident. */
const FILTER_MAX = 64;

/** Jumps far enough to reach either end of any list. */
const FAR = Number.MAX_SAFE_INTEGER;

function update(change: (ui: UiState) => Partial<UiState>): void {
	const ui = $ui.get();
	$ui.set({...ui, ...change(ui)});
}

function cycle<T>(items: readonly T[], current: T, step: number): T {
	const at = items.indexOf(current);
	return items[(at + step + items.length) % items.length]!;
}

/** Focus the next panel (Tab order). */
export function focusNext(): void {
	update(ui => ({focus: cycle(PANEL_ORDER, ui.focus, 1), detail: undefined}));
}

/** Focus the previous panel. */
export function focusPrev(): void {
	update(ui => ({focus: cycle(PANEL_ORDER, ui.focus, -1), detail: undefined}));
}

/** Focus a panel by id. */
export function focusPanel(panel: PanelId): void {
	update(() => ({focus: panel, detail: undefined}));
}

/** Move the focused panel's selection by `delta` rows (or scroll the detail view when it is open). */
export function moveSelection(delta: number): void {
	const ui = $ui.get();
	if (ui.detail) {
		update(u => ({detailScroll: Math.max(0, Math.min(u.detailScroll + delta, FAR))}));
		return;
	}

	const panel = ui.focus;
	const next = moveBy(ui.selection[panel], listKeys(panel), delta, $viewport.get()[panel]);
	update(u => ({selection: {...u.selection, [panel]: next}}));
}

/** Select the first row. */
export function selectFirst(): void {
	if ($ui.get().detail) update(() => ({detailScroll: 0}));
	else moveSelection(-FAR);
}

/** Select the last row. */
export function selectLast(): void {
	moveSelection(FAR);
}

/** Move by one screenful of the focused panel. */
export function pageDown(): void {
	const ui = $ui.get();
	moveSelection(Math.max(1, $viewport.get()[ui.detail ? 'detail' : ui.focus] - 1));
}

/** Move back by one screenful. */
export function pageUp(): void {
	const ui = $ui.get();
	moveSelection(-Math.max(1, $viewport.get()[ui.detail ? 'detail' : ui.focus] - 1));
}

/** Replace the filter text (selection goes back to the top of the filtered list). */
export function setFilter(text: string): void {
	const filter = text.slice(0, FILTER_MAX);
	update(u => ({
		filter,
		selection: {...u.selection, destinations: {index: 0, offset: 0}, flags: {index: 0, offset: 0}, events: {index: 0, offset: 0}},
	}));
}

/** A marker's note is one line typed by hand: room for a sentence, bounded like a notice. */
export const NOTE_MAX = 120;

/** Printable text only: a pasted control sequence must not reach a filter or a note. */
function printable(text: string): string {
	return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}

/** Open the note prompt of an `m` marker (Enter adds the marker, Esc cancels). */
export function openNotePrompt(): void {
	update(() => ({note: '', help: false}));
}

/** Add typed text to the note being written. */
export function appendNote(text: string): void {
	const {note} = $ui.get();
	const add = printable(text);
	if (note === undefined || add === '') return;
	update(() => ({note: [...(note + add)].slice(0, NOTE_MAX).join('')}));
}

/** Delete the last character of the note. */
export function deleteNoteChar(): void {
	const {note} = $ui.get();
	if (note !== undefined) update(() => ({note: [...note].slice(0, -1).join('')}));
}

/** Close the note prompt; returns the note typed (trimmed), or undefined when none was open. */
export function closeNotePrompt(): string | undefined {
	const {note} = $ui.get();
	update(() => ({note: undefined}));
	return note?.trim();
}

/** Start typing a filter. */
export function startFilter(): void {
	update(u => ({filterEditing: true, filterBefore: u.filter, help: false}));
}

/** Add typed text to the filter being edited (printable characters only). */
export function appendFilter(text: string): void {
	const ui = $ui.get();
	const add = printable(text);
	if (!ui.filterEditing || add === '') return;
	setFilter(ui.filter + add);
}

/** Delete the last character of the filter being edited. */
export function deleteFilterChar(): void {
	const ui = $ui.get();
	if (ui.filterEditing) setFilter([...ui.filter].slice(0, -1).join(''));
}

/** Keep the typed filter and leave filter editing. */
export function commitFilter(): void {
	update(() => ({filterEditing: false}));
}

/** Leave filter editing, restoring the filter as it was. */
export function cancelFilter(): void {
	const before = $ui.get().filterBefore;
	setFilter(before);
	update(() => ({filterEditing: false}));
}

/** Next sort mode of the focused list: flags newest/severity; otherwise destinations bytes, recent, name, category. */
export function cycleSort(): void {
	update(u => (u.focus === 'flags' ? {flagSort: cycle(FLAG_SORT_MODES, u.flagSort, 1)} : {sort: cycle(SORT_MODES, u.sort, 1)}));
}

/** Next layout variant: auto, single, stack. */
export function cycleLayout(): void {
	update(u => ({layout: cycle(LAYOUT_VARIANTS, u.layout, 1)}));
}

/** Freeze or resume the visible data; capture and ingest go on underneath. */
export function togglePause(): void {
	const paused = !$ui.get().paused;
	update(() => ({paused}));
	holdSnapshots(paused);
}

/** The detail target for the focused panel's selected row, if any. */
function selectedTarget(ui: UiState): DetailTarget | undefined {
	const keys = listKeys(ui.focus);
	if (keys.length === 0) return undefined;
	const key = keys[resolveIndex(ui.selection[ui.focus], keys)]!;
	switch (ui.focus) {
		case 'destinations':
			return {kind: 'destination', key};
		case 'flags':
			return {kind: 'flag', key};
		case 'events':
			return {kind: 'event', key};
		case 'categories':
			return undefined;
	}
}

/**
 * Open the detail view of the selected row. On the categories panel, Enter narrows the
 * destinations to that category instead (a category has no evidence of its own).
 */
export function openDetail(): void {
	const ui = $ui.get();
	if (ui.focus === 'categories') {
		const keys = listKeys('categories');
		if (keys.length === 0) return;
		setFilter(keys[resolveIndex(ui.selection.categories, keys)]!);
		focusPanel('destinations');
		return;
	}

	const target = selectedTarget(ui);
	if (target) update(() => ({detail: target, detailScroll: 0, help: false}));
}

/** Close the detail view. */
function closeDetail(): void {
	update(() => ({detail: undefined, detailScroll: 0}));
}

/** Show or hide the help overlay. */
export function toggleHelp(): void {
	update(u => ({help: !u.help}));
}

/** Esc: close help, else the detail view, else clear the filter. */
export function goBack(): void {
	const ui = $ui.get();
	if (ui.help) update(() => ({help: false}));
	else if (ui.detail) closeDetail();
	else if (ui.filter !== '') setFilter('');
}

/** Row budgets from the layout (the root calls this when the terminal size or layout changes). */
export function setViewport(viewport: Viewport): void {
	$viewport.set(viewport);
}

/** Back to the initial UI state (tests). */
export function resetUi(): void {
	$ui.set(INITIAL_UI);
	$viewport.set(DEFAULT_VIEWPORT);
}
