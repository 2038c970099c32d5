/**
 * `tattle diff A B`: what changed between two runs (a normal run and an incognito one), as a pure
 * function of their reports. A is the reference, B the run under question: "new" means in B and
 * not in A. Destinations are matched by host name (addresses by address).
 */
import type {DIFF_FAIL_ON} from '../lib/diff-args.js';
import {hostKey, type RunDestination, type RunFlag, type RunReport} from './run-report.js';

/** What `--fail-on` can ask of a diff (exit 3 when met): lib/diff-args.ts lists them. */
export type DiffFailKind = (typeof DIFF_FAIL_ON)[number];

export type Traffic = {packets: number; bytesOut: number; bytesIn: number};

type DiffDestination = {host: string; owner: string | null; category: string} & Traffic;

type DiffShared = {
	host: string;
	owner: string | null;
	category: string;
	a: Traffic;
	b: Traffic;
	/** B minus A. */
	delta: Traffic;
	/** Decoded payload field keys sent in one run only. */
	fieldsOnlyA: string[];
	fieldsOnlyB: string[];
};

type DiffFlag = {kind: string; severity: string; host: string; summary: string};

type DiffIdentifier = {kind: string; value: string; hostsA: string[]; hostsB: string[]};

export type RunSide = {source: string; version: string; device: RunReport['device']; packets: number; bytes: number; destinations: number; flags: number};

export type RunDiff = {
	a: RunSide;
	b: RunSide;
	destinations: {onlyA: DiffDestination[]; onlyB: DiffDestination[]; both: DiffShared[]};
	/** Flags by kind: how many each run raised. */
	flagKinds: Array<{kind: string; a: number; b: number}>;
	/** Flags (kind at a host) raised in one run only. */
	flags: {onlyA: DiffFlag[]; onlyB: DiffFlag[]};
	/** Device identifiers sent in both runs (the finding that matters), and in one only. */
	identifiers: {both: DiffIdentifier[]; onlyA: DiffIdentifier[]; onlyB: DiffIdentifier[]};
	/** The --fail-on kinds this diff meets, whether asked or not. */
	meets: DiffFailKind[];
};

function side(r: RunReport): RunSide {
	return {source: r.source, version: r.version, device: r.device, packets: r.stats.packets, bytes: r.stats.bytes, destinations: r.destinations.length, flags: r.flags.length};
}

/** Destinations by host key; a host listed twice (a hand-edited report) counts once, its traffic summed. */
function byHost(ds: readonly RunDestination[]): Map<string, RunDestination> {
	const m = new Map<string, RunDestination>();
	for (const d of ds) {
		const k = hostKey(d.host);
		const had = m.get(k);
		if (!had) m.set(k, {...d, fields: [...d.fields], identifiers: [...d.identifiers]});
		else {
			had.packets += d.packets;
			had.bytesOut += d.bytesOut;
			had.bytesIn += d.bytesIn;
			had.fields.push(...d.fields);
			had.identifiers.push(...d.identifiers);
		}
	}
	return m;
}

const traffic = (d: Traffic): Traffic => ({packets: d.packets, bytesOut: d.bytesOut, bytesIn: d.bytesIn});
const only = (d: RunDestination): DiffDestination => ({host: d.host, owner: d.owner, category: d.category, ...traffic(d)});
const heavier = (x: Traffic & {host: string}, y: Traffic & {host: string}) => y.bytesOut + y.bytesIn - (x.bytesOut + x.bytesIn) || y.packets - x.packets || x.host.localeCompare(y.host);

function minus(xs: readonly string[], ys: readonly string[]): string[] {
	const drop = new Set(ys);
	return [...new Set(xs.filter((x) => !drop.has(x)))].sort();
}

/** Identifiers by kind and value, with the hosts each run sent them to. */
function identifiersOf(ds: Map<string, RunDestination>): Map<string, {kind: string; value: string; hosts: Set<string>}> {
	const m = new Map<string, {kind: string; value: string; hosts: Set<string>}>();
	for (const d of ds.values()) {
		for (const i of d.identifiers) {
			// Values are compared as the device sends them, case aside (a MAC or an id in upper or lower case).
			const k = `${i.kind}\u0000${i.value.toLowerCase()}`;
			const e = m.get(k) ?? {kind: i.kind, value: i.value, hosts: new Set<string>()};
			e.hosts.add(d.host);
			m.set(k, e);
		}
	}
	return m;
}

