/**
 * Properties of the payload decoders: inspectPayload (layers of JSON, forms, percent, base64, hex,
 * gzip, zlib and deflate), the known-format recognisers in classify/formats/ and their codec
 * helpers. Arbitrary and mutated real bodies never throw and stay within every cap; a URL hidden
 * under a random chain of encodings is found, with that chain named.
 */
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {deflateSync, gzipSync} from 'node:zlib';
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {
	inspectPayload,
	MAX_EXCERPT_CHARS,
	MAX_FIELDS,
	MAX_SEARCH_TERMS,
	MAX_TEXT_SEGMENT_CHARS,
	MAX_TEXT_SEGMENTS,
	MAX_UI_EVENTS,
	MAX_URL_CHARS,
	MAX_URLS,
} from '../../source/classify/payload.js';
import {decodeBase64, inflateBounded, parseForm, percentDecode, unpadPkcs7} from '../../source/classify/formats/codec.js';
import {DEFAULT_RECOGNISERS, type FormatInput} from '../../source/classify/formats/index.js';
import {MAX_FORMAT_EVENTS} from '../../source/classify/formats/recogniser.js';
import {repoRoot} from '../helpers/corpus.js';
import {fuzzOptions, timed} from './fuzz-options.js';
import {bytesFor, mutated, payloadSeeds} from './real-inputs.js';

const seeds = payloadSeeds();
const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'classify', 'payload');
const fixtureBodies = readdirSync(FIXTURES)
	.filter((f) => f.endsWith('.form'))
	.map((f) => new Uint8Array(readFileSync(path.join(FIXTURES, f))));
/** HTTP request bodies of the real captures (what follows the head), and the fixture bodies. */
const bodies = [
	...fixtureBodies,
	...seeds.http.map((b) => {
		const end = Buffer.from(b).indexOf('\r\n\r\n');
		return end < 0 ? b : b.subarray(end + 4);
	}),
	gzipSync(Buffer.from('{"url":"https://example.org/a","q":"search words","android_id":"9774d56d682e549c"}')),
].filter((b) => b.length > 0);
const magic = fc.constantFrom([0x1f, 0x8b, 0x08], [0x78, 0x9c], [0x78, 0x01], [0x7b], [0x5b], []);
const header = fc.tuple(fc.constantFrom('Content-Encoding', 'Content-Type', 'Cookie', 'Referer', 'X-Data', 'Host'), fc.oneof(fc.constantFrom('deflate', 'gzip', 'application/json', 'application/x-www-form-urlencoded'), fc.string({maxLength: 80})));

describe('inspectPayload: any input', () => {
	it('no throw, every list and string within its cap, bounded time', () => {
		fc.assert(
			fc.property(bytesFor(bodies, 3000), magic, fc.string({maxLength: 200}), fc.array(header, {maxLength: 4}), fc.option(fc.string({maxLength: 40})), (body, prefix, p, headers, contentType) => {
				const b = prefix.length > 0 && body.length > prefix.length ? Uint8Array.from([...prefix, ...body.subarray(prefix.length)]) : body;
				const f = timed(() => inspectPayload({body: b, path: p, headers, contentType: contentType ?? undefined}));
				expect(f.urls.length).toBeLessThanOrEqual(MAX_URLS);
				for (const u of f.urls) expect(u.length).toBeLessThanOrEqual(MAX_URL_CHARS);
				expect(f.searchTerms.length).toBeLessThanOrEqual(MAX_SEARCH_TERMS);
				expect(f.fields.length).toBeLessThanOrEqual(MAX_FIELDS);
				expect(f.texts.length).toBeLessThanOrEqual(MAX_TEXT_SEGMENTS);
				for (const t of f.texts) expect(t.text.length).toBeLessThanOrEqual(MAX_TEXT_SEGMENT_CHARS);
				expect(f.uiEvents.length).toBeLessThanOrEqual(MAX_UI_EVENTS);
				expect((f.excerpt ?? '').length).toBeLessThanOrEqual(MAX_EXCERPT_CHARS);
				for (const r of f.formatResults) expect(r.events.length).toBeLessThanOrEqual(MAX_FORMAT_EVENTS);
			}),
			fuzzOptions(150),
		);
	});
});

// ---------------------------------------------------------------------------------------------
// Oracle: a URL under a random chain of encodings is found.

type Layer = 'json' | 'form' | 'base64' | 'base64url' | 'hex' | 'gzip' | 'zlib';
type Value = {text?: string; bytes?: Uint8Array};

const asBytes = (v: Value): Buffer => (v.bytes ? Buffer.from(v.bytes) : Buffer.from(v.text!, 'utf8'));

/** One encoding layer; binary layers (gzip, zlib) must be wrapped in a text one unless they are the body. */
function encode(v: Value, layer: Layer): Value {
	switch (layer) {
		case 'json':
			return {text: JSON.stringify({ts: 1_700_000_000, data: v.text})};
		case 'form':
			return {text: `v=2&data=${encodeURIComponent(v.text!)}&n=1`};
		case 'base64':
			return {text: asBytes(v).toString('base64')};
		case 'base64url':
			return {text: asBytes(v).toString('base64url')};
		case 'hex':
			return {text: asBytes(v).toString('hex')};
		case 'gzip':
			return {bytes: gzipSync(asBytes(v))};
		case 'zlib':
			return {bytes: deflateSync(asBytes(v))};
	}
}

