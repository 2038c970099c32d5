/**
 * A run diff for people (terminal text, Markdown) and for scripts (JSON). Every string in a diff
 * came from a capture or a saved file: text output sanitises it, Markdown escapes it as the
 * Markdown report does (markdownText), JSON has control characters stripped.
 */
import {formatBytes, formatInteger} from '../lib/format.js';
import {fitWidth, sanitize} from '../lib/sanitize.js';
import type {DiffFailKind, RunDiff, RunSide, Traffic} from './diff.js';
import {markdownText as md} from './report.js';

/** Longest string in a diff line or JSON value (a hostile 64 KiB host stays one readable line). */
const MAX_TEXT = 512;
/** Column of host names in the terminal text: most hosts fit; longer ones are cut in the middle. */
const HOST_COLUMN = 40;
/** Field keys listed per destination in the terminal text before "(+N more)". */
const MAX_FIELDS_SHOWN = 12;

const t = (s: string | null | undefined): string => sanitize(s ?? '', MAX_TEXT);

/** A signed change: "+12", "-3", "0". */
function signed(n: number, fmt: (n: number) => string = formatInteger): string {
	return n > 0 ? `+${fmt(n)}` : n < 0 ? `-${fmt(-n)}` : '0';
}

function runLine(label: string, s: RunSide): string {
	const device = [s.device.model, s.device.serial].filter(Boolean).join(' ');
	return `${label}: ${t(s.source)} (${device ? `${t(device)}, ` : ''}${formatInteger(s.packets)} packets, ${s.destinations} destinations, ${s.flags} flags)`;
}

function trafficWords(x: Traffic): string {
	return `${formatInteger(x.packets)} pkts, ${formatBytes(x.bytesOut)} out, ${formatBytes(x.bytesIn)} in`;
}

function listFields(keys: readonly string[]): string {
	const shown = keys.slice(0, MAX_FIELDS_SHOWN).map(t).join(', ');
	return keys.length > MAX_FIELDS_SHOWN ? `${shown} (+${keys.length - MAX_FIELDS_SHOWN} more)` : shown;
}

/** The diff as terminal text, line by line; `failed` are the --fail-on kinds met. */
export function* diffTextLines(d: RunDiff, failed: readonly DiffFailKind[] = []): Generator<string> {
	const host = (h: string) => fitWidth(t(h), HOST_COLUMN, {ascii: true, truncate: 'middle'});
	yield 'tattle diff: A is the reference run, B the run compared with it';
	yield `  ${runLine('A', d.a)}`;
	yield `  ${runLine('B', d.b)}`;
	const {onlyA, onlyB, both} = d.destinations;
	for (const [title, list] of [
		['only in A', onlyA],
		['only in B (new)', onlyB],
	] as const) {
		yield '';
		yield `Destinations ${title}: ${list.length}`;
		for (const x of list) yield `  ${host(x.host)} ${t(x.category).padEnd(15)} ${trafficWords(x)}${x.owner ? `  (${t(x.owner)})` : ''}`;
	}
	yield '';
	yield `Destinations in both: ${both.length} (A -> B, change)`;
	for (const x of both) {
		yield `  ${host(x.host)} ${formatInteger(x.a.packets)} -> ${formatInteger(x.b.packets)} pkts (${signed(x.delta.packets)}), out ${formatBytes(x.a.bytesOut)} -> ${formatBytes(x.b.bytesOut)} (${signed(x.delta.bytesOut, formatBytes)})`;
		if (x.fieldsOnlyA.length > 0) yield `      fields only in A: ${listFields(x.fieldsOnlyA)}`;
		if (x.fieldsOnlyB.length > 0) yield `      fields only in B: ${listFields(x.fieldsOnlyB)}`;
	}
	yield '';
	yield `${'Flags by kind:'.padEnd(27)}A     B`;
	if (d.flagKinds.length === 0) yield '  (none in either run)';
	for (const k of d.flagKinds) yield `  ${t(k.kind).padEnd(22)} ${String(k.a).padStart(3)}   ${String(k.b).padStart(3)}`;
	for (const [title, list] of [
		['Flags only in A', d.flags.onlyA],
		['Flags only in B (new)', d.flags.onlyB],
	] as const) {
		if (list.length === 0) continue;
		yield '';
		yield `${title}: ${list.length}`;
		for (const f of list) yield `  ${t(f.kind)} (${t(f.severity)}) at ${t(f.host)}: ${t(f.summary)}`;
	}
	yield '';
	yield `Identifiers sent in both runs: ${d.identifiers.both.length}`;
	for (const i of d.identifiers.both) yield `  ${t(i.kind)} ${t(i.value)}: A to ${i.hostsA.map(t).join(', ')}; B to ${i.hostsB.map(t).join(', ')}`;
	for (const [title, list, hosts] of [
		['Identifiers only in A', d.identifiers.onlyA, 'hostsA'],
		['Identifiers only in B', d.identifiers.onlyB, 'hostsB'],
	] as const) {
		if (list.length === 0) continue;
		yield `${title}: ${list.length}`;
		for (const i of list) yield `  ${t(i.kind)} ${t(i.value)}: to ${i[hosts].map(t).join(', ')}`;
	}
	if (failed.length > 0) {
		yield '';
		yield `--fail-on met: ${failed.join(', ')}`;
	}
}

