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

/** A burst of typed keys arriving in one read (fast typing, tmux send-keys, a paste) is split at most this far. */
const MAX_KEYS_PER_READ = 64;

/** Keymap name of one character of a plain-text burst. */
function charName(ch: string): string | undefined {
	switch (ch) {
		case '\r':
		case '\n':
			return 'return';
		case '\t':
			return 'tab';
		case ' ':
			return 'space';
		case '\u007f':
		case '\b':
			return 'backspace';
		case '\u0003':
			return 'ctrl+c';
		default:
			return ch < ' ' ? undefined : ch;
	}
}

/**
 * The keys in one input event: Ink hands a run of plain characters over as one string, so
 * "jj\r" must become j, j, Enter. Escape sequences always arrive alone and keep their name.
 */
export function keyPresses(input: string, key: Key): Array<[name: string | undefined, text: string]> {
	const name = keyName(input, key);
	if (name !== undefined || input.length <= 1 || key.ctrl || key.meta) return [[name, input]];
	return [...input].slice(0, MAX_KEYS_PER_READ).map(ch => [charName(ch), ch]);
}
