/**
 * The keymap as data: which key does what, where, and the help text shown for it. The help
 * bar and the ? overlay are rendered from this table; nothing else binds keys.
 *
 * Contexts are tried in order: the innermost first (filter, help, detail or list), then global.
 */
import type {ActionId} from './actions.js';

/** filter: typing a filter; note: typing a marker's note; help: overlay open; detail: detail view open; list: a panel has focus. */
export type KeyContext = 'global' | 'list' | 'detail' | 'help' | 'filter' | 'note';

export type Binding = {
	/** Key name as produced by keyName(): "q", "ctrl+c", "tab", "shift+tab", "up", "return", "space"... */
	readonly key: string;
	readonly action: ActionId;
	readonly context: KeyContext;
	readonly help: string;
	/** Shown in the one-line help bar (the rest only in the ? overlay). */
	readonly bar?: boolean;
	/** Shorter help text for the bar; bar bindings with the same text share one entry ("↑/↓ move"). */
	readonly short?: string;
	/** Shown only when replaying. */
	readonly replayOnly?: boolean;
};

export const KEYMAP: readonly Binding[] = [
	{key: 'q', action: 'app.quit', context: 'global', help: 'quit', bar: true},
	{key: 'ctrl+c', action: 'app.quit', context: 'global', help: 'quit'},
	{key: '?', action: 'help.toggle', context: 'global', help: 'help', bar: true},
	{key: 'tab', action: 'panel.next', context: 'global', help: 'next panel', bar: true, short: 'panel'},
	{key: 'shift+tab', action: 'panel.prev', context: 'global', help: 'previous panel'},
	{key: '1', action: 'panel.destinations', context: 'global', help: 'destinations'},
	{key: '2', action: 'panel.flags', context: 'global', help: 'flags'},
	{key: '3', action: 'panel.categories', context: 'global', help: 'categories'},
	{key: '4', action: 'panel.events', context: 'global', help: 'events'},
	{key: 'space', action: 'view.pause', context: 'global', help: 'pause view'},
	{key: 'escape', action: 'view.back', context: 'global', help: 'back, unfilter'},
	{key: '|', action: 'view.layout', context: 'global', help: 'cycle layout'},
	{key: '/', action: 'filter.start', context: 'global', help: 'filter', bar: true},
	{key: 's', action: 'list.sort', context: 'global', help: 'cycle sort', bar: true, short: 'sort'},
	{key: 'i', action: 'marker.incognito', context: 'global', help: 'incognito marker'},
	{key: 'm', action: 'marker.note', context: 'global', help: 'note marker'},
	{key: 'e', action: 'report.export', context: 'global', help: 'export report'},
	{key: '+', action: 'replay.faster', context: 'global', help: 'replay faster', replayOnly: true},
	{key: '-', action: 'replay.slower', context: 'global', help: 'replay slower', replayOnly: true},
	{key: '.', action: 'replay.step', context: 'global', help: 'replay step', replayOnly: true},
	{key: 'p', action: 'replay.playPause', context: 'global', help: 'pause replay', replayOnly: true},

	{key: 'up', action: 'list.up', context: 'list', help: 'move up', bar: true, short: 'move'},
	{key: 'k', action: 'list.up', context: 'list', help: 'move up'},
	{key: 'down', action: 'list.down', context: 'list', help: 'move down', bar: true, short: 'move'},
	{key: 'j', action: 'list.down', context: 'list', help: 'move down'},
	{key: 'pageup', action: 'list.pageUp', context: 'list', help: 'page up'},
	{key: 'pagedown', action: 'list.pageDown', context: 'list', help: 'page down'},
	{key: 'g', action: 'list.top', context: 'list', help: 'top'},
	{key: 'home', action: 'list.top', context: 'list', help: 'top'},
	{key: 'G', action: 'list.bottom', context: 'list', help: 'bottom'},
	{key: 'end', action: 'list.bottom', context: 'list', help: 'bottom'},
	{key: 'return', action: 'list.open', context: 'list', help: 'details', bar: true},

	{key: 'up', action: 'list.up', context: 'detail', help: 'scroll up', bar: true, short: 'scroll'},
	{key: 'k', action: 'list.up', context: 'detail', help: 'scroll up'},
	{key: 'down', action: 'list.down', context: 'detail', help: 'scroll down', bar: true, short: 'scroll'},
	{key: 'j', action: 'list.down', context: 'detail', help: 'scroll down'},
	{key: 'pageup', action: 'list.pageUp', context: 'detail', help: 'page up'},
	{key: 'pagedown', action: 'list.pageDown', context: 'detail', help: 'page down'},
	{key: 'g', action: 'list.top', context: 'detail', help: 'top'},
	{key: 'escape', action: 'view.back', context: 'detail', help: 'back', bar: true},

	{key: 'escape', action: 'view.back', context: 'help', help: 'close help', bar: true},

	{key: 'return', action: 'filter.commit', context: 'filter', help: 'keep filter', bar: true},
	{key: 'escape', action: 'filter.cancel', context: 'filter', help: 'cancel', bar: true},
	{key: 'backspace', action: 'filter.backspace', context: 'filter', help: 'delete', bar: true},
	{key: 'ctrl+c', action: 'app.quit', context: 'filter', help: 'quit'},

	{key: 'return', action: 'note.commit', context: 'note', help: 'add the marker', bar: true, short: 'add marker'},
	{key: 'escape', action: 'note.cancel', context: 'note', help: 'cancel', bar: true},
	{key: 'backspace', action: 'note.backspace', context: 'note', help: 'delete', bar: true},
	{key: 'ctrl+c', action: 'app.quit', context: 'note', help: 'quit'},
];

/** Readable key labels for help text; `ascii` avoids arrows and the return symbol. */
export function keyLabel(key: string, ascii = false): string {
	switch (key) {
		case 'up':
			return ascii ? 'Up' : '↑';
		case 'down':
			return ascii ? 'Down' : '↓';
		case 'return':
			return 'Enter';
		case 'escape':
			return 'Esc';
		case 'tab':
			return 'Tab';
		case 'shift+tab':
			return 'S-Tab';
		case 'space':
			return 'Space';
		case 'ctrl+c':
			return 'C-c';
		case 'pageup':
			return 'PgUp';
		case 'pagedown':
			return 'PgDn';
		case 'home':
			return 'Home';
		case 'end':
			return 'End';
		case 'backspace':
			return 'Bksp';
		default:
			return key;
	}
}

/**
 * Bindings of a context for help text, in table order. The overlay groups them by action with
 * every key ("↑/k move up"); the bar (`barOnly`) shows only bar keys, grouped by their short text.
 */
export function helpEntries(
	context: KeyContext,
	options: {ascii?: boolean; replay?: boolean; barOnly?: boolean} = {},
): Array<{keys: string; help: string; action: ActionId}> {
	const groups = new Map<string, {keys: string[]; help: string; action: ActionId}>();
	for (const b of KEYMAP) {
		if (b.context !== context || (b.replayOnly && !options.replay)) continue;
		if (options.barOnly && !b.bar) continue;
		const help = options.barOnly ? (b.short ?? b.help) : b.help;
		const id = options.barOnly ? help : b.action;
		const g = groups.get(id);
		const label = keyLabel(b.key, options.ascii);
		if (g) g.keys.push(label);
		else groups.set(id, {keys: [label], help, action: b.action});
	}

	return [...groups.values()].map(g => ({action: g.action, keys: g.keys.join('/'), help: g.help}));
}
