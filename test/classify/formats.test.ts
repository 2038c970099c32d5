import {readFileSync} from 'node:fs';
import {createCipheriv, createHash} from 'node:crypto';
import {gzipSync} from 'node:zlib';
import {fileURLToPath} from 'node:url';
import {describe, it, expect} from 'vitest';
import {inspectPayload} from '../../source/classify/payload.js';
import {decodeSensors} from '../../source/classify/formats/sensors.js';
import {decodeMistat, decryptStatValue, mistatKey} from '../../source/classify/formats/mistat.js';
import {recogniseOneTrack} from '../../source/classify/formats/onetrack.js';
import {javaStringHashCode, parseForm, percentDecode} from '../../source/classify/formats/codec.js';

const fixture = (name: string): string =>
	readFileSync(fileURLToPath(new URL(`../fixtures/classify/payload/${name}`, import.meta.url)), 'utf8').trim();
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

const SENSORS = fixture('sensors-page-load.form');
const MISTAT = fixture('mistat-v2.form');
const MISTAT_PLAIN = '[{"category":"SYNTHETIC_category","key":"SYNTHETIC_key","type":"count","value":1,"params":{"example":"value"}}]';

/** Deterministic pseudo-random bytes (MD5 in counter mode): a stand-in for ciphertext. */
function noise(n: number, seed = 'seed'): Uint8Array {
	const out = new Uint8Array(n);
	for (let i = 0; i < n; i += 16) out.set(createHash('md5').update(`${seed}:${i}`).digest().subarray(0, Math.min(16, n - i)), i);
	return out;
}

describe('javaStringHashCode', () => {
	it('matches Java String.hashCode, including 32-bit wrap-around', () => {
		expect(javaStringHashCode('')).toBe(0);
		expect(javaStringHashCode('hello')).toBe(99162322);
		expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
	});
});

describe('Sensors Analytics (research 6)', () => {
	it('decodes data_list, checks the crc and extracts the event', () => {
		const form = parseForm(SENSORS, 10)!;
		const r = decodeSensors(form, '', 1 << 20)!;
		expect(r.format).toBe('sensors');
		expect(r.crcMatched).toBe(true);
		expect(r.encrypted).toBe(false);
		expect(r.events).toEqual([
			{
				name: 'page_load_event_finish',
				url: 'https://example.org/private-page',
				deviceId: '0123456789abcdef',
				distinctId: '00000000-1111-2222-3333-444444444444',
			},
		]);
		expect(r.parts[0]!.chain).toBe('form:data_list > base64 > gzip');
		expect(JSON.parse(r.parts[0]!.text)[0].properties.miui_region).toBe('RU');
	});

	it('reports a crc mismatch when data_list was altered', () => {
		const tampered = SENSORS.replace('crc=571304198', 'crc=571304199');
		const r = decodeSensors(parseForm(tampered, 10)!, '', 1 << 20)!;
		expect(r.crcMatched).toBe(false);
		expect(r.notes).toContain('crc mismatch');
		// The content still decodes: the crc is an integrity check, not a key.
		expect(r.events[0]!.name).toBe('page_load_event_finish');
	});

	it('says gzip=9 and gzip=13 are encrypted and does not pretend to decode them', () => {
		for (const flag of ['9', '13']) {
			const r = decodeSensors([['crc', '1'], ['gzip', flag], ['data_list', Buffer.from(noise(96)).toString('base64')]], '', 1 << 20)!;
			expect(r.encrypted).toBe(true);
			expect(r.notes).toContain(`gzip=${flag}: encrypted`);
			expect(r.parts).toEqual([]);
		}
	});

	it('decodes a search event through inspectPayload with the decode chain', () => {
		const events = [{event: 'search', distinct_id: 'x', properties: {search_word: 'private cough remedy', used_searchengine: 'google'}}];
		const dataList = gzipSync(Buffer.from(JSON.stringify(events))).toString('base64');
		const body = `crc=${javaStringHashCode(dataList)}&gzip=1&data_list=${encodeURIComponent(dataList)}`;
		const f = inspectPayload({body: bytes(body), path: '/sa?project=global_browser_mini&r=RU'});
		expect(f.formats).toEqual(['sensors']);
		expect(f.formatResults[0]!.crcMatched).toBe(true);
		expect(f.formatResults[0]!.events[0]!.searchWord).toBe('private cough remedy');
		expect(f.searchTerms).toEqual(['private cough remedy']);
		expect(f.layers).toContainEqual({kind: 'search', value: 'private cough remedy', layers: 'form:data_list > base64 > gzip > json:[0].properties.search_word'});
	});

	it('is not recognised without data_list and gzip', () => {
		expect(decodeSensors([['crc', '1'], ['data', 'abc']], '', 1000)).toBeUndefined();
	});
});

