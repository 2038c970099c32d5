/** The names a DNS event mentions, for the destination table: questions, answers, CNAME and SVCB targets. */
import type {DnsEvent} from '../types.js';

/**
 * The distinct names a DNS event mentions, in first-seen order. Most events name only their
 * question: that case skips building a Set (one per DNS message in a replay).
 */
export function dnsNames(e: DnsEvent): Iterable<string> {
	const q = e.query;
	let single = true;
	if (e.questions) for (const x of e.questions) if (x.name && x.name !== q) single = false;
	for (const a of e.answers) {
		if (a.name && a.name !== q) single = false;
		if ((a.type === 'CNAME' || a.type === 'HTTPS' || a.type === 'SVCB') && a.value && a.value !== '.' && a.value !== q) single = false;
	}
	if (single) return q ? [q] : [];
	const names = new Set<string>();
	if (q) names.add(q);
	if (e.questions) for (const x of e.questions) if (x.name) names.add(x.name);
	for (const a of e.answers) {
		if (a.name) names.add(a.name);
		if (a.type === 'CNAME' || a.type === 'HTTPS' || a.type === 'SVCB') if (a.value && a.value !== '.') names.add(a.value);
	}
	return names;
}
