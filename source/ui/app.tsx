import {useLayoutEffect, useMemo, type ComponentType} from 'react';
import {Box, Text, useInput, useStdin, type Key} from 'ink';
import {useStore} from '@nanostores/react';
import {computed} from 'nanostores';
import {dispatchKey} from '../keys/dispatch.js';
import {keyPresses} from '../keys/key-name.js';
import {deepEqual} from '../stores/equal.js';
import {$ui, setViewport, type PanelId} from '../stores/ui.js';
import {PanelBoundary} from './components/error-boundary.js';
import {HelpBar} from './components/help-bar.js';
import {HelpOverlay} from './components/help-overlay.js';
import {useTerminalSize} from './hooks/use-terminal-size.js';
import {computeLayout, GUTTER, MIN_COLUMNS, MIN_ROWS, type LayoutState} from './layout.js';
import {CategoriesPanel} from './panels/categories.js';
import {DestinationsPanel} from './panels/destinations.js';
import {DetailPanel} from './panels/detail.js';
import {EventsPanel} from './panels/events.js';
import {FlagsPanel} from './panels/flags.js';
import {StatusBar} from './panels/status-bar.js';

/** The part of the UI state that changes the layout; selection moves do not re-render the root. */
const $layoutState = computed($ui, (ui): LayoutState => ({
	focus: ui.focus,
	variant: ui.layout,
	detail: ui.detail !== undefined,
	help: ui.help,
}));
$layoutState.eq = deepEqual;

const PANELS: Record<PanelId, ComponentType<{width: number; height: number}>> = {
	destinations: DestinationsPanel,
	flags: FlagsPanel,
	categories: CategoriesPanel,
	events: EventsPanel,
};

const PANEL_NAMES: Record<PanelId, string> = {
	destinations: 'destinations panel',
	flags: 'flags panel',
	categories: 'categories panel',
	events: 'events panel',
};

// Module-level, so its identity never changes: Ink 6.8 re-subscribes useInput on every new handler.
function handleInput(input: string, key: Key): void {
	for (const [name, text] of keyPresses(input, key)) dispatchKey(name, text);
}

/** The dashboard: status bar, panels (or the detail view / help overlay), help bar. */
export function App() {
	const {columns, rows} = useTerminalSize();
	const state = useStore($layoutState);
	const {isRawModeSupported} = useStdin();
	const layout = useMemo(() => computeLayout(columns, rows, state), [columns, rows, state]);
	useLayoutEffect(() => setViewport(layout.budgets), [layout.budgets]);
	// Without raw mode (stdin not a TTY) Ink's useInput throws; the dashboard then only displays.
	useInput(handleInput, {isActive: isRawModeSupported});

	if (layout.breakpoint === 'too-small') {
		return <Text wrap="truncate-end">{`tattle needs at least ${MIN_COLUMNS}x${MIN_ROWS} (q quits)`}</Text>;
	}

	return (
		<Box flexDirection="column" width={columns} height={layout.frameRows} overflowY="hidden">
			<PanelBoundary name="status bar" width={columns} height={layout.statusRows}>
				<StatusBar width={columns} height={layout.statusRows} />
			</PanelBoundary>
			<Box flexDirection="column" height={layout.bodyRows} overflowY="hidden">
				{layout.overlay === 'help' ? (
					<HelpOverlay width={columns} height={layout.bodyRows} />
				) : layout.overlay === 'detail' ? (
					<PanelBoundary name="detail view" width={columns} height={layout.bodyRows}>
						<DetailPanel width={columns} height={layout.bodyRows} />
					</PanelBoundary>
				) : (
					layout.bands.map(band => (
						<Box key={band.panels.map(p => p.id).join('+')} flexDirection="row" height={band.height}>
							{band.panels.map((p, i) => {
								const Panel = PANELS[p.id];
								return (
									<Box key={p.id} marginLeft={i > 0 ? GUTTER : 0} width={p.width} height={p.height}>
										<PanelBoundary name={PANEL_NAMES[p.id]} width={p.width} height={p.height}>
											<Panel width={p.width} height={p.height} />
										</PanelBoundary>
									</Box>
								);
							})}
						</Box>
					))
				)}
			</Box>
			<PanelBoundary name="help bar" width={columns} height={layout.helpRows}>
				<HelpBar width={columns} />
			</PanelBoundary>
		</Box>
	);
}
