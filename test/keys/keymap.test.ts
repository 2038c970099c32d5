import {beforeEach, describe, expect, it} from 'vitest';
import type {Key} from 'ink';
import {ACTIONS, isAction} from '../../source/keys/actions.js';
import {activeContexts, dispatchKey, resolveBinding} from '../../source/keys/dispatch.js';
import {keyName, keyPresses} from '../../source/keys/key-name.js';
import {helpEntries, KEYMAP, keyLabel} from '../../source/keys/keymap.js';
import {applySnapshot, resetSession} from '../../source/stores/session-stores.js';
import {$ui, INITIAL_UI, resetUi} from '../../source/stores/ui.js';
import {leakSession} from '../ui/fixtures.js';

const NO_KEY: Key = {
	upArrow: false,
	downArrow: false,
	leftArrow: false,
	rightArrow: false,
	pageDown: false,
	pageUp: false,
	home: false,
	end: false,
	return: false,
	escape: false,
	ctrl: false,
	shift: false,
	tab: false,
	backspace: false,
	delete: false,
	meta: false,
	super: false,
	hyper: false,
	capsLock: false,
	numLock: false,
};

describe('keymap table', () => {
	it('every binding names an existing action', () => {
		const missing = KEYMAP.filter(b => !isAction(b.action) || typeof ACTIONS[b.action] !== 'function');
		expect(missing).toEqual([]);
	});

	it('no key repeats within a context', () => {
		const seen = new Set<string>();
		const repeats: string[] = [];
		for (const b of KEYMAP) {
			const id = `${b.context}:${b.key}`;
			if (seen.has(id)) repeats.push(id);
			seen.add(id);
		}

		expect(repeats).toEqual([]);
	});

	it('has the default keys of STYLE.md', () => {
		const global = (key: string) => resolveBinding(key, ['list', 'global'])?.action;
		expect(global('q')).toBe('app.quit');
		expect(global('ctrl+c')).toBe('app.quit');
		expect(global('?')).toBe('help.toggle');
		expect(global('tab')).toBe('panel.next');
		expect(global('shift+tab')).toBe('panel.prev');
		expect(['1', '2', '3', '4'].map(k => global(k))).toEqual(['panel.destinations', 'panel.flags', 'panel.categories', 'panel.events']);
		expect(global('space')).toBe('view.pause');
		expect(['up', 'k', 'down', 'j', 'g', 'G'].map(k => global(k))).toEqual(['list.up', 'list.up', 'list.down', 'list.down', 'list.top', 'list.bottom']);
		expect(global('return')).toBe('list.open');
		expect(global('escape')).toBe('view.back');
		expect(global('/')).toBe('filter.start');
		expect(global('s')).toBe('list.sort');
		expect(global('|')).toBe('view.layout');
		expect(global('i')).toBe('marker.incognito');
		expect(global('m')).toBe('marker.note');
		expect(['+', '-', '.'].map(k => global(k))).toEqual(['replay.faster', 'replay.slower', 'replay.step']);
		expect(global('e')).toBe('report.export');
	});

	it('every action is reachable from some key', () => {
		const bound = new Set(KEYMAP.map(b => b.action));
		expect(Object.keys(ACTIONS).filter(a => !bound.has(a as keyof typeof ACTIONS))).toEqual([]);
	});

	it('builds help text from the table', () => {
		const list = helpEntries('list');
		expect(list.find(e => e.action === 'list.up')).toEqual({action: 'list.up', keys: '↑/k', help: 'move up'});
		const bar = helpEntries('list', {barOnly: true, ascii: true});
		expect(bar[0]).toMatchObject({keys: 'Up/Down', help: 'move'});
		expect(helpEntries('global').some(e => e.action === 'replay.step')).toBe(false);
		expect(helpEntries('global', {replay: true}).some(e => e.action === 'replay.step')).toBe(true);
		expect(keyLabel('return')).toBe('Enter');
	});
});

describe('keyName', () => {
	it('names Ink key presses', () => {
		expect(keyName('c', {...NO_KEY, ctrl: true})).toBe('ctrl+c');
		expect(keyName('', {...NO_KEY, tab: true})).toBe('tab');
		expect(keyName('', {...NO_KEY, tab: true, shift: true})).toBe('shift+tab');
		expect(keyName('', {...NO_KEY, escape: true, meta: true})).toBe('escape');
		expect(keyName('', {...NO_KEY, delete: true})).toBe('backspace');
		expect(keyName(' ', NO_KEY)).toBe('space');
		expect(keyName('G', {...NO_KEY, shift: true})).toBe('G');
		expect(keyName('', {...NO_KEY, upArrow: true})).toBe('up');
		expect(keyName('', {...NO_KEY, return: true})).toBe('return');
		expect(keyName('abc', NO_KEY)).toBeUndefined();
	});

	it('splits a burst of typed keys', () => {
		expect(keyPresses('jj\r', NO_KEY)).toEqual([['j', 'j'], ['j', 'j'], ['return', '\r']]);
		expect(keyPresses('a b\u007f', NO_KEY).map(([n]) => n)).toEqual(['a', 'space', 'b', 'backspace']);
		expect(keyPresses('x'.repeat(500), NO_KEY)).toHaveLength(64);
		expect(keyPresses('', {...NO_KEY, upArrow: true})).toEqual([['up', '']]);
	});
});

describe('dispatch', () => {
	beforeEach(() => {
		resetSession();
		resetUi();
		applySnapshot(leakSession());
	});

	it('picks contexts from the UI state', () => {
		expect(activeContexts(INITIAL_UI)).toEqual(['list', 'global']);
		expect(activeContexts({...INITIAL_UI, filterEditing: true})).toEqual(['filter']);
		expect(activeContexts({...INITIAL_UI, help: true})).toEqual(['help', 'global']);
		expect(activeContexts({...INITIAL_UI, detail: {kind: 'flag', key: 'x'}})).toEqual(['detail', 'global']);
	});

	it('types into the filter instead of running bound keys', () => {
		dispatchKey('/', '/');
		dispatchKey('q', 'q');
		dispatchKey('space', ' ');
		dispatchKey('s', 's');
		expect($ui.get()).toMatchObject({filter: 'q s', filterEditing: true});
		dispatchKey('backspace', '');
		dispatchKey('return', '');
		expect($ui.get()).toMatchObject({filter: 'q ', filterEditing: false});
	});

	it('runs list keys and clears the notice', () => {
		$ui.set({...$ui.get(), notice: {text: 'hello', tone: 'info'}});
		expect(dispatchKey('j', 'j')).toBe('list.down');
		expect($ui.get().notice).toBeUndefined();
		expect($ui.get().selection.destinations.index).toBe(1);
	});
});
