import React from 'react';
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

/** Key column in the overlay: fits "PgUp/PgDn"-length key lists. */
const KEY_WIDTH = 12;
/** Width of one help column; two columns when the terminal allows. */
const COLUMN_WIDTH = 38;

type Line = {key: string; keys?: string; text: string; heading?: boolean};

export type HelpOverlayProps = {width: number; height: number};

/** The ? overlay, generated from the keymap. */
export function HelpOverlay({width, height}: HelpOverlayProps) {
	const theme = useTheme();
	const lines: Line[] = [];
	for (const [context, title] of SECTIONS) {
		const entries = helpEntries(context, {ascii: theme.ascii, replay: theme.replay});
		if (entries.length === 0) continue;
		lines.push({key: context, text: title, heading: true});
		for (const e of entries) lines.push({key: `${context}-${e.action}`, keys: e.keys, text: e.help});
	}

	const budget = Math.max(1, height - 1);
	const columns = Math.max(1, Math.min(Math.floor(width / COLUMN_WIDTH), Math.ceil(lines.length / budget)));
	const columnWidth = Math.floor(width / columns);
	const chunks = Array.from({length: columns}, (_, i) => lines.slice(i * budget, (i + 1) * budget));
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
