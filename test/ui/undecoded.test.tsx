/** Undecodable packets are visible on screen (issue 12, live-mode defect 3). */
import './env.js';
import React from 'react';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {applySnapshot, resetSession} from '../../source/stores/session-stores.js';
import {$statusView, undecoded} from '../../source/stores/status-view.js';
import {resetUi} from '../../source/stores/ui.js';
import {StatusBar} from '../../source/ui/panels/status-bar.js';
import {DEFAULT_THEME, ThemeContext} from '../../source/ui/theme.js';
import {leakSession} from './fixtures.js';

function bar(width: number): string {
	return render(
		<ThemeContext.Provider value={{...DEFAULT_THEME, color: false}}>
			<StatusBar width={width} height={2} />
		</ThemeContext.Provider>,
	).lastFrame()!;
}

const REPORTED = {malformed: 0, problems: {'bad-ip': 185, truncated: 4, 'flows-evicted': 900}};

beforeEach(() => {
	resetSession();
	resetUi();
	applySnapshot({...leakSession(), stats: {...leakSession().stats, ...REPORTED}});
});
afterEach(() => cleanup());

describe('undecoded input on the status line', () => {
	it('counts what the report counts (not only malformed records), leaving out tattle\'s own caps', () => {
		expect(undecoded({...leakSession().stats, ...REPORTED}).total).toBe(189);
		expect($statusView.get().undecoded).toBe('189');
	});

	it('names the commonest kinds in plain words when there is room', () => {
		expect(bar(140)).toContain('189 not decoded (185 bad IP header, 4 cut short)');
	});

	it('keeps the total when narrow', () => {
		const frame = bar(80);
		expect(frame).not.toContain('0 malformed');
		expect(frame).toContain('189 not decoded');
		expect(frame).not.toContain('bad IP header');
	});

	it('a malformed record counted without a problem kind still shows', () => {
		applySnapshot({...leakSession(), stats: {...leakSession().stats, malformed: 2, problems: {}}});
		expect(bar(140)).toContain('2 not decoded');
	});
});
