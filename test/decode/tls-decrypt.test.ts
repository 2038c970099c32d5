/**
 * TlsConnection on hostile input: random bytes and seeded mutants of real TLS streams (the
 * fixtures' client and server segments) never throw, keep the waiting budget consistent, and
 * stop with a reason rather than spin.
 */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {KeyLogParser, TlsKeyStore} from '../../source/decode/tls-keylog.js';
import {TlsConnection, type WaitBudget} from '../../source/decode/tls-decrypt.js';
import {decodePacket} from '../../source/decode/packet.js';
import {parseSimCapture} from '../../source/sim/sim-pcap.js';
import {repoRoot} from '../helpers/corpus.js';
import {mulberry32} from '../helpers/seeded.js';

const DIR = path.join(repoRoot, 'test', 'fixtures', 'tls');


type Seg = {fromClient: boolean; seq: number; payload: Uint8Array; index: number; ts: number};

function segments(name: string): Seg[] {
	const cap = parseSimCapture(new Uint8Array(readFileSync(path.join(DIR, name))));
	const out: Seg[] = [];
	let client: string | undefined;
	cap.records.forEach((r, i) => {
		const m = decodePacket({ts: r.ts, linkType: 1, data: r.bytes.subarray(16), origLen: r.bytes.length - 16, iface: 0, index: i + 1});
		if (typeof m === 'string' || m.payload.length === 0) return;
		client ??= `${m.src}:${m.sport}`;
		out.push({fromClient: `${m.src}:${m.sport}` === client, seq: m.tcpSeq, payload: Uint8Array.from(m.payload), index: i + 1, ts: r.ts});
	});
	return out;
}

function store(keysFile: string): TlsKeyStore {
	const s = new TlsKeyStore();
	for (const e of new KeyLogParser().push(readFileSync(path.join(DIR, keysFile), 'utf8'))) s.add(e);
	return s;
}

function feed(segs: Seg[], keys: TlsKeyStore, budget: WaitBudget): {conn: TlsConnection; plain: number} {
	const conn = new TlsConnection(keys, budget);
	let plain = 0;
	for (const s of segs) {
		const out = s.fromClient ? conn.client(s.seq, s.payload, s.index, s.ts) : conn.server(s.seq, s.payload, s.index, s.ts);
		for (const p of out) plain += p.data.length;
	}
	conn.finish();
	return {conn, plain};
}

describe('TlsConnection', () => {
	it('reads the client side of a real TLS 1.3 connection', () => {
		const budget: WaitBudget = {used: 0, cap: 1 << 20, droppedRecords: 0, droppedBytes: 0};
		const segs = segments('tls13-h2-aes128gcm.pcap');
		const {conn, plain} = feed(segs, store('tls13-h2-aes128gcm.keys'), budget);
		expect(conn.version).toBe(0x0304);
		expect(conn.suite).toBe(0x1301);
		expect(conn.records).toBeGreaterThan(1);
		expect(plain).toBeGreaterThan(100);
		expect(budget.used).toBe(0);
	});

	it('a small waiting budget drops the oldest records, counted, and stops the connection', () => {
		const budget: WaitBudget = {used: 0, cap: 64, droppedRecords: 0, droppedBytes: 0};
		const {conn} = feed(segments('tls13-h2-aes128gcm.pcap'), new TlsKeyStore(), budget);
		expect(budget.droppedRecords).toBeGreaterThan(0);
		expect(conn.state).toBe('stopped');
		// No keys in the store for it: said as missing keys, not as a budget problem.
		expect(conn.missingKeys).toBe(true);
		expect(conn.reason).toMatch(/no keys came/);
		expect(budget.used).toBe(0);
	});

	for (const [pcap, keys] of [['tls13-h2-hpack-multi.pcap', 'tls13-h2-hpack-multi.keys'], ['tls12-h1-chacha20.pcap', 'tls12-h1-chacha20.keys'], ['tls13-h1-keyupdate.pcap', 'tls13-h1-keyupdate.keys']]) {
		it(`${pcap}: 300 seeded mutants never throw and leave the budget consistent`, () => {
			const base = segments(pcap!);
			const keyStore = store(keys!);
			for (let seed = 1; seed <= 300; seed++) {
				const r = mulberry32(seed);
				const segs = base.map((s) => ({...s, payload: Uint8Array.from(s.payload)}));
				for (let k = 0; k < 1 + Math.floor(r() * 6); k++) {
					const s = segs[Math.floor(r() * segs.length)]!;
					const what = r();
					if (what < 0.5 && s.payload.length > 0) s.payload[Math.floor(r() * s.payload.length)] = Math.floor(r() * 256);
					else if (what < 0.7) s.seq = (s.seq + Math.floor(r() * 4000) - 2000) >>> 0;
					else if (what < 0.85) s.payload = s.payload.subarray(0, Math.floor(r() * s.payload.length));
					else segs.splice(Math.floor(r() * segs.length), 0, {...s});
				}
				const budget: WaitBudget = {used: 0, cap: 1 << 20, droppedRecords: 0, droppedBytes: 0};
				const {conn} = feed(segs, keyStore, budget);
				expect(budget.used, `seed ${seed}`).toBe(0);
				expect(['handshake', 'waiting-keys', 'decrypting', 'stopped'], `seed ${seed}`).toContain(conn.state);
				if (conn.state === 'stopped') expect(conn.reason, `seed ${seed}`).toBeTruthy();
			}
		});
	}

	it('random bytes on both sides: no throw, stops with a reason', () => {
		for (let seed = 1; seed <= 200; seed++) {
			const r = mulberry32(seed);
			const conn = new TlsConnection(new TlsKeyStore(), {used: 0, cap: 1 << 20, droppedRecords: 0, droppedBytes: 0});
			let cseq = 1000;
			let sseq = 5000;
			for (let i = 0; i < 20; i++) {
				const b = Uint8Array.from({length: Math.floor(r() * 3000)}, () => Math.floor(r() * 256));
				if (i === 0) b.set([22, 3, 1]);
				if (r() < 0.5) {
					conn.client(cseq, b, i + 1, i);
					cseq += b.length;
				} else {
					conn.server(sseq, b, i + 1, i);
					sseq += b.length;
				}
			}
			conn.finish();
			expect(['handshake', 'waiting-keys', 'stopped']).toContain(conn.state);
		}
	});
});
