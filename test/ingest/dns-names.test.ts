import {describe, expect, it} from 'vitest';
import {dnsNames} from '../../source/ingest/dns-names.js';
import type {DnsEvent} from '../../source/types.js';

const base = {type: 'dns', ts: 1, index: 1, proto: 'dns', response: true, qtype: 'A', client: '10.0.0.2', server: '8.8.8.8'} as const;

describe('dnsNames', () => {
	it('a query names only its question', () => {
		expect([...dnsNames({...base, response: false, query: 'q.example', answers: []} as DnsEvent)]).toEqual(['q.example']);
	});

	it('an answer names its question, answer owners and CNAME/HTTPS targets once each, in first-seen order', () => {
		const e = {
			...base,
			query: 'www.example',
			answers: [
				{name: 'www.example', type: 'CNAME', value: 'edge.cdn.example'},
				{name: 'edge.cdn.example', type: 'A', value: '203.0.113.7'},
				{name: 'www.example', type: 'HTTPS', value: '.'},
			],
		} as unknown as DnsEvent;
		expect([...dnsNames(e)]).toEqual(['www.example', 'edge.cdn.example']);
	});

	it('no question, no names', () => {
		expect([...dnsNames({...base, query: '', answers: []} as unknown as DnsEvent)]).toEqual([]);
	});
});
