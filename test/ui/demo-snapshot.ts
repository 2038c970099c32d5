/**
 * A synthetic session snapshot for the UI tests (the dashboard without ingest): a Xiaomi phone
 * whose browser leaks an incognito search to sa.api.intl.miui.com (Singapore, Alibaba AS45102),
 * Google services, and the MiPush channel.
 * Deterministic: the same `elapsed` gives the same snapshot.
 */
import type {Category, DestinationSummary, Flag, RateLookup, SessionSnapshot, TimelineEntry} from '../../source/types.js';

/** Session start: 2024-06-03 09:00:00 UTC. */
export const DEMO_START = 1_717_405_200;

/** Seconds of rate history kept per destination (matches the sparkline width). */
const RATE_SECONDS = 12;

const BROWSER = 'com.mi.globalbrowser';

type HostSeed = {
	host: string;
	ip: string;
	owner?: string;
	category: Category;
	country?: string;
	asn?: number;
	asOrg?: string;
	apps: string[];
	/** Bytes out per second on average, and how bursty (0 steady, 1 bursts). */
	rate: number;
	burst: number;
	/** Seconds after start when it first appears. */
	from: number;
	via: DestinationSummary['via'];
	rule?: string;
	flags?: number;
};

const ALIBABA = {country: 'SG', asn: 45_102, asOrg: 'Alibaba (US) Technology Co., Ltd.'};
const GOOGLE = {country: 'US', asn: 15_169, asOrg: 'Google LLC'};

const HOSTS: HostSeed[] = [
	{host: 'sa.api.intl.miui.com', ip: '47.241.10.23', owner: 'Xiaomi', category: 'browsing-data', ...ALIBABA, apps: [BROWSER], rate: 900, burst: 1, from: 4, via: ['dns', 'sni'], rule: 'sa.api.intl.miui.com', flags: 2},
	{host: 'tracking.intl.miui.com', ip: '47.241.18.7', owner: 'Xiaomi', category: 'analytics', ...ALIBABA, apps: [BROWSER, 'com.miui.home'], rate: 420, burst: 0.6, from: 2, via: ['dns', 'sni'], rule: 'tracking.intl.miui.com', flags: 1},
	{host: 'api.browser.intl.miui.com', ip: '47.241.22.140', owner: 'Xiaomi', category: 'browser-service', ...ALIBABA, apps: [BROWSER], rate: 260, burst: 0.3, from: 3, via: ['dns', 'sni'], rule: '*.browser.intl.miui.com'},
	{host: 'resolver.msg.global.xiaomi.net', ip: '161.117.71.36', owner: 'Xiaomi', category: 'push', ...ALIBABA, apps: ['com.xiaomi.xmsf'], rate: 35, burst: 0.1, from: 0, via: ['dns'], rule: '*.msg.global.xiaomi.net'},
	{host: 'globalapi.ad.xiaomi.com', ip: '161.117.96.12', owner: 'Xiaomi', category: 'advertising', ...ALIBABA, apps: ['com.miui.msa.global'], rate: 150, burst: 0.8, from: 9, via: ['dns', 'sni'], rule: '*.ad.xiaomi.com', flags: 1},
	{host: 'www.google.com', ip: '142.250.72.196', owner: 'Google', category: 'content', ...GOOGLE, apps: [BROWSER], rate: 520, burst: 0.7, from: 1, via: ['dns', 'quic'], rule: 'google.com'},
	{host: 'mtalk.google.com', ip: '142.251.2.188', owner: 'Google', category: 'push', ...GOOGLE, apps: ['com.google.android.gms'], rate: 12, burst: 0, from: 0, via: ['dns', 'sni'], rule: 'mtalk.google.com'},
	{host: 'firebaselogging-pa.googleapis.com', ip: '142.250.191.42', owner: 'Google', category: 'analytics', ...GOOGLE, apps: ['com.google.android.gms'], rate: 80, burst: 0.5, from: 6, via: ['sni'], rule: 'firebaselogging-pa.googleapis.com'},
	{host: 'connectivitycheck.gstatic.com', ip: '142.250.72.163', owner: 'Google', category: 'config', ...GOOGLE, apps: [], rate: 3, burst: 0, from: 0, via: ['dns', 'http'], rule: 'connectivitycheck.gstatic.com'},
	{host: 'play.googleapis.com', ip: '142.250.72.170', owner: 'Google', category: 'app-store', ...GOOGLE, apps: ['com.android.vending'], rate: 60, burst: 0.4, from: 12, via: ['dns', 'sni'], rule: 'play.googleapis.com'},
	{host: 'duckduckgo.com', ip: '52.142.124.215', owner: 'DuckDuckGo', category: 'content', country: 'NL', asn: 8075, asOrg: 'Microsoft Corporation', apps: [BROWSER], rate: 210, burst: 0.9, from: 5, via: ['dns', 'sni']},
	{host: 'cdn.static-news-feed.net', ip: '104.18.30.77', category: 'unknown', country: 'US', asn: 13_335, asOrg: 'Cloudflare, Inc.', apps: [BROWSER], rate: 340, burst: 0.5, from: 7, via: ['sni']},
	{host: '_googlecast._tcp.local', ip: '192.168.1.20', category: 'local', apps: [], rate: 2, burst: 0, from: 0, via: ['dns']},
];

