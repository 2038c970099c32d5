/**
 * Payload inspection: peel URL-encoding, query strings and forms, JSON, base64/base64url, hex
 * and gzip/zlib/deflate in any nesting (bounded in depth and bytes), run the known-format
 * recognisers on the way, and collect URLs, search terms, fields and device identifiers, each
 * with the decode chain that revealed it. Pure: bytes in, findings out.
 *
 * Over 300 lines because the layer walker is one recursive function over shared budget state; its
 * codecs and recognisers already live apart (formats/).
 */
import {parse as parseHost} from 'tldts';
import {
	decodeBase64,
	decodeHex,
	inflateBounded,
	isGzip,
	isZlib,
	looksLikeText,
	parseForm,
	percentDecode,
	shannonEntropy,
	utf8,
} from './formats/codec.js';
import {headerValue} from '../decode/http.js';
import {truncateChars} from '../lib/sanitize.js';
import {DEFAULT_RECOGNISERS} from './formats/index.js';
import {type FormatRecogniser, type FormatResult} from './formats/recogniser.js';
import {findIdentifiers, normaliseKey, type Identifier} from './identifiers.js';

type PayloadInput = {body?: Uint8Array; path?: string; contentType?: string; headers?: Array<[string, string]>};

type PayloadOptions = {
	/** Deepest decode chain followed (layers, not JSON nesting). */
	maxDepth?: number;
	/** Total bytes all decoders together may produce. */
	maxBytes?: number;
	recognisers?: readonly FormatRecogniser[];
};

/** One flattened field: key (JSON path or form key), a value sample, and where it was found. */
type FieldSample = {key: string; value: string; layers: string};

/** Which decode chain revealed a finding. */
type LayerNote = {kind: 'url' | 'search' | 'identifier'; value: string; layers: string};

/** A decoded leaf string, kept (capped) so that visited URLs and terms can be matched later. */
export type TextSegment = {layers: string; text: string; key?: string};

export type PayloadFindings = {
	/** http(s) URLs and bare host/path strings, deduped, capped. */
	urls: string[];
	searchTerms: string[];
	fields: FieldSample[];
	identifiers: Identifier[];
	/** Names of the known formats recognised (sensors, mistat, onetrack, clearcut). */
	formats: string[];
	/** What each recogniser reported (events, crc check, encryption). */
	formatResults: FormatResult[];
	layers: LayerNote[];
	texts: TextSegment[];
	/** The body looked encrypted / high-entropy and nothing in it decoded. */
	opaque: boolean;
	/** Opaque, or a recognised format says its content is encrypted and nothing of it was read. */
	encrypted: boolean;
	/** Shannon entropy of the body sample, bits per byte. */
	entropy?: number;
	/** Short human-readable excerpt of the most telling decoded content. */
	excerpt?: string;
	/** A bound (depth, bytes, nodes, caps) cut the inspection short. */
	truncated: boolean;
	/**
	 * UI-usage events the payload names (event names, screens, pages, folders, swipes, tabs), as
	 * `name` or `key=value`, deduped and capped: what the user did, as the SDK reports it.
	 */
	uiEvents: string[];
	/** The payload itself says an event happened in private mode (Sensors `download_files` type=privacy). */
	incognitoHint?: IncognitoHint;
};

/** A payload-side incognito signal: the package it names (when it does) and a line of evidence. */
type IncognitoHint = {pkg?: string; evidence: string};

