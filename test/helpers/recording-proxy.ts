/** A loopback TCP proxy that keeps every byte a client sends: real client bytes for decoder tests. */
import {once} from 'node:events';
import net from 'node:net';

export type RecordedConnection = {chunks: Buffer[]; closed: Promise<void>};
export type RecordingProxy = {port: number; connections: RecordedConnection[]; close: () => void};

/** Listens on 127.0.0.1 (a free port) and forwards to `target`, recording what each client sends. */
export async function startRecordingProxy(target: number): Promise<RecordingProxy> {
	const connections: RecordedConnection[] = [];
	const proxy = net.createServer((client) => {
		const chunks: Buffer[] = [];
		const upstream = net.connect(target, '127.0.0.1');
		connections.push({chunks, closed: once(client, 'close').then(() => undefined)});
		client.on('data', (d: Buffer) => {
			chunks.push(Buffer.from(d));
			upstream.write(d);
		});
		upstream.on('data', (d: Buffer) => client.write(d));
		client.on('end', () => upstream.end());
		upstream.on('end', () => client.end());
		client.on('error', () => upstream.destroy());
		upstream.on('error', () => client.destroy());
	});
	proxy.listen(0, '127.0.0.1');
	await once(proxy, 'listening');
	return {port: (proxy.address() as net.AddressInfo).port, connections, close: () => proxy.close()};
}
