/**
 * View model of the status bar: device or replayed file, each source's state, totals,
 * problems, replay position, pause and filter state, incognito packages, the latest notice.
 */
import {computed} from 'nanostores';
import {formatBytes, formatCount, formatDuration, formatInteger, formatSpeed, stateWord} from '../lib/format.js';
import {sanitize} from '../lib/sanitize.js';
import type {SessionStats, SourceState} from '../types.js';
import {deepEqual} from './equal.js';
import {$device, $incognito, $incognitoSignals, $input, $sources, $stats} from './session-stores.js';
import {incognitoLabel} from './incognito-signal.js';
import {$ui, type Notice} from './ui-state.js';

/** Device, path and source labels: enough for a model name or a short path. */
const LABEL_MAX = 80;
/** Sources shown: live mode has two or three; more is a bug upstream, not something to draw. */
const SOURCES_MAX = 6;
/** A replay position below this is seconds from the start; above, an epoch time. */
const EPOCH_THRESHOLD = 1e8;
/** Kinds of undecoded input named on the status line: the bar has room for a few, the report has all. */
const UNDECODED_KINDS_MAX = 3;

/**
 * Problem counters that are not input tattle failed to decode: its own caps and drops. Every
 * other counter in stats.problems is something that arrived and could not be read.
 */
const NOT_UNDECODED: ReadonlySet<string> = new Set([
	'flows-evicted',
	'destinations-evicted',
	'flags-dropped',
	'tls-records-dropped-waiting-keys',
	'dropped',
	'pcap-refused',
	// The half record a broken tcpdump stream left (the bundle drops it too).
	'pcap-torn',
]);

/** Plain words for the problem kinds decoders count (the report keeps the kind names). */
const UNDECODED_WORDS: Readonly<Record<string, string>> = {
	'bad-ip': 'bad IP header',
	'not-ip': 'not IP',
	truncated: 'cut short',
	'unknown-linktype': 'unknown link type',
	'bad-transport': 'bad TCP/UDP header',
	'bad-dns': 'bad DNS',
	'tls-unreadable': 'unreadable TLS',
	'http-incomplete': 'incomplete HTTP',
	'h2-unreadable': 'unreadable HTTP/2',
	'log-unparsed': 'unparsed log line',
	'bad-upload-url': 'bad upload URL',
	'pcap-damaged': 'damaged capture',
	'bad-datagram': 'bad datagram',
	'capture-damaged': 'damaged capture',
	'secrets-unknown-type': 'unknown secrets block',
};

/** Input that could not be decoded, in total and by kind (most first), from the session's counters. */
export function undecoded(stats: SessionStats): {total: number; kinds: Array<{word: string; count: number}>} {
	const byWord = new Map<string, number>();
	let counted = 0;
	for (const [kind, n] of Object.entries(stats.problems)) {
		if (NOT_UNDECODED.has(kind) || !(n > 0)) continue;
		counted += n;
		const word = UNDECODED_WORDS[kind] ?? kind.replaceAll('-', ' ');
		byWord.set(word, (byWord.get(word) ?? 0) + n);
	}

	const kinds = [...byWord].map(([word, count]) => ({word, count})).sort((a, b) => b.count - a.count || (a.word < b.word ? -1 : 1));
	// A source may count a malformed record without a kind: the total never shows less than that.
	return {total: Math.max(counted, stats.malformed), kinds: kinds.slice(0, UNDECODED_KINDS_MAX)};
}

type SourceChip = {name: string; state: SourceState; /** The state in words ("ended", not "eof"). */ word: string; rate: string; detail: string};

export type StatusView = {
	title: string;
	sources: SourceChip[];
	packets: string;
	bytes: string;
	logLines: string;
	/** Input that arrived and could not be decoded (malformed records, bad headers...), with its commonest kinds. */
	undecoded: string;
	/** True when anything at all could not be decoded (the count is then highlighted). */
	anyUndecoded: boolean;
	undecodedKinds: Array<{word: string; count: string}>;
	dropped: number;
	replay: string;
	paused: boolean;
	filter: string;
	filterEditing: boolean;
	sort: string;
	/** Incognito packages, each with what set its state: `com.mi.globalbrowser (log)`. */
	incognito: string[];
	notice?: Notice;
};

/** Unit for a source's rate: log sources count lines, the rest packets. */
function rateUnit(name: string): string {
	return /log/i.test(name) ? 'ln/s' : 'pkt/s';
}

export const $statusView = computed(
	[$device, $input, $sources, $stats, $incognito, $incognitoSignals, $ui],
	(device, input, sources, stats, incognito, signals, ui): StatusView => {
		const model = [device?.manufacturer, device?.model].filter(Boolean).join(' ');
		// The serial alone until the phone's model is known.
		const deviceLabel = device ? [model, device.serial ? (model ? `(${device.serial})` : device.serial) : ''].filter(Boolean).join(' ') : '';
		const path = input?.path ?? input?.logcat;
		const title = deviceLabel || (path ? `replay ${path}` : 'no device');
		const bad = undecoded(stats);
		let replay = '';
		if (input && (input.position !== undefined || input.speed !== undefined)) {
			const pos = input.position;
			const at = pos === undefined ? '' : pos < EPOCH_THRESHOLD ? formatDuration(pos) : formatDuration(pos - (stats.firstTs ?? pos));
			replay = ['replay', at, formatSpeed(input.speed), input.paused ? '(held)' : ''].filter(Boolean).join(' ');
		}

		return {
			title: sanitize(title, LABEL_MAX),
			sources: sources.slice(0, SOURCES_MAX).map(s => ({
				name: sanitize(s.source, LABEL_MAX),
				state: s.state,
				word: stateWord(s.state),
				rate: s.rate === undefined ? '' : `${formatCount(s.rate)} ${rateUnit(s.source)}`,
				detail: sanitize(`${s.detail ?? ''}${s.retry ? `${s.detail ? ', ' : ''}retry ${s.retry}` : ''}`, LABEL_MAX),
			})),
			packets: formatInteger(stats.packets),
			bytes: formatBytes(stats.bytes),
			logLines: formatInteger(stats.logLines),
			undecoded: formatInteger(bad.total),
			anyUndecoded: bad.total > 0,
			undecodedKinds: bad.kinds.map(k => ({word: sanitize(k.word, LABEL_MAX), count: formatInteger(k.count)})),
			dropped: stats.dropped,
			replay,
			paused: ui.paused,
			filter: sanitize(ui.filter, LABEL_MAX),
			filterEditing: ui.filterEditing,
			sort: ui.sort,
			incognito: incognito.map(p => sanitize(incognitoLabel(p, signals[p]), LABEL_MAX)),
			notice: ui.notice ? {tone: ui.notice.tone, text: sanitize(ui.notice.text, LABEL_MAX * 2)} : undefined,
		};
	},
);
$statusView.eq = deepEqual;
