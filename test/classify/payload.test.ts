import {readFileSync} from 'node:fs';
import {createHash} from 'node:crypto';
import {deflateRawSync, deflateSync, gzipSync} from 'node:zlib';
import {fileURLToPath} from 'node:url';
import {describe, it, expect} from 'vitest';
import {inspectPayload, isHostLike, MAX_EXCERPT_CHARS, MAX_UI_EVENT_CHARS, MAX_UI_EVENTS, MAX_URLS} from '../../source/classify/payload.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64');
const SENSORS = readFileSync(fileURLToPath(new URL('../fixtures/classify/payload/sensors-page-load.form', import.meta.url)), 'utf8').trim();

/** Deterministic pseudo-random bytes (MD5 in counter mode). */
function noise(n: number, seed = 'seed'): Uint8Array {
	const out = new Uint8Array(n);
	for (let i = 0; i < n; i += 16) out.set(createHash('md5').update(`${seed}:${i}`).digest().subarray(0, Math.min(16, n - i)), i);
	return out;
}

describe('inspectPayload: layers', () => {
	it('reveals the Sensors Analytics URL and Android ID with the full decode chain', () => {
		const f = inspectPayload({body: bytes(SENSORS), path: '/sa?project=global_browser_mini&r=RU'});
		expect(f.urls).toEqual(['https://example.org/private-page']);
		expect(f.layers).toContainEqual({kind: 'url', value: 'https://example.org/private-page', layers: 'form:data_list > base64 > gzip > json:[0].properties.url'});
		expect(f.identifiers).toEqual([
			{kind: 'android-id', value: '0123456789abcdef', key: '[0].properties.$device_id', layers: 'form:data_list > base64 > gzip > json:[0].properties.$device_id'},
		]);
		expect(f.fields).toContainEqual({key: 'project', value: 'global_browser_mini', layers: 'query:project'});
		expect(f.opaque).toBe(false);
		expect(f.excerpt).toBe('https://example.org/private-page via form:data_list > base64 > gzip > json:[0].properties.url');
	});

	it('reads search terms from the query string, form fields and JSON', () => {
		const f = inspectPayload({
			path: '/search?q=secret+illness&hl=en',
			body: bytes(JSON.stringify({event: 'x', props: {keyword: 'second term', wd: '第三'}})),
		});
		expect(f.searchTerms).toEqual(['secret illness', 'second term', '第三']);
		expect(f.layers.find((l) => l.value === 'secret illness')?.layers).toBe('query:q');
		expect(f.layers.find((l) => l.value === 'second term')?.layers).toBe('json:props.keyword');
	});

	it('follows URL-encoded URLs and their own query strings', () => {
		const f = inspectPayload({body: bytes(`u=${encodeURIComponent('https://www.google.com/search?q=rash+on+arm')}&v=1`)});
		expect(f.urls).toEqual(['https://www.google.com/search?q=rash+on+arm']);
		expect(f.searchTerms).toEqual(['rash on arm']);
		expect(f.layers.find((l) => l.kind === 'search')?.layers).toBe('form:u > url-query:q');
	});

	it('peels base64url > zlib > form inside a JSON value', () => {
		// Pick a padding that makes the base64url text use '-' or '_', so it cannot pass as plain base64.
		let encoded = '';
		for (let pad = 0; !/[-_]/.test(encoded); pad++) encoded = deflateSync(Buffer.from(`ref=https%3A%2F%2Fexample.net%2Fdeep&x=${'1'.repeat(pad)}`)).toString('base64url');
		const f = inspectPayload({body: bytes(JSON.stringify({blob: encoded}))});
		expect(f.urls).toEqual(['https://example.net/deep']);
		expect(f.layers[0]!.layers).toBe('json:blob > base64url > zlib > form:ref');
	});

	it('peels hex > gzip > JSON and a gzip body', () => {
		const hex = gzipSync(Buffer.from('{"page":"https://example.com/h"}')).toString('hex');
		const f = inspectPayload({body: gzipSync(Buffer.from(JSON.stringify({data: hex})))});
		expect(f.urls).toEqual(['https://example.com/h']);
		expect(f.layers[0]!.layers).toBe('gzip > json:data > hex > gzip > json:page');
	});

	it('inflates a raw-deflate body when Content-Encoding says deflate', () => {
		const f = inspectPayload({body: deflateRawSync(Buffer.from('{"url":"https://example.com/raw"}')), headers: [['Content-Encoding', 'deflate']]});
		expect(f.urls).toEqual(['https://example.com/raw']);
	});

	it('reads referer and cookie headers', () => {
		const f = inspectPayload({headers: [['Referer', 'https://example.org/ref-page'], ['Cookie', `a=1; ctx=${b64('{"adid":"38400000-8cf0-11bd-b23e-10b96e40000d"}')}`], ['User-Agent', 'Mozilla/5.0 (https://ua.example.com/)']]});
		expect(f.urls).toEqual(['https://example.org/ref-page']);
		expect(f.identifiers).toEqual([{kind: 'advertising-id', value: '38400000-8cf0-11bd-b23e-10b96e40000d', key: 'adid', layers: 'cookie:ctx > base64 > json:adid'}]);
	});
});

