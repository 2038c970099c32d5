/**
 * Sessions as tables (`tattle export`, docs/schema.md "Tables"): pure shaping from a session's
 * report, its NDJSON events and its incognito intervals into rows, one array a table. The
 * columns are data (TABLES): the same list writes the load scripts (table-files.ts) and is
 * checked against the documentation by a test. Every string is sanitised here; every table is
 * capped per session.
 *
 * Over 300 lines because the seven tables' column lists and their row shaping belong together.
 */
import {createHash} from 'node:crypto';
import {sanitize} from '../lib/sanitize.js';
import {SCHEMA_VERSION, type Report} from './report.js';

/** DuckDB types of the columns (ClickHouse's: CLICKHOUSE_TYPES in table-files.ts). */
export type ColumnType = 'VARCHAR' | 'DOUBLE' | 'BIGINT' | 'INTEGER' | 'BOOLEAN' | 'VARCHAR[]' | 'BIGINT[]';

type Column = {readonly name: string; readonly type: ColumnType};

const col = (name: string, type: ColumnType): Column => ({name, type});
const SESSION_ID = col('session_id', 'VARCHAR');

/** Every table and its columns, in file order. Add columns at the end; never rename (SCHEMA_VERSION). */
export const TABLES = {
	sessions: [
		SESSION_ID,
		col('schema', 'INTEGER'),
		col('tool_version', 'VARCHAR'),
		col('input_kind', 'VARCHAR'),
		col('input_path', 'VARCHAR'),
		col('device_serial', 'VARCHAR'),
		col('device_manufacturer', 'VARCHAR'),
		col('device_model', 'VARCHAR'),
		col('android', 'VARCHAR'),
		col('time_zone', 'VARCHAR'),
		col('start_ts', 'DOUBLE'),
		col('end_ts', 'DOUBLE'),
		col('packets', 'BIGINT'),
		col('bytes', 'BIGINT'),
		col('log_lines', 'BIGINT'),
		col('malformed', 'BIGINT'),
		col('dropped', 'BIGINT'),
		col('destinations', 'INTEGER'),
		col('flags', 'INTEGER'),
		col('rows_dropped', 'BIGINT'),
	],
	destinations: [
		SESSION_ID,
		col('host', 'VARCHAR'),
		col('ips', 'VARCHAR[]'),
		col('owner', 'VARCHAR'),
		col('category', 'VARCHAR'),
		col('country', 'VARCHAR'),
		col('asn', 'BIGINT'),
		col('as_org', 'VARCHAR'),
		col('apps', 'VARCHAR[]'),
		col('foreground', 'VARCHAR[]'),
		col('packets', 'BIGINT'),
		col('bytes_out', 'BIGINT'),
		col('bytes_in', 'BIGINT'),
		col('first_ts', 'DOUBLE'),
		col('last_ts', 'DOUBLE'),
		col('via', 'VARCHAR[]'),
		col('local', 'BOOLEAN'),
		col('rule', 'VARCHAR'),
		col('flags', 'INTEGER'),
		col('payload', 'VARCHAR'),
	],
	flows: [
		SESSION_ID,
		col('host', 'VARCHAR'),
		col('proto', 'VARCHAR'),
		col('src', 'VARCHAR'),
		col('sport', 'INTEGER'),
		col('dst', 'VARCHAR'),
		col('dport', 'INTEGER'),
		col('app', 'VARCHAR'),
		col('tls', 'VARCHAR'),
		col('packets', 'BIGINT'),
		col('bytes_out', 'BIGINT'),
		col('bytes_in', 'BIGINT'),
		col('first_ts', 'DOUBLE'),
		col('reported_ts', 'DOUBLE'),
	],
	contacts: [SESSION_ID, col('ts', 'DOUBLE'), col('packet', 'BIGINT'), col('host', 'VARCHAR'), col('via', 'VARCHAR'), col('src', 'VARCHAR'), col('dst', 'VARCHAR'), col('dport', 'INTEGER')],
	flags: [
		SESSION_ID,
		col('kind', 'VARCHAR'),
		col('severity', 'VARCHAR'),
		col('ts', 'DOUBLE'),
		col('app', 'VARCHAR'),
		col('host', 'VARCHAR'),
		col('summary', 'VARCHAR'),
		col('count', 'INTEGER'),
		col('payload', 'VARCHAR'),
		col('decrypted', 'BOOLEAN'),
		col('rule', 'VARCHAR'),
		col('excerpt', 'VARCHAR'),
		col('foreground', 'VARCHAR'),
		col('incognito_signal', 'VARCHAR'),
		col('packets', 'BIGINT[]'),
		col('log_lines', 'BIGINT[]'),
	],
	log_facts: [
		SESSION_ID,
		col('ts', 'DOUBLE'),
		col('line', 'BIGINT'),
		col('kind', 'VARCHAR'),
		col('app', 'VARCHAR'),
		col('pid', 'BIGINT'),
		col('uid', 'VARCHAR'),
		col('tag', 'VARCHAR'),
		col('message', 'VARCHAR'),
		col('signal', 'VARCHAR'),
	],
	incognito: [SESSION_ID, col('pkg', 'VARCHAR'), col('start_ts', 'DOUBLE'), col('end_ts', 'DOUBLE'), col('signal', 'VARCHAR'), col('ended_by', 'VARCHAR'), col('log_line', 'BIGINT')],
} as const satisfies Record<string, readonly Column[]>;

