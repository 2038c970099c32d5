#!/usr/bin/env node
/**
 * Records real TLS sessions on loopback and writes them as test fixtures:
 * test/fixtures/tls/NAME.pcap (tcpdump -i lo), NAME.keys (the NSS key log the real client wrote),
 * for a few cases NAME.pcapng (the keys embedded as a Decryption Secrets Block, editcap
 * --inject-secrets), and expected.json (the HTTP requests tshark decrypts, see
 * test/helpers/tshark-http.ts).
 *
 * Servers: a Node http2 secure server (allowHTTP1, so it speaks h2 and http/1.1) on
 * 127.0.0.1:443 with a self-signed RSA certificate made by openssl at run time for every server
 * name used. Clients: curl (SSLKEYLOGFILE), Node's http2 client (`keylog` event), openssl
 * s_client (-keylogfile) and headless chromium (--ssl-key-log-file).
 *
 * Usage (root: tcpdump on lo and port 443): node scripts/make-tls-fixtures/generate.mjs [CASE...]
 * With no CASE every case is made; expected.json is rewritten for all files present.
 */
import {spawn, execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import {fileURLToPath, pathToFileURL} from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = path.join(ROOT, 'test/fixtures/tls');
const PORT = 443;
/** The port the splitting proxy listens on (client -> proxy is not captured). */
const PROXY_PORT = 8443;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'tattle-tls-'));

const NAMES = [
	'h2.example.com',
	'h1.example.net',
	'hpack.example.com',
	'keyupdate.example.com',
	'split.example.com',
	'browser.example.com',
	'cbc.example.net',
	'sa.api.intl.miui.com',
	'example.org',
];

/** stdio for tools whose stderr chatter ("Running as user root") is not wanted; errors still throw with it. */
const QUIET = ['ignore', 'pipe', 'pipe'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function log(...args) {
	console.error('[make-tls-fixtures]', ...args);
}

function need(cmd) {
	try {
		execFileSync('sh', ['-c', `command -v ${cmd}`], {stdio: 'ignore'});
	} catch {
		throw new Error(`${cmd} is required (Debian: tshark, tcpdump, curl, openssl, chromium)`);
	}
}

// ---- certificate -------------------------------------------------------------------------------

function makeCert() {
	const key = path.join(TMP, 'key.pem');
	const cert = path.join(TMP, 'cert.pem');
	execFileSync('openssl', [
		'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '3650',
		'-keyout', key, '-out', cert, '-subj', '/CN=tattle test server',
		'-addext', `subjectAltName=${NAMES.map((n) => `DNS:${n}`).join(',')}`,
	], {stdio: ['ignore', 'ignore', 'pipe']});
	return {key: fs.readFileSync(key), cert: fs.readFileSync(cert)};
}

// ---- the server --------------------------------------------------------------------------------

/** The browser page: a POST with fetch() once loaded. */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>tattle fixture</title><link rel="icon" href="data:,"></head>
<body><p id="s">loading</p>
<script>
fetch('/api/collect?src=page', {method: 'POST', headers: {'content-type': 'application/json'},
  body: JSON.stringify({event: 'page_view', url: location.href, screen: '1080x2340', n: 1})})
  .then((r) => r.text()).then((t) => { document.getElementById('s').textContent = 'done ' + t; });
</script></body></html>
`;

/** Every request the server has read completely, while a case records; keyed by case. */
const received = new Map();
let receiving = [];
/** Called with every request the server has read completely (the browser case waits for its POST). */
let onRequest = () => {};

function startServer(creds) {
	const server = http2.createSecureServer({
		...creds,
		allowHTTP1: true,
		minVersion: 'TLSv1.2',
		// TLS 1.3 suites and the TLS 1.2 ones the cases ask for (the client picks with its offer).
		ciphers: [
			'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
			'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305',
			'ECDHE-RSA-AES128-SHA256',
		].join(':'),
	});
	server.on('secureConnection', (s) => s.setNoDelay(true));
	server.on('request', (req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			const host = String(req.headers[':authority'] ?? req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
			receiving.push({method: req.method, host, path: req.url, body: body.toString('hex')});
			onRequest({method: req.method, url: req.url, host: req.headers[':authority'] ?? req.headers.host, body});
			if (req.method === 'GET' && req.url === '/') {
				res.writeHead(200, {'content-type': 'text/html; charset=utf-8'});
				res.end(PAGE);
			} else if (req.method === 'GET' && req.url === '/private-page') {
				res.writeHead(200, {'content-type': 'text/html; charset=utf-8'});
				res.end('<!doctype html><title>Private page</title><p>Nothing to see.</p>\n');
			} else {
				const sha = createHash('sha256').update(body).digest('hex').slice(0, 16);
				res.writeHead(200, {'content-type': 'application/json'});
				res.end(JSON.stringify({ok: true, method: req.method, path: req.url, bytes: body.length, sha}) + '\n');
			}
		});
	});
	return new Promise((resolve) => server.listen(PORT, '127.0.0.1', () => resolve(server)));
}

// ---- capture -----------------------------------------------------------------------------------

/** Runs `fn(keysPath)` while tcpdump records the server port on lo; returns the raw files. */
async function record(name, fn) {
	const pcap = path.join(TMP, `${name}.raw.pcap`);
	const keys = path.join(TMP, `${name}.keys`);
	fs.writeFileSync(keys, '');
	const dump = spawn('tcpdump', ['-i', 'lo', '--immediate-mode', '-U', '-s', '0', '-n', '-Z', 'root', '-w', pcap, `tcp port ${PORT}`], {
		stdio: ['ignore', 'ignore', 'pipe'],
	});
	let err = '';
	await new Promise((resolve, reject) => {
		dump.stderr.on('data', (d) => {
			err += d;
			if (err.includes('listening on')) resolve();
		});
		dump.on('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${err}`)));
	});
	await sleep(200);
	receiving = [];
	received.set(name, receiving);
	try {
		await fn(keys);
	} finally {
		await sleep(500);
		const exited = new Promise((r) => dump.on('exit', r));
		dump.kill('SIGINT');
		await exited;
	}
	return {pcap, keys};
}

