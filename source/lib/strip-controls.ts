/**
 * Stripping what a terminal would act on (escape sequences, C0/C1 controls, bidi and invisible
 * characters) from untrusted strings. Apart from the width math in sanitize.ts, which re-exports
 * all of this, because it loads nothing: the first frame and the exit path use it before
 * string-width (tens of ms to load) is needed.
 */

/** Default cap on a sanitised string, in code units: longer than any column, short enough to bound work. */
export const SANITIZE_MAX = 512;

/** Input scanned is at most this many times `max`: escape sequences are stripped, so a little slack is needed. */
export const SCAN_FACTOR = 4;

/** Unicode ellipsis and its ASCII stand-in (for --ascii and non-UTF-8 locales). */
export const ELLIPSIS = '…';
export const ASCII_ELLIPSIS = '...';

export type TextOptions = {ascii?: boolean};

const ESC = 0x1b;
const BEL = 0x07;
const ST = 0x9c;

// Fast path: nothing to neutralise. Covers C0, DEL, C1, bidi controls, zero-width and
// separator characters, BOM, and surrogates (validated on the slow path).
const NEEDS_WORK = /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufe00-\ufe0f\ufeff\ufff9-\ufffb\ud800-\udfff]/;

/** Code points that are dropped: bidi overrides/isolates/marks and invisible formatting. */
function isInvisible(c: number): boolean {
	return (
		c === 0x061c ||
		(c >= 0x200b && c <= 0x200c) ||
		(c >= 0x200e && c <= 0x200f) ||
		(c >= 0x202a && c <= 0x202e) ||
		(c >= 0x2060 && c <= 0x2069) ||
		c === 0xfeff ||
		// Soft hyphen, grapheme joiner, Mongolian vowel separator, variation selectors, interlinear
		// annotation marks, tag characters: invisible, and able to make two names look alike.
		c === 0x00ad ||
		c === 0x034f ||
		c === 0x180e ||
		(c >= 0xfe00 && c <= 0xfe0f) ||
		(c >= 0xfff9 && c <= 0xfffb) ||
		(c >= 0xe0000 && c <= 0xe007f)
	);
}

/** Index after a control string (OSC, DCS, SOS, PM, APC) ended by BEL, ST or ESC \; the end when unterminated. */
function skipControlString(s: string, i: number): number {
	for (; i < s.length; i++) {
		const c = s.charCodeAt(i);
		if (c === BEL || c === ST) return i + 1;
		if (c === ESC) return s.charCodeAt(i + 1) === 0x5c ? i + 2 : i;
	}

	return i;
}

/** Index after a CSI sequence body: parameter and intermediate bytes, then one final byte. */
function skipCsi(s: string, i: number): number {
	for (; i < s.length; i++) {
		const c = s.charCodeAt(i);
		if (c >= 0x40 && c <= 0x7e) return i + 1;
		// Anything outside the CSI byte ranges ends a malformed sequence without eating text.
		if (c < 0x20 || c > 0x3f) return c >= 0x20 && c <= 0x2f ? i + 1 : i;
	}

	return i;
}

/** Index after an escape sequence that starts at s[i] === ESC. */
function skipEscape(s: string, i: number): number {
	const next = s.charCodeAt(i + 1);
	if (Number.isNaN(next)) return i + 1;
	if (next === 0x5b) return skipCsi(s, i + 2); // ESC [
	// ESC ] (OSC, e.g. window title), ESC P (DCS), ESC X (SOS), ESC ^ (PM), ESC _ (APC)
	if (next === 0x5d || next === 0x50 || next === 0x58 || next === 0x5e || next === 0x5f) {
		return skipControlString(s, i + 2);
	}

	// nF sequences: intermediates 0x20-0x2f then one final byte; Fp/Fe/Fs: one byte.
	let j = i + 1;
	while (j < s.length && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x2f) j++;
	return j < s.length ? j + 1 : j;
}

/** Strip terminal control sequences, C0/C1 controls and bidi/invisible characters; cap the length. */
export function sanitize(s: string, max: number = SANITIZE_MAX, options: TextOptions = {}): string {
	if (typeof s !== 'string') s = s === undefined || s === null ? '' : String(s);
	const limit = Math.max(0, Math.floor(max));
	if (!NEEDS_WORK.test(s)) return s.length <= limit ? s : capLength(s, limit, options);

	const input = s.length > limit * SCAN_FACTOR + 16 ? s.slice(0, limit * SCAN_FACTOR + 16) : s;
	const out: string[] = [];
	let length = 0;
	let i = 0;
	while (i < input.length && length <= limit) {
		const c = input.charCodeAt(i);
		if (c === ESC) {
			i = skipEscape(input, i);
		} else if (c === 0x9b) {
			i = skipCsi(input, i + 1);
		} else if (c === 0x9d || c === 0x90 || c === 0x98 || c === 0x9e || c === 0x9f) {
			i = skipControlString(input, i + 1);
		} else if (c === 0x09 || c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029) {
			// Layout characters become one space so words do not run together on a single line.
			if (out.length > 0 && out[out.length - 1] !== ' ') {
				out.push(' ');
				length++;
			}

			i++;
		} else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || isInvisible(c)) {
			i++;
		} else if (c >= 0xd800 && c <= 0xdbff) {
			const low = input.charCodeAt(i + 1);
			if (low >= 0xdc00 && low <= 0xdfff) {
				if (!isInvisible(0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00))) {
					out.push(input.slice(i, i + 2));
					length += 2;
				}
				i += 2;
			} else {
				out.push('\ufffd');
				length++;
				i++;
			}
		} else if (c >= 0xdc00 && c <= 0xdfff) {
			out.push('\ufffd');
			length++;
			i++;
		} else {
			out.push(input[i]!);
			length++;
			i++;
		}
	}

	const clean = out.join('');
	return clean.length <= limit ? clean : capLength(clean, limit, options);
}

/** Cut to `limit` code units without splitting a surrogate pair, marking the cut with an ellipsis. */
function capLength(s: string, limit: number, options: TextOptions): string {
	const mark = options.ascii ? ASCII_ELLIPSIS : ELLIPSIS;
	if (limit <= mark.length) return mark.slice(0, limit);
	let end = limit - mark.length;
	const c = s.charCodeAt(end - 1);
	if (c >= 0xd800 && c <= 0xdbff) end--;
	return s.slice(0, end) + mark;
}
