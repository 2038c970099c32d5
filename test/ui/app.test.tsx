import './env.js';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {displayWidth} from '../../source/lib/sanitize.js';
import {clearControls, setControls} from '../../source/stores/controls.js';
import {applySnapshot, resetSession} from '../../source/stores/session-stores.js';
import {$ui, resetUi} from '../../source/stores/ui.js';
import {buildDemoSnapshot, demoRates} from './demo-snapshot.js';
import {destination, flag, HOSTILE_HOST, LEAK_RATES, leakSession, snapshot} from './fixtures.js';
import {KEYS, renderDashboard, type Rendered} from './render.js';

let view: Rendered | undefined;

beforeEach(() => {
	resetSession();
	resetUi();
	clearControls();
});

afterEach(() => {
	view?.unmount();
	view = undefined;
});

/** Lines of a frame, and the widest one in terminal columns. */
const lines = (frame: string): string[] => frame.split('\n');
const widest = (frame: string): number => Math.max(...lines(frame).map(l => displayWidth(l)));

describe('dashboard', () => {
	it('shows status, destinations and flags at 80x24 within the frame', async () => {
		applySnapshot(leakSession());
		view = await renderDashboard(80, 24);
		const frame = view.lastFrame();
		expect(frame).toContain('Xiaomi Redmi Note 8 (abc123)');
		expect(frame).toContain('INCOGNITO');
		expect(frame).toContain('1 DESTINATIONS');
		expect(frame).toContain('sa.api.intl.miui.com');
		expect(frame).toContain('2 Flags');
		expect(frame).toContain('incog URL leak');
		expect(widest(frame)).toBeLessThanOrEqual(80);
		expect(lines(frame).length).toBeLessThanOrEqual(23);
	});

	it('finds the destination of a leaked URL and its evidence in two keys', async () => {
		applySnapshot(leakSession());
		view = await renderDashboard(80, 24);
		await view.press(KEYS.tab, KEYS.enter);
		const frame = view.lastFrame();
		expect(frame).toContain('HIGH incognito-url-leak');
		expect(frame).toContain('sa.api.intl.miui.com');
		expect(frame).toContain('#1412, #1413');
		expect(frame).toContain('line 2201');
		expect(frame).toContain('duckduckgo.com/?q=secret');
		expect(frame).toContain('payload: url field');
		await view.press(KEYS.escape);
		expect(view.lastFrame()).toContain('2 FLAGS');
	});

	it('moves the selection with j/k and arrows, and g/G', async () => {
		applySnapshot(leakSession());
		view = await renderDashboard(80, 24);
		const selectedLine = () => lines(view!.lastFrame()).find(l => l.startsWith('›'))!;
		expect(selectedLine()).toContain('www.google.com');
		await view.press('j');
		expect(selectedLine()).toContain('sa.api.intl.miui.com');
		await view.press(KEYS.down, KEYS.up, 'k');
		expect(selectedLine()).toContain('www.google.com');
		await view.press('G');
		expect(selectedLine()).toContain('mtalk.google.com');
		await view.press('g');
		expect(selectedLine()).toContain('www.google.com');
	});

	it('filters as you type and keeps the filter on Enter', async () => {
		applySnapshot(leakSession());
		view = await renderDashboard(80, 24);
		await view.press('/', 'g', 'o', 'o');
		expect(view.lastFrame()).toContain('Filter: goo');
		expect(view.lastFrame()).not.toContain('sa.api.intl.miui.com');
		await view.press(KEYS.enter);
		const frame = view.lastFrame();
		expect(frame).toContain('2/4');
		expect(frame).toContain('filter: goo');
		expect(frame).toContain('mtalk.google.com');
		await view.press(KEYS.escape);
		expect(view.lastFrame()).toContain('sa.api.intl.miui.com');
	});

	it('handles several keys arriving in one read', async () => {
		applySnapshot(leakSession());
		view = await renderDashboard(80, 24);
		await view.press('2j\r');
		expect(view.lastFrame()).toContain('MEDIUM incognito-tracker');
		await view.press('\u001b/goo\r');
		expect($ui.get()).toMatchObject({filter: 'goo', filterEditing: false});
	});

	it('cycles the sort with s', async () => {
		applySnapshot(leakSession());
		view = await renderDashboard(80, 24);
		expect(view.lastFrame()).toContain('sort: bytes');
		await view.press('s');
		expect(view.lastFrame()).toContain('sort: recent');
		expect(lines(view.lastFrame()).find(l => l.startsWith('›'))).toContain('mtalk.google.com');
	});

	it('jumps to panels with 1-4 and shows the focused one', async () => {
		applySnapshot(leakSession());
		view = await renderDashboard(80, 24);
		await view.press('4');
		expect(view.lastFrame()).toContain('4 EVENTS');
		expect(view.lastFrame()).toContain('SensorsAnalytics');
		await view.press('3');
		expect(view.lastFrame()).toContain('3 CATEGORIES');
		await view.press(KEYS.shiftTab);
		expect(view.lastFrame()).toContain('2 FLAGS');
	});

	it('pauses the view while data keeps coming', async () => {
		applySnapshot(leakSession());
		view = await renderDashboard(80, 24);
		await view.press(' ');
		expect(view.lastFrame()).toContain('PAUSED');
		applySnapshot(snapshot({destinations: [destination('late.example')]}));
		await view.press();
		expect(view.lastFrame()).not.toContain('late.example');
		await view.press(' ');
		expect(view.lastFrame()).toContain('late.example');
		expect(view.lastFrame()).not.toContain('PAUSED');
	});

	it('opens help from the keymap and closes it with Esc', async () => {
		view = await renderDashboard(100, 30);
		await view.press('?');
		const frame = view.lastFrame();
		expect(frame).toContain('KEYS');
		expect(frame).toContain('export report');
		expect(frame).toContain('incognito marker');
		await view.press(KEYS.escape);
		expect(view.lastFrame()).not.toContain('export report');
	});

	it('quits through the registered control on q and Ctrl-C', async () => {
		let quits = 0;
		setControls({quit: () => quits++});
		view = await renderDashboard(80, 24);
		await view.press('q', KEYS.ctrlC);
		expect(quits).toBe(2);
	});

	it('never draws a line wider than the terminal', async () => {
		applySnapshot(buildDemoSnapshot(20), demoRates(20));
		for (const [c, r] of [[40, 10], [52, 16], [60, 20], [79, 24], [80, 24], [100, 40], [120, 40], [150, 45]] as const) {
			view = await renderDashboard(c, r);
			expect(widest(view.lastFrame()), `${c}x${r}`).toBeLessThanOrEqual(c);
			expect(lines(view.lastFrame()).length, `${c}x${r}`).toBeLessThanOrEqual(r - 1);
			await view.press(KEYS.tab, KEYS.enter);
			expect(widest(view.lastFrame()), `${c}x${r} detail`).toBeLessThanOrEqual(c);
			view.unmount();
			view = undefined;
			resetUi();
		}
	});

	it('never lets a hostile host name reach the terminal raw', async () => {
		applySnapshot(
			snapshot({
				destinations: [destination(HOSTILE_HOST, {flags: 1})],
				flags: [flag(HOSTILE_HOST, {summary: `leak to ${HOSTILE_HOST}`})],
				timeline: [{ts: 0, kind: 'dns', text: HOSTILE_HOST, source: 'net'}],
			}),
		);
		view = await renderDashboard(100, 40);
		await view.press('4');
		let frame = view.lastFrame();
		expect(frame).toContain('evil.example.com');
		await view.press('2', KEYS.enter);
		frame += view.frames.join('');
		expect(frame).not.toContain('\u001b');
		expect(frame).not.toContain('\u0007');
		expect(frame).not.toContain('pwned');
	});

	it('draws nothing when 100 unchanged snapshots arrive, and one frame for a change', async () => {
		applySnapshot(leakSession());
		view = await renderDashboard(100, 40);
		await view.press();
		const before = view.frames.length;
		for (let i = 0; i < 100; i++) applySnapshot(leakSession());
		await view.press();
		expect(view.frames.length - before).toBe(0);
		const changed = leakSession();
		changed.stats.packets += 1;
		changed.destinations[0]!.bytesOut += 1;
		changed.flags.push(flag('new.example', {ts: changed.flags[1]!.ts + 1}));
		applySnapshot(changed);
		await view.press();
		expect(view.frames.length - before).toBe(1);
	});

	it('keeps the layout after a resize and adds panels when there is room', async () => {
		applySnapshot(leakSession());
		view = await renderDashboard(80, 24);
		expect(view.lastFrame()).not.toContain('Categories');
		await view.resize(120, 40);
		expect(view.lastFrame()).toContain('3 Categories');
		expect(view.lastFrame()).toContain('4 Events');
		expect(widest(view.lastFrame())).toBeLessThanOrEqual(120);
	});

	it('uses only ASCII in --ascii mode', async () => {
		applySnapshot(leakSession());
		view = await renderDashboard(120, 40, {ascii: true});
		await view.press(KEYS.tab);
		expect(view.lastFrame()).toMatch(/^[\u0020-\u007e\n]*$/);
	});

	it('shows a notice until the next key', async () => {
		view = await renderDashboard(80, 24);
		await view.press('e');
		expect(view.lastFrame()).toContain('report export is not wired');
		await view.press('j');
		expect(view.lastFrame()).not.toContain('report export is not wired');
		expect($ui.get().notice).toBeUndefined();
	});

	it('matches the 80x24 and 100x40 screens', async () => {
		applySnapshot(leakSession(), LEAK_RATES);
		view = await renderDashboard(80, 24);
		expect(view.lastFrame()).toMatchSnapshot('80x24');
		view.unmount();
		view = await renderDashboard(100, 40);
		expect(view.lastFrame()).toMatchSnapshot('100x40');
	});
});
