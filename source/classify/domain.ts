/**
 * Host names: normalisation and the registrable domain (eTLD+1) used to group unknown destinations.
 */
import {getDomain} from 'tldts';
import {isIpLiteral} from '../lib/ip-address.js';

/** DNS names are at most 253 characters; anything longer is not a host name we should parse. */
const MAX_HOST_LENGTH = 253;

/**
 * Lower-cases, strips one trailing dot, IPv6 brackets and a `:port` suffix.
 * Returns '' for text that cannot be a host (empty or too long).
 */
export function normalizeHost(raw: string): string {
	let host = raw.trim().toLowerCase();
	if (host.startsWith('[')) {
		// [v6] or [v6]:port, as in URLs and Host headers
		const close = host.indexOf(']');
		host = close > 0 ? host.slice(1, close) : host.slice(1);
	} else {
		const colon = host.indexOf(':');
		// One colon followed by digits is host:port; more colons mean a bare IPv6 literal
		if (colon > 0 && colon === host.lastIndexOf(':') && /^\d+$/.test(host.slice(colon + 1))) host = host.slice(0, colon);
	}
	if (host.endsWith('.')) host = host.slice(0, -1);
	if (host.length === 0 || host.length > MAX_HOST_LENGTH) return '';
	return host.includes(':') ? canonicalIpv6(host) : host;
}

/** RFC 5952 text of an IPv6 literal (2001:DB8:0::1 -> 2001:db8::1), so rules and events compare equal; bad text is returned as is. */
export function canonicalIpv6(text: string): string {
	try {
		// The WHATWG URL parser serialises IPv6 hosts canonically and rejects malformed ones
		const hostname = new URL(`http://[${text}]/`).hostname;
		return hostname.slice(1, -1);
	} catch {
		return text;
	}
}

/**
 * Registrable domain (eTLD+1) of a host, e.g. a.b.example.co.uk -> example.co.uk.
 * Uses the ICANN part of the public suffix list only, so customer names under
 * cloud suffixes (d1.cloudfront.net) group under their registrant (cloudfront.net)
 * instead of making one group per host. IP literals and single labels return themselves.
 */
export function registrableDomain(host: string): string {
	const h = normalizeHost(host);
	if (h === '' || isIpLiteral(h)) return h;
	return getDomain(h, {allowPrivateDomains: false}) ?? h;
}
