/** The `/` filter: one rule for every panel (issue 12, live-mode defect 6). */
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {rowMatches, flagFacts, destinationFacts, eventFacts, filterNeedle} from '../../source/stores/filter.js';
import {$categoryList, $destinationList, $eventList, $flagList} from '../../source/stores/lists.js';
import {applySnapshot, resetSession} from '../../source/stores/session-stores.js';
import {resetUi, setFilter} from '../../source/stores/ui.js';
import {destination, event, flag, leakSession} from '../ui/fixtures.js';

beforeEach(() => {
	resetSession();
	resetUi();
	applySnapshot(leakSession());
});
afterEach(() => resetUi());

describe('the filter rule', () => {
	it('a flag matches the owner of its host, as its destination does', () => {
		const d = destination('sa.api.intl.miui.com', {owner: 'Xiaomi'});
		const f = flag('sa.api.intl.miui.com', {summary: 'upload'});
		expect(rowMatches('xiaomi', destinationFacts(d))).toBe(true);
		expect(rowMatches('xiaomi', flagFacts(f, d))).toBe(true);
		expect(rowMatches('google', flagFacts(f, d))).toBe(false);
	});

	it('is case-insensitive and ignores surrounding spaces', () => {
		expect(filterNeedle('  GooGle ')).toBe('google');
		expect(rowMatches(filterNeedle('START'), eventFacts(event('START com.mi.globalbrowser')))).toBe(true);
	});

	it('an empty filter matches everything', () => {
		expect(rowMatches('', {})).toBe(true);
	});
});

describe('every panel applies it', () => {
	it('"xiaomi": the Xiaomi destinations, the flags against them, their categories', () => {
		setFilter('Xiaomi');
		expect($destinationList.get().map(d => d.host).sort()).toEqual(['sa.api.intl.miui.com', 'tracking.intl.miui.com']);
		// Neither flag's own text says "Xiaomi" except one summary: both must match through the owner.
		expect($flagList.get().map(f => f.host).sort()).toEqual(['sa.api.intl.miui.com', 'tracking.intl.miui.com']);
		expect($categoryList.get().map(c => c.category).sort()).toEqual(['analytics', 'browsing-data']);
	});

	it('"google": no flag (none is against Google), Google categories only', () => {
		setFilter('google');
		expect($flagList.get()).toEqual([]);
		expect($categoryList.get().map(c => c.category).sort()).toEqual(['content', 'push']);
		expect($eventList.get()).toEqual([]);
	});

	it('clearing the filter brings every category back', () => {
		setFilter('google');
		setFilter('');
		expect($categoryList.get()).toHaveLength(4);
	});
});
