/** What a session leaves behind: the NDJSON stream (--json), the reports (--report), the exit code (--fail-on). */
import {closeSync, openSync, writeSync} from 'node:fs';
import type {CliOptions} from '../lib/args.js';
import {sanitize} from '../lib/sanitize.js';
import {buildReport, jsonReportPieces, REPORT_PIECE, reportFormat, reportPieces, SCHEMA_VERSION, type Report} from '../report/report.js';
import {ndjsonRecord} from '../report/ndjson.js';
import type {Session} from '../ingest/session.js';
import type {SessionEvent, SessionSnapshot} from '../types.js';
import {fail} from './exit.js';
import {version} from './package-info.js';

/** Reports name every host the phone talked to, and flags with URLs: owner only, as bundles are. */
const REPORT_FILE_MODE = 0o600;

/** Longest string in an NDJSON event: a hostile 64 KiB name stays one readable line. */
const MAX_EVENT_STRING = 4096;

/** JSON replacer: untrusted strings lose control characters before they reach a pipe or a terminal. */
function cleanStrings(_key: string, value: unknown): unknown {
	return typeof value === 'string' ? sanitize(value, MAX_EVENT_STRING) : value;
}

/** The session's event sink for --json: each event shaped (report/ndjson.ts), cleaned, with the schema version, one JSON object a line on `out`. */
export function ndjsonWriter(out: NodeJS.WritableStream): (event: SessionEvent) => void {
	return (e) => out.write(JSON.stringify({...ndjsonRecord(e), schema: SCHEMA_VERSION}, cleanStrings) + '\n');
}

/** Writes every --report file; a write failure is a clear error, not a stack trace. */
export function writeReports(opts: CliOptions, snap: SessionSnapshot, input: Record<string, unknown>): void {
	if (opts.report.length === 0) return;
	// The whole report object only for the formats that read it more than once (Markdown, CSV, HTML).
	let report: Report | undefined;
	const pieces = (file: string) => (reportFormat(file) === 'json' ? jsonReportPieces(snap, {version, input}) : reportPieces((report ??= buildReport(snap, {version, input})), file));
	const encoded = Buffer.allocUnsafe(REPORT_PIECE * 4);
	for (const file of opts.report) {
		try {
			// Written as it is serialised: at 17k destinations the whole text (and its UTF-8 copy) was the replay's peak.
			// A new report is the owner's alone (REPORT_FILE_MODE); an existing file keeps its mode.
			const fd = openSync(file, 'w', REPORT_FILE_MODE);
			try {
				for (const piece of pieces(file)) {
					// Encoded into one buffer reused for every piece (a new one each time grew the C heap: ~4 MB
					// of peak RSS at 17k destinations); a piece too long for it gets its own.
					const fits = piece.length * 3 <= encoded.length;
					const bytes = fits ? encoded : Buffer.from(piece, 'utf8');
					const length = fits ? encoded.write(piece, 0, 'utf8') : bytes.length;
					// writeSync may write less than asked (a pipe): loop until all of it is out.
					for (let off = 0; off < length; ) off += writeSync(fd, bytes, off, length - off);
				}
			} finally {
				closeSync(fd);
			}
		} catch (error) {
			fail(`cannot write report ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
		}
	}
}

/** The report's `input` record of `tattle live` (at exit and for `e`); `pcap` is the packet spec in use. */
export function liveReportInput(opts: CliOptions, session: Session, serial: string | undefined, pcap: string | undefined): Record<string, unknown> {
	return {command: 'live', serial: session.device?.serial ?? serial ?? null, pcap: opts.noPcap ? null : (pcap ?? 'adb'), ...(opts.record ? {record: opts.record} : {}), ...(opts.baseline ? {baseline: opts.baseline} : {})};
}

/** 3 when a --fail-on flag kind was raised, else 0. */
export function exitCodeFor(opts: CliOptions, snap: SessionSnapshot): number {
	if (opts.failOn.length === 0) return 0;
	const hit = snap.flags.some((f) => opts.failOn.includes('any') || opts.failOn.includes(f.kind));
	return hit ? 3 : 0;
}
