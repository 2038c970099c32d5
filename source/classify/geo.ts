/**
 * IP facts for a destination: scope (private, loopback...) from the address alone, and for public
 * addresses country, AS number and AS organisation from the loaded offline data. Pure over its data.
 */
import type {IpInfo} from '../types.js';
import {findV4, findV6, type AsnRanges, type GeoData} from '../lib/asn-ranges.js';
import {parseIpv4, parseIpv6} from '../lib/ip-address.js';

/** Distinct IPs remembered: a phone session talks to a few thousand; past this the memo is cleared and refilled. */
export const MAX_MEMO_IPS = 20_000;

/** Longest IP text accepted (a full IPv6 with an IPv4 tail and a zone fits); longer text is not an address. */
const MAX_IP_TEXT = 64;

type Scope = IpInfo['scope'];

/** [network, prefix length, scope] for IPv4; checked in order, first match wins. */
const V4_SCOPES: Array<[string, number, Scope]> = [
	['0.0.0.0', 8, 'reserved'], // "this network"
	['10.0.0.0', 8, 'private'],
	['100.64.0.0', 10, 'private'], // carrier-grade NAT (RFC 6598)
	['127.0.0.0', 8, 'loopback'],
	['169.254.0.0', 16, 'link-local'],
	['172.16.0.0', 12, 'private'],
	['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
	['192.0.2.0', 24, 'reserved'], // documentation
	['192.168.0.0', 16, 'private'],
	['198.18.0.0', 15, 'reserved'], // benchmarking
	['198.51.100.0', 24, 'reserved'],
	['203.0.113.0', 24, 'reserved'],
	['224.0.0.0', 4, 'multicast'],
	['240.0.0.0', 4, 'reserved'], // includes 255.255.255.255 broadcast
];

const V4_TABLE = V4_SCOPES.map(([net, bits, scope]) => {
	const mask = bits === 0 ? 0 : (0xff_ff_ff_ff << (32 - bits)) >>> 0;
	return {net: (parseIpv4(net)! & mask) >>> 0, mask, scope};
});

/** Scope of an IPv4 address given as a 32-bit number. */
export function ipv4Scope(ip: number): Scope {
	for (const {net, mask, scope} of V4_TABLE) if (((ip & mask) >>> 0) === net) return scope;
	return 'public';
}

/** Scope of an IPv6 address given as four big-endian words (IPv4-mapped addresses are handled by the caller). */
function ipv6Scope(w: Uint32Array): Scope {
	const [a, b, c, d] = [w[0]!, w[1]!, w[2]!, w[3]!];
	if (a === 0 && b === 0 && c === 0 && (d === 0 || d === 1)) return d === 1 ? 'loopback' : 'reserved';
	const top16 = a >>> 16;
	if ((top16 & 0xfe_00) === 0xfc_00) return 'private'; // fc00::/7 unique local
	if ((top16 & 0xff_c0) === 0xfe_80) return 'link-local'; // fe80::/10
	if ((top16 & 0xff_00) === 0xff_00) return 'multicast'; // ff00::/8
	if (a === 0x20_01_0d_b8) return 'reserved'; // 2001:db8::/32 documentation
	if (a === 0x01_00_00_00 && b === 0) return 'reserved'; // 100::/64 discard
	// Only 2000::/3 is allocated as global unicast
	if ((a >>> 29) !== 0b001) return 'reserved';
	return 'public';
}

function countryOf(data: GeoData | undefined, ip: string): string | undefined {
	if (data?.country === undefined) return undefined;
	try {
		const hit = data.country.get(ip) as {country_code?: unknown} | null | undefined;
		const code = hit?.country_code;
		return typeof code === 'string' && /^[A-Z]{2}$/.test(code) ? code : undefined;
	} catch {
		// mmdb-lib throws on text it cannot parse; an unknown country is the honest answer
		return undefined;
	}
}

function publicInfo(data: GeoData | undefined, ip: string, row: number, ranges: AsnRanges | undefined): IpInfo {
	const info: IpInfo = {scope: 'public'};
	const country = countryOf(data, ip);
	if (country !== undefined) info.country = country;
	if (data !== undefined && ranges !== undefined && row >= 0) {
		info.asn = ranges.asn[row]!;
		const org = data.orgs[ranges.org[row]!];
		if (org !== undefined && org !== '') info.asOrg = org;
	}
	return info;
}

function describe(data: GeoData | undefined, raw: string, words: Uint32Array): IpInfo {
	const text = raw.trim().replace(/^\[|\]$/g, '');
	const v4 = parseIpv4(text);
	if (v4 !== undefined) {
		const scope = ipv4Scope(v4);
		return scope === 'public' ? publicInfo(data, text, data ? findV4(data.v4, v4) : -1, data?.v4) : {scope};
	}
	if (!parseIpv6(text, words)) return {scope: 'reserved'};
	// ::ffff:a.b.c.d is an IPv4 address in IPv6 clothing: look it up as IPv4
	if (words[0] === 0 && words[1] === 0 && words[2] === 0xff_ff) {
		const mapped = words[3]!;
		return describe(data, [mapped >>> 24, (mapped >>> 16) & 255, (mapped >>> 8) & 255, mapped & 255].join('.'), words);
	}
	const scope = ipv6Scope(words);
	return scope === 'public' ? publicInfo(data, text, data ? findV6(data.v6, words) : -1, data?.v6) : {scope};
}

/** Returns a memoised IP -> IpInfo look-up over the loaded data (scopes only when data is absent). */
export function createIpInfo(data?: GeoData): (ip: string) => IpInfo {
	const memo = new Map<string, IpInfo>();
	const words = new Uint32Array(4);
	return (ip: string): IpInfo => {
		if (ip.length > MAX_IP_TEXT) return {scope: 'reserved'};
		const known = memo.get(ip);
		if (known !== undefined) return known;
		const info = Object.freeze(describe(data, ip, words));
		if (memo.size >= MAX_MEMO_IPS) memo.clear();
		memo.set(ip, info);
		return info;
	};
}
