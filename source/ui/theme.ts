/**
 * Colours and symbols. A colour always travels with a word or a symbol, so --no-color and
 * colour-blind readers lose nothing; --ascii swaps every non-ASCII glyph.
 */
import {createContext, useContext} from 'react';
import type {Category, Severity, SourceState} from '../types.js';

export type Theme = {
	/** False for --no-color, NO_COLOR, or a dumb terminal. */
	color: boolean;
	/** True for --ascii or a non-UTF-8 locale. */
	ascii: boolean;
	/** Replay-only keys (speed, step) are offered in the help bar. */
	replay: boolean;
};

export const DEFAULT_THEME: Theme = {color: true, ascii: false, replay: false};

export const ThemeContext = createContext<Theme>(DEFAULT_THEME);

/** The theme of the running dashboard. */
export function useTheme(): Theme {
	return useContext(ThemeContext);
}

/** A colour when colours are on, else undefined (Ink then writes no colour code). */
export function tint(theme: Theme, color: string | undefined): string | undefined {
	return theme.color ? color : undefined;
}

export type Glyphs = {
	select: string;
	ellipsis: string;
	rule: string;
	focusRule: string;
	separator: string;
	flagged: string;
	bar: string;
	barTrack: string;
	spark: readonly string[];
	more: string;
	/** A destination the --baseline run never saw. */
	fresh: string;
};

const UNICODE: Glyphs = {
	select: '›',
	ellipsis: '…',
	rule: '─',
	focusRule: '━',
	separator: '·',
	flagged: '▲',
	bar: '█',
	barTrack: '░',
	spark: ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
	more: '↓',
	fresh: '✚',
};

const ASCII: Glyphs = {
	select: '>',
	ellipsis: '...',
	rule: '-',
	focusRule: '=',
	separator: '|',
	flagged: '!',
	bar: '#',
	barTrack: '.',
	spark: ['_', '.', ':', '-', '=', '+', '*', '#'],
	more: 'v',
	fresh: '+',
};

/** The symbol set for a theme. */
export function glyphs(theme: Pick<Theme, 'ascii'>): Glyphs {
	return theme.ascii ? ASCII : UNICODE;
}

/** Category colours group by concern: tracking-like in red/magenta, service traffic in blue/cyan, local grey. */
const CATEGORY_COLORS: Record<Category, string> = {
	analytics: 'yellow',
	advertising: 'red',
	attribution: 'magenta',
	'crash-report': 'yellow',
	push: 'cyan',
	update: 'blue',
	config: 'blue',
	cloud: 'blue',
	account: 'cyan',
	'app-store': 'cyan',
	'browsing-data': 'redBright',
	'browser-service': 'cyan',
	'security-scan': 'blue',
	feedback: 'yellow',
	content: 'green',
	'first-party': 'green',
	tracker: 'magentaBright',
	local: 'gray',
	other: 'white',
	unknown: 'gray',
};

/** Colour of a category (its name is always printed next to it). */
export function categoryColor(category: Category): string {
	return CATEGORY_COLORS[category] ?? 'white';
}

/** Severity as a fixed-width word, so the meaning survives without colour. */
export const SEVERITY_LABEL: Record<Severity, string> = {high: 'HIGH', medium: 'MED', low: 'LOW', info: 'INFO'};

const SEVERITY_COLORS: Record<Severity, string> = {high: 'red', medium: 'yellow', low: 'cyan', info: 'gray'};

/** Colour of a severity (its word is always printed next to it). */
export function severityColor(severity: Severity): string {
	return SEVERITY_COLORS[severity];
}

const STATE_SYMBOLS: Record<SourceState, [unicode: string, ascii: string, color: string]> = {
	starting: ['◌', '~', 'yellow'],
	live: ['●', '*', 'green'],
	stalled: ['◐', '?', 'yellow'],
	down: ['✖', 'x', 'red'],
	eof: ['■', '.', 'gray'],
};

/** Symbol and colour of a source state (the state word is printed too). */
export function sourceState(state: SourceState, theme: Pick<Theme, 'ascii'>): {symbol: string; color: string} {
	const [u, a, color] = STATE_SYMBOLS[state] ?? ['?', '?', 'white'];
	return {symbol: theme.ascii ? a : u, color};
}
