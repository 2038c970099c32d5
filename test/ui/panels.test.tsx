import './env.js';
import React from 'react';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {cleanup, render} from 'ink-testing-library';
import {applySnapshot, resetSession} from '../../source/stores/session-stores.js';
import {$ui, DEFAULT_VIEWPORT, focusPanel, openDetail, resetUi, setViewport} from '../../source/stores/ui.js';
import {CategoriesPanel} from '../../source/ui/panels/categories.js';
import {DestinationsPanel} from '../../source/ui/panels/destinations.js';
import {DetailPanel} from '../../source/ui/panels/detail.js';
import {EventsPanel} from '../../source/ui/panels/events.js';
import {FlagsPanel} from '../../source/ui/panels/flags.js';
import {StatusBar} from '../../source/ui/panels/status-bar.js';
import {HelpOverlay} from '../../source/ui/components/help-overlay.js';
import {PanelBoundary} from '../../source/ui/components/error-boundary.js';
import {ThemeContext, DEFAULT_THEME, type Theme} from '../../source/ui/theme.js';
import {destination, leakSession, snapshot, T0} from './fixtures.js';
import {tick} from './tick.js';

const NO_COLOR: Theme = {...DEFAULT_THEME, color: false};

function show(node: React.ReactElement, theme: Theme = NO_COLOR) {
	return render(<ThemeContext.Provider value={theme}>{node}</ThemeContext.Provider>);
}

beforeEach(() => {
	resetSession();
	resetUi();
	setViewport({destinations: 10, flags: 10, categories: 10, events: 10, detail: 30});
	applySnapshot(leakSession());
});

afterEach(() => cleanup());

