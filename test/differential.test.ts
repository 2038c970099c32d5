/**
 * Differential suite: the whole decode chain (reader -> analyzer) on every corpus capture,
 * against tshark's answers in ../shared/corpus/truth (TRUTH.md). Compares sets of DNS query
 * names, SNI (TLS and QUIC), HTTP hosts, and per-IP-pair frames/bytes each way. Legitimate
 * differences are listed below with their reason; everything else must match.
 */
import {describe, expect, it} from 'vitest';
import type {DnsEvent, HttpEvent, PacketMeta, QuicEvent, TlsEvent} from '../source/types.js';
import {PacketAnalyzer, type AnalyzerFlow, type AnalyzerSink} from '../source/decode/analyzer.js';
import {openCapture} from '../source/sources/capture-source.js';
import {corpusPath, corpusPcaps, hasCorpus, readTruth} from './helpers/corpus.js';

type Found = {dns: Set<string>; sni: Set<string>; quic: Set<string>; http: Set<string>; conv: Map<string, [number, number, number, number]>};

/** Files where tattle and tshark differ on purpose, per fact kind, with the reason. */
const KNOWN: Record<string, Partial<Record<keyof Found, string>>> = {
	'tcpdump__dns_tcp_8053.pcap': {dns: 'tshark was told Decode-As DNS on port 8053; tattle decodes DNS on 53/5353/5355 only'},
	'tcpdump__dns_udp_8053.pcap': {dns: 'Decode-As port 8053 (see above)'},
	'ndpi__dns_fragmented.pcap': {dns: 'tshark reassembles IP fragments; tattle counts fragments and does not reassemble (issue 2)'},
	'zeek__ipv6-fragmented-dns.pcap': {dns: 'IPv6 fragments are not reassembled (issue 2)'},
	'ndpi__http_origin_different_than_host.pcap': {http: 'IP-in-IP tunnel: tattle decodes the outer IP header only, tshark the inner TCP/HTTP too'},
	'ndpi__android.pcap': {http: 'SSDP (HTTP over UDP multicast, 239.255.255.250:1900) is local discovery; tattle decodes HTTP over TCP only'},
	'ndpi__fuzz-2006-09-29-28586.pcap': {http: 'fuzzed Host header with a NUL byte: tshark cuts the string at the NUL, tattle keeps the raw bytes (sanitised on display)'},
	'ndpi__malformed_dns.pcap': {dns: 'tshark lists its placeholder "<Name too long>" as a name; tattle reports no name for a name it cannot decode'},
	'tcpdump__dns_fwdptr.pcap': {dns: 'one hostile packet with 10 518 questions: tattle caps questions per message (DNS_MAX_QUESTIONS)'},
	'ndpi__tls_missing_ch_frag.pcap': {sni: 'a ClientHello segment is missing: tshark names it from the fragment it has, tattle waits for the gap'},
	'tcpdump__quic_vn.pcap': {quic: 'after Version Negotiation the client retries with a v1 Initial; tattle decrypts it (SNI localhost), tshark 4.0 does not'},
};

/** Link types tattle does not decode (tshark does): facts in them are legitimately missing. */
const UNSUPPORTED_LINK = new Set(['libpcap__http_PPI.pcap', 'tcpdump__LINKTYPE_PKTAP.pcap', 'tcpdump__nflog.pcap', 'zeek__nflog-http.pcap']);

async function analyze(file: string): Promise<Found> {
	const found: Found = {dns: new Set(), sni: new Set(), quic: new Set(), http: new Set(), conv: new Map()};
	const sink: AnalyzerSink = {
		packet(meta: PacketMeta) {
			if (meta.ipVersion === 0) return;
			const [a, b] = [meta.src, meta.dst].sort();
			const key = `${a} ${b}`;
			let c = found.conv.get(key);
			if (!c) found.conv.set(key, (c = [0, 0, 0, 0]));
			if (meta.src === a && meta.src !== meta.dst) {
				c[0]++;
				c[1] += meta.len;
			} else if (meta.src === meta.dst) {
				c[0]++;
				c[1] += meta.len;
			} else {
				c[2]++;
				c[3] += meta.len;
			}
		},
		dns(e: DnsEvent) {
			// A message without questions (mDNS announcements) has query '' and qtype 0: no name.
			if (!e.questions && e.query === '' && e.qtype === 0) return;
			for (const q of e.questions ?? [{name: e.query}]) found.dns.add(q.name === '' ? '<root>' : q.name.toLowerCase());
		},
		tls(e: TlsEvent, _f: AnalyzerFlow) {
			if (e.sni) found.sni.add(e.sni);
		},
		quic(e: QuicEvent, _f: AnalyzerFlow) {
			if (e.sni) found.quic.add(e.sni);
		},
		http(e: HttpEvent, _f: AnalyzerFlow) {
			if (e.host) found.http.add(e.host);
		},
		problem() {},
	};
	const analyzer = new PacketAnalyzer(sink);
	for await (const batch of openCapture(corpusPath('pcap', file))) for (const p of batch) analyzer.push(p);
	analyzer.end();
	return found;
}

function truthOf(file: string): Found {
	const t = readTruth(file);
	const dns = new Set((t.get('dns.query') ?? []).map((f) => f[3]!.toLowerCase()));
	const sni = new Set((t.get('tls.sni') ?? []).map((f) => f[5]!).filter((s) => s !== '(no SNI extension)'));
	const quic = new Set((t.get('quic.sni') ?? []).map((f) => f[5]!).filter((s) => s !== '(no SNI extension)'));
	const http = new Set((t.get('http.request') ?? []).map((f) => f[6]!).filter(Boolean));
	const conv = new Map<string, [number, number, number, number]>();
	for (const f of t.get('conv') ?? []) conv.set(`${f[1]} ${f[2]}`, [Number(f[3]), Number(f[4]), Number(f[5]), Number(f[6])]);
	return {dns, sni, quic, http, conv};
}

const sorted = (s: Set<string>) => [...s].sort();

describe.runIf(hasCorpus)('differential: tattle vs tshark on the corpus', () => {
	const files = corpusPcaps((f) => !UNSUPPORTED_LINK.has(f));
	it.each(files)('%s', async (file) => {
		const truth = truthOf(file);
		const got = await analyze(file);
		const known = KNOWN[file] ?? {};
		for (const kind of ['dns', 'sni', 'quic', 'http'] as const) {
			if (known[kind]) continue;
			// Sets, not counts (TRUTH.md: retransmissions may repeat a fact); equal both ways.
			expect(sorted(got[kind]), `${kind} names`).toEqual(sorted(truth[kind]));
		}
		if (!known.conv) {
			const gotConv = Object.fromEntries([...got.conv].sort());
			const wantConv = Object.fromEntries([...truth.conv].sort());
			expect(gotConv, 'per-IP-pair frames and bytes').toEqual(wantConv);
		}
	});
});
