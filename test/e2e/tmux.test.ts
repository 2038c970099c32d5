/**
 * The dashboard in a real terminal (tmux): what a person sees at common sizes, with and without
 * colour, the keys, quitting, hostile input, resizing, and no TTY.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {KEYMAP} from '../../source/keys/keymap.js';
import {needTool} from '../helpers/tools.js';
import {lineWidth, screenLines, shellQuote, startTmux, type TmuxOptions, type TmuxPane} from '../helpers/tmux.js';

const DEMO = 'node dist/cli.js replay captures/incognito-leak --speed 20';
/** The replay's last notice: from here on the screen only changes on a key press. */
const FINISHED = 'Replay finished';
/** After the replay: the app starts (~3 s on a loaded machine) and replays ~60 s of capture at x20. */
const REPLAY_WAIT_MS = 30_000;
/** q must give the prompt back within this (about 0.2 s measured on an idle machine; 3 s before the fix). */
const QUIT_MS = 1500;
/** Per test: a replay wait plus the keys, on a loaded machine. */
const TEST_MS = 60_000;
/** A resize must show the new layout within this: one frame is 66 ms; the rest is margin for load. */
const RESIZE_MS = 3000;
/** The status bar's counters: on the screen exactly once. */
const STATS = /\d+ pkts · /;
/** The placeholder a replay draws before its dashboard loads (source/app/first-frame.ts). */
const FIRST_FRAME = /^tattle · replay of .* starting \(loading the capture\)$/m;
/** The help bar: the last line of the frame. */
const HELP_BAR = /q quit {2}\? help/;

const panes: TmuxPane[] = [];
const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-tmux-'));

async function start(o: TmuxOptions): Promise<TmuxPane> {
	const pane = await startTmux(o);
	panes.push(pane);
	return pane;
}

afterEach(async () => {
	await Promise.all(panes.splice(0).map(p => p.kill()));
});
afterAll(() => rmSync(tmp, {recursive: true, force: true}));

/** Things wrong with one frame of the dashboard at a size: empty when it is sound. */
function frameProblems(screen: string, width: number, height: number): string[] {
	const problems: string[] = [];
	const lines = screenLines(screen);
	const count = (re: RegExp) => lines.filter(l => re.test(l)).length;
	for (const [i, l] of lines.entries()) if (lineWidth(l) > width) problems.push(`line ${i + 1} is ${lineWidth(l)} wide: ${l}`);
	// A full-height frame makes Ink clear the screen each update; a taller one scrolls garbage.
	if (lines.length > height - 1) problems.push(`${lines.length} lines on a ${height}-row terminal`);
	// The status bar is the top of the frame: its counters on the first or second line, once.
	const stats = lines.findIndex(l => STATS.test(l));
	if (stats < 0 || stats > 1) problems.push(`status counters on line ${stats + 1}: ${lines.slice(0, 2).join(' / ')}`);
	if (count(STATS) !== 1) problems.push(`${count(STATS)} status lines`);
	if (!HELP_BAR.test(lines.at(-1) ?? '')) problems.push(`no help bar on the last line: ${lines.at(-1)}`);
	if (count(HELP_BAR) !== 1) problems.push(`${count(HELP_BAR)} help bars`);
	if (count(/DESTINATIONS|Destinations ·/) !== 1) problems.push(`${count(/DESTINATIONS|Destinations ·/)} destinations headers`);
	const hosts = destinationRows(screen).map(r => r.host);
	if (new Set(hosts).size !== hosts.length) problems.push(`a destination row appears twice: ${hosts.join(', ')}`);
	return problems;
}

/** Rows of the destinations panel (between its title and the next panel's), parsed loosely. */
function destinationRows(screen: string): Array<{line: string; host: string; selected: boolean}> {
	const lines = screenLines(screen);
	const top = lines.findIndex(l => /(━━|──) 1 (DESTINATIONS|Destinations)/.test(l));
	if (top < 0) return [];
	const rows = [];
	for (const line of lines.slice(top + 2)) {
		if (/^(━━|──)/.test(line) || HELP_BAR.test(line) || line.trim() === '') break;
		const m = /^(›| ) [▲! ] (\S+)/.exec(line);
		if (m) rows.push({line, host: m[2]!, selected: m[1] === '›'});
	}
	return rows;
}

/** Rows of the events panel: time and text. */
function eventRows(screen: string): Array<{time: string; text: string}> {
	const lines = screenLines(screen);
	const top = lines.findIndex(l => /(━━|──) 4 (EVENTS|Events)/.test(l));
	const rows = [];
	for (const line of top < 0 ? [] : lines.slice(top + 2)) {
		const m = /^[› ] (\d\d:\d\d:\d\d) +\S+ +\S+ +(.*)$/.exec(line);
		if (!m) break;
		rows.push({time: m[1]!, text: m[2]!});
	}
	return rows;
}

