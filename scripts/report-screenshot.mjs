// Makes docs/img/report.png, the README's picture of the HTML report: the demo bundle replayed to
// an HTML report, opened in Debian's Chromium (headless, via playwright-core) at 1280x800.
// Run from the repository root after `npm run build`: node scripts/report-screenshot.mjs
import {execFileSync} from 'node:child_process';
import {mkdirSync, mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {chromium} from 'playwright-core';

const html = path.join(mkdtempSync(path.join(tmpdir(), 'tattle-shot-')), 'report.html');
// A relative input path, so the picture shows `captures/incognito-leak`, not this machine's folders.
execFileSync(process.execPath, ['dist/cli.js', 'replay', 'captures/incognito-leak', '--speed', 'max', '--report', html], {stdio: 'inherit'});
const executablePath = execFileSync('sh', ['-c', 'command -v chromium'], {encoding: 'utf8'}).trim();
const browser = await chromium.launch({executablePath, args: process.getuid?.() === 0 ? ['--no-sandbox'] : []});
try {
	const page = await browser.newPage({viewport: {width: 1280, height: 800}});
	await page.goto(pathToFileURL(html).href);
	mkdirSync('docs/img', {recursive: true});
	await page.screenshot({path: 'docs/img/report.png'});
} finally {
	await browser.close();
}
console.log('wrote docs/img/report.png');
