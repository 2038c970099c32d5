/**
 * `e` writes the same report as --report at exit (issue 12, live-mode defect 8): the same input
 * record, the same snapshot, after the same look-ups. Through the CLI, in a real terminal.
 */
import {copyFileSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {needTool} from '../helpers/tools.js';
import {shellQuote, startTmux, type TmuxPane} from '../helpers/tmux.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-export-'));
let pane: TmuxPane | undefined;
afterEach(async () => pane?.kill());
afterAll(() => rmSync(tmp, {recursive: true, force: true}));

describe.runIf(needTool('tmux', 'tmux'))('e (export) on the dashboard', () => {
	it('after a replay, e writes byte for byte the report q writes at exit', async () => {
		const report = path.join(tmp, 'report.json');
		const exported = path.join(tmp, 'exported.json');
		pane = await startTmux({command: `node dist/cli.js replay captures/incognito-leak --speed 50 --report ${shellQuote(report)}`, width: 100, height: 30, color: false});
		await pane.waitFor('Replay finished', 30_000);
		await pane.sendKeys('e');
		await pane.waitFor('report written', 10_000);
		copyFileSync(report, exported);
		await pane.sendKeys('q');
		await pane.waitFor('EXIT=0', 10_000);
		const atExit = JSON.parse(readFileSync(report, 'utf8')) as {input: Record<string, unknown>};
		expect(atExit.input).toMatchObject({command: 'replay', logcat: expect.any(String), speed: '50'});
		expect(readFileSync(exported, 'utf8')).toBe(readFileSync(report, 'utf8'));
	}, 60_000);
});
