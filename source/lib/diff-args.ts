/**
 * `tattle diff A B`: its own small parser (pure, no I/O), because diff shares no option with live
 * and replay but the classification ones, and its --fail-on kinds are its own. Wrong arguments
 * throw UsageError.
 */
import {parseArgs as tokenize} from 'node:util';
import {DEFAULT_MAX_BODY, UsageError} from './args.js';

/** What --fail-on can ask of a diff (source/report/diff.ts computes them). */
export const DIFF_FAIL_ON = ['new-destination', 'identifier', 'new-flag'] as const;

export type DiffOptions = {
	/** A (the reference run) and B (the run compared with it): bundles, captures or JSON reports. */
	a: string;
	b: string;
	format: 'text' | 'json' | 'md';
	/** Kinds that make the exit code 3 when the diff meets them ("any": every kind). */
	failOn: string[];
	rules: string[];
	blocklist: string[];
	maxBody: number;
};

const OPTIONS = {
	json: {type: 'boolean'},
	md: {type: 'boolean'},
	'fail-on': {type: 'string', multiple: true},
	rules: {type: 'string', multiple: true},
	blocklist: {type: 'string', multiple: true},
	'max-body': {type: 'string'},
} as const;

function failKinds(values: readonly string[]): string[] {
	const kinds = values.flatMap((v) => v.split(','));
	const unknown = kinds.find((k) => k !== 'any' && !(DIFF_FAIL_ON as readonly string[]).includes(k));
	if (unknown !== undefined) throw new UsageError(`diff --fail-on: unknown kind ${unknown || '(empty)'} (one of ${DIFF_FAIL_ON.join(', ')}, any)`);
	return kinds;
}

/** Parses the arguments after the word `diff`. */
export function parseDiffArgs(argv: readonly string[]): DiffOptions {
	let parsed;
	try {
		parsed = tokenize({args: [...argv], options: OPTIONS, strict: true, allowPositionals: true});
	} catch (error) {
		// node:util says e.g. "Unknown option '--x'": keep its words, point at the help.
		throw new UsageError(`diff: ${(error as Error).message.replace(/\. To specify a positional.*$/s, '')} (see tattle --help)`);
	}
	const {values, positionals} = parsed;
	if (positionals.length !== 2) throw new UsageError(`diff needs two runs, A and B (bundles, captures or JSON reports), got ${positionals.length}`);
	if (values.json && values.md) throw new UsageError('diff: --json and --md contradict each other (pick one)');
	let maxBody = DEFAULT_MAX_BODY;
	if (values['max-body'] !== undefined) {
		maxBody = Number(values['max-body']);
		if (!Number.isInteger(maxBody) || maxBody <= 0) throw new UsageError(`diff --max-body: expected a positive integer, got ${values['max-body']}`);
	}
	return {
		a: positionals[0]!,
		b: positionals[1]!,
		format: values.json ? 'json' : values.md ? 'md' : 'text',
		failOn: failKinds(values['fail-on'] ?? []),
		rules: values.rules ?? [],
		blocklist: values.blocklist ?? [],
		maxBody,
	};
}
