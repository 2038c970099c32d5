/** `m`: a marker with a one-line note typed in the dashboard (issue 12, live-mode defect 14). */
import './env.js';
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {activeContexts} from '../../source/keys/dispatch.js';
import {clearControls, setControls} from '../../source/stores/controls.js';
import {applySnapshot, resetSession} from '../../source/stores/session-stores.js';
import {$ui, appendNote, NOTE_MAX, openNotePrompt, resetUi} from '../../source/stores/ui.js';
import {leakSession} from './fixtures.js';
import {KEYS, renderDashboard, type Rendered} from './render.js';

let view: Rendered | undefined;
const addMarker = vi.fn();

beforeEach(() => {
	resetSession();
	resetUi();
	addMarker.mockReset();
	setControls({addMarker, quit: vi.fn()});
	applySnapshot(leakSession());
});
afterEach(() => {
	view?.unmount();
	view = undefined;
	clearControls();
});

describe('m: a marker with a note', () => {
	it('m opens a prompt; typed keys are the note (q does not quit); Enter adds the marker with it', async () => {
		view = await renderDashboard(100, 30);
		await view.press('m');
		expect(activeContexts($ui.get())).toEqual(['note']);
		expect(view.lastFrame()).toContain('Note: ');
		await view.press('q', 'uit tab ', 'open');
		expect(view.lastFrame()).toContain('Note: quit tab open');
		expect(view.lastFrame()).toMatch(/Enter add marker/);
		await view.press(KEYS.backspace, KEYS.enter);
		expect(addMarker).toHaveBeenCalledExactlyOnceWith('quit tab ope');
		expect($ui.get().note).toBeUndefined();
		expect(view.lastFrame()).toContain('marker added: quit tab ope');
	});

	it('Esc cancels: no marker', async () => {
		view = await renderDashboard(100, 30);
		await view.press('m', 'abc', KEYS.escape);
		expect(addMarker).not.toHaveBeenCalled();
		expect($ui.get().note).toBeUndefined();
		expect(view.lastFrame()).toContain('marker cancelled');
	});

	it('Enter on an empty note still marks the moment', async () => {
		view = await renderDashboard(100, 30);
		await view.press('m', KEYS.enter);
		expect(addMarker).toHaveBeenCalledExactlyOnceWith('marker');
	});

	it('the note is one bounded line: control characters are dropped, the length is capped', async () => {
		view = await renderDashboard(100, 30);
		await view.press('m', ...Array.from({length: 6}, () => 'x'.repeat(30)), KEYS.enter);
		expect(addMarker).toHaveBeenCalledExactlyOnceWith('x'.repeat(NOTE_MAX));
		openNotePrompt();
		appendNote('a\u0007b\u009bc');
		expect($ui.get().note).toBe('abc');
	});

	it('where markers cannot be made, m says so instead of opening a prompt', async () => {
		clearControls();
		view = await renderDashboard(100, 30);
		await view.press('m');
		expect($ui.get().note).toBeUndefined();
		expect(view.lastFrame()).toContain('markers need a live session');
	});
});
