import {readFileSync} from 'node:fs';
import {createHash} from 'node:crypto';
import {fileURLToPath} from 'node:url';
import {describe, it, expect} from 'vitest';
import type {Classification, Flag} from '../../source/types.js';
import {evaluateUpload, FlagDeduper, MAX_FLAG_EVIDENCE, MAX_SUMMARY_CHARS, type UploadContext} from '../../source/classify/flags.js';
import {VisitedSet} from '../../source/classify/incognito.js';
import {inspectPayload} from '../../source/classify/payload.js';

const MI = 'com.mi.globalbrowser';
const SA_HOST = 'sa.api.intl.miui.com';
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const SENSORS = readFileSync(fileURLToPath(new URL('../fixtures/classify/payload/sensors-page-load.form', import.meta.url)), 'utf8').trim();
const saFindings = inspectPayload({body: bytes(SENSORS), path: '/sa?project=global_browser_mini&r=RU'});
const analytics: Classification = {owner: 'Xiaomi', category: 'analytics', domain: 'miui.com', rule: '*.api.intl.miui.com'};

function ctx(over: Partial<UploadContext> = {}): UploadContext {
	return {ts: 1000, host: SA_HOST, classification: analytics, app: MI, packets: [12, 13], logLines: [4], findings: saFindings, encrypted: false, incognitoApps: [], visited: new VisitedSet(), ...over};
}

const kinds = (flags: Flag[]): string[] => flags.map((f) => f.kind).sort();
const only = (flags: Flag[], kind: Flag['kind']): Flag => {
	const f = flags.filter((x) => x.kind === kind);
	expect(f.length).toBe(1);
	return f[0]!;
};

describe('incognito-tracker', () => {
	it('names the endpoint (path without its query) so uploads to two endpoints of one host read apart', () => {
		const a = only(evaluateUpload(ctx({incognitoApps: [MI], path: '/track/key_get?x=1'})), 'incognito-tracker');
		const b = only(evaluateUpload(ctx({incognitoApps: [MI], path: '/track/v4'})), 'incognito-tracker');
		expect(a.summary).toContain(`${SA_HOST}/track/key_get `);
		expect(b.summary).toContain(`${SA_HOST}/track/v4 `);
		expect(a.summary).not.toContain('x=1');
	});

	it('is high when the browser in incognito uploads to analytics, with decoded evidence', () => {
		const f = only(evaluateUpload(ctx({incognitoApps: [MI]})), 'incognito-tracker');
		expect(f).toMatchObject({severity: 'high', ts: 1000, app: MI, host: SA_HOST, evidence: {packets: [12, 13], logLines: [4], payload: 'decoded', rule: '*.api.intl.miui.com'}});
		expect(f.summary).toBe(`analytics upload to ${SA_HOST} from ${MI} while in incognito (payload holds a URL)`);
		expect(f.evidence.excerpt).toContain('example.org/private-page');
	});

	it('is medium for another app with an encrypted payload, and says timing/size only', () => {
		const f = only(evaluateUpload(ctx({app: 'com.miui.home', findings: undefined, encrypted: true, bytesOut: 1234, incognitoApps: [MI]})), 'incognito-tracker');
		expect(f.severity).toBe('medium');
		expect(f.evidence.payload).toBe('encrypted');
		expect(f.summary.endsWith(' (encrypted: timing/size only)')).toBe(true);
		expect(f.summary).toContain(`by com.miui.home while ${MI}`);
		expect(f.evidence.excerpt).toContain('1234 B out');
	});

	it('says so when the sender is not attributed', () => {
		const f = only(evaluateUpload(ctx({app: undefined, encrypted: true, findings: undefined, incognitoApps: [MI]})), 'incognito-tracker');
		expect(f.severity).toBe('medium');
		expect(f.summary.startsWith(`analytics upload to ${SA_HOST} while com.mi.`)).toBe(true);
		expect(f.summary.endsWith(' (sender unknown; encrypted: timing/size only)')).toBe(true);
		expect(f.app).toBeUndefined();
	});

	it('treats an opaque body (OneTrack) as encrypted', () => {
		const opaque = inspectPayload({body: new Uint8Array(createHash('sha512').update('x').digest()), path: '/track/v4', headers: [['OT_SID', '1'], ['OT_protocol', '3.0']]});
		const flags = evaluateUpload(ctx({host: 'tracking.intl.miui.com', app: 'com.miui.home', findings: opaque, incognitoApps: [MI]}));
		expect(kinds(flags)).toEqual(['incognito-tracker']);
		expect(flags[0]!.evidence.payload).toBe('encrypted');
	});

	it('is not raised without incognito, or to first-party / browser-service destinations', () => {
		expect(kinds(evaluateUpload(ctx({incognitoApps: []})))).not.toContain('incognito-tracker');
		for (const category of ['first-party', 'browser-service', 'content', 'unknown'] as const) {
			expect(kinds(evaluateUpload(ctx({incognitoApps: [MI], classification: {category}})))).not.toContain('incognito-tracker');
		}
	});
});

