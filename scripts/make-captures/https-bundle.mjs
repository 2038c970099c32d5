#!/usr/bin/env node
/**
 * Builds captures/incognito-https from REAL TLS traffic: Mi Browser's incognito leak as it really
 * travels, inside HTTPS (TLS 1.3 + HTTP/2), with the session keys as a pcapng Decryption Secrets
 * Block (what PCAPdroid writes) so `tattle replay captures/incognito-https` reads it.
 *
 *   sudo node scripts/make-captures/https-bundle.mjs [OUT_DIR]     (default captures/incognito-https)
 *
 * How: the phone's and the servers' addresses (scripts/make-captures/hosts.tsv: 161.117.71.36 for
 * sa.api.intl.miui.com, Alibaba SG; 96.7.128.198 for example.org) are added to `lo` for the run;
 * a Node http2 server answers on :443 of each; curl (OpenSSL, nghttp2) plays the browser from
 * 192.168.1.23 with SSLKEYLOGFILE; tcpdump records `lo`; editcap injects the key log as a DSB.
 * The logcat is written at the moments the client acts, in the live shape tattle records
 * (`-v threadtime -v epoch -v uid`): the browser's activity start and `Displayed`, and the
 * incognito on/off `tattle.marker` lines the `i` key writes.
 * Needs root, iproute2, tcpdump, editcap (wireshark-common), curl, openssl.
 */
import {execFile, execFileSync, spawn} from 'node:child_process';
import {promisify} from 'node:util';
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync} from 'node:fs';
import http2 from 'node:http2';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {gzipSync} from 'node:zlib';

const execFileAsync = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'captures', 'incognito-https'));
const PHONE = '192.168.1.23';
const SA = {host: 'sa.api.intl.miui.com', ip: '161.117.71.36'};
const PAGE = {host: 'example.org', ip: '96.7.128.198'};
const BROWSER = 'com.mi.globalbrowser';
const ACTIVITY = 'com.android.browser.BrowserActivity';
const VISITED = `https://${PAGE.host}/private-page`;
const ANDROID_ID = '6f1c0b3a9d2e4875';
const DISTINCT_ID = 'b2f0c6d1-4a7e-4c1b-9e3a-5d8f2a6c7e91';

if (process.getuid?.() !== 0) {
	console.error('https-bundle: needs root (addresses on lo, tcpdump)');
	process.exit(1);
}
for (const tool of ['ip', 'tcpdump', 'editcap', 'curl', 'openssl']) {
	try {
		execFileSync('sh', ['-c', `command -v ${tool}`], {stdio: 'ignore'});
	} catch {
		console.error(`https-bundle: ${tool} is missing`);
		process.exit(1);
	}
}
if (existsSync(out) && readdirSync(out).length > 0) {
	console.error(`https-bundle: ${out} is not empty`);
	process.exit(1);
}

const work = mkdtempSync(path.join(tmpdir(), 'https-bundle-'));
const keys = path.join(work, 'keys.log');
const pcap = path.join(work, 'capture.pcap');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const added = [];
let tcpdump;
const servers = [];

function cleanup() {
	for (const s of servers) s.close();
	if (tcpdump && tcpdump.exitCode === null) tcpdump.kill('SIGTERM');
	for (const a of added) execFileSync('ip', ['addr', 'del', `${a}/32`, 'dev', 'lo'], {stdio: 'ignore'});
	added.length = 0;
}
process.on('exit', cleanup);

/** Java String.hashCode: the Sensors Analytics `crc`. */
function javaHash(s) {
	let h = 0;
	for (const ch of s) h = (Math.imul(31, h) + ch.charCodeAt(0)) | 0;
	return h;
}

/** A Sensors Analytics batch as the Android SDK posts it: form fields crc, gzip, data_list = base64(gzip(JSON)). */
function saBody(events) {
	const dataList = gzipSync(Buffer.from(JSON.stringify(events))).toString('base64');
	return `crc=${javaHash(dataList)}&gzip=1&data_list=${encodeURIComponent(dataList)}`;
}

