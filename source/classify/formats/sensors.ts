/**
 * Sensors Analytics upload (Mi Browser / Mint Browser): form `crc=&gzip=&data_list=`, where with
 * gzip=1 data_list = base64(gzip(JSON array of events)). research/xiaomi.md section 3.1.
 */
import {decodeBase64, inflateBounded, isGzip, javaStringHashCode, utf8} from './codec.js';
import {formValue, MAX_FORMAT_EVENTS, type FormatEvent, type FormatInput, type FormatRecogniser, type FormatResult} from './recogniser.js';

/** gzip flag values from the SA SDK's DbParams: 1 gzip+base64, 9 encrypted (RSA-wrapped AES), 13 transport-encrypted. */
const GZIP_PLAIN = '0';
const GZIP_DATA = '1';
const GZIP_ENCRYPT = '9';
const GZIP_TRANSPORT_ENCRYPT = '13';

type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
	return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** Event facts from one SA event object. */
function eventOf(obj: JsonObject): FormatEvent {
	const props = isObject(obj['properties']) ? obj['properties'] : {};
	const event: FormatEvent = {name: str(obj['event']) ?? str(obj['type']) ?? '?'};
	const url = str(props['url']) ?? str(props['$url']);
	if (url !== undefined) event.url = url;
	const searchWord = str(props['search_word']) ?? str(props['keyword']);
	if (searchWord !== undefined) event.searchWord = searchWord;
	const deviceId = str(props['$device_id']);
	if (deviceId !== undefined) event.deviceId = deviceId;
	const distinctId = str(obj['distinct_id']);
	if (distinctId !== undefined) event.distinctId = distinctId;
	return event;
}

/** Events from the decoded data_list JSON (an array, or one object in older SDKs). */
function sensorsEvents(json: string): FormatEvent[] | undefined {
	let parsed: unknown;
	try {
		parsed = JSON.parse(json);
	} catch {
		return undefined;
	}
	const list = Array.isArray(parsed) ? parsed : [parsed];
	const events: FormatEvent[] = [];
	for (const item of list) {
		if (events.length >= MAX_FORMAT_EVENTS) break;
		if (isObject(item)) events.push(eventOf(item));
	}
	return events;
}

/** Decode a Sensors Analytics form; undefined when the fields are not SA's. */
export function decodeSensors(form: ReadonlyArray<[string, string]>, chain: string, maxOutput: number): FormatResult | undefined {
	const dataList = formValue(form, 'data_list');
	const gzip = formValue(form, 'gzip');
	if (dataList === undefined || gzip === undefined) return undefined;
	const result: FormatResult = {format: 'sensors', encrypted: false, notes: [], consumed: ['data_list'], parts: [], events: []};
	const crc = formValue(form, 'crc');
	if (crc !== undefined) {
		result.crcMatched = String(javaStringHashCode(dataList)) === crc.trim();
		result.notes.push(result.crcMatched ? 'crc matched' : 'crc mismatch');
	}
	const base = `${chain ? chain + ' > ' : ''}form:data_list`;
	if (gzip === GZIP_ENCRYPT || gzip === GZIP_TRANSPORT_ENCRYPT) {
		result.encrypted = true;
		result.notes.push(`gzip=${gzip}: encrypted`);
		return result;
	}
	const decoded = decodeBase64(dataList);
	if (gzip === GZIP_DATA) {
		if (!decoded || !isGzip(decoded.bytes)) {
			result.notes.push('gzip=1 but data_list is not base64(gzip)');
			return result;
		}
		const inflated = inflateBounded(decoded.bytes, 'gzip', maxOutput);
		if (!inflated.data) {
			result.notes.push(inflated.tooLarge ? 'data_list too large to inflate' : 'data_list gzip is corrupt');
			return result;
		}
		const text = utf8(inflated.data);
		result.parts.push({chain: `${base} > ${decoded.variant} > gzip`, text});
		result.events = sensorsEvents(text) ?? [];
		return result;
	}
	if (gzip === GZIP_PLAIN) {
		// Without gzip some SDK versions still base64 the JSON; others send it as is.
		const text = decoded ? utf8(decoded.bytes) : dataList;
		const events = sensorsEvents(text);
		result.parts.push({chain: decoded && events ? `${base} > ${decoded.variant}` : base, text: events ? text : dataList});
		result.events = events ?? [];
		return result;
	}
	result.notes.push(`unknown gzip=${gzip}`);
	result.consumed = [];
	return result;
}

/** Recognises SA form bodies (at any layer). */
export const sensorsRecogniser: FormatRecogniser = {
	name: 'sensors',
	recognise: (input: FormatInput) => (input.form ? decodeSensors(input.form, input.chain, input.maxOutput) : undefined),
};
