/**
 * A real browser for the HTML report tests: Debian's Chromium (apt-get install -y chromium),
 * driven headless by playwright-core, which brings no browser of its own. A page is opened with
 * everything it does recorded: console messages, page errors, requests, dialogs.
 */
import {execFileSync} from 'node:child_process';
import {mkdirSync} from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {chromium, type Browser, type Page} from 'playwright-core';
import {repoRoot} from './corpus.js';

/** Where tests leave screenshots for people to look at (gitignored; CI keeps the folder). */
export const artifactsDir = path.join(repoRoot, 'test', 'artifacts');

/** The Chromium on PATH (Debian installs /usr/bin/chromium). */
export function chromiumPath(): string {
	return execFileSync('sh', ['-c', 'command -v chromium'], {encoding: 'utf8'}).trim();
}

/** Launches headless Chromium; root (CI containers) cannot use its sandbox. */
export async function launchChromium(): Promise<Browser> {
	const args = ['--disable-dev-shm-usage'];
	if (process.getuid?.() === 0) args.push('--no-sandbox');
	return chromium.launch({executablePath: chromiumPath(), args, headless: true});
}

export type OpenedPage = {page: Page; url: string; consoleErrors: string[]; requests: string[]; dialogs: string[]};

/** Opens a local file at 1280x800 and records what it does; `requests` holds every request but the file itself. */
export async function openFile(browser: Browser, file: string): Promise<OpenedPage> {
	const context = await browser.newContext({viewport: {width: 1280, height: 800}});
	const page = await context.newPage();
	const url = pathToFileURL(file).href;
	const opened: OpenedPage = {page, url, consoleErrors: [], requests: [], dialogs: []};
	page.on('console', (m) => {
		if (m.type() === 'error' || m.type() === 'warning') opened.consoleErrors.push(`${m.type()}: ${m.text()}`);
	});
	page.on('pageerror', (e) => opened.consoleErrors.push(`pageerror: ${e.message}`));
	page.on('request', (r) => {
		if (r.url() !== url) opened.requests.push(r.url());
	});
	page.on('dialog', (d) => {
		opened.dialogs.push(`${d.type()}: ${d.message()}`);
		void d.dismiss();
	});
	await page.goto(url, {waitUntil: 'load'});
	return opened;
}

/** Saves a 1280x800 screenshot of the page's top under test/artifacts/NAME.png; returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
	mkdirSync(artifactsDir, {recursive: true});
	const file = path.join(artifactsDir, `${name}.png`);
	await page.screenshot({path: file});
	return file;
}
