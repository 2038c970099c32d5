/**
 * Column fitting for the panel tables, pure: drop the least important columns until the rest
 * fit, then give the spare width to the flexible ones.
 */

export type ColumnSpec<K extends string = string> = {
	key: K;
	title: string;
	/** Fixed width, or the minimum width of a flexible column. */
	width: number;
	/** Share of the spare width; absent for fixed columns. */
	flex?: number;
	/** Lower is more important; columns are dropped from the highest number down. 0 is never dropped. */
	priority: number;
	align?: 'left' | 'right';
	truncate?: 'end' | 'middle';
};

type FittedColumn<K extends string = string> = ColumnSpec<K> & {fitted: number};

/** Columns between cells. */
export const CELL_GAP = 1;

const needed = (cols: readonly ColumnSpec[]): number =>
	cols.reduce((sum, c) => sum + c.width, 0) + CELL_GAP * Math.max(0, cols.length - 1);

/** The columns that fit in `width`, in their original order, with final widths. */
export function fitColumns<K extends string>(columns: ReadonlyArray<ColumnSpec<K>>, width: number): Array<FittedColumn<K>> {
	let kept = [...columns];
	while (needed(kept) > width) {
		const droppable = kept.filter(c => c.priority > 0);
		if (droppable.length === 0) break;
		const worst = droppable.reduce((a, b) => (b.priority >= a.priority ? b : a));
		kept = kept.filter(c => c !== worst);
	}

	let spare = Math.max(0, width - needed(kept));
	const flexTotal = kept.reduce((sum, c) => sum + (c.flex ?? 0), 0);
	const fitted = kept.map(c => ({...c, fitted: c.width}));
	if (flexTotal > 0) {
		const flexible = fitted.filter(c => c.flex);
		let given = 0;
		for (const c of flexible) {
			const extra = Math.floor((spare * c.flex!) / flexTotal);
			c.fitted += extra;
			given += extra;
		}

		spare -= given;
		if (spare > 0) flexible[0]!.fitted += spare;
	}

	// Fixed columns never exceed the width: when even the required ones overflow, the last ones shrink.
	let over = needed(fitted.map(c => ({...c, width: c.fitted}))) - width;
	for (let i = fitted.length - 1; i >= 0 && over > 0; i--) {
		const cut = Math.min(over, fitted[i]!.fitted);
		fitted[i]!.fitted -= cut;
		over -= cut;
	}

	return fitted.filter(c => c.fitted > 0);
}