/** Deepest real chain seen is about 5 (form > base64 > gzip > json > urldecode); 10 leaves room but stops a decode loop. */
const DEFAULT_MAX_DEPTH = 10;
/** Decoded bytes across all layers: an SA batch of 50 events inflates to ~100 KB; 1 MiB bounds a gzip bomb. */
const DEFAULT_MAX_BYTES = 1024 * 1024;
/** Strings, forms and JSON values visited: a 50-event batch has ~1500 values. */
const MAX_NODES = 5000;
/** JSON nesting walked: telemetry events nest 3-4 deep; deeper is hostile. */
const MAX_JSON_DEPTH = 32;
/** Pairs read from one form or query string: real uploads have under 20. */
const MAX_FORM_PAIRS = 200;
/** URLs kept: enough for a batch of page loads, small enough for a flag's evidence. */
export const MAX_URLS = 64;
/** Search terms kept. */
export const MAX_SEARCH_TERMS = 32;
/** Field samples kept, and the longest value sample. */
export const MAX_FIELDS = 300;
const MAX_FIELD_VALUE_CHARS = 256;
/** Identifiers kept across the payload. */
const MAX_IDENTIFIERS = 32;
/** Decoded leaves kept for matching, the longest one, and all of them together. */
export const MAX_TEXT_SEGMENTS = 256;
export const MAX_TEXT_SEGMENT_CHARS = 4096;
const MAX_TEXT_TOTAL_CHARS = 128 * 1024;
/** Longest URL kept (browsers cap around 2 MB; telemetry URLs are far shorter). */
export const MAX_URL_CHARS = 2048;
/** Longest value read as a search term; longer is a document, not a query. */
const MAX_SEARCH_TERM_CHARS = 256;
/** Excerpt length: one line in a flag's evidence. */
export const MAX_EXCERPT_CHARS = 200;
/** Printable ASCII runs at least this long are pulled out of binary (protobuf) bodies. */
const MIN_STRING_RUN = 8;
/** Most runs pulled out of one binary blob. */
const MAX_STRING_RUNS = 128;
/** Bodies shorter than this are too small for an entropy verdict. */
const MIN_OPAQUE_BYTES = 32;
/** Entropy, as a fraction of the maximum the sample size allows, above which bytes look encrypted. */
const HIGH_ENTROPY_RATIO = 0.85;

/** UI-usage names kept: a batch of 50 events names a few dozen screens; more adds nothing to a flag. */
export const MAX_UI_EVENTS = 32;
/** Longest UI value kept: screen and event names are short; a longer value is content, not a name. */
export const MAX_UI_EVENT_CHARS = 80;

/** Random bytes are 37% printable ASCII; above 60% the blob carries text, whatever its entropy. */
const MAX_PRINTABLE_IN_CIPHERTEXT = 0.6;

/** Keys (normalised: lowercase, alphanumerics) whose values are search terms. */
const SEARCH_KEYS = new Set([
	'q', 'oq', 'query', 'querytext', 'searchquery', 'searchword', 'searchterm', 'searchkey', 'keyword', 'keywords',
	'wd', 'word', 'text', 'kw', 'search', 'term',
]);
/** True when a field key names a search term (q, query, search_word, wd, ...). */
export function isSearchKey(key: string): boolean {
	return SEARCH_KEYS.has(normaliseKey(key));
}

/**
 * Field keys (normalised) whose values name what the user did on screen: SA `event`,
 * `$screen_name`, `$title`, `$element_content`; OneTrack `event`; generic screen/page/activity/
 * folder/swipe/tab names (research/xiaomi.md 3.1, 3.3).
 */
const UI_KEYS = new Set([
	'event', 'eventname', 'screenname', 'screen', 'title', 'elementcontent', 'page', 'pagename', 'activity',
	'activityname', 'folder', 'foldername', 'swipe', 'swipedirection', 'tab', 'tabname',
]);
/** Sensors Analytics event (Mint / Mi Browser) whose `type` says whether the download was private. */
const SA_DOWNLOAD_EVENT = 'download_files';
const SA_PRIVATE_TYPE = 'privacy';
/** A value that reads as an Android package name (for a hint's `pkg`). */
const PACKAGE_RE = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/i;
/** Longest package name taken from a payload: Android caps them well below this. */
const MAX_PACKAGE_CHARS = 128;