/** tcp.stream numbers of the connections whose ClientHello names one of `snis`. */
function streamsFor(pcap, snis) {
	const out = execFileSync('tshark', ['-r', pcap, '-Y', 'tls.handshake.type == 1', '-T', 'fields',
		'-e', 'tcp.stream', '-e', 'tls.handshake.extensions_server_name'], {encoding: 'utf8', stdio: QUIET});
	const streams = new Set();
	for (const line of out.split('\n')) {
		const [stream, sni] = line.split('\t');
		if (stream && snis.includes(sni)) streams.add(Number(stream));
	}
	return [...streams];
}

/** Keeps only the connections to `snis`, writes OUT/NAME.pcap and OUT/NAME.keys (only their lines). */
function finish(name, raw, snis, {pcapng = false} = {}) {
	const streams = streamsFor(raw.pcap, snis);
	// What the server read on the connections kept (a browser also talks to other names).
	received.set(name, (received.get(name) ?? []).filter((r) => snis.includes(r.host)));
	if (streams.length === 0) throw new Error(`${name}: no ClientHello for ${snis.join(', ')}`);
	const pcap = path.join(OUT, `${name}.pcap`);
	execFileSync('tshark', ['-r', raw.pcap, '-Y', streams.map((s) => `tcp.stream == ${s}`).join(' || '), '-F', 'pcap', '-w', pcap], {stdio: QUIET});
	// The key lines of the kept connections only (a browser may have made others).
	const randoms = new Set(execFileSync('tshark', ['-r', pcap, '-Y', 'tls.handshake.type == 1', '-T', 'fields',
		'-e', 'tls.handshake.random'], {encoding: 'utf8', stdio: QUIET}).split('\n').filter(Boolean).map((r) => r.replace(/:/g, '').toLowerCase()));
	const lines = fs.readFileSync(raw.keys, 'utf8').split('\n').filter((l) => {
		const f = l.split(' ');
		return f.length === 3 && randoms.has(f[1].toLowerCase());
	});
	if (lines.length === 0) throw new Error(`${name}: the key log has no line for the kept connections`);
	fs.writeFileSync(path.join(OUT, `${name}.keys`), lines.join('\n') + '\n');
	if (pcapng) {
		const ng = path.join(OUT, `${name}.pcapng`);
		execFileSync('editcap', ['-F', 'pcapng', '--inject-secrets', `tls,${path.join(OUT, `${name}.keys`)}`, pcap, ng], {stdio: QUIET});
	}
	log(`${name}: ${streams.length} connection(s), ${lines.length} key lines`);
}

// ---- clients -----------------------------------------------------------------------------------

