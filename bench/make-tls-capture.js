/**
 * Records a real TLS capture for the decrypted-throughput benchmark: a Node http2 secure server
 * (allowHTTP1, self-signed certificate made by openssl) and Node clients (http2.connect for h2,
 * https.request with a keep-alive agent for HTTP/1.1) upload POST bodies of 16-256 KB over
 * several TLS connections, a mix of TLS 1.3 and 1.2 with AES-128-GCM, AES-256-GCM and
 * ChaCha20-Poly1305 (see PLAN); the responses are tiny. tcpdump records the loopback traffic; the
 * clients' `keylog` events go to an NSS key log beside the capture.
 *
 * Where `unshare -n` works (root here), everything runs in a private network namespace whose own
 * loopback gets a 1500-byte MTU and no GSO, so the packets are the size a phone's are (the host's
 * loopback would give 64 KB packets) and the host's other tcpdumps and servers are not touched.
 * Otherwise it records on the host's lo on a free port (packets up to 64 KB; meta.netns false).
 *
 * Real handshakes cannot be replayed deterministically, so the capture is recorded once and kept
 * (bench/run.js reuses it while the metadata matches the parameters).
 *
 *   node bench/make-tls-capture.js [--mb MB] [--seed S] [--out FILE]   (FILE.keys, FILE.json beside)
 */
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import http2 from 'node:http2';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import {fileURLToPath} from 'node:url';
import {rng} from './make-capture.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SELF = fileURLToPath(import.meta.url);

/** Client->server application data the clients upload, in MB (the issue asks for a ~50 MB file). */
export const DEFAULT_TLS_MB = 48;
/** POST body sizes: uniform in this range (bytes). */
const BODY_MIN = 16 * 1024;
const BODY_MAX = 256 * 1024;
/** Concurrent streams per h2 connection (a phone app's uploads overlap). */
const H2_STREAMS = 4;
/** Server name the clients ask for (SNI, :authority, Host). */
const SERVER_NAME = 'upload.example.com';
/** Port in the private namespace: 443, where tshark's TLS dissector looks without being told. */
const NETNS_PORT = 443;
/** MTU of the namespace's loopback: Ethernet-sized packets, as a phone sends. */
const NETNS_MTU = 1500;
/** Bumped when the recording changes in a way the parameters do not show. */
const RECORDER_VERSION = 2;

/**
 * The connections, all open at once: version, suite (OpenSSL name), ALPN. TLS 1.3 first: most of
 * a phone's traffic today. Each carries an equal share of the upload.
 */
