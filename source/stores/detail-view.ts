/**
 * View model of the detail view: every fact of the selected destination, flag or timeline
 * entry, with its evidence (packet indices, log lines and their text, excerpt, rule and source).
 */
import {computed} from 'nanostores';
import {
	formatAsn,
	formatBytes,
	formatClock,
	formatCountry,
	formatIndexList,
	formatInteger,
} from '../lib/format.js';
import {sanitize} from '../lib/sanitize.js';
import type {DestinationSummary, Flag, Severity, TimelineEntry} from '../types.js';
import {deepEqual} from './equal.js';
import {eventKey, flagKey} from './lists.js';
import {$destinations, $flags, $timeline} from './session-stores.js';
import {$ui, type DetailTarget} from './ui-state.js';
import {SIGNAL_TEXT} from './incognito-signal.js';

/** Packet and line indices listed before "(+N more)": two lines of a wide terminal. */
const INDICES_SHOWN = 16;
/** Log lines quoted from the timeline as evidence; the indices list has the rest. */
const QUOTED_LINES = 6;
/** Flags listed under a destination. */
const FLAGS_LISTED = 10;
/** Excerpts are shown whole up to this many characters (wrapped by the panel). */
const EXCERPT_MAX = 1200;
/** IPs listed per destination. */
const IPS_SHOWN = 8;

export type DetailTone = Severity | 'muted' | 'accent';

type DetailLine =
	| {kind: 'heading'; text: string}
	| {kind: 'field'; label: string; value: string; tone?: DetailTone};

export type DetailView = {title: string; tone?: DetailTone; lines: DetailLine[]};

const field = (label: string, value: string, tone?: DetailTone): DetailLine => ({kind: 'field', label, value, tone});
const heading = (text: string): DetailLine => ({kind: 'heading', text});
const clean = (s: string | undefined, max?: number): string => sanitize(s ?? '', max);

/** Facts of a destination (classification, geography, traffic, naming evidence). */
/** What could be read of a destination's payload, and why not when it could not (sanitised: a reason may quote the capture). */
function describeReading(d: DestinationSummary): string {
	const t = d.tls;
	switch (d.payload) {
		case 'cleartext':
			return 'plain HTTP: read as sent';
		case 'app-encrypted':
			return `decrypted, but the body is encrypted by the app itself (${t?.appEncrypted ?? 0} request(s))`;
		case 'read':
			return `TLS decrypted with the session keys (${t?.read ?? 0} connection(s))`;
		case 'partly-read':
		case 'encrypted': {
			const read = d.payload === 'encrypted' ? 'TLS, not decrypted' : `TLS, ${t?.read ?? 0} of ${t?.connections ?? 0} connection(s) decrypted`;
			const why = t?.note ? clean(t.note) : t && t.noKeys > 0 ? 'no keys for it' : 'no key log or DSBs for this session';
			return `${read}: ${why}`;
		}
		default:
			return '-';
	}
}

function destinationFacts(d: DestinationSummary): DetailLine[] {
	const as = [formatAsn(d.asn), clean(d.asOrg)].filter(Boolean).join(' ');
	const rule = d.rule ? `${clean(d.rule)}${d.ruleSource ? ` (from ${clean(d.ruleSource)})` : ''}` : '-';
	return [
		field('Owner', clean(d.owner) || 'unknown'),
		field('Category', d.category, 'accent'),
		field('Owner rule', rule),
		...(d.note ? [field('Note', clean(d.note))] : []),
		field('Country', formatCountry(d.country)),
		field('AS', as || '-'),
		field('IPs', d.ips.length === 0 ? '-' : formatIndexList(d.ips.map(ip => clean(ip, 64)), IPS_SHOWN, '')),
		field('Apps', d.apps.length === 0 ? 'unknown' : d.apps.map(a => clean(a)).join(', ')),
		field('Traffic', `${formatInteger(d.packets)} packets, ${formatBytes(d.bytesOut)} out, ${formatBytes(d.bytesIn)} in`),
		field('Seen', `${formatClock(d.firstTs)} to ${formatClock(d.lastTs)}`),
		field('Named by', d.via.length === 0 ? '-' : d.via.join(', ')),
		...(d.payload ? [field('Read', describeReading(d))] : []),
		field('Named in', formatIndexList(d.evidencePackets, INDICES_SHOWN)),
	];
}