function saEvent(event, props, ts) {
	const base = {
		uuid: DISTINCT_ID, internet_status: 1, platform: 'AndroidApp', miui_version: 'V12.0.3.0.QCOMIXM', miui_region: 'RU', system_language: 'ru',
		$os: 'Android', $os_version: '10', $manufacturer: 'Xiaomi', $model: 'Redmi Note 8', $screen_width: 1080, $screen_height: 2340,
		$device_id: ANDROID_ID, $wifi: true, $network_type: 'WIFI', $app_version: '13.5.40-gn', $lib: 'Android', $lib_version: '3.2.0',
	};
	return {time: Math.round(ts * 1000), type: 'track', distinct_id: DISTINCT_ID, lib: {$lib: 'Android', $lib_version: '3.2.0', $app_version: '13.5.40-gn'}, event, properties: {...props, ...base}};
}

/** One line in the live logcat shape (what tattle records): epoch, uid, pid, tid, level, tag. */
function logLine(ts, uid, pid, tid, level, tag, message) {
	return `${ts.toFixed(3).padStart(24)} ${String(uid).padStart(5)} ${String(pid).padStart(5)} ${String(tid).padStart(5)} ${level} ${tag}: ${message}\n`;
}

/** curl as the browser; async, since the servers answer from this same process. */
function curl(args) {
	return execFileAsync('curl', ['-sS', '-o', '/dev/null', '--http2', '--tlsv1.3', '-k', '--interface', PHONE, '-A', 'Mozilla/5.0 (Linux; U; Android 10; Redmi Note 8) XiaoMi/MiuiBrowser/13.5.40-gn', ...args], {
		env: {...process.env, SSLKEYLOGFILE: keys},
	});
}

