/**
 * `tattle export` through the CLI: three real bundles (two sessions of one phone in incognito mode,
 * one of another phone without) become tables, DuckDB loads them with the exported load.sql, and
 * the README's own queries (read from README.md, not copied here) must give the answers computed
 * independently from `tattle replay --json` events and `--report` JSON of the same bundles.
 */
import {appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {DuckDBInstance, type DuckDBConnection} from '@duckdb/node-api';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {repoRoot} from '../helpers/corpus.js';
import {tattle} from '../helpers/cli.js';
import {TABLE_NAMES, TABLES} from '../../source/report/tables.js';

const BUNDLES = ['incognito-leak', 'incognito-https', 'ordinary-day'];
const dir = mkdtempSync(path.join(tmpdir(), 'tattle-export-'));
const out = path.join(dir, 'tables');

type Event = Record<string, unknown> & {type: string; ts: number};
type Session = {name: string; events: Event[]; report: Record<string, any>};
const sessions: Session[] = [];
let db: DuckDBInstance;
let conn: DuckDBConnection;

/** The README's SQL blocks of "Many sessions", by their first comment line. */
function readmeQueries(): Map<string, string> {
	const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
	const section = readme.slice(readme.indexOf('## Many sessions'), readme.indexOf('\n## ', readme.indexOf('## Many sessions') + 3));
	const queries = new Map<string, string>();
	for (const m of section.matchAll(/```sql\n(-- (.+)\n[\s\S]*?)```/g)) queries.set(m[2]!, m[1]!);
	return queries;
}

/** Rows of a query on a fresh in-memory DuckDB (no tables loaded). */
async function rows0(sql: string): Promise<Array<Record<string, unknown>>> {
	const i = await DuckDBInstance.create(':memory:');
	const c = await i.connect();
	try {
		return (await c.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
	} finally {
		c.closeSync();
		i.closeSync();
	}
}

async function rows(sql: string): Promise<Array<Record<string, unknown>>> {
	return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
}

/** Incognito intervals from the session's `log` events (on opens, off closes), as the README's question means them. */
function intervals(events: Event[]): Array<[number, number]> {
	const out: Array<[number, number]> = [];
	let open: number | undefined;
	for (const e of events.filter((x) => x.type === 'log')) {
		if (e.kind === 'incognito-on' && open === undefined) open = e.ts;
		if (e.kind === 'incognito-off' && open !== undefined) {
			out.push([open, e.ts]);
			open = undefined;
		}
	}
	if (open !== undefined) out.push([open, Infinity]);
	return out;
}

/** Hosts the phone named, with times: DNS questions, TLS and QUIC SNI, HTTP Host. */
function named(events: Event[]): Array<{host: string; ts: number}> {
	return events.flatMap((e) => {
		const host = e.type === 'dns' && e.response === false && e.proto === 'dns' ? e.query : e.type === 'tls' || e.type === 'quic' ? e.sni : e.type === 'http' ? e.host : undefined;
		return typeof host === 'string' && host !== '' ? [{host, ts: e.ts}] : [];
	});
}

function incognitoHosts(s: Session): Map<string, number> {
	const ivs = intervals(s.events);
	const hosts = new Map<string, number>();
	for (const c of named(s.events)) if (ivs.some(([a, b]) => c.ts >= a && c.ts < b)) hosts.set(c.host, (hosts.get(c.host) ?? 0) + 1);
	return hosts;
}

beforeAll(async () => {
	for (const name of BUNDLES) {
		const report = path.join(dir, `${name}.json`);
		const r = await tattle(['replay', path.join(repoRoot, 'captures', name), '--json', '--report', report]);
		expect(r.code).toBe(0);
		const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Event);
		sessions.push({name, events, report: JSON.parse(readFileSync(report, 'utf8'))});
	}
	const r = await tattle(['export', '--out', out, ...BUNDLES.map((b) => path.join(repoRoot, 'captures', b))]);
	expect(r.stderr).not.toMatch(/error/i);
	expect(r.code).toBe(0);
	db = await DuckDBInstance.create(':memory:');
	conn = await db.connect();
	// load.sql names its files relative to the folder; DuckDB looks them up there.
	await conn.run(`SET file_search_path = '${out.replace(/'/g, "''")}'`);
	await conn.run(readFileSync(path.join(out, 'load.sql'), 'utf8'));
}, 120_000);

afterAll(() => {
	conn?.closeSync();
	db?.closeSync();
});

describe('tattle export: sessions as tables in DuckDB', () => {
	it('writes one file a table and load.sql; one row per session in sessions, with the device and times', async () => {
		for (const t of TABLE_NAMES) expect(existsSync(path.join(out, `${t}.ndjson`))).toBe(true);
		const got = await rows('SELECT session_id, device_serial, device_model, input_kind, start_ts, end_ts, packets, schema FROM sessions ORDER BY start_ts');
		const want = [...sessions]
			.sort((a, b) => a.report.stats.firstTs - b.report.stats.firstTs)
			.map((s) => ({device_serial: s.report.device.serial, device_model: s.report.device.model, input_kind: 'bundle', start_ts: s.report.stats.firstTs, end_ts: s.report.stats.lastTs, packets: String(s.report.stats.packets), schema: 1}));
		expect(got.map(({session_id, ...rest}) => rest)).toEqual(want);
		expect(new Set(got.map((r) => r.session_id)).size).toBe(3);
		for (const r of got) expect(r.session_id).toMatch(/^[0-9a-f]{16}$/);
	});

	it('every table has the documented columns, in order, with their types', async () => {
		for (const t of TABLE_NAMES) {
			const cols = await rows(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${t}' ORDER BY ordinal_position`);
			expect(cols.map((c) => [c.column_name, c.data_type]), t).toEqual(TABLES[t].map((c) => [c.name, c.type]));
		}
	});

	it('destinations and flags match the reports row for row', async () => {
		for (const s of sessions) {
			const [{id}] = (await rows(`SELECT session_id AS id FROM sessions WHERE start_ts = ${s.report.stats.firstTs}`)) as Array<{id: string}>;
			const dest = await rows(`SELECT host, owner, category, country, bytes_out, via FROM destinations WHERE session_id = '${id}' ORDER BY host`);
			const want = [...s.report.destinations].sort((a, b) => (a.host < b.host ? -1 : 1)).map((d) => ({host: d.host, owner: d.owner, category: d.category, country: d.country, bytes_out: String(d.bytesOut), via: d.via}));
			expect(dest, s.name).toEqual(want);
			const flags = await rows(`SELECT kind, host, ts, packets FROM flags WHERE session_id = '${id}' ORDER BY ts, kind, host`);
			const wantFlags = [...s.report.flags]
				.sort((a, b) => a.ts - b.ts || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.host < b.host ? -1 : 1))
				.map((f) => ({kind: f.kind, host: f.host, ts: f.ts, packets: f.evidence.packets.map(String)}));
			expect(flags, s.name).toEqual(wantFlags);
			// Every flow starts within the session and before its totals were reported.
			const flows = (await rows(`SELECT first_ts, reported_ts FROM flows WHERE session_id = '${id}'`)) as Array<{first_ts: number; reported_ts: number}>;
			expect(flows.length, s.name).toBeGreaterThan(0);
			for (const f of flows) {
				expect(f.first_ts).toBeGreaterThanOrEqual(s.report.stats.firstTs);
				expect(f.first_ts).toBeLessThanOrEqual(f.reported_ts);
			}
		}
	});

	it("README: 'which destinations did every phone contact in incognito mode?'", async () => {
		const q = readmeQueries().get('Which destinations did every phone contact in incognito mode?');
		expect(q).toBeDefined();
		const got = await rows(q!);
		const want = new Map<string, {serial: string; model: string; host: string; sessions: Set<string>; contacts: number}>();
		for (const s of sessions) {
			for (const [host, n] of incognitoHosts(s)) {
				const key = `${s.report.device.serial} ${host}`;
				const w = want.get(key) ?? {serial: s.report.device.serial, model: s.report.device.model, host, sessions: new Set(), contacts: 0};
				w.sessions.add(s.name);
				w.contacts += n;
				want.set(key, w);
			}
		}
		const expected = [...want.values()]
			.sort((a, b) => (a.serial + ' ' + a.host < b.serial + ' ' + b.host ? -1 : 1))
			.map((w) => ({device_serial: w.serial, device_model: w.model, host: w.host, sessions: String(w.sessions.size), contacts: String(w.contacts)}));
		expect(got).toEqual(expected);
		// What the README says of this answer.
		expect(new Set(got.map((r) => r.device_serial))).toEqual(new Set(['a1b2c3d4']));
		expect(got).toHaveLength(8);
		expect(got.filter((r) => r.sessions === '2').map((r) => r.host)).toEqual(['example.org', 'sa.api.intl.miui.com']);
		// Every destination the reports flagged for incognito is among them.
		const flagged = sessions.flatMap((s) => s.report.flags.filter((f: any) => f.kind.startsWith('incognito-')).map((f: any) => f.host));
		expect(flagged.length).toBeGreaterThan(0);
		for (const h of flagged) expect(got.map((r) => r.host)).toContain(h);
	});

	it("README: 'contacted in incognito mode in every session that had incognito mode'", async () => {
		const q = readmeQueries().get('Which destinations were contacted in incognito mode in every session that had incognito mode?');
		expect(q).toBeDefined();
		const per = sessions.filter((s) => intervals(s.events).length > 0).map((s) => new Set(incognitoHosts(s).keys()));
		expect(per).toHaveLength(2);
		const want = [...per[0]!].filter((h) => per.every((set) => set.has(h))).sort();
		expect((await rows(q!)).map((r) => r.host)).toEqual(want);
		expect(want).toEqual(['example.org', 'sa.api.intl.miui.com']);
	});

	it("README: 'which flags did each phone raise?'", async () => {
		const q = readmeQueries().get('Which flags did each phone raise?');
		expect(q).toBeDefined();
		const want = new Map<string, {flags: number; hosts: Set<string>}>();
		for (const s of sessions) {
			for (const f of s.report.flags) {
				const key = `${s.report.device.serial}\t${f.kind}`;
				const w = want.get(key) ?? {flags: 0, hosts: new Set()};
				w.flags++;
				w.hosts.add(f.host);
				want.set(key, w);
			}
		}
		const expected = [...want.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, w]) => ({device_serial: key.split('\t')[0], kind: key.split('\t')[1], flags: String(w.flags), hosts: String(w.hosts.size)}));
		expect(await rows(q!)).toEqual(expected);
	});

	it("README: 'how many bytes went to each owner, over all sessions?'", async () => {
		const q = readmeQueries().get('How many bytes went to each owner, over all sessions?');
		expect(q).toBeDefined();
		const want = new Map<string, {bytes: number; sessions: Set<string>}>();
		for (const s of sessions) {
			for (const d of s.report.destinations) {
				const owner = d.owner ?? '(unknown)';
				const w = want.get(owner) ?? {bytes: 0, sessions: new Set()};
				w.bytes += d.bytesOut;
				w.sessions.add(s.name);
				want.set(owner, w);
			}
		}
		const expected = [...want.entries()].sort(([a, x], [b, y]) => y.bytes - x.bytes || (a < b ? -1 : 1)).map(([owner, w]) => ({owner, bytes_out: String(w.bytes), sessions: String(w.sessions.size)}));
		expect(await rows(q!)).toEqual(expected);
	});

	it('docs/schema.md documents every column of every table, in order, with its type', () => {
		const doc = readFileSync(path.join(repoRoot, 'docs/schema.md'), 'utf8');
		for (const t of TABLE_NAMES) {
			const start = doc.indexOf(`### \`${t}\``);
			expect(start, t).toBeGreaterThan(0);
			const section = doc.slice(start, doc.indexOf('\n### ', start + 4));
			const documented = [...section.matchAll(/^\| `(\w+)` \| ([A-Z[\]]+) \|/gm)].map((m) => [m[1], m[2]]);
			expect(documented, t).toEqual(TABLES[t].map((c) => [c.name, c.type]));
		}
	});

	it('the README has exactly the queries tested here', () => {
		expect([...readmeQueries().keys()]).toHaveLength(4);
	});
});

