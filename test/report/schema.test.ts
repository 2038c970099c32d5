/**
 * The documented schemas (docs/schema/*.schema.json, JSON Schema 2020-12) against real output:
 * `tattle replay X --json --report r.json` on the three bundles, the hostile fixture, a logcat
 * alone and real captures from the shared corpus. Every object is closed (no field the schema
 * does not name), so output that drifts (a field added, renamed or retyped) fails here until
 * docs/schema.md and the schema say so.
 */
import {mkdtempSync, readFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {Ajv2020, type ErrorObject} from 'ajv/dist/2020.js';
import {describe, expect, it} from 'vitest';
// Plain JS (the benchmark runs without a build step); vitest loads it as is.
import {makeFlood} from '../../bench/make-flood.js';
import {MAX_DESTINATIONS} from '../../source/ingest/destination-table.js';
import {corpusPath, hasCorpus, repoRoot} from '../helpers/corpus.js';
import {tattle} from '../helpers/cli.js';
import {killAll, startLive, terminate, until, type LiveRun} from '../helpers/live.js';
import {needTool} from '../helpers/tools.js';
import {AdbHarness} from '../sim/adb-harness.js';

const schemaDir = path.join(repoRoot, 'docs/schema');
const load = (f: string) => JSON.parse(readFileSync(path.join(schemaDir, f), 'utf8')) as Record<string, unknown>;
const ajv = new Ajv2020({allErrors: true, strict: true, allowUnionTypes: true});
ajv.addSchema(load('report.schema.json'));
ajv.addSchema(load('event.schema.json'));
const validReport = ajv.getSchema('urn:tattle:schema:report:1')!;
const validEvent = ajv.getSchema('urn:tattle:schema:event:1')!;
const dir = mkdtempSync(path.join(tmpdir(), 'tattle-schema-'));

const say = (errors: ErrorObject[] | null | undefined) => ajv.errorsText(errors, {separator: '\n'});

/** Replays `args` with --json and --report; returns the events and the report. */
async function run(name: string, args: string[]): Promise<{events: Array<Record<string, unknown>>; report: Record<string, unknown>}> {
	const file = path.join(dir, `${name}.json`);
	const r = await tattle(['replay', ...args, '--json', '--report', file]);
	expect(r.code, r.stderr).toBe(0);
	return {events: r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)), report: JSON.parse(readFileSync(file, 'utf8'))};
}

/** Validates one run's output; returns the event types seen. */
function check(name: string, out: Awaited<ReturnType<typeof run>>): Set<string> {
	expect(validReport(out.report), `${name} report:\n${say(validReport.errors)}`).toBe(true);
	const types = new Set<string>();
	for (const [i, e] of out.events.entries()) {
		if (!validEvent(e)) {
			// oneOf errors list every branch; the branch of the event's own type says what is wrong.
			const own = (validEvent.errors ?? []).filter((x) => !x.schemaPath.includes('oneOf') || x.schemaPath.includes(`/${String(e.type)}/`) || x.schemaPath.startsWith('#/oneOf'));
			expect.fail(`${name} event ${i + 1} (${String(e.type)}) ${JSON.stringify(e).slice(0, 300)}:\n${say(own)}`);
		}
		types.add(String(e.type));
	}
	return types;
}

const CORPUS = ['ndpi__android.pcap', 'ndpi__alexa-app.pcapng', 'ndpi__KakaoTalk_chat.pcap', 'ndpi__http2.pcapng', 'ndpi__quic-v2.pcapng', 'ndpi__dns_doh.pcap'];

