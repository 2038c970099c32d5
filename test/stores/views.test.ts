import {beforeEach, describe, expect, it} from 'vitest';
import {$detailView, destinationDetail, flagDetail} from '../../source/stores/detail-view.js';
import {$destinationsView} from '../../source/stores/destinations-view.js';
import {$categoriesView} from '../../source/stores/categories-view.js';
import {$eventsView} from '../../source/stores/events-view.js';
import {$statusView} from '../../source/stores/status-view.js';
import {applySnapshot, resetSession} from '../../source/stores/session-stores.js';
import {focusNext, openDetail, resetUi, togglePause, setViewport, DEFAULT_VIEWPORT} from '../../source/stores/ui.js';
import {addNotice} from '../../source/stores/session-stores.js';
import {destination, flag, HOSTILE_HOST, leakSession, snapshot, T0} from '../ui/fixtures.js';

beforeEach(() => {
	resetSession();
	resetUi();
});

/** JSON of what is displayed: `key` fields are row identities (raw by design), never shown. */
const text = (v: unknown): string => JSON.stringify(v, (k, value: unknown) => (k === 'key' ? undefined : value));

describe('view stores', () => {
	it('format destination rows against the session clock', () => {
		applySnapshot(leakSession());
		const row = $destinationsView.get().rows.find(r => r.key === 'sa.api.intl.miui.com')!;
		expect(row).toMatchObject({owner: 'Xiaomi', category: 'browsing-data', country: 'SG', bytesOut: '9.0 kB', last: '5s', flags: 1});
		expect(row.asOrg).toBe('AS45102 Alibaba (US) Technology Co., Ltd.');
	});

	it('sanitise hostile strings everywhere they are shown', () => {
		applySnapshot(
			snapshot({
				destinations: [destination(HOSTILE_HOST, {owner: 'x\u001b[31m', apps: ['\u202Eevil']})],
				flags: [flag(HOSTILE_HOST, {summary: 'bad\u0007\u001b]0;t\u0007'})],
				timeline: [{ts: T0, kind: '\u001b[2J', text: '\u009b2Jlog', source: 'log'}],
				device: {model: '\u001b]0;pwn\u0007Phone'},
				incognito: ['\u001b[1mpkg'],
			}),
		);
		setViewport({...DEFAULT_VIEWPORT, events: 5});
		focusNext();
		openDetail();
		const all = text([$destinationsView.get(), $eventsView.get(), $statusView.get(), $detailView.get()]);
		expect(all).not.toMatch(/\\u001b|\\u0007|\\u009b|\\u202e/i);
		expect($destinationsView.get().rows[0]!.host).toBe('evil.example.com');
	});

	it('give categories a share of the largest for the bar', () => {
		applySnapshot(leakSession());
		setViewport({...DEFAULT_VIEWPORT, categories: 10});
		const rows = $categoriesView.get().rows;
		expect(rows[0]).toMatchObject({category: 'content', share: 1});
		expect(rows.at(-1)!.share).toBeCloseTo(300 / 12_000);
	});

	it('status shows device, sources, counts, pause, incognito and the notice', () => {
		applySnapshot(leakSession());
		togglePause();
		addNotice('Replay finished');
		const s = $statusView.get();
		expect(s.title).toBe('Xiaomi Redmi Note 8 (abc123)');
		expect(s.sources.map(x => `${x.name} ${x.state} ${x.rate}`)).toEqual(['pcap live 120 pkt/s', 'logcat live 30 ln/s']);
		expect(s).toMatchObject({paused: true, incognito: ['com.mi.globalbrowser'], notice: {text: 'Replay finished'}});
	});

	it('status names what set each incognito state', () => {
		applySnapshot({...leakSession(), incognito: ['com.android.chrome', 'com.mi.globalbrowser'], incognitoSignals: {'com.mi.globalbrowser': 'log', 'com.android.chrome': 'secure-window'}});
		expect($statusView.get().incognito).toEqual(['com.android.chrome (secure window)', 'com.mi.globalbrowser (log)']);
		applySnapshot({...leakSession(), incognitoSignals: {'com.mi.globalbrowser': 'marker'}});
		expect($statusView.get().incognito).toEqual(['com.mi.globalbrowser (marker)']);
	});

	it('status shows the replayed file and position when there is no device', () => {
		applySnapshot(snapshot({device: undefined, input: {path: 'captures/demo', position: 83, speed: 4}}));
		expect($statusView.get()).toMatchObject({title: 'replay captures/demo', replay: 'replay 1:23 x4'});
	});
});

