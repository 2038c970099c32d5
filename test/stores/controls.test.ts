import {beforeEach, describe, expect, it, vi} from 'vitest';
import {
	addNoteMarker,
	clearControls,
	exportReport,
	requestQuit,
	setControls,
	slowDown,
	speedUp,
	stepReplay,
	toggleIncognitoMarker,
	startNote,
	togglePlayback,
} from '../../source/stores/controls.js';
import {$ui, resetUi} from '../../source/stores/ui.js';
import {tick} from '../ui/tick.js';

beforeEach(() => {
	clearControls();
	resetUi();
});

describe('controls', () => {
	it('calls the registered handlers', () => {
		const c = {quit: vi.fn(), toggleIncognito: vi.fn(), addMarker: vi.fn(), changeSpeed: vi.fn(), step: vi.fn(), togglePlayback: vi.fn()};
		setControls(c);
		requestQuit();
		toggleIncognitoMarker();
		startNote();
		addNoteMarker();
		speedUp();
		slowDown();
		stepReplay();
		togglePlayback();
		expect(c.quit).toHaveBeenCalledOnce();
		expect(c.toggleIncognito).toHaveBeenCalledOnce();
		expect(c.addMarker).toHaveBeenCalledOnce();
		expect(c.changeSpeed.mock.calls).toEqual([[2], [0.5]]);
		expect(c.step).toHaveBeenCalledOnce();
		expect(c.togglePlayback).toHaveBeenCalledOnce();
	});

	it('turns a missing handler or a throw into a notice', () => {
		stepReplay();
		expect($ui.get().notice).toMatchObject({tone: 'warn'});
		setControls({addMarker: () => {
			throw new Error('disk full');
		}});
		startNote();
		addNoteMarker();
		expect($ui.get().notice).toEqual({tone: 'error', text: 'marker failed: disk full'});
	});

	it('reports where the report went, sync or async', async () => {
		setControls({exportReport: () => 'out.json'});
		exportReport();
		expect($ui.get().notice?.text).toBe('report written: out.json');
		setControls({exportReport: async () => Promise.reject(new Error('EACCES'))});
		exportReport();
		await tick();
		expect($ui.get().notice).toEqual({tone: 'error', text: 'report failed: permission denied'});
	});
});
