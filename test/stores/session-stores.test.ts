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
import {$ui, resetUi, togglePause} from '../../source/stores/ui.js';
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
