import React from 'react';
import {useStore} from '@nanostores/react';
import {computed} from 'nanostores';
import {activeContexts} from '../../keys/dispatch.js';
import {helpEntries} from '../../keys/keymap.js';
import {sanitize} from '../../lib/sanitize.js';
import {deepEqual} from '../../stores/equal.js';
import {$ui} from '../../stores/ui-state.js';
import {useTheme} from '../theme.js';
import {SegmentLine, type Segment} from './segments.js';

/** Only what the help bar depends on, so cursor moves do not redraw it. */
const $helpBarState = computed($ui, ui => ({contexts: activeContexts(ui), filterEditing: ui.filterEditing, filter: ui.filter, note: ui.note}));
$helpBarState.eq = deepEqual;

type HelpBarProps = {width: number};

/** The bottom line: the keys that work here, from the keymap; the filter or note prompt while typing one. */
export const HelpBar = React.memo(function HelpBar({width}: HelpBarProps) {
	const state = useStore($helpBarState);
	const theme = useTheme();
	const segments: Segment[] = [];
	if (state.note !== undefined) {
		segments.push({text: 'Note: ', color: 'cyan', bold: true}, {text: sanitize(state.note)}, {text: theme.ascii ? '_' : '▏', color: 'cyan'}, {text: '  '});
	} else if (state.filterEditing) {
		segments.push({text: 'Filter: ', color: 'cyan', bold: true}, {text: state.filter}, {text: theme.ascii ? '_' : '▏', color: 'cyan'}, {text: '  '});
	}

	const seen = new Set<string>();
	for (const context of state.contexts) {
		for (const e of helpEntries(context, {ascii: theme.ascii, replay: theme.replay, barOnly: true})) {
			if (seen.has(e.help)) continue;
			seen.add(e.help);
			segments.push({text: e.keys, bold: true, color: 'cyan'}, {text: ` ${e.help}  `, dim: true});
		}
	}

	return <SegmentLine segments={segments} width={width} />;
});
