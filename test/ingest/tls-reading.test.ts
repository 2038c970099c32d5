import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {SECRETS_TLS_KEY_LOG, TlsReading} from '../../source/ingest/tls-reading.js';
import type {Reading} from '../../source/ingest/destination-entry.js';
import {repoRoot} from '../helpers/corpus.js';

const reading = (): Reading => ({tls: 0, read: 0, noKeys: 0, stopped: 0, appEncrypted: 0, plainHttp: 0});

describe('TlsReading', () => {
	it('no summary until keys could come', () => {
		const t = new TlsReading();
		expect(t.summary(0)).toBeUndefined();
		t.expect();
		expect(t.summary(3)).toMatchObject({keyLogLines: 0, secretsBlocks: 0, waitingDropped: 3});
	});

	// EXPORTER_SECRET lines are not traffic keys: the parser does not count them.
	it('takes a key log cut anywhere, and a TLS key log DSB; another kind of secret is refused but counted', () => {
		const text = readFileSync(path.join(repoRoot, 'test/fixtures/tls/sa-tls13-h2.keys'), 'utf8');
		const t = new TlsReading();
		t.addKeyLog(text.slice(0, 77), false);
		t.addKeyLog(text.slice(77), true);
		expect(t.addSecrets(SECRETS_TLS_KEY_LOG, new TextEncoder().encode('CLIENT_RANDOM zz\n'))).toBe(true);
		expect(t.addSecrets(0x57474b4c, new Uint8Array(4))).toBe(false);
		expect(t.summary(0)).toMatchObject({keyLogLines: text.trim().split('\n').filter((l) => !l.startsWith('EXPORTER_SECRET')).length, badKeyLogLines: 1, secretsBlocks: 2, connectionsKeyed: 2});
	});

	it('counts connections read and unread on the destination and the session, reasons capped', () => {
		const t = new TlsReading();
		t.expect();
		const r = reading();
		t.count(r, {state: 'read'});
		t.count(r, {state: 'no-keys', reason: 'no keys for this connection'});
		t.count(r, {state: 'stopped', reason: 'unsupported cipher'});
		expect(r).toMatchObject({read: 1, noKeys: 1, stopped: 1, note: 'no keys for this connection'});
		for (let i = 0; i < 100; i++) t.count(reading(), {state: 'stopped', reason: `reason ${i}`});
		const s = t.summary(0)!;
		expect(s).toMatchObject({read: 1, noKeys: 1, stopped: 101});
		expect(Object.keys(s.reasons)).toHaveLength(32);
	});
});
