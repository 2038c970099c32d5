/**
 * What a destination's readable payloads carried, kept per destination for the report and
 * `tattle diff`: the decoded field keys (what kind of data it is sent) and the device
 * identifiers (the same id in two runs is the finding). Capped: a hostile body must not grow it.
 */
import type {IdentifierKind} from '../classify/identifiers.js';

/** Field keys kept per destination: an SDK batch has a few dozen distinct keys; 64 keeps them with room. */
export const MAX_FIELD_KEYS = 64;
/** Identifiers kept per destination: one phone sends a handful; more is a flood. */
export const MAX_IDENTIFIERS = 16;
/** Longest field key kept (keys are JSON paths; a hostile one may be kilobytes). */
const MAX_KEY_CHARS = 128;

/** One device identifier sent to a destination: its kind, value, and the field key that carried it. */
type SeenIdentifier = {kind: IdentifierKind; value: string; key?: string};

export type PayloadSeen = {fields: Set<string>; ids: Map<string, SeenIdentifier>};

/** What the payload inspection of one upload found, as far as this module needs it. */
type PayloadKeysInput = {fields: ReadonlyArray<{key: string}>; identifiers: ReadonlyArray<{kind: IdentifierKind; value: string; key?: string}>};

/**
 * A field key without its array positions: `events[3].properties.url` and `events[0].properties.url`
 * are the same field. Cut to MAX_KEY_CHARS.
 */
export function fieldKey(key: string): string {
	return key.replace(/\[\d+\]/g, '[]').slice(0, MAX_KEY_CHARS);
}

/** Adds an upload's field keys and identifiers to `seen` (made on first use); returns it. */
export function notePayload(seen: PayloadSeen | undefined, f: PayloadKeysInput): PayloadSeen | undefined {
	if (f.fields.length === 0 && f.identifiers.length === 0) return seen;
	const s = seen ?? {fields: new Set<string>(), ids: new Map<string, SeenIdentifier>()};
	for (const x of f.fields) {
		if (s.fields.size >= MAX_FIELD_KEYS) break;
		if (x.key) s.fields.add(fieldKey(x.key));
	}
	for (const i of f.identifiers) {
		const id = `${i.kind}\u0000${i.value}`;
		if (s.ids.size >= MAX_IDENTIFIERS) break;
		if (!s.ids.has(id)) s.ids.set(id, {kind: i.kind, value: i.value.slice(0, MAX_KEY_CHARS), ...(i.key ? {key: fieldKey(i.key)} : {})});
	}
	return s;
}

/** Adds `from` into `to` (a destination merged into another), within the caps. */
export function mergePayloadSeen(to: PayloadSeen | undefined, from: PayloadSeen | undefined): PayloadSeen | undefined {
	if (!from) return to;
	const s = to ?? {fields: new Set<string>(), ids: new Map<string, SeenIdentifier>()};
	for (const k of from.fields) if (s.fields.size < MAX_FIELD_KEYS) s.fields.add(k);
	for (const [k, v] of from.ids) if (s.ids.size < MAX_IDENTIFIERS && !s.ids.has(k)) s.ids.set(k, v);
	return s;
}

/** The sorted field keys and identifiers of a destination, for its summary. */
export function payloadSeenSummary(s: PayloadSeen | undefined): {fields: string[]; identifiers: SeenIdentifier[]} | undefined {
	if (!s) return undefined;
	return {fields: [...s.fields].sort(), identifiers: [...s.ids.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.value.localeCompare(b.value))};
}
