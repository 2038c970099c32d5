/**
 * Ink 6.8's incremental writer rewinds the cursor one row too few for a frame that ends in a
 * newline (ink issue #909, fixed in Ink 7, which needs Node 22). Our frame is one row shorter
 * than the terminal, so every frame ends in a newline: without this fix each repaint lands one
 * row lower, leaving stale and duplicated rows (seen in tmux at 80x24).
 *
 * The faulty rewind is the only write Ink starts with a bare cursor-up (its other writes start
 * with an erase, text, or sync markers), so adding the missing row there is exact.
 */

const REWIND = /^\u001B\[(\d+)A/;

/** The chunk with one more row of rewind, when it is an incremental frame. */
export function fixRewind(chunk: string): string {
	const m = REWIND.exec(chunk);
	return m ? `\u001B[${Number(m[1]) + 1}A${chunk.slice(m[0].length)}` : chunk;
}

/** A view of `stream` whose string writes pass through `transform`; everything else is the stream's own. */
export function mapWrites<T extends NodeJS.WriteStream>(stream: T, transform: (chunk: string) => string): T {
	const write = (chunk: unknown, ...rest: unknown[]): boolean =>
		(stream.write as (...args: unknown[]) => boolean)(typeof chunk === 'string' ? transform(chunk) : chunk, ...rest);
	return new Proxy(stream, {
		get(target, prop) {
			if (prop === 'write') return write;
			const value: unknown = Reflect.get(target, prop, target);
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		},
	});
}
