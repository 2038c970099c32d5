/**
 * Captures that arrive over the network, as PCAPdroid exports them:
 * - `udp://HOST:PORT`        its UDP exporter sends to us (one record or block per datagram): net-udp.ts;
 * - `tcp-listen://HOST:PORT` its TCP exporter connects to us and streams a capture: net-tcp.ts;
 * - `tcp://HOST:PORT`        we connect and read a capture stream (pcap-over-IP, adb forward): net-tcp.ts;
 * - `http://HOST:PORT/PATH`  its HTTP server: GET, chunked body, a fresh preamble per client: net-http.ts.
 * This module names them (the spec forms and their parser) and opens one; what they share, the
 * segmented parser, queue and status, is NetCapture (net-capture.ts).
 *
 * Sockets start at once; iterate the stream to get packet batches, abort the signal (or stop
 * iterating) to close them. Problems never throw at the pipeline: they become status reports
 * (`onStatus`), counters (`stats`) and `error`. Packet data are views into received buffers:
 * copy what you keep past the batch (see capture-reader.ts).
 */
import {NetCapture, type NetCaptureStream, type NetSourceOptions} from './net-capture.js';
import {runHttp} from './net-http.js';
import {runTcpConnect, runTcpListen} from './net-tcp.js';
import {runUdp} from './net-udp.js';

export type {NetCaptureStream, NetSourceState} from './net-capture.js';

type NetSpec =
	| {kind: 'udp' | 'tcp-listen' | 'tcp'; host: string; port: number}
	| {kind: 'http'; host: string; port: number; url: string};

const SCHEMES = ['udp://', 'tcp-listen://', 'tcp://', 'http://'] as const;

/** The network packet sources, as messages name them. */
export const NET_SPEC_FORMS = 'udp://HOST:PORT, tcp://HOST:PORT, tcp-listen://HOST:PORT, http://HOST:PORT/PATH';

/** True when `spec` names a network source this module opens. */
export function isNetSpec(spec: string): boolean {
	return SCHEMES.some((s) => spec.startsWith(s));
}

/** Parses `udp://HOST:PORT`, `tcp-listen://HOST:PORT`, `tcp://HOST:PORT`, `http://HOST:PORT/PATH`; undefined when malformed. */
export function parseNetSpec(spec: string): NetSpec | undefined {
	const scheme = SCHEMES.find((s) => spec.startsWith(s));
	if (!scheme) return undefined;
	let url: URL;
	try {
		// URL parses http natively; the others are parsed as http for host and port, then renamed.
		url = new URL(scheme === 'http://' ? spec : `http://${spec.slice(scheme.length)}`);
	} catch {
		return undefined;
	}
	const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
	if (!host || url.username || url.password) return undefined;
	if (scheme === 'http://') {
		const port = url.port === '' ? 80 : Number(url.port);
		return {kind: 'http', host, port, url: url.href};
	}
	if (url.port === '' || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return undefined;
	if (!spec.slice(scheme.length).includes(':')) return undefined;
	const kind = scheme === 'udp://' ? 'udp' : scheme === 'tcp://' ? 'tcp' : 'tcp-listen';
	return {kind, host, port: Number(url.port)};
}

/** Opens a network capture source; throws only on a malformed spec (a usage error). */
export function openNetCapture(spec: string, opts: NetSourceOptions = {}): NetCaptureStream {
	const parsed = parseNetSpec(spec);
	if (!parsed) throw new Error(`not a network capture source: ${spec} (${NET_SPEC_FORMS})`);
	const stream = new NetCapture(spec, opts);
	switch (parsed.kind) {
		case 'udp':
			runUdp(stream, parsed.host, parsed.port);
			break;
		case 'tcp-listen':
			runTcpListen(stream, parsed.host, parsed.port);
			break;
		case 'tcp':
			stream.noListener();
			void runTcpConnect(stream, parsed.host, parsed.port);
			break;
		case 'http':
			stream.noListener();
			void runHttp(stream, parsed.url);
			break;
	}
	return stream;
}
