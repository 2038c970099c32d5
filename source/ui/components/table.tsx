import {useMemo} from 'react';
import {Box, Text} from 'ink';
import {fitWidth} from '../../lib/sanitize.js';
import {CELL_GAP, fitColumns, type ColumnSpec} from '../table-layout.js';
import {glyphs, tint, useTheme} from '../theme.js';

/** One cell: sanitised text, with an optional colour that repeats what the text already says. */
type Cell = {text: string; color?: string; dim?: boolean; bold?: boolean};

export type TableRow<K extends string> = {key: string; cells: Record<K, Cell>};

type TableProps<K extends string> = {
	columns: ReadonlyArray<ColumnSpec<K>>;
	rows: ReadonlyArray<TableRow<K>>;
	/** Index in `rows` of the selected row, -1 for none. */
	selected: number;
	focused: boolean;
	width: number;
	/** Shown instead of rows when there are none. */
	empty: string;
};

/** Columns reserved for the selection marker. */
const MARK_WIDTH = 2;

/**
 * A header line and one line per row; cells are cut to their column, so no line is ever wider
 * than `width`. The selected row carries a marker (and inverse video when focused).
 */
export function Table<K extends string>({columns, rows, selected, focused, width, empty}: TableProps<K>) {
	const theme = useTheme();
	const g = glyphs(theme);
	const fitted = useMemo(() => fitColumns(columns, width - MARK_WIDTH), [columns, width]);
	const gap = ' '.repeat(CELL_GAP);
	const header = fitted.map(c => fitWidth(c.title, c.fitted, {align: c.align, ascii: theme.ascii})).join(gap);
	return (
		<Box flexDirection="column" width={width}>
			<Text wrap="truncate-end" dimColor bold>
				{' '.repeat(MARK_WIDTH)}
				{header}
			</Text>
			{rows.length === 0 ? (
				<Text wrap="truncate-end" dimColor>
					{fitWidth(`  ${empty}`, width, theme)}
				</Text>
			) : (
				rows.map((row, i) => {
					const isSelected = i === selected;
					const mark = isSelected ? fitWidth(g.select, MARK_WIDTH, theme) : ' '.repeat(MARK_WIDTH);
					return (
						<Text key={row.key} wrap="truncate-end" inverse={isSelected && focused}>
							<Text bold={isSelected && focused} dimColor={!focused} color={tint(theme, isSelected && focused ? 'cyan' : undefined)}>
								{mark}
							</Text>
							{fitted.map((c, j) => {
								const cell = row.cells[c.key];
								return (
									<Text key={c.key} color={tint(theme, cell.color)} dimColor={cell.dim} bold={cell.bold}>
										{j > 0 ? gap : ''}
										{fitWidth(cell.text, c.fitted, {align: c.align, truncate: c.truncate, ascii: theme.ascii})}
									</Text>
								);
							})}
						</Text>
					);
				})
			)}
		</Box>
	);
}
