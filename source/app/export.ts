/**
 * `tattle export --out DIR PATH...`: many sessions as tables DuckDB reads as they are (docs/schema.md
 * "Tables"). Each PATH is one session: a bundle or capture is replayed headless through the same
 * pipeline as `tattle replay`, a JSON report is read as written. The rows go to DIR/<table>.ndjson
 * with DIR/load.sql, the DuckDB script that loads them with their types declared, and
 * DIR/clickhouse.sql, the same tables for ClickHouse.
 */
import {closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync} from 'node:fs';
import path from 'node:path';
import {parseArgs, UsageError, type CliOptions} from '../lib/args.js';
import type {ExportOptions} from '../lib/export-args.js';
import {sanitize} from '../lib/sanitize.js';
import {LogcatParser} from '../decode/logcat.js';
import {resolveReplayInput, ReplayControl, ReplayInputError, runReplay, type ReplayInput} from '../sources/replay-source.js';
import {buildReport, type Report} from '../report/report.js';
import {SessionTableBuilder, TABLE_NAMES, type SessionInput, type SessionTables, type TableName} from '../report/tables.js';
import {clickhouseScript, duckdbLoadScript, rowLine} from '../report/table-files.js';
import {ExitError, fail} from './exit.js';
import {startKeyLog} from './keylog.js';
import {version} from './package-info.js';
import {checkCapture, replayHandlers} from './replay.js';
import {applyMarkers, makeSession} from './session-setup.js';
import {checkInputFiles} from './input-files.js';
import {ndjsonRecord} from '../report/ndjson.js';

/** Largest JSON report read (a 20,000-destination report is ~15 MB): a bigger file is refused, not parsed. */
const MAX_REPORT_BYTES = 256 * 1024 * 1024;

/**
 * Runs the export; returns the exit code: 0, or 2 when an input could not be read (it is named on
 * stderr and skipped; the other sessions are still written).
 */
export async function runExport(opts: ExportOptions): Promise<number> {
	// Missing inputs and options are found before anything is written.
	for (const p of opts.paths) if (!existsSync(p)) fail(`export: ${p}: no such file or folder`);
	replayOptions(opts.paths[0]!, opts);
	const out = openOutput(opts.out);
	const seen = new Map<string, string>();
	let skipped = 0;
	for (const p of opts.paths) {
		let tables: SessionTables;
		try {
			tables = /\.json$/i.test(p) ? reportSession(p) : await replaySession(p, opts);
		} catch (error) {
			if (!(error instanceof ExitError)) throw error;
			process.stderr.write(`tattle: ${sanitize(error.message.replace(/^export: /, ''))}: skipped\n`);
			skipped++;
			continue;
		}
		const id = tables.sessions[0]!.session_id as string;
		const same = seen.get(id);
		if (same !== undefined) {
			process.stderr.write(`tattle: export: ${sanitize(p)} is the same session as ${sanitize(same)} (${id}): not exported twice\n`);
			continue;
		}
		seen.set(id, p);
		for (const table of TABLE_NAMES) out.write(table, tables[table]);
		if (!opts.quiet) {
			const s = tables.sessions[0]!;
			process.stderr.write(`tattle: export: ${sanitize(p)}: session ${id}, ${String(s.destinations)} destinations, ${String(s.flags)} flags, ${tables.contacts.length} contacts\n`);
		}
	}
	out.close();
	writeFileSync(path.join(opts.out, 'load.sql'), duckdbLoadScript());
	writeFileSync(path.join(opts.out, 'clickhouse.sql'), clickhouseScript());
	if (skipped > 0) process.stderr.write(`tattle: export: ${skipped} of ${opts.paths.length} inputs skipped; the others are in ${sanitize(opts.out)}\n`);
	return skipped > 0 ? 2 : 0;
}

