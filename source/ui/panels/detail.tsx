import React, {useMemo} from 'react';
import {Box, Text} from 'ink';
import {useStore} from '@nanostores/react';
import {computed} from 'nanostores';
import {fitWidth} from '../../lib/sanitize.js';
import {$detailView, type DetailTone} from '../../stores/detail-view.js';
import {$ui} from '../../stores/ui-state.js';
import {PanelFrame} from '../components/panel-frame.js';
import {detailRows, LABEL_WIDTH} from '../detail-rows.js';
import {glyphs, severityColor, tint, useTheme} from '../theme.js';

const $detailScroll = computed($ui, ui => ui.detailScroll);

function toneColor(tone: DetailTone | undefined): string | undefined {
	if (tone === undefined) return undefined;
	if (tone === 'muted') return 'gray';
	if (tone === 'accent') return 'cyan';
	return severityColor(tone);
}

type DetailPanelProps = {width: number; height: number};

/** Every fact of the selected destination, flag or event, with its evidence; Esc goes back. */
export const DetailPanel = React.memo(function DetailPanel({width, height}: DetailPanelProps) {
	const view = useStore($detailView);
	const scroll = useStore($detailScroll);
	const theme = useTheme();
	const g = glyphs(theme);
	const rows = useMemo(() => (view ? detailRows(view, width, theme.ascii) : []), [view, width, theme.ascii]);
	const budget = Math.max(0, height - 1);
	const start = Math.min(scroll, Math.max(0, rows.length - budget));
	const visible = rows.slice(start, start + budget);
	const more = rows.length > start + budget;
	const position = rows.length > budget ? `${start + 1}-${start + visible.length}/${rows.length}${more ? ` ${g.more}` : ''}` : '';
	const info = ['Esc back', position].filter(Boolean).join(` ${g.separator} `);
	return (
		<PanelFrame title={view ? view.title : 'Detail'} info={info} focused keepCase width={width} height={height}>
			{view ? (
				visible.map(row =>
					row.heading ? (
						<Text key={row.key} bold color={tint(theme, 'cyan')} wrap="truncate-end">
							{fitWidth(row.text, width, theme)}
						</Text>
					) : (
						<Text key={row.key} wrap="truncate-end">
							<Text dimColor>{fitWidth(row.label, LABEL_WIDTH, theme)} </Text>
							<Text color={tint(theme, toneColor(row.tone))} bold={row.tone === 'high'}>
								{row.text}
							</Text>
						</Text>
					),
				)
			) : (
				<Box>
					<Text dimColor>This item is no longer in the data. Esc goes back.</Text>
				</Box>
			)}
		</PanelFrame>
	);
});
