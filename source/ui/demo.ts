/**
 * Entry point (dev script, imported by nothing): the dashboard on the synthetic demo session, for looking at it in a terminal.
 * `node dist/source/ui/demo.js [--ascii] [--no-color] [--still SECONDS]`
 */
import {applySnapshot} from '../stores/session-stores.js';
import {setControls} from '../stores/controls.js';
import {buildDemoSnapshot} from './demo-snapshot.js';
import {renderApp} from './render.js';

/** The ingest flush period this imitates. */
const FLUSH_MS = 250;
/** Demo time runs this much faster than the clock, so flags appear within a few seconds. */
const DEMO_SPEED = 2;

const args = process.argv.slice(2);
const stillAt = args.includes('--still') ? Number(args[args.indexOf('--still') + 1] ?? 20) : undefined;
const startedAt = Date.now();
const elapsed = () => stillAt ?? ((Date.now() - startedAt) / 1000) * DEMO_SPEED;

applySnapshot(buildDemoSnapshot(elapsed()));
const app = renderApp({color: !args.includes('--no-color') && !process.env.NO_COLOR, ascii: args.includes('--ascii'), mode: 'live'});
const timer = setInterval(() => applySnapshot(buildDemoSnapshot(elapsed())), FLUSH_MS);
setControls({
	quit: () => {
		clearInterval(timer);
		app.unmount();
	},
	addMarker: () => undefined,
	toggleIncognito: () => undefined,
});
await app.waitUntilExit();