/** The table files, created in a folder that is new or empty (an export never mixes with older files). */
function openOutput(dir: string): {write(table: TableName, rows: SessionTables[TableName]): void; close(): void} {
	if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) fail(`export: ${dir} exists and is not an empty folder`);
	const fds = new Map<TableName, number>();
	try {
		mkdirSync(dir, {recursive: true});
		for (const table of TABLE_NAMES) fds.set(table, openSync(path.join(dir, `${table}.ndjson`), 'w'));
	} catch (error) {
		fail(`export: cannot write to ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
	}
	return {
		write(table, rows) {
			const fd = fds.get(table)!;
			// One write per ~64 KiB of lines, never the whole table as one string.
			let pending = '';
			for (const row of rows) {
				pending += rowLine(table, row);
				if (pending.length >= 64 * 1024) pending = flush(fd, pending);
			}
			flush(fd, pending);
		},
		close: () => fds.forEach((fd) => closeSync(fd)),
	};
}

function flush(fd: number, text: string): string {
	const bytes = Buffer.from(text, 'utf8');
	for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
	return '';
}

/** A saved JSON report: its sessions, destinations and flags rows (it holds no events: no contacts, flows, log facts or intervals). */
function reportSession(file: string): SessionTables {
	let report: Record<string, unknown>;
	try {
		if (statSync(file).size > MAX_REPORT_BYTES) fail(`export: ${file}: larger than ${MAX_REPORT_BYTES / 1024 / 1024} MiB, not read`);
		report = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') fail(`export: ${file}: no such file`);
		if (error instanceof SyntaxError) fail(`export: ${file}: not valid JSON (${error.message})`);
		throw error;
	}
	const tool = report?.tool as {name?: unknown} | undefined;
	if (typeof report !== 'object' || report === null || tool?.name !== 'tattle' || typeof report.stats !== 'object') {
		fail(`export: ${file}: not a tattle JSON report (no tool.name "tattle" and stats)`);
	}
	return new SessionTableBuilder().finish(report, {kind: 'report', path: file}, []);
}

/** A bundle or capture replayed headless at full speed; its events become rows as they come. */
async function replaySession(p: string, eo: ExportOptions): Promise<SessionTables> {
	const opts = replayOptions(p, eo);
	let input: ReplayInput;
	try {
		input = resolveReplayInput(p, undefined);
	} catch (error) {
		if (error instanceof ReplayInputError) fail(`export: ${error.message}`);
		throw error;
	}
	const builder = new SessionTableBuilder();
	const logYear = input.meta?.logYear;
	const logZone = input.meta?.logZone;
	const {session, geo} = makeSession(opts, {logYear, logZone}, (e) => builder.event(ndjsonRecord(e)));
	session.input = {path: input.bundle ?? input.capture, logcat: input.logcat, speed: 'max', paused: false};
	session.logClockOffset = input.meta?.clockOffset ?? 0;
	if (input.meta?.device) session.device = input.meta.device;
	applyMarkers(session, opts, input.meta?.markers);
	const abort = new AbortController();
	const keyLog = startKeyLog(input.keylog, session, abort.signal, undefined);
	const timeParser = new LogcatParser({year: logYear, zone: logZone});
	const result = await runReplay(input, replayHandlers(session, false), {control: new ReplayControl('max'), timeOf: (line) => timeParser.timeOf(line.text), signal: abort.signal});
	abort.abort();
	await keyLog;
	session.finish();
	checkCapture(result, input, session, undefined);
	await geo;
	const report = buildReport(session.snapshot(), {version, input: {command: 'export', path: p, logcat: input.logcat ?? null}});
	const kind: SessionInput['kind'] = input.bundle ? 'bundle' : input.capture ? 'capture' : 'logcat';
	return builder.finish(report satisfies Report, {kind, path: p}, session.incognito.intervals());
}

/** The replay options of one export input: replay's own defaults, with export's rules and blocklists. */
function replayOptions(p: string, eo: ExportOptions): CliOptions {
	try {
		const opts = parseArgs(['replay', p, ...eo.rules.flatMap((f) => ['--rules', f]), ...eo.blocklist.flatMap((f) => ['--blocklist', f])]);
		checkInputFiles(opts);
		return opts;
	} catch (error) {
		if (error instanceof UsageError) fail(`export: ${error.message}`);
		throw error;
	}
}
