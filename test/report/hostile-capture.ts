/**
 * The hostile capture of the output-safety tests: a PCAPdroid pcapng export whose DNS names, HTTP
 * Host and body, app name, device facts and even bundle path carry HTML, JavaScript, Markdown and
 * CSV injection, and names built to break a page (bidi, escape sequences, a 200-character label run).
 * The HTML/JS payloads set window.__tattlepwned, so a browser test can tell whether any ran.
 */
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {bytes, be16, ipv4, tcp, udp} from '../decode/frames.js';
import {concat} from '../sources/capture-builders.js';
import {epb, pcapngPreamble, uidMapBlock} from '../sources/pcapdroid-dumper.js';

/** Names a DNS query asks for: each label as raw bytes (so CR/LF/tab ride in label bytes). */
export const HOSTILE_NAMES: string[] = [
	"<script>document.title='x'</script>.example.com",
	'[a](javascript:alert(1)).example',
	'=HYPERLINK("http://x").example.com',
	'|pipe|.example.com',
	'`tick`and``two``.example.com',
	'*star*._under_.example.com',
	'cr\r\nlf.example.com',
	'\t=1+2.example.com',
	'+cmd.example.com',
	'-2+3.example.com',
	'@SUM(A1).example.com',
	'<img src=x onerror=alert(1)>.example.com',
	'&lt;entity&gt;&amp;.example.com',
	'back\\slash|\\|.example.com',
	'![img](http://x/y.png).example.com',
];
export const HOSTILE_HOST = "<svg onload=alert(2)>|[h](javascript:alert(3))|=cmd|' /C calc'!A0|*_`.example.org";
export const HOSTILE_KEY = '<script>alert(4)</script>|[k](javascript:k)|`*_.android_id';
export const HOSTILE_PACKAGE = 'com.<b>evil</b>|[p](javascript:p)';
const HOSTILE_LABEL = '=cmd|`*_';
export const DEVICE = {model: '<img src=x onerror=alert(5)>|Phone', manufacturer: "=cmd|' /C calc'!A0", serial: '`rm`_*x*[s](javascript:s)'};
const UID = 10_321;

const enc = new TextEncoder();

function dnsQuery(name: string, id: number): Uint8Array {
	const labels = name.split('.').flatMap((l) => {
		const b = Buffer.from(l, 'utf8');
		return [b.length, ...b];
	});
	return bytes(be16(id), [1, 0], be16(1), be16(0), be16(0), be16(0), labels, [0], be16(1), be16(1));
}

function httpPost(): Uint8Array {
	const body = JSON.stringify({[HOSTILE_KEY]: '9774d56d682e549c', note: '<script>alert(6)</script> | =1+1 `x`'});
	const head = `POST /collect?u=<script>alert(7)</script> HTTP/1.1\r\nHost: ${HOSTILE_HOST}\r\nContent-Type: application/json\r\nContent-Length: ${enc.encode(body).length}\r\n\r\n`;
	return enc.encode(head + body);
}

/** A PCAPdroid pcapng export (UID map + `u-<uid>` comments) of the hostile DNS queries and POST. */
export function hostileCapture(): Uint8Array {
	const phone = '10.0.0.2';
	const ips: Uint8Array[] = [...HOSTILE_NAMES, ...PAGE_BREAKERS].map((n, i) => ipv4(phone, '8.8.8.8', 17, udp(40_000 + i, 53, dnsQuery(n, 0x100 + i))));
	const server = '203.0.113.9';
	const req = httpPost();
	ips.push(
		ipv4(phone, server, 6, tcp(50_000, 80, 0x02, 1000, new Uint8Array(0))),
		ipv4(server, phone, 6, tcp(80, 50_000, 0x12, 5000, new Uint8Array(0))),
		ipv4(phone, server, 6, tcp(50_000, 80, 0x18, 1001, req)),
	);
	const blocks = [pcapngPreamble(), uidMapBlock(UID, HOSTILE_PACKAGE, HOSTILE_LABEL)];
	ips.forEach((data, i) => blocks.push(epb({sec: 1_700_000_000 + i, usec: 0, data}, UID)));
	return concat(...blocks);
}

/**
 * Names aimed at the HTML report: markup that would run script in text, attribute, style and
 * title contexts, and text that would break a layout (right-to-left override and letters, a
 * terminal escape, one unbreakable 200-character run). Not round-tripped exactly (sanitize takes
 * the controls out), so kept apart from HOSTILE_NAMES.
 */
export const PAGE_BREAKERS: string[] = [
	'<script>window.__tattlepwned=1</script>.example.com',
	'"><img src=x onerror="window.__tattlepwned=2">.example.com',
	"'-window.__tattlepwned=3-'.example.com",
	'</style><svg onload=window.__tattlepwned=4>.example.com',
	'</title><script>window.__tattlepwned=5</script>.example.com',
	'javascript:window.__tattlepwned=6//.example.com',
	'</textarea></pre><iframe srcdoc=x>.example.com',
	'\u202egnp.\u2066exe.example.com',
	'\u05e9\u05dc\u05d5\u05dd-rtl.example.com',
	'\u001b[31mred\u001b]0;title\u0007.example.com',
	`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.example.com`,
];

/** Writes the hostile bundle (capture.pcapng, meta.json) under `dir`; returns its path, itself hostile. */
export function hostileBundle(dir: string): string {
	// The input path is untrusted too (a file name from the phone or a colleague).
	const bundle = path.join(dir, 'bundle <script>x<!-- |[l](javascript:z)| =HYPERLINK _*`');
	mkdirSync(bundle);
	writeFileSync(path.join(bundle, 'capture.pcapng'), hostileCapture());
	writeFileSync(path.join(bundle, 'meta.json'), JSON.stringify({device: DEVICE, clockOffset: 0}));
	return bundle;
}