describe('inspectPayload: near misses', () => {
	it('does not treat words, versions, ids and package names as base64 or hosts', () => {
		const f = inspectPayload({
			body: bytes(JSON.stringify({a: 'SYNTHETIC_category', b: '3.4.0', c: 'V11.0.0.0.XXXXXXX', d: 'com.android.chrome', e: '00000000-1111-2222-3333-444444444444', g: 'page_load_event_finish'})),
		});
		expect(f.urls).toEqual([]);
		expect(f.layers).toEqual([]);
		expect(f.fields.length).toBeGreaterThan(0);
		expect(f.fields.every((x) => x.layers.startsWith('json:'))).toBe(true);
	});

	it('takes bare host and host/path values as URLs', () => {
		expect(isHostLike('news.example.com/story/1')).toBe(true);
		expect(isHostLike('example.org')).toBe(true);
		expect(isHostLike('com.mi.globalbrowser')).toBe(false);
		expect(isHostLike('1.2.3')).toBe(false);
		expect(isHostLike('hello world.com')).toBe(false);
		const f = inspectPayload({body: bytes('{"site":"news.example.com/story/1"}')});
		expect(f.urls).toEqual(['news.example.com/story/1']);
	});

	it('finds no search term under unrelated keys', () => {
		const f = inspectPayload({path: '/x?qq=1&question=no', body: bytes('{"title":"hello"}')});
		expect(f.searchTerms).toEqual([]);
	});
});

describe('inspectPayload: opaque and encrypted', () => {
	it('marks a high-entropy binary body opaque', () => {
		const f = inspectPayload({body: noise(2048)});
		expect(f.opaque).toBe(true);
		expect(f.encrypted).toBe(true);
		expect(f.entropy).toBeGreaterThan(7.5);
		expect(f.urls).toEqual([]);
	});

	it('marks a base64 text body of ciphertext opaque', () => {
		expect(inspectPayload({body: bytes(b64(noise(300)))}).opaque).toBe(true);
	});

	it('does not mark text, low-entropy binary or tiny bodies opaque', () => {
		expect(inspectPayload({body: bytes('{"a":1}')}).opaque).toBe(false);
		expect(inspectPayload({body: new Uint8Array(1000).fill(7)}).opaque).toBe(false);
		expect(inspectPayload({body: noise(16)}).opaque).toBe(false);
	});
});

describe('inspectPayload: bounds', () => {
	it('stops a gzip bomb at maxBytes without throwing', () => {
		const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024));
		const f = inspectPayload({body: bomb}, {maxBytes: 1024 * 1024});
		expect(f.truncated).toBe(true);
	});

	it('stops deep nesting at maxDepth', () => {
		let s = '{"url":"https://example.org/deep"}';
		for (let i = 0; i < 12; i++) s = b64(s);
		expect(inspectPayload({body: bytes(s)}, {maxDepth: 6}).urls).toEqual([]);
		expect(inspectPayload({body: bytes(s)}, {maxDepth: 6}).truncated).toBe(true);
		expect(inspectPayload({body: bytes(s)}, {maxDepth: 30}).urls).toEqual(['https://example.org/deep']);
	});

	it('caps URLs and keeps the excerpt short', () => {
		const urls = Array.from({length: 500}, (_, i) => `https://example.com/${'p'.repeat(300)}/${i}`);
		const f = inspectPayload({body: bytes(JSON.stringify(urls))});
		expect(f.urls.length).toBe(MAX_URLS);
		expect(f.truncated).toBe(true);
		expect(f.excerpt!.length).toBeLessThanOrEqual(MAX_EXCERPT_CHARS);
	});

	it('survives hostile bytes', () => {
		const deep = '['.repeat(100_000) + ']'.repeat(100_000);
		expect(inspectPayload({body: bytes(deep)}).truncated).toBe(true);
		const seeds = ['{"a":[[[[', 'a=%E0%A4%A&b=%', '\x1f\x8b\x08\x00garbage', 'x\x9c\x01\x02', '['.repeat(5000), 'H4sIAAAA'.repeat(10)];
		for (const s of seeds) expect(() => inspectPayload({body: bytes(s), path: s, headers: [['Cookie', s]]})).not.toThrow();
		for (let i = 0; i < 200; i++) {
			const body = noise(i * 7 + 1, `fuzz${i}`);
			// Plant magic bytes in some inputs so the decompressors see garbage too.
			if (i % 3 === 0 && body.length > 3) body.set([0x1f, 0x8b, 0x08]);
			if (i % 3 === 1 && body.length > 2) body.set([0x78, 0x9c]);
			expect(() => inspectPayload({body})).not.toThrow();
		}
	});
});

