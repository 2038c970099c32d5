/**
 * `tattle diff A B`: read both runs (saved reports, or bundles and captures replayed headless),
 * diff them with a pure function, print the diff (text, --json or --md) on stdout, and exit 3
 * when a --fail-on kind is met.
 */
import type {DiffOptions} from '../lib/diff-args.js';
import {diffRuns, failedKinds} from '../report/diff.js';
import {diffJson, diffMarkdownLines, diffTextLines} from '../report/diff-render.js';
import {version} from './package-info.js';
import {readRun} from './run-input.js';

/** Runs the diff; returns the exit code (0, or 3 when a --fail-on kind is met). */
export async function runDiff(opts: DiffOptions): Promise<number> {
	// One after the other: the machine's cores are better spent on one replay at a time.
	const a = await readRun(opts.a, 'diff A', opts);
	const b = await readRun(opts.b, 'diff B', opts);
	const diff = diffRuns(a, b);
	const failed = failedKinds(diff, opts.failOn);
	if (opts.format === 'json') process.stdout.write(diffJson(diff, version, failed));
	else {
		const lines = opts.format === 'md' ? diffMarkdownLines(diff, failed) : diffTextLines(diff, failed);
		process.stdout.write([...lines].join('\n') + '\n');
	}
	return failed.length > 0 ? 3 : 0;
}
