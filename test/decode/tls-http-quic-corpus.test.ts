/**
 * TLS, HTTP and QUIC decoders against tshark's truth for every corpus capture that has tls.sni,
 * quic.sni or http.request facts. A minimal per-flow harness (what the integrator will do) runs in
 * the test: TCP payloads per direction into a StreamBuffer, then parseClientHello or
 * parseHttpRequest; UDP datagrams into parseQuicInitial with one state per (direction, DCID).
 * Sets are compared, not counts (tshark may skip retransmissions; TRUTH.md).
 */
import {describe, expect, it} from 'vitest';
import {decodePacket, PROTO_TCP, PROTO_UDP} from '../../source/decode/packet.js';
import {HTTP_REQUEST_BUFFER_CAP, looksLikeHttpRequest, parseHttpRequest} from '../../source/decode/http.js';
import {looksLikeQuicInitial, newQuicCryptoState, parseQuicInitial, quicInitialDcid, type QuicCryptoState} from '../../source/decode/quic.js';
import {StreamBuffer} from '../../source/decode/stream-buffer.js';
import {CLIENT_HELLO_BUFFER_CAP, looksLikeTls, parseClientHello} from '../../source/decode/tls.js';
import {openCapture} from '../../source/sources/capture-source.js';
import {corpusPath, corpusPcaps, hasCorpus, readTruth} from '../helpers/corpus.js';

const NO_SNI = '(no SNI extension)';
const TCP_SYN = 0x02;

type Found = {tls: Set<string>; quic: Set<string>; http: Set<string>; quicUndecryptable: number};

type TcpDir = {mode: 'tls' | 'http' | 'off'; sb?: StreamBuffer};

/** Where we legitimately differ from tshark, and why. The truth must still be a subset of what we find unless noted. */
const knownDifferences: Record<string, string> = {};

/** Truth facts we cannot find, with the reason (file -> "kind fact" -> reason). */
const knownMissing: Record<string, Record<string, string>> = {
	'ndpi__http_origin_different_than_host.pcap': {
		'http GET csb.performgroup.io /?topreferer=optawidgets.365scores.com':
			'the request travels inside a GTP-U tunnel (UDP 2152); decodePacket stops at the outer UDP header and this harness sees no inner TCP',
	},
};

/**
 * tshark shows strings as C strings: a field with a NUL byte ends there. We keep the raw bytes
 * (an HTTP Host shows its control bytes written out: NUL is `\000`).
 */
const asTshark = (s: string) => {
	const raw = s.indexOf('\0');
	const shown = s.indexOf('\\000');
	const nul = raw < 0 ? shown : shown < 0 ? raw : Math.min(raw, shown);
	return nul < 0 ? s : s.slice(0, nul);
};

async function walk(file: string): Promise<Found> {
	const found: Found = {tls: new Set(), quic: new Set(), http: new Set(), quicUndecryptable: 0};
	const tcp = new Map<string, TcpDir>();
	const quic = new Map<string, QuicCryptoState>();
	const emitHttp = (sb: StreamBuffer, atEnd: boolean): boolean => {
		// Bounded: every successful parse consumes at least the request line.
		for (;;) {
			const r = parseHttpRequest(sb.bytes());
			if (r.status === 'not-http') return false;
			if (r.status === 'incomplete') return true;
			const req = r.req;
			if (req.chunked && !req.bodyComplete && !sb.full && !atEnd) return true;
			found.http.add(`${req.method} ${asTshark(req.host ?? '')} ${asTshark(req.path)}`);
			if (req.headTruncated) return false;
			sb.consume(req.consumed);
			sb.discard(req.skip);
			if (req.chunked && !req.bodyComplete) return false;
		}
	};
	for await (const batch of openCapture(corpusPath('pcap', file))) {
		for (const raw of batch) {
			const m = decodePacket(raw);
			if (typeof m === 'string' || m.fragment) continue;
			const dirKey = `${m.proto} ${m.src} ${m.sport} ${m.dst} ${m.dport}`;
			if (m.proto === PROTO_TCP) {
				if (m.tcpFlags & TCP_SYN) tcp.delete(dirKey);
				if (m.payload.length === 0) continue;
				let st = tcp.get(dirKey);
				if (!st) {
					const mode = looksLikeTls(m.payload) ? 'tls' : looksLikeHttpRequest(m.payload) ? 'http' : 'off';
					st = {mode, sb: mode === 'off' ? undefined : new StreamBuffer(mode === 'tls' ? CLIENT_HELLO_BUFFER_CAP : HTTP_REQUEST_BUFFER_CAP)};
					tcp.set(dirKey, st);
				}
				if (st.mode === 'off' || !st.sb) continue;
				st.sb.push(m.tcpSeq, m.payload, raw.index);
				if (st.mode === 'tls') {
					const r = parseClientHello(st.sb.bytes(), st.sb.full);
					if (r.status === 'ok') found.tls.add(r.hello.sni ?? NO_SNI);
					if (r.status !== 'incomplete') st.mode = 'off';
				} else if (!emitHttp(st.sb, false)) {
					st.mode = 'off';
				}
				if (st.mode === 'off') st.sb = undefined;
			} else if (m.proto === PROTO_UDP && looksLikeHttpRequest(m.payload)) {
				// SSDP/GENA: one request per datagram.
				const r = parseHttpRequest(m.payload);
				if (r.status === 'ok') found.http.add(`${r.req.method} ${asTshark(r.req.host ?? '')} ${asTshark(r.req.path)}`);
			} else if (m.proto === PROTO_UDP && looksLikeQuicInitial(m.payload)) {
				const key = `${dirKey} ${quicInitialDcid(m.payload)}`;
				let st = quic.get(key);
				if (!st) quic.set(key, (st = newQuicCryptoState()));
				if (st.done) continue;
				const r = parseQuicInitial(m.payload, st, raw.index);
				if (r.status === 'ok') found.quic.add(r.sni ?? NO_SNI);
				else if (r.status === 'undecryptable') found.quicUndecryptable++;
			}
		}
	}
	// End of capture: a request whose chunked body never finished is still a request.
	for (const st of tcp.values()) if (st.mode === 'http' && st.sb) emitHttp(st.sb, true);
	return found;
}

const files = corpusPcaps((f) => {
	const t = readTruth(f);
	return t.has('tls.sni') || t.has('quic.sni') || t.has('http.request');
});

describe.runIf(hasCorpus)('TLS/HTTP/QUIC against the corpus truth', () => {
	it('finds corpus files with facts', () => {
		expect(files.length).toBeGreaterThan(50);
	});

	it.each(files)('%s', async (file) => {
		const truth = readTruth(file);
		const want = {
			tls: new Set((truth.get('tls.sni') ?? []).map((f) => f[5]!)),
			quic: new Set((truth.get('quic.sni') ?? []).map((f) => f[5]!)),
			http: new Set((truth.get('http.request') ?? []).map((f) => `${f[5]} ${f[6]} ${f[7]}`)),
		};
		const got = await walk(file);
		const missing = knownMissing[file] ?? {};
		for (const kind of ['tls', 'quic', 'http'] as const) {
			const wanted = [...want[kind]].filter((x) => !(`${kind} ${x}` in missing)).sort();
			if (file in knownDifferences) {
				for (const w of wanted) expect(got[kind].has(w), `${kind} ${w}`).toBe(true);
			} else {
				const missingNow = wanted.filter((w) => !got[kind].has(w));
				const extra = [...got[kind]].filter((g) => !want[kind].has(g)).sort();
				expect({missing: missingNow, extra}, kind).toEqual({missing: [], extra: []});
			}
		}
	});
});
