/**
 * View model of the status bar: device or replayed file, each source's state, totals,
 * problems, replay position, pause and filter state, incognito packages, the latest notice.
 */
import {computed} from 'nanostores';
import {formatBytes, formatCount, formatDuration, formatInteger, formatSpeed} from '../lib/format.js';
import {sanitize} from '../lib/sanitize.js';
import type {SourceState} from '../types.js';
import {deepEqual} from './equal.js';
import {$device, $incognito, $incognitoSignals, $input, $sources, $stats} from './session.js';
import {incognitoLabel} from './incognito-signal.js';
import {$ui, type Notice} from './ui-state.js';

/** Device, path and source labels: enough for a model name or a short path. */
const LABEL_MAX = 80;
/** Sources shown: live mode has two or three; more is a bug upstream, not something to draw. */
const SOURCES_MAX = 6;
/** A replay position below this is seconds from the start; above, an epoch time. */
const EPOCH_THRESHOLD = 1e8;

export type SourceChip = {name: string; state: SourceState; rate: string; detail: string};

export type StatusView = {
	title: string;
	sources: SourceChip[];
	packets: string;
	bytes: string;
	logLines: string;
	malformed: number;
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
		const deviceLabel = device ? [model, device.serial ? `(${device.serial})` : ''].filter(Boolean).join(' ') : '';
		const path = input?.path ?? input?.logcat;
		const title = deviceLabel || (path ? `replay ${path}` : 'no device');
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
				rate: s.rate === undefined ? '' : `${formatCount(s.rate)} ${rateUnit(s.source)}`,
				detail: sanitize(s.detail ?? '', LABEL_MAX),
			})),
			packets: formatInteger(stats.packets),
			bytes: formatBytes(stats.bytes),
			logLines: formatInteger(stats.logLines),
			malformed: stats.malformed,
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