/** Chains that end in text between layers: a text layer may follow anything, json/form need text. */
const chain: fc.Arbitrary<Layer[]> = fc.array(fc.constantFrom<Layer>('json', 'form', 'base64', 'base64url', 'hex', 'gzip', 'zlib'), {minLength: 1, maxLength: 4}).filter((ls) =>
	ls.every((l, i) => {
		const prev = ls[i - 1];
		const binaryBefore = prev === 'gzip' || prev === 'zlib';
		return !((l === 'json' || l === 'form' || l === 'gzip' || l === 'zlib') && binaryBefore);
	}),
);

describe('inspectPayload: oracle', () => {
	it('a URL under 1-4 layers of JSON, form, base64, hex, gzip and zlib is found', () => {
		const urlArb = fc.tuple(fc.stringMatching(/^[a-z]{3,10}$/), fc.stringMatching(/^[a-z0-9]{1,12}$/)).map(([h, p]) => `https://${h}.example.org/${p}`);
		fc.assert(
			fc.property(urlArb, chain, (url, layers) => {
				let v: Value = {text: JSON.stringify({url})};
				for (const l of layers) v = encode(v, l);
				// A whole body of padded base64 is the known bug below.
				if (v.text?.endsWith('=') && layers.at(-1) === 'base64') return;
				const f = inspectPayload({body: new Uint8Array(asBytes(v))});
				expect(f.urls, layers.join(' > ')).toContain(url);
				expect(f.truncated).toBe(false);
			}),
			fuzzOptions(300),
		);
	});
});

// Found by fuzzing, now fixed (classify/payload.ts): a body that is all base64 and ends in
// "=" padding is read as a form first (key = the base64 text, value "="), so it is never decoded
// and a URL inside is missed. Inside JSON or form values the same text decodes (visitString tries
// base64 before forms). Found by the oracle above (["base64"]).
describe('inspectPayload: a padded base64 body', () => {
	it('a whole body of padded base64 is decoded (fixture hostile/payload/base64-padded-body.txt)', () => {
		const body = readFileSync(path.join(repoRoot, 'test', 'fixtures', 'hostile', 'payload', 'base64-padded-body.txt'));
		expect(inspectPayload({body}).urls).toContain('https://leak.example.org/visited-page');
	});
});

// ---------------------------------------------------------------------------------------------
// Recognisers and codec helpers.

describe('format recognisers', () => {
	const form = fc.array(fc.tuple(fc.constantFrom('data_list', 'gzip', 'crc', 'stat_value', 'app_id', 'app_key', 'device_id', 'data', 'x'), fc.oneof(fc.string({maxLength: 60}), mutated(bodies).map((b) => Buffer.from(b).toString('base64')))), {maxLength: 6});
	it('every recogniser on any request: no throw, events and output bounded', () => {
		fc.assert(
			fc.property(fc.option(form), fc.option(bytesFor(bodies, 1000)), fc.array(header, {maxLength: 3}), fc.constantFrom('/sa', '/mistats/v2', '/track/v4', '/log', '/x'), fc.nat(1 << 16), (f, body, headers, p, maxOutput) => {
				const input: FormatInput = {path: p, headers, chain: '', maxOutput, ...(f ? {form: f} : {}), ...(body ? {body} : {})};
				for (const r of DEFAULT_RECOGNISERS) {
					const out = timed(() => r.recognise(input));
					if (!out) continue;
					expect(out.events.length).toBeLessThanOrEqual(MAX_FORMAT_EVENTS);
					expect(out.parts.reduce((n, x) => n + x.text.length, 0)).toBeLessThanOrEqual(Math.max(maxOutput, 0) + 64 * 1024);
				}
			}),
			fuzzOptions(250),
		);
	});
});

describe('codec helpers', () => {
	it('percentDecode never throws and undoes encodeURIComponent', () => {
		fc.assert(
			fc.property(fc.string({unit: 'grapheme', maxLength: 40}), fc.string({unit: 'binary', maxLength: 60}), (s, junk) => {
				expect(percentDecode(encodeURIComponent(s))).toBe(s);
				timed(() => percentDecode(junk));
			}),
			fuzzOptions(300),
		);
	});

	it('decodeBase64 gives back the bytes when it accepts; inflateBounded gives the input or says too large', () => {
		fc.assert(
			fc.property(fc.uint8Array({minLength: 12, maxLength: 400}), fc.boolean(), fc.nat(500), (b, url, max) => {
				const text = Buffer.from(b).toString(url ? 'base64url' : 'base64');
				const d = decodeBase64(text);
				if (d) expect(Buffer.from(d.bytes).equals(Buffer.from(b))).toBe(true);
				for (const [kind, packed] of [['gzip', gzipSync(b)], ['zlib', deflateSync(b)]] as const) {
					const r = inflateBounded(packed, kind, max);
					if (b.length <= max && max > 0) expect(Buffer.from(r.data ?? []).equals(Buffer.from(b))).toBe(true);
					else expect(r.tooLarge).toBe(true);
				}
			}),
			fuzzOptions(300),
		);
	});

	it('parseForm stays under its pair cap; unpadPkcs7 undoes PKCS#7 padding', () => {
		fc.assert(
			fc.property(fc.string({maxLength: 300}), fc.nat(20), fc.uint8Array({maxLength: 64}), (s, maxPairs, b) => {
				const pairs = timed(() => parseForm(s, maxPairs));
				if (pairs) expect(pairs.length).toBeLessThanOrEqual(maxPairs);
				const pad = 16 - (b.length % 16);
				const padded = Uint8Array.from([...b, ...new Array(pad).fill(pad)]);
				expect(Buffer.from(unpadPkcs7(padded)!).equals(Buffer.from(b))).toBe(true);
			}),
			fuzzOptions(300),
		);
	});
});