/** Headers that never carry user data worth decoding. */
const SKIP_HEADERS = new Set([
	'host', 'content-length', 'content-type', 'content-encoding', 'accept', 'accept-encoding', 'accept-language',
	'connection', 'user-agent', 'date', 'cache-control', 'pragma', 'te', 'transfer-encoding', 'upgrade', 'expect',
]);
/** First labels that mark a reversed package name (com.android.chrome), not a host. */
const PACKAGE_PREFIXES = new Set(['com', 'org', 'net', 'io', 'android', 'cn', 'de', 'uk', 'me', 'app']);

const URL_RE = /https?:\/\/[^\s"'<>\\^`{|}]+/gi;
const HOST_PATH_RE = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\.?(?::\d{1,5})?(?:\/\S*)?$/i;

type State = {
	maxDepth: number;
	bytesLeft: number;
	nodesLeft: number;
	recognisers: readonly FormatRecogniser[];
	f: PayloadFindings;
	seen: Set<string>;
	textChars: number;
	opaqueBlobs: number;
	/** Findings from the body (not headers/path), for the opaque verdict. */
	bodyReadable: number;
	inBody: boolean;
};

function join(chain: string, layer: string): string {
	return chain ? `${chain} > ${layer}` : layer;
}

/** True when n bytes of this entropy look like ciphertext or compressed data. */
function looksEncrypted(bytes: Uint8Array, knownEntropy?: number): boolean {
	if (bytes.length < MIN_OPAQUE_BYTES) return false;
	const entropy = knownEntropy ?? shannonEntropy(bytes);
	const n = Math.min(bytes.length, 4096);
	const maxPossible = Math.min(8, Math.log2(n));
	if (entropy < HIGH_ENTROPY_RATIO * maxPossible) return false;
	// Small samples of text also score near the maximum; ciphertext is mostly non-printable.
	let printable = 0;
	for (let i = 0; i < n; i++) if (bytes[i]! >= 0x20 && bytes[i]! < 0x7f) printable++;
	return printable / n < MAX_PRINTABLE_IN_CIPHERTEXT;
}

/** A whole value that reads as host or host/path (not a version string, not a package name). */
export function isHostLike(value: string): boolean {
	if (value.length > MAX_URL_CHARS || !HOST_PATH_RE.test(value)) return false;
	const host = value.split(/[/:]/, 1)[0]!.toLowerCase().replace(/\.$/, '');
	if (PACKAGE_PREFIXES.has(host.split('.', 1)[0]!)) return false;
	const p = parseHost(host);
	return p.isIcann === true && p.domain !== null;
}

function addNote(st: State, kind: LayerNote['kind'], value: string, layers: string): void {
	if (st.f.layers.length < MAX_URLS + MAX_SEARCH_TERMS + MAX_IDENTIFIERS) st.f.layers.push({kind, value, layers});
}

function addUrl(st: State, url: string, layers: string): void {
	const u = url.replace(/[).,;\]]+$/, '').slice(0, MAX_URL_CHARS);
	const k = `u:${u}`;
	if (st.seen.has(k)) return;
	if (st.f.urls.length >= MAX_URLS) {
		st.f.truncated = true;
		return;
	}
	st.seen.add(k);
	st.f.urls.push(u);
	addNote(st, 'url', u, layers);
	if (st.inBody) st.bodyReadable++;
}

function addSearchTerm(st: State, term: string, layers: string): void {
	const t = term.trim();
	if (t === '' || t.length > MAX_SEARCH_TERM_CHARS) return;
	const k = `s:${t}`;
	if (st.seen.has(k) || st.f.searchTerms.length >= MAX_SEARCH_TERMS) return;
	st.seen.add(k);
	st.f.searchTerms.push(t);
	addNote(st, 'search', t, layers);
}

function addIdentifiers(st: State, ids: Identifier[], layers: string): void {
	for (const id of ids) {
		const k = `i:${id.kind}:${id.value}`;
		if (st.seen.has(k) || st.f.identifiers.length >= MAX_IDENTIFIERS) continue;
		st.seen.add(k);
		st.f.identifiers.push({...id, layers});
		addNote(st, 'identifier', id.value, layers);
	}
}

