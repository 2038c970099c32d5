/**
 * `http://HOST:PORT/PATH`: PCAPdroid's HTTP server. A GET (following its `/` -> `/NAME.pcap`
 * redirect) streams a chunked capture body with a fresh preamble per client: each response is a
 * segment of the NetCapture, and a request that ends or fails is made again with backoff.
 */
import {get as httpGet, type ClientRequest, type IncomingMessage} from 'node:http';
import {CONNECT_TIMEOUT_MS, errorText, pipeReadable, retryAfter, seconds, type NetCapture} from './net-capture.js';

/** Redirects followed for one HTTP request: PCAPdroid answers `/` with one 302. */
const MAX_REDIRECTS = 4;
/** Refuse HTTP response status lines we do not expect rather than parse arbitrary bodies as captures. */
const HTTP_OK = 200;

/** Requests `start` until the stream stops, one segment per response. */
export async function runHttp(stream: NetCapture, start: string): Promise<void> {
	let delay = stream.reconnectMinMs;
	while (!stream.stopped) {
		stream.status('starting', `requesting ${start}`);
		const errBefore = stream.error;
		const before = stream.bytesRead;
		await httpSegment(stream, start);
		if (stream.stopped) return;
		delay = await retryAfter(stream, start, stream.bytesRead > before, errBefore, delay);
		if (delay < 0) return;
	}
}

/** One GET (following PCAPdroid's `/` -> `/NAME.pcap` redirect) read as one segment; resolves when it ends. */
function httpSegment(stream: NetCapture, start: string): Promise<void> {
	return new Promise((resolve) => {
		let req: ClientRequest | undefined;
		const onAbort = () => req?.destroy();
		stream.stop.signal.addEventListener('abort', onAbort, {once: true});
		const done = () => {
			stream.stop.signal.removeEventListener('abort', onAbort);
			resolve();
		};
		const fail = (msg: string) => {
			stream.noteError({offset: stream.bytesRead, message: msg, fatal: false, io: true});
			done();
		};
		const request = (url: string, hops: number) => {
			req = httpGet(url, (res: IncomingMessage) => {
				// Headers are in: from here silence is a stall to report, not a failed attempt.
				req?.setTimeout(0);
				const status = res.statusCode ?? 0;
				if (status >= 300 && status < 400 && res.headers.location) {
					res.resume();
					if (hops >= MAX_REDIRECTS) return fail(`${url}: more than ${MAX_REDIRECTS} redirects`);
					let next: string;
					try {
						next = new URL(res.headers.location, url).href;
					} catch {
						return fail(`${url}: bad redirect ${res.headers.location}`);
					}
					if (!next.startsWith('http://')) return fail(`${url}: redirect to ${next} is not plain http`);
					return request(next, hops + 1);
				}
				if (status !== HTTP_OK) {
					res.resume();
					return fail(`${url}: HTTP ${status}`);
				}
				stream.stats.connections++;
				stream.beginSegment();
				stream.status('live', `streaming ${url}`);
				pipeReadable(stream, res, done);
			});
			req.setTimeout(CONNECT_TIMEOUT_MS, () => req?.destroy(new Error(`no response after ${seconds(CONNECT_TIMEOUT_MS)}`)));
			req.on('error', (err) => fail(`${url}: ${errorText(err)}`));
		};
		request(start, 0);
	});
}
