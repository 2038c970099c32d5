import {describe, expect, it} from 'vitest';
import {KeyLogParser, TlsKeyStore} from '../../source/decode/tls-keylog.js';

const R = 'ab'.repeat(32);
const S = 'cd'.repeat(48);

describe('KeyLogParser', () => {
	it('reads every label tattle uses, joins lines cut across pieces, skips comments and CRLF', () => {
		const p = new KeyLogParser();
		const text = `# SSL/TLS secrets log file\r\nCLIENT_RANDOM ${R} ${S}\r\nCLIENT_TRAFFIC_SECRET_0 ${R.toUpperCase()} ${'ee'.repeat(32)}\nEXPORTER_SECRET ${R} ${S}\n`;
		const got = [...p.push(text.slice(0, 70)), ...p.push(text.slice(70, 200)), ...p.push(text.slice(200)), ...p.end()];
		expect(got.map((e) => e.label)).toEqual(['CLIENT_RANDOM', 'CLIENT_TRAFFIC_SECRET_0']);
		expect(got[1]!.clientRandom).toBe(R);
		expect(got[0]!.secret.toString('hex')).toBe(S);
		expect(p.unused).toBe(1);
		expect(p.bad).toBe(0);
	});

	it('counts bad lines and keeps a few samples, never throws', () => {
		const p = new KeyLogParser();
		const bad = [`CLIENT_RANDOM ${R}`, `CLIENT_RANDOM zz${R.slice(2)} ${S}`, `NOT_A_LABEL ${R} ${S}`, `CLIENT_RANDOM ${R} abc`, 'x'.repeat(5000)];
		expect(p.push(bad.join('\n') + '\n')).toEqual([]);
		expect(p.bad).toBe(5);
		expect(p.badSamples).toHaveLength(3);
		expect(p.badSamples.every((s) => s.length <= 120)).toBe(true);
	});

	it('reads a last line without a newline at the end', () => {
		const p = new KeyLogParser();
		expect(p.push(`CLIENT_RANDOM ${R} ${S}`)).toEqual([]);
		expect(p.end()).toHaveLength(1);
	});
});

describe('TlsKeyStore', () => {
	it('gathers secrets by client random and tells a listener', () => {
		const store = new TlsKeyStore();
		const seen: string[] = [];
		store.onKeys = (r) => seen.push(r);
		const p = new KeyLogParser();
		for (const e of p.push(`CLIENT_HANDSHAKE_TRAFFIC_SECRET ${R} ${'11'.repeat(32)}\nCLIENT_TRAFFIC_SECRET_0 ${R} ${'22'.repeat(32)}\n`)) store.add(e);
		expect(store.active).toBe(true);
		expect(store.get(R)?.clientHandshake?.toString('hex')).toBe('11'.repeat(32));
		expect(store.get(R)?.clientTraffic0?.toString('hex')).toBe('22'.repeat(32));
		expect(seen).toEqual([R, R]);
	});
});
