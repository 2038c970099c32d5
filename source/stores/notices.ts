/**
 * The status-bar message: one current notice, shown until the next key press.
 */
import {$ui, type Notice} from './ui-state.js';

/** Notices are one status-bar line; longer text is cut by the bar anyway. */
const NOTICE_MAX = 200;

/** Show a message in the status bar until the next key. */
export function addNotice(text: string, tone: Notice['tone'] = 'info'): void {
	$ui.set({...$ui.get(), notice: {text: text.slice(0, NOTICE_MAX), tone}});
}

/** Clear the message. */
export function dismissNotice(): void {
	const ui = $ui.get();
	if (ui.notice) $ui.set({...ui, notice: undefined});
}
