/**
 * One run as `tattle diff` and `--baseline` read it: the parts of a session report they compare,
 * from a report just built (a bundle or capture replayed) or from a saved JSON report. A saved
 * file is untrusted input: every field is checked and a wrong file is one clear error, never a
 * crash or a silently empty run. Pure: the caller reads the file.
 */

/** Destinations read from one report: a report holds at most 20,000 (ingest's cap); 100,000 leaves room. */
const MAX_RUN_DESTINATIONS = 100_000;
/** Flags read from one report (ingest keeps 5,000). */
const MAX_RUN_FLAGS = 100_000;
/** Field keys and identifiers read per destination (ingest keeps 64 and 16). */
const MAX_LIST = 256;
/** Longest string read from a saved report (hosts, keys, summaries); longer ones are cut. */
const MAX_STRING = 2048;

type RunIdentifier = {kind: string; value: string; key: string | null};

export type RunDestination = {
	host: string;
	ips: string[];
	owner: string | null;
	category: string;
	packets: number;
	bytesOut: number;
	bytesIn: number;
	/** Decoded field keys of its readable uploads (empty in reports from before they were kept). */
	fields: string[];
	identifiers: RunIdentifier[];
};

export type RunFlag = {kind: string; severity: string; host: string; app: string | null; summary: string};

export type RunReport = {
	/** What the run was read from, as given (a path). */
	source: string;
	version: string;
	device: {serial: string | null; model: string | null};
	stats: {packets: number; bytes: number; logLines: number; firstTs: number | null; lastTs: number | null};
	destinations: RunDestination[];
	flags: RunFlag[];
};

/** A report that is not one tattle wrote, with the path of the first wrong field. */
export class RunReportError extends Error {}

type Json = Record<string, unknown>;

function fail(where: string, what: string): never {
	throw new RunReportError(`${where}: ${what}`);
}

function object(v: unknown, where: string): Json {
	if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'expected an object');
	return v as Json;
}

function array(v: unknown, where: string, max: number): unknown[] {
	if (!Array.isArray(v)) fail(where, 'expected an array');
	if (v.length > max) fail(where, `more than ${max} entries`);
	return v;
}

function string(v: unknown, where: string): string {
	if (typeof v !== 'string') fail(where, 'expected a string');
	return v.length > MAX_STRING ? v.slice(0, MAX_STRING) : v;
}

function optString(v: unknown, where: string): string | null {
	return v === undefined || v === null ? null : string(v, where);
}

function count(v: unknown, where: string): number {
	if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(where, 'expected a count (a number, 0 or more)');
	return v;
}

function optTime(v: unknown, where: string): number | null {
	if (v === undefined || v === null) return null;
	if (typeof v !== 'number' || !Number.isFinite(v)) fail(where, 'expected a time (epoch seconds)');
	return v;
}

/** Lists that later versions added: absent is empty; present must be right. Over MAX_LIST, the rest is left. */
function optList<T>(v: unknown, where: string, item: (x: unknown, where: string) => T): T[] {
	if (v === undefined || v === null) return [];
	if (!Array.isArray(v)) fail(where, 'expected an array');
	return v.slice(0, MAX_LIST).map((x, i) => item(x, `${where}[${i}]`));
}

function destination(v: unknown, where: string): RunDestination {
	const d = object(v, where);
	return {
		host: string(d.host, `${where}.host`),
		ips: optList(d.ips, `${where}.ips`, string),
		owner: optString(d.owner, `${where}.owner`),
		category: string(d.category, `${where}.category`),
		packets: count(d.packets, `${where}.packets`),
		bytesOut: count(d.bytesOut, `${where}.bytesOut`),
		bytesIn: count(d.bytesIn, `${where}.bytesIn`),
		fields: optList(d.fields, `${where}.fields`, string),
		identifiers: optList(d.identifiers, `${where}.identifiers`, (x, w) => {
			const i = object(x, w);
			return {kind: string(i.kind, `${w}.kind`), value: string(i.value, `${w}.value`), key: optString(i.key, `${w}.key`)};
		}),
	};
}

function flag(v: unknown, where: string): RunFlag {
	const f = object(v, where);
	return {
		kind: string(f.kind, `${where}.kind`),
		severity: string(f.severity, `${where}.severity`),
		host: string(f.host, `${where}.host`),
		app: optString(f.app, `${where}.app`),
		summary: string(f.summary, `${where}.summary`),
	};
}

/**
 * A run from a report object (parsed JSON or buildReport's value). Throws RunReportError naming
 * the first field that is not as a tattle report has it.
 */
export function runFromReport(value: unknown, source: string): RunReport {
	const r = object(value, 'the report');
	const tool = r.tool === undefined ? undefined : object(r.tool, 'tool');
	if (tool?.name !== 'tattle') fail('tool.name', 'not "tattle" (not a tattle JSON report)');
	const stats = object(r.stats, 'stats');
	const device = r.device === undefined || r.device === null ? {} : object(r.device, 'device');
	return {
		source,
		version: string(tool.version ?? '?', 'tool.version'),
		device: {serial: optString(device.serial, 'device.serial'), model: optString(device.model, 'device.model')},
		stats: {
			packets: count(stats.packets, 'stats.packets'),
			bytes: count(stats.bytes, 'stats.bytes'),
			logLines: count(stats.logLines ?? 0, 'stats.logLines'),
			firstTs: optTime(stats.firstTs, 'stats.firstTs'),
			lastTs: optTime(stats.lastTs, 'stats.lastTs'),
		},
		destinations: array(r.destinations, 'destinations', MAX_RUN_DESTINATIONS).map((d, i) => destination(d, `destinations[${i}]`)),
		flags: array(r.flags, 'flags', MAX_RUN_FLAGS).map((f, i) => flag(f, `flags[${i}]`)),
	};
}

/** A run from the text of a saved JSON report; not JSON, or not a tattle report, is a RunReportError. */
export function runFromReportText(text: string, source: string): RunReport {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		throw new RunReportError(`not valid JSON (${(error as Error).message})`);
	}
	return runFromReport(value, source);
}

/** Hosts and addresses of a run: what `--baseline` compares a session's destinations with. */
export function runHosts(run: RunReport): Set<string> {
	const hosts = new Set<string>();
	for (const d of run.destinations) {
		hosts.add(hostKey(d.host));
		for (const ip of d.ips) hosts.add(hostKey(ip));
	}
	return hosts;
}

/** A host as runs are matched on: lower case, no trailing dot (as ingest keys destinations). */
export function hostKey(host: string): string {
	return host.toLowerCase().replace(/\.$/, '');
}