describe('incognito-url-leak', () => {
	it('is high when a URL visited in incognito shows up in a third-party payload, with the decode layers', () => {
		const visited = new VisitedSet();
		visited.add('example.org/private-page', 900, MI);
		const flags = evaluateUpload(ctx({visited, incognitoApps: [MI]}));
		const f = only(flags, 'incognito-url-leak');
		expect(f.severity).toBe('high');
		expect(f.summary).toBe(`Incognito URL "example.org/private-page" sent to ${SA_HOST} by ${MI}`);
		expect(f.evidence.excerpt).toContain('form:data_list > base64 > gzip > json:[0].properties.url');
		expect(f.evidence.excerpt).toContain('https://example.org/private-page');
		expect(f.evidence.payload).toBe('decoded');
		// The incognito leak replaces the plain url-leak for the same payload.
		expect(kinds(flags)).not.toContain('url-leak');
	});

	it('catches a visited search term in a search event', () => {
		const visited = new VisitedSet();
		visited.add('www.google.com/search?q=rash+on+arm', 900, MI);
		const findings = inspectPayload({body: bytes(JSON.stringify([{event: 'search', properties: {search_word: 'rash on arm'}}]))});
		const f = only(evaluateUpload(ctx({visited, findings, incognitoApps: [MI]})), 'incognito-url-leak');
		expect(f.summary).toContain('Incognito search term "rash on arm"');
		expect(f.evidence.payload).toBe('plain');
	});

	it('is a url-leak, not an incognito one, once no browser is in incognito any more', () => {
		const visited = new VisitedSet();
		visited.add('example.org/private-page', 900, MI);
		const flags = evaluateUpload(ctx({visited, incognitoApps: []}));
		expect(kinds(flags)).not.toContain('incognito-url-leak');
		expect(kinds(flags)).not.toContain('incognito-tracker');
		const f = only(flags, 'url-leak');
		expect(f.severity).toBe('medium');
		expect(f.summary).toBe(`URL "example.org/private-page" (visited in incognito earlier) sent to ${SA_HOST} by ${MI}`);
		expect(f.evidence.excerpt).toContain('https://example.org/private-page');
	});

	it('is not raised for an unvisited URL, the site itself, or an encrypted payload', () => {
		const visited = new VisitedSet();
		visited.add('example.org/other-page', 900, MI);
		expect(kinds(evaluateUpload(ctx({visited})))).not.toContain('incognito-url-leak');
		const same = new VisitedSet();
		same.add('example.org/private-page', 900, MI);
		expect(kinds(evaluateUpload(ctx({visited: same, incognitoApps: [MI], host: 'www.example.org', classification: {category: 'content', domain: 'example.org'}})))).toEqual(['cleartext-identifier']);
		expect(kinds(evaluateUpload(ctx({visited: same, encrypted: true})))).toEqual([]);
	});
});

describe('url-leak', () => {
	it('is low for a URL in an analytics payload outside incognito, medium to browsing-data', () => {
		const f = only(evaluateUpload(ctx()), 'url-leak');
		expect(f.severity).toBe('low');
		expect(f.summary).toBe(`URL "https://example.org/private-page" sent to ${SA_HOST} (analytics) by ${MI}`);
		expect(f.evidence.excerpt).toContain('via form:data_list > base64 > gzip');
		expect(only(evaluateUpload(ctx({classification: {category: 'browsing-data'}})), 'url-leak').severity).toBe('medium');
	});

	it('is not raised to content or first-party destinations, for the destination\'s own URLs, or when encrypted', () => {
		expect(kinds(evaluateUpload(ctx({classification: {category: 'content'}})))).not.toContain('url-leak');
		expect(kinds(evaluateUpload(ctx({classification: {category: 'first-party'}})))).not.toContain('url-leak');
		const own = inspectPayload({body: bytes('{"endpoint":"https://sa.api.intl.miui.com/sa?project=x"}')});
		expect(evaluateUpload(ctx({findings: own}))).toEqual([]);
		expect(evaluateUpload(ctx({encrypted: true}))).toEqual([]);
	});
});

