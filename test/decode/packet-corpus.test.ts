/**
 * decodePacket and parseDns against tshark's truth for every corpus capture: per IP pair frames and
 * bytes each way (outermost IP), and the DNS question names and answer (owner, type, value) sets.
 */
import {describe, expect, it} from 'vitest';
import {corpusPath, corpusPcaps, hasCorpus, readTruth} from '../helpers/corpus.js';
import {walkCapture} from './corpus-walk.js';

/** Files where we legitimately differ from tshark on conv, and why. */
const convKnownDifferences: Record<string, string> = {};

/**
 * Files where we legitimately differ from tshark on DNS, and why. For these the truth must still be
 * a subset of what we find (we may find more, never less).
 */
const dnsKnownDifferences: Record<string, string> = {
	'ndpi__fuzz-2006-06-26-2594.pcap':
		'frame 642 is a first IPv4 fragment (MF set) whose rest never came: tshark waits for reassembly and shows no DNS; we read the question in the first fragment',
};

/** Decode-As files from TRUTH.md: DNS on port 8053. */
const DECODE_AS_DNS: Record<string, number[]> = {
	'tcpdump__dns_tcp_8053.pcap': [53, 8053],
	'tcpdump__dns_udp_8053.pcap': [53, 8053],
};

/** tshark prints the empty (root) name as <Root>. */
function tsharkName(name: string): string {
	return name === '' ? '<Root>' : name;
}

const files = corpusPcaps();

describe.runIf(hasCorpus)('decode against the corpus truth', () => {
	it.each(files)('%s', async (file) => {
		const truth = readTruth(file);
		const walk = await walkCapture(corpusPath('pcap', file), DECODE_AS_DNS[file]);

		const wantConv = new Map<string, string>();
		for (const f of truth.get('conv') ?? []) wantConv.set(`${f[0]} ${f[1]} ${f[2]}`, f.slice(3, 7).join(' '));
		const gotConv = new Map<string, string>();
		for (const [k, c] of walk.conv) gotConv.set(k, `${c.framesAB} ${c.bytesAB} ${c.framesBA} ${c.bytesBA}`);
		if (!(file in convKnownDifferences)) expect(Object.fromEntries(gotConv), 'conv').toEqual(Object.fromEntries(wantConv));

		const wantQ = new Set<string>();
		for (const f of truth.get('dns.query') ?? []) wantQ.add(f[3]!);
		const wantA = new Set<string>();
		for (const f of truth.get('dns.answer') ?? []) wantA.add(`${f[2]} ${f[3]} ${f[4]}`);
		const gotQ = new Set<string>();
		const gotA = new Set<string>();
		for (const {msg} of walk.dns) {
			for (const q of msg.questions) gotQ.add(tsharkName(q.name));
			for (const a of msg.answers) {
				if (a.type === 'A' || a.type === 'AAAA' || a.type === 'CNAME') gotA.add(`${tsharkName(a.name)} ${a.type} ${tsharkName(a.value)}`);
			}
		}
		if (!(file in dnsKnownDifferences)) {
			expect([...gotQ].sort(), 'dns.query names').toEqual([...wantQ].sort());
			expect([...gotA].sort(), 'dns.answer records').toEqual([...wantA].sort());
		} else {
			expect([...wantQ].filter((q) => !gotQ.has(q)), 'dns.query names missed').toEqual([]);
			expect([...wantA].filter((a) => !gotA.has(a)), 'dns.answer records missed').toEqual([]);
		}
	});
});
