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

/** A view of `stream` whose writes get the rewind fix; everything else (size, isTTY, events) is the stream's own. */
export function withRewindFix<T extends NodeJS.WriteStream>(stream: T): T {
	return mapWrites(stream, fixRewind);
}

/** Ink's begin and end of a synchronized update (DEC mode 2026), each written on its own. */
const BEGIN_SYNC = '\u001B[?2026h';
const END_SYNC = '\u001B[?2026l';

/**
 * A view of `stream` that writes each of Ink's synchronized frames (begin marker, frame, end
 * marker: three writes) as one write: a third of the writes, the same bytes in the same order.
 * Ink writes a frame in one task; what is held is written at the end of the task at the latest.
 */
export function oneWritePerFrame<T extends NodeJS.WriteStream>(stream: T): T {
	const write = (stream.write as Write).bind(stream);
	let held: string | undefined;
	const release = (): void => {
		if (held === undefined) return;
		const text = held;
		held = undefined;
		write(text);
	};
	return withWrite(stream, (chunk, ...rest) => {
		if (held === undefined && chunk === BEGIN_SYNC && rest.length === 0) {
			held = chunk;
			queueMicrotask(release);
			return true;
		}
		if (held === undefined) return write(chunk, ...rest);
		if (typeof chunk !== 'string' || rest.length > 0) {
			release();
			return write(chunk, ...rest);
		}
		held += chunk;
		if (chunk === END_SYNC) release();
		return true;
	});
}

type Write = (chunk: unknown, ...rest: unknown[]) => boolean;

/** A view of `stream` whose string writes pass through `transform`; everything else is the stream's own. */
export function mapWrites<T extends NodeJS.WriteStream>(stream: T, transform: (chunk: string) => string): T {
	return withWrite(stream, (chunk, ...rest) => (stream.write as Write)(typeof chunk === 'string' ? transform(chunk) : chunk, ...rest));
}

/** A view of `stream` with its own `write`; everything else (size, isTTY, events) is the stream's own. */
function withWrite<T extends NodeJS.WriteStream>(stream: T, write: Write): T {
	return new Proxy(stream, {
		get(target, prop) {
			if (prop === 'write') return write;
			const value: unknown = Reflect.get(target, prop, target);
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		},
	});
}
