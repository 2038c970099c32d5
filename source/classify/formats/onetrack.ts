/**
 * OneTrack v4 (current MIUI/HyperOS analytics): POST /track/v4 with an octet-stream body
 * (gzip then AES-ECB under a session key) and OT_* headers; once per session a form POST to
 * /track/key_get with an RSA-wrapped key. Not passively decryptable: recognised, reported as
 * encrypted, with the header facts. research/xiaomi.md section 3.3.
 */
import {headerValue} from '../../decode/http.js';
import {formValue, type FormatInput, type FormatRecogniser, type FormatResult} from './recogniser.js';

/** Headers the OneTrack uploader sets on every /track/v4 request. */
const OT_HEADERS = ['OT_SID', 'OT_ts', 'OT_net', 'OT_sender', 'OT_protocol'] as const;

function pathOnly(path: string | undefined): string {
	if (!path) return '';
	const q = path.indexOf('?');
	return (q < 0 ? path : path.slice(0, q)).toLowerCase();
}

/** Recognise a OneTrack request from its path and headers (top level only). */
export function recogniseOneTrack(input: FormatInput): FormatResult | undefined {
	if (input.chain !== '') return undefined;
	const path = pathOnly(input.path);
	const present = OT_HEADERS.filter((h) => headerValue(input.headers, h) !== undefined);
	const isUpload = /\/track\/v4(\/|$)/.test(path);
	const isKeyGet = /\/track\/key_get$/.test(path);
	if (!isUpload && !isKeyGet && present.length < 2) return undefined;
	const result: FormatResult = {format: 'onetrack', encrypted: true, notes: [], consumed: [], parts: [], events: []};
	if (isKeyGet) {
		result.notes.push('session-key exchange: secretKey is an RSA-wrapped AES key');
		if (formValue(input.form, 'secretKey') !== undefined) result.consumed.push('secretKey');
		return result;
	}
	result.notes.push('event upload: gzip + AES-ECB under a session key, not decryptable passively');
	const sender = headerValue(input.headers, 'OT_sender');
	if (sender) result.notes.push(`OT_sender=${sender}`);
	const protocol = headerValue(input.headers, 'OT_protocol');
	if (protocol) result.notes.push(`OT_protocol=${protocol}`);
	const sid = headerValue(input.headers, 'OT_SID');
	if (sid) result.notes.push(`OT_SID=${sid}`);
	return result;
}

/** Recognises OneTrack uploads and key exchanges (top level only). */
export const oneTrackRecogniser: FormatRecogniser = {name: 'onetrack', recognise: recogniseOneTrack};
