/**
 * Small text graphics, pure: sparklines and proportional bars.
 */
import type {Glyphs} from './theme.js';

/** The last `width` values as a sparkline scaled to their own maximum; blanks pad the left. */
export function sparkline(values: readonly number[], width: number, g: Pick<Glyphs, 'spark'>): string {
	if (width <= 0) return '';
	const tail = values.slice(-width);
	const max = tail.reduce((m, v) => (Number.isFinite(v) && v > m ? v : m), 0);
	const levels = g.spark.length;
	const chars = tail.map(v => {
		if (!Number.isFinite(v) || v <= 0 || max <= 0) return ' ';
		return g.spark[Math.min(levels - 1, Math.floor((v / max) * (levels - 1) + 0.5))]!;
	});
	return ' '.repeat(width - chars.length) + chars.join('');
}

/** A bar `share` (0..1) of `width` columns long, padded with the track glyph; any non-zero share shows one cell. */
export function bar(share: number, width: number, g: Pick<Glyphs, 'bar' | 'barTrack'>): string {
	if (width <= 0) return '';
	const s = Number.isFinite(share) ? Math.min(1, Math.max(0, share)) : 0;
	const filled = s > 0 ? Math.max(1, Math.round(s * width)) : 0;
	return g.bar.repeat(filled) + g.barTrack.repeat(width - filled);
}
