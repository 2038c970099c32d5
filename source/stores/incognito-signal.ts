/**
 * Words for the kind of signal that set a browser's incognito state (types.ts IncognitoSignal):
 * a short one for the status bar, a sentence for a flag's evidence.
 */
import {browserWords} from '../lib/format.js';
import type {IncognitoSignal} from '../types.js';

/** The status bar's word: `INCOGNITO com.mi.globalbrowser (log)`. */
const SIGNAL_WORD: Readonly<Record<IncognitoSignal, string>> = {
	notification: 'notification',
	log: 'log',
	'secure-window': 'secure window',
	marker: 'marker',
};

/** What the signal was, for a flag's evidence. */
export const SIGNAL_TEXT: Readonly<Record<IncognitoSignal, string>> = {
	notification: 'a private-tabs notification (dumpsys notification)',
	log: "the browser's own log line",
	'secure-window': 'a secure (FLAG_SECURE) browser window in front (dumpsys window)',
	marker: 'a marker set by hand',
};

/** A package with the word for what set its state, when known. */
export function incognitoLabel(pkg: string, signal: IncognitoSignal | undefined): string {
	const who = browserWords(pkg);
	return signal && SIGNAL_WORD[signal] ? `${who} (${SIGNAL_WORD[signal]})` : who;
}
