/**
 * The tshark oracle for TLS decryption: the HTTP/1.x and HTTP/2 requests Wireshark's dissectors
 * find in a capture once the key log decrypts it. Tests compare tattle's decryptor against it;
 * test/fixtures/tls/expected.json is its output on the committed fixtures.
 *
 * One tshark run per capture: `-T json --no-duplicate-keys -x` keeps every HTTP/2 frame of a
 * packet apart (several streams in one packet, several DATA frames per request) and gives the
 * request body's bytes as the dissector saw them (`http.file_data_raw`: after de-chunking, with
 * decompression turned off).
 */
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';

export type OracleRequest = {
	method: string;
	host: string;
	path: string;
	/** Hex of the request body bytes as sent, after de-chunking; '' when none. */
	body: string;
	alpn: 'h2' | 'http/1.1';
};

/** tshark preferences: reassemble everything, never decompress bodies. */
const PREFS = [
	'tcp.desegment_tcp_streams:TRUE',
	'tcp.reassemble_out_of_order:TRUE',
	'tls.desegment_ssl_records:TRUE',
	'tls.desegment_ssl_application_data:TRUE',
	'http.desegment_headers:TRUE',
	'http.desegment_body:TRUE',
	'http.dechunk_body:TRUE',
	'http.decompress_body:FALSE',
];

/** The tshark arguments the oracle runs with (exported so a report can print them). */
export function tsharkArgs(pcapPath: string, keysPath?: string): string[] {
	const args = ['-r', pcapPath, '-n'];
	// No key log file given: only the pcapng's Decryption Secrets Blocks (and no user preference).
	args.push('-o', `tls.keylog_file:${keysPath ?? ''}`);
	for (const p of PREFS) args.push('-o', p);
	args.push('-Y', 'http.request || http2', '-T', 'json', '--no-duplicate-keys', '-x', '-J', 'frame tcp http http2');
	return args;
}

type Json = null | boolean | number | string | Json[] | {[key: string]: Json};
type Obj = {[key: string]: Json};

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** --no-duplicate-keys turns a repeated key into an array; a single one stays a value. */
function all(v: Json | undefined): Json[] {
	if (v === undefined) return [];
	return Array.isArray(v) ? v : [v];
}

function str(v: Json | undefined): string | undefined {
	const first = all(v)[0];
	return typeof first === 'string' ? first : undefined;
}

/** The first value of `key` anywhere under `v` (depth first). */
function find(v: Json | undefined, key: string): Json | undefined {
	if (Array.isArray(v)) {
		for (const x of v) {
			const r = find(x, key);
			if (r !== undefined) return r;
		}
	} else if (isObj(v)) {
		if (key in v) return v[key];
		for (const x of Object.values(v)) {
			const r = find(x, key);
			if (r !== undefined) return r;
		}
	}
	return undefined;
}

/** Host as compared: lower case, no port (IPv6 literals keep their brackets). */
function cleanHost(host: string): string {
	const h = host.trim().toLowerCase();
	if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
	return h.replace(/:\d*$/, '');
}

/** "7b:22:..." (FT_BYTES) -> "7b22...". */
const bytesHex = (s: string): string => s.replace(/:/g, '').toLowerCase();

type Found = OracleRequest & {frame: number; streamId: number};

/** HTTP requests tshark finds in a capture, decrypted with the key log when given (or with the DSBs inside a pcapng when keysPath is undefined), in capture order. */
export function tsharkHttpRequests(pcapPath: string, keysPath?: string): OracleRequest[] {
	// tshark silently decrypts nothing with a wrong file; say so instead (e.g. the capture itself).
	if (keysPath !== undefined && !/^[A-Z_]+ [0-9a-fA-F]{64} [0-9a-fA-F]+\r?$/m.test(readFileSync(keysPath, 'latin1'))) {
		throw new Error(`${keysPath} is not an NSS key log (no "LABEL <client random> <secret>" line)`);
	}
	const out = execFileSync('tshark', tsharkArgs(pcapPath, keysPath), {
		encoding: 'utf8',
		maxBuffer: 1 << 30,
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const packets = (out.trim() === '' ? [] : JSON.parse(out)) as Json[];
	const found: Found[] = [];
	/** Open HTTP/2 requests by "tcp stream/client port/stream id": DATA frames from the client append to the body. */
	const open = new Map<string, Found>();

	for (const packet of packets) {
		const layers = find(packet, 'layers');
		if (!isObj(layers)) continue;
		const frame = Number(str(find(layers.frame, 'frame.number')));
		const tcpStream = str(find(layers.tcp, 'tcp.stream')) ?? '?';
		const srcPort = str(find(layers.tcp, 'tcp.srcport')) ?? '?';

		for (const http of all(layers.http)) {
			if (!isObj(http)) continue;
			const method = str(find(http, 'http.request.method'));
			if (method === undefined) continue; // a response
			const raw = all(find(http, 'http.file_data_raw'));
			// "_raw" is [hex, offset, length, bitmask, type] (or a list of those when repeated).
			const hex = typeof raw[0] === 'string' ? raw[0] : Array.isArray(raw[0]) && typeof raw[0][0] === 'string' ? raw[0][0] : '';
			found.push({
				method,
				host: cleanHost(str(find(http, 'http.host')) ?? ''),
				path: str(find(http, 'http.request.uri')) ?? '',
				body: hex.toLowerCase(),
				alpn: 'http/1.1',
				frame,
				streamId: 0,
			});
		}

		for (const h2 of all(layers.http2)) {
			if (!isObj(h2)) continue;
			for (const st of all(h2['http2.stream'])) {
				if (!isObj(st)) continue;
				const type = str(st['http2.type']);
				const streamId = Number(str(st['http2.streamid']));
				const key = `${tcpStream}/${srcPort}/${streamId}`;
				if (type === '1') {
					const headers = new Map<string, string>();
					for (const h of all(st['http2.header'])) {
						if (!isObj(h)) continue;
						const name = str(h['http2.header.name']);
						const value = str(h['http2.header.value']) ?? '';
						if (name !== undefined && !headers.has(name)) headers.set(name, value);
					}
					const method = headers.get(':method');
					if (method === undefined) continue; // response headers or trailers
					const req: Found = {
						method,
						host: cleanHost(headers.get(':authority') ?? headers.get('host') ?? ''),
						path: headers.get(':path') ?? '',
						body: '',
						alpn: 'h2',
						frame,
						streamId,
					};
					found.push(req);
					open.set(key, req);
				} else if (type === '0') {
					const req = open.get(key);
					if (!req) continue; // a response body
					// On the frame that ends a body of several DATA frames, tshark 4.x gives the
					// reassembled body (and http2.data.data is that body too, not the frame's data).
					const reassembled = str(find(st['http2.body.fragments'], 'http2.body.reassembled.data'));
					if (reassembled !== undefined) req.body = bytesHex(reassembled);
					else req.body += bytesHex(str(st['http2.data.data']) ?? '');
				}
			}
		}
	}

	return found
		.map((r, i) => ({r, i}))
		.sort((a, b) => a.r.frame - b.r.frame || a.r.streamId - b.r.streamId || a.i - b.i)
		.map(({r}) => ({method: r.method, host: r.host, path: r.path, body: r.body, alpn: r.alpn}));
}
