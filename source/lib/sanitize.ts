/**
 * Display-safe strings. Every string that came from the network or the phone goes through
 * `sanitize` before it reaches the screen: host names, log text, app names, excerpts.
 * Width math uses string-width, the same measure Ink uses to lay out text. Truncation is ours,
 * not cli-truncate's (which Ink uses): that package is Ink's dependency, not ours, and it slices
 * ANSI-aware by code point, while text here has no escapes left and is cut by grapheme (a flag
 * emoji or an accented letter is never split), with an ASCII ellipsis for --ascii.
 */
import stringWidth from 'string-width';

/** Default cap on a sanitised string, in code units: longer than any column, short enough to bound work. */
export const SANITIZE_MAX = 512;

/** Input scanned is at most this many times `max`: escape sequences are stripped, so a little slack is needed. */
const SCAN_FACTOR = 4;

/** Unicode ellipsis and its ASCII stand-in (for --ascii and non-UTF-8 locales). */
const ELLIPSIS = '…';
const ASCII_ELLIPSIS = '...';

type TextOptions = {ascii?: boolean};

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

const segmenter = new Intl.Segmenter(undefined, {granularity: 'grapheme'});

/** Display width in terminal columns (wide CJK and emoji count 2). */
export function displayWidth(s: string): number {
	return stringWidth(s);
}

/** Graphemes with their widths, left to right. */
function graphemes(s: string): Array<[string, number]> {
	const parts: Array<[string, number]> = [];
	for (const {segment} of segmenter.segment(s)) parts.push([segment, stringWidth(segment)]);
	return parts;
}

/** Longest prefix of graphemes whose width fits in `width`. */
function takeStart(parts: Array<[string, number]>, width: number): string {
	let used = 0;
	let out = '';
	for (const [g, w] of parts) {
		if (used + w > width) break;
		out += g;
		used += w;
	}

	return out;
}

/** Longest suffix of graphemes whose width fits in `width`. */
function takeEnd(parts: Array<[string, number]>, width: number): string {
	let used = 0;
	let out = '';
	for (let i = parts.length - 1; i >= 0; i--) {
		const [g, w] = parts[i]!;
		if (used + w > width) break;
		out = g + out;
		used += w;
	}

	return out;
}

/** Cut to at most `max` code units, ending with an ellipsis: a storage cap (an excerpt, a summary), not a display width. */
export function truncateChars(s: string, max: number): string {
	return s.length > max ? s.slice(0, max - 1) + ELLIPSIS : s;
}

/** Truncate to `width` columns, keeping the start and ending with an ellipsis. */
export function truncateEnd(s: string, width: number, options: TextOptions = {}): string {
	if (width <= 0) return '';
	// Work is bounded by the width, not the input: a column takes at least one code unit, so
	// text longer than this is cut whatever its width (a hostile megabyte costs what a line does)
	const scan = width * SCAN_FACTOR + 64;
	const head = s.length > scan ? s.slice(0, scan) : s;
	if (head === s && stringWidth(s) <= width) return s;
	const mark = options.ascii ? ASCII_ELLIPSIS : ELLIPSIS;
	const markWidth = stringWidth(mark);
	if (width <= markWidth) return mark.slice(0, width);
	return takeStart(graphemes(head), width - markWidth) + mark;
}

/** Truncate to `width` columns with the ellipsis in the middle; the end gets the extra column (host names end in the domain). */
export function truncateMiddle(s: string, width: number, options: TextOptions = {}): string {
	if (width <= 0) return '';
	if (stringWidth(s) <= width) return s;
	const mark = options.ascii ? ASCII_ELLIPSIS : ELLIPSIS;
	const markWidth = stringWidth(mark);
	if (width <= markWidth) return mark.slice(0, width);
	const room = width - markWidth;
	const head = Math.floor(room / 2);
	const parts = graphemes(s);
	const start = takeStart(parts, head);
	const end = takeEnd(parts, room - stringWidth(start));
	return start + mark + end;
}

/** Truncate then pad to exactly `width` columns (wide characters that do not fit leave a space). */
export function fitWidth(
	s: string,
	width: number,
	options: TextOptions & {align?: 'left' | 'right'; truncate?: 'end' | 'middle'} = {},
): string {
	if (width <= 0) return '';
	const cut = options.truncate === 'middle' ? truncateMiddle(s, width, options) : truncateEnd(s, width, options);
	const pad = ' '.repeat(Math.max(0, width - stringWidth(cut)));
	return options.align === 'right' ? pad + cut : cut + pad;
}

/** Characters after which a wrapped line may break (words, URL parts, JSON separators). */
const BREAK_AFTER = new Set([' ', '/', '&', '?', ',', '=', ';', ':', '-', '+']);
/** A break is looked for at most this fraction of the width back; beyond it the word is split. */
const BREAK_LOOKBACK = 1 / 3;

/**
 * Wrap to lines of at most `width` columns, at most `maxLines` lines (the last one ends with an
 * ellipsis when cut). Breaks after spaces and URL separators when one is near, else mid-word.
 */
export function wrapWidth(s: string, width: number, maxLines: number, options: TextOptions = {}): string[] {
	if (width <= 0 || maxLines <= 0) return [];
	const lines: string[] = [];
	let line: Array<[string, number]> = [];
	let used = 0;
	const text = (parts: Array<[string, number]>): string => parts.map(([g]) => g).join('');
	for (const part of graphemes(s)) {
		if (used + part[1] > width && line.length > 0) {
			let cut = line.length;
			const lookback = Math.max(1, Math.floor(line.length * BREAK_LOOKBACK));
			for (let i = line.length - 1; i >= line.length - lookback; i--) {
				if (BREAK_AFTER.has(line[i]![0])) {
					cut = i + 1;
					break;
				}
			}

			const carry = line.slice(cut);
			lines.push(text(line.slice(0, cut)).trimEnd());
			if (lines.length >= maxLines) {
				lines[lines.length - 1] = truncateEnd(text(line) + part[0] + ' ', width, options);
				return lines;
			}

			line = carry;
			used = carry.reduce((n, [, w]) => n + w, 0);
		}

		line.push(part);
		used += part[1];
	}

	if (line.length > 0 || lines.length === 0) lines.push(text(line));
	return lines;
}
