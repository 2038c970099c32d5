/**
 * `tattle export --out DIR PATH...`: its own small parser (pure, no I/O), because export shares no
 * option with live and replay but the classification ones. Wrong arguments throw UsageError.
 */
import {parseArgs as tokenize} from 'node:util';
import {UsageError} from './args.js';

export type ExportOptions = {
	/** Folder the table files and load.sql go to: new, or empty. */
	out: string;
	/** Capture bundles, .pcap/.pcapng files or tattle JSON reports, one session each. */
	paths: string[];
	rules: string[];
	blocklist: string[];
	quiet: boolean;
};

const OPTIONS = {
	out: {type: 'string'},
	rules: {type: 'string', multiple: true},
	blocklist: {type: 'string', multiple: true},
	quiet: {type: 'boolean', short: 'q'},
} as const;

/** Parses the arguments after the word `export`. */
export function parseExportArgs(argv: readonly string[]): ExportOptions {
	let parsed;
	try {
		parsed = tokenize({args: [...argv], options: OPTIONS, strict: true, allowPositionals: true});
	} catch (error) {
		// node:util says e.g. "Unknown option '--x'": keep its words, point at the help.
		throw new UsageError(`export: ${(error as Error).message.replace(/\. To specify a positional.*$/s, '')} (see tattle --help)`);
	}
	const {values, positionals} = parsed;
	if (!values.out) throw new UsageError('export needs --out DIR (the folder the tables go to)');
	if (positionals.length === 0) throw new UsageError('export needs at least one PATH: a capture bundle, a .pcap/.pcapng file or a tattle JSON report');
	return {out: values.out, paths: positionals, rules: values.rules ?? [], blocklist: values.blocklist ?? [], quiet: values.quiet ?? false};
}
