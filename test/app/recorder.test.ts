/** The recorder hears markers from the session (Session.onMarker) instead of patching its methods. */
import path from 'node:path';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {Session} from '../../source/ingest/session.js';
import {createRuleSet} from '../../source/classify/rules.js';
import {loadBundledRules} from '../../source/app/rule-files.js';
import type {BundleWriter} from '../../source/sources/bundle-writer.js';
import {recordMarkers} from '../../source/app/recorder.js';
import {repoRoot} from '../helpers/corpus.js';

const classifier = createRuleSet({bundled: loadBundledRules(new URL(`file://${path.join(repoRoot, 'source/classify/rules')}/`))});

function recorded() {
	const session = new Session({classifier});
	const marker = vi.fn();
	recordMarkers(session, {marker, updateMeta: vi.fn()} as unknown as BundleWriter);
	return {session, marker};
}

afterEach(() => {
	vi.useRealTimers();
});

describe('recordMarkers', () => {
	it('writes a note once, with its time', () => {
		const {session, marker} = recorded();
		session.addMarker('note', 1000.5);
		expect(marker.mock.calls).toEqual([[1000.5, 'note']]);
	});
	it('writes an incognito toggle as one incognito-on/off marker, not also as a note', () => {
		const {session, marker} = recorded();
		expect(session.toggleIncognito(2000).pkg).toBe('browser');
		session.toggleIncognito(2010);
		expect(marker.mock.calls).toEqual([
			[2000, 'marked by hand', 'incognito-on', 'browser'],
			[2010, 'marked by hand', 'incognito-off', 'browser'],
		]);
		// The session's own timeline and NDJSON see the same marker text as before.
		const texts = session.snapshot().timeline.filter((e) => e.kind === 'marker').map((e) => e.text);
		expect(texts).toEqual(['incognito on for the browser in front (marked by hand)', 'incognito off for the browser in front (marked by hand)']);
	});
	it('stamps a marker made before any event (session time 0) with the wall clock', () => {
		vi.useFakeTimers({now: 1_700_000_000_000});
		const {session, marker} = recorded();
		session.addMarker('early');
		expect(marker.mock.calls).toEqual([[1_700_000_000, 'early']]);
	});
	it('markers stated up front (applyMarkers before recording starts) are not written again', () => {
		const session = new Session({classifier});
		session.addMarker('from the bundle', 5);
		const marker = vi.fn();
		recordMarkers(session, {marker} as unknown as BundleWriter);
		expect(marker).not.toHaveBeenCalled();
	});
});
