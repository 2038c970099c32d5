/**
 * IP address text: whether a string is an address (node's own parser), and addresses as numbers
 * for range look-ups (IPv4 as one 32-bit word, IPv6 as four big-endian words).
 */
import {isIP} from 'node:net';

/** True when the text is an IPv4 or IPv6 address (a zone suffix such as `%wlan0` allowed). */
export function isIpLiteral(text: string): boolean {
	return isIP(text) !== 0;
}

/** IPv4 dotted quad -> unsigned 32-bit number; undefined for anything else. */
export function parseIpv4(text: string): number | undefined {
	const parts = text.split('.');
	if (parts.length !== 4) return undefined;
	let value = 0;
	for (const part of parts) {
		if (part.length === 0 || part.length > 3 || !/^\d+$/.test(part)) return undefined;
		const n = Number(part);
		if (n > 255) return undefined;
		value = value * 256 + n;
	}
	return value;
}

/**
 * IPv6 text (with `::`, an embedded IPv4 tail or a `%zone`) -> four big-endian 32-bit words written into `out`.
 * Returns false (and leaves `out` unspecified) when the text is not an IPv6 address.
 */
export function parseIpv6(text: string, out: Uint32Array = new Uint32Array(4)): boolean {
	let s = text;
	const zone = s.indexOf('%');
	if (zone >= 0) s = s.slice(0, zone);
	if (s.length < 2 || s.length > 45) return false;
	const groups: number[] = [];
	const tailGroups = (part: string, into: number[]): boolean => {
		if (part === '') return true;
		const pieces = part.split(':');
		for (const [i, piece] of pieces.entries()) {
			if (i === pieces.length - 1 && piece.includes('.')) {
				const v4 = parseIpv4(piece);
				if (v4 === undefined) return false;
				into.push(v4 >>> 16, v4 & 0xff_ff);
			} else {
				if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return false;
				into.push(Number.parseInt(piece, 16));
			}
		}
		return true;
	};
	const gap = s.indexOf('::');
	if (gap >= 0) {
		if (s.indexOf('::', gap + 1) >= 0) return false;
		const head: number[] = [];
		const tail: number[] = [];
		if (!tailGroups(s.slice(0, gap), head) || !tailGroups(s.slice(gap + 2), tail)) return false;
		if (head.length + tail.length > 7) return false;
		groups.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
	} else if (!tailGroups(s, groups) || groups.length !== 8) return false;
	for (let i = 0; i < 4; i++) out[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0;
	return true;
}
