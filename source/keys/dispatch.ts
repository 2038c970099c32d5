/**
 * From a key name to an action: the active contexts are derived from the UI state, the first
 * context with a binding wins, and typing in the filter falls through to the filter text.
 */
import {$ui, appendFilter, appendNote, dismissNotice, type UiState} from '../stores/ui.js';
import {ACTIONS, type ActionId} from './actions.js';
import {KEYMAP, type Binding, type KeyContext} from './keymap.js';

/** Contexts in lookup order for a UI state. */
export function activeContexts(ui: UiState): KeyContext[] {
	if (ui.note !== undefined) return ['note'];
	if (ui.filterEditing) return ['filter'];
	if (ui.help) return ['help', 'global'];
	if (ui.detail) return ['detail', 'global'];
	return ['list', 'global'];
}

/** The binding a key resolves to in these contexts. */
export function resolveBinding(key: string, contexts: readonly KeyContext[]): Binding | undefined {
	for (const context of contexts) {
		const hit = KEYMAP.find(b => b.context === context && b.key === key);
		if (hit) return hit;
	}

	return undefined;
}

/** Handle one key press: returns the action run, if any. `input` is the raw text (for typing a filter). */
export function dispatchKey(key: string | undefined, input: string): ActionId | undefined {
	dismissNotice();
	const ui = $ui.get();
	const binding = key === undefined ? undefined : resolveBinding(key, activeContexts(ui));
	if (binding) {
		ACTIONS[binding.action]();
		return binding.action;
	}

	// A paste arrives as one multi-character input; it is typed text too.
	if (ui.note !== undefined && input) appendNote(input);
	else if (ui.filterEditing && input) appendFilter(input);
	return undefined;
}