describe('cleartext-identifier', () => {
	it('is medium for the Android ID in a decodable payload', () => {
		const f = only(evaluateUpload(ctx()), 'cleartext-identifier');
		expect(f.severity).toBe('medium');
		expect(f.summary).toBe(`Android ID sent in a decodable payload to ${SA_HOST} by ${MI}`);
		expect(f.evidence.payload).toBe('decoded');
		expect(f.evidence.excerpt).toContain('[0].properties.$device_id=0123456789abcdef');
	});

	it('says "in clear" for a plain form and "decrypted TLS" for a keylog payload', () => {
		const plain = inspectPayload({body: bytes('android_id=0123456789abcdef&imei=490154203237518')});
		const f = only(evaluateUpload(ctx({findings: plain, classification: {category: 'content'}})), 'cleartext-identifier');
		expect(f.summary).toContain('Android ID, IMEI sent in clear');
		expect(f.evidence.payload).toBe('plain');
		expect(only(evaluateUpload(ctx({findings: plain, tls: true})), 'cleartext-identifier').summary).toContain('readable in decrypted TLS');
	});

	it('is not raised without identifiers or when encrypted', () => {
		const none = inspectPayload({body: bytes('device=0123456789abcdef&session=38400000-8cf0-11bd-b23e-10b96e40000d')});
		expect(evaluateUpload(ctx({findings: none}))).toEqual([]);
		expect(evaluateUpload(ctx({encrypted: true}))).toEqual([]);
	});
});