/** The diff as Markdown, line by line: every untrusted string through the Markdown report's escaping. */
export function* diffMarkdownLines(d: RunDiff, failed: readonly DiffFailKind[] = []): Generator<string> {
	yield '# tattle diff';
	yield '';
	for (const [label, s] of [
		['A (reference)', d.a],
		['B (compared)', d.b],
	] as const) {
		yield `- ${label}: ${md(s.source)}: ${md([s.device.model, s.device.serial].filter(Boolean).join(' '))}, ${s.packets} packets, ${s.destinations} destinations, ${s.flags} flags`;
	}
	if (failed.length > 0) yield `- --fail-on met: ${failed.join(', ')}`;
	const table = '| host | owner | category | packets | bytes out | bytes in |';
	for (const [title, list] of [
		['Only in A', d.destinations.onlyA],
		['Only in B (new)', d.destinations.onlyB],
	] as const) {
		yield* ['', `## Destinations ${title.toLowerCase()} (${list.length})`, ''];
		if (list.length === 0) {
			yield 'None.';
			continue;
		}
		yield* [table, '|---|---|---|---|---|---|'];
		for (const x of list) yield `| ${md(x.host)} | ${md(x.owner)} | ${md(x.category)} | ${x.packets} | ${x.bytesOut} | ${x.bytesIn} |`;
	}
	yield* ['', `## Destinations in both (${d.destinations.both.length})`, ''];
	yield* ['| host | packets A | packets B | change | bytes out A | bytes out B | change | fields only in A | fields only in B |', '|---|---|---|---|---|---|---|---|---|'];
	for (const x of d.destinations.both) {
		yield `| ${md(x.host)} | ${x.a.packets} | ${x.b.packets} | ${signed(x.delta.packets, String)} | ${x.a.bytesOut} | ${x.b.bytesOut} | ${signed(x.delta.bytesOut, String)} | ${md(x.fieldsOnlyA.join(' '))} | ${md(x.fieldsOnlyB.join(' '))} |`;
	}
	yield* ['', '## Flags by kind', '', '| kind | A | B |', '|---|---|---|'];
	for (const k of d.flagKinds) yield `| ${md(k.kind)} | ${k.a} | ${k.b} |`;
	for (const [title, list] of [
		['Flags only in A', d.flags.onlyA],
		['Flags only in B (new)', d.flags.onlyB],
	] as const) {
		yield* ['', `## ${title} (${list.length})`, ''];
		for (const f of list) yield `- ${md(f.kind)} (${md(f.severity)}) at ${md(f.host)}: ${md(f.summary)}`;
	}
	yield* ['', `## Identifiers sent in both runs (${d.identifiers.both.length})`, ''];
	for (const i of d.identifiers.both) yield `- ${md(i.kind)} ${md(i.value)}: A to ${md(i.hostsA.join(', '))}; B to ${md(i.hostsB.join(', '))}`;
	for (const [title, list, hosts] of [
		['only in A', d.identifiers.onlyA, 'hostsA'],
		['only in B', d.identifiers.onlyB, 'hostsB'],
	] as const) {
		if (list.length > 0) yield* ['', `## Identifiers ${title} (${list.length})`, ''];
		for (const i of list) yield `- ${md(i.kind)} ${md(i.value)}: to ${md(i[hosts].join(', '))}`;
	}
}

/** JSON replacer: strings lose control characters and are capped. */
function cleanStrings(_key: string, value: unknown): unknown {
	return typeof value === 'string' ? sanitize(value, MAX_TEXT) : value;
}

/** The diff as JSON for scripts: the diff object, the tool, and the --fail-on kinds met. */
export function diffJson(d: RunDiff, version: string, failed: readonly DiffFailKind[] = []): string {
	return JSON.stringify({tool: {name: 'tattle', version}, ...d, failed}, cleanStrings, 2) + '\n';
}
