import {appendFileSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterAll, describe, expect, it} from 'vitest';
import {followKeyLog, keyLogPath, KeyLogError, readKeyLogFile} from '../../source/sources/keylog-source.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-keylog-'));
afterAll(() => rmSync(tmp, {recursive: true, force: true}));

/** Polls until `ok`, for states a busy machine reaches late. */
async function until(ok: () => boolean) {
	for (let i = 0; i < 300 && !ok(); i++) await sleep(10);
}

describe('key log specs and whole files', () => {
	it('follow:FILE is followed, FILE is read whole', () => {
		expect(keyLogPath('follow:/a/keys.log')).toEqual({path: '/a/keys.log', follow: true});
		expect(keyLogPath('/a/keys.log')).toEqual({path: '/a/keys.log', follow: false});
	});

	it('reads a whole file; a missing file or a folder is a KeyLogError saying so', () => {
		const file = path.join(tmp, 'whole.keys');
		writeFileSync(file, 'CLIENT_RANDOM aa bb\n');
		expect(readKeyLogFile(file)).toBe('CLIENT_RANDOM aa bb\n');
		expect(() => readKeyLogFile(path.join(tmp, 'nope.keys'))).toThrow(KeyLogError);
		expect(() => readKeyLogFile(path.join(tmp, 'nope.keys'))).toThrow(/nope\.keys: no such file/);
		expect(() => readKeyLogFile(tmp)).toThrow(/a folder, not a key log/);
	});
});

describe('followKeyLog', () => {
	it('hands over text as the file grows, and starts over when the writer begins a new log', async () => {
		const file = path.join(tmp, 'live.keys');
		const ac = new AbortController();
		let got = '';
		const done = followKeyLog(file, (t) => (got += t), {signal: ac.signal, pollMs: 5});
		await sleep(30);
		writeFileSync(file, 'CLIENT_RANDOM aa bb\nCLIENT_RAN');
		await until(() => got.endsWith('CLIENT_RAN'));
		// Replaced by a shorter file: the torn line is ended on its own, then the new keys follow.
		writeFileSync(file, 'SERVER_');
		await until(() => got.endsWith('SERVER_'));
		appendFileSync(file, 'HANDSHAKE_TRAFFIC_SECRET cc dd\n');
		await until(() => got.endsWith('dd\n'));
		ac.abort();
		await done;
		expect(got).toBe('CLIENT_RANDOM aa bb\nCLIENT_RAN\nSERVER_HANDSHAKE_TRAFFIC_SECRET cc dd\n');
	});

	it('keeps a UTF-8 character split across reads whole', async () => {
		const file = path.join(tmp, 'utf8.keys');
		const bytes = Buffer.from('# clé\n');
		writeFileSync(file, bytes.subarray(0, 5));
		const ac = new AbortController();
		const pieces: string[] = [];
		const done = followKeyLog(file, (t) => pieces.push(t), {signal: ac.signal, pollMs: 5});
		await until(() => pieces.length === 1);
		appendFileSync(file, bytes.subarray(5));
		await until(() => pieces.join('') === '# clé\n');
		ac.abort();
		await done;
		expect(pieces.join('')).toBe('# clé\n');
	});

	it('rejects with a clear message when the path is a folder', async () => {
		await expect(followKeyLog(tmp, () => {}, {pollMs: 5})).rejects.toThrow('cannot open: is a directory, not a key log');
	});
});
