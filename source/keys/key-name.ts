/**
 * Turns Ink's (input, key) pair into the key names the keymap uses.
 */
import type {Key} from 'ink';

/** The keymap name of a key press, or undefined for keys with no name (plain text is its own name). */
export function keyName(input: string, key: Key): string | undefined {
	if (key.ctrl && input === 'c') return 'ctrl+c';
	if (key.tab) return key.shift ? 'shift+tab' : 'tab';
	if (key.upArrow) return 'up';
	if (key.downArrow) return 'down';
	if (key.leftArrow) return 'left';
	if (key.rightArrow) return 'right';
	if (key.pageUp) return 'pageup';
	if (key.pageDown) return 'pagedown';
	if (key.home) return 'home';
	if (key.end) return 'end';
	if (key.return) return 'return';
	// Ink 6.8 sets meta on Esc, so check escape before anything that looks at meta.
	if (key.escape) return 'escape';
	// Terminals send DEL (0x7f) for Backspace, which Ink 6.8 reports as `delete`.
	if (key.backspace || key.delete) return 'backspace';
	if (input === ' ') return 'space';
	if (key.ctrl || key.meta) return input ? `${key.ctrl ? 'ctrl' : 'meta'}+${input}` : undefined;
	return input.length === 1 ? input : undefined;
}