/** One UI-usage name (deduped, capped); blank, long or multi-line values are not names. */
function addUiEvent(st: State, name: string): void {
	const t = name.trim();
	if (t === '' || t.length > MAX_UI_EVENT_CHARS || /[\r\n]/.test(t)) return;
	const k = `e:${t}`;
	if (st.seen.has(k)) return;
	if (st.f.uiEvents.length >= MAX_UI_EVENTS) {
		st.f.truncated = true;
		return;
	}
	st.seen.add(k);
	st.f.uiEvents.push(t);
}

/** Record one key/value: a field sample, a search term, identifiers, a UI-usage name. */
function addField(st: State, key: string, value: string, layers: string): void {
	if (st.f.fields.length < MAX_FIELDS) st.f.fields.push({key, value: truncateChars(value, MAX_FIELD_VALUE_CHARS), layers});
	else st.f.truncated = true;
	if (st.inBody) st.bodyReadable++;
	const norm = normaliseKey(key);
	if (SEARCH_KEYS.has(norm)) addSearchTerm(st, value, layers);
	if (UI_KEYS.has(norm)) addUiEvent(st, norm === 'event' || norm === 'eventname' ? value : `${norm}=${value}`);
	addIdentifiers(st, findIdentifiers(value, key), layers);
}

/** Facts an object states as a whole: a private-mode SA download, a MiStat category/key counter. */
function visitObject(st: State, obj: Record<string, unknown>, chain: string, path: string): void {
	const category = obj['category'];
	const key = obj['key'];
	if (typeof category === 'string' && typeof key === 'string') addUiEvent(st, `${category}/${key}`);
	if (st.f.incognitoHint || obj['event'] !== SA_DOWNLOAD_EVENT) return;
	const props = obj['properties'];
	if (typeof props !== 'object' || props === null || Array.isArray(props)) return;
	const p = props as Record<string, unknown>;
	if (p['type'] !== SA_PRIVATE_TYPE) return;
	const where = join(chain, path ? `json:${path}` : 'json');
	const url = typeof p['url'] === 'string' ? ` url=${p['url']}` : '';
	const hint: IncognitoHint = {evidence: truncateChars(`${SA_DOWNLOAD_EVENT} type=${SA_PRIVATE_TYPE}${url} via ${where}`, MAX_EXCERPT_CHARS)};
	// SA's preset $app_id is the sending app's package name (newer SDKs only).
	const appId = p['$app_id'];
	if (typeof appId === 'string' && appId.length <= MAX_PACKAGE_CHARS && PACKAGE_RE.test(appId)) hint.pkg = appId;
	st.f.incognitoHint = hint;
}

function addText(st: State, text: string, layers: string, key?: string): void {
	if (st.f.texts.length >= MAX_TEXT_SEGMENTS || st.textChars >= MAX_TEXT_TOTAL_CHARS) {
		st.f.truncated = true;
		return;
	}
	const t = text.slice(0, Math.min(MAX_TEXT_SEGMENT_CHARS, MAX_TEXT_TOTAL_CHARS - st.textChars));
	st.textChars += t.length;
	st.f.texts.push(key === undefined ? {layers, text: t} : {layers, text: t, key});
	if (st.inBody) st.bodyReadable++;
}

/** Take `n` bytes of decoding budget; false (and truncated) when the budget is spent. */
function spend(st: State, n: number): boolean {
	if (n > st.bytesLeft) {
		st.f.truncated = true;
		st.bytesLeft = 0;
		return false;
	}
	st.bytesLeft -= n;
	return true;
}

function tick(st: State, depth: number): boolean {
	if (st.nodesLeft <= 0 || depth > st.maxDepth) {
		st.f.truncated = true;
		return false;
	}
	st.nodesLeft--;
	return true;
}

