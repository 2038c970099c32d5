import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {loadBlocklist, loadBrowserLogRules, loadBundledRules, loadClassifier} from '../../source/app/rule-files.js';
import {tattle} from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tattle-rule-files-'));

describe('rule files read at the edge', () => {
	it('the bundled host and browser log rules load from beside the code', () => {
		expect(loadBundledRules().length).toBeGreaterThan(5);
		expect(loadBrowserLogRules().some((r) => r.id === 'chrome-incognito-launcher')).toBe(true);
	});

	it('loadClassifier hands classify/ both: host rules with the user layer first, and the browser log rules', () => {
		const mine = path.join(dir, 'mine.json');
		writeFileSync(mine, JSON.stringify({name: 'mine', rules: [{pattern: 'google-analytics.com', category: 'first-party', source: 'test'}]}));
		const loaded = loadClassifier({rules: [mine]});
		if (!loaded.ok) throw new Error(loaded.error);
		expect(loaded.value.rules.match('google-analytics.com').category).toBe('first-party');
		expect(loaded.value.browserLogRules.length).toBeGreaterThan(0);
	});

	it('a missing user file is one clear line', () => {
		expect(loadClassifier({blocklists: [path.join(dir, 'nope.txt')]})).toEqual({ok: false, error: `--blocklist ${path.join(dir, 'nope.txt')}: no such file`});
	});

	it('a blocklist is read only up to the byte cap, ends at its last whole line, and says it was cut', () => {
		const file = path.join(dir, 'big.txt');
		writeFileSync(file, '0.0.0.0 a.example\n0.0.0.0 b.example\n0.0.0.0 c.example\n');
		const whole = loadBlocklist(file);
		expect(whole.file.rules.map((r) => r.pattern)).toEqual(['a.example', 'b.example', 'c.example']);
		expect(whole.truncated).toBe(false);
		const cut = loadBlocklist(file, '0.0.0.0 a.example\n0.0.0.0 b.example\n0.0.0.0 c.exa'.length);
		expect(cut.truncated).toBe(true);
		expect(cut.file.rules.map((r) => r.pattern)).toEqual(['a.example', 'b.example']);
	});
});

describe('through the CLI', () => {
	it('replay reads the bundled browser log rules: a Chrome incognito launch in logcat is a log event of kind incognito-on', async () => {
		const logcat = path.join(dir, 'logcat.txt');
		const start = 'START u0 {act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10200000 cmp=com.android.chrome/org.chromium.chrome.browser.incognito.IncognitoTabLauncher bnds=[48,1203][291,1510]} from uid 10063';
		writeFileSync(logcat, `11-23 22:36:40.000  1520  1544 I ActivityTaskManager: ${start}\n`);
		const r = await tattle(['replay', '--logcat', logcat, '--speed', 'max', '--json']);
		expect(r.stderr).toBe('');
		const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
		expect(events.find((e) => e.type === 'log')).toMatchObject({kind: 'incognito-on', tag: 'ActivityTaskManager'});
	});
});
