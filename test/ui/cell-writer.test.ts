import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {CellWriter, rowUpdate, toCells} from '../../source/ui/cell-writer.js';
import {fixRewind} from '../../source/ui/rewind-fix.js';
import {VirtualTerminal} from './vterm.js';

const ESC = '\u001b';
const COLUMNS = 60;

/** Ink 6.8's incremental frame for `next` over `prev` (a frame ending in a newline), before the rewind fix. */
function inkFrame(prev: string[], next: string[]): string {
	let out = `${ESC}[${prev.length - 1}A`;
	for (const [i, line] of next.entries()) out += line === prev[i] ? `${ESC}[E` : `${ESC}[1G${line}${ESC}[K\n`;
	return out;
}

/** Paints `frames` on two terminals, Ink's bytes on one and the cell writer's on the other; both screens after each frame. */
function paintBoth(frames: string[][]): {ink: VirtualTerminal; cells: VirtualTerminal; inkBytes: number; cellBytes: number; screens: Array<[string[], string[]]>} {
	const rows = frames[0]!.length + 1;
	const ink = new VirtualTerminal(COLUMNS, rows);
	const cells = new VirtualTerminal(COLUMNS, rows);
	const writer = new CellWriter(() => COLUMNS);
	const first = `${frames[0]!.join('\n')}\n`;
	ink.write(first);
	cells.write(writer.transform(first));
	let inkBytes = 0;
	let cellBytes = 0;
	const screens: Array<[string[], string[]]> = [];
	for (let f = 1; f < frames.length; f++) {
		const chunk = fixRewind(inkFrame(frames[f - 1]!, frames[f]!));
		const out = writer.transform(chunk);
		inkBytes += chunk.length;
		cellBytes += out.length;
		ink.write(chunk);
		cells.write(out);
		screens.push([ink.styledScreen(), cells.styledScreen()]);
	}

	return {ink, cells, inkBytes, cellBytes, screens};
}

/** A dashboard-like row: a host, numbers and a sparkline, styled as chalk would. */
const row = (host: string, bytes: number, pkts: number, spark: string): string =>
	`${ESC}[1m${host.padEnd(24)}${ESC}[22m ${ESC}[36m${String(bytes).padStart(8)} B${ESC}[39m ${String(pkts).padStart(6)} ${ESC}[2m${spark}${ESC}[22m`;

describe('cell writer', () => {
	it('sends only the changed cells of a changed row, and the screen is the same as Ink leaves it', () => {
		const frames = Array.from({length: 6}, (_, f) => [
			'tattle · replay of a.pcap',
			row('api.example.com', 1000 + f * 37, 10 + f, '▁▂▃▄▅▆▇█'.slice(0, 1 + f)),
			row('tracker.example.net', 5000 + f * 1234, 40 + f * 3, '▃▃▄▄'),
			'q quit  ? help',
		]);
		const {screens, inkBytes, cellBytes} = paintBoth(frames);
		for (const [i, [ink, cells]] of screens.entries()) expect(cells, `frame ${i + 1}`).toEqual(ink);
		expect(cellBytes).toBeLessThan(inkBytes * 0.6);
	});

	it('a row that got shorter is erased past its end; a longer one is written on', () => {
		const prev = toCells(`abc ${ESC}[31mdef${ESC}[39m ghi`)!;
		const shorter = toCells('abc')!;
		// Column 4 (a space) looks the same as an erased cell: the erase starts at column 5.
		expect(rowUpdate(prev, shorter)).toBe(`${ESC}[5G${ESC}[K`);
		expect(rowUpdate(shorter, prev)).toBe(`${ESC}[5G${ESC}[31mdef${ESC}[0m ghi`);
		expect(rowUpdate(prev, prev)).toBe('');
	});

	it('style changes alone are sent (same characters, new colour)', () => {
		const a = toCells(`ok ${ESC}[32mgood${ESC}[39m`)!;
		const b = toCells(`ok ${ESC}[31mgood${ESC}[39m`)!;
		expect(rowUpdate(a, b)).toBe(`${ESC}[4G${ESC}[31mgood${ESC}[0m`);
	});

	it('lines it cannot model are written whole, as Ink would', () => {
		// Wide (CJK, emoji), zero-width joiners and escapes other than SGR: Ink's own bytes.
		// A line that leaves a style open (Ink never writes one) would colour the erase.
		for (const line of [`${ESC}[44mopen`, '小米浏览器 1 kB', 'a 👍 b', `x${ESC}]8;;http://a${ESC}\\\\link`, 'e\u0301']) expect(toCells(line)).toBeUndefined();
		const frames = [['one', 'two'], ['one', '小米 two'], ['one', '小米 too']];
		const {screens, inkBytes, cellBytes} = paintBoth(frames);
		for (const [ink, cells] of screens) expect(cells).toEqual(ink);
		expect(cellBytes).toBe(inkBytes);
	});

	it('forgets its rows on anything but an incremental frame, then writes each row whole once', () => {
		const writer = new CellWriter(() => COLUMNS);
		writer.transform(fixRewind(inkFrame(['a', 'b'], ['a1', 'b1'])));
		// A full repaint (Ink after a shrink): the writer cannot tell what it drew.
		writer.transform(`${ESC}[2K${ESC}[1A${ESC}[2K${ESC}[Gx1\ny1\n`);
		const chunk = fixRewind(inkFrame(['x1', 'y1'], ['x2', 'y1']));
		expect(writer.transform(chunk)).toBe(chunk);
		// Synchronized-update markers and cursor hide/show do not change what is on screen.
		writer.transform(`${ESC}[?2026h`);
		writer.transform(`${ESC}[?25l`);
		expect(writer.transform(fixRewind(inkFrame(['x2', 'y1'], ['x3', 'y1'])))).toBe(`${ESC}[2A${ESC}[2G3\n${ESC}[E`);
	});

	it('any sequence of styled frames leaves the screen Ink would (property)', () => {
		const text = fc.constantFrom('a', 'b', ' ', '·', '▁', '▅', '█', '0', '9', '─');
		const open = fc.constantFrom('1', '2', '3', '4', '7', '31', '92', '38;5;208', '48;5;17', '38;2;10;20;30', '44');
		const close = fc.constantFrom('0', '22', '23', '24', '27', '39', '49', '');
		const piece = fc.oneof(
			fc.array(text, {minLength: 1, maxLength: 6}).map(t => t.join('')),
			open.map(p => `${ESC}[${p}m`),
			close.map(p => `${ESC}[${p}m`),
		);
		// Ink closes every style at the end of each line (ansi-tokenize's styledCharsToString).
		const line = fc.array(piece, {maxLength: 14}).map(p => `${p.join('')}${ESC}[0m`);
		const frames = fc.integer({min: 1, max: 4}).chain(rows => fc.array(fc.array(line, {minLength: rows, maxLength: rows}), {minLength: 2, maxLength: 6}));
		fc.assert(
			fc.property(frames, (list) => {
				const {screens} = paintBoth(list);
				for (const [ink, cells] of screens) expect(cells).toEqual(ink);
			}),
			{seed: 15, numRuns: 400},
		);
	});
});
