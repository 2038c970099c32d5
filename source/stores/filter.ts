/**
 * The `/` filter: one rule for every panel. A row matches when any of its facts contains the
 * typed text, case-insensitively; a row that names a host also matches on what is known about
 * that host (its owner, category, country, AS org), so "google" finds Google's destinations,
 * the flags raised against them and the events that name them alike.
 */
import type {DestinationSummary, Flag, TimelineEntry} from '../types.js';

/** What a row can be found by. Every field is optional: a panel fills what its rows have. */
type FilterFacts = {
	host?: string;
	/** The destination behind `host`, when known: its owner, category, country, AS org, IPs, apps. */
	destination?: DestinationSummary;
	apps?: readonly string[];
	category?: string;
	words?: ReadonlyArray<string | undefined>;
};

/** The filter as typed, in the form every match compares against (trimmed, lower case). */
export function filterNeedle(text: string): string {
	return text.trim().toLowerCase();
}

function contains(field: string | undefined, needle: string): boolean {
	return field !== undefined && field.toLowerCase().includes(needle);
}

/** The one matching rule (pure): true when `needle` (see filterNeedle) is empty or in any fact. */
export function rowMatches(needle: string, facts: FilterFacts): boolean {
	if (needle === '') return true;
	const d = facts.destination;
	const fields: Array<string | undefined> = [facts.host, facts.category, ...(facts.apps ?? []), ...(facts.words ?? [])];
	if (d) fields.push(d.host, d.owner, d.category, d.country, d.asOrg, ...d.apps, ...d.ips);
	return fields.some(f => contains(f, needle));
}

/** The facts of a destination row. */
export function destinationFacts(d: DestinationSummary): FilterFacts {
	return {destination: d};
}

/** The facts of a flag: its own words, and its host's destination (owner, category...). */
export function flagFacts(f: Flag, destination: DestinationSummary | undefined): FilterFacts {
	return {host: f.host, destination, apps: f.app ? [f.app] : [], words: [f.kind, f.severity, f.summary, f.evidence.foreground]};
}

/** The facts of a timeline entry: its kind, source and text (which names hosts and apps). */
export function eventFacts(e: TimelineEntry): FilterFacts {
	return {words: [e.kind, e.source, e.text]};
}