export const PLAN = [
	{version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: 'h2'},
	{version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', alpn: 'h2'},
	{version: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256', alpn: 'h2'},
	{version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', alpn: 'http/1.1'},
	{version: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256', alpn: 'http/1.1'},
	{version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256', alpn: 'h2'},
	{version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384', alpn: 'h2'},
	{version: 'TLSv1.2', cipher: 'ECDHE-RSA-CHACHA20-POLY1305', alpn: 'h2'},
	{version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384', alpn: 'http/1.1'},
	{version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES128-GCM-SHA256', alpn: 'http/1.1'},
];

/** What identifies a recording: a cached capture is reused only while this matches. */
export function tlsParams(megabytes, seed) {
	const params = {megabytes, seed, plan: PLAN, bodyMin: BODY_MIN, bodyMax: BODY_MAX, h2Streams: H2_STREAMS, version: RECORDER_VERSION};
	return {...params, key: createHash('sha256').update(JSON.stringify(params)).digest('hex').slice(0, 12)};
}

function hasCommand(cmd) {
	return spawnSync('sh', ['-c', `command -v ${cmd}`], {stdio: 'ignore'}).status === 0;
}

/**
 * Records the capture (synchronously: the recording runs in a child, in its own network namespace
 * when possible). Writes OUT, OUT.keys and OUT.json; returns the metadata. Throws with a readable
 * reason when tcpdump is missing or cannot capture.
 */
export function makeTlsCapture({out, megabytes = DEFAULT_TLS_MB, seed = 1}) {
	if (!hasCommand('tcpdump')) throw new Error('tcpdump not installed');
	if (!hasCommand('openssl')) throw new Error('openssl not installed');
	mkdirSync(path.dirname(out), {recursive: true});
	const params = tlsParams(megabytes, seed);
	const netns = hasCommand('unshare') && hasCommand('ip') && spawnSync('unshare', ['-n', 'true'], {stdio: 'ignore'}).status === 0;
	const job = JSON.stringify({out, megabytes, seed, netns});
	const argv = netns ? ['unshare', '-n', process.execPath, SELF, '--record', job] : [process.execPath, SELF, '--record', job];
	const r = spawnSync(argv[0], argv.slice(1), {stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 24});
	if (r.status !== 0) throw new Error(`recording failed (${netns ? 'in a network namespace' : 'on the host lo'}): ${(r.stderr || r.error?.message || '').trim().slice(-600)}`);
	const meta = {...JSON.parse(r.stdout), params: params.key};
	writeFileSync(`${out}.json`, JSON.stringify(meta, null, 1));
	return meta;
}

// ---------------------------------------------------------------------------------------------
// The recording itself (child process, maybe inside `unshare -n`).

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function record({out, megabytes, seed, netns}) {
	const keys = `${out}.keys`;
	const tmp = `${out}.part`;
	rmSync(keys, {force: true});
	rmSync(tmp, {force: true});
	writeFileSync(keys, '');
	if (netns) {
		execFileSync('ip', ['link', 'set', 'lo', 'up']);
		execFileSync('ip', ['link', 'set', 'lo', 'mtu', String(NETNS_MTU)]);
		// One MSS per packet on the wire (no 64 KB GSO super-packets in the capture); older ip/kernels may refuse.
		spawnSync('ip', ['link', 'set', 'lo', 'gso_max_segs', '1'], {stdio: 'ignore'});
	}
	const {key, cert} = certificate();
	const server = http2.createSecureServer({
		key,
		cert,
		allowHTTP1: true,
		minVersion: 'TLSv1.2',
		ciphers: `${tls.DEFAULT_CIPHERS}:ECDHE-RSA-CHACHA20-POLY1305`,
		settings: {initialWindowSize: 1 << 20},
	});
	let handshakes = 0;
	let requests = 0;
	server.on('secureConnection', () => handshakes++);
	server.on('request', (req, res) => {
		let n = 0;
		req.on('data', (d) => (n += d.length));
		req.on('end', () => {
			requests++;
			res.writeHead(200, {'content-type': 'application/json'});
			res.end(`{"ok":true,"n":${n}}`);
		});
	});
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(netns ? NETNS_PORT : 0, '127.0.0.1', resolve);
	});
	const port = server.address().port;

	// --immediate-mode: packets reach tcpdump as they come, not in blocks up to a second late (a
	// SIGINT drops what the kernel still holds); -U writes each one to the file at once.
	const immediate = /immediate-mode/.test(spawnSync('tcpdump', ['--help'], {encoding: 'utf8'}).stderr ?? '');
	const dump = spawn('tcpdump', ['-i', 'lo', ...(immediate ? ['--immediate-mode'] : []), '-U', '-s', '0', '-w', tmp, `tcp port ${port}`], {stdio: ['ignore', 'ignore', 'pipe']});
	const dumpLog = {text: ''};
	dump.stderr.on('data', (d) => (dumpLog.text += d));
	const dumpExit = new Promise((resolve) => dump.on('close', (code, signal) => resolve({code, signal})));
	try {
		return await recordWith({out, tmp, keys, megabytes, seed, netns, server, port, dump, dumpLog, dumpExit, counts: () => ({handshakes, requests})});
	} finally {
		// Only the tcpdump this process started, by its own PID (others may run on this machine).
		if (dump.exitCode === null && dump.signalCode === null) dump.kill('SIGTERM');
		if (server.listening) server.close();
	}
}

async function recordWith({out, tmp, keys, megabytes, seed, netns, server, port, dump, dumpLog, dumpExit, counts}) {
	await new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${dumpLog.text.trim()}`)), 10_000);
		dump.on('error', (e) => reject(new Error(`tcpdump: ${e.message}`)));
		const started = () => {
			if (!/listening on/.test(dumpLog.text)) return;
			clearTimeout(timer);
			dump.stderr.off('data', started);
			resolve();
		};
		dump.stderr.on('data', started);
		dumpExit.then(({code}) => reject(new Error(`tcpdump exited ${code}: ${dumpLog.text.trim()}`)));
	});

	const random = rng(seed);
	const share = (megabytes * 1e6) / PLAN.length;
	const payload = Buffer.alloc(BODY_MAX);
	for (let i = 0; i < payload.length; i++) payload[i] = Math.floor(random() * 256);
	const logKey = (line) => appendFileSync(keys, line);
	const jobs = PLAN.map((c, i) => {
		const sizes = [];
		for (let total = 0; total < share; ) {
			const n = BODY_MIN + Math.floor(random() * (BODY_MAX - BODY_MIN + 1));
			sizes.push(n);
			total += n;
		}
		const tlsOpts = {
			host: '127.0.0.1',
			port,
			servername: SERVER_NAME,
			rejectUnauthorized: false,
			minVersion: c.version,
			maxVersion: c.version,
			ciphers: c.cipher,
			ALPNProtocols: [c.alpn],
		};
		const run = c.alpn === 'h2' ? uploadH2 : uploadH1;
		return run(i, tlsOpts, sizes, payload, logKey).then((got) => {
			if (got.version !== c.version || got.cipher !== c.cipher || got.alpn !== c.alpn) {
				throw new Error(`connection ${i} negotiated ${got.version} ${got.cipher} ${got.alpn}, wanted ${c.version} ${c.cipher} ${c.alpn}`);
			}
			return {...c, suite: got.standardName, requests: sizes.length, bodyBytes: sizes.reduce((a, b) => a + b, 0)};
		});
	});
	const t0 = performance.now();
	const connections = await Promise.all(jobs);
	const uploadSeconds = (performance.now() - t0) / 1000;
	await new Promise((r) => server.close(r));
	await settled(tmp);
	dump.kill('SIGINT');
	const {code, signal} = await dumpExit;
	if (code !== 0 && signal !== 'SIGINT') throw new Error(`tcpdump ended ${code ?? signal}: ${dumpLog.text.trim()}`);
	const dropped = Number(/(\d+) packets? dropped by kernel/.exec(dumpLog.text)?.[1] ?? 0);
	if (dropped > 0) throw new Error(`tcpdump: ${dropped} packets dropped by kernel; the capture is incomplete`);

	const totalRequests = connections.reduce((a, c) => a + c.requests, 0);
	const {handshakes, requests} = counts();
	if (handshakes !== PLAN.length) throw new Error(`the server saw ${handshakes} TLS handshakes, expected ${PLAN.length}`);
	if (requests !== totalRequests) throw new Error(`the server answered ${requests} requests, expected ${totalRequests}`);
	const scan = scanCapture(readFileSync(tmp), port);
	if (scan.flows !== PLAN.length) throw new Error(`the capture holds ${scan.flows} TCP connections, expected ${PLAN.length}`);
	renameSync(tmp, out);
	const keyLines = readFileSync(keys, 'utf8').split('\n').filter(Boolean).length;
	return {
		packets: scan.packets,
		bytes: scan.bytes,
		connections: PLAN.length,
		requests: totalRequests,
		bodyBytes: connections.reduce((a, c) => a + c.bodyBytes, 0),
		appBytes: scan.clientAppBytes,
		clientRecords: scan.clientAppRecords,
		maxPacket: scan.maxPacket,
		keyLines,
		port,
		netns,
		mtu: netns ? NETNS_MTU : undefined,
		recordSeconds: Number(uploadSeconds.toFixed(2)),
		megabytes,
		seed,
		plan: connections,
	};
}

/**
 * Waits until tcpdump has written everything: at least FLUSH_MS (libpcap hands over packets in
 * blocks with a timeout when immediate mode is missing), then until the file stops growing.
 */
async function settled(file) {
	const FLUSH_MS = 1200;
	const STABLE_MS = 300;
	const t0 = performance.now();
	let size = -1;
	let since = performance.now();
	for (;;) {
		await sleep(50);
		const now = existsSync(file) ? statSync(file).size : 0;
		if (now !== size) {
			size = now;
			since = performance.now();
		}
		if (performance.now() - t0 >= FLUSH_MS && performance.now() - since >= STABLE_MS) return;
	}
}

/** A self-signed RSA certificate for SERVER_NAME, made once by openssl and kept in bench/out. */
function certificate() {
	const dir = path.join(here, 'out', 'tls-cert');
	const keyFile = path.join(dir, 'key.pem');
	const certFile = path.join(dir, 'cert.pem');
	if (!existsSync(keyFile) || !existsSync(certFile)) {
		mkdirSync(dir, {recursive: true});
		execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '3650',
			'-subj', `/CN=${SERVER_NAME}`, '-addext', `subjectAltName=DNS:${SERVER_NAME}`], {stdio: 'ignore'});
	}
	return {key: readFileSync(keyFile), cert: readFileSync(certFile)};
}

function negotiated(socket) {
	const c = socket.getCipher();
	return {version: socket.getProtocol(), cipher: c.name, standardName: c.standardName, alpn: socket.alpnProtocol || undefined};
}

/** One h2 connection: the bodies as POSTs, H2_STREAMS at a time. */
function uploadH2(i, tlsOpts, sizes, payload, logKey) {
	return new Promise((resolve, reject) => {
		let socket;
		const session = http2.connect(`https://${SERVER_NAME}:${tlsOpts.port}`, {
			createConnection: () => {
				socket = tls.connect(tlsOpts);
				socket.on('keylog', logKey);
				return socket;
			},
		});
		session.on('error', reject);
		let next = 0;
		let done = 0;
		const one = () => {
			if (next >= sizes.length) return;
			const k = next++;
			const req = session.request({
				':method': 'POST',
				':path': `/v1/upload/${i}/${k}?chunk=${k}`,
				'content-type': 'application/octet-stream',
				'content-length': String(sizes[k]),
				'user-agent': 'tattle-bench/1 (Linux; Android 14)',
			});
			req.on('response', () => {});
			req.on('error', reject);
			req.resume();
			req.on('end', () => {
				done++;
				if (done === sizes.length) {
					const got = negotiated(socket);
					session.close(() => resolve(got));
				} else one();
			});
			req.end(payload.subarray(0, sizes[k]));
		};
		session.on('connect', () => {
			for (let s = 0; s < H2_STREAMS; s++) one();
		});
	});
}

/** One HTTP/1.1 connection: the bodies as POSTs one after another on a keep-alive socket. */
async function uploadH1(i, tlsOpts, sizes, payload, logKey) {
	const agent = new https.Agent({keepAlive: true, maxSockets: 1, maxCachedSessions: 0});
	agent.on('keylog', logKey);
	let socket;
	for (let k = 0; k < sizes.length; k++) {
		await new Promise((resolve, reject) => {
			const req = https.request({
				...tlsOpts,
				agent,
				method: 'POST',
				path: `/v1/upload/${i}/${k}?chunk=${k}`,
				headers: {
					host: SERVER_NAME,
					'content-type': 'application/octet-stream',
					'content-length': String(sizes[k]),
					'user-agent': 'tattle-bench/1 (Linux; Android 14)',
				},
			});
			req.on('socket', (s) => {
				if (socket && s !== socket) reject(new Error(`HTTP/1.1 connection ${i} opened a second socket`));
				socket = s;
			});
			req.on('error', reject);
			req.on('response', (res) => {
				res.resume();
				res.on('end', resolve);
			});
			req.end(payload.subarray(0, sizes[k]));
		});
	}
	const got = negotiated(socket);
	agent.destroy();
	return got;
}

/**
 * Walks the capture: packets, file bytes, TCP connections to the server, and the client's TLS
 * records (their stream reassembled by sequence number): how many bytes of application data
 * (content type 23, headers included) the phone side sent, the figure MB/s is counted in.
 */
export function scanCapture(buf, port) {
	if (buf.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('not a little-endian microsecond pcap');
	if (buf.readUInt32LE(20) !== 1) throw new Error(`link type ${buf.readUInt32LE(20)}, expected Ethernet`);
	const streams = new Map();
	let packets = 0;
	let maxPacket = 0;
	for (let at = 24; at + 16 <= buf.length; ) {
		const incl = buf.readUInt32LE(at + 8);
		const p = at + 16;
		at = p + incl;
		packets++;
		maxPacket = Math.max(maxPacket, incl);
		if (buf.readUInt16BE(p + 12) !== 0x0800) continue;
		const ip = p + 14;
		const ihl = (buf[ip] & 15) * 4;
		const total = buf.readUInt16BE(ip + 2);
		if (buf[ip + 9] !== 6) continue;
		const tcp = ip + ihl;
		const sport = buf.readUInt16BE(tcp);
		const dport = buf.readUInt16BE(tcp + 2);
		if (dport !== port) continue;
		const seq = buf.readUInt32BE(tcp + 4);
		const flags = buf[tcp + 13];
		const off = (buf[tcp + 12] >> 4) * 4;
		let s = streams.get(sport);
		if (flags & 0x02) {
			s = {isn: (seq + 1) >>> 0, next: 0, chunks: [], pending: []};
			streams.set(sport, s);
			continue;
		}
		if (!s) continue;
		const data = buf.subarray(tcp + off, ip + total);
		if (flags & 0x01) s.fin = ((seq - s.isn) >>> 0) + data.length;
		if (data.length === 0) continue;
		// Offsets in the stream; retransmissions (loopback has spurious ones) may overlap what we have.
		s.pending.push({start: (seq - s.isn) >>> 0, data});
		for (let moved = true; moved; ) {
			moved = false;
			for (let k = 0; k < s.pending.length; k++) {
				const {start, data: d} = s.pending[k];
				if (start > s.next) continue;
				s.pending.splice(k--, 1);
				moved = true;
				if (start + d.length <= s.next) continue;
				const tail = d.subarray(s.next - start);
				s.chunks.push(tail);
				s.next += tail.length;
			}
		}
	}
	let clientAppBytes = 0;
	let clientAppRecords = 0;
	for (const [sport, s] of streams) {
		if (s.pending.length) throw new Error(`client stream from port ${sport} has holes`);
		// The client closes each connection when done: its FIN must be there, right after the data.
		if (s.fin !== s.next) throw new Error(`client stream from port ${sport} is cut short (${s.fin === undefined ? 'no FIN' : `FIN at ${s.fin}`}, data to ${s.next})`);
		const b = Buffer.concat(s.chunks);
		let at = 0;
		while (at + 5 <= b.length) {
			const len = b.readUInt16BE(at + 3);
			if (b[at] === 23) {
				clientAppBytes += 5 + len;
				clientAppRecords++;
			}
			at += 5 + len;
		}
		if (at !== b.length) throw new Error(`client stream from port ${sport} ends inside a TLS record`);
	}
	return {packets, bytes: buf.length, flows: streams.size, clientAppBytes, clientAppRecords, maxPacket};
}

function parseArgs(argv) {
	const o = {megabytes: DEFAULT_TLS_MB, seed: 1, out: undefined};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--mb') o.megabytes = Number(argv[++i]);
		else if (a === '--seed') o.seed = Number(argv[++i]);
		else if (a === '--out') o.out = path.resolve(argv[++i]);
		else throw new Error(`unknown argument ${a}`);
	}
	if (!(o.megabytes > 0)) throw new Error('--mb wants a positive number');
	o.out ??= path.join(here, 'out', `tls-${o.megabytes}mb-s${o.seed}.pcap`);
	return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
	if (process.argv[2] === '--record') {
		record(JSON.parse(process.argv[3])).then(
			(meta) => process.stdout.write(JSON.stringify(meta)),
			(error) => {
				process.stderr.write(`${error.stack ?? error}\n`);
				process.exit(1);
			},
		);
	} else {
		const o = parseArgs(process.argv.slice(2));
		const meta = makeTlsCapture(o);
		process.stdout.write(`${JSON.stringify({file: o.out, ...meta, plan: undefined}, null, 1)}\n`);
	}
}
