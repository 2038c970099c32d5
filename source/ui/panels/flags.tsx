import React from 'react';
import {useStore} from '@nanostores/react';
import {$flagsView, type FlagRow} from '../../stores/flags-view.js';
import type {FlagKind} from '../../types.js';
import {PanelFrame} from '../components/panel-frame.js';
import {Table, type TableRow} from '../components/table.js';
import type {ColumnSpec} from '../table-layout.js';
import {glyphs, SEVERITY_LABEL, severityColor, useTheme} from '../theme.js';

type Key = 'severity' | 'time' | 'kind' | 'app' | 'host' | 'summary';

/** Kind labels short enough for a 14-column cell; the detail view spells the kind out. */
const KIND_LABEL: Record<FlagKind, string> = {
	'incognito-tracker': 'incog tracker',
	'incognito-url-leak': 'incog URL leak',
	'url-leak': 'URL leak',
	'cleartext-identifier': 'cleartext ID',
};

const COLUMNS: ReadonlyArray<ColumnSpec<Key>> = [
	{key: 'severity', title: 'Sev', width: 4, priority: 0},
	{key: 'time', title: 'Time', width: 8, priority: 2},
	{key: 'kind', title: 'Kind', width: 14, priority: 0},
	{key: 'app', title: 'App', width: 14, flex: 1, priority: 3},
	{key: 'host', title: 'Host', width: 18, flex: 2, priority: 0, truncate: 'middle'},
	{key: 'summary', title: 'Summary', width: 24, flex: 3, priority: 1},
];

/** Without any app attributed, a column of dashes says nothing: its width goes to the summary. */
const COLUMNS_NO_APP = COLUMNS.filter(c => c.key !== 'app');

function toRow(f: FlagRow): TableRow<Key> {
	return {
		key: f.key,
		cells: {
			severity: {text: SEVERITY_LABEL[f.severity], color: severityColor(f.severity), bold: f.severity === 'high'},
			time: {text: f.time, dim: true},
			kind: {text: KIND_LABEL[f.kind] ?? f.kind},
			app: {text: f.app || '-', dim: !f.app},
			host: {text: f.host},
			summary: {text: f.encrypted ? `(encrypted) ${f.summary}` : f.summary, dim: true},
		},
	};
}

type FlagsPanelProps = {width: number; height: number};

/** Incognito and leak flags, newest first; Enter shows the evidence. */
export const FlagsPanel = React.memo(function FlagsPanel({width, height}: FlagsPanelProps) {
	const view = useStore($flagsView);
	const theme = useTheme();
	const g = glyphs(theme);
	const count = view.total === view.all ? `${view.all}` : `${view.total}/${view.all}`;
	const severe = [view.high ? `${view.high} high` : '', view.medium ? `${view.medium} med` : ''].filter(Boolean);
	const info = [count, ...severe, `sort: ${view.sort}`].join(` ${g.separator} `);
	return (
		<PanelFrame number={2} title="Flags" info={info} focused={view.focused} width={width} height={height}>
			<Table
				columns={view.rows.some(f => f.app) ? COLUMNS : COLUMNS_NO_APP}
				rows={view.rows.map(f => toRow(f))}
				selected={view.selected}
				focused={view.focused}
				width={width}
				empty={view.all > 0 ? 'no flag matches the filter' : 'no flags raised'}
			/>
		</PanelFrame>
	);
});