async function main() {
	for (const a of [PHONE, SA.ip, PAGE.ip]) {
		execFileSync('ip', ['addr', 'add', `${a}/32`, 'dev', 'lo']);
		added.push(a);
	}
	execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(work, 'key.pem'), '-out', path.join(work, 'cert.pem'), '-days', '30', '-subj', `/CN=${SA.host}`, '-addext', `subjectAltName=DNS:${SA.host},DNS:${PAGE.host}`], {stdio: 'ignore'});
	const tlsOpts = {key: readFileSync(path.join(work, 'key.pem')), cert: readFileSync(path.join(work, 'cert.pem'))};
	for (const ip of [SA.ip, PAGE.ip]) {
		const s = http2.createSecureServer(tlsOpts, (req, res) => {
			req.resume();
			req.on('end', () => {
				res.setHeader('content-type', ip === PAGE.ip ? 'text/html' : 'application/json');
				res.end(ip === PAGE.ip ? '<!doctype html><title>private page</title><p>private page</p>' : '{"code":0}');
			});
		});
		await new Promise((r) => s.listen(443, ip, r));
		servers.push(s);
	}
	// --immediate-mode: on some kernels `-U` alone leaves a loopback capture empty.
	tcpdump = spawn('tcpdump', ['-i', 'lo', '--immediate-mode', '-U', '-n', '-s', '0', '-w', pcap, `host ${PHONE}`], {stdio: ['ignore', 'ignore', 'pipe']});
	await sleep(1500);

	const log = [];
	const t0 = Date.now() / 1000;
	const pid = 12455;
	log.push(logLine(t0, 1000, 1520, 1532, 'I', 'ActivityTaskManager', `START u0 {act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10200000 cmp=${BROWSER}/${ACTIVITY}} from uid 10063`));
	log.push(logLine(t0 + 0.03, 1000, 1520, 1548, 'I', 'ActivityManager', `Start proc ${pid}:${BROWSER}/u0a85 for activity {${BROWSER}/${ACTIVITY}}`));
	log.push(logLine(t0 + 0.81, 1000, 1520, 1534, 'I', 'ActivityTaskManager', `Displayed ${BROWSER}/${ACTIVITY}: +812ms`));
	await sleep(1200);
	log.push(logLine(Date.now() / 1000, 0, 0, 0, 'I', 'tattle.marker', `incognito-on pkg=${BROWSER} marked by hand`));
	await sleep(600);
	// The visit, in incognito.
	await curl(['--resolve', `${PAGE.host}:443:${PAGE.ip}`, VISITED]);
	await sleep(900);
	// The SDK's batch, a second later: the page view with the URL and the title.
	const ts = Date.now() / 1000;
	const body = saBody([
		saEvent('$AppViewScreen', {$url: VISITED, $title: 'private page', $screen_name: 'com.android.browser.BrowserActivity', is_incognito: false}, ts - 0.8),
		saEvent('page_load', {url: VISITED, load_time: 812, is_incognito: false}, ts - 0.5),
	]);
	await curl(['--resolve', `${SA.host}:443:${SA.ip}`, '-H', 'content-type: application/x-www-form-urlencoded', '--data-binary', body, `https://${SA.host}/sa?project=global_browser_mini`]);
	await sleep(1000);
	log.push(logLine(Date.now() / 1000, 0, 0, 0, 'I', 'tattle.marker', `incognito-off pkg=${BROWSER} marked by hand`));
	await sleep(1500);
	tcpdump.kill('SIGINT');
	await new Promise((r) => tcpdump.on('exit', r));
	cleanup();

	mkdirSync(out, {recursive: true});
	execFileSync('editcap', ['--inject-secrets', `tls,${keys}`, '-F', 'pcapng', pcap, path.join(out, 'capture.pcapng')]);
	writeFileSync(path.join(out, 'logcat.txt'), log.join(''));
	const meta = {
		device: {serial: 'a1b2c3d4', model: 'Redmi Note 8', manufacturer: 'Xiaomi', android: '10', timeZone: 'Europe/Moscow', build: 'V12.0.3.0.QCOMIXM (QKQ1.200114.002)'},
		clockOffset: 0,
		tool: {name: 'tattle make-captures', version: '1', script: 'scripts/make-captures/https-bundle.mjs'},
		streams: {
			pcap: `tcpdump -i lo -U -n -s 0 host ${PHONE}, with the phone's and servers' addresses on lo; curl (OpenSSL ${execFileSync('openssl', ['version']).toString().split(' ')[1]}, nghttp2) over TLS 1.3 + HTTP/2 to Node http2 servers; keys from SSLKEYLOGFILE injected as a pcapng DSB by editcap`,
			logcat: 'written by scripts/make-captures/https-bundle.mjs at the moments its client acted, in the live shape tattle records (-v threadtime -v epoch -v uid)',
		},
		description: `A Redmi Note 8 opens Mi Browser, switches to incognito and visits ${VISITED} over HTTPS; a second later the browser's Sensors Analytics SDK posts the page view, URL and title included, to ${SA.host} over TLS 1.3 + HTTP/2. With the session keys (a DSB in the pcapng) tattle reads the upload and raises incognito-url-leak.`,
		recorded: new Date().toISOString(),
	};
	writeFileSync(path.join(out, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
	writeFileSync(
		path.join(out, 'README.md'),
		`Incognito leak over HTTPS: Mi Browser in incognito visits ${VISITED}; a second later its Sensors Analytics SDK posts the page view (URL and title in data_list = base64(gzip(JSON))) to ${SA.host} (Alibaba SG) over TLS 1.3 and HTTP/2.

What to look for: the incognito-on marker, the TLS connection to ${PAGE.host} (decrypted: GET /private-page), then the POST to ${SA.host}/sa (decrypted, HTTP/2, HPACK) whose payload decodes to the visited URL: incognito-url-leak, incognito-tracker and cleartext-identifier (the Android ID) flags, each with "decrypted" evidence. The Destinations panel's Read column says "yes" for both hosts. Replay without the keys (convert to a pcap: \`editcap -F pcap capture.pcapng plain.pcap\`) to see what tattle can say without them: an encrypted upload to a tracker during incognito, timing and size only.

How it was made: \`sudo node scripts/make-captures/https-bundle.mjs\`: real TLS between curl (the "phone", 192.168.1.23) and Node http2 servers on the addresses of scripts/make-captures/hosts.tsv, all on the loopback interface, recorded by tcpdump; curl's SSLKEYLOGFILE keys were injected into the pcapng as a Decryption Secrets Block (as PCAPdroid writes them). Deliberate differences from a real phone: Ethernet framing of loopback rather than Android's SLL2, a self-signed certificate, synthetic identifiers, and no DNS (curl --resolve).
`,
	);
	rmSync(work, {recursive: true, force: true});
	console.log(`written ${out}`);
}

main().catch((error) => {
	cleanup();
	console.error(`https-bundle: ${error.stack ?? error.message}`);
	process.exit(1);
});
