import {Text} from 'ink';
import {displayWidth, truncateEnd} from '../../lib/sanitize.js';
import {tint, useTheme} from '../theme.js';

/** A run of text in one style. */
export type Segment = {text: string; color?: string; bold?: boolean; dim?: boolean; inverse?: boolean};

type SegmentLineProps = {segments: readonly Segment[]; width: number};

/** One line of styled segments, cut at `width` columns (the last visible segment gets the ellipsis). */
export function SegmentLine({segments, width}: SegmentLineProps) {
	const theme = useTheme();
	let room = width;
	const shown: Segment[] = [];
	for (const s of segments) {
		if (room <= 0) break;
		const w = displayWidth(s.text);
		if (w <= room) {
			shown.push(s);
			room -= w;
		} else {
			shown.push({...s, text: truncateEnd(s.text, room, theme)});
			room = 0;
		}
	}

	return (
		<Text wrap="truncate-end">
			{shown.map((s, i) => (
				<Text key={i} color={tint(theme, s.color)} bold={s.bold} dimColor={s.dim} inverse={s.inverse}>
					{s.text}
				</Text>
			))}
		</Text>
	);
}

/** Segments with a separator segment between groups (empty groups are skipped). */
export function joinGroups(groups: ReadonlyArray<readonly Segment[]>, separator: string): Segment[] {
	const out: Segment[] = [];
	for (const group of groups) {
		if (group.length === 0) continue;
		if (out.length > 0) out.push({text: ` ${separator} `, dim: true});
		out.push(...group);
	}

	return out;
}
