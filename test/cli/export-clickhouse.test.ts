/**
 * The export's tables load into ClickHouse as they are: a private clickhouse-server (Debian's, on
 * a free loopback port, its data in a temporary folder, killed afterwards) runs the exported
 * clickhouse.sql, takes every .ndjson file as JSONEachRow, and answers from it what the reports say.
 */
import {execFile, spawn, type ChildProcess} from 'node:child_process';
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {repoRoot} from '../helpers/corpus.js';
import {tattle} from '../helpers/cli.js';
import {needTool} from '../helpers/tools.js';
import {freePort} from '../sim/adb-harness.js';
import {TABLE_NAMES} from '../../source/report/tables.js';

const run = promisify(execFile);
const haveClickHouse = needTool('clickhouse-server', 'clickhouse-server') && needTool('clickhouse-client', 'clickhouse-client');
const BUNDLES = ['incognito-leak', 'incognito-https', 'ordinary-day'];
const dir = mkdtempSync(path.join(tmpdir(), 'tattle-clickhouse-'));
const out = path.join(dir, 'tables');
let server: ChildProcess | undefined;
let port = 0;

/** Runs one ClickHouse query (stdin: a file's text, for INSERT); TabSeparated output. */
async function ch(query: string, input?: string): Promise<string> {
	const args = ['--port', String(port), '--database', 'tattle', '--multiquery', '-q', query];
	if (input === undefined) return (await run('clickhouse-client', args, {encoding: 'utf8'})).stdout;
	return new Promise((resolve, reject) => {
		const child = execFile('clickhouse-client', args, {encoding: 'utf8'}, (error, stdout) => (error ? reject(error) : resolve(stdout)));
		child.stdin!.end(input);
	});
}

describe.runIf(haveClickHouse)('tattle export: the tables load into ClickHouse', () => {
	beforeAll(async () => {
		port = await freePort();
		for (const d of ['data', 'tmp', 'user_files', 'log']) mkdirSync(path.join(dir, d));
		copyFileSync('/etc/clickhouse-server/users.xml', path.join(dir, 'users.xml'));
		// Only a TCP port, on loopback; every path in the temporary folder.
		writeFileSync(
			path.join(dir, 'config.xml'),
			`<yandex>
  <logger><level>warning</level><log>${dir}/log/server.log</log><errorlog>${dir}/log/error.log</errorlog></logger>
  <tcp_port>${port}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
`,
		);
		server = spawn('clickhouse-server', [`--config-file=${path.join(dir, 'config.xml')}`], {stdio: 'ignore'});
		// Up in about a second here; 200 tries of 100 ms bound the wait.
		for (let i = 0; ; i++) {
			try {
				await run('clickhouse-client', ['--port', String(port), '-q', 'SELECT 1']);
				break;
			} catch (error) {
				if (i >= 200 || server.exitCode !== null) throw new Error(`clickhouse-server did not start: ${readFileSync(path.join(dir, 'log/error.log'), 'utf8').slice(-2000)}`, {cause: error});
				await new Promise((r) => setTimeout(r, 100));
			}
		}
		await run('clickhouse-client', ['--port', String(port), '-q', 'CREATE DATABASE tattle']);
		const r = await tattle(['export', '-q', '--out', out, ...BUNDLES.map((b) => path.join(repoRoot, 'captures', b))]);
		expect(r.code, r.stderr).toBe(0);
		await ch(readFileSync(path.join(out, 'clickhouse.sql'), 'utf8'));
		for (const t of TABLE_NAMES) await ch(`INSERT INTO ${t} FORMAT JSONEachRow`, readFileSync(path.join(out, `${t}.ndjson`), 'utf8'));
	}, 120_000);

	afterAll(() => {
		server?.kill('SIGKILL');
	});

	it('every row of every file is in its table', async () => {
		for (const t of TABLE_NAMES) {
			const lines = readFileSync(path.join(out, `${t}.ndjson`), 'utf8').split('\n').filter(Boolean).length;
			expect(Number(await ch(`SELECT count() FROM ${t}`)), t).toBe(lines);
		}
		expect(Number(await ch('SELECT count() FROM sessions'))).toBe(3);
	});

	it('answers as the reports say: flags by kind, bytes out, decrypted flags, incognito intervals', async () => {
		const reports = [];
		for (const b of BUNDLES) {
			const file = path.join(dir, `${b}.json`);
			expect((await tattle(['replay', path.join(repoRoot, 'captures', b), '--report', file])).code).toBe(0);
			reports.push(JSON.parse(readFileSync(file, 'utf8')));
		}
		const flags = reports.flatMap((r) => r.flags);
		const byKind = new Map<string, number>();
		for (const f of flags) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
		const want = [...byKind].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => `${k}\t${n}`).join('\n');
		expect((await ch('SELECT kind, count() FROM flags GROUP BY kind ORDER BY kind')).trim()).toBe(want);
		const bytesOut = reports.flatMap((r) => r.destinations).reduce((n, d) => n + d.bytesOut, 0);
		expect(Number(await ch('SELECT sum(bytes_out) FROM destinations'))).toBe(bytesOut);
		expect(Number(await ch('SELECT count() FROM flags WHERE decrypted = 1'))).toBe(flags.filter((f) => f.evidence.decrypted).length);
		expect((await ch("SELECT pkg, signal FROM incognito ORDER BY start_ts")).trim()).toBe('com.mi.globalbrowser\tsecure-window\ncom.mi.globalbrowser\tmarker');
	});
});
