/** The user reads plain words, not a library's internals (issue 12, live-mode defect 16). */
import './env.js';
import React from 'react';
import path from 'node:path';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {Session} from '../../source/ingest/session.js';
import {createRuleSet} from '../../source/classify/rules.js';
import {loadBundledRules} from '../../source/app/rule-files.js';
import {plainWords} from '../../source/lib/format.js';
import {clearControls, setControls, exportReport} from '../../source/stores/controls.js';
import {applySnapshot, resetSession} from '../../source/stores/session-stores.js';
import {$ui, resetUi} from '../../source/stores/ui.js';
import {StatusBar} from '../../source/ui/panels/status-bar.js';
import {DEFAULT_THEME, ThemeContext} from '../../source/ui/theme.js';
import {repoRoot} from '../helpers/corpus.js';
import {tick} from './tick.js';

const classifier = createRuleSet({bundled: loadBundledRules(new URL(`file://${path.join(repoRoot, 'source/classify/rules')}/`))});
/** Words that mean something only to a programmer of tattle or of its libraries. */
const INTERNAL = /ExactReadable|ECONN|EPIPE|ETIMEDOUT|EACCES|\beof\b|addMarker|exportReport|toggleIncognito|AutoResetEvent|TaskQueue/;

beforeEach(() => {
	resetSession();
	resetUi();
});
afterEach(() => {
	cleanup();
	clearControls();
});

describe('plain words', () => {
	it.each([
		['ExactReadable ended', 'the connection to the phone closed'],
		['adb server: connect ECONNREFUSED 127.0.0.1:5037; retrying in 1000 ms', 'adb server: nothing is listening at 127.0.0.1:5037 (is the adb server running? `adb start-server`); retrying in 1000 ms'],
		['read ECONNRESET', 'the connection was cut'],
		['readable of `shell:logcat` has stalled for 5000 milliseconds', 'no data from shell:logcat for 5000 ms'],
		['cannot write report /x.json: EACCES', 'cannot write report /x.json: permission denied'],
	])('%s', (internal, plain) => {
		expect(plainWords(internal)).toBe(plain);
	});

	it('a source that went down with a library error: status bar and events say it plainly', () => {
		const s = new Session({classifier});
		s.setStatus({source: 'logcat', state: 'down', detail: 'ExactReadable ended', ts: 1});
		s.setStatus({source: 'pcap', state: 'eof', detail: 'read ECONNRESET', ts: 2});
		const snap = s.snapshot();
		applySnapshot(snap);
		const frame = render(
			<ThemeContext.Provider value={{...DEFAULT_THEME, color: false}}>
				<StatusBar width={200} height={2} />
			</ThemeContext.Provider>,
		).lastFrame()!;
		expect(frame).toContain('logcat down (the connection to the phone closed)');
		expect(frame).toContain('pcap ended (the connection was cut)');
		expect(frame).not.toMatch(INTERNAL);
		for (const e of snap.timeline) expect(e.text).not.toMatch(INTERNAL);
	});

	it('a control that fails says what failed in words', async () => {
		setControls({exportReport: async () => Promise.reject(new Error('cannot write report r.json: EACCES'))});
		exportReport();
		await tick();
		expect($ui.get().notice?.text).toBe('report failed: cannot write report r.json: permission denied');
	});
});
