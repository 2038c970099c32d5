/**
 * The simulator's shell: turns a `shell:`/`exec:` command line into argv the way `sh -c`
 * would for the simple commands tattle and the adb client send. Pure.
 */

/** Longest command line handled; adb's own service names are far shorter (MAX_PAYLOAD_V1). */
const MAX_COMMAND_CHARS = 4096;

/** Splits a command line into words, honouring quotes and backslashes (no expansion). */
export function splitShellWords(command: string): string[] {
	const words: string[] = [];
	let word = '';
	let inWord = false;
	let quote: '"' | "'" | undefined;
	const s = command.slice(0, MAX_COMMAND_CHARS);
	for (let i = 0; i < s.length; i++) {
		const c = s[i]!;
		if (quote) {
			if (c === quote) quote = undefined;
			else if (c === '\\' && quote === '"' && i + 1 < s.length) word += s[++i];
			else word += c;
		} else if (c === "'" || c === '"') {
			quote = c;
			inWord = true;
		} else if (c === '\\' && i + 1 < s.length) {
			word += s[++i];
			inWord = true;
		} else if (c === ' ' || c === '\t' || c === '\n') {
			if (inWord) words.push(word);
			word = '';
			inWord = false;
		} else {
			word += c;
			inWord = true;
		}
	}
	if (inWord) words.push(word);
	return words;
}

type ShellSegment = {
	/** How this command joins the previous one. */
	op: ';' | '&&' | '||';
	argv: string[];
	/** `2>/dev/null` was given: error text is discarded. */
	quietErrors: boolean;
};

const REDIRECTION = /^\d*>(?:&\d|\/dev\/null)$/;

/** Cuts words into simple commands at `;`, `&&` and `||`, noting `2>/dev/null`. */
export function splitSegments(words: string[]): ShellSegment[] {
	const out: ShellSegment[] = [];
	let cur: ShellSegment = {op: ';', argv: [], quietErrors: false};
	for (const w of words) {
		if (w === ';' || w === '&&' || w === '||') {
			out.push(cur);
			cur = {op: w, argv: [], quietErrors: false};
		} else if (REDIRECTION.test(w)) {
			if (w === '2>/dev/null') cur.quietErrors = true;
		} else cur.argv.push(w);
	}
	out.push(cur);
	return out.filter((seg) => seg.argv.length > 0);
}

export type Privilege = 'root' | 'shell';

/**
 * Unwraps `su -c CMD` (Magisk, SuperSU: CMD is a shell command line) and `su 0 CMD...` /
 * `su root CMD...` (AOSP userdebug su: CMD is argv). Undefined when argv is not an su call.
 */
export function unwrapSu(argv: string[]): {command: string} | {argv: string[]} | undefined {
	if (argv[0] !== 'su') return undefined;
	const rest = argv.slice(1);
	const c = rest.indexOf('-c');
	if (c >= 0) return {command: rest.slice(c + 1).join(' ')};
	if (rest[0] === '0' || rest[0] === 'root') return {argv: rest.slice(1)};
	return {argv: rest};
}
