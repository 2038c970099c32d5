import {beforeEach, describe, expect, it} from 'vitest';
import {
	$destinations,
	$flags,
	$input,
	$stats,
	$timeline,
	applySnapshot,
	hasHeldSnapshot,
	resetSession,
} from '../../source/stores/session-stores.js';
import {$destinationsView} from '../../source/stores/destinations-view.js';
import {$ui, DEFAULT_VIEWPORT, moveSelection, resetUi, setViewport, togglePause} from '../../source/stores/ui.js';
import type {RateLookup} from '../../source/types.js';
import {destination, leakSession, snapshot} from '../ui/fixtures.js';

beforeEach(() => {
	resetSession();
	resetUi();
});

describe('applySnapshot', () => {
	it('writes every slice', () => {
		const s = leakSession();
		applySnapshot(s);
		expect($destinations.get()).toHaveLength(4);
		expect($flags.get()).toHaveLength(2);
		expect($stats.get().packets).toBe(100);
		expect($timeline.get()).toHaveLength(3);
	});

	it('notifies nobody when a fresh but equal snapshot arrives', () => {
		applySnapshot(leakSession());
		let calls = 0;
		const stops = [$destinations, $flags, $stats, $timeline].map(s => s.listen(() => calls++));
		const stopView = $destinationsView.listen(() => calls++);
		for (let i = 0; i < 100; i++) applySnapshot(leakSession());
		stops.forEach(stop => stop());
		stopView();
		expect(calls).toBe(0);
	});

	it('notifies each changed store once per snapshot, inside one batch', () => {
		applySnapshot(leakSession());
		const seen: string[] = [];
		const stopA = $destinations.listen(() => seen.push('destinations'));
		const stopB = $stats.listen(() => seen.push('stats'));
		const stopC = $flags.listen(() => seen.push('flags'));
		const next = leakSession();
		next.destinations[0]!.bytesOut += 1;
		next.stats.packets += 1;
		applySnapshot(next);
		stopA();
		stopB();
		stopC();
		expect(seen.sort()).toEqual(['destinations', 'stats']);
	});

	it('shows a change made in place to the input record (replay speed while held)', () => {
		const s = leakSession();
		s.input = {path: 'bundle', speed: 1, paused: true};
		applySnapshot(s);
		let calls = 0;
		const stop = $input.listen(() => calls++);
		s.input.speed = 4;
		applySnapshot(s);
		stop();
		expect(calls).toBe(1);
		expect($input.get()?.speed).toBe(4);
	});

	it('holds snapshots while paused and shows the newest on resume', () => {
		applySnapshot(snapshot({destinations: [destination('a.example')]}));
		togglePause();
		expect($ui.get().paused).toBe(true);
		applySnapshot(snapshot({destinations: [destination('b.example')]}));
		applySnapshot(snapshot({destinations: [destination('c.example')]}));
		expect($destinations.get().map(d => d.host)).toEqual(['a.example']);
		expect(hasHeldSnapshot()).toBe(true);
		togglePause();
		expect($destinations.get().map(d => d.host)).toEqual(['c.example']);
		expect(hasHeldSnapshot()).toBe(false);
	});
});

describe('sparklines: the look-up beside the snapshot', () => {
	/** A look-up as a flush hands one over: a series per host (its last number `last`), and the hosts asked. */
	function lookup(last: number): RateLookup & {asked: string[]} {
		const asked: string[] = [];
		const rates = (host: string) => {
			asked.push(host);
			return [1, 2, last];
		};
		return Object.assign(rates, {asked});
	}
	const many = () => snapshot({destinations: Array.from({length: 40}, (_, i) => destination(`h${String(i).padStart(2, '0')}.example`, {bytesOut: 1000 - i}))});

	it('only the visible rows ask for their series, and show it', () => {
		setViewport({...DEFAULT_VIEWPORT, destinations: 5});
		const rates = lookup(3);
		applySnapshot(many(), rates);
		const view = $destinationsView.get();
		expect(view.rows.map(r => r.rate)).toEqual(Array.from({length: 5}, () => [1, 2, 3]));
		expect(new Set(rates.asked)).toEqual(new Set(['h00.example', 'h01.example', 'h02.example', 'h03.example', 'h04.example']));
	});

	it('a new look-up each flush notifies the view only when a visible series changed', () => {
		setViewport({...DEFAULT_VIEWPORT, destinations: 5});
		applySnapshot(many(), lookup(3));
		let calls = 0;
		const stop = $destinationsView.listen(() => calls++);
		for (let i = 0; i < 10; i++) applySnapshot(many(), lookup(3));
		expect(calls).toBe(0);
		applySnapshot(many(), lookup(4));
		stop();
		expect(calls).toBe(1);
		expect($destinationsView.get().rows[0]!.rate).toEqual([1, 2, 4]);
	});

	it('paused, rows scrolled to later show the series of the frozen snapshot, not what the rings say by then', () => {
		setViewport({...DEFAULT_VIEWPORT, destinations: 5});
		// The rings move on under a look-up: it reads them when first asked for a host (then keeps the answer).
		let now = 3;
		const kept = new Map<string, readonly number[]>();
		const live: RateLookup = host => kept.get(host) ?? kept.set(host, [1, 2, now]).get(host)!;
		applySnapshot(many(), live);
		togglePause();
		now = 99;
		applySnapshot(many(), lookup(7));
		moveSelection(30);
		const view = $destinationsView.get();
		expect(view.rows[view.selected]!.key).toBe('h30.example');
		expect(view.rows.map(r => r.rate)).toEqual(Array.from({length: 5}, () => [1, 2, 3]));
		togglePause();
		expect($destinationsView.get().rows.map(r => r.rate)).toEqual(Array.from({length: 5}, () => [1, 2, 7]));
	});
});
