import React from 'react';
import {useStore} from '@nanostores/react';
import {$destinationsView, type DestinationRow} from '../../stores/destinations-view.js';
import {PanelFrame} from '../components/panel-frame.js';
import {Table, type TableRow} from '../components/table.js';
import {sparkline} from '../glyph-text.js';
import type {ColumnSpec} from '../table-layout.js';
import {categoryColor, glyphs, useTheme, type Glyphs} from '../theme.js';

type Key = 'flag' | 'new' | 'host' | 'category' | 'owner' | 'country' | 'read' | 'asOrg' | 'app' | 'out' | 'in' | 'packets' | 'last' | 'rate';

/**
 * Widths fit the longest usual value (category "browser-service" is 15). Priorities: at 80
 * columns host, category, owner, country and bytes; app and the sparkline from 100; AS last.
 */
const COLUMNS: ReadonlyArray<ColumnSpec<Key>> = [
	{key: 'flag', title: '', width: 1, priority: 0},
	{key: 'host', title: 'Host', width: 22, flex: 3, priority: 0, truncate: 'middle'},
	{key: 'category', title: 'Category', width: 15, priority: 1},
	{key: 'owner', title: 'Owner', width: 10, flex: 1, priority: 3},
	{key: 'country', title: 'CC', width: 2, priority: 2},
	// Whether the payload could be read (decrypted with keys, plain HTTP) is the point of a watch: kept from 80 columns.
	{key: 'read', title: 'Read', width: 5, priority: 3},
	{key: 'asOrg', title: 'AS', width: 18, flex: 1, priority: 7},
	{key: 'app', title: 'App', width: 16, flex: 1, priority: 5},
	{key: 'out', title: 'Out', width: 6, priority: 0, align: 'right'},
	{key: 'in', title: 'In', width: 6, priority: 2, align: 'right'},
	{key: 'packets', title: 'Pkts', width: 5, priority: 6, align: 'right'},
	{key: 'last', title: 'Last', width: 4, priority: 3, align: 'right'},
	{key: 'rate', title: 'Out/s', width: 8, priority: 4},
];

/** With --baseline: a mark column after the flag one, for destinations the baseline run never saw. */
const COLUMNS_WITH_NEW: ReadonlyArray<ColumnSpec<Key>> = [COLUMNS[0]!, {key: 'new', title: '', width: 1, priority: 0}, ...COLUMNS.slice(1)];

/** Read column colours: read is good news for the researcher, plain HTTP and app-encrypted bodies stand out. */
const READING_COLORS: Record<string, string | undefined> = {yes: 'green', part: 'yellow', app: 'magenta', plain: 'red'};

/** Sparkline columns (the rate column's width). */
const SPARK_WIDTH = 8;

function toRow(d: DestinationRow, g: Glyphs): TableRow<Key> {
	return {
		key: d.key,
		cells: {
			flag: d.flags > 0 ? {text: g.flagged, color: 'red', bold: true} : {text: ''},
			new: d.isNew ? {text: g.fresh, color: 'cyan', bold: true} : {text: ''},
			host: {text: d.host, bold: d.flags > 0},
			category: {text: d.category, color: categoryColor(d.category)},
			owner: {text: d.owner || '-', dim: !d.owner},
			country: {text: d.country, dim: d.country === '--'},
			read: {text: d.reading || '-', dim: !d.reading || d.reading === 'no', color: READING_COLORS[d.reading]},
			asOrg: {text: d.asOrg || '-', dim: !d.asOrg},
			app: {text: d.app || '-', dim: !d.app},
			out: {text: d.bytesOut},
			in: {text: d.bytesIn, dim: true},
			packets: {text: d.packets, dim: true},
			last: {text: d.last, dim: true},
			rate: {text: sparkline(d.rate, SPARK_WIDTH, g), color: 'green'},
		},
	};
}

type DestinationsPanelProps = {width: number; height: number};

/** Who the phone talks to: one row per host, busiest first by default. */
export const DestinationsPanel = React.memo(function DestinationsPanel({width, height}: DestinationsPanelProps) {
	const view = useStore($destinationsView);
	const theme = useTheme();
	const g = glyphs(theme);
	const count = view.total === view.all ? `${view.all}` : `${view.total}/${view.all}`;
	const info = [count, view.baseline ? `${view.newCount} new` : '', `sort: ${view.sort}`, view.filter ? `filter: ${view.filter}` : ''].filter(Boolean).join(` ${g.separator} `);
	return (
		<PanelFrame number={1} title="Destinations" info={info} focused={view.focused} width={width} height={height}>
			<Table
				columns={view.baseline ? COLUMNS_WITH_NEW : COLUMNS}
				rows={view.rows.map(d => toRow(d, g))}
				selected={view.selected}
				focused={view.focused}
				width={width}
				empty={view.filter ? 'no destination matches the filter' : 'no traffic yet'}
			/>
		</PanelFrame>
	);
});
