import {Box, Text} from 'ink';
import {helpEntries, type KeyContext} from '../../keys/keymap.js';
import {fitWidth} from '../../lib/sanitize.js';
import {tint, useTheme} from '../theme.js';
import {PanelFrame} from './panel-frame.js';

const SECTIONS: ReadonlyArray<[KeyContext, string]> = [
	['global', 'Everywhere'],
	['list', 'In a panel'],
	['detail', 'In the detail view'],
	['filter', 'While typing a filter'],
];

/** Key column in the overlay: two-space indent plus the longest key list ("g/Home"). */
const KEY_WIDTH = 9;
/** Width of one help column: three fit in 80 columns, so the whole keymap fits at 80x24. */
const COLUMN_WIDTH = 26;

type Line = {key: string; keys?: string; text: string; heading?: boolean};

/**
 * Sections into at most `columns` columns of `budget` rows, a section kept whole when it fits
 * in a column (a long one continues in the next); what does not fit is cut.
 */
export function packColumns<T>(sections: ReadonlyArray<readonly T[]>, budget: number, columns: number): T[][] {
	const out: T[][] = [[]];
	for (const section of sections) {
		let current = out[out.length - 1]!;
		if (current.length > 0 && current.length + section.length > budget && out.length < columns) {
			current = [];
			out.push(current);
		}

		for (const line of section) {
			if (current.length >= budget) {
				if (out.length >= columns) return out;
				current = [];
				out.push(current);
			}

			current.push(line);
		}
	}

	return out;
}

export type HelpOverlayProps = {width: number; height: number};

/** The ? overlay, generated from the keymap. */
export function HelpOverlay({width, height}: HelpOverlayProps) {
	const theme = useTheme();
	const budget = Math.max(1, height - 1);
	const sections: Line[][] = [];
	for (const [context, title] of SECTIONS) {
		const entries = helpEntries(context, {ascii: theme.ascii, replay: theme.replay});
		if (entries.length === 0) continue;
		sections.push([
			{key: context, text: title, heading: true},
			...entries.map(e => ({key: `${context}-${e.action}`, keys: e.keys, text: e.help})),
		]);
	}

	const chunks = packColumns(sections, budget, Math.max(1, Math.floor(width / COLUMN_WIDTH)));
	const columnWidth = Math.floor(width / chunks.length);
	return (
		<PanelFrame title="Keys" info="? or Esc closes" focused width={width} height={height}>
			<Box flexDirection="row">
				{chunks.map((chunk, i) => (
					<Box key={i} flexDirection="column" width={columnWidth}>
						{chunk.map(l =>
							l.heading ? (
								<Text key={l.key} bold color={tint(theme, 'cyan')} wrap="truncate-end">
									{l.text}
								</Text>
							) : (
								<Text key={l.key} wrap="truncate-end">
									<Text bold>{fitWidth(`  ${l.keys ?? ''}`, KEY_WIDTH, theme)}</Text>
									<Text> {l.text}</Text>
								</Text>
							),
						)}
					</Box>
				))}
			</Box>
		</PanelFrame>
	);
}