function run(cmd, args, {env = {}, input} = {}) {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, {env: {...process.env, ...env}, stdio: ['pipe', 'pipe', 'pipe']});
		let out = '';
		let err = '';
		child.stdout.on('data', (d) => (out += d));
		child.stderr.on('data', (d) => (err += d));
		child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} -> ${code}\n${err}`))));
		child.stdin.end(input);
	});
}

/** curl against NAME on the local server, with the key log in `keys`. */
function curl(keys, url, args) {
	const host = new URL(url).hostname;
	return run('curl', ['-sS', '-k', '--resolve', `${host}:${PORT}:127.0.0.1`, ...args, url], {env: {SSLKEYLOGFILE: keys}});
}

/** A small JSON body naming the case, so every fixture's request body differs. */
const body = (name, extra = {}) => JSON.stringify({case: name, user: 'alice@example.com', lat: 55.7558, lon: 37.6173, ...extra});

// ---- the Sensors Analytics upload (scripts/make-captures/scenario.py's sa_body) ---------------

const MIUI = 'V12.0.3.0.QCOMIXM';
const ANDROID = '10';
const MODEL = 'Redmi Note 8';
const ANDROID_ID = '6f1c0b3a9d2e4875';
const DALVIK_UA = `Dalvik/2.1.0 (Linux; U; Android ${ANDROID}; ${MODEL} MIUI/${MIUI})`;
const BROWSER_UA = `Mozilla/5.0 (Linux; U; Android ${ANDROID}; en-us; ${MODEL} Build/QKQ1.200114.002) AppleWebKit/537.36 ` +
	'(KHTML, like Gecko) Version/4.0 Chrome/89.0.4389.116 Mobile Safari/537.36 XiaoMi/MiuiBrowser/13.5.40-gn';
const PRIVATE_URL = 'https://example.org/private-page';
const SA_URL = 'https://sa.api.intl.miui.com/sa?project=global_browser_mini';

/**
 * The upload body, made by scenario.py's own sa_event()/sa_body() (Python's zlib: Node's gzip
 * output differs byte for byte), with fixed `_track_id`s and times so it is the same every run:
 * `crc=<java hash>&gzip=1&data_list=<urlencoded base64(gzip(json))>`.
 */
function saBody() {
	const py = `
import sys
sys.path.insert(0, sys.argv[1])
import scenario
URL = ${JSON.stringify(PRIVATE_URL)}
def ev(name, track_id, ms):
    e = scenario.sa_event(name, {'$url': URL, '$title': 'Private page', 'url': URL}, ms / 1000)
    e['_track_id'] = track_id
    e['time'] = ms
    return e
sys.stdout.write(scenario.sa_body([ev('page_load_event_start', 1834157062, 1718013600123),
                                   ev('page_load_event_finish', -906237815, 1718013601347)]).decode())
`;
	return execFileSync('python3', ['-c', py, path.join(ROOT, 'scripts/make-captures')], {encoding: 'utf8'});
}

// ---- the cases ---------------------------------------------------------------------------------

const H2 = 'h2.example.com';
const H1 = 'h1.example.net';

/** curl, one POST: TLS version, suite and HTTP version from the arguments. */
function curlCase(name, host, tlsArgs, httpArg, {pcapng = false, chunked = false} = {}) {
	return async () => {
		const raw = await record(name, (keys) => curl(keys, `https://${host}/api/v1/upload?case=${name}`, [
			...tlsArgs, httpArg, '-H', 'Content-Type: application/json', ...(chunked ? ['-H', 'Transfer-Encoding: chunked'] : []),
			'--data-binary', body(name),
		]));
		finish(name, raw, [host], {pcapng});
	};
}

const TLS13 = (suite) => ['--tlsv1.3', '--tls-max', '1.3', '--tls13-ciphers', suite];
const TLS12 = (suite) => ['--tlsv1.2', '--tls-max', '1.2', '--ciphers', suite];

