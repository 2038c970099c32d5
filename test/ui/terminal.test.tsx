import './env.js';
import {EventEmitter} from 'node:events';
import React from 'react';
import {render} from 'ink';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {applySnapshot, resetSession} from '../../source/stores/session-stores.js';
import {resetUi} from '../../source/stores/ui.js';
import {fixRewind} from '../../source/ui/rewind-fix.js';
import {renderApp, Root} from '../../source/ui/render.js';
import {DEFAULT_THEME} from '../../source/ui/theme.js';
import {buildDemoSnapshot, demoRates} from './demo-snapshot.js';
import {renderDashboard} from './render.js';
import {VirtualTerminal} from './vterm.js';

/** A TTY-like stdout that feeds a virtual terminal and keeps every write (Ink writes a frame in one). */
class TtyOut extends EventEmitter {
	isTTY = true;
	readonly term: VirtualTerminal;
	readonly writes: string[] = [];
	constructor(
		public columns: number,
		public rows: number,
	) {
		super();
		this.term = new VirtualTerminal(columns, rows);
	}

	write = (chunk: string): boolean => {
		this.writes.push(chunk);
		this.term.write(chunk);
		return true;
	};
}

class NoStdin extends EventEmitter {
	isTTY = false;
	setEncoding(): void {}
	setRawMode(): void {}
	resume(): void {}
	pause(): void {}
	ref(): void {}
	unref(): void {}
	read(): null {
		return null;
	}
}

/**
 * Waiting for a frame polls the output; nothing sleeps a fixed time against Ink's frame limit.
 * The timeout only bounds a hang: a loaded 2-core machine can take a while for one frame.
 */
const PAINT = {timeout: 10_000, interval: 2};

/** The demo session at a step: 1.5 s apart, so each step changes the totals line, row 2. */
const showStep = (step: number): void => applySnapshot(buildDemoSnapshot(3 + step * 1.5), demoRates(3 + step * 1.5));

/** A step's frame as written (every write since the step), and the screen it should leave (the debug renderer's frame). */
type Painted = {frame: string; want: string[]};

/**
 * Shows a step and waits until Ink has written its frame, known by the totals line the debug
 * renderer draws for it (every frame rewrites that line, drifted or not).
 */
async function paintStep(out: TtyOut, step: number, previous?: string[]): Promise<Painted> {
	const from = out.writes.length;
	showStep(step);
	const want = await expectedScreen(out.columns, out.rows);
	const totals = want[1]!;
	// Otherwise an older frame could pass for this one.
	expect(totals, `step ${step} changes the totals line`).not.toBe(previous?.[1]);
	// Ink writes a changed line whole; the cell writer only its changed cells, so the screen tells.
	const painted = (): boolean => out.writes.slice(from).some(w => w.includes(totals)) || out.term.screen()[1] === totals;
	await expect.poll(painted, PAINT).toBe(true);
	return {frame: out.writes.slice(from).join(''), want};
}

/** Paints steps 0..steps-1, each after the previous one's frame is out. */
async function paint(out: TtyOut, steps: number): Promise<Painted[]> {
	const painted: Painted[] = [];
	for (let step = 0; step < steps; step++) painted.push(await paintStep(out, step, painted.at(-1)?.want));
	return painted;
}

/** What the frame should look like, from the debug renderer at the same size. */
async function expectedScreen(columns: number, rows: number): Promise<string[]> {
	const view = await renderDashboard(columns, rows);
	const lines = view.lastFrame().split('\n').map(l => l.trimEnd());
	view.unmount();
	return [...lines, ...Array<string>(rows - lines.length).fill('')];
}

beforeEach(() => {
	resetSession();
	resetUi();
});

let stop: (() => void) | undefined;
afterEach(() => {
	stop?.();
	stop = undefined;
});

