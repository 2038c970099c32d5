/**
 * The TCP transports:
 * - `tcp-listen://HOST:PORT`: PCAPdroid's TCP exporter connects to us and streams a capture; one
 *   connection at a time, a new one replacing the old (PCAPdroid restarted its capture);
 * - `tcp://HOST:PORT`: we connect and read a capture stream (pcap-over-IP, adb forward), and
 *   reconnect with backoff when it ends or cannot be reached.
 * Each connection is a segment of the NetCapture; the socket pauses while the consumer lags.
 */
import {connect, createServer, type Server, type Socket} from 'node:net';
import {closeQuietly, CONNECT_TIMEOUT_MS, errorText, pipeReadable, retryAfter, seconds, type NetCapture} from './net-capture.js';

/** Listens for PCAPdroid's exporter; closes on the stream's stop signal. */
export function runTcpListen(stream: NetCapture, host: string, port: number): void {
	let client: Socket | undefined;
	const server: Server = createServer((sock) => {
		// Not the phone (or stopping): closed before a byte is read, and the phone's connection stays.
		if (stream.stopped || !stream.admit(sock.remoteAddress)) {
			sock.destroy();
			return;
		}
		// One capture at a time: PCAPdroid has no reconnect logic, so a new connection means its
		// capture restarted and the old socket is dead or dying.
		if (client) {
			stream.stats.restarts++;
			client.destroy();
			stream.endSegment(true);
		}
		client = sock;
		stream.stats.connections++;
		const peer = `${sock.remoteAddress}:${sock.remotePort}`;
		stream.beginSegment();
		stream.status('live', `PCAPdroid connected from ${peer}${stream.senderNote}`);
		pipeReadable(stream, sock, () => {
			if (client !== sock) return;
			client = undefined;
			stream.endSegment(false);
			stream.disarmStall();
			stream.status('stalled', `${peer} disconnected; waiting for PCAPdroid to connect again`);
		});
	});
	server.on('error', (err) => {
		stream.listenFailed(err);
		stream.finish(`cannot listen on tcp ${host}:${port}: ${errorText(err)}`);
	});
	server.listen(port, host, () => {
		const a = server.address();
		const bound = typeof a === 'object' && a ? {host: a.address, port: a.port} : {host, port};
		stream.listeningAt(bound);
		stream.status('starting', `listening on tcp ${bound.host}:${bound.port}, waiting for PCAPdroid to connect`);
	});
	stream.stop.signal.addEventListener(
		'abort',
		() => {
			client?.destroy();
			closeQuietly(() => server.close());
		},
		{once: true},
	);
}

export async function runTcpConnect(stream: NetCapture, host: string, port: number): Promise<void> {
	let delay = stream.reconnectMinMs;
	while (!stream.stopped) {
		stream.status('starting', `connecting to ${host}:${port}`);
		const errBefore = stream.error;
		const before = stream.bytesRead;
		await new Promise<void>((resolve) => {
			const sock = connect({host, port});
			const onAbort = () => sock.destroy();
			stream.stop.signal.addEventListener('abort', onAbort, {once: true});
			sock.setTimeout(CONNECT_TIMEOUT_MS, () => sock.destroy(new Error(`no connection after ${seconds(CONNECT_TIMEOUT_MS)}`)));
			sock.on('connect', () => {
				sock.setTimeout(0);
				stream.stats.connections++;
				stream.beginSegment();
				stream.status('live', `connected to ${host}:${port}`);
				pipeReadable(stream, sock, () => {});
			});
			sock.on('error', (err) => stream.noteError({offset: stream.bytesRead, message: `${host}:${port}: ${errorText(err)}`, fatal: false, io: true}));
			sock.on('close', () => {
				stream.stop.signal.removeEventListener('abort', onAbort);
				resolve();
			});
		});
		if (stream.stopped) return;
		delay = await retryAfter(stream, `${host}:${port}`, stream.bytesRead > before, errBefore, delay);
		if (delay < 0) return;
	}
}
