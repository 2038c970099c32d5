/**
 * Side effects the CLI owns (quit, markers, replay speed, report export), registered once at
 * start-up. Keys call the actions here; the UI never talks to sources directly.
 */
import {plainWords} from '../lib/format.js';
import {addNotice as notify} from './notices.js';
import {closeNotePrompt, openNotePrompt} from './ui.js';

export type Controls = {
	/** Stop everything and exit; the CLI owns cleanup. */
	quit?: () => void;
	/** Toggle the incognito state of the foreground browser (a manual marker when logcat cannot tell); returns what it did, in words. */
	toggleIncognito?: () => string | void;
	/** Put a marker with a note on the timeline. */
	addMarker?: (note: string) => void;
	/** Multiply the replay speed (2 doubles, 0.5 halves). */
	changeSpeed?: (factor: number) => unknown;
	/** Replay one step while playback is held. */
	step?: () => void;
	/** Hold or resume replay playback (the view pause is separate: it freezes the screen only). */
	togglePlayback?: () => unknown;
	/** Write the session report; resolves to where it went. */
	exportReport?: () => Promise<string | undefined> | string | undefined;
};

/** Each + or - doubles or halves the replay speed: a few presses span 1/16x to 1024x. */
const SPEED_FACTOR = 2;

let controls: Controls = {};

/** What each control does, in the words a failure notice uses ("marker failed: disk full"). */
const CONTROL_WORDS: Readonly<Record<keyof Controls, string>> = {
	quit: 'quit',
	toggleIncognito: 'incognito marker',
	addMarker: 'marker',
	changeSpeed: 'speed change',
	step: 'step',
	togglePlayback: 'pause or resume',
	exportReport: 'report export',
};

/** Register the CLI's handlers (replaces any earlier registration). */
export function setControls(next: Controls): void {
	controls = {...next};
}

/** Forget all handlers (tests). */
export function clearControls(): void {
	controls = {};
}

/** Run a handler, turning a missing one or a thrown error into a notice instead of a crash. */
function run(name: keyof Controls, missing: string, call: () => void): void {
	if (!controls[name]) {
		notify(missing, 'warn');
		return;
	}

	try {
		call();
	} catch (error) {
		notify(`${CONTROL_WORDS[name]} failed: ${plainWords(error instanceof Error ? error.message : String(error))}`, 'error');
	}
}

/** Quit through the one exit owner. */
export function requestQuit(): void {
	run('quit', 'quit is not wired', () => controls.quit!());
}

/** Toggle the foreground browser's incognito state. */
export function toggleIncognitoMarker(): void {
	run('toggleIncognito', 'incognito marker needs a live session', () => {
		notify(controls.toggleIncognito!() || 'incognito marker toggled');
	});
}

/** `m`: open the note prompt (where markers can be made). */
export function startNote(): void {
	if (!controls.addMarker) {
		notify('markers need a live session', 'warn');
		return;
	}

	openNotePrompt();
}

/** Enter in the note prompt: put the marker, with its note, on the timeline. */
export function addNoteMarker(): void {
	const note = closeNotePrompt();
	if (note === undefined) return;
	run('addMarker', 'markers need a live session', () => {
		// An empty note still marks the moment: it says so in words.
		controls.addMarker!(note || 'marker');
		notify(note ? `marker added: ${note}` : 'marker added');
	});
}

/** Esc in the note prompt: no marker. */
export function cancelNote(): void {
	closeNotePrompt();
	notify('marker cancelled');
}

/** Replay faster. */
export function speedUp(): void {
	run('changeSpeed', 'speed applies to replays only', () => controls.changeSpeed!(SPEED_FACTOR));
}

/** Replay slower. */
export function slowDown(): void {
	run('changeSpeed', 'speed applies to replays only', () => controls.changeSpeed!(1 / SPEED_FACTOR));
}

/** Replay one step. */
export function stepReplay(): void {
	run('step', 'step applies to replays only', () => controls.step!());
}

/** Hold or resume replay playback. */
export function togglePlayback(): void {
	run('togglePlayback', 'playback control applies to replays only', () => controls.togglePlayback!());
}

/** Export the report and say where it went. */
export function exportReport(): void {
	run('exportReport', 'report export is not wired', () => {
		const fail = (error: unknown) =>
			notify(`report failed: ${plainWords(error instanceof Error ? error.message : String(error))}`, 'error');
		const done = (where: string | undefined) => notify(where ? `report written: ${where}` : 'report written');
		const result = controls.exportReport!();
		if (result && typeof result === 'object' && 'then' in result) result.then(done, fail);
		else done(result);
	});
}