/** Decoded bytes worth following: compressed, or text. */
function usefulBytes(bytes: Uint8Array): boolean {
	return isGzip(bytes) || isZlib(bytes) || looksLikeText(bytes);
}

function runRecognisers(st: State, form: Array<[string, string]> | undefined, chain: string, extra: {path?: string; contentType?: string; headers?: ReadonlyArray<[string, string]>; body?: Uint8Array}, depth: number): Set<string> {
	const consumed = new Set<string>();
	for (const r of st.recognisers) {
		let result: FormatResult | undefined;
		try {
			result = r.recognise({path: extra.path, contentType: extra.contentType, headers: extra.headers ?? [], body: extra.body, form, chain, maxOutput: st.bytesLeft});
		} catch {
			// A recogniser bug must not lose the rest of the inspection.
			continue;
		}
		if (!result) continue;
		if (!st.f.formats.includes(result.format)) st.f.formats.push(result.format);
		st.f.formatResults.push(result);
		for (const k of result.consumed) consumed.add(k);
		for (const part of result.parts) {
			if (!spend(st, part.text.length)) break;
			visitString(st, part.text, part.chain, depth + 1);
		}
		for (const e of result.events) if (e.name !== '?') addUiEvent(st, e.name);
	}
	return consumed;
}

/** Fields of a form or query string: record each, then decode its value further. */
function visitForm(st: State, pairs: Array<[string, string]>, chain: string, label: string, depth: number, consumed: Set<string>): void {
	for (const [k, v] of pairs) {
		const layers = join(chain, `${label}:${k}`);
		addField(st, k, v, layers);
		if (consumed.has(k)) continue;
		visitString(st, v, layers, depth + 1, k);
	}
}

function visitBytes(st: State, bytes: Uint8Array, chain: string, depth: number): void {
	if (!tick(st, depth)) return;
	if (isGzip(bytes) || isZlib(bytes)) {
		const kind = isGzip(bytes) ? 'gzip' : 'zlib';
		const out = inflateBounded(bytes, kind, st.bytesLeft);
		if (out.data && spend(st, out.data.length)) {
			visitBytes(st, out.data, join(chain, kind), depth + 1);
			return;
		}
		if (out.tooLarge) st.f.truncated = true;
	}
	if (looksLikeText(bytes)) {
		visitString(st, utf8(bytes), chain, depth);
		return;
	}
	if (looksEncrypted(bytes)) {
		if (st.inBody) st.opaqueBlobs++;
		return;
	}
	// Structured binary (protobuf and kin) keeps its strings readable: pull them out.
	let runs = 0;
	const latin = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
	for (const m of latin.matchAll(new RegExp(`[\\x20-\\x7e]{${MIN_STRING_RUN},}`, 'g'))) {
		if (runs++ >= MAX_STRING_RUNS) {
			st.f.truncated = true;
			break;
		}
		visitString(st, m[0], join(chain, 'strings'), depth + 1);
	}
}

function visitJson(st: State, value: unknown, chain: string, path: string, depth: number, jsonDepth: number): void {
	if (jsonDepth > MAX_JSON_DEPTH || !tick(st, depth)) {
		st.f.truncated = true;
		return;
	}
	if (typeof value === 'string') {
		const layers = join(chain, path ? `json:${path}` : 'json');
		addField(st, path, value, layers);
		visitString(st, value, layers, depth + 1, path);
	} else if (typeof value === 'number' || typeof value === 'boolean') {
		addField(st, path, String(value), join(chain, path ? `json:${path}` : 'json'));
	} else if (Array.isArray(value)) {
		for (let i = 0; i < value.length && st.nodesLeft > 0; i++) visitJson(st, value[i], chain, `${path}[${i}]`, depth, jsonDepth + 1);
	} else if (typeof value === 'object' && value !== null) {
		visitObject(st, value as Record<string, unknown>, chain, path);
		for (const [k, v] of Object.entries(value)) {
			if (st.nodesLeft <= 0) break;
			visitJson(st, v, chain, path ? `${path}.${k}` : k, depth, jsonDepth + 1);
		}
	}
}