const selectedHost = (screen: string) => destinationRows(screen).find(r => r.selected)?.host;
const sortOf = (screen: string) => /DESTINATIONS · .*?sort: (\w+)/.exec(screen)?.[1];

/** Colour codes in SGR escapes (foreground, background, 256/true colour); 39/49 only reset to the default. */
function colourCodes(screen: string): string[] {
	const found: string[] = [];
	for (const m of screen.matchAll(/\x1b\[([0-9;]*)m/g)) {
		for (const p of m[1]!.split(';').map(Number)) {
			if ((p >= 30 && p <= 38) || (p >= 40 && p <= 48) || (p >= 90 && p <= 97) || (p >= 100 && p <= 107)) found.push(m[0]);
		}
	}
	return found;
}

describe.runIf(needTool('tmux', 'tmux'))('dashboard in tmux', () => {
	const sizes = [
		{width: 80, height: 24, color: true, how: ''},
		{width: 80, height: 24, color: false, how: 'NO_COLOR'},
		{width: 120, height: 40, color: true, how: ''},
		{width: 120, height: 40, color: false, how: '--no-color'},
	];
	it.for(sizes)('demo at $width x $height, colour $color $how: status, SG destination, incognito URL leak, sound frames', {timeout: TEST_MS}, async ({width, height, color, how}, {expect}) => {
		const pane = await start({
			command: how === '--no-color' ? `${DEMO} --no-color` : DEMO,
			width,
			height,
			// --no-color must win by itself: leave the environment asking for colour then.
			color: how !== 'NO_COLOR',
		});
		// Every screen seen while the replay runs must be a sound frame, not only the last one.
		const seen: string[] = [];
		const end = await pane.waitFor(s => (seen.push(s), s.includes(FINISHED)), REPLAY_WAIT_MS);
		// Every dashboard frame is sound; the placeholder drawn before Ink loads (the first frame,
		// test/e2e/first-frame.test.ts) has only the status bar's two lines.
		for (const s of seen.filter(x => STATS.test(x) && !FIRST_FRAME.test(x))) expect(frameProblems(s, width, height), s).toEqual([]);
		expect(seen.some(s => STATS.test(s) && !s.includes(FINISHED)), 'a frame before the end').toBe(true);
		// Ink's text caches are bounded (source/ui/ink-caches.ts): otherwise the first frames say so.
		for (const s of seen) expect(s).not.toContain('caches are unbounded');

		const lines = screenLines(end);
		expect(lines[0]).toContain('Xiaomi Redmi Note 8');
		expect(lines[0]).toMatch(/capture ended/);
		expect(end).toMatch(/[1-9]\d* pkts · .* log lines/);
		const leakHost = destinationRows(end).find(r => r.host === 'sa.api.intl.miui.com');
		expect(leakHost?.line).toMatch(/ SG /);
		expect(end).toMatch(/(━━|──) 2 (FLAGS|Flags) · [1-9]/);
		expect(end).toMatch(/HIGH .*incog(nito)?[ -]URL[ -]leak/i);
		expect(await pane.display('#{history_size}'), 'nothing scrolled off the top').toBe('0');
		if (height >= 30) {
			// The timeline runs on the capture's clock: nothing in it is later than the capture's end.
			const events = eventRows(end);
			const eof = events.find(e => e.text.startsWith('capture: ended'))?.time;
			expect(eof, 'capture: ended on the timeline').toBeDefined();
			for (const e of events) expect(e.time <= eof!, `${e.time} ${e.text}`).toBe(true);
		}

		const coloured = await pane.capture({escapes: true});
		// Without colour, bold, dim and inverse may stay (NO_COLOR is about colour); colours may not.
		if (color) expect(colourCodes(coloured).length).toBeGreaterThan(0);
		else expect(colourCodes(coloured)).toEqual([]);

		// Ages count on the capture clock: once the replay has ended, nothing on screen ticks.
		await new Promise(r => setTimeout(r, 1200));
		expect(await pane.capture()).toBe(end);
	});

	it('keys: the leak in two keys, j/k, filter, sort, help from the keymap, q quits fast and restores the terminal', {timeout: TEST_MS}, async () => {
		const pane = await start({command: DEMO, width: 80, height: 24, color: true});
		const start0 = await pane.waitFor(FINISHED, REPLAY_WAIT_MS);

		// From the start screen: Tab to the flags (most severe leak first), Enter for its evidence.
		await pane.sendKeys('Tab', 'Enter');
		const detail = await pane.waitFor(/Kind\s+incognito-url-leak/);
		expect(detail).toMatch(/Host\s+sa\.api\.intl\.miui\.com/);
		expect(detail).toMatch(/example\.org\/private-page|www\.google\.com\/search\?q=/);
		expect(detail).toMatch(/Packets\s+#\d+/);
		expect(frameProblems(detail, 80, 24).filter(p => !/destinations header|destination row/.test(p))).toEqual([]);
		await pane.sendKeys('Escape');
		await pane.waitFor(s => !/Kind\s+incognito/.test(s));
		await pane.sendKeys('1');
		let screen = await pane.waitFor(s => !/Kind\s+incognito/.test(s) && destinationRows(s).length > 0);

		// j/k move the selection down and back.
		const first = selectedHost(start0);
		expect(first).toBeDefined();
		await pane.sendKeys('j');
		screen = await pane.waitFor(s => selectedHost(s) !== undefined && selectedHost(s) !== first);
		const second = selectedHost(screen);
		expect(destinationRows(screen).map(r => r.host).indexOf(second!)).toBe(1);
		await pane.sendKeys('k');
		await pane.waitFor(s => selectedHost(s) === first);

		// / filter narrows the list to matching hosts; Esc brings the full list back.
		const all = destinationRows(screen).length;
		await pane.sendKeys('/');
		await pane.type('miui');
		await pane.sendKeys('Enter');
		screen = await pane.waitFor(/DESTINATIONS · \d+\/\d+ .*filter: miui/);
		const filtered = destinationRows(screen);
		expect(filtered.length).toBeGreaterThan(0);
		expect(filtered.length).toBeLessThan(all);
		for (const r of filtered) expect(r.host).toContain('miui');
		await pane.sendKeys('Escape');
		screen = await pane.waitFor(s => !s.includes('filter: miui') && destinationRows(s).length === all);

		// s cycles the sort order, and comes back round.
		const sorts = [sortOf(screen)];
		for (let i = 0; i < 4; i++) {
			await pane.sendKeys('s');
			screen = await pane.waitFor(s => sortOf(s) !== undefined && sortOf(s) !== sorts.at(-1));
			sorts.push(sortOf(screen));
		}
		expect(new Set(sorts).size).toBe(4);
		expect(sorts.at(-1)).toBe(sorts[0]);

		// ? shows help generated from the keymap; Esc closes it.
		await pane.sendKeys('?');
		const help = await pane.waitFor(/KEYS · /);
		for (const b of KEYMAP.filter(k => k.context === 'global')) expect(help, b.help).toContain(b.help);
		expect(frameProblems(help, 80, 24).filter(p => !/destinations header|destination row/.test(p))).toEqual([]);
		await pane.sendKeys('Escape');
		await pane.waitFor(s => !s.includes('KEYS · ') && destinationRows(s).length === all);

		// q: the process exits 0 quickly, the cursor is back, and the shell echoes what is typed.
		const t0 = Date.now();
		await pane.sendKeys('q');
		await pane.waitFor(/EXIT=\d+/, 10_000);
		const quitMs = Date.now() - t0;
		screen = await pane.waitFor('PROMPT>');
		expect(screen).toContain('EXIT=0');
		expect(quitMs, `q took ${quitMs} ms`).toBeLessThan(QUIT_MS);
		expect(await pane.display('#{cursor_flag}'), 'cursor visible').toBe('1');
		await pane.type('echo ok-$((40+2))');
		await pane.sendKeys('Enter');
		screen = await pane.waitFor(/^ok-42$/m);
		expect(screen).toContain('PROMPT> echo ok-$((40+2))');
	});

	it('hostile bundle: escape sequences neither retitle the pane nor move or clear the screen', {timeout: TEST_MS}, async () => {
		const pane = await start({
			command: `printf '\\033]2;KNOWN\\033\\\\'; node dist/cli.js replay test/fixtures/hostile --speed 20`,
			width: 100,
			height: 30,
			color: true,
		});
		const end = await pane.waitFor(FINISHED, REPLAY_WAIT_MS);
		const check = async (screen: string, where: string) => {
			expect(await pane.title(), where).toBe('KNOWN');
			expect(frameProblems(screen, 100, 30).filter(p => !/destinations header|destination row/.test(p)), where).toEqual([]);
			expect(await pane.display('#{history_size}'), where).toBe('0');
		};
		expect(screenLines(end)[0]).toMatch(/EvilPhone/);
		expect(destinationRows(end).some(r => r.host.startsWith('evil'))).toBe(true);
		await check(end, 'dashboard');
		expect(await pane.title()).not.toMatch(/PWNED|retitled/i);

		// The detail views print more of each raw string: a destination, then the log line with an OSC.
		await pane.sendKeys('/');
		await pane.type('evil0');
		await pane.sendKeys('Enter', 'Enter');
		await check(await pane.waitFor(/Esc back/), 'destination detail');
		// One key at a time: Esc directly followed by another key reads as Alt+key, as in any terminal.
		await pane.sendKeys('Escape');
		await pane.waitFor(s => !/Esc back/.test(s) && s.includes('filter: evil0'));
		await pane.sendKeys('Escape');
		await pane.waitFor(s => !s.includes('filter: evil0'));
		await pane.sendKeys('/');
		await pane.type('PWNED');
		await pane.sendKeys('Enter', '4', 'Enter');
		const log = await pane.waitFor(/Esc back/);
		expect(log).toMatch(/PWNED/);
		await check(log, 'log line detail');
	});

	it('resize: the layout follows at once and no line is wider than the new width', {timeout: TEST_MS}, async () => {
		const pane = await start({command: DEMO, width: 120, height: 40, color: true});
		await pane.waitFor(FINISHED, REPLAY_WAIT_MS);
		for (const [width, height] of [
			[100, 30],
			[64, 16],
			[120, 40],
			[80, 24],
		] as const) {
			await pane.resize(width, height);
			// The title rule of the first panel spans the whole new width once the layout follows.
			const screen = await pane.waitFor(s => {
				const rule = screenLines(s).find(l => /^(━━|──) 1 (DESTINATIONS|Destinations)/.test(l));
				return rule !== undefined && lineWidth(rule) === width && frameProblems(s, width, height).length === 0;
			}, RESIZE_MS);
			expect(frameProblems(screen, width, height), `${width}x${height}`).toEqual([]);
			expect(screen).toContain('sa.api.intl.miui.com');
		}
	});

	it('changed cells only: the screen a busy replay leaves, colours included, equals a full repaint', {timeout: TEST_MS}, async () => {
		const raw = path.join(tmp, 'cells.raw');
		// The pause lets the recording start before the first byte.
		const pane = await start({command: `sleep 1; ${DEMO}`, width: 120, height: 40, color: true});
		await pane.record(raw);
		await pane.waitFor(FINISHED, REPLAY_WAIT_MS);
		await new Promise(r => setTimeout(r, 1200));
		const drawn = await pane.capture({escapes: true});
		// A resize narrower and back makes Ink repaint, and the cell writer forget its rows: every
		// line is written whole again. What cell updates left on screen must be that same frame.
		await pane.resize(100, 30);
		await pane.waitFor(s => lineWidth(screenLines(s).find(l => /^(━━|──) 1 /.test(l)) ?? '') === 100, RESIZE_MS);
		await pane.resize(120, 40);
		const whole = await pane.waitFor(s => lineWidth(screenLines(s).find(l => /^(━━|──) 1 /.test(l)) ?? '') === 120, RESIZE_MS);
		expect(whole).toContain('sa.api.intl.miui.com');
		// The repaint may take a few frames: wait until the screen holds still.
		let after = await pane.capture({escapes: true});
		for (let i = 0; i < 50; i++) {
			await new Promise(r => setTimeout(r, 300));
			const again = await pane.capture({escapes: true});
			if (again === after) break;
			after = again;
		}

		// tmux keeps spaces that were written (an erase leaves none): they look the same.
		const trimmed = (screen: string) => screen.split('\n').map(l => l.replace(/ +$/, '')).join('\n');
		expect(trimmed(after)).toBe(trimmed(drawn));
		// Through the CLI: jumps to a column past the first (ESC[nG, n > 1) come only from the cell
		// writer; Ink itself starts every changed line at column 1.
		const bytes = readFileSync(raw, 'latin1');
		const jumps = [...bytes.matchAll(/\x1b\[(\d+)G/g)].filter(m => Number(m[1]) > 1);
		expect(jumps.length, 'cell updates in the raw output').toBeGreaterThan(20);
	});

	it('no TTY: a one-line notice on stderr and no escape codes on stdout', {timeout: TEST_MS}, async () => {
		const [out, err, code] = ['out', 'err', 'code'].map(f => path.join(tmp, f)) as [string, string, string];
		const pane = await start({
			command: `(node dist/cli.js replay captures/incognito-leak 2>${shellQuote(err)}; echo $? >${shellQuote(code)}) | cat >${shellQuote(out)}`,
			width: 80,
			height: 24,
			color: true,
		});
		await pane.waitFor('PROMPT>', REPLAY_WAIT_MS);
		expect(readFileSync(code, 'utf8').trim()).toBe('0');
		const stderr = readFileSync(err, 'utf8');
		expect(stderr).toMatch(/^tattle: no terminal[^\n]*\n$/);
		expect(readFileSync(out, 'utf8')).not.toMatch(/\x1b/);
	});
});
