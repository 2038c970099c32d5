/**
 * `udp://HOST:PORT`: PCAPdroid's UDP exporter sends to us, one record or block per datagram.
 * UdpCaptureFramer turns datagrams into capture bytes (a preamble starts a segment, one made up
 * when we joined late); the consumer lagging drops datagrams, counted, since UDP cannot wait.
 */
import {createSocket, type Socket as UdpSocket} from 'node:dgram';
import {closeQuietly, errorText, type NetCapture, type NetSourceStats} from './net-capture.js';
import {UdpCaptureFramer, type UdpFramerStats} from './pcapdroid-udp.js';

/**
 * UDP socket receive buffer (SO_RCVBUF): PCAPdroid flushes its 512 KiB export buffer in one
 * burst of datagrams; 4 MiB holds several bursts while we parse. The kernel caps it at
 * net.core.rmem_max. Each datagram is read whole (libuv reads into 64 KiB, and a UDP payload is
 * at most 65,507 bytes), so nothing is cut short as it is with `nc`.
 */
const UDP_RECV_BUFFER = 4 * 1024 * 1024;

/** Binds the socket and feeds each datagram to `stream`; closes on its stop signal. */
export function runUdp(stream: NetCapture, host: string, port: number): void {
	const framer = new UdpCaptureFramer();
	/** Datagrams we dropped ourselves because the consumer lagged. */
	let overflow = 0;
	const sync = () => copyFramerStats(stream.stats, framer.stats, overflow);
	let socket: UdpSocket;
	try {
		socket = createSocket({type: host.includes(':') ? 'udp6' : 'udp4'});
	} catch (err) {
		stream.finish(`cannot open UDP socket: ${errorText(err)}`);
		return;
	}
	socket.on('message', (msg, from) => {
		if (stream.stopped) return;
		// Not the phone: dropped and counted before a byte is parsed.
		if (!stream.admit(from.address)) return;
		if (stream.full) {
			// The consumer lags and UDP cannot be paused: drop rather than grow without bound.
			overflow++;
			sync();
			return;
		}
		const framed = framer.datagram(msg);
		if (!framed.ok) {
			sync();
			stream.noteError({offset: stream.bytesRead, message: `datagram ${framer.stats.datagrams}: ${framed.reason}`, fatal: false});
			stream.touch();
			return;
		}
		if (framed.restart) {
			// A real preamble after packets: PCAPdroid restarted its capture. Said, and numbering goes on.
			if (stream.packets > 0 && !framer.madeUpPreamble) {
				stream.status('live', `PCAPdroid restarted its capture (a new header after ${stream.packets} packets)${stream.senderNote}`);
			}
			stream.beginSegment();
			stream.bytes(framed.restart);
		}
		for (const unit of framed.units) {
			if (stream.bytes(unit)) continue;
			// Passed the framer but the parser refused it: count it, restart from the preamble.
			framer.stats.malformed++;
			stream.beginSegment();
			const preamble = framer.preamble;
			if (preamble) stream.bytes(preamble);
			break;
		}
		sync();
	});
	socket.on('error', (err) => stream.finish(`UDP ${host}:${port}: ${errorText(err)}`));
	socket.bind(port, host, () => {
		try {
			socket.setRecvBufferSize(UDP_RECV_BUFFER);
		} catch {
			// Refused (some sandboxes): the default buffer still works, with more drops under bursts.
		}
		const a = socket.address();
		stream.listeningAt({host: a.address, port: a.port});
		stream.status('starting', `listening on udp ${a.address}:${a.port}, waiting for PCAPdroid`);
	});
	stream.stop.signal.addEventListener('abort', () => closeQuietly(() => socket.close()), {once: true});
}

function copyFramerStats(to: NetSourceStats, from: UdpFramerStats, overflow: number): void {
	to.datagrams = from.datagrams + overflow;
	to.malformed = from.malformed;
	to.reordered = from.reordered;
	to.synthesized = from.synthesized;
	to.dropped = from.missingBlocks + overflow;
}
