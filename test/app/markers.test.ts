/**
 * The `i` and `m` markers (issue 12, live-mode defects 13 and 15): which browser `i` means, and
 * every marker of a recorded session in meta.json, applied again by the replay.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {Session} from '../../source/ingest/session.js';
import {createRuleSet} from '../../source/classify/rules.js';
import {loadBundledRules} from '../../source/app/rule-files.js';
import {createBundleWriter} from '../../source/sources/bundle-writer.js';
import {resolveReplayInput} from '../../source/sources/replay-source.js';
import {recordMarkers} from '../../source/app/recorder.js';
import {applyMarkers} from '../../source/app/session-setup.js';
import type {CliOptions} from '../../source/lib/args.js';
import {repoRoot} from '../helpers/corpus.js';

const classifier = createRuleSet({bundled: loadBundledRules(new URL(`file://${path.join(repoRoot, 'source/classify/rules')}/`))});
const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-markers-'));
afterAll(() => rmSync(tmp, {recursive: true, force: true}));

/** An ActivityTaskManager START line bringing `pkg` to the front. */
function start(pkg: string, index: number): {text: string; index: number} {
	return {text: `2026-11-23 22:36:5${index}.000 +0300  1520  1532 I ActivityTaskManager: START u0 {act=android.intent.action.MAIN flg=0x10200000 cmp=${pkg}/.Main} from uid 10085`, index};
}

describe('i: which browser it marks', () => {
	it('before any app is known: the browser in front, said in words (not a package called "browser")', () => {
		const s = new Session({classifier});
		const m = s.toggleIncognito(100);
		expect(m.text).toBe('incognito on for the browser in front (marked by hand)');
		expect(m.text).not.toMatch(/for browser\b/);
	});

	it('the browser in front', () => {
		const s = new Session({classifier});
		s.addLogLine(start('com.mi.globalbrowser', 1));
		expect(s.toggleIncognito().pkg).toBe('com.mi.globalbrowser');
	});

	it('another app in front: the browser seen last, not the launcher', () => {
		const s = new Session({classifier});
		s.addLogLine(start('org.mozilla.firefox', 1));
		s.addLogLine(start('com.miui.home', 2));
		const m = s.toggleIncognito();
		expect(m.pkg).toBe('org.mozilla.firefox');
		expect(m.kind).toBe('incognito-on');
	});

	it('a second press turns off the browser it turned on, whatever is in front now', () => {
		const s = new Session({classifier});
		s.addLogLine(start('com.mi.globalbrowser', 1));
		s.toggleIncognito();
		s.addLogLine(start('com.miui.home', 2));
		expect(s.toggleIncognito()).toMatchObject({pkg: 'com.mi.globalbrowser', kind: 'incognito-off'});
	});
});

describe('a recorded bundle keeps every marker in meta.json, and the replay applies them', () => {
	it('i on, a note, i off: all three in meta.json; the replay puts the browser in incognito between them', () => {
		const dir = path.join(tmp, 'bundle');
		const rec = createBundleWriter(dir, {tool: {name: 'tattle', version: 'test'}, markers: []}, {syncMs: 0});
		const live = new Session({classifier});
		recordMarkers(live, rec);
		live.addLogLine(start('com.mi.globalbrowser', 1));
		live.toggleIncognito(1000);
		live.addMarker('opened the private tab', 1005);
		live.toggleIncognito(1010);
		rec.close();

		const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as {markers: unknown[]};
		expect(meta.markers).toEqual([
			{ts: 1000, kind: 'incognito-on', pkg: 'com.mi.globalbrowser', text: 'marked by hand'},
			{ts: 1005, kind: 'note', text: 'opened the private tab'},
			{ts: 1010, kind: 'incognito-off', pkg: 'com.mi.globalbrowser', text: 'marked by hand'},
		]);

		const input = resolveReplayInput(dir, undefined);
		const replay = new Session({classifier});
		applyMarkers(replay, {incognito: []} as unknown as CliOptions, input.meta?.markers);
		const snap = replay.snapshot();
		const texts = snap.timeline.filter(e => e.source === 'marker').sort((a, b) => a.ts - b.ts).map(e => e.text);
		expect(texts).toEqual([
			'incognito on for com.mi.globalbrowser (stated by hand)',
			'opened the private tab',
			'incognito off for com.mi.globalbrowser (stated by hand)',
		]);
	});

	it('markers stated up front with --incognito stay in meta.json next to the ones made while watching', async () => {
		const {openRecorder} = await import('../../source/app/recorder.js');
		const dir = path.join(tmp, 'upfront');
		const opts = {incognito: [{pkg: 'com.android.chrome', from: 10, to: 20}], noPcap: true} as unknown as CliOptions;
		const rec = openRecorder(dir, opts, undefined, {spec: undefined, phone: false, other: undefined, hostClock: false}, undefined);
		const live = new Session({classifier});
		recordMarkers(live, rec);
		live.addMarker('later', 30);
		rec.close();
		const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as {markers: Array<{kind: string}>};
		expect(meta.markers.map(m => m.kind)).toEqual(['incognito-on', 'incognito-off', 'note']);
	});
});
