import React from 'react';
import {useStore} from '@nanostores/react';
import {$eventsView, type EventRow} from '../../stores/events-view.js';
import type {TimelineEntry} from '../../types.js';
import {PanelFrame} from '../components/panel-frame.js';
import {Table, type TableRow} from '../components/table.js';
import type {ColumnSpec} from '../table-layout.js';

type Key = 'time' | 'source' | 'kind' | 'text';

const COLUMNS: ReadonlyArray<ColumnSpec<Key>> = [
	{key: 'time', title: 'Time', width: 8, priority: 1},
	{key: 'source', title: 'Src', width: 4, priority: 2},
	{key: 'kind', title: 'Kind', width: 13, priority: 0},
	{key: 'text', title: 'Event', width: 10, flex: 1, priority: 0},
];

/** Source words with a colour each; the word carries the meaning. */
const SOURCE_STYLE: Record<TimelineEntry['source'], {label: string; color: string}> = {
	net: {label: 'net', color: 'blue'},
	log: {label: 'log', color: 'green'},
	flag: {label: 'FLAG', color: 'red'},
	source: {label: 'src', color: 'yellow'},
	marker: {label: 'mark', color: 'magenta'},
};

function toRow(e: EventRow): TableRow<Key> {
	const style = SOURCE_STYLE[e.source] ?? {label: e.source, color: 'white'};
	return {
		key: e.key,
		cells: {
			time: {text: e.time, dim: true},
			source: {text: style.label, color: style.color, bold: e.source === 'flag'},
			kind: {text: e.kind},
			text: {text: e.text, bold: e.source === 'flag'},
		},
	};
}

type EventsPanelProps = {width: number; height: number};

/** The timeline tail (log and network events), newest first, filterable. */
export const EventsPanel = React.memo(function EventsPanel({width, height}: EventsPanelProps) {
	const view = useStore($eventsView);
	const count = view.total === view.all ? `${view.all}` : `${view.total}/${view.all}`;
	return (
		<PanelFrame number={4} title="Events" info={count} focused={view.focused} width={width} height={height}>
			<Table
				columns={COLUMNS}
				rows={view.rows.map(e => toRow(e))}
				selected={view.selected}
				focused={view.focused}
				width={width}
				empty={view.all > 0 ? 'no event matches the filter' : 'no events yet'}
			/>
		</PanelFrame>
	);
});
