/**
 * The files of an export folder (docs/schema.md "Tables"): one NDJSON line per row, every column
 * present and in order, and the two scripts that load the files: DuckDB's load.sql and
 * ClickHouse's clickhouse.sql, both written from the column list in tables.ts.
 */
import {SCHEMA_VERSION} from './report.js';
import {TABLE_NAMES, TABLES, type ColumnType, type Row, type TableName} from './tables.js';

/** One row as its NDJSON line: the table's columns in order, absent ones null. */
export function rowLine(table: TableName, row: Row): string {
	const ordered: Row = {};
	for (const c of TABLES[table]) ordered[c.name] = row[c.name] ?? (c.type.endsWith('[]') ? [] : null);
	return JSON.stringify(ordered) + '\n';
}

/** SQL string literal. */
const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * The DuckDB script that loads the table files of a folder (run from inside it: the paths are
 * relative, so the folder can move): one CREATE TABLE a table, with the column types declared,
 * so an empty table loads too and no type is guessed.
 */
export function duckdbLoadScript(): string {
	const lines = [`-- tattle export, schema ${SCHEMA_VERSION}: cd into this folder, then: duckdb sessions.duckdb < load.sql`];
	for (const table of TABLE_NAMES) {
		const columns = TABLES[table].map((c) => `${c.name}: ${sqlString(c.type)}`).join(', ');
		lines.push(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM read_json(${sqlString(`${table}.ndjson`)}, format = 'newline_delimited', columns = {${columns}});`);
	}
	return lines.join('\n') + '\n';
}

/** ClickHouse's type for each column type: NDJSON nulls need Nullable; booleans load as 0/1. */
const CLICKHOUSE_TYPES: Readonly<Record<ColumnType, string>> = {
	VARCHAR: 'Nullable(String)',
	DOUBLE: 'Nullable(Float64)',
	BIGINT: 'Nullable(Int64)',
	INTEGER: 'Nullable(Int32)',
	BOOLEAN: 'Nullable(UInt8)',
	'VARCHAR[]': 'Array(String)',
	'BIGINT[]': 'Array(Int64)',
};

/** The ClickHouse tables for the same files (loaded with FORMAT JSONEachRow, as the script's comment says). */
export function clickhouseScript(): string {
	const lines = [
		`-- tattle export, schema ${SCHEMA_VERSION}: ClickHouse tables for the .ndjson files beside this script.`,
		'--   clickhouse-client --multiquery < clickhouse.sql',
		`--   for t in ${TABLE_NAMES.join(' ')}; do clickhouse-client -q "INSERT INTO $t FORMAT JSONEachRow" < $t.ndjson; done`,
	];
	for (const table of TABLE_NAMES) {
		const columns = TABLES[table].map((c) => `\`${c.name}\` ${CLICKHOUSE_TYPES[c.type]}`).join(', ');
		lines.push(`CREATE TABLE IF NOT EXISTS ${table} (${columns}) ENGINE = MergeTree ORDER BY tuple();`);
	}
	return lines.join('\n') + '\n';
}
