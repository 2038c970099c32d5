import {describe, it, expect} from 'vitest';
import {mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {
	decodeGeoIndex,
	defaultCacheDir,
	encodeGeoIndex,
	loadGeoData,
} from '../../source/sources/geo-data.js';

const asnDir = fileURLToPath(new URL('../fixtures/classify/asn/', import.meta.url));
const freshDir = () => mkdtempSync(join(tmpdir(), 'tattle-geo-test-'));

describe('loadGeoData from the fixture CSVs', () => {
	it('builds sorted ranges, merges adjacent rows of one AS, drops bad rows, unquotes orgs', async () => {
		const data = await loadGeoData({asnDir, cacheDir: null, countryFile: null});
		expect(data.stats.from).toBe('csv');
		expect(data.version).toBe('0.0.1-test/format-1');
		// Cloudflare, Gtelecom (two rows merged), Google, Hotwire, Alibaba, HOSTOFF; the junk and out-of-order rows are gone
		expect(data.v4.count).toBe(6);
		expect(Array.from(data.v4.asn)).toEqual([13335, 38803, 15169, 23089, 45102, 207513]);
		expect(data.v4.ends[1]).toBe(16779519);
		expect(data.orgs[data.v4.org[0]!]).toBe('Cloudflare, Inc.');
		expect(data.orgs[data.v4.org[5]!]).toBe('LLC "HOSTOFF CSL"');
		// The backwards IPv6 range is dropped
		expect(data.v6.count).toBe(3);
		expect(Array.from(data.v6.asn)).toEqual([6939, 15169, 15169]);
		for (let i = 1; i < data.v4.count; i++) expect(data.v4.starts[i]!).toBeGreaterThan(data.v4.ends[i - 1]!);
	});

	it('writes the cache once and reads it back on the next load', async () => {
		const dir = freshDir();
		const first = await loadGeoData({asnDir, cacheDir: dir, countryFile: null});
		expect(first.stats.from).toBe('csv');
		expect(first.stats.cacheFile).toBeDefined();
		expect(readdirSync(dir)).toEqual(['asn-index-0.0.1-test_format-1.bin']);
		const second = await loadGeoData({asnDir, cacheDir: dir, countryFile: null});
		expect(second.stats.from).toBe('cache');
		expect(Array.from(second.v4.starts)).toEqual(Array.from(first.v4.starts));
		expect(Array.from(second.v6.ends)).toEqual(Array.from(first.v6.ends));
		expect(second.orgs).toEqual(first.orgs);
	});

	it('rebuilds when the cache file is damaged', async () => {
		const dir = freshDir();
		const first = await loadGeoData({asnDir, cacheDir: dir, countryFile: null});
		const file = first.stats.cacheFile!;
		const bytes = readFileSync(file);
		writeFileSync(file, bytes.subarray(0, bytes.length - 3));
		const again = await loadGeoData({asnDir, cacheDir: dir, countryFile: null});
		expect(again.stats.from).toBe('csv');
		expect(again.v4.count).toBe(6);
	});

	it('falls back to memory when the cache folder cannot be written', async () => {
		const dir = freshDir();
		const blocker = join(dir, 'a-file');
		writeFileSync(blocker, 'not a folder');
		const data = await loadGeoData({asnDir, cacheDir: join(blocker, 'tattle'), countryFile: null});
		expect(data.stats.from).toBe('csv');
		expect(data.stats.cacheError).toBeDefined();
		expect(data.v4.count).toBe(6);
	});
});

describe('cache encoding', () => {
	it('round-trips and refuses another version or a wrong size', async () => {
		const data = await loadGeoData({asnDir, cacheDir: null, countryFile: null});
		const bytes = encodeGeoIndex(data);
		const back = decodeGeoIndex(bytes, data.version);
		expect(back?.orgs).toEqual(data.orgs);
		expect(Array.from(back!.v6.starts)).toEqual(Array.from(data.v6.starts));
		expect(decodeGeoIndex(bytes, 'other-version')).toBeUndefined();
		expect(decodeGeoIndex(bytes.subarray(0, 40), data.version)).toBeUndefined();
		expect(decodeGeoIndex(new Uint8Array(0), data.version)).toBeUndefined();
		// An unaligned copy still decodes (the reader copies to align)
		const unaligned = new Uint8Array(bytes.length + 1).subarray(1);
		unaligned.set(bytes);
		expect(decodeGeoIndex(unaligned, data.version)?.v4.count).toBe(data.v4.count);
	});
});

describe('defaultCacheDir', () => {
	it('prefers XDG_CACHE_HOME and falls back to ~/.cache', () => {
		expect(defaultCacheDir({XDG_CACHE_HOME: '/x/cache'})).toBe('/x/cache/tattle');
		expect(defaultCacheDir({})).toMatch(/\.cache\/tattle$/);
	});
});

describe('loadGeoData with the bundled databases', () => {
	it('loads the real ASN data and country database', async () => {
		const data = await loadGeoData({cacheDir: freshDir()});
		// ~410k IPv4 and ~100k IPv6 ranges in the 2026 data; a much smaller index means a parse failure
		expect(data.v4.count).toBeGreaterThan(300_000);
		expect(data.v6.count).toBeGreaterThan(50_000);
		expect(data.country).toBeDefined();
	}, 60_000);
});