describe('MiStat v2 (research 6)', () => {
	it('derives the documented key', () => {
		expect(mistatKey('2882303761500000000', '5000000000000', '0123456789ABCDEF0123456789ABCDEF')).toBe('A59B9DA7E5B7BF15');
	});

	it('decrypts stat_value to the documented plaintext', () => {
		const r = decodeMistat(parseForm(MISTAT, 20)!, '', 1 << 20)!;
		expect(r.encrypted).toBe(false);
		expect(r.parts).toEqual([{chain: 'form:stat_value > hex > aes-128-ecb', text: MISTAT_PLAIN}]);
		expect(r.events).toEqual([{name: 'SYNTHETIC_category/SYNTHETIC_key'}]);
	});

	it('walks the decrypted JSON through inspectPayload', () => {
		const f = inspectPayload({body: bytes(MISTAT), path: '/mistats/v2'});
		expect(f.formats).toEqual(['mistat']);
		expect(f.fields).toContainEqual({key: '[0].params.example', value: 'value', layers: 'form:stat_value > hex > aes-128-ecb > json:[0].params.example'});
		expect(f.encrypted).toBe(false);
	});

	it('reports encrypted when the key inputs do not match', () => {
		const wrong = MISTAT.replace('app_key=5000000000000', 'app_key=5000000000001');
		const r = decodeMistat(parseForm(wrong, 20)!, '', 1 << 20)!;
		expect(r.encrypted).toBe(true);
		expect(r.parts).toEqual([]);
		expect(decryptStatValue('abc', 'A59B9DA7E5B7BF15', 1000)).toBeUndefined();
	});

	it('round-trips a payload we encrypt the way the SDK does', () => {
		const key = mistatKey('1', '2', 'dev');
		const c = createCipheriv('aes-128-ecb', Buffer.from(key, 'latin1'), null);
		const hex = Buffer.concat([c.update('{"url":"https://example.net/x"}'), c.final()]).toString('hex');
		const f = inspectPayload({body: bytes(`app_id=1&app_key=2&device_id=dev&stat_value=${hex}`)});
		expect(f.urls).toEqual(['https://example.net/x']);
	});
});

describe('OneTrack v4 (research 3.3 layout)', () => {
	// JSON -> gzip -> AES-128-ECB under a session key we never see: what the phone sends.
	const sessionKey = Buffer.from('0011223344556677889900aabbccddee', 'hex');
	const events = [{H: {event: 'onetrack_pa', app_id: '31000000', imeis: ['490154203237518']}, B: {url: 'https://example.org/private-page'}}];
	const cipher = createCipheriv('aes-128-ecb', sessionKey, null);
	const body = Buffer.concat([cipher.update(gzipSync(Buffer.from(JSON.stringify(events)))), cipher.final()]);
	const headers: Array<[string, string]> = [
		['Content-Type', 'application/octet-stream'],
		['OT_SID', 'c0ffee00c0ffee00'],
		['OT_ts', '1588000000000'],
		['OT_net', 'WIFI'],
		['OT_sender', 'com.miui.home'],
		['OT_protocol', '3.0'],
	];

	it('recognises the upload as OneTrack, encrypted and opaque, and reads nothing out of it', () => {
		const f = inspectPayload({body: new Uint8Array(body), path: '/track/v4', contentType: 'application/octet-stream', headers});
		expect(f.formats).toContain('onetrack');
		expect(f.opaque).toBe(true);
		expect(f.encrypted).toBe(true);
		expect(f.urls).toEqual([]);
		expect(f.identifiers).toEqual([]);
		expect(f.formatResults[0]!.notes).toContain('OT_sender=com.miui.home');
	});

	it('recognises the session-key exchange and leaves secretKey alone', () => {
		const secretKey = Buffer.from(noise(128, 'rsa')).toString('base64');
		const f = inspectPayload({body: bytes(`secretKey=${encodeURIComponent(secretKey)}`), path: '/track/key_get'});
		expect(f.formats).toEqual(['onetrack']);
		expect(f.formatResults[0]!.consumed).toEqual(['secretKey']);
		expect(f.encrypted).toBe(true);
	});

	it('recognises OT_* headers on another path, and nothing on an unrelated request', () => {
		expect(recogniseOneTrack({headers, chain: '', maxOutput: 1000, path: '/x'})?.format).toBe('onetrack');
		expect(recogniseOneTrack({headers: [['Accept', '*/*']], chain: '', maxOutput: 1000, path: '/track/v3'})).toBeUndefined();
	});
});

describe('Clearcut / Firebase logging', () => {
	it('recognises a log batch and pulls readable URLs out of protobuf', () => {
		const url = 'https://example.com/watched?v=42';
		const proto = Buffer.concat([Buffer.from([0x08, 0x96, 0x01, 0x12, url.length]), Buffer.from(url), Buffer.from([0x18, 0x01, 0x20, 0x00, 0x00, 0x01, 0x02])]);
		const f = inspectPayload({body: new Uint8Array(proto), path: '/log/batch', contentType: 'application/x-protobuf'});
		expect(f.formats).toEqual(['clearcut']);
		expect(f.urls).toContain(url);
		expect(f.layers.find((l) => l.value === url)?.layers).toBe('strings');
	});
});

describe('codec helpers', () => {
	it('percentDecode never throws on malformed escapes', () => {
		expect(percentDecode('a%ZZb%41%')).toBe('a%ZZbA%');
		expect(percentDecode('a+b')).toBe('a b');
	});
});