describe('detail view models', () => {
	it('a flag shows its evidence, the quoted log line and the destination facts', () => {
		const s = leakSession();
		const f = s.flags[1]!;
		const detail = flagDetail(f, s.destinations, s.timeline);
		const fields = Object.fromEntries(detail.lines.flatMap(l => (l.kind === 'field' ? [[l.label, l.value]] : [])));
		expect(detail.title).toBe('HIGH incognito-url-leak');
		expect(fields).toMatchObject({
			Host: 'sa.api.intl.miui.com',
			Packets: '#1412, #1413',
			'Log lines': 'line 2201',
			Rule: 'payload: url field',
			Payload: 'decoded',
			Owner: 'Xiaomi',
			Country: 'SG',
			AS: 'AS45102 Alibaba (US) Technology Co., Ltd.',
		});
		expect(fields.Excerpt).toContain('duckduckgo.com/?q=secret');
		expect(fields['line 2201']).toContain('SensorsAnalytics');
		expect(fields.Count).toBeUndefined();
	});

	it('an incognito flag says which signal put the browser in incognito', () => {
		const s = leakSession();
		const f = {...s.flags[1]!, evidence: {...s.flags[1]!.evidence, incognitoSignal: 'secure-window' as const}};
		const fields = Object.fromEntries(flagDetail(f, s.destinations, s.timeline).lines.flatMap(l => (l.kind === 'field' ? [[l.label, l.value]] : [])));
		expect(fields.Incognito).toBe('set by a secure (FLAG_SECURE) browser window in front (dumpsys window)');
		const plain = Object.fromEntries(flagDetail(s.flags[1]!, s.destinations, s.timeline).lines.flatMap(l => (l.kind === 'field' ? [[l.label, l.value]] : [])));
		expect(plain.Incognito).toBeUndefined();
	});

	it('a folded flag says how often it was seen; the rule source is told once, with the destination', () => {
		const s = leakSession();
		const d = s.destinations.find(x => x.host === 'sa.api.intl.miui.com')!;
		const f = {...s.flags[1]!, count: 3, evidence: {...s.flags[1]!.evidence, rule: d.rule}};
		const fields = Object.fromEntries(flagDetail(f, s.destinations, s.timeline).lines.flatMap(l => (l.kind === 'field' ? [[l.label, l.value]] : [])));
		expect(fields.Count).toMatch(/^3 times/);
		expect(fields.Rule).toBe(d.rule);
		expect(d.ruleSource).toBeTruthy();
		expect(fields['Owner rule']).toContain(d.ruleSource!);
	});

	it('a destination lists the flags raised against it', () => {
		const s = leakSession();
		const d = s.destinations[0]!;
		const detail = destinationDetail(d, s.flags);
		const headings = detail.lines.filter(l => l.kind === 'heading').map(l => (l.kind === 'heading' ? l.text : ''));
		expect(headings).toEqual(['Flags (1)']);
		expect(text(detail)).toContain('Owner rule","value":"sa.api.intl.miui.com (from bundled)');
	});

	it('becomes undefined when the item disappears', () => {
		applySnapshot(leakSession());
		openDetail();
		expect($detailView.get()?.title).toBe('www.google.com');
		applySnapshot(snapshot());
		expect($detailView.get()).toBeUndefined();
	});
});
