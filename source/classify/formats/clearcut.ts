/**
 * Google Clearcut / Firebase logging batches (play.googleapis.com/log/batch, firelog batchlog,
 * app-measurement.com/a): protobuf, not encrypted beyond TLS. Recognised by path; the generic
 * walker pulls readable strings (URLs, ids) out of the protobuf. research/xiaomi.md section 5.
 */
import {type FormatInput, type FormatRecogniser, type FormatResult} from './recogniser.js';

const CLEARCUT_PATHS = [/^\/(vn\/)?log\/batch$/, /^\/log$/, /^\/v1\/firelog\/legacy\/batchlog$/, /^\/v0cc\/log\/batch$/, /^\/a$/];

/** Recognise a Clearcut/Firebase logging request by its path (top level only). */
function recogniseClearcut(input: FormatInput): FormatResult | undefined {
	if (input.chain !== '' || !input.path) return undefined;
	const q = input.path.indexOf('?');
	const path = (q < 0 ? input.path : input.path.slice(0, q)).toLowerCase();
	if (!CLEARCUT_PATHS.some((re) => re.test(path))) return undefined;
	// `/a` alone is too generic unless the body is protobuf-ish (not a form, not JSON).
	const ct = (input.contentType ?? '').toLowerCase();
	if (path === '/a' && !ct.includes('protobuf') && !ct.includes('octet-stream')) return undefined;
	return {format: 'clearcut', encrypted: false, notes: ['protobuf log batch: readable strings extracted'], consumed: [], parts: [], events: []};
}

/** Recognises Clearcut/Firebase log batches by path. */
export const clearcutRecogniser: FormatRecogniser = {name: 'clearcut', recognise: recogniseClearcut};
