import {render, type Instance} from 'ink';
import {$ui, setViewport} from '../stores/ui.js';
import {App} from './app.js';
import {computeLayout} from './layout.js';
import {cellWriterFor} from './cell-writer.js';
import {fixRewind, mapWrites} from './rewind-fix.js';
import {ThemeContext, type Theme} from './theme.js';

/** Frames per second at most: data changes 4 times a second; 15 keeps a key press within ~66 ms. */
export const MAX_FPS = 15;

export type RenderAppOptions = {
	/** False for --no-color / NO_COLOR. */
	color: boolean;
	/** True for --ascii or a non-UTF-8 locale. */
	ascii: boolean;
	/** Replay mode offers the speed and step keys. */
	mode?: 'live' | 'replay';
	/** Streams (tests, or a TTY other than the process's). */
	stdout?: NodeJS.WriteStream;
	stdin?: NodeJS.ReadStream;
	stderr?: NodeJS.WriteStream;
	/**
	 * Repaint only changed lines (default true): over SSH it cuts bytes written about tenfold.
	 * Runs with the Ink 6.8 rewind fix (rewind-fix.ts); false falls back to full repaints.
	 */
	incremental?: boolean;
	/**
	 * With `incremental`, rewrite only the changed cells of a changed line (default true):
	 * about half the bytes again on the dashboard (cell-writer.ts).
	 */
	cells?: boolean;
};

/** The root element with its theme, for renderApp and for tests. */
export function Root({theme}: {theme: Theme}) {
	return (
		<ThemeContext.Provider value={theme}>
			<App />
		</ThemeContext.Provider>
	);
}

/** Render the dashboard; the caller owns exit (`waitUntilExit`, `unmount`). */
export function renderApp(options: RenderAppOptions): Instance {
	const theme: Theme = {color: options.color, ascii: options.ascii, replay: options.mode === 'replay'};
	const stdout = options.stdout ?? process.stdout;
	// Budgets for the real size before the first frame, so it is not drawn twice.
	const ui = $ui.get();
	const first = computeLayout(stdout.columns || 80, stdout.rows || 24, {
		focus: ui.focus,
		variant: ui.layout,
		detail: ui.detail !== undefined,
		help: ui.help,
	});
	setViewport(first.budgets);
	const incremental = options.incremental ?? true;
	const cells = incremental && (options.cells ?? true) ? cellWriterFor(stdout) : undefined;
	return render(<Root theme={theme} />, {
		stdout: incremental ? mapWrites(stdout, (chunk) => (cells ? cells.transform(fixRewind(chunk)) : fixRewind(chunk))) : stdout,
		stdin: options.stdin ?? process.stdin,
		stderr: options.stderr ?? process.stderr,
		exitOnCtrlC: false,
		patchConsole: false,
		maxFps: MAX_FPS,
		incrementalRendering: incremental,
	});
}
