/** The run diff as a pure function, the checks on a saved report, and the diff's three renderings. */
import {describe, expect, it} from 'vitest';
import {diffRuns, failedKinds} from '../../source/report/diff.js';
import {diffJson, diffMarkdownLines, diffTextLines} from '../../source/report/diff-render.js';
import {runFromReport, runFromReportText, runHosts, RunReportError, type RunDestination, type RunReport} from '../../source/report/run-report.js';

function dest(host: string, over: Partial<RunDestination> = {}): RunDestination {
	return {host, ips: [], owner: null, category: 'analytics', packets: 10, bytesOut: 1000, bytesIn: 500, fields: [], identifiers: [], ...over};
}

function run(source: string, destinations: RunDestination[], flags: RunReport['flags'] = []): RunReport {
	return {source, version: '0.1.0', device: {serial: 'a1b2c3d4', model: 'Redmi Note 8'}, stats: {packets: 100, bytes: 10_000, logLines: 0, firstTs: 1, lastTs: 2}, destinations, flags};
}

const flag = (kind: string, host: string) => ({kind, severity: 'high', host, app: null, summary: `${kind} at ${host}`});
const androidId = {kind: 'android-id', value: '6f1c0b3a9d2e4875', key: 'properties.$device_id'};

describe('diffRuns', () => {
	const a = run('normal', [
		dest('sa.api.intl.miui.com', {packets: 10, bytesOut: 1400, fields: ['url', 'uuid'], identifiers: [androidId]}),
		dest('feed.browser.intl.miui.com', {category: 'first-party'}),
		dest('Example.org.'),
	], [flag('url-leak', 'sa.api.intl.miui.com'), flag('cleartext-identifier', 'sa.api.intl.miui.com')]);
	const b = run('incognito', [
		dest('sa.api.intl.miui.com', {packets: 20, bytesOut: 2900, fields: ['search_word', 'url', 'uuid'], identifiers: [{...androidId, value: androidId.value.toUpperCase()}]}),
		dest('www.google.com', {category: 'content', identifiers: [{kind: 'imei', value: '490154203237518', key: null}]}),
		dest('example.org'),
	], [flag('incognito-url-leak', 'sa.api.intl.miui.com'), flag('incognito-url-leak', 'data.mistat.intl.xiaomi.com'), flag('cleartext-identifier', 'sa.api.intl.miui.com')]);
	const d = diffRuns(a, b);

	it('destinations only in A, only in B, and in both with changes (hosts matched case and trailing dot aside)', () => {
		expect(d.destinations.onlyA.map((x) => x.host)).toEqual(['feed.browser.intl.miui.com']);
		expect(d.destinations.onlyB.map((x) => x.host)).toEqual(['www.google.com']);
		expect(d.destinations.both.map((x) => x.host)).toEqual(['sa.api.intl.miui.com', 'example.org']);
		const sa = d.destinations.both[0]!;
		expect(sa.a).toEqual({packets: 10, bytesOut: 1400, bytesIn: 500});
		expect(sa.delta).toEqual({packets: 10, bytesOut: 1500, bytesIn: 0});
		expect(sa.fieldsOnlyB).toEqual(['search_word']);
		expect(sa.fieldsOnlyA).toEqual([]);
	});

	it('flags by kind in each run, and the flags (kind at a host) one run raised', () => {
		expect(d.flagKinds).toEqual([
			{kind: 'cleartext-identifier', a: 1, b: 1},
			{kind: 'incognito-url-leak', a: 0, b: 2},
			{kind: 'url-leak', a: 1, b: 0},
		]);
		expect(d.flags.onlyB.map((f) => `${f.kind} ${f.host}`)).toEqual(['incognito-url-leak data.mistat.intl.xiaomi.com', 'incognito-url-leak sa.api.intl.miui.com']);
		expect(d.flags.onlyA.map((f) => f.kind)).toEqual(['url-leak']);
	});

	it('an identifier sent in both runs (case aside) is the finding; the others are listed by run', () => {
		expect(d.identifiers.both).toEqual([{kind: 'android-id', value: '6f1c0b3a9d2e4875', hostsA: ['sa.api.intl.miui.com'], hostsB: ['sa.api.intl.miui.com']}]);
		expect(d.identifiers.onlyB.map((i) => i.kind)).toEqual(['imei']);
		expect(d.identifiers.onlyA).toEqual([]);
	});

	it('meets every --fail-on kind here; failedKinds keeps the asked ones', () => {
		expect(d.meets).toEqual(['new-destination', 'identifier', 'new-flag']);
		expect(failedKinds(d, ['identifier'])).toEqual(['identifier']);
		expect(failedKinds(d, ['any'])).toEqual(d.meets);
		expect(failedKinds(d, [])).toEqual([]);
	});

	it('a run against itself meets nothing but its own identifiers', () => {
		const same = diffRuns(a, a);
		expect(same.destinations.onlyA).toEqual([]);
		expect(same.destinations.onlyB).toEqual([]);
		expect(same.flags.onlyB).toEqual([]);
		expect(same.meets).toEqual(['identifier']);
		const noIds = run('x', [dest('a.example')]);
		expect(diffRuns(noIds, noIds).meets).toEqual([]);
	});
});