describe('inspectPayload: UI-usage events', () => {
	it('names SA events and screens from a real-shaped batch, and MiStat category/key counters', () => {
		const sa = inspectPayload({body: bytes(SENSORS), path: '/sa?project=global_browser_mini'});
		expect(sa.uiEvents.length).toBeGreaterThan(0);
		const named = sa.formatResults.flatMap((r) => r.events).map((e) => e.name).filter((name) => name !== '?');
		expect(named.length).toBeGreaterThan(0);
		for (const name of named) expect(sa.uiEvents).toContain(name);
		const mistat = inspectPayload({body: new TextEncoder().encode(JSON.stringify([{category: 'systemui', key: 'swipe_down_notification', type: 'count', value: 1}]))});
		expect(mistat.uiEvents).toContain('systemui/swipe_down_notification');
	});

	it('takes generic screen/page/folder/swipe/tab keys from forms and queries, not other keys', () => {
		const f = inspectPayload({path: '/log?screen=Home&tab=Incognito&swipe=left&page=settings&folder=Secret&color=blue', body: new TextEncoder().encode('activity=ReaderActivity&version=1.2.3')});
		expect(f.uiEvents).toEqual(['screen=Home', 'tab=Incognito', 'swipe=left', 'page=settings', 'folder=Secret', 'activity=ReaderActivity']);
	});

	it('keeps names short, single-line, deduped and capped', () => {
		const events = Array.from({length: MAX_UI_EVENTS + 20}, (_, i) => ({event: `e${i}`}));
		const f = inspectPayload({body: new TextEncoder().encode(JSON.stringify([...events, {event: 'e1'}, {event: 'x'.repeat(MAX_UI_EVENT_CHARS + 1)}, {event: 'a\nb'}]))});
		expect(f.uiEvents).toHaveLength(MAX_UI_EVENTS);
		expect(new Set(f.uiEvents).size).toBe(f.uiEvents.length);
		expect(f.truncated).toBe(true);
		const g = inspectPayload({body: new TextEncoder().encode(JSON.stringify([{event: 'x'.repeat(MAX_UI_EVENT_CHARS + 1)}, {event: 'a\nb'}, {event: '  '}]))});
		expect(g.uiEvents).toEqual([]);
	});
});

describe('inspectPayload: incognito hint', () => {
	it('reads a private-mode download_files event through base64 > gzip (the SA wire form)', () => {
		const events = JSON.stringify([{event: 'download_files', properties: {op: 'finish', suffix: 'apk', url: 'https://dl.example/x.apk', type: 'privacy'}}]);
		const dataList = gzipSync(events).toString('base64');
		const f = inspectPayload({body: new TextEncoder().encode(`crc=1&gzip=1&data_list=${encodeURIComponent(dataList)}`)});
		expect(f.incognitoHint?.evidence).toMatch(/^download_files type=privacy url=https:\/\/dl\.example\/x\.apk via form:data_list > base64 > gzip > json:\[0\]/);
		expect(f.incognitoHint?.pkg).toBeUndefined();
	});

	it('is absent for general downloads, other events and a type outside properties', () => {
		for (const body of [
			[{event: 'download_files', properties: {type: 'general'}}],
			[{event: 'page_load_event_start', properties: {type: 'privacy'}}],
			[{event: 'download_files', type: 'privacy'}],
			[{event: 'download_files', properties: 'type=privacy'}],
		]) expect(inspectPayload({body: new TextEncoder().encode(JSON.stringify(body))}).incognitoHint).toBeUndefined();
	});
});