/** A deterministic pseudo-random value in [0, 1) for (seed, step). */
function noise(seed: number, step: number): number {
	const x = Math.sin(seed * 12.9898 + step * 78.233) * 43_758.5453;
	return x - Math.floor(x);
}

function bytesAt(h: HostSeed, i: number, second: number): number {
	if (second < h.from) return 0;
	const n = noise(i + 1, second);
	return Math.round(h.rate * (1 - h.burst + h.burst * 2 * n * n));
}

function destination(h: HostSeed, i: number, elapsed: number): DestinationSummary | undefined {
	const now = Math.floor(elapsed);
	if (now < h.from) return undefined;
	let out = 0;
	for (let s = h.from; s <= now; s++) out += bytesAt(h, i, s);
	const packets = Math.max(1, Math.round(out / 380));
	const quietFor = Math.floor(noise(i + 7, now) * 4);
	return {
		host: h.host,
		ips: [h.ip],
		owner: h.owner,
		category: h.category,
		country: h.country,
		asn: h.asn,
		asOrg: h.asOrg,
		apps: h.apps,
		packets,
		bytesOut: out,
		bytesIn: Math.round(out * (h.category === 'content' ? 6.5 : 0.4)),
		firstTs: DEMO_START + h.from,
		lastTs: DEMO_START + Math.max(h.from, now - quietFor),
		via: h.via,
		local: h.category === 'local' || undefined,
		rule: h.rule,
		ruleSource: h.rule ? 'bundled: xiaomi-hosts.tsv' : undefined,
		evidencePackets: [40 + i * 17, 41 + i * 17, 55 + i * 17],
		flags: h.flags ?? 0,
	};
}