/** The log lines of a flag's evidence that are still in the timeline tail, quoted. */
function quotedLines(indices: readonly number[], timeline: readonly TimelineEntry[]): DetailLine[] {
	const wanted = new Set(indices);
	return timeline
		.filter(e => e.source === 'log' && e.index !== undefined && wanted.has(e.index))
		.slice(0, QUOTED_LINES)
		.map(e => field(`line ${e.index}`, clean(e.text), 'muted'));
}

/** Detail of one flag: what, where, and the evidence to check it by hand. */
export function flagDetail(f: Flag, destinations: readonly DestinationSummary[], timeline: readonly TimelineEntry[]): DetailView {
	const d = destinations.find(x => x.host === f.host);
	const e = f.evidence;
	const lines: DetailLine[] = [
		field('Severity', f.severity.toUpperCase(), f.severity),
		field('Kind', f.kind),
		field('Time', formatClock(f.ts)),
		field('App', clean(f.app) || 'unknown'),
		field('Host', clean(f.host, 253)),
		field('Summary', clean(f.summary)),
		...(f.count && f.count > 1 ? [field('Count', `${f.count} times (repeats folded into this flag; their packets are listed)`)] : []),
		heading('Evidence'),
		field('Payload', `${e.payload ?? 'unknown'}${e.decrypted ? ' (read inside TLS with the session keys)' : ''}`, e.payload === 'encrypted' ? 'muted' : undefined),
		field('Packets', formatIndexList(e.packets, INDICES_SHOWN)),
		field('Log lines', formatIndexList(e.logLines, INDICES_SHOWN, 'line ')),
		field('Rule', clean(e.rule) || '-'),
		...(e.incognitoSignal && SIGNAL_TEXT[e.incognitoSignal] ? [field('Incognito', `set by ${SIGNAL_TEXT[e.incognitoSignal]}`)] : []),
		...(e.excerpt ? [field('Excerpt', clean(e.excerpt, EXCERPT_MAX))] : []),
		...quotedLines(e.logLines, timeline),
	];
	if (d) lines.push(heading(`Destination ${clean(d.host, 253)}`), ...destinationFacts(d));
	return {title: `${f.severity.toUpperCase()} ${f.kind}`, tone: f.severity, lines};
}

/** Detail of one destination, with the flags raised against it. */
export function destinationDetail(d: DestinationSummary, flags: readonly Flag[]): DetailView {
	const raised = flags.filter(f => f.host === d.host);
	const lines: DetailLine[] = [field('Host', clean(d.host, 253)), ...destinationFacts(d)];
	if (raised.length > 0) {
		lines.push(heading(`Flags (${raised.length})`));
		for (const f of raised.slice(0, FLAGS_LISTED)) {
			lines.push(field(f.severity.toUpperCase(), `${f.kind}: ${clean(f.summary)}`, f.severity));
		}
	}

	return {title: clean(d.host, 253), tone: raised.length > 0 ? 'high' : undefined, lines};
}

/** Detail of one timeline entry. */
function eventDetail(e: TimelineEntry): DetailView {
	return {
		title: `${e.source} ${clean(e.kind, 40)}`,
		lines: [
			field('Time', formatClock(e.ts)),
			field('Source', e.source),
			field('Kind', clean(e.kind, 40)),
			field(e.source === 'log' ? 'Line' : 'Packet', e.index === undefined ? '-' : `#${e.index}`),
			field('Text', clean(e.text)),
		],
	};
}

/** Detail for a target, or undefined when it is gone from the data. */
function detailFor(
	target: DetailTarget,
	destinations: readonly DestinationSummary[],
	flags: readonly Flag[],
	timeline: readonly TimelineEntry[],
): DetailView | undefined {
	switch (target.kind) {
		case 'destination': {
			const d = destinations.find(x => x.host === target.key);
			return d ? destinationDetail(d, flags) : undefined;
		}

		case 'flag': {
			const f = flags.find(x => flagKey(x) === target.key);
			return f ? flagDetail(f, destinations, timeline) : undefined;
		}

		case 'event': {
			const e = timeline.find(x => eventKey(x) === target.key);
			return e ? eventDetail(e) : undefined;
		}
	}
}

export const $detailView = computed([$ui, $destinations, $flags, $timeline], (ui, destinations, flags, timeline) =>
	ui.detail ? detailFor(ui.detail, destinations, flags, timeline) : undefined,
);
$detailView.eq = deepEqual;
