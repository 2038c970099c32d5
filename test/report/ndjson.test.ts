import {describe, expect, it} from 'vitest';
import {ndjsonRecord} from '../../source/report/ndjson.js';
import type {Flag, HttpEvent, LogRecord} from '../../source/types.js';

const ends = {src: '10.0.0.2', sport: 40000, dst: '203.0.113.7', dport: 443};

describe('ndjsonRecord', () => {
	it('a flow names its protocol in a word and leaves out app and tls when unknown', () => {
		expect(ndjsonRecord({type: 'flow', ts: 5, firstTs: 4, host: 'h.example', ...ends, proto: 6, packets: 3, bytesOut: 100, bytesIn: 200})).toEqual({type: 'flow', ts: 5, firstTs: 4, host: 'h.example', ...ends, proto: 'tcp', packets: 3, bytesOut: 100, bytesIn: 200});
		expect(ndjsonRecord({type: 'flow', ts: 5, firstTs: 4, host: 'h', ...ends, proto: 17, packets: 1, bytesOut: 1, bytesIn: 0, app: 'com.app', tls: 'read'})).toMatchObject({proto: 'udp', app: 'com.app', tls: 'read'});
		expect(ndjsonRecord({type: 'flow', ts: 5, firstTs: 4, host: 'h', ...ends, proto: 132, packets: 1, bytesOut: 1, bytesIn: 0}).proto).toBe('132');
	});

	it('an http request carries its kept body in base64 and a null ALPN on plain HTTP, in a fixed field order', () => {
		const body = Uint8Array.from([0, 1, 2, 255]);
		const e: HttpEvent = {type: 'http', ts: 1, index: 2, packets: [2], method: 'POST', host: 'h.example:8080', path: '/p', version: 'HTTP/1.1', headers: [], body: body.subarray(1), bodyBytes: 3, tls: false, ...ends};
		const rec = ndjsonRecord({type: 'http', event: e, host: 'h.example'});
		expect(Object.keys(rec)).toEqual(['type', 'ts', 'index', 'method', 'host', 'path', 'bodyBytes', 'body', 'tls', 'alpn', 'src', 'sport', 'dst', 'dport']);
		expect(rec).toMatchObject({host: 'h.example', body: Buffer.from([1, 2, 255]).toString('base64'), alpn: null});
	});

	it('a log record states nulls for what the line did not say, and its app, kind and signal only when known', () => {
		const r: LogRecord = {type: 'log', index: 4, message: 'hello'};
		expect(ndjsonRecord({type: 'log', record: r, ts: null})).toEqual({type: 'log', ts: null, index: 4, pid: null, tid: null, uid: null, level: null, tag: null, message: 'hello'});
		const full: LogRecord = {type: 'log', ts: 9, index: 5, pid: 1, tid: 2, uid: 'u0a85', level: 'I', tag: 'T', message: 'm', buffer: 'events', raw: true};
		expect(Object.keys(ndjsonRecord({type: 'log', record: full, ts: 9, app: 'com.a', kind: 'incognito-on', signal: 'log'}))).toEqual(['type', 'ts', 'index', 'app', 'pid', 'tid', 'uid', 'level', 'tag', 'message', 'kind', 'signal', 'buffer', 'raw']);
	});

	it('a flag without an app says null; a source without detail says null; tls-read without a reason says null', () => {
		const f: Flag = {kind: 'url-leak', severity: 'medium', ts: 1, host: 'h', summary: 's', evidence: {packets: [1], logLines: []}};
		expect(ndjsonRecord({type: 'flag', flag: f})).toEqual({type: 'flag', ...f, app: null});
		expect(ndjsonRecord({type: 'source', status: {source: 'logcat', state: 'live', ts: 3}})).toEqual({type: 'source', ts: 3, source: 'logcat', state: 'live', detail: null});
		expect(ndjsonRecord({type: 'tls-read', ts: 2, host: 'h', ...ends, state: 'no-keys'})).toEqual({type: 'tls-read', ts: 2, host: 'h', ...ends, state: 'no-keys', reason: null});
		expect(ndjsonRecord({type: 'marker', ts: 7, text: 'note'})).toEqual({type: 'marker', ts: 7, text: 'note'});
	});

	it('dns, tls and quic keep their decoded fields; a missing SNI is null', () => {
		const dns = ndjsonRecord({type: 'dns', event: {type: 'dns', ts: 1, index: 1, proto: 'dns', response: false, query: 'q.example', qtype: 'A', answers: [], client: '10.0.0.2', server: '8.8.8.8'} as never});
		expect(dns).toEqual({type: 'dns', ts: 1, index: 1, proto: 'dns', response: false, query: 'q.example', qtype: 'A', answers: [], client: '10.0.0.2', server: '8.8.8.8'});
		const tls = ndjsonRecord({type: 'tls', event: {type: 'tls', ts: 1, index: 2, packets: [2], alpn: ['h2'], ech: false, ...ends} as never});
		expect(tls).toEqual({type: 'tls', ts: 1, index: 2, sni: null, alpn: ['h2'], ech: false, ...ends});
		const quic = ndjsonRecord({type: 'quic', event: {type: 'quic', ts: 1, index: 3, packets: [3], sni: 'q.example', alpn: ['h3'], version: 1, ...ends} as never});
		expect(quic).toEqual({type: 'quic', ts: 1, index: 3, sni: 'q.example', alpn: ['h3'], version: 1, ...ends});
	});
});
