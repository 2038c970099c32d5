/**
 * Every action a key can trigger, by id. Ids are namespaced by what they act on; the keymap
 * refers to these ids only, so a test can check that every binding names a real action.
 */
import {
	addNoteMarker,
	cancelNote,
	startNote,
	exportReport,
	requestQuit,
	slowDown,
	speedUp,
	stepReplay,
	toggleIncognitoMarker,
	togglePlayback,
} from '../stores/controls.js';
import {
	cancelFilter,
	commitFilter,
	cycleLayout,
	cycleSort,
	deleteFilterChar,
	deleteNoteChar,
	focusNext,
	focusPanel,
	focusPrev,
	goBack,
	moveSelection,
	openDetail,
	pageDown,
	pageUp,
	selectFirst,
	selectLast,
	startFilter,
	toggleHelp,
	togglePause,
} from '../stores/ui.js';

export const ACTIONS = {
	'app.quit': requestQuit,
	'help.toggle': toggleHelp,
	'panel.next': focusNext,
	'panel.prev': focusPrev,
	'panel.destinations': () => focusPanel('destinations'),
	'panel.flags': () => focusPanel('flags'),
	'panel.categories': () => focusPanel('categories'),
	'panel.events': () => focusPanel('events'),
	'view.pause': togglePause,
	'view.back': goBack,
	'view.layout': cycleLayout,
	'list.up': () => moveSelection(-1),
	'list.down': () => moveSelection(1),
	'list.pageUp': pageUp,
	'list.pageDown': pageDown,
	'list.top': selectFirst,
	'list.bottom': selectLast,
	'list.open': openDetail,
	'list.sort': cycleSort,
	'filter.start': startFilter,
	'filter.commit': commitFilter,
	'filter.cancel': cancelFilter,
	'filter.backspace': deleteFilterChar,
	'marker.incognito': toggleIncognitoMarker,
	'marker.note': startNote,
	'note.commit': addNoteMarker,
	'note.cancel': cancelNote,
	'note.backspace': deleteNoteChar,
	'replay.faster': speedUp,
	'replay.slower': slowDown,
	'replay.step': stepReplay,
	'replay.playPause': togglePlayback,
	'report.export': exportReport,
} as const satisfies Record<string, () => void>;

export type ActionId = keyof typeof ACTIONS;

/** True when `id` names an action (for checking tables that come from outside the type system). */
export function isAction(id: string): id is ActionId {
	return Object.hasOwn(ACTIONS, id);
}
