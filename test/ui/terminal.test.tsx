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
import {buildDemoSnapshot} from './demo-snapshot.js';
import {renderDashboard} from './render.js';
import {VirtualTerminal} from './vterm.js';

/** A TTY-like stdout that feeds a virtual terminal. */
class TtyOut extends EventEmitter {
	isTTY = true;
	readonly term: VirtualTerminal;
	bytes = 0;
	constructor(
		public columns: number,
		public rows: number,
	) {
		super();
		this.term = new VirtualTerminal(columns, rows);
	}

	write = (chunk: string): boolean => {
		this.bytes += chunk.length;
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

/** Longer than one frame at 15 fps, so every snapshot is painted. */
const FRAME_WAIT_MS = 90;
const wait = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms));

/** Apply a changing session for a while, then return the terminal screen. */
async function paint(out: TtyOut, steps: number): Promise<string[]> {
	for (let s = 0; s < steps; s++) {
		applySnapshot(buildDemoSnapshot(3 + s * 1.5));
		await wait(FRAME_WAIT_MS);
	}

	// The throttle's trailing paint of the last snapshot.
	await wait(FRAME_WAIT_MS * 3);
	return out.term.screen();
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
		const screen = await paint(out, 12);
		expect(screen).toEqual(await expectedScreen(80, 24));
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
		const screen = await paint(out, 12);
		expect(screen).not.toEqual(await expectedScreen(80, 24));
	});

	it('incremental repaints write far fewer bytes than full repaints', async () => {
		const measure = async (incremental: boolean): Promise<number> => {
			resetSession();
			const out = new TtyOut(80, 24);
			const app = renderApp({color: true, ascii: false, incremental, stdout: out as unknown as NodeJS.WriteStream, stdin: new NoStdin() as unknown as NodeJS.ReadStream});
			await paint(out, 8);
			app.unmount();
			return out.bytes;
		};

		const full = await measure(false);
		const partial = await measure(true);
		expect(partial).toBeLessThan(full * 0.8);
	});
});