const FLAGS: Array<Flag & {at: number}> = [
	{
		at: 6,
		kind: 'incognito-tracker',
		severity: 'medium',
		ts: DEMO_START + 6,
		app: BROWSER,
		host: 'tracking.intl.miui.com',
		summary: 'Analytics upload (2.1 kB) while the browser was in incognito mode',
		evidence: {packets: [388, 390, 391], logLines: [2190], payload: 'encrypted', rule: 'incognito state: Mi Browser IncognitoTabActivity'},
	},
	{
		at: 9,
		kind: 'incognito-url-leak',
		severity: 'high',
		ts: DEMO_START + 9,
		app: BROWSER,
		host: 'sa.api.intl.miui.com',
		summary: 'Incognito search "hiv clinic near me" sent to Xiaomi analytics (base64 JSON)',
		evidence: {
			packets: [1412, 1413, 1415, 1416],
			logLines: [2201, 2204],
			payload: 'decoded',
			rule: 'payload: base64 JSON field "url" matches a URL visited in incognito',
			excerpt:
				'POST /sa?project=global_browser HTTP/1.1 ... data={"event":"page_view","properties":{"url":"https://duckduckgo.com/?q=hiv+clinic+near+me","incognito":true,"$device_id":"f3a9c0d1e2b4"}}',
		},
	},
	{
		at: 11,
		kind: 'cleartext-identifier',
		severity: 'medium',
		ts: DEMO_START + 11,
		app: 'com.miui.msa.global',
		host: 'globalapi.ad.xiaomi.com',
		summary: 'Android ID sent in clear (HTTP query parameter android_id)',
		evidence: {packets: [1630], logLines: [], payload: 'plain', rule: 'identifier: android_id=[0-9a-f]{16}', excerpt: 'GET /api/v2/ads?android_id=9774d56d682e549c&lang=en HTTP/1.1'},
	},
	{
		at: 14,
		kind: 'url-leak',
		severity: 'low',
		ts: DEMO_START + 14,
		app: BROWSER,
		host: 'sa.api.intl.miui.com',
		summary: 'Page URL https://news.example.org/world sent to Xiaomi analytics',
		evidence: {packets: [1901, 1902], logLines: [2260], payload: 'decoded', rule: 'payload: base64 JSON field "url"'},
	},
];

const TIMELINE: Array<TimelineEntry & {at: number}> = [
	{at: 0, ts: DEMO_START, kind: 'start', text: 'pcap live on adb exec-out tcpdump -i any', source: 'source'},
	{at: 0.5, ts: DEMO_START + 0.5, kind: 'dns', text: 'resolver.msg.global.xiaomi.net A 161.117.71.36', source: 'net', index: 3},
	{at: 1, ts: DEMO_START + 1, kind: 'activity', text: `START ${BROWSER}/.BrowserActivity`, source: 'log', index: 2150},
	{at: 1.2, ts: DEMO_START + 1.2, kind: 'quic', text: 'www.google.com h3', source: 'net', index: 97},
	{at: 2, ts: DEMO_START + 2, kind: 'tls', text: 'tracking.intl.miui.com h2', source: 'net', index: 140},
	{at: 4, ts: DEMO_START + 4, kind: 'incognito-on', text: `${BROWSER} opened an incognito tab`, source: 'log', index: 2187},
	{at: 4.5, ts: DEMO_START + 4.5, kind: 'tls', text: 'sa.api.intl.miui.com http/1.1', source: 'net', index: 301},
	{at: 6, ts: DEMO_START + 6, kind: 'upload-url', text: 'OneTrack: upload https://tracking.intl.miui.com/track/v4', source: 'log', index: 2190},
	{at: 6.1, ts: DEMO_START + 6.1, kind: 'flag', text: 'MED incognito tracker: tracking.intl.miui.com', source: 'flag'},
	{at: 8, ts: DEMO_START + 8, kind: 'http', text: 'GET duckduckgo.com/?q=hiv+clinic+near+me', source: 'net', index: 1388},
	{at: 9, ts: DEMO_START + 9, kind: 'log', text: 'SensorsAnalytics: track event page_view url=https://duckduckgo.com/?q=hiv+clinic+near+me', source: 'log', index: 2201},
	{at: 9.05, ts: DEMO_START + 9.05, kind: 'log', text: 'SensorsAnalytics: flush 3 events to https://sa.api.intl.miui.com/sa', source: 'log', index: 2204},
	{at: 9.1, ts: DEMO_START + 9.1, kind: 'flag', text: 'HIGH incognito URL leak: sa.api.intl.miui.com', source: 'flag'},
	{at: 10, ts: DEMO_START + 10, kind: 'marker', text: 'note: searched in incognito', source: 'marker'},
	{at: 11, ts: DEMO_START + 11, kind: 'http', text: 'GET globalapi.ad.xiaomi.com/api/v2/ads?android_id=...', source: 'net', index: 1630},
	{at: 11.1, ts: DEMO_START + 11.1, kind: 'flag', text: 'MED cleartext identifier: globalapi.ad.xiaomi.com', source: 'flag'},
	{at: 12, ts: DEMO_START + 12, kind: 'incognito-off', text: `${BROWSER} closed the incognito tab`, source: 'log', index: 2240},
	{at: 14, ts: DEMO_START + 14, kind: 'flag', text: 'LOW URL leak: sa.api.intl.miui.com', source: 'flag'},
];