export type TableName = keyof typeof TABLES;
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

export type Row = Record<string, unknown>;
export type SessionTables = Record<TableName, Row[]>;

/**
 * Rows one table keeps per session. A 3-million-packet capture names ~60k flows and ~100k contacts;
 * past this the rows are counted in `sessions.rows_dropped`, so memory stays bounded whatever the input.
 */
const MAX_ROWS_PER_TABLE = 1_000_000;
/** Longest string in a cell: as in the report (a hostile 64 KiB name stays one readable cell). */
const MAX_CELL = 2048;

/** One incognito interval as the session's state machine kept it (classify/incognito.ts). */
type IncognitoRow = {pkg: string; start: number; end?: number; signal: string; endedBy?: string; logLine?: number};

/** Where a session came from. */
export type SessionInput = {kind: 'bundle' | 'capture' | 'logcat' | 'report'; path: string};

const str = (v: unknown): string | null => (typeof v === 'string' ? sanitize(v, MAX_CELL) : typeof v === 'number' && Number.isFinite(v) ? String(v) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(str).filter((s): s is string => s !== null) : []);
const ints = (v: unknown): number[] => (Array.isArray(v) ? v.map(int).filter((n): n is number => n !== null) : []);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const list = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? v.map(obj) : []);

/**
 * A session's id: the first 16 hex digits of SHA-256 over the device serial and the capture's
 * counts and times. The same session exported from its bundle or from its JSON report gets the
 * same id, so exports made at different times can be queried together without duplicates.
 */
export function sessionId(report: Pick<Report, 'stats'> & {device?: Report['device']}): string {
	const s = obj(report.stats);
	const key = [str(obj(report.device).serial), num(s.firstTs), num(s.lastTs), int(s.packets), int(s.bytes), int(s.logLines)].join('|');
	return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * Builds a session's rows. Events are added one by one as the replay emits them (contacts, log
 * facts, flows); the report and the incognito intervals close it.
 */
export class SessionTableBuilder {
	private readonly contacts: Row[] = [];
	private readonly logFacts: Row[] = [];
	/** A flow's last totals by 5-tuple: a flow event repeats cumulative totals every 10 s. */
	private readonly flows = new Map<string, Row>();
	private dropped = 0;

	/** `maxRows`: rows kept per table (tests use a small one). */
	constructor(private readonly maxRows = MAX_ROWS_PER_TABLE) {}

	/** One NDJSON event of the session (the objects Session's onEvent hands out). */
	event(e: Record<string, unknown>): void {
		switch (e.type) {
			case 'dns':
				// A question the phone asked; answers and mDNS/LLMNR chatter are not contacts.
				if (e.response === false && e.proto === 'dns') this.contact(e, str(e.query), 'dns', str(e.client), str(e.server), null);
				break;
			case 'tls':
				this.contact(e, str(e.sni), 'sni', str(e.src), str(e.dst), int(e.dport));
				break;
			case 'quic':
				this.contact(e, str(e.sni), 'quic', str(e.src), str(e.dst), int(e.dport));
				break;
			case 'http':
				this.contact(e, str(e.host), 'http', str(e.src), str(e.dst), int(e.dport));
				break;
			case 'log':
				if (typeof e.kind === 'string') {
					this.push(this.logFacts, {ts: num(e.ts), line: int(e.index), kind: str(e.kind), app: str(e.app), pid: int(e.pid), uid: str(e.uid), tag: str(e.tag), message: str(e.message), signal: str(e.signal)});
				}
				break;
			case 'flow':
				this.flow(e);
				break;
		}
	}

	private contact(e: Record<string, unknown>, host: string | null, via: string, src: string | null, dst: string | null, dport: number | null): void {
		if (host === null || host === '') return;
		this.push(this.contacts, {ts: num(e.ts), packet: int(e.index), host, via, src, dst, dport});
	}