describe('panels', () => {
	it('destinations: host, owner, category, country, what was read, bytes, age and flag marker', () => {
		const {lastFrame} = show(<DestinationsPanel width={100} height={12} />);
		const frame = lastFrame()!;
		const row = frame.split('\n').find(l => l.includes('sa.api.intl.miui.com'))!;
		expect(row).toMatch(/▲ sa\.api\.intl\.miui\.com\s+browsing-data\s+Xiaomi\s+SG\s+yes\s+9\.0 kB\s+500 B\s+5s/);
		expect(frame.split('\n').find(l => l.includes('www.google.com'))).toMatch(/US\s+no\s+/);
		expect(frame.split('\n').find(l => l.includes('mtalk.google.com'))).toMatch(/US\s+-\s+/);
		expect(frame).toMatch(/CC\s+Read\s+Out/);
		expect(frame).toContain('4 · sort: bytes');
	});

	it('destinations: shows AS org, app and packets when wide enough', () => {
		const {lastFrame} = show(<DestinationsPanel width={160} height={12} />);
		const row = lastFrame()!.split('\n').find(l => l.includes('sa.api.intl.miui.com'))!;
		expect(row).toContain('AS45102 Alibaba');
		expect(row).toContain('com.mi.globalbrowser');
	});

	it('destinations with --baseline: a mark on the hosts the baseline never saw, and how many in the title', () => {
		const base = leakSession();
		applySnapshot({...base, destinations: base.destinations.map(d => ({...d, new: d.host === 'www.google.com'}))});
		const frame = show(<DestinationsPanel width={100} height={12} />).lastFrame()!;
		const row = (host: string) => frame.split('\n').find(l => l.includes(host))!;
		expect(row('www.google.com')).toMatch(/✚ www\.google\.com/);
		expect(row('sa.api.intl.miui.com')).not.toContain('✚');
		expect(frame).toContain('4 · 1 new · sort: bytes');
		cleanup();
		const ascii = show(<DestinationsPanel width={100} height={12} />, {...NO_COLOR, ascii: true}).lastFrame()!;
		expect(ascii.split('\n').find(l => l.includes('www.google.com'))).toMatch(/\+ www\.google\.com/);
		expect(ascii).toContain('4 | 1 new | sort: bytes');
	});

	it('destinations without --baseline: no mark column, no new count', () => {
		const frame = show(<DestinationsPanel width={100} height={12} />).lastFrame()!;
		expect(frame).not.toContain('✚');
		expect(frame).not.toContain('new');
	});

	it('destinations: an empty session says so', () => {
		applySnapshot(snapshot());
		expect(show(<DestinationsPanel width={80} height={6} />).lastFrame()).toContain('no traffic yet');
	});

	it('flags: newest first with severity words, kind, app, host and summary', () => {
		const frame = show(<FlagsPanel width={100} height={8} />).lastFrame()!;
		const rows = frame.split('\n').filter(l => /HIGH|MED/.test(l));
		expect(rows[0]).toMatch(/HIGH\s+09:00:09\s+incog URL leak\s+com\.mi\.globalbro.*sa\.api\.intl\.miui\.com\s+Incognito search/);
		expect(rows[1]).toContain('MED');
		expect(rows[1]).toContain('(encrypted) Analytics');
		expect(frame).toContain('1 high · 1 med');
	});

	it('flags: no App column of dashes when no flag names an app; the summary gets the room', () => {
		const withApp = show(<FlagsPanel width={100} height={8} />).lastFrame()!;
		cleanup();
		applySnapshot(snapshot({flags: leakSession().flags.map(f => ({...f, app: undefined}))}));
		const frame = show(<FlagsPanel width={100} height={8} />).lastFrame()!;
		expect(withApp).toMatch(/Host/);
		expect(withApp).toMatch(/ App /);
		expect(frame).not.toMatch(/ App /);
		const summary = (f: string) => f.split('\n').find(l => l.includes('HIGH'))!.split('sa.api.intl.miui.com')[1]!.trim();
		expect(summary(frame).length).toBeGreaterThan(summary(withApp).length);
	});

	it('categories: count, bytes out and a bar per category', () => {
		const frame = show(<CategoriesPanel width={60} height={8} />).lastFrame()!;
		const content = frame.split('\n').find(l => l.includes('content'))!;
		const push = frame.split('\n').find(l => l.includes('push'))!;
		expect(content).toMatch(/content\s+1\s+12 kB █+$/);
		expect(push).toMatch(/push\s+1\s+300 B █░+$/);
	});

	it('events: the timeline tail newest first, filterable', async () => {
		const {lastFrame} = show(<EventsPanel width={100} height={8} />);
		const rows = lastFrame()!.split('\n').slice(2);
		expect(rows[0]).toContain('SensorsAnalytics');
		expect(rows[2]).toContain('START com.mi.globalbrowser');
		$ui.set({...$ui.get(), filter: 'tls'});
		await tick();
		expect(lastFrame()).toContain('1/3');
		expect(lastFrame()).not.toContain('SensorsAnalytics');
	});

	it('status bar: device, sources with state words, counters, replay position and speed', () => {
		applySnapshot({...leakSession(), sources: [{source: 'pcap', state: 'down', detail: 'adb gone'}, {source: 'logcat', state: 'live', rate: 30}], input: {path: 'capture.pcapng', position: 42, speed: 8}, stats: {...leakSession().stats, malformed: 3}});
		const frame = show(<StatusBar width={140} height={2} />).lastFrame()!;
		expect(frame).toContain('Xiaomi Redmi Note 8 (abc123)');
		expect(frame).toContain('✖ pcap down (adb gone)');
		expect(frame).toContain('● logcat live 30 ln/s');
		expect(frame).toContain('3 not decoded');
		expect(frame).toContain('replay 0:42 x8');
	});

	it('status bar: an outage shows its retry count on the source, not as events', () => {
		applySnapshot({...leakSession(), sources: [{source: 'logcat', state: 'down', detail: 'stream ended', retry: 3}, {source: 'pcap', state: 'down', retry: 2}]});
		const frame = show(<StatusBar width={140} height={2} />).lastFrame()!;
		expect(frame).toContain('logcat down (stream ended, retry 3)');
		expect(frame).toContain('pcap down (retry 2)');
	});

	it('status bar: each incognito browser with what set its state', () => {
		applySnapshot({...leakSession(), incognitoSignals: {'com.mi.globalbrowser': 'log'}});
		const frame = show(<StatusBar width={140} height={2} />).lastFrame()!;
		expect(frame).toContain('INCOGNITO  com.mi.globalbrowser (log)');
	});

	it('detail: every fact of a destination with the flags raised against it', async () => {
		focusPanel('destinations');
		$ui.set({...$ui.get(), detail: {kind: 'destination', key: 'sa.api.intl.miui.com'}});
		const frame = show(<DetailPanel width={100} height={30} />).lastFrame()!;
		for (const text of ['sa.api.intl.miui.com', 'Owner rule', '(from bundled)', 'AS45102', '203.0.113.10', 'Named by    dns, sni', 'Read        TLS decrypted with the session keys (2 connection(s))', 'Flags (1)', 'HIGH        incognito-url-leak']) {
			expect(frame).toContain(text);
		}
	});

	it('detail: says why a destination could not be read', () => {
		$ui.set({...$ui.get(), detail: {kind: 'destination', key: 'www.google.com'}});
		const frame = show(<DetailPanel width={100} height={30} />).lastFrame()!;
		expect(frame).toContain('Read        TLS, not decrypted: no keys for this connection in the key log');
	});

	it('detail: scrolls with the selection keys and shows the position', async () => {
		focusPanel('flags');
		openDetail();
		const {lastFrame} = show(<DetailPanel width={80} height={8} />);
		expect(lastFrame()).toMatch(/1-7\/\d+ ↓/);
		$ui.set({...$ui.get(), detailScroll: 3});
		await tick();
		expect(lastFrame()).toMatch(/4-10\/\d+/);
	});

	it('help overlay lists keys from the keymap', () => {
		const frame = show(<HelpOverlay width={100} height={30} />, {...NO_COLOR, replay: true}).lastFrame()!;
		expect(frame).toContain('Everywhere');
		expect(frame).toContain('replay faster');
		expect(frame).toMatch(/Enter\s+details/);
	});

	it('a failing panel is contained by its boundary', () => {
		function Broken(): React.ReactElement {
			throw new Error('boom \u001b[2J');
		}

		const frame = show(
			<PanelBoundary name="flags panel" width={60} height={3}>
				<Broken />
			</PanelBoundary>,
		).lastFrame()!;
		expect(frame).toContain('flags panel failed: boom');
		expect(frame).not.toContain('\u001b');
	});

	it('marks the selection without colour and keeps every line within the width', () => {
		applySnapshot(snapshot({destinations: Array.from({length: 20}, (_, i) => destination(`host-${i}.a-very-long-subdomain.example.com`, {lastTs: T0 + i}))}));
		setViewport({...DEFAULT_VIEWPORT, destinations: 5});
		const frame = show(<DestinationsPanel width={50} height={7} />).lastFrame()!;
		expect(frame.split('\n')).toHaveLength(7);
		for (const line of frame.split('\n')) expect(line.length).toBeLessThanOrEqual(50);
		expect(frame.split('\n')[2]!.startsWith('›')).toBe(true);
		expect(frame).toContain('…');
	});
});
