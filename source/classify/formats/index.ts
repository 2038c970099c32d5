/** The known-format recognisers inspectPayload runs by default. */
import {clearcutRecogniser} from './clearcut.js';
import {mistatRecogniser} from './mistat.js';
import {oneTrackRecogniser} from './onetrack.js';
import {sensorsRecogniser} from './sensors.js';
import {type FormatRecogniser} from './recogniser.js';

export type {FormatInput} from './recogniser.js';

/** Order matters only for reporting: every recogniser sees every form. */
export const DEFAULT_RECOGNISERS: readonly FormatRecogniser[] = [sensorsRecogniser, mistatRecogniser, oneTrackRecogniser, clearcutRecogniser];
