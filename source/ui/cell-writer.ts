/**
 * Rewrites only the changed cells of a changed line (issue 15: <= 20 kB/s to the terminal).
 *
 * Ink 6.8's incremental writer rewrites every changed line whole: `ESC[1G` + the line + `ESC[K`.
 * On the dashboard every visible row changes each flush (bytes, packets, age, sparkline) while
 * most of its cells stay put, so over SSH most of those bytes repeat what the terminal shows.
 * This writer keeps each frame row as cells (character and style), and for a changed row sends
 * the runs of cells that differ: a column jump, the style at that cell, the cells, and an erase
 * only where the row got shorter.
 *
 * It never guesses: a row it does not know (after a full repaint, a resize, or a line with a
 * character whose width is not one column, or an escape other than SGR) is written as Ink wrote
 * it, and any chunk it does not recognise passes through unchanged and forgets every row.
 */
import stringWidth from 'string-width';

const ESC = '\u001B';
/** Ink's incremental frame after the rewind fix: the rewind to the frame's top row. */
const FRAME_START = /^\u001B\[(\d+)A/;
const LINE_START = `${ESC}[1G`;
const NEXT_LINE = `${ESC}[E`;
const ERASE_END = `${ESC}[K`;
const RESET = `${ESC}[0m`;
/** Runs of changed cells closer than this are sent as one (a jump and a style cost ~6-20 bytes). */
const MERGE_GAP = 8;

/** A style: SGR attributes reduced to one canonical parameter list ('' is the default style). */
type Style = string;

/** A line as cells: one character and one style per column. */
type Cells = {chars: string[]; styles: Style[]};

type SgrState = {
	intensity: string; // '' | '1' | '2' | '1;2'
	italic: boolean;
	underline: boolean;
	blink: boolean;
	inverse: boolean;
	hidden: boolean;
	strike: boolean;
	fg: string; // '' or the parameters that set it ('31', '38;5;208', '38;2;1;2;3')
	bg: string;
};

const plain = (): SgrState => ({intensity: '', italic: false, underline: false, blink: false, inverse: false, hidden: false, strike: false, fg: '', bg: ''});

/** The canonical parameter list of a state: equal strings look the same on screen. */
function styleOf(s: SgrState): Style {
	const p: string[] = [];
	if (s.intensity) p.push(s.intensity);
	if (s.italic) p.push('3');
	if (s.underline) p.push('4');
	if (s.blink) p.push('5');
	if (s.inverse) p.push('7');
	if (s.hidden) p.push('8');
	if (s.strike) p.push('9');
	if (s.fg) p.push(s.fg);
	if (s.bg) p.push(s.bg);
	return p.join(';');
}

/** Applies one SGR parameter list to `s`; false for a parameter this writer does not model. */
function applySgr(s: SgrState, params: string): boolean {
	if (params === '') {
		Object.assign(s, plain());
		return true;
	}

	if (params.includes(':')) return false;
	const p = params.split(';');
	for (let i = 0; i < p.length; i++) {
		const n = Number(p[i]);
		if (!Number.isInteger(n) || p[i] === '') return false;
		if (n === 0) Object.assign(s, plain());
		else if (n === 1) s.intensity = s.intensity === '2' || s.intensity === '1;2' ? '1;2' : '1';
		else if (n === 2) s.intensity = s.intensity === '1' || s.intensity === '1;2' ? '1;2' : '2';
		else if (n === 22) s.intensity = '';
		else if (n === 3) s.italic = true;
		else if (n === 23) s.italic = false;
		else if (n === 4) s.underline = true;
		else if (n === 24) s.underline = false;
		else if (n === 5) s.blink = true;
		else if (n === 25) s.blink = false;
		else if (n === 7) s.inverse = true;
		else if (n === 27) s.inverse = false;
		else if (n === 8) s.hidden = true;
		else if (n === 28) s.hidden = false;
		else if (n === 9) s.strike = true;
		else if (n === 29) s.strike = false;
		else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) s.fg = String(n);
		else if (n === 39) s.fg = '';
		else if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) s.bg = String(n);
		else if (n === 49) s.bg = '';
		else if (n === 38 || n === 48) {
			const mode = p[i + 1];
			const count = mode === '5' ? 1 : mode === '2' ? 3 : -1;
			if (count < 0 || i + 1 + count >= p.length) return false;
			const args = p.slice(i + 2, i + 2 + count);
			if (args.some(a => a === '' || !Number.isInteger(Number(a)) || Number(a) > 255)) return false;
			const value = [String(n), mode, ...args.map(a => String(Number(a)))].join(';');
			if (n === 38) s.fg = value;
			else s.bg = value;
			i += 1 + count;
		} else return false;
	}

	return true;
}

/** What `oneColumn` found for each BMP code point: 0 not asked yet, 1 one column, 2 not. */
const widthSeen = new Uint8Array(0x10000);

/** Whether a code point is surely one column wide (ASCII printable fast path, else string-width, once per code point). */
function oneColumn(ch: string, code: number): boolean {
	if (code >= 0x20 && code < 0x7f) return true;
	// Controls, and surrogates (astral: emoji, CJK extensions) are left to Ink.
	if (code < 0xa0 || (code >= 0xd800 && code <= 0xdfff)) return false;
	const seen = widthSeen[code]!;
	if (seen !== 0) return seen === 1;
	// Variation selectors, joiners and combining marks change their neighbours' width.
	const mark = (code >= 0x300 && code <= 0x36f) || (code >= 0x200b && code <= 0x200f) || (code >= 0xfe00 && code <= 0xfe0f);
	const one = !mark && stringWidth(ch) === 1;
	widthSeen[code] = one ? 1 : 2;
	return one;
}

