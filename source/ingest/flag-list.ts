/** The session's flags: repeats folded into the first (classify/flags.ts FlagDeduper), at most MAX_FLAGS kept. */
import {FlagDeduper} from '../classify/flags.js';
import type {Flag} from '../types.js';

/** Flags kept; past this the oldest are dropped and counted (a storm must not grow memory). */
export const MAX_FLAGS = 5_000;

export class FlagList {
	private readonly deduper = new FlagDeduper();
	private readonly kept: Flag[] = [];

	/** `onDropped` hears of each oldest flag dropped for room. */
	constructor(private readonly onDropped: () => void) {}

	/**
	 * Keeps `f` when it is new and returns true; a repeat (same kind, host, app and `match`, the
	 * summary by default, within the dedupe window) is counted on its first instead.
	 */
	add(f: Flag, match?: string): boolean {
		if (!this.deduper.accept(f, match)) return false;
		if (this.kept.length >= MAX_FLAGS) {
			this.kept.shift();
			this.onDropped();
		}
		this.kept.push(f);
		return true;
	}

	/** The flags kept, oldest first (the list itself: copy to keep). */
	list(): readonly Flag[] {
		return this.kept;
	}
}
