import React, {type ReactNode} from 'react';
import {Box, Text} from 'ink';
import {sanitize, truncateEnd} from '../../lib/sanitize.js';
import {ThemeContext, tint, type Theme} from '../theme.js';

type PanelBoundaryProps = {name: string; width: number; height: number; children: ReactNode};

type State = {error?: Error};

/** Error text on screen: one line of a wide terminal. */
const MESSAGE_MAX = 160;

/**
 * Keeps one panel's failure inside that panel: Ink's root boundary would end the whole
 * dashboard (and the capture with it).
 */
export class PanelBoundary extends React.Component<PanelBoundaryProps, State> {
	static override contextType = ThemeContext;
	declare context: Theme;
	override state: State = {};

	static getDerivedStateFromError(error: Error): State {
		return {error};
	}

	override render() {
		const {error} = this.state;
		if (!error) return this.props.children;
		const text = `${this.props.name} failed: ${sanitize(error.message, MESSAGE_MAX)}`;
		return (
			<Box width={this.props.width} height={this.props.height}>
				<Text color={tint(this.context, 'red')}>{truncateEnd(text, this.props.width, this.context)}</Text>
			</Box>
		);
	}
}
