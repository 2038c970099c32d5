import {beforeEach, describe, expect, it} from 'vitest';
import {applySnapshot, resetSession} from '../../source/stores/session-stores.js';
import {$destinationsView} from '../../source/stores/destinations-view.js';
import {$flagsView} from '../../source/stores/flags-view.js';
import {$destinationList, $flagList} from '../../source/stores/lists.js';
import {
	$ui,
	appendFilter,
	cancelFilter,
	commitFilter,
	cycleSort,
	deleteFilterChar,
	focusNext,
	focusPrev,
	goBack,
	moveSelection,
	openDetail,
	resetUi,
	selectLast,
	setFilter,
	setViewport,
	startFilter,
	toggleHelp,
	DEFAULT_VIEWPORT,
} from '../../source/stores/ui.js';
import {moveBy, resolveIndex, windowStart} from '../../source/stores/selection.js';
import {destination, leakSession, snapshot, T0} from '../ui/fixtures.js';

beforeEach(() => {
	resetSession();
	resetUi();
	applySnapshot(leakSession());
});

const hosts = () => $destinationList.get().map(d => d.host);

describe('focus', () => {
	it('cycles through the panels both ways', () => {
		expect($ui.get().focus).toBe('destinations');
		focusNext();
		expect($ui.get().focus).toBe('flags');
		focusPrev();
		focusPrev();
		expect($ui.get().focus).toBe('events');
	});
});

describe('sorting and filtering', () => {
	it('sorts destinations by bytes out, recency, name, category', () => {
		expect(hosts()).toEqual(['www.google.com', 'sa.api.intl.miui.com', 'tracking.intl.miui.com', 'mtalk.google.com']);
		cycleSort();
		expect($ui.get().sort).toBe('recent');
		expect(hosts()[0]).toBe('mtalk.google.com');
		cycleSort();
		expect(hosts()).toEqual(['mtalk.google.com', 'sa.api.intl.miui.com', 'tracking.intl.miui.com', 'www.google.com']);
		cycleSort();
		expect($destinationList.get().map(d => d.category)).toEqual(['analytics', 'browsing-data', 'content', 'push']);
		cycleSort();
		expect($ui.get().sort).toBe('bytes');
	});

	it('sorts flags most severe first, or newest first when the flags panel has focus and s is pressed', () => {
		applySnapshot(
			snapshot({
				flags: [
					{...leakSession().flags[1]!, ts: T0 + 1, severity: 'high'},
					{...leakSession().flags[0]!, ts: T0 + 5, severity: 'low'},
				],
			}),
		);
		expect($flagList.get().map(f => f.severity)).toEqual(['high', 'low']);
		focusNext();
		cycleSort();
		expect($ui.get().flagSort).toBe('newest');
		expect($flagList.get().map(f => f.severity)).toEqual(['low', 'high']);
		expect($ui.get().sort).toBe('bytes');
	});

	it('filters over host, owner, app and category', () => {
		setFilter('GOOGLE');
		expect(hosts()).toEqual(['www.google.com', 'mtalk.google.com']);
		setFilter('browsing-data');
		expect(hosts()).toEqual(['sa.api.intl.miui.com']);
		setFilter('com.google.android.gms');
		expect(hosts()).toEqual(['mtalk.google.com']);
		setFilter('xiaomi');
		expect(hosts()).toEqual(['sa.api.intl.miui.com', 'tracking.intl.miui.com']);
		// One rule for every panel (filter.ts): both flags are against Xiaomi's hosts.
		expect($flagList.get()).toHaveLength(2);
	});

	it('edits the filter as typed, and Esc restores the previous one', () => {
		setFilter('google');
		startFilter();
		deleteFilterChar();
		appendFilter('\u001b[2J');
		expect($ui.get().filter).toBe('googl[2J');
		cancelFilter();
		expect($ui.get()).toMatchObject({filter: 'google', filterEditing: false});
		startFilter();
		appendFilter('x');
		commitFilter();
		expect($ui.get()).toMatchObject({filter: 'googlex', filterEditing: false});
	});
});

describe('selection', () => {
	it('moves and clamps', () => {
		moveSelection(1);
		expect($destinationsView.get().rows[$destinationsView.get().selected]!.key).toBe('sa.api.intl.miui.com');
		moveSelection(-10);
		expect($destinationsView.get().selected).toBe(0);
		selectLast();
		expect($destinationsView.get().rows[$destinationsView.get().selected]!.key).toBe('mtalk.google.com');
	});

	it('follows the selected host when the order changes', () => {
		moveSelection(2);
		expect($ui.get().selection.destinations.key).toBe('tracking.intl.miui.com');
		const s = leakSession();
		s.destinations.find(d => d.host === 'tracking.intl.miui.com')!.bytesOut = 1_000_000;
		applySnapshot(s);
		const view = $destinationsView.get();
		expect(view.rows[view.selected]!.key).toBe('tracking.intl.miui.com');
		expect(view.selected).toBe(0);
	});

	it('scrolls the window to keep the selection visible within the row budget', () => {
		const many = Array.from({length: 30}, (_, i) => destination(`h${String(i).padStart(2, '0')}.example`, {bytesOut: 1000 - i}));
		applySnapshot(snapshot({destinations: many}));
		setViewport({...DEFAULT_VIEWPORT, destinations: 5});
		expect($destinationsView.get().rows).toHaveLength(5);
		moveSelection(7);
		const view = $destinationsView.get();
		expect(view.rows).toHaveLength(5);
		expect(view.start).toBe(3);
		expect(view.rows[view.selected]!.key).toBe('h07.example');
	});

	it('has pure helpers that stay in range', () => {
		expect(resolveIndex({key: 'b', index: 0, offset: 0}, ['a', 'b'])).toBe(1);
		expect(resolveIndex({key: 'gone', index: 9, offset: 0}, ['a', 'b'])).toBe(1);
		expect(windowStart(0, 10, 5, 30)).toBe(6);
		expect(windowStart(6, 2, 5, 30)).toBe(2);
		expect(windowStart(50, 29, 5, 30)).toBe(25);
		expect(moveBy({index: 0, offset: 0}, [], 3, 5)).toEqual({index: 0, offset: 0});
	});
});

describe('detail, help and back', () => {
	it('opens the selected flag and closes with back', () => {
		focusNext();
		openDetail();
		const detail = $ui.get().detail;
		expect(detail?.kind).toBe('flag');
		expect(detail?.key).toContain('sa.api.intl.miui.com');
		expect($flagsView.get().focused).toBe(false);
		goBack();
		expect($ui.get().detail).toBeUndefined();
	});

	it('Enter on a category narrows destinations to it', () => {
		focusNext();
		focusNext();
		openDetail();
		expect($ui.get().focus).toBe('destinations');
		expect($ui.get().filter).toBe('content');
		goBack();
		expect($ui.get().filter).toBe('');
	});

	it('back closes help before anything else', () => {
		focusNext();
		openDetail();
		toggleHelp();
		goBack();
		expect($ui.get().help).toBe(false);
		expect($ui.get().detail).toBeDefined();
	});
});
