/**
 * Device identifiers in decoded strings: Android ID, IMEI, MAC address, advertising ID.
 * Ambiguous shapes (16 hex, a UUID) count only under a key that names them; shapes with a
 * checksum or a fixed layout (IMEI with Luhn, MAC) count anywhere.
 */

export type IdentifierKind = 'android-id' | 'imei' | 'mac' | 'advertising-id';

export type Identifier = {
	kind: IdentifierKind;
	value: string;
	/** The field key that carried it, when it came from a field. */
	key?: string;
	/** Decode chain, filled in by inspectPayload. */
	layers?: string;
};

/** Human names for summaries. */
export const IDENTIFIER_LABELS: Record<IdentifierKind, string> = {
	'android-id': 'Android ID',
	imei: 'IMEI',
	mac: 'MAC address',
	'advertising-id': 'advertising ID',
};

/** Most identifiers reported from one string: a batch repeats the same few ids. */
const MAX_IDENTIFIERS_PER_STRING = 16;
/** Longest string scanned for free-standing identifiers; longer strings are scanned up to here. */
const MAX_SCAN_CHARS = 64 * 1024;

/** Keys (normalised: lowercase, alphanumerics only) under which 16 hex chars are an Android ID. */
const ANDROID_ID_KEYS = new Set(['androidid', 'deviceid', 'ssaid', 'did', 'devid', 'aid']);
/** Keys under which a UUID is an advertising ID. */
const AD_ID_KEYS = new Set(['gaid', 'adid', 'advertisingid', 'idfa', 'aaid', 'googleadid', 'gpsadid', 'googleadvertisingid', 'oaid', 'adsid']);
/** Keys under which a 15-digit number is an IMEI even in a list ("imeis"). */
const IMEI_KEYS = new Set(['imei', 'imeis', 'imei1', 'imei2', 'deviceid', 'meid']);

/** MACs that identify nothing: Android's placeholder since 6.0, all-zero, broadcast. */
const PLACEHOLDER_MACS = new Set(['02:00:00:00:00:00', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff']);
/** The all-zero UUID means "limit ad tracking": no identifier. */
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** Lowercase, alphanumerics only, last path segment: "properties.$device_id" -> "deviceid". */
export function normaliseKey(key: string | undefined): string {
	if (!key) return '';
	// Hot path (every field of every payload): a backwards scan, no regex split.
	let end = key.length;
	while (end > 0 && isSeparator(key.charCodeAt(end - 1))) end--;
	let start = end;
	while (start > 0 && !isSeparator(key.charCodeAt(start - 1))) start--;
	let out = '';
	for (let i = start; i < end; i++) {
		let c = key.charCodeAt(i);
		if (c >= 65 && c <= 90) c += 32;
		if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) out += String.fromCharCode(c);
	}
	return out;
}

/** Path separators in flattened keys: "a.b", "a[0]", "a/b". */
function isSeparator(c: number): boolean {
	return c === 46 || c === 91 || c === 93 || c === 47;
}

/** Luhn check over a digit string. */
export function luhnValid(digits: string): boolean {
	if (!/^\d+$/.test(digits)) return false;
	let sum = 0;
	for (let i = 0; i < digits.length; i++) {
		let d = digits.charCodeAt(digits.length - 1 - i) - 48;
		if (i % 2 === 1) {
			d *= 2;
			if (d > 9) d -= 9;
		}
		sum += d;
	}
	return sum % 10 === 0;
}

/** An IMEI-shaped number with at least this many distinct digits (000000000000000 passes Luhn). */
const MIN_DISTINCT_IMEI_DIGITS = 4;

function plausibleImei(digits: string): boolean {
	return digits.length === 15 && luhnValid(digits) && new Set(digits).size >= MIN_DISTINCT_IMEI_DIGITS;
}

const MAC_RE = /(?<![0-9A-Fa-f:-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:-])/g;
const IMEI_RE = /(?<!\d)\d{15}(?!\d)/g;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Identifiers in one field value (or free text when key is undefined). */
export function findIdentifiers(value: string, key?: string): Identifier[] {
	const out: Identifier[] = [];
	const push = (kind: IdentifierKind, v: string): void => {
		if (out.length >= MAX_IDENTIFIERS_PER_STRING) return;
		if (out.some((i) => i.kind === kind && i.value === v)) return;
		out.push(key === undefined ? {kind, value: v} : {kind, value: v, key});
	};
	const nk = normaliseKey(key);
	const trimmed = value.trim();
	if (ANDROID_ID_KEYS.has(nk) && /^[0-9a-fA-F]{16}$/.test(trimmed) && !/^0+$/.test(trimmed)) push('android-id', trimmed);
	if (AD_ID_KEYS.has(nk) && UUID_RE.test(trimmed) && trimmed !== ZERO_UUID) push('advertising-id', trimmed.toLowerCase());
	// Most values are short words and numbers: skip the regex scans when no IMEI/MAC can fit.
	if (value.length < 15) return out;
	const text = value.length > MAX_SCAN_CHARS ? value.slice(0, MAX_SCAN_CHARS) : value;
	if (/\d{15}/.test(text)) for (const m of text.matchAll(IMEI_RE)) {
		if (out.length >= MAX_IDENTIFIERS_PER_STRING) break;
		// Under an IMEI key the Luhn digit still must hold; anywhere else it is all we have.
		if (plausibleImei(m[0]) || (IMEI_KEYS.has(nk) && luhnValid(m[0]) && !/^0+$/.test(m[0]))) push('imei', m[0]);
	}
	if (/[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}/.test(text)) for (const m of text.matchAll(MAC_RE)) {
		if (out.length >= MAX_IDENTIFIERS_PER_STRING) break;
		const mac = m[0].toLowerCase().replace(/-/g, ':');
		if (!PLACEHOLDER_MACS.has(mac)) push('mac', mac);
	}
	return out;
}
