/**
 * MiStat v2 upload (MIUI system apps): form with app_id, app_key, device_id and stat_value =
 * hex(AES-128-ECB/PKCS5(json)), key = ASCII of the first 16 chars of uppercase hex
 * MD5("seed:" + app_id + "-" + app_key + "-" + device_id). All key inputs travel in the same
 * form, so any observer can decrypt. research/xiaomi.md section 3.2.
 */
import {createDecipheriv, createHash} from 'node:crypto';
import {decodeHex, unpadPkcs7, utf8} from './codec.js';
import {formValue, MAX_FORMAT_EVENTS, type FormatEvent, type FormatInput, type FormatRecogniser, type FormatResult} from './recogniser.js';

/** AES block: the ciphertext must be a whole number of these. */
const AES_BLOCK = 16;

/** The MiStat AES key for these form values (16 ASCII bytes). */
export function mistatKey(appId: string, appKey: string, deviceId: string): string {
	return createHash('md5').update(`seed:${appId}-${appKey}-${deviceId}`, 'utf8').digest('hex').toUpperCase().slice(0, 16);
}

/** Decrypt stat_value; undefined when it is not hex, not block-aligned or the padding is wrong. */
export function decryptStatValue(statValue: string, key: string, maxOutput: number): string | undefined {
	const cipher = decodeHex(statValue, AES_BLOCK * 2);
	if (!cipher || cipher.length % AES_BLOCK !== 0 || cipher.length > maxOutput) return undefined;
	try {
		const decipher = createDecipheriv('aes-128-ecb', Buffer.from(key, 'latin1'), null);
		decipher.setAutoPadding(false);
		const plain = Buffer.concat([decipher.update(cipher), decipher.final()]);
		const unpadded = unpadPkcs7(new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength));
		return unpadded ? utf8(unpadded) : undefined;
	} catch {
		return undefined;
	}
}

/** Counter events from the decrypted JSON (`category`/`key` names). */
function mistatEvents(json: string): FormatEvent[] {
	let parsed: unknown;
	try {
		parsed = JSON.parse(json);
	} catch {
		return [];
	}
	const list = Array.isArray(parsed) ? parsed : [parsed];
	const events: FormatEvent[] = [];
	for (const item of list) {
		if (events.length >= MAX_FORMAT_EVENTS) break;
		if (typeof item !== 'object' || item === null) continue;
		const o = item as Record<string, unknown>;
		const category = typeof o['category'] === 'string' ? o['category'] : '';
		const key = typeof o['key'] === 'string' ? o['key'] : '';
		events.push({name: [category, key].filter(Boolean).join('/') || '?'});
	}
	return events;
}

/** Decode a MiStat form; undefined when there is no stat_value. */
export function decodeMistat(form: ReadonlyArray<[string, string]>, chain: string, maxOutput: number): FormatResult | undefined {
	const statValue = formValue(form, 'stat_value');
	if (statValue === undefined) return undefined;
	const result: FormatResult = {format: 'mistat', encrypted: false, notes: [], consumed: ['stat_value'], parts: [], events: []};
	const appId = formValue(form, 'app_id');
	const appKey = formValue(form, 'app_key');
	const deviceId = formValue(form, 'device_id');
	if (appId === undefined || appKey === undefined || deviceId === undefined) {
		result.encrypted = true;
		result.notes.push('stat_value present but key inputs missing: encrypted');
		return result;
	}
	const plain = decryptStatValue(statValue, mistatKey(appId, appKey, deviceId), maxOutput);
	if (plain === undefined) {
		result.encrypted = true;
		result.notes.push('stat_value did not decrypt with the derived key');
		return result;
	}
	result.notes.push('stat_value decrypted with the key derived from app_id/app_key/device_id');
	result.parts.push({chain: `${chain ? chain + ' > ' : ''}form:stat_value > hex > aes-128-ecb`, text: plain});
	result.events = mistatEvents(plain);
	return result;
}

/** Recognises MiStat forms (at any layer). */
export const mistatRecogniser: FormatRecogniser = {
	name: 'mistat',
	recognise: (input: FormatInput) => (input.form ? decodeMistat(input.form, input.chain, input.maxOutput) : undefined),
};