/**
 * A line as cells, or undefined when it holds anything but SGR escapes and one-column
 * characters, or ends in a style other than the default (then it is written whole, as Ink
 * would: its erase to the end of the row takes that style's background).
 */
export function toCells(line: string, maxColumns = Number.POSITIVE_INFINITY): Cells | undefined {
	const chars: string[] = [];
	const styles: Style[] = [];
	const state = plain();
	let style = '';
	for (let i = 0; i < line.length; i++) {
		const code = line.charCodeAt(i);
		if (code === 0x1b) {
			if (line[i + 1] !== '[') return undefined;
			let j = i + 2;
			while (j < line.length && /[0-9;:]/.test(line[j]!)) j++;
			if (line[j] !== 'm') return undefined;
			if (!applySgr(state, line.slice(i + 2, j))) return undefined;
			style = styleOf(state);
			i = j;
			continue;
		}

		const ch = line[i]!;
		if (!oneColumn(ch, code)) return undefined;
		chars.push(ch);
		styles.push(style);
		if (chars.length > maxColumns) return undefined;
	}

	// A style left open would colour Ink's erase to the end of the row.
	if (style !== '') return undefined;
	return {chars, styles};
}

const sgr = (style: Style): string => `${ESC}[${style}m`;

/** The cells [from, to) of `next` written from the default style; ends in the default style. */
function writeCells(next: Cells, from: number, to: number): string {
	let out = `${ESC}[${from + 1}G`;
	let style = '';
	for (let c = from; c < to; c++) {
		const s = next.styles[c]!;
		if (s !== style) {
			out += s === '' ? RESET : style === '' ? sgr(s) : RESET + sgr(s);
			style = s;
		}

		out += next.chars[c];
	}

	return style === '' ? out : out + RESET;
}

/**
 * What turns a row showing `prev` into `next`, from any column of that row, ending on that row
 * in the default style; '' when they look the same. Blank cells past a line's end look like
 * erased cells (a space in the default style).
 */
export function rowUpdate(prev: Cells, next: Cells): string {
	const width = Math.max(prev.chars.length, next.chars.length);
	const same = (c: number): boolean =>
		(c < prev.chars.length ? prev.chars[c]! : ' ') === (c < next.chars.length ? next.chars[c]! : ' ') &&
		(c < prev.chars.length ? prev.styles[c]! : '') === (c < next.chars.length ? next.styles[c]! : '');
	let out = '';
	let c = 0;
	while (c < width) {
		if (same(c)) {
			c++;
			continue;
		}

		// A run of changed cells, joined with the next run while the gap is short.
		const start = c;
		let end = c + 1;
		for (let k = end; k < width && k - end < MERGE_GAP; k++) if (!same(k)) end = k + 1;
		if (end > next.chars.length) {
			// The row got shorter here: write up to its end, erase the rest.
			out += writeCells(next, start, next.chars.length) + ERASE_END;
			break;
		}

		out += writeCells(next, start, end);
		c = end;
	}

	return out;
}

/** A line as Ink writes it (whole), for rows this writer does not know. */
const wholeLine = (line: string): string => LINE_START + line + ERASE_END;

/**
 * Keeps the frame's rows and rewrites Ink's incremental frames cell by cell. One per stream
 * (see withCellWriter); `transform` takes each chunk Ink writes, after the rewind fix.
 */
export class CellWriter {
	private rows: Array<Cells | undefined> = [];

	constructor(private readonly columns: () => number) {}

	/** Forget every row: the next change of each is written whole. */
	reset(): void {
		this.rows = [];
	}

	transform(chunk: string): string {
		const start = FRAME_START.exec(chunk);
		if (!start) {
			if (!isStateless(chunk)) this.reset();
			return chunk;
		}

		const updates = this.frame(chunk, start[0].length);
		if (updates === undefined) {
			this.reset();
			return chunk;
		}

		return start[0] + updates;
	}

	/** The frame's rows rewritten, or undefined when the chunk is not what Ink 6.8 writes. */
	private frame(chunk: string, from: number): string | undefined {
		const parts: string[] = [];
		const learnt: Array<[number, Cells | undefined]> = [];
		let p = from;
		let row = 0;
		while (p < chunk.length) {
			if (chunk.startsWith(NEXT_LINE, p)) {
				parts.push(NEXT_LINE);
				p += NEXT_LINE.length;
				row++;
				continue;
			}

			if (!chunk.startsWith(LINE_START, p)) return undefined;
			const end = chunk.indexOf(ERASE_END, p + LINE_START.length);
			if (end < 0) return undefined;
			const line = chunk.slice(p + LINE_START.length, end);
			p = end + ERASE_END.length;
			const newline = chunk[p] === '\n';
			if (newline) p++;
			else if (p < chunk.length) return undefined;
			const next = toCells(line, this.columns());
			const prev = this.rows[row];
			parts.push((prev && next ? rowUpdate(prev, next) : wholeLine(line)) + (newline ? '\n' : ''));
			learnt.push([row, next]);
			row++;
		}

		for (const [r, cells] of learnt) this.rows[r] = cells;
		return parts.join('');
	}
}

/** Chunks that change no row: Ink's synchronized-update markers and cursor show/hide. */
function isStateless(chunk: string): boolean {
	return /^(?:\u001B\[\?(?:2026|25)[hl])*$/.test(chunk);
}

/** A cell writer for a stream of `columns` (read at each frame) that forgets its rows on resize. */
export function cellWriterFor(stream: NodeJS.WriteStream): CellWriter {
	const writer = new CellWriter(() => stream.columns || 80);
	if (typeof stream.on === 'function') stream.on('resize', () => writer.reset());
	return writer;
}