describe('runFromReport: a saved report is checked, not trusted', () => {
	const good = {tool: {name: 'tattle', version: '0.1.0'}, stats: {packets: 1, bytes: 2}, destinations: [{host: 'a.example', ips: ['192.0.2.1'], owner: null, category: 'analytics', packets: 1, bytesOut: 2, bytesIn: 3}], flags: []};

	it('a report from before fields and identifiers were kept reads with empty lists', () => {
		const r = runFromReport(good, 'old.json');
		expect(r.destinations[0]).toMatchObject({host: 'a.example', fields: [], identifiers: []});
		expect(runHosts(r)).toEqual(new Set(['a.example', '192.0.2.1']));
	});

	it.each([
		['not JSON', '{"tool":', /not valid JSON/],
		['another tool', JSON.stringify({...good, tool: {name: 'wireshark'}}), /tool\.name: not "tattle"/],
		['an array', '[1,2]', /the report: expected an object/],
		['a host that is not a string', JSON.stringify({...good, destinations: [{...good.destinations[0], host: 5}]}), /destinations\[0\]\.host: expected a string/],
		['a negative count', JSON.stringify({...good, destinations: [{...good.destinations[0], packets: -1}]}), /destinations\[0\]\.packets: expected a count/],
		['no destinations', JSON.stringify({...good, destinations: undefined}), /destinations: expected an array/],
		['a flag without a kind', JSON.stringify({...good, flags: [{host: 'x', severity: 'high', summary: 's'}]}), /flags\[0\]\.kind: expected a string/],
		['identifiers of the wrong shape', JSON.stringify({...good, destinations: [{...good.destinations[0], identifiers: [{kind: 'imei'}]}]}), /identifiers\[0\]\.value: expected a string/],
	])('%s: a RunReportError naming the field', (_name, text, message) => {
		expect(() => runFromReportText(text, 'x.json')).toThrow(RunReportError);
		expect(() => runFromReportText(text, 'x.json')).toThrow(message);
	});
});

describe('rendering', () => {
	const hostile = 'evil\u001b]0;pwned\u0007.example\u001b[2J<script>|*_[x](y)`';
	const a = run('a\u001b[31m.json', [dest('shared.example', {fields: ['k'], identifiers: [{kind: 'android-id', value: `id${hostile}`, key: null}]})]);
	const b = run('b.json', [dest('shared.example', {fields: [`f${hostile}`], identifiers: [{kind: 'android-id', value: `id${hostile}`, key: null}]}), dest(hostile)], [flag('url-leak', hostile)]);
	const d = diffRuns(a, b);

	it('terminal text: no control character of an untrusted string survives', () => {
		const text = [...diffTextLines(d, ['new-destination'])].join('\n');
		// eslint-disable-next-line no-control-regex
		expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
		expect(text).toContain('Destinations only in B (new): 1');
		expect(text).toContain('fields only in B: f');
		expect(text).toContain('--fail-on met: new-destination');
	});

	it('Markdown: HTML and Markdown metacharacters of untrusted strings escaped as in the Markdown report', () => {
		const text = [...diffMarkdownLines(d)].join('\n');
		expect(text).not.toContain('<script>');
		expect(text).toContain('&lt;script&gt;\\|\\*\\_\\[x\\](y)\\`');
		// eslint-disable-next-line no-control-regex
		expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
		// Table rows keep their column count: no raw | inside a cell.
		for (const row of text.split('\n').filter((l) => l.startsWith('| evil'))) expect(row.split(/(?<!\\)\|/).length).toBe(8);
	});

	it('JSON: the diff object with the tool and the kinds met, strings without control characters', () => {
		const j = JSON.parse(diffJson(d, '9.9.9', ['identifier'])) as Record<string, unknown>;
		expect(Object.keys(j)).toEqual(['tool', 'a', 'b', 'destinations', 'flagKinds', 'flags', 'identifiers', 'meets', 'failed']);
		expect(j.failed).toEqual(['identifier']);
		// eslint-disable-next-line no-control-regex
		expect(JSON.stringify(j)).not.toMatch(/\\u00(0[0-8]|1[0-9a-f]|7f)|\\u001b/);
	});
});