const CASES = {
	'tls13-h2-aes128gcm': curlCase('tls13-h2-aes128gcm', H2, TLS13('TLS_AES_128_GCM_SHA256'), '--http2', {pcapng: true}),
	'tls13-h2-aes256gcm': curlCase('tls13-h2-aes256gcm', H2, TLS13('TLS_AES_256_GCM_SHA384'), '--http2'),
	'tls13-h2-chacha20': curlCase('tls13-h2-chacha20', H2, TLS13('TLS_CHACHA20_POLY1305_SHA256'), '--http2'),
	'tls13-h1-aes128gcm': curlCase('tls13-h1-aes128gcm', H1, TLS13('TLS_AES_128_GCM_SHA256'), '--http1.1', {chunked: true}),
	'tls12-h1-aes128gcm': curlCase('tls12-h1-aes128gcm', H1, TLS12('ECDHE-RSA-AES128-GCM-SHA256'), '--http1.1', {pcapng: true}),
	'tls12-h1-aes256gcm': curlCase('tls12-h1-aes256gcm', H1, TLS12('ECDHE-RSA-AES256-GCM-SHA384'), '--http1.1'),
	'tls12-h1-chacha20': curlCase('tls12-h1-chacha20', H1, TLS12('ECDHE-RSA-CHACHA20-POLY1305'), '--http1.1'),
	'tls12-h2-aes128gcm': curlCase('tls12-h2-aes128gcm', H2, TLS12('ECDHE-RSA-AES128-GCM-SHA256'), '--http2'),
	'tls12-h1-cbc-unsupported': curlCase('tls12-h1-cbc-unsupported', 'cbc.example.net', TLS12('ECDHE-RSA-AES128-SHA256'), '--http1.1'),

	/** Node's http2 client: 3 GETs at once with the same custom headers (HPACK dynamic table), then 2 POSTs. */
	async 'tls13-h2-hpack-multi'() {
		const name = 'tls13-h2-hpack-multi';
		const host = 'hpack.example.com';
		const raw = await record(name, async (keys) => {
			const socket = tls.connect({host: '127.0.0.1', port: PORT, servername: host, ALPNProtocols: ['h2'],
				rejectUnauthorized: false, minVersion: 'TLSv1.3', ciphersuites: 'TLS_AES_128_GCM_SHA256'});
			socket.on('keylog', (line) => fs.appendFileSync(keys, line));
			await new Promise((r, j) => socket.once('secureConnect', r).once('error', j));
			socket.setNoDelay(true);
			const session = http2.connect(`https://${host}`, {createConnection: () => socket});
			const common = {
				'user-agent': 'okhttp/3.12.12',
				'x-device-id': ANDROID_ID,
				'x-session-token': 'c2Vzc2lvbi10b2tlbi1mb3ItdGhlLWhwYWNrLWNhc2U',
				'accept-language': 'ru-RU,ru;q=0.9,en-US;q=0.8',
			};
			const request = (headers, chunks = []) => new Promise((resolve, reject) => {
				const req = session.request({...common, ...headers}, {endStream: chunks.length === 0});
				req.on('response', () => {});
				req.on('data', () => {});
				req.on('end', resolve);
				req.on('error', reject);
				(async () => {
					for (const [i, c] of chunks.entries()) {
						if (i) await sleep(30);
						req.write(c);
					}
					if (chunks.length) req.end();
				})();
			});
			// The 3 GETs go out together (their HEADERS frames share packets).
			await Promise.all([1, 2, 3].map((i) => request({':method': 'GET', ':path': `/v2/config?item=${i}`})));
			await request({':method': 'POST', ':path': '/v2/events', 'content-type': 'application/json'},
				[body(name, {post: 1})]);
			// A body in 3 DATA frames, in 3 packets.
			await request({':method': 'POST', ':path': '/v2/events?part=3', 'content-type': 'application/json'},
				['{"part":1,"a":"' + 'x'.repeat(300) + '",', '"part2":"' + 'y'.repeat(300) + '",', '"end":true}']);
			await new Promise((r) => session.close(r));
		});
		finish(name, raw, [host]);
	},

	/** openssl s_client: a request, a KeyUpdate (update_requested, s_client's `K` command), another request. */
	async 'tls13-h1-keyupdate'() {
		const name = 'tls13-h1-keyupdate';
		const host = 'keyupdate.example.com';
		const raw = await record(name, async (keys) => {
			const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${PORT}`, '-servername', host, '-tls1_3',
				'-ciphersuites', 'TLS_AES_256_GCM_SHA384', '-alpn', 'http/1.1', '-keylogfile', keys, '-crlf', '-no_ticket'],
			{stdio: ['pipe', 'pipe', 'pipe']});
			const exited = new Promise((r) => child.on('exit', r));
			let out = '';
			child.stdout.on('data', (d) => (out += d));
			child.stderr.on('data', (d) => (out += d));
			const until = async (re) => {
				for (let i = 0; i < 100 && !re.test(out); i++) await sleep(50);
				if (!re.test(out)) throw new Error(`s_client: no ${re} in\n${out}`);
			};
			await until(/Verify return code/);
			await sleep(300);
			child.stdin.write(`GET /before-key-update HTTP/1.1\nHost: ${host}\nUser-Agent: openssl-s_client\n\n`);
			await until(/"path":"\/before-key-update"/);
			child.stdin.write('K\n');
			await until(/KEYUPDATE/);
			await sleep(300);
			// The body in two chunks (s_client -crlf turns each \n into \r\n).
			const b = body(name, {after: 'key update'});
			const [c1, c2] = [b.slice(0, 40), b.slice(40)];
			child.stdin.write(`POST /after-key-update HTTP/1.1\nHost: ${host}\nUser-Agent: openssl-s_client\n` +
				`Content-Type: application/json\nTransfer-Encoding: chunked\nConnection: close\n\n` +
				`${c1.length.toString(16)}\n${c1}\n${c2.length.toString(16)}\n${c2}\n0\n\n`);
			await until(/"path":"\/after-key-update"/);
			await sleep(300);
			child.stdin.end();
			await exited;
		});
		finish(name, raw, [host]);
	},

	/** curl through a proxy that forwards the client's first flight in 100-byte segments. */
	async 'tls13-h2-split-clienthello'() {
		const name = 'tls13-h2-split-clienthello';
		const host = 'split.example.com';
		const proxy = net.createServer((client) => {
			client.pause();
			const upstream = net.connect({host: '127.0.0.1', port: PORT}, () => {
				upstream.setNoDelay(true);
				client.once('data', async (first) => {
					client.pause();
					for (let i = 0; i < first.length; i += 100) {
						upstream.write(first.subarray(i, i + 100));
						await sleep(20);
					}
					client.pipe(upstream);
					client.resume();
				});
				upstream.pipe(client);
				client.resume();
			});
			client.on('error', () => upstream.destroy());
			upstream.on('error', () => client.destroy());
		});
		await new Promise((r) => proxy.listen(PROXY_PORT, '127.0.0.1', r));
		try {
			const raw = await record(name, (keys) => run('curl', ['-sS', '-k', '--connect-to', `${host}:443:127.0.0.1:${PROXY_PORT}`,
				...TLS13('TLS_AES_128_GCM_SHA256'), '--http2', '-H', 'Content-Type: application/json', '--data-binary', body(name),
				`https://${host}/api/v1/upload?case=${name}`], {env: {SSLKEYLOGFILE: keys}}));
			finish(name, raw, [host]);
		} finally {
			proxy.close();
		}
	},

	/** Headless chromium loads a page whose script POSTs with fetch(). */
	async 'chromium-tls13-h2'() {
		const name = 'chromium-tls13-h2';
		const host = 'browser.example.com';
		const profile = fs.mkdtempSync(path.join(TMP, 'chromium-'));
		const raw = await record(name, async (keys) => {
			let posted;
			const gotPost = new Promise((r) => (posted = r));
			onRequest = (r) => {
				if (r.method === 'POST') posted();
			};
			const child = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
				'--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions',
				'--disable-default-apps', '--no-default-browser-check', '--metrics-recording-only', '--disable-features=Translate,OptimizationHints,MediaRouter',
				`--user-data-dir=${profile}`, `--ssl-key-log-file=${keys}`, '--host-resolver-rules=MAP * 127.0.0.1',
				'--ignore-certificate-errors', '--dump-dom', '--virtual-time-budget=5000', `https://${host}/`],
			{stdio: ['ignore', 'pipe', 'pipe'], detached: true});
			let out = '';
			child.stdout.on('data', (d) => (out += d));
			child.stderr.on('data', () => {});
			const exited = new Promise((r) => child.on('exit', r));
			await Promise.race([gotPost, sleep(20000)]);
			await Promise.race([exited, sleep(3000)]);
			if (child.exitCode === null) {
				process.kill(-child.pid, 'SIGTERM');
				await exited;
			}
			onRequest = () => {};
			log(`chromium: ${out.match(/<p id="s">[^<]*<\/p>/)?.[0] ?? '(no DOM)'}`);
		});
		finish(name, raw, [host], {pcapng: true});
	},

	/** Mi Browser: the visit (GET example.org) then, on another connection, the SA upload. TLS 1.3 + h2. */
	'sa-tls13-h2': saCase('sa-tls13-h2', TLS13('TLS_AES_128_GCM_SHA256'), '--http2', true),
	/** The same over TLS 1.2 + HTTP/1.1. */
	'sa-tls12-h1': saCase('sa-tls12-h1', TLS12('ECDHE-RSA-AES128-GCM-SHA256'), '--http1.1', false),
};