describe('summaries', () => {
	it('stay one line under 120 chars, keeping the encrypted caveat', () => {
		const enc = evaluateUpload(ctx({host: 'x'.repeat(200), app: 'y'.repeat(200), incognitoApps: ['z'.repeat(200)], encrypted: true, findings: undefined}));
		expect(enc[0]!.summary.length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
		expect(enc[0]!.summary).toContain('encrypted: timing/size only');
		const visited = new VisitedSet();
		visited.add(`example.org/private-page`, 1);
		const host = `${'very-long-label.'.repeat(10)}example.com`;
		const flags = evaluateUpload(ctx({host, app: 'com.example.'.repeat(10), incognitoApps: [MI, 'com.android.chrome', 'org.mozilla.firefox'], visited}));
		expect(flags.length).toBe(3);
		for (const f of flags) {
			expect(f.summary.length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
			expect(f.summary).not.toMatch(/\n/);
		}
	});
});

describe('payload incognito hint', () => {
	const privateDownload = (props: Record<string, unknown>): ReturnType<typeof inspectPayload> =>
		inspectPayload({body: bytes(JSON.stringify([{event: 'download_files', properties: {op: 'start', suffix: 'pdf', url: 'https://files.example/a.pdf', ...props}}]))});

	it('makes an analytics upload an incognito-tracker when no logcat signal says so, and says why', () => {
		const findings = privateDownload({type: 'privacy'});
		expect(findings.incognitoHint?.evidence).toContain('download_files type=privacy');
		const f = only(evaluateUpload(ctx({findings, incognitoApps: []})), 'incognito-tracker');
		expect(f.summary.endsWith(' (per payload hint)')).toBe(true);
		expect(f.summary).toContain(`from ${MI} while in incognito`);
		expect(f.evidence.excerpt).toContain('download_files type=privacy');
	});

	it('names the package from $app_id when the SDK sends it, and does nothing for type=general', () => {
		expect(privateDownload({type: 'privacy', $app_id: 'com.mi.globalbrowser.mini'}).incognitoHint?.pkg).toBe('com.mi.globalbrowser.mini');
		expect(privateDownload({type: 'privacy', $app_id: 'not a package'}).incognitoHint?.pkg).toBeUndefined();
		const general = privateDownload({type: 'general'});
		expect(general.incognitoHint).toBeUndefined();
		expect(kinds(evaluateUpload(ctx({findings: general, incognitoApps: []})))).not.toContain('incognito-tracker');
	});
});

describe('UI-usage events in excerpts', () => {
	it('follow the match when there is room, and never push the match out', () => {
		const visited = new VisitedSet();
		visited.add('example.org/private-page', 900, MI);
		const findings = inspectPayload({body: bytes(JSON.stringify({event: 'page_view', properties: {url: 'https://example.org/private-page', $screen_name: 'ReaderMode', folder: 'Bookmarks/Secret'}}))});
		expect(findings.uiEvents).toEqual(['page_view', 'screenname=ReaderMode', 'folder=Bookmarks/Secret']);
		const f = only(evaluateUpload(ctx({visited, findings, incognitoApps: [MI]})), 'incognito-url-leak');
		expect(f.evidence.excerpt).toMatch(/example\.org\/private-page.* \| ui: page_view, screenname=ReaderMode, folder=Bookmarks\/Secret$/);
		const long = inspectPayload({body: bytes(JSON.stringify({event: 'e'.repeat(80), url: `https://example.org/private-page?${'x'.repeat(150)}`}))});
		const g = only(evaluateUpload(ctx({visited, findings: long, incognitoApps: [MI]})), 'incognito-url-leak');
		expect(g.evidence.excerpt!.length).toBeLessThanOrEqual(200);
		expect(g.evidence.excerpt).toContain('example.org/private-page');
	});
});

describe('FlagDeduper', () => {
	it("adds a repeat's packets and log lines to the first flag (distinct, capped), and keeps URL leaks of two requests apart", () => {
		const d = new FlagDeduper(60);
		const [f] = evaluateUpload(ctx({incognitoApps: [MI], findings: undefined, encrypted: true}));
		expect(d.accept(f!)).toBe(true);
		const again = (packets: number[], logLines: number[]) => ({...f!, ts: f!.ts + 1, evidence: {...f!.evidence, packets, logLines}});
		expect(d.accept(again([12, 40, 41], [4, 9]))).toBe(false);
		expect(f!.evidence.packets).toEqual([12, 13, 40, 41]);
		expect(f!.evidence.logLines).toEqual([4, 9]);
		for (let i = 0; i < 100; i++) d.accept(again([1000 + i], []));
		expect(f!.evidence.packets.length).toBe(MAX_FLAG_EVIDENCE);
		const leak = {...f!, kind: 'url-leak' as const, count: undefined, evidence: {packets: [50, 51], logLines: []}};
		expect(d.accept(leak)).toBe(true);
		expect(d.accept({...leak, evidence: {packets: [50, 52], logLines: []}})).toBe(false);
		expect(d.accept({...leak, evidence: {packets: [60], logLines: []}})).toBe(true);
	});

	it('folds the same flag within the window into the first, counting it, and lets it through after', () => {
		const d = new FlagDeduper(60);
		const [f] = evaluateUpload(ctx({incognitoApps: [MI], findings: undefined, encrypted: true}));
		expect(d.accept(f!)).toBe(true);
		expect(f!.count).toBeUndefined();
		expect(d.accept({...f!, ts: f!.ts + 30})).toBe(false);
		expect(f!.count).toBe(2);
		const third = d.admit({...f!, ts: f!.ts + 59});
		expect(third).toEqual({accepted: false, original: f});
		expect(f!.count).toBe(3);
		const later = {...f!, ts: f!.ts + 61, count: undefined};
		expect(d.admit(later)).toEqual({accepted: true});
		expect(d.suppressed).toBe(2);
		// The window runs from the first flag of a run: repeats do not keep it open forever.
		expect(d.accept({...later, ts: later.ts + 1})).toBe(false);
		expect(later.count).toBe(2);
		expect(f!.count).toBe(3);
	});

	it('keeps different hosts, apps and matched strings apart', () => {
		const d = new FlagDeduper(60);
		const [f] = evaluateUpload(ctx({incognitoApps: [MI], findings: undefined, encrypted: true}));
		expect(d.accept(f!)).toBe(true);
		expect(d.accept({...f!, host: 'other.example'})).toBe(true);
		expect(d.accept({...f!, app: 'com.other'})).toBe(true);
		expect(d.accept(f!, 'example.org/a')).toBe(true);
		expect(d.accept(f!, 'example.org/b')).toBe(true);
		expect(d.accept(f!, 'example.org/a')).toBe(false);
	});

	it('forgets the oldest keys past its cap', () => {
		const d = new FlagDeduper(60, 3);
		const [f] = evaluateUpload(ctx({incognitoApps: [MI], findings: undefined, encrypted: true}));
		for (const m of ['a', 'b', 'c', 'd']) expect(d.accept(f!, m)).toBe(true);
		expect(d.accept(f!, 'a')).toBe(true);
		expect(d.accept(f!, 'd')).toBe(false);
	});
});
