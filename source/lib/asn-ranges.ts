/**
 * The offline IP data as classify/ reads it: sorted AS ranges in typed arrays, an organisation
 * table and a country look-up, and the binary searches over the ranges. sources/geo-data.ts
 * builds and caches the tables; classify/geo.ts answers from them. Pure.
 */

/** Country look-up over an mmdb file (the mmdb-lib Reader fits; tests may pass a fake). */
export type CountryDb = {get(ip: string): unknown};

/**
 * Sorted, non-overlapping ranges. IPv4: one word per address; IPv6: four big-endian words per
 * address (row i is words 4i..4i+3), compared lexicographically.
 */
export type AsnRanges = {
	starts: Uint32Array;
	ends: Uint32Array;
	asn: Uint32Array;
	/** Index into GeoData.orgs. */
	org: Uint32Array;
	/** Row count. */
	count: number;
};

export type GeoData = {
	country?: CountryDb;
	v4: AsnRanges;
	v6: AsnRanges;
	orgs: string[];
	/** Version of the ASN data package the index was built from. */
	version: string;
	/** How the ASN index was obtained this time, and what it cost. */
	stats: {from: 'cache' | 'csv'; ms: number; bytes: number; cacheFile?: string; cacheError?: string};
};

/** Binary search over sorted disjoint IPv4 ranges; row index or -1. */
export function findV4(r: AsnRanges, ip: number): number {
	let lo = 0;
	let hi = r.count - 1;
	while (lo <= hi) {
		const mid = (lo + hi) >>> 1;
		if (r.starts[mid]! > ip) hi = mid - 1;
		else if (r.ends[mid]! < ip) lo = mid + 1;
		else return mid;
	}
	return -1;
}

/** Orders two IPv6 addresses stored as four words from offsets `ai` of `a` and `bi` of `b`. */
export function compare128(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
	for (let k = 0; k < 4; k++) {
		const x = a[ai + k]!;
		const y = b[bi + k]!;
		if (x !== y) return x < y ? -1 : 1;
	}
	return 0;
}

/** Binary search over sorted disjoint IPv6 ranges (four words a row); row index or -1. */
export function findV6(r: AsnRanges, w: Uint32Array): number {
	let lo = 0;
	let hi = r.count - 1;
	while (lo <= hi) {
		const mid = (lo + hi) >>> 1;
		if (compare128(r.starts, mid * 4, w, 0) > 0) hi = mid - 1;
		else if (compare128(r.ends, mid * 4, w, 0) < 0) lo = mid + 1;
		else return mid;
	}
	return -1;
}
