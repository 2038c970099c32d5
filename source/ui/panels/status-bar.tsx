import React from 'react';
import {Box} from 'ink';
import {useStore} from '@nanostores/react';
import {$statusView, type StatusView} from '../../stores/status-view.js';
import {joinGroups, SegmentLine, type Segment} from '../components/segments.js';
import {glyphs, sourceState, useTheme, type Theme} from '../theme.js';

const NOTICE_COLOR = {info: 'cyan', warn: 'yellow', error: 'red'} as const;

/** The product name is shown only when there is room to spare. */
const BRAND_MIN_WIDTH = 100;

/** Line one: who we watch and how each source is doing; incognito packages stand out. */
function identity(view: StatusView, theme: Theme, width: number): Array<readonly Segment[]> {
	const sources = view.sources.map((s): Segment[] => {
		const {symbol, color} = sourceState(s.state, theme);
		return [
			{text: `${symbol} `, color},
			{text: `${s.name} ${s.word}`, color: s.state === 'down' ? 'red' : undefined},
			...(s.rate ? [{text: ` ${s.rate}`, dim: true}] : []),
			...(s.detail && s.state !== 'live' ? [{text: ` (${s.detail})`, dim: true}] : []),
		];
	});
	const incognito: Segment[] =
		view.incognito.length > 0
			? [{text: ' INCOGNITO ', color: 'magenta', bold: true, inverse: true}, {text: ` ${view.incognito.join(', ')}`, color: 'magenta'}]
			: [];
	const brand: Segment[] = width >= BRAND_MIN_WIDTH ? [{text: 'tattle', bold: true, color: 'cyan'}] : [];
	return [brand, [{text: view.title, bold: true}], incognito, ...sources];
}

/** Below this width the undecoded count stands alone; above, its commonest kinds follow it. */
const KINDS_MIN_WIDTH = 100;

/** "185 not decoded (185 bad IP header)": what could not be read, by kind when there is room. */
function undecodedSegments(view: StatusView, width: number): Segment[] {
	const kinds = width >= KINDS_MIN_WIDTH && view.undecodedKinds.length > 0 ? ` (${view.undecodedKinds.map(k => `${k.count} ${k.word}`).join(', ')})` : '';
	return [{text: `${view.undecoded} not decoded${kinds}`, color: view.anyUndecoded ? 'yellow' : undefined, dim: !view.anyUndecoded}];
}

/** Line two: pause and filter state, the latest notice, totals, problems, replay position. */
function counters(view: StatusView, width: number): Array<readonly Segment[]> {
	const state: Segment[] = [];
	if (view.paused) state.push({text: ' PAUSED ', color: 'yellow', bold: true, inverse: true});
	if (view.filter || view.filterEditing) state.push({text: `${state.length > 0 ? ' ' : ''}filter: ${view.filter}`, color: 'cyan'});
	const notice: Segment[] = view.notice ? [{text: view.notice.text, color: NOTICE_COLOR[view.notice.tone], bold: true}] : [];
	const problems = (n: number, word: string): Segment[] => [{text: `${n} ${word}`, color: n > 0 ? 'yellow' : undefined, dim: n === 0}];
	return [
		state,
		notice,
		[{text: `${view.packets} pkts`}],
		[{text: view.bytes}],
		[{text: `${view.logLines} log lines`}],
		undecodedSegments(view, width),
		problems(view.dropped, 'dropped'),
		view.replay ? [{text: view.replay, color: 'blue'}] : [],
	];
}

type StatusBarProps = {width: number; height: number};

/** The top bar: device, sources, counters; one line when the terminal is tiny. */
export const StatusBar = React.memo(function StatusBar({width, height}: StatusBarProps) {
	const view = useStore($statusView);
	const theme = useTheme();
	const sep = glyphs(theme).separator;
	const first = joinGroups(identity(view, theme, width), sep);
	const second = joinGroups(counters(view, width), sep);
	if (height < 2) {
		const state = counters(view, width).slice(0, 2);
		return <SegmentLine segments={joinGroups([...state, ...identity(view, theme, width)], sep)} width={width} />;
	}

	return (
		<Box flexDirection="column" width={width} height={height}>
			<SegmentLine segments={first} width={width} />
			<SegmentLine segments={second} width={width} />
		</Box>
	);
});