const flagKey = (f: RunFlag) => `${f.kind}\u0000${hostKey(f.host)}`;

/** Flags of `xs` whose kind and host `ys` never raised, one per kind and host. */
function flagsOnly(xs: readonly RunFlag[], ys: readonly RunFlag[]): DiffFlag[] {
	const other = new Set(ys.map(flagKey));
	const out = new Map<string, DiffFlag>();
	for (const f of xs) if (!other.has(flagKey(f)) && !out.has(flagKey(f))) out.set(flagKey(f), {kind: f.kind, severity: f.severity, host: f.host, summary: f.summary});
	return [...out.values()].sort((x, y) => x.kind.localeCompare(y.kind) || x.host.localeCompare(y.host));
}

/** What differs between run A and run B. */
export function diffRuns(a: RunReport, b: RunReport): RunDiff {
	const da = byHost(a.destinations);
	const db = byHost(b.destinations);
	const onlyA: DiffDestination[] = [];
	const onlyB: DiffDestination[] = [];
	const both: DiffShared[] = [];
	for (const [k, d] of da) if (!db.has(k)) onlyA.push(only(d));
	for (const [k, d] of db) {
		const x = da.get(k);
		if (!x) {
			onlyB.push(only(d));
			continue;
		}
		const delta = {packets: d.packets - x.packets, bytesOut: d.bytesOut - x.bytesOut, bytesIn: d.bytesIn - x.bytesIn};
		both.push({host: d.host, owner: d.owner ?? x.owner, category: d.category, a: traffic(x), b: traffic(d), delta, fieldsOnlyA: minus(x.fields, d.fields), fieldsOnlyB: minus(d.fields, x.fields)});
	}
	onlyA.sort(heavier);
	onlyB.sort(heavier);
	// The biggest change first: what grew or shrank most in bytes sent.
	both.sort((x, y) => Math.abs(y.delta.bytesOut) - Math.abs(x.delta.bytesOut) || Math.abs(y.delta.packets) - Math.abs(x.delta.packets) || x.host.localeCompare(y.host));

	const kinds = new Map<string, {kind: string; a: number; b: number}>();
	for (const f of a.flags) (kinds.get(f.kind) ?? kinds.set(f.kind, {kind: f.kind, a: 0, b: 0}).get(f.kind)!).a++;
	for (const f of b.flags) (kinds.get(f.kind) ?? kinds.set(f.kind, {kind: f.kind, a: 0, b: 0}).get(f.kind)!).b++;

	const ia = identifiersOf(da);
	const ib = identifiersOf(db);
	const ident = (e: {kind: string; value: string}, x?: {hosts: Set<string>}, y?: {hosts: Set<string>}): DiffIdentifier => ({
		kind: e.kind,
		value: e.value,
		hostsA: [...(x?.hosts ?? [])].sort(),
		hostsB: [...(y?.hosts ?? [])].sort(),
	});
	const byId = (x: DiffIdentifier, y: DiffIdentifier) => x.kind.localeCompare(y.kind) || x.value.localeCompare(y.value);
	const identifiers = {
		both: [...ia].filter(([k]) => ib.has(k)).map(([k, e]) => ident(e, e, ib.get(k))).sort(byId),
		onlyA: [...ia].filter(([k]) => !ib.has(k)).map(([, e]) => ident(e, e, undefined)).sort(byId),
		onlyB: [...ib].filter(([k]) => !ia.has(k)).map(([, e]) => ident(e, undefined, e)).sort(byId),
	};
	const flags = {onlyA: flagsOnly(a.flags, b.flags), onlyB: flagsOnly(b.flags, a.flags)};
	const meets: DiffFailKind[] = [];
	if (onlyB.length > 0) meets.push('new-destination');
	if (identifiers.both.length > 0) meets.push('identifier');
	if (flags.onlyB.length > 0) meets.push('new-flag');
	return {
		a: side(a),
		b: side(b),
		destinations: {onlyA, onlyB, both},
		flagKinds: [...kinds.values()].sort((x, y) => x.kind.localeCompare(y.kind)),
		flags,
		identifiers,
		meets,
	};
}

/** The asked --fail-on kinds the diff meets ("any": every kind). */
export function failedKinds(d: RunDiff, failOn: readonly string[]): DiffFailKind[] {
	return d.meets.filter((k) => failOn.includes('any') || failOn.includes(k));
}
