/**
 * A render helper like ink-testing-library's, with a settable terminal size (its stdout is
 * fixed at 100 columns and has no rows). Debug mode: every commit is one frame.
 */
import './env.js';
import {EventEmitter} from 'node:events';
import React from 'react';
import {render as inkRender} from 'ink';
import {Root} from '../../source/ui/render.js';
import {DEFAULT_THEME, type Theme} from '../../source/ui/theme.js';

class FakeStdout extends EventEmitter {
	frames: string[] = [];
	constructor(
		public columns: number,
		public rows: number,
	) {
		super();
	}

	write = (frame: string): boolean => {
		this.frames.push(frame);
		return true;
	};
}

class FakeStdin extends EventEmitter {
	isTTY = true;
	data: string | null = null;
	write = (data: string): void => {
		this.data = data;
		this.emit('readable');
		this.emit('data', data);
	};

	read = (): string | null => {
		const {data} = this;
		this.data = null;
		return data;
	};

	setEncoding(): void {}
	setRawMode(): void {}
	resume(): void {}
	pause(): void {}
	ref(): void {}
	unref(): void {}
}

/** Lets React and Ink settle: a macrotask after input, as Shopify's helpers do. */
export {tick} from './tick.js';
import {tick} from './tick.js';

export type Rendered = {
	frames: string[];
	lastFrame: () => string;
	press: (...keys: string[]) => Promise<void>;
	resize: (columns: number, rows: number) => Promise<void>;
	unmount: () => void;
};

/** Key sequences terminals send. */
export const KEYS = {
	tab: '\t',
	shiftTab: '\u001b[Z',
	enter: '\r',
	escape: '\u001b',
	up: '\u001b[A',
	down: '\u001b[B',
	backspace: '\u007f',
	ctrlC: '\u0003',
} as const;

/** Render the whole dashboard at `columns` x `rows`. */
export async function renderDashboard(columns = 80, rows = 24, theme: Partial<Theme> = {}): Promise<Rendered> {
	const stdout = new FakeStdout(columns, rows);
	const stdin = new FakeStdin();
	const instance = inkRender(<Root theme={{...DEFAULT_THEME, color: false, ...theme}} />, {
		stdout: stdout as unknown as NodeJS.WriteStream,
		stderr: new FakeStdout(columns, rows) as unknown as NodeJS.WriteStream,
		stdin: stdin as unknown as NodeJS.ReadStream,
		debug: true,
		exitOnCtrlC: false,
		patchConsole: false,
	});
	await tick();
	return {
		frames: stdout.frames,
		lastFrame: () => stdout.frames.at(-1) ?? '',
		async press(...keys: string[]) {
			for (const k of keys) {
				stdin.write(k);
				await tick();
			}
		},
		async resize(c: number, r: number) {
			stdout.columns = c;
			stdout.rows = r;
			stdout.emit('resize');
			await tick();
		},
		unmount: () => {
			instance.unmount();
			instance.cleanup();
		},
	};
}