describe('tattle export: inputs and errors', () => {
	it('a JSON report is a session: the same id as its bundle, so the second copy is skipped', async () => {
		const o = path.join(dir, 'dup');
		const https = sessions.find((s) => s.name === 'incognito-https')!;
		const report = path.join(dir, 'incognito-https.json');
		const r = await tattle(['export', '--out', o, path.join(repoRoot, 'captures/incognito-https'), report]);
		expect(r.code).toBe(0);
		expect(r.stderr).toMatch(/is the same session as .*incognito-https/);
		expect(readFileSync(path.join(o, 'sessions.ndjson'), 'utf8').trim().split('\n')).toHaveLength(1);
		// Alone, the report gives its sessions, destinations and flags rows, and no events.
		const o2 = path.join(dir, 'report-only');
		expect((await tattle(['export', '--out', o2, '-q', report])).code).toBe(0);
		const lines = (t: string) => readFileSync(path.join(o2, `${t}.ndjson`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
		expect(lines('sessions')).toEqual([expect.objectContaining({input_kind: 'report', device_serial: 'a1b2c3d4', packets: https.report.stats.packets})]);
		expect(lines('destinations').map((d) => d.host).sort()).toEqual(https.report.destinations.map((d: any) => d.host).sort());
		expect(lines('flags')).toHaveLength(https.report.flags.length);
		expect(lines('contacts')).toEqual([]);
		expect(lines('sessions')[0].session_id).toBe(lines('flags')[0].session_id);
	});

	it('refuses a folder that is not empty, and wrong arguments, in one line (exit 2)', async () => {
		const full = path.join(dir, 'full');
		mkdirSync(full);
		writeFileSync(path.join(full, 'x'), 'x');
		const leak = path.join(repoRoot, 'captures/incognito-leak');
		for (const [args, msg] of [
			[['export', '--out', full, leak], /not an empty folder/],
			[['export', leak], /needs --out DIR/],
			[['export', '--out', path.join(dir, 'e1')], /at least one PATH/],
			[['export', '--out', path.join(dir, 'e2'), '--speed', 'max', leak], /Unknown option '--speed'/],
			[['export', '--out', path.join(dir, 'e3'), leak, path.join(dir, 'nope')], /nope: no such file or folder/],
		] as const) {
			const r = await tattle([...args]);
			expect(r.code, args.join(' ')).toBe(2);
			expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(msg)]);
		}
		// Nothing was written for a wrong command line.
		expect(existsSync(path.join(dir, 'e3'))).toBe(false);
	});

	it('an input that cannot be read is named and skipped, the others are written, exit 2', async () => {
		const notReport = path.join(dir, 'other.json');
		writeFileSync(notReport, '{"hello": 1}');
		const broken = path.join(dir, 'broken.pcap');
		writeFileSync(broken, Buffer.from('d4c3b2a101000400', 'hex'));
		const o = path.join(dir, 'skips');
		const r = await tattle(['export', '-q', '--out', o, notReport, path.join(repoRoot, 'captures/incognito-https'), broken]);
		expect(r.code).toBe(2);
		expect(r.stderr.trim().split('\n')).toEqual([
			expect.stringMatching(/other\.json: not a tattle JSON report .*: skipped$/),
			expect.stringMatching(/broken\.pcap: .*: skipped$/),
			expect.stringMatching(/2 of 3 inputs skipped; the others are in /),
		]);
		const sessionsOut = readFileSync(path.join(o, 'sessions.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
		expect(sessionsOut.map((x) => x.input_path)).toEqual([path.join(repoRoot, 'captures/incognito-https')]);
	});

	it('hostile input: no control character reaches a table file (bundle and report)', async () => {
		// The hostile bundle, plus classified log lines (they become log_facts) with escapes in them.
		const bundle = path.join(dir, 'hostile-bundle');
		cpSync(path.join(repoRoot, 'test/fixtures/hostile'), bundle, {recursive: true});
		appendFileSync(
			path.join(bundle, 'logcat.txt'),
			'1795462603.000  1000  1200 I ActivityManager: Start proc 4242:com.evil\x1b[2J/u0a99 for activity {com.evil/.Main}\n' +
				'1795462604.000  1000  1200 I ActivityTaskManager: START u0 {cmp=com.evil\x1b]0;PWNED\x07/.Main} from uid 10099\n',
		);
		const report = path.join(dir, 'hostile-report.json');
		const r0 = JSON.parse(readFileSync(path.join(dir, 'incognito-https.json'), 'utf8'));
		r0.destinations[0].host = 'evil\x1b[2J\u202e.example';
		r0.flags[0].summary = 'sum\x9b31m\x07mary';
		r0.device.model = 'Evil\x1b]0;x\x07Phone';
		writeFileSync(report, JSON.stringify(r0));
		const o = path.join(dir, 'hostile');
		const r = await tattle(['export', '-q', '--out', o, bundle, report]);
		expect(r.code, r.stderr).toBe(0);
		const all = TABLE_NAMES.map((t) => readFileSync(path.join(o, `${t}.ndjson`), 'utf8')).join('');
		expect(all).toMatch(/com\.evil/);
		expect(all).toMatch(/evil.*\.example/);
		// JSON writes a raw control character as \u00XX: none may be there, nor bidi overrides.
		for (const line of all.split('\n')) expect(line).not.toMatch(/\\u00[01][0-9a-f]|\\u007f|\\u009b|[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/i);
	});

	it('--blocklist and --rules classify as in replay', async () => {
		const list = path.join(dir, 'block.txt');
		writeFileSync(list, '0.0.0.0 example.org\n');
		const o = path.join(dir, 'blocked');
		expect((await tattle(['export', '-q', '--out', o, '--blocklist', list, path.join(repoRoot, 'captures/incognito-https')])).code).toBe(0);
		const rowsOf = (d: string) => readFileSync(path.join(d, 'destinations.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
		expect(rowsOf(o).find((d) => d.host === 'example.org')?.category).toBe('tracker');
		const plain = path.join(dir, 'unblocked');
		expect((await tattle(['export', '-q', '--out', plain, path.join(repoRoot, 'captures/incognito-https')])).code).toBe(0);
		expect(rowsOf(plain).find((d) => d.host === 'example.org')?.category).not.toBe('tracker');
		const r = await tattle(['export', '--out', path.join(dir, 'e5'), '--rules', path.join(dir, 'no-rules.json'), path.join(repoRoot, 'captures/incognito-https')]);
		expect(r.code).toBe(2);
		expect(r.stderr).toMatch(/--rules .*no-rules\.json: no such file/);
	});

	it('DuckDB reads several export folders at once, in place (read_json of a list of files)', async () => {
		const files = ['tables', 'blocked'].map((d) => `'${path.join(dir, d, 'sessions.ndjson').replace(/'/g, "''")}'`);
		const rows = await rows0(`SELECT count(*) AS n, count(DISTINCT device_serial) AS phones FROM read_json([${files.join(', ')}])`);
		expect(rows).toEqual([{n: '4', phones: '2'}]);
	});

	it('--help shows export', async () => {
		const r = await tattle(['export', '--help']);
		expect(r.code).toBe(0);
		expect(r.stdout).toMatch(/tattle export --out DIR PATH/);
	});
});
