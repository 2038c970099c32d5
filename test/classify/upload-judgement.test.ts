import {describe, expect, it} from 'vitest';
import {IncognitoTracker, VisitedSet} from '../../source/classify/incognito.js';
import {inspectPayload} from '../../source/classify/payload.js';
import {addIncognitoEvidence, judgeEncryptedUpload, judgeReadUpload} from '../../source/classify/upload-judgement.js';
import type {Classification} from '../../source/types.js';

const analytics: Classification = {category: 'analytics', owner: 'Xiaomi', rule: 'sa.api.intl.miui.com'};
const cdn: Classification = {category: 'cdn'};
const MI = 'com.mi.globalbrowser';

function incognitoFrom(ts: number, logLine?: number) {
	const t = new IncognitoTracker();
	t.start(MI, ts, 'log', logLine);
	return t;
}

describe('judgeEncryptedUpload', () => {
	const upload = {ts: 100, host: 'sa.api.intl.miui.com', classification: analytics, packets: [4, 5]};

	it('nothing outside incognito, nothing to a destination that does not track', () => {
		expect(judgeEncryptedUpload(upload, new IncognitoTracker(), new VisitedSet())).toEqual([]);
		expect(judgeEncryptedUpload({...upload, classification: cdn}, incognitoFrom(50), new VisitedSet())).toEqual([]);
	});

	it('a tracker in incognito: an incognito-tracker flag with the log line that opened incognito', () => {
		const flags = judgeEncryptedUpload(upload, incognitoFrom(50, 17), new VisitedSet());
		expect(flags).toHaveLength(1);
		expect(flags[0]).toMatchObject({kind: 'incognito-tracker', host: 'sa.api.intl.miui.com', ts: 100, evidence: {packets: [4, 5], logLines: [17]}});
	});
});

describe('judgeReadUpload', () => {
	const body = new TextEncoder().encode('url=http%3A%2F%2Fexample.org%2Fprivate-page');
	const read = (ts: number) => ({ts, host: 'sa.api.intl.miui.com', classification: analytics, packets: [9], findings: inspectPayload({body, path: '/sa', contentType: 'application/x-www-form-urlencoded', headers: []}), bodyBytes: body.length, path: '/sa', tls: false});

	it('a URL sent to analytics is a url-leak outside incognito, an incognito-url-leak once the page was visited in incognito', () => {
		expect(judgeReadUpload(read(100), new IncognitoTracker(), new VisitedSet()).map((f) => f.kind)).toEqual(['url-leak']);
		const visited = new VisitedSet();
		visited.add('example.org/private-page', 90);
		const kinds = judgeReadUpload(read(100), incognitoFrom(50, 3), visited).map((f) => f.kind);
		expect(kinds).toContain('incognito-url-leak');
	});

	it('reads the incognito state, never changes it', () => {
		const t = incognitoFrom(50);
		judgeReadUpload(read(100), t, new VisitedSet());
		expect(t.active(100)).toEqual([MI]);
		expect(t.signals()).toEqual({[MI]: 'log'});
	});
});

describe('addIncognitoEvidence', () => {
	it('names the app in front and, on an incognito flag, the signal behind the state', () => {
		const t = incognitoFrom(50);
		t.setForeground(MI, 60);
		const [f] = judgeEncryptedUpload({ts: 100, host: 'h', classification: analytics, packets: [1]}, t, new VisitedSet());
		addIncognitoEvidence(f!, t);
		expect(f!.evidence).toMatchObject({foreground: MI, incognitoSignal: 'log'});
	});

	it('leaves a flag outside incognito without a signal, and keeps a foreground already set', () => {
		const t = new IncognitoTracker();
		t.setForeground('com.other', 1);
		const f = {kind: 'url-leak' as const, severity: 'medium' as const, ts: 5, host: 'h', summary: 's', evidence: {packets: [1], logLines: [], foreground: 'com.first'}};
		addIncognitoEvidence(f, t);
		expect(f.evidence).toEqual({packets: [1], logLines: [], foreground: 'com.first'});
	});
});