function visitString(st: State, s: string, chain: string, depth: number, key?: string): void {
	if (!tick(st, depth)) return;
	const t = s.trim();
	if (t === '') return;
	const first = t[0];
	if (first === '{' || first === '[') {
		let parsed: unknown;
		let ok = false;
		try {
			parsed = JSON.parse(t);
			ok = typeof parsed === 'object' && parsed !== null;
		} catch {
			ok = false;
		}
		if (ok) {
			visitJson(st, parsed, chain, '', depth + 1, 0);
			return;
		}
	}
	const hex = decodeHex(t);
	const blob = hex ? {bytes: hex, variant: 'hex'} : decodeBase64(t);
	if (blob && usefulBytes(blob.bytes) && spend(st, blob.bytes.length)) {
		visitBytes(st, blob.bytes, join(chain, blob.variant), depth + 1);
		return;
	}
	if (blob && looksEncrypted(blob.bytes)) {
		// Encoded ciphertext or a hash: nothing readable to keep as text.
		if (st.inBody) st.opaqueBlobs++;
		return;
	}
	const form = /^https?:/i.test(t) ? undefined : parseForm(t, MAX_FORM_PAIRS);
	if (form && (form.length > 1 || form[0]![1] !== '')) {
		const consumed = runRecognisers(st, form, chain, {}, depth);
		visitForm(st, form, chain, 'form', depth + 1, consumed);
		return;
	}
	if (/%[0-9A-Fa-f]{2}/.test(t)) {
		const decoded = percentDecode(t, false);
		if (decoded !== t) {
			visitString(st, decoded, join(chain, 'urldecode'), depth + 1, key);
			return;
		}
	}
	visitLeaf(st, t, chain || 'body', depth, key);
}

/** A string that decodes no further: keep it, scan it for URLs, hosts and identifiers. */
function visitLeaf(st: State, t: string, layers: string, depth: number, key?: string): void {
	addText(st, t, layers, key);
	let found = false;
	for (const m of t.matchAll(URL_RE)) {
		if (st.f.urls.length >= MAX_URLS) break;
		found = true;
		addUrl(st, m[0], layers);
		const q = m[0].indexOf('?');
		if (q < 0) continue;
		const query = parseForm(m[0].slice(q + 1).split('#', 1)[0]!, MAX_FORM_PAIRS);
		if (query) visitForm(st, query, layers, 'url-query', depth + 1, new Set());
	}
	if (!found && isHostLike(t)) addUrl(st, t, layers);
	if (key === undefined) addIdentifiers(st, findIdentifiers(t), layers);
}

function visitHeaders(st: State, headers: ReadonlyArray<[string, string]>): void {
	for (const [rawName, value] of headers) {
		const name = rawName.toLowerCase();
		if (SKIP_HEADERS.has(name)) continue;
		if (name === 'cookie') {
			for (const part of value.split(';').slice(0, MAX_FORM_PAIRS)) {
				const eq = part.indexOf('=');
				if (eq <= 0) continue;
				const k = part.slice(0, eq).trim();
				const layers = `cookie:${k}`;
				const v = part.slice(eq + 1).trim();
				addField(st, k, v, layers);
				visitString(st, v, layers, 1, k);
			}
			continue;
		}
		const layers = `header:${name}`;
		addField(st, name, value, layers);
		visitString(st, value, layers, 1, name);
	}
}

function visitPath(st: State, path: string): void {
	const q = path.indexOf('?');
	const pathPart = q < 0 ? path : path.slice(0, q);
	for (const seg of pathPart.split('/').slice(0, MAX_FORM_PAIRS)) {
		// Path segments carry base64 or URL-encoded URLs in some trackers; short ones are just routes.
		if (seg.length >= 16) visitString(st, percentDecode(seg, false), 'path', 1);
	}
	if (q < 0) return;
	const pairs = parseForm(path.slice(q + 1).split('#', 1)[0]!, MAX_FORM_PAIRS);
	if (!pairs) return;
	const consumed = runRecognisers(st, pairs, 'query', {}, 1);
	visitForm(st, pairs, '', 'query', 1, consumed);
}

