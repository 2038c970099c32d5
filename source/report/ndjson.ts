/**
 * NDJSON event shaping (--json): one plain object per session event, in the field order and with
 * the nulls the stream has always had (DESIGN.md "NDJSON"). Pure; the writer (app/outputs.ts)
 * strips control characters and serialises.
 */
import type {SessionEvent} from '../types.js';

/** An NDJSON line before serialisation. */
type NdjsonRecord = Record<string, unknown>;

/** The NDJSON object for one session event. */
export function ndjsonRecord(e: SessionEvent): NdjsonRecord {
	switch (e.type) {
		case 'flow': {
			const proto = e.proto === 6 ? 'tcp' : e.proto === 17 ? 'udp' : String(e.proto);
			return {type: 'flow', ts: e.ts, firstTs: e.firstTs, host: e.host, src: e.src, sport: e.sport, dst: e.dst, dport: e.dport, proto, packets: e.packets, bytesOut: e.bytesOut, bytesIn: e.bytesIn, ...(e.app ? {app: e.app} : {}), ...(e.tls ? {tls: e.tls} : {}), ...newMark(e)};
		}
		case 'dns': {
			const d = e.event;
			return {type: 'dns', ts: d.ts, index: d.index, proto: d.proto, response: d.response, query: d.query, qtype: d.qtype, answers: d.answers, client: d.client, server: d.server};
		}
		case 'tls': {
			const t = e.event;
			return {type: 'tls', ts: t.ts, index: t.index, sni: t.sni ?? null, alpn: t.alpn, ech: t.ech, src: t.src, sport: t.sport, dst: t.dst, dport: t.dport, ...newMark(e)};
		}
		case 'quic': {
			const q = e.event;
			return {type: 'quic', ts: q.ts, index: q.index, sni: q.sni ?? null, alpn: q.alpn, version: q.version, src: q.src, sport: q.sport, dst: q.dst, dport: q.dport, ...newMark(e)};
		}
		case 'http': {
			const h = e.event;
			return {type: 'http', ts: h.ts, index: h.index, method: h.method, host: e.host, path: h.path, bodyBytes: h.bodyBytes, body: bodyBase64(h.body), tls: h.tls, alpn: h.alpn ?? null, src: h.src, sport: h.sport, dst: h.dst, dport: h.dport, ...newMark(e)};
		}
		case 'tls-read':
			return {type: 'tls-read', ts: e.ts, host: e.host, src: e.src, sport: e.sport, dst: e.dst, dport: e.dport, state: e.state, reason: e.reason ?? null};
		case 'log': {
			const r = e.record;
			return {type: 'log', ts: e.ts, index: r.index, ...(e.app ? {app: e.app} : {}), pid: r.pid ?? null, tid: r.tid ?? null, uid: r.uid ?? null, level: r.level ?? null, tag: r.tag ?? null, message: r.message, ...(e.kind ? {kind: e.kind} : {}), ...(e.signal ? {signal: e.signal} : {}), ...(r.buffer ? {buffer: r.buffer} : {}), ...(r.raw ? {raw: true} : {})};
		}
		case 'flag':
			return {type: 'flag', ...e.flag, app: e.flag.app ?? null};
		case 'source':
			return {type: 'source', ts: e.status.ts, source: e.status.source, state: e.status.state, detail: e.status.detail ?? null};
		case 'marker':
			return {type: 'marker', ts: e.ts, text: e.text};
	}
}

/** `new: true` on an event naming a destination new against the --baseline run; nothing otherwise. */
function newMark(e: {new?: true}): {new?: true} {
	return e.new ? {new: true} : {};
}

/** The kept body prefix (at most --max-body bytes): base64, since bodies are binary as often as text. */
function bodyBase64(b: Uint8Array): string {
	return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}
