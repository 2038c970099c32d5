/**
 * SessionSnapshot builders for store and UI tests.
 */
import type {DestinationSummary, Flag, RateLookup, SessionSnapshot, TimelineEntry} from '../../source/types.js';

export const T0 = 1_717_405_200;

/** A destination with sensible defaults. */
export function destination(host: string, over: Partial<DestinationSummary> = {}): DestinationSummary {
	return {
		host,
		ips: ['203.0.113.10'],
		owner: 'Example',
		category: 'analytics',
		country: 'SG',
		asn: 45_102,
		asOrg: 'Alibaba (US) Technology Co., Ltd.',
		apps: ['com.mi.globalbrowser'],
		packets: 10,
		bytesOut: 1000,
		bytesIn: 500,
		firstTs: T0,
		lastTs: T0 + 5,
		via: ['dns', 'sni'],
		evidencePackets: [11, 12],
		flags: 0,
		...over,
	};
}

/** A flag with sensible defaults. */
export function flag(host: string, over: Partial<Flag> = {}): Flag {
	return {
		kind: 'incognito-url-leak',
		severity: 'high',
		ts: T0 + 9,
		app: 'com.mi.globalbrowser',
		host,
		summary: `Incognito URL sent to ${host}`,
		evidence: {packets: [1412, 1413], logLines: [2201], excerpt: '{"url":"https://duckduckgo.com/?q=secret"}', payload: 'decoded', rule: 'payload: url field'},
		...over,
	};
}

/** A timeline entry. */
export function event(text: string, over: Partial<TimelineEntry> = {}): TimelineEntry {
	return {ts: T0 + 1, kind: 'log', text, source: 'log', ...over};
}

/** A snapshot; categories are derived from the destinations unless given. */
export function snapshot(over: Partial<SessionSnapshot> = {}): SessionSnapshot {
	const destinations = over.destinations ?? [];
	const byCategory = new Map<string, {destinations: number; packets: number; bytesOut: number; bytesIn: number}>();
	for (const d of destinations) {
		const c = byCategory.get(d.category) ?? {destinations: 0, packets: 0, bytesOut: 0, bytesIn: 0};
		c.destinations++;
		c.packets += d.packets;
		c.bytesOut += d.bytesOut;
		c.bytesIn += d.bytesIn;
		byCategory.set(d.category, c);
	}

	return {
		stats: {packets: 100, bytes: 50_000, logLines: 400, malformed: 0, dropped: 0, firstTs: T0, lastTs: T0 + 10, problems: {}},
		destinations,
		categories: [...byCategory].map(([category, c]) => ({category: category as DestinationSummary['category'], ...c})),
		flags: [],
		apps: [],
		timeline: [],
		sources: [
			{source: 'pcap', state: 'live', rate: 120},
			{source: 'logcat', state: 'live', rate: 30},
		],
		device: {manufacturer: 'Xiaomi', model: 'Redmi Note 8', serial: 'abc123'},
		incognito: [],
		...over,
	};
}

/** A host name carrying a title-setting OSC and a clear-screen CSI. */
export const HOSTILE_HOST = 'evil\u001b]0;pwned\u0007.example\u001b[2J.com';

/** The sparklines beside `leakSession()` (a flush hands the stores both): every host sent 10, 20, 30 bytes in its last seconds. */
export const LEAK_RATES: RateLookup = () => [10, 20, 30];

/** A small, realistic session: a Xiaomi browser leak, Google hosts, a push channel. */
export function leakSession(): SessionSnapshot {
	return snapshot({
		destinations: [
			destination('sa.api.intl.miui.com', {owner: 'Xiaomi', category: 'browsing-data', bytesOut: 9000, flags: 1, rule: 'sa.api.intl.miui.com', ruleSource: 'bundled', payload: 'read', tls: {connections: 2, read: 2, noKeys: 0, stopped: 0, appEncrypted: 0}}),
			destination('www.google.com', {owner: 'Google', category: 'content', country: 'US', asn: 15_169, asOrg: 'Google LLC', bytesOut: 12_000, bytesIn: 90_000, lastTs: T0 + 2, payload: 'encrypted', tls: {connections: 1, read: 0, noKeys: 1, stopped: 0, appEncrypted: 0, note: 'no keys for this connection in the key log'}}),
			destination('mtalk.google.com', {owner: 'Google', category: 'push', country: 'US', asn: 15_169, asOrg: 'Google LLC', bytesOut: 300, apps: ['com.google.android.gms'], lastTs: T0 + 9}),
			destination('tracking.intl.miui.com', {owner: 'Xiaomi', category: 'analytics', bytesOut: 4000}),
		],
		flags: [
			flag('tracking.intl.miui.com', {kind: 'incognito-tracker', severity: 'medium', ts: T0 + 6, summary: 'Analytics upload while incognito', evidence: {packets: [388], logLines: [2190], payload: 'encrypted'}}),
			flag('sa.api.intl.miui.com', {ts: T0 + 9, summary: 'Incognito search "clinic" sent to Xiaomi'}),
		],
		timeline: [
			event('SensorsAnalytics: track page_view url=https://duckduckgo.com/?q=secret', {index: 2201, ts: T0 + 9}),
			event('START com.mi.globalbrowser', {index: 2150, ts: T0 + 1, kind: 'activity'}),
			event('sa.api.intl.miui.com http/1.1', {source: 'net', kind: 'tls', index: 301, ts: T0 + 4}),
		],
		incognito: ['com.mi.globalbrowser'],
	});
}