/** Which content best tells a human what this payload says. */
function pickExcerpt(f: PayloadFindings): string | undefined {
	const note = f.layers.find((n) => n.kind === 'search') ?? f.layers.find((n) => n.kind === 'url') ?? f.layers.find((n) => n.kind === 'identifier');
	if (note) return truncateChars(`${note.value} via ${note.layers}`, MAX_EXCERPT_CHARS);
	const fr = f.formatResults.find((r) => r.events.length > 0 || r.notes.length > 0);
	if (fr) {
		const events = fr.events.slice(0, 3).map((e) => e.name).join(', ');
		return truncateChars(`${fr.format}: ${events || fr.notes.join('; ')}`, MAX_EXCERPT_CHARS);
	}
	const text = f.texts[0];
	return text ? truncateChars(`${text.text} via ${text.layers}`, MAX_EXCERPT_CHARS) : undefined;
}

/** Decode a request's path, headers and body in any nesting (bounded) and report what they reveal. */
export function inspectPayload(input: PayloadInput, opts: PayloadOptions = {}): PayloadFindings {
	const f: PayloadFindings = {
		urls: [], searchTerms: [], fields: [], identifiers: [], formats: [], formatResults: [], layers: [], texts: [],
		opaque: false, encrypted: false, truncated: false, uiEvents: [],
	};
	const st: State = {
		maxDepth: opts.maxDepth ?? DEFAULT_MAX_DEPTH,
		bytesLeft: opts.maxBytes ?? DEFAULT_MAX_BYTES,
		nodesLeft: MAX_NODES,
		recognisers: opts.recognisers ?? DEFAULT_RECOGNISERS,
		f,
		seen: new Set(),
		textChars: 0,
		opaqueBlobs: 0,
		bodyReadable: 0,
		inBody: false,
	};
	const headers = input.headers ?? [];
	if (input.path) visitPath(st, input.path);
	visitHeaders(st, headers);

	let body = input.body;
	let bodyOpaque = false;
	if (body && body.length > 0) {
		st.inBody = true;
		if (body.length > st.bytesLeft) {
			body = body.subarray(0, st.bytesLeft);
			f.truncated = true;
		}
		f.entropy = shannonEntropy(body);
		const encoding = (headerValue(headers, 'content-encoding') ?? '').toLowerCase();
		if (encoding.includes('deflate') && !isZlib(body) && !isGzip(body)) {
			const raw = inflateBounded(body, 'raw', st.bytesLeft);
			if (raw.data && raw.data.length > 0 && spend(st, raw.data.length)) body = raw.data;
			// Past the bound, as gzip and zlib bodies: say the payload was not read whole.
			else if (raw.tooLarge) f.truncated = true;
		}
		const text = !isGzip(body) && !isZlib(body) && looksLikeText(body) ? utf8(body) : undefined;
		// A body that is base64 as a whole (padding '=' included) is not a form with one empty key.
		const form = text !== undefined && !/^\s*[[{]/.test(text) && !decodeBase64(text) ? parseForm(text, MAX_FORM_PAIRS) : undefined;
		const consumed = runRecognisers(st, form, '', {path: input.path, contentType: input.contentType, headers, body}, 0);
		if (form) visitForm(st, form, '', 'form', 1, consumed);
		else visitBytes(st, body, '', 0);
		bodyOpaque = text === undefined && !isGzip(body) && !isZlib(body) && looksEncrypted(body, f.entropy);
	}
	f.opaque = st.bodyReadable === 0 && (bodyOpaque || st.opaqueBlobs > 0);
	f.encrypted = f.opaque || f.formatResults.some((r) => r.encrypted && r.parts.length === 0);
	f.excerpt = pickExcerpt(f);
	return f;
}