/** The sparklines of the demo session `elapsed` seconds after the start (the flush's look-up beside its snapshot). */
export function demoRates(elapsed: number): RateLookup {
	const now = Math.floor(elapsed);
	return host => {
		const i = HOSTS.findIndex(h => h.host === host);
		const h = HOSTS[i];
		if (!h || now < h.from) return [];
		const rate: number[] = [];
		for (let s = Math.max(0, now - RATE_SECONDS + 1); s <= now; s++) rate.push(bytesAt(h, i, s));
		return rate;
	};
}

/** The demo session as it stands `elapsed` seconds after the start. */
export function buildDemoSnapshot(elapsed: number): SessionSnapshot {
	const destinations = HOSTS.map((h, i) => destination(h, i, elapsed)).filter((d): d is DestinationSummary => d !== undefined);
	const categories = new Map<Category, {destinations: number; packets: number; bytesOut: number; bytesIn: number}>();
	for (const d of destinations) {
		const c = categories.get(d.category) ?? {destinations: 0, packets: 0, bytesOut: 0, bytesIn: 0};
		c.destinations++;
		c.packets += d.packets;
		c.bytesOut += d.bytesOut;
		c.bytesIn += d.bytesIn;
		categories.set(d.category, c);
	}

	const apps = new Map<string, {destinations: number; bytesOut: number; bytesIn: number}>();
	for (const d of destinations) {
		for (const a of d.apps) {
			const x = apps.get(a) ?? {destinations: 0, bytesOut: 0, bytesIn: 0};
			x.destinations++;
			x.bytesOut += d.bytesOut;
			x.bytesIn += d.bytesIn;
			apps.set(a, x);
		}
	}

	const packets = destinations.reduce((n, d) => n + d.packets * 2, 0);
	const bytes = destinations.reduce((n, d) => n + d.bytesOut + d.bytesIn, 0);
	const incognito = elapsed >= 4 && elapsed < 12 ? [BROWSER] : [];
	return {
		stats: {
			packets,
			bytes,
			logLines: 2100 + Math.floor(elapsed * 11),
			malformed: elapsed > 5 ? 2 : 0,
			dropped: 0,
			firstTs: DEMO_START,
			lastTs: DEMO_START + elapsed,
			problems: elapsed > 5 ? {truncated: 2} : {},
		},
		destinations,
		categories: [...categories].map(([category, c]) => ({category, ...c})),
		flags: FLAGS.filter(f => f.at <= elapsed).map(({at: _at, ...f}) => f),
		apps: [...apps].map(([pkg, a]) => ({package: pkg, ...a})),
		timeline: TIMELINE.filter(e => e.at <= elapsed).map(({at: _at, ...e}) => e),
		sources: [
			{source: 'pcap', state: 'live', rate: Math.round(packets / Math.max(1, elapsed)), since: DEMO_START},
			{source: 'logcat', state: 'live', rate: 11, since: DEMO_START},
		],
		device: {manufacturer: 'Xiaomi', model: 'Redmi Note 8', serial: '7a1c3e59', android: '11', timeZone: 'Asia/Singapore'},
		incognito,
	};
}
