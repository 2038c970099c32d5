/**
 * The upload judgement: given one upload (read, or encrypted) and the incognito state at its time,
 * the flags it raises (classify/flags.ts evaluateUpload), with the incognito evidence filled in.
 * Pure functions of their arguments: the incognito state is read, never changed.
 */
import type {Classification, Flag, IncognitoSignal} from '../types.js';
import {evaluateUpload} from './flags.js';
import type {IncognitoTracker, VisitedSet} from './incognito.js';
import type {PayloadFindings} from './payload.js';
import {TRACKING_CATEGORIES} from './rules.js';

/** What the judgement reads of the incognito state (an IncognitoTracker). */
type IncognitoState = Pick<IncognitoTracker, 'active' | 'isIncognito' | 'intervalAt' | 'foreground'>;

/** One upload as the session saw it. */
type Upload = {
	ts: number;
	host: string;
	classification: Classification;
	/** Package that sent it, when attributed. */
	app?: string;
	/** 1-based packet indices carrying it. */
	packets: number[];
};

/** A request whose body could be read (plain HTTP, or TLS decrypted with keys). */
type ReadUpload = Upload & {findings: PayloadFindings; bodyBytes: number; path: string; tls: boolean};

/**
 * An encrypted connection (TLS or QUIC without keys) to a tracking destination while a browser is
 * in incognito mode: timing and size are the evidence. Nothing otherwise.
 */
export function judgeEncryptedUpload(u: Upload, incognito: IncognitoState, visited: VisitedSet): Flag[] {
	const active = incognito.active(u.ts);
	if (active.length === 0) return [];
	if (!TRACKING_CATEGORIES.has(u.classification.category)) return [];
	return evaluateUpload({...u, logLines: incognitoEvidence(incognito, active, u.ts), encrypted: true, incognitoApps: active, visited});
}

/** A request read in full: what its payload reveals, in or out of incognito. */
export function judgeReadUpload(u: ReadUpload, incognito: IncognitoState, visited: VisitedSet): Flag[] {
	const active = incognito.active(u.ts);
	return evaluateUpload({
		ts: u.ts,
		host: u.host,
		classification: u.classification,
		app: u.app,
		packets: u.packets,
		logLines: incognitoEvidence(incognito, active, u.ts),
		findings: u.findings,
		encrypted: false,
		incognitoApps: active,
		visited,
		bytesOut: u.bodyBytes,
		path: u.path,
		tls: u.tls,
	});
}

/**
 * Completes a new flag's evidence in place (the deduper keeps the very object, so it is not
 * copied): the app in front at its time and, for an incognito flag, the kind of signal behind the
 * incognito state it relied on.
 */
export function addIncognitoEvidence(f: Flag, incognito: IncognitoState): void {
	const fg = incognito.foreground(f.ts);
	if (fg && !f.evidence.foreground) f.evidence.foreground = fg;
	if (f.kind === 'incognito-tracker' || f.kind === 'incognito-url-leak') {
		const signal = incognitoSignal(f, incognito);
		if (signal) f.evidence.incognitoSignal = signal;
	}
}

/** The log lines that put these browsers in incognito mode (flag evidence). */
function incognitoEvidence(incognito: IncognitoState, apps: string[], ts: number): number[] {
	const lines: number[] = [];
	for (const pkg of apps) {
		const line = incognito.intervalAt(pkg, ts)?.logLine;
		if (line !== undefined) lines.push(line);
	}
	return lines;
}

/** The signal behind the incognito state a flag relied on: its app's, else the first browser's. */
function incognitoSignal(f: Flag, incognito: IncognitoState): IncognitoSignal | undefined {
	const apps = f.app !== undefined && incognito.isIncognito(f.app, f.ts) ? [f.app] : incognito.active(f.ts);
	for (const pkg of apps) {
		const iv = incognito.intervalAt(pkg, f.ts);
		if (iv) return iv.signal;
	}
	return undefined;
}
