/** --baseline on the dashboard in a real terminal (tmux): the new destination is marked, in Unicode and ASCII. */
import {afterEach, describe, expect, it} from 'vitest';
import {startTmux, type TmuxPane} from '../helpers/tmux.js';

/** The replay's last notice: from here on the screen only changes on a key press. */
const FINISHED = 'Replay finished';
/** Start-up, the baseline's headless replay and the demo at full speed, on a loaded machine. */
const WAIT_MS = 30_000;

const panes: TmuxPane[] = [];
afterEach(async () => {
	await Promise.all(panes.splice(0).map((p) => p.kill()));
});

describe('--baseline on the dashboard', () => {
	it.each([
		['', '✚', '·'],
		[' --ascii', '+', '|'],
	])('replay --baseline%s: the host the normal run never saw carries the mark, the title counts it', {timeout: 60_000}, async (extra, mark, sep) => {
		const pane = await startTmux({command: `node dist/cli.js replay captures/incognito-leak --speed max --baseline captures/normal-browsing${extra}`, width: 100, height: 30, color: false});
		panes.push(pane);
		const screen = await pane.waitFor(FINISHED, WAIT_MS);
		const row = (host: string) => screen.split('\n').find((l) => l.includes(host)) ?? '';
		expect(row('www.google.com')).toContain(`${mark} www.google.com`);
		expect(row('sa.api.intl.miui.com')).not.toContain(`${mark} sa.api`);
		expect(screen).toContain(` ${sep} 1 new ${sep} sort: `);
		await pane.sendKeys('q');
		await pane.waitFor(/EXIT=0/, 10_000);
	});
});