describe('JSON Schemas against real output', () => {
	const seen = new Set<string>();
	for (const bundle of ['incognito-leak', 'incognito-https', 'ordinary-day']) {
		it(`captures/${bundle}`, async () => {
			for (const t of check(bundle, await run(bundle, [path.join(repoRoot, 'captures', bundle)]))) seen.add(t);
		});
	}
	it('the hostile fixture (injection in every field)', async () => {
		for (const t of check('hostile', await run('hostile', [path.join(repoRoot, 'test/fixtures/hostile')]))) seen.add(t);
	});
	it('a flood that fills the destination table: stats.evicted, and the totals add up', async () => {
		const file = path.join(dir, 'flood.pcap');
		// 5,000 more addresses than the table holds, each sent one SYN.
		makeFlood({out: file, packets: MAX_DESTINATIONS + 5000, addresses: MAX_DESTINATIONS + 5000});
		const out = await run('flood', [file]);
		for (const t of check('flood', out)) seen.add(t);
		const stats = out.report.stats as {packets: number; evicted: {destinations: number; packets: number}};
		expect(stats.evicted.destinations).toBe(5000);
		const listed = (out.report.destinations as Array<{packets: number}>).reduce((a, d) => a + d.packets, 0);
		expect(listed + stats.evicted.packets).toBe(stats.packets);
	});
	it('a logcat alone, with a marker', async () => {
		const out = await run('logcat', ['--logcat', path.join(repoRoot, 'captures/incognito-leak/logcat.txt'), '--incognito', '2026-11-23T19:36:50Z..2026-11-23T19:36:55Z']);
		for (const t of check('logcat', out)) seen.add(t);
	});
	it.runIf(hasCorpus)('real captures from the shared corpus', async () => {
		for (const f of CORPUS) for (const t of check(f, await run(f, [corpusPath('pcap', f)]))) seen.add(t);
	}, 120_000);
	it.runIf(needTool('adb', 'adb'))('tattle live --record against a simulated phone through the real adb server', async () => {
		const h = new AdbHarness();
		const runs: LiveRun[] = [];
		try {
			await h.start();
			const bundle = path.join(repoRoot, 'captures/incognito-leak');
			const {serial} = await h.addSim({logcatPath: path.join(bundle, 'logcat.txt'), pcapPath: path.join(bundle, 'capture.pcap'), speed: 4, rebase: true});
			const report = path.join(dir, 'live.json');
			const run = startLive(h.env, ['--serial', serial, '--json', '--report', report, '--record', path.join(dir, 'live-bundle')], runs);
			// The bundle's first seconds hold log lines, DNS, TLS and HTTP; enough to see each shape.
			await until(() => ['log', 'dns', 'tls', 'http'].every((t) => run.events.some(({e}) => e.type === t)), 20_000);
			expect(await terminate(run), run.stderr()).toBe(0);
			const types = check('live', {events: run.events.map(({e}) => e), report: JSON.parse(readFileSync(report, 'utf8'))});
			for (const t of ['log', 'dns', 'tls', 'http', 'source']) expect(types).toContain(t);
			for (const t of types) seen.add(t);
		} finally {
			killAll(runs);
			await h.stop();
		}
	}, 60_000);
	it('covered every event type the schema names but marker', () => {
		expect([...seen].sort()).toEqual(['dns', 'flag', 'flow', 'http', 'log', 'quic', 'source', 'tls', 'tls-read']);
	});
});

describe('the schemas can fail', () => {
	it('a report with a field added, renamed or retyped, or an old schema number, is refused', async () => {
		const {report} = await run('mutate', [path.join(repoRoot, 'captures/incognito-https')]);
		expect(validReport(report)).toBe(true);
		const d = (report.destinations as Array<Record<string, unknown>>)[0]!;
		const mutants: Array<(r: any) => void> = [
			(r) => (r.destinations[0].extra = 1),
			(r) => {
				r.destinations[0].bytes_out = d.bytesOut;
				delete r.destinations[0].bytesOut;
			},
			(r) => (r.stats.packets = String(r.stats.packets)),
			(r) => (r.schema = 0),
			(r) => (r.flags[0].evidence.packets = [0]),
			(r) => delete r.flags[0].app,
			(r) => (r.flags[0].extra = true),
			(r) => (r.flags[0].evidence.extra = true),
		];
		for (const m of mutants) {
			const copy = structuredClone(report);
			m(copy);
			expect(validReport(copy), m.toString()).toBe(false);
		}
	});
	it('an event with a field the schema does not name, or of an unknown type, is refused', () => {
		const tls = {type: 'tls', ts: 1, index: 4, sni: 'example.org', alpn: ['h2'], ech: false, src: '10.0.0.2', sport: 40000, dst: '93.184.215.14', dport: 443, schema: 1};
		expect(validEvent(tls)).toBe(true);
		expect(validEvent({...tls, ja3: 'x'})).toBe(false);
		expect(validEvent({...tls, type: 'tls2'})).toBe(false);
		const {schema: _, ...noSchema} = tls;
		expect(validEvent(noSchema)).toBe(false);
		const flag = {type: 'flag', kind: 'url-leak', severity: 'medium', ts: 1, app: null, host: 'h', summary: 's', evidence: {packets: [1], logLines: []}, schema: 1};
		expect(validEvent(flag)).toBe(true);
		expect(validEvent({...flag, extra: 1})).toBe(false);
	});
});
