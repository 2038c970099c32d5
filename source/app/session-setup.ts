/** The session every mode shares, and what the user states up front: rules, markers. */
import type {CliOptions} from '../lib/args.js';
import type {SessionEvent} from '../types.js';
import {sanitize} from '../lib/sanitize.js';
import {createIpInfo} from '../classify/geo.js';
import {loadGeoData} from '../sources/geo-data.js';
import type {BundleMeta} from '../sources/replay-source.js';
import {Session} from '../ingest/session.js';
import {fail} from './exit.js';
import {ndjsonWriter} from './outputs.js';
import {loadClassifier} from './rule-files.js';

/**
 * The session: classifier, optional NDJSON output, offline GeoIP loading in the background (`geo`).
 * `onEvent` takes the events instead of --json's stdout (export builds its tables from them).
 */
export function makeSession(
	opts: CliOptions,
	log: {logYear?: number; logZone?: string},
	onEvent: ((event: SessionEvent) => void) | undefined = opts.json ? ndjsonWriter(process.stdout) : undefined,
): {session: Session; geo: Promise<void>} {
	const classifier = loadClassifier({rules: opts.rules, blocklists: opts.blocklist});
	if (!classifier.ok) fail(classifier.error);
	const session = new Session({
		classifier: classifier.value.rules,
		browserLogRules: classifier.value.browserLogRules,
		maxBody: opts.maxBody,
		logYear: log.logYear,
		logZone: log.logZone,
		onEvent,
	});
	const geo = loadGeoData()
		.then((data) => session.setIpInfo(createIpInfo(data)))
		.catch((error: Error) => {
			session.setIpInfo(createIpInfo());
			process.stderr.write(`tattle: offline GeoIP/ASN data unavailable (${sanitize(error.message)}); countries left blank\n`);
		});
	return {session, geo};
}

/** Incognito windows and notes stated by hand: --incognito, and the markers a bundle recorded. */
export function applyMarkers(session: Session, opts: CliOptions, markers: BundleMeta['markers']): void {
	for (const w of opts.incognito) session.addIncognitoWindow(w.pkg, w.from, w.to);
	const open = new Map<string | undefined, number>();
	for (const m of [...(markers ?? [])].filter((x) => Number.isFinite(x?.ts)).sort((a, b) => a.ts - b.ts)) {
		if (m.kind === 'incognito-on') open.set(m.pkg, m.ts);
		else if (m.kind === 'incognito-off') {
			const from = open.get(m.pkg);
			if (from !== undefined) session.addIncognitoWindow(m.pkg, from, m.ts);
			open.delete(m.pkg);
		} else session.addMarker(String(m.text ?? 'marker'), m.ts);
	}
	for (const [pkg, from] of open) session.addIncognitoWindow(pkg, from, undefined);
}

export type CaptureHooks = {
	onCustomBlock(pen: number, data: Uint8Array): void;
	onSecrets(s: {secretsType: number; data: Uint8Array}): void;
	onFormat(format: string): void;
};

/** What every capture source reports besides packets: UID maps, DSB secrets, the format (pcapng: keys may come). */
export function captureHooks(session: Session): CaptureHooks {
	return {
		onCustomBlock: (pen, data) => session.addCustomBlock(pen, data.slice()),
		onSecrets: (s) => session.addSecrets(s.secretsType, s.data),
		onFormat: (f) => {
			if (f === 'pcapng') session.expectKeys();
		},
	};
}
