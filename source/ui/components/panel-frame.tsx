import React, {type ReactNode} from 'react';
import {Box, Text} from 'ink';
import {displayWidth, truncateEnd} from '../../lib/sanitize.js';
import {glyphs, tint, useTheme} from '../theme.js';

type PanelFrameProps = {
	/** Panel number for the 1-4 jump keys. */
	number?: number;
	title: string;
	/** Counts or mode shown after the title ("12/40", "sort: bytes"). */
	info?: string;
	focused: boolean;
	/** Keep the title's case when focused (data such as host names must not be upper-cased). */
	keepCase?: boolean;
	width: number;
	height: number;
	children: ReactNode;
};

/**
 * A panel: one title rule (heavy when focused, so focus shows without colour) above its rows.
 * No side borders: at 80 columns every column is worth more as data.
 */
export const PanelFrame = React.memo(function PanelFrame({number, title, info, focused, keepCase, width, height, children}: PanelFrameProps) {
	const theme = useTheme();
	const g = glyphs(theme);
	const rule = focused ? g.focusRule : g.rule;
	const label = `${number === undefined ? '' : `${number} `}${focused && !keepCase ? title.toUpperCase() : title}`;
	const head = truncateEnd(`${rule}${rule} ${label}${info ? ` ${g.separator} ${info}` : ''} `, width, theme);
	const tail = rule.repeat(Math.max(0, width - displayWidth(head)));
	return (
		<Box flexDirection="column" width={width} height={height} overflowY="hidden">
			<Text wrap="truncate-end" bold={focused} color={tint(theme, focused ? 'cyan' : 'gray')}>
				{head}
				{tail}
			</Text>
			{children}
		</Box>
	);
});