describe('real-terminal repaints', () => {
	it('fixRewind adds the missing row only to an incremental frame', () => {
		expect(fixRewind('\u001b[22Afoo')).toBe('\u001b[23Afoo');
		expect(fixRewind('\u001b[2K\u001b[1Afoo')).toBe('\u001b[2K\u001b[1Afoo');
		expect(fixRewind('plain')).toBe('plain');
	});

	it('incremental repaints leave the screen equal to the frame', async () => {
		const out = new TtyOut(80, 24);
		const app = renderApp({color: false, ascii: false, stdout: out as unknown as NodeJS.WriteStream, stdin: new NoStdin() as unknown as NodeJS.ReadStream});
		stop = () => app.unmount();
		let want: string[] | undefined;
		for (let step = 0; step < 12; step++) {
			({want} = await paintStep(out, step, want));
			// Every frame, not only the last, leaves the screen equal to it.
			expect(out.term.screen(), `step ${step}`).toEqual(want);
		}
	});

	it('without the fix, Ink 6.8 drifts (remove rewind-fix.ts when this fails after an Ink upgrade)', async () => {
		const out = new TtyOut(80, 24);
		const app = render(<Root theme={{...DEFAULT_THEME, color: false}} />, {
			stdout: out as unknown as NodeJS.WriteStream,
			stdin: new NoStdin() as unknown as NodeJS.ReadStream,
			exitOnCtrlC: false,
			patchConsole: false,
			maxFps: 15,
			incrementalRendering: true,
		});
		stop = () => app.unmount();
		const painted = await paint(out, 12);
		expect(out.term.screen()).not.toEqual(painted.at(-1)!.want);
	});

	it('incremental repaints write far fewer bytes than full repaints', async () => {
		/** Bytes of each step's frame: the first paints the whole screen either way, so it is left out. */
		const frameBytes = async (incremental: boolean, cells?: boolean): Promise<number[]> => {
			resetSession();
			const out = new TtyOut(80, 24);
			const app = renderApp({color: true, ascii: false, incremental, cells, stdout: out as unknown as NodeJS.WriteStream, stdin: new NoStdin() as unknown as NodeJS.ReadStream});
			stop = () => app.unmount();
			const painted = await paint(out, 8);
			app.unmount();
			stop = undefined;
			return painted.slice(1).map(p => p.frame.length);
		};

		const full = await frameBytes(false);
		const partial = await frameBytes(true, false);
		const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
		// The same frames in the same order: each incremental frame is smaller than its full repaint.
		for (const [i, bytes] of partial.entries()) expect(bytes, `frame ${i + 1}: ${bytes} vs ${full[i]} bytes`).toBeLessThan(full[i]!);
		expect(sum(partial)).toBeLessThan(sum(full) * 0.8);
	});
	it('the cell writer sends about half the bytes of whole changed lines and leaves the same coloured screen', async () => {
		/** Each step's bytes and styled screen, with or without the cell writer. */
		const paintWith = async (cells: boolean): Promise<{bytes: number[]; screens: string[][]}> => {
			resetSession();
			const out = new TtyOut(100, 30);
			const app = renderApp({color: true, ascii: false, cells, stdout: out as unknown as NodeJS.WriteStream, stdin: new NoStdin() as unknown as NodeJS.ReadStream});
			stop = () => app.unmount();
			const bytes: number[] = [];
			const screens: string[][] = [];
			let want: string[] | undefined;
			for (let step = 0; step < 10; step++) {
				let frame: string;
				({frame, want} = await paintStep(out, step, want));
				expect(out.term.screen(), `step ${step}`).toEqual(want);
				bytes.push(frame.length);
				screens.push(out.term.styledScreen());
			}

			app.unmount();
			stop = undefined;
			return {bytes: bytes.slice(1), screens};
		};

		const lines = await paintWith(false);
		const cells = await paintWith(true);
		// Colours and attributes too, cell by cell, after every step.
		expect(cells.screens).toEqual(lines.screens);
		const sum = (list: number[]) => list.reduce((a, b) => a + b, 0);
		expect(sum(cells.bytes), `${sum(cells.bytes)} vs ${sum(lines.bytes)} bytes`).toBeLessThan(sum(lines.bytes) * 0.7);
	});
});
