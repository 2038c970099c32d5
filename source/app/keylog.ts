/** --keylog: TLS keys from an NSS key log, read whole or followed, into the session (and the bundle being recorded). */
import {sanitize} from '../lib/sanitize.js';
import {followKeyLog, KeyLogError, keyLogPath, readKeyLogFile} from '../sources/keylog-source.js';
import type {Session} from '../ingest/session.js';
import {fail} from './exit.js';

/**
 * --keylog FILE is read whole now (keys before the first packet); follow:FILE is followed until
 * `signal`, each piece going to the session and to the bundle being recorded. Resolves when done.
 */
export function startKeyLog(spec: string | undefined, session: Session, signal: AbortSignal, rec: {keys(text: string): void} | undefined): Promise<void> {
	if (!spec) return Promise.resolve();
	const {path: file, follow} = keyLogPath(spec);
	if (!follow) {
		let text: string;
		try {
			text = readKeyLogFile(file);
		} catch (error) {
			if (error instanceof KeyLogError) fail(error.message);
			throw error;
		}
		session.addKeyLog(text, true);
		rec?.keys(text);
		return Promise.resolve();
	}
	session.expectKeys();
	return followKeyLog(
		file,
		(text) => {
			session.addKeyLog(text);
			rec?.keys(text);
		},
		{signal},
	)
		.then(() => session.addKeyLog('', true))
		.catch((error: Error) => {
			session.setStatus({source: 'keylog', state: 'down', detail: error.message, ts: Date.now() / 1000});
			process.stderr.write(`tattle: --keylog ${sanitize(file)}: ${sanitize(error.message)}\n`);
		});
}
