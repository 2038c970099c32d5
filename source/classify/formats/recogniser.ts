/** The contract between inspectPayload and the known-format recognisers. */

/** What a recogniser sees: the request around a body, and form fields when the body (or a layer) is a form. */
export type FormatInput = {
	path?: string;
	contentType?: string;
	headers: ReadonlyArray<[string, string]>;
	/** The raw body at the top level; undefined for nested forms. */
	body?: Uint8Array;
	/** Decoded form or query fields, when the content at hand is a form. */
	form?: ReadonlyArray<[string, string]>;
	/** Decode chain that led to this content ("" at the top level). */
	chain: string;
	/** Bytes the recogniser may still produce by decompressing or decrypting. */
	maxOutput: number;
};

/** One event a format names (Sensors Analytics event, MiStat counter, ...). */
export type FormatEvent = {
	name: string;
	url?: string;
	searchWord?: string;
	deviceId?: string;
	distinctId?: string;
};

/** Decoded content handed back to the generic walker, with the chain that produced it. */
type DecodedPart = {chain: string; text: string};

export type FormatResult = {
	/** Short format name: sensors, mistat, onetrack, clearcut. */
	format: string;
	/** True when the content is encrypted and could not be read. */
	encrypted: boolean;
	/** One-line facts for a human ("crc matched", "gzip=9: encrypted"). */
	notes: string[];
	/** Form keys the recogniser handled itself, so the walker does not decode them again. */
	consumed: string[];
	parts: DecodedPart[];
	events: FormatEvent[];
	/** Sensors Analytics: whether the crc field equals String.hashCode(data_list). */
	crcMatched?: boolean;
};

export type FormatRecogniser = {
	name: string;
	/** Undefined when the content is not this format. Never throws. */
	recognise: (input: FormatInput) => FormatResult | undefined;
};

/** Form value by key (first match). */
export function formValue(form: ReadonlyArray<[string, string]> | undefined, key: string): string | undefined {
	if (!form) return undefined;
	for (const [k, v] of form) if (k === key) return v;
	return undefined;
}

/** Most events a recogniser reports from one payload: SA batches at most 50, so 100 is ample. */
export const MAX_FORMAT_EVENTS = 100;
