import React from 'react';
import {useStore} from '@nanostores/react';
import {$categoriesView, type CategoryRow} from '../../stores/categories-view.js';
import {PanelFrame} from '../components/panel-frame.js';
import {Table, type TableRow} from '../components/table.js';
import {bar} from '../glyph-text.js';
import type {ColumnSpec} from '../table-layout.js';
import {categoryColor, glyphs, useTheme, type Glyphs} from '../theme.js';

type Key = 'category' | 'destinations' | 'out' | 'bar';

const COLUMNS: ReadonlyArray<ColumnSpec<Key>> = [
	{key: 'category', title: 'Category', width: 15, priority: 0},
	{key: 'destinations', title: 'Hosts', width: 5, priority: 1, align: 'right'},
	{key: 'out', title: 'Out', width: 6, priority: 0, align: 'right'},
	{key: 'bar', title: '', width: 4, flex: 1, priority: 2},
];

/** The bar column's width after fitting: the panel width minus the fixed columns and gaps. */
const FIXED = 15 + 5 + 6 + 3 + 2;

function toRow(c: CategoryRow, barWidth: number, g: Glyphs): TableRow<Key> {
	const color = categoryColor(c.category);
	return {
		key: c.key,
		cells: {
			category: {text: c.category, color},
			destinations: {text: c.destinations, dim: true},
			out: {text: c.bytesOut},
			bar: {text: bar(c.share, barWidth, g), color},
		},
	};
}

type CategoriesPanelProps = {width: number; height: number};

/** What kind of data leaves the phone: bytes sent per category. Enter narrows destinations to one. */
export const CategoriesPanel = React.memo(function CategoriesPanel({width, height}: CategoriesPanelProps) {
	const view = useStore($categoriesView);
	const g = glyphs(useTheme());
	const barWidth = Math.max(0, width - FIXED);
	return (
		<PanelFrame number={3} title="Categories" info={`${view.total}`} focused={view.focused} width={width} height={height}>
			<Table
				columns={COLUMNS}
				rows={view.rows.map(c => toRow(c, barWidth, g))}
				selected={view.selected}
				focused={view.focused}
				width={width}
				empty="nothing classified yet"
			/>
		</PanelFrame>
	);
});