	private flow(e: Record<string, unknown>): void {
		const key = [e.proto, e.src, e.sport, e.dst, e.dport].join(' ');
		const row = {host: str(e.host), proto: str(e.proto), src: str(e.src), sport: int(e.sport), dst: str(e.dst), dport: int(e.dport), app: str(e.app), tls: str(e.tls), packets: int(e.packets), bytes_out: int(e.bytesOut), bytes_in: int(e.bytesIn), first_ts: num(e.firstTs), reported_ts: num(e.ts)};
		const known = this.flows.get(key);
		if (known && (int(known.packets) ?? 0) <= (row.packets ?? 0)) {
			Object.assign(known, row);
			return;
		}
		if (this.flows.size >= this.maxRows) {
			this.dropped++;
			return;
		}
		// Fewer packets than last reported: the 5-tuple was reused by a new connection; the old one keeps its row.
		if (known) this.flows.set(`${key} #${this.flows.size}`, known);
		this.flows.set(key, row);
	}

	private push(rows: Row[], row: Row): void {
		if (rows.length < this.maxRows) rows.push(row);
		else this.dropped++;
	}

	/**
	 * The session's tables. `report` is the JSON report (built for this session, or read from a
	 * file: untrusted, so every field is checked); `incognito` the kept intervals.
	 */
	finish(report: Report | Record<string, unknown>, input: SessionInput, incognito: readonly IncognitoRow[]): SessionTables {
		const r = report as Record<string, unknown>;
		const id = sessionId(report as Report);
		const withId = (rows: Iterable<Row>): Row[] => Array.from(rows, (row) => ({session_id: id, ...row}));
		const stats = obj(r.stats);
		const device = obj(r.device);
		const destinations = list(r.destinations).slice(0, this.maxRows).map(destinationRow);
		const flags = list(r.flags).slice(0, this.maxRows).map(flagRow);
		const session: Row = {
			schema: SCHEMA_VERSION,
			tool_version: str(obj(r.tool).version),
			input_kind: input.kind,
			input_path: str(input.path),
			device_serial: str(device.serial),
			device_manufacturer: str(device.manufacturer),
			device_model: str(device.model),
			android: str(device.android),
			time_zone: str(device.timeZone),
			start_ts: num(stats.firstTs),
			end_ts: num(stats.lastTs),
			packets: int(stats.packets),
			bytes: int(stats.bytes),
			log_lines: int(stats.logLines),
			malformed: int(stats.malformed),
			dropped: int(stats.dropped),
			destinations: list(r.destinations).length,
			flags: list(r.flags).length,
			rows_dropped: this.dropped + Math.max(0, list(r.destinations).length - destinations.length) + Math.max(0, list(r.flags).length - flags.length),
		};
		return {
			sessions: withId([session]),
			destinations: withId(destinations),
			flows: withId(this.flows.values()),
			contacts: withId(this.contacts),
			flags: withId(flags),
			log_facts: withId(this.logFacts),
			incognito: withId(
				incognito.map((iv) => ({pkg: str(iv.pkg), start_ts: num(iv.start), end_ts: num(iv.end), signal: str(iv.signal), ended_by: str(iv.endedBy), log_line: int(iv.logLine)})),
			),
		};
	}
}

function destinationRow(d: Record<string, unknown>): Row {
	return {
		host: str(d.host),
		ips: strs(d.ips),
		owner: str(d.owner),
		category: str(d.category),
		country: str(d.country),
		asn: int(d.asn),
		as_org: str(d.asOrg),
		apps: strs(d.apps),
		foreground: strs(d.foreground),
		packets: int(d.packets),
		bytes_out: int(d.bytesOut),
		bytes_in: int(d.bytesIn),
		first_ts: num(d.firstTs),
		last_ts: num(d.lastTs),
		via: strs(d.via),
		local: bool(d.local),
		rule: str(d.rule),
		flags: int(d.flags),
		payload: str(d.payload),
	};
}

function flagRow(f: Record<string, unknown>): Row {
	const ev = obj(f.evidence);
	return {
		kind: str(f.kind),
		severity: str(f.severity),
		ts: num(f.ts),
		app: str(f.app),
		host: str(f.host),
		summary: str(f.summary),
		count: int(f.count) ?? 1,
		payload: str(ev.payload),
		decrypted: bool(ev.decrypted) ?? false,
		rule: str(ev.rule),
		excerpt: str(ev.excerpt),
		foreground: str(ev.foreground),
		incognito_signal: str(ev.incognitoSignal),
		packets: ints(ev.packets),
		log_lines: ints(ev.logLines),
	};
}
