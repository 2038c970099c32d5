/**
 * Display-safe strings. Every string that came from the network or the phone goes through
 * `sanitize` before it reaches the screen: host names, log text, app names, excerpts.
 * Width math uses string-width, the same measure Ink uses to lay out text. Truncation is ours,
 * not cli-truncate's (which Ink uses): that package is Ink's dependency, not ours, and it slices
 * ANSI-aware by code point, while text here has no escapes left and is cut by grapheme (a flag
 * emoji or an accented letter is never split), with an ASCII ellipsis for --ascii.
 */
import stringWidth from 'string-width';

import {ASCII_ELLIPSIS, ELLIPSIS, SCAN_FACTOR, type TextOptions} from './strip-controls.js';
export {SANITIZE_MAX, sanitize} from './strip-controls.js';

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