function saCase(name, tlsArgs, httpArg, pcapng) {
	return async () => {
		const raw = await record(name, async (keys) => {
			await curl(keys, PRIVATE_URL, [...tlsArgs, httpArg, '-A', BROWSER_UA,
				'-H', 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,*/*;q=0.8',
				'-H', 'Accept-Language: ru-RU,ru;q=0.9,en-US;q=0.8', '-o', '/dev/null']);
			await sleep(300);
			await curl(keys, SA_URL, [...tlsArgs, httpArg, '-A', DALVIK_UA,
				'-H', 'Content-Type: application/x-www-form-urlencoded', '--data-binary', saBody(), '-o', '/dev/null']);
		});
		finish(name, raw, ['example.org', 'sa.api.intl.miui.com'], {pcapng});
	};
}

// ---- expected.json -----------------------------------------------------------------------------

/** Loads test/helpers/tshark-http.ts (transpiled with the repo's TypeScript) and records what tshark decrypts. */
async function writeExpected() {
	const {default: ts} = await import(pathToFileURL(path.join(ROOT, 'node_modules/typescript/lib/typescript.js')).href);
	const src = fs.readFileSync(path.join(ROOT, 'test/helpers/tshark-http.ts'), 'utf8');
	const js = ts.transpileModule(src, {compilerOptions: {module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022}}).outputText;
	const file = path.join(TMP, 'tshark-http.mjs');
	fs.writeFileSync(file, js);
	const {tsharkHttpRequests} = await import(pathToFileURL(file).href);
	const expected = {};
	for (const f of fs.readdirSync(OUT).filter((f) => /\.pcap(ng)?$/.test(f)).sort()) {
		const full = path.join(OUT, f);
		const keys = f.endsWith('.pcap') ? full.replace(/\.pcap$/, '.keys') : undefined;
		expected[f] = tsharkHttpRequests(full, keys);
		log(`${f}: ${expected[f].length} request(s)`);
		// Without the keys nothing is readable (the requests above really come from decryption).
		if (keys && tsharkHttpRequests(full).length) throw new Error(`${f}: tshark finds requests without the key log`);
		if (expected[f].length === 0) throw new Error(`${f}: tshark decrypts no request`);
		// Recorded in this run: what tshark decrypts must be what the server read.
		const served = received.get(f.replace(/\.pcap(ng)?$/, ''));
		if (served) {
			const key = (r) => `${r.method} ${r.host} ${r.path} ${r.body}`;
			const a = expected[f].map(key).sort();
			const b = served.map(key).sort();
			if (JSON.stringify(a) !== JSON.stringify(b)) {
				throw new Error(`${f}: tshark's requests differ from the server's:\n${a.join('\n')}\n--\n${b.join('\n')}`);
			}
		}
	}
	fs.writeFileSync(path.join(OUT, 'expected.json'), JSON.stringify(expected, null, '\t') + '\n');
}

// ---- main --------------------------------------------------------------------------------------

async function main() {
	for (const cmd of ['tcpdump', 'tshark', 'editcap', 'curl', 'openssl', 'chromium']) need(cmd);
	if (process.getuid?.() !== 0) throw new Error('run as root (tcpdump on lo, a server on port 443)');
	const wanted = process.argv.slice(2);
	for (const w of wanted) if (!(w in CASES) && w !== 'expected') throw new Error(`no case ${w}; cases: ${Object.keys(CASES).join(' ')}`);
	fs.mkdirSync(OUT, {recursive: true});
	const server = await startServer(makeCert());
	try {
		for (const [name, make] of Object.entries(CASES)) {
			if (wanted.length && !wanted.includes(name)) continue;
			log(`recording ${name}`);
			await make();
		}
	} finally {
		server.close();
	}
	if (fs.existsSync(path.join(ROOT, 'test/helpers/tshark-http.ts'))) await writeExpected();
	fs.rmSync(TMP, {recursive: true, force: true});
}

main().then(() => process.exit(0), (e) => {
	console.error(e);
	console.error(`[make-tls-fixtures] raw captures and key logs kept in ${TMP}`);
	process.exit(1);
});
