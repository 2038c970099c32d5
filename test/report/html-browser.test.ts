/**
 * The HTML report in a real browser (Debian's Chromium, headless, through playwright-core): the
 * demo's report loads with no console error and no request, its flags and timeline are in the
 * DOM, a flag's Copy button copies its Wireshark filter; the hostile capture's report runs no
 * script (its payloads would set window.__tattlepwned or open a dialog) and keeps its layout; the
 * page's policy really blocks requests. Screenshots at 1280x800 go to test/artifacts/.
 */
import {mkdtempSync, readFileSync} from 'node:fs';
import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {tmpdir} from 'node:os';
import path from 'node:path';
import type {Browser} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {launchChromium, openFile, screenshot} from '../helpers/browser.js';
import {tattle} from '../helpers/cli.js';
import {repoRoot} from '../helpers/corpus.js';
import {needTool} from '../helpers/tools.js';
import {hostileBundle, HOSTILE_HOST} from './hostile-capture.js';

type Report = {flags: Array<{kind: string; severity: string; host: string; evidence: {packets: number[]}}>; uploadTimeline: {rows: Array<{host: string}>}; incognitoWindows: unknown[]};

describe.runIf(needTool('chromium', 'chromium'))('HTML report in Chromium', () => {
	const dir = mkdtempSync(path.join(tmpdir(), 'tattle-html-browser-'));
	const demo = {html: path.join(dir, 'demo.html'), json: path.join(dir, 'demo.json')};
	const hostile = {html: path.join(dir, 'hostile.html'), bundle: ''};
	let browser: Browser | undefined;

	beforeAll(async () => {
		hostile.bundle = hostileBundle(dir);
		const runs = await Promise.all([
			tattle(['replay', path.join(repoRoot, 'captures/incognito-leak'), '--speed', 'max', '--report', demo.html, '--report', demo.json]),
			tattle(['replay', hostile.bundle, '--report', hostile.html, '--incognito', '1700000003..1700000040']),
		]);
		for (const r of runs) expect(r.code, r.stderr).toBe(0);
		browser = await launchChromium();
	});

	afterAll(async () => {
		await browser?.close();
	});

	it('the demo: no console error, no request; every flag, the timeline\'s rows, markers and incognito window in the DOM', async () => {
		const report = JSON.parse(readFileSync(demo.json, 'utf8')) as Report;
		const {page, consoleErrors, requests, dialogs} = await openFile(browser!, demo.html);
		await screenshot(page, 'report-demo');
		const dom = await page.evaluate(() => ({
			flags: [...document.querySelectorAll('article.flag')].map((a) => [a.id, a.getAttribute('data-kind')]),
			filters: [...document.querySelectorAll('article.flag code[id^="filter-"]')].map((c) => c.textContent),
			rows: [...document.querySelectorAll('#timeline svg g.row')].map((g) => g.getAttribute('data-host')),
			bars: document.querySelectorAll('#timeline svg rect.bar').length,
			markers: [...document.querySelectorAll('#timeline svg a.flag-mark')].map((a) => a.getAttribute('href')),
			windows: [...document.querySelectorAll('#timeline svg g.incognito-window rect')].map((r) => (r as SVGGraphicsElement).getBBox().width),
			countries: document.querySelectorAll('#countries rect.hbar').length,
			owners: document.querySelectorAll('#owners rect.hbar').length,
			wide: document.documentElement.scrollWidth,
		}));
		expect(consoleErrors).toEqual([]);
		expect(requests).toEqual([]);
		expect(dialogs).toEqual([]);
		expect(dom.flags).toEqual(report.flags.map((f, i) => [`flag-${i + 1}`, f.kind]));
		expect(dom.filters).toHaveLength(report.flags.length);
		expect(dom.filters[0]).toBe(`frame.number in {${report.flags[0]!.evidence.packets.join(' ')}}`);
		expect(dom.rows).toEqual(report.uploadTimeline.rows.map((r) => r.host));
		expect(dom.bars).toBeGreaterThan(dom.rows.length);
		expect(dom.markers).toEqual(report.flags.map((_, i) => `#flag-${i + 1}`));
		expect(dom.windows).toHaveLength(report.incognitoWindows.length);
		expect(dom.windows[0]).toBeGreaterThan(100);
		expect(dom.countries).toBeGreaterThan(1);
		expect(dom.owners).toBeGreaterThan(1);
		expect(dom.wide).toBeLessThanOrEqual(1280);

		// A flag's marker leads to its card.
		await page.click('#timeline a.flag-mark[href="#flag-3"]');
		expect(await page.evaluate(() => location.hash)).toBe('#flag-3');
		expect(await page.locator('#flag-3').isVisible()).toBe(true);
		await page.context().close();
	});

	it('the Copy button puts the flag\'s Wireshark filter on the clipboard', async () => {
		const {page, consoleErrors} = await openFile(browser!, demo.html);
		await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
		const filter = await page.locator('#filter-1').textContent();
		await page.click('button[data-copy="filter-1"]');
		await page.waitForFunction(() => document.querySelector('button[data-copy="filter-1"]')!.textContent !== 'Copy');
		const said = await page.locator('button[data-copy="filter-1"]').textContent();
		expect(said).toBe('Copied');
		expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(filter);
		expect(filter).toMatch(/^frame\.number in \{\d+( \d+)*\}$/);
		expect(consoleErrors).toEqual([]);
		await page.context().close();
	});

	it('prints: no navigation or buttons on paper, every flag card whole, and Chromium makes a PDF of it', async () => {
		const {page, consoleErrors} = await openFile(browser!, demo.html);
		await page.emulateMedia({media: 'print'});
		expect(await page.locator('nav').isVisible()).toBe(false);
		expect(await page.locator('button[data-copy]').first().isVisible()).toBe(false);
		expect(await page.locator('#flag-1 .excerpt').isVisible()).toBe(true);
		expect(await page.evaluate(() => getComputedStyle(document.querySelector('article.flag')!).breakInside)).toBe('avoid');
		const pdf = await page.pdf({format: 'A4'});
		expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
		// The demo report is longer than a page.
		const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
		expect(pages).toBeGreaterThan(1);
		expect(consoleErrors).toEqual([]);
		await page.context().close();
	});

	it('the hostile capture: no script runs, no dialog, no request, no console error; its text is shown as text and the page keeps its width', async () => {
		const {page, consoleErrors, requests, dialogs} = await openFile(browser!, hostile.html);
		await screenshot(page, 'report-hostile');
		const dom = await page.evaluate(() => ({
			pwned: (window as unknown as {__tattlepwned?: unknown}).__tattlepwned,
			title: document.title,
			scripts: document.querySelectorAll('script').length,
			foreign: document.querySelectorAll('img, iframe, textarea, object, embed, form, input, link, base').length,
			// Event handlers anywhere, and any link or source that leaves the page (data-* values are inert text).
			handlers: [...document.querySelectorAll('*')].flatMap((el) =>
				[...el.attributes].filter((a) => /^on/i.test(a.name) || (/^(href|src|xlink:href|action|formaction|srcdoc)$/i.test(a.name) && !a.value.startsWith('#'))).map((a) => `${el.tagName} ${a.name}=${a.value}`),
			),
			rows: [...document.querySelectorAll('#timeline svg g.row')].map((g) => g.getAttribute('data-host')),
			cells: [...document.querySelectorAll('#destinations td:first-child')].map((td) => td.textContent),
			wide: document.documentElement.scrollWidth,
			// A name that starts with a Hebrew word reads left to right: the Hebrew word first (leftmost), then "-rtl".
			rtl: (() => {
				const bdi = [...document.querySelectorAll('#destinations td:first-child bdi')].find((b) => b.textContent!.includes('-rtl.example.com'))!;
				const text = bdi.firstChild!;
				const at = (from: number, to: number) => {
					const r = document.createRange();
					r.setStart(text, from);
					r.setEnd(text, to);
					return r.getBoundingClientRect().left;
				};
				const i = bdi.textContent!.indexOf('-rtl');
				return {hebrew: at(0, i), latin: at(i + 1, i + 4)};
			})(),
		}));
		expect(dom.pwned).toBeUndefined();
		expect(dom.rtl.hebrew).toBeLessThan(dom.rtl.latin);
		// The marker does catch a payload that runs: the same kind of payload in a page without escaping or policy sets it.
		const control = await browser!.newPage();
		await control.setContent('<img src="data:," onerror="window.__tattlepwned=2">');
		await control.waitForFunction(() => (window as unknown as {__tattlepwned?: unknown}).__tattlepwned === 2);
		await control.close();
		expect(dialogs).toEqual([]);
		expect(requests).toEqual([]);
		expect(consoleErrors).toEqual([]);
		expect(dom.scripts).toBe(1);
		expect(dom.foreign).toBe(0);
		expect(dom.handlers).toEqual([]);
		expect(dom.title).toBe(`tattle report: ${hostile.bundle}`);
		// Host names are case-insensitive: the report has them in lower case.
		expect(dom.rows).toContain(HOSTILE_HOST.toLowerCase());
		expect(dom.cells).toContain('<script>window.__tattlepwned=1</script>.example.com');
		expect(dom.cells).toContain('"><img src=x onerror="window.__tattlepwned=2">.example.com');
		expect(dom.wide).toBeLessThanOrEqual(1280);
		await page.context().close();
	});

	it('the page\'s policy blocks what a script could still try: an image, a fetch, an inline script; nothing reaches a server', async () => {
		let hits = 0;
		const server: Server = createServer((_, res) => {
			hits++;
			res.end('x');
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const port = (server.address() as AddressInfo).port;
		try {
			const {page} = await openFile(browser!, demo.html);
			const result = await page.evaluate(async (origin) => {
				const violations: string[] = [];
				document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
				const img = document.createElement('img');
				img.src = `${origin}/img`;
				document.body.append(img);
				const fetched = await fetch(`${origin}/fetch`).then(
					() => 'fetched',
					() => 'refused',
				);
				const s = document.createElement('script');
				s.textContent = 'window.__inline = 1';
				document.body.append(s);
				await new Promise((r) => setTimeout(r, 300));
				return {fetched, violations: [...new Set(violations)].sort(), inline: (window as unknown as {__inline?: number}).__inline};
			}, `http://127.0.0.1:${port}`);
			expect(result.fetched).toBe('refused');
			expect(result.inline).toBeUndefined();
			expect(result.violations).toEqual(expect.arrayContaining(['connect-src', 'img-src', 'script-src-elem']));
			// Playwright reports the blocked image as a request (it is attempted, then refused): the server's count is the proof.
			expect(hits).toBe(0);
			await page.context().close();
		} finally {
			server.close();
		}
	});
});
