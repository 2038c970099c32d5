import {describe, expect, it} from 'vitest';
import {breakpointFor, computeLayout, GUTTER, PANEL_CHROME, type LayoutState} from '../../source/ui/layout.js';
import {fitColumns} from '../../source/ui/table-layout.js';
import {bar, sparkline} from '../../source/ui/glyph-text.js';
import {glyphs} from '../../source/ui/theme.js';
import {detailRows} from '../../source/ui/detail-rows.js';
import {displayWidth} from '../../source/lib/sanitize.js';

const BASE: LayoutState = {focus: 'destinations', variant: 'auto', detail: false, help: false};

/** Every band's panels fit the width, and the bands plus the bars fit the frame. */
function checkFits(columns: number, rows: number, state: LayoutState = BASE): void {
	const l = computeLayout(columns, rows, state);
	expect(l.frameRows).toBe(rows - 1);
	const used = l.bands.reduce((n, b) => n + b.height, 0);
	expect(used).toBeLessThanOrEqual(l.bodyRows);
	expect(l.statusRows + l.bodyRows + l.helpRows).toBeLessThanOrEqual(l.frameRows);
	for (const band of l.bands) {
		const width = band.panels.reduce((n, p) => n + p.width, 0) + GUTTER * (band.panels.length - 1);
		expect(width).toBeLessThanOrEqual(columns);
		for (const p of band.panels) expect(p.height).toBe(band.height);
	}
}

describe('layout', () => {
	it('names breakpoints', () => {
		expect(breakpointFor(30, 24)).toBe('too-small');
		expect(breakpointFor(50, 24)).toBe('tiny');
		expect(breakpointFor(80, 24)).toBe('compact');
		expect(breakpointFor(119, 40)).toBe('tall');
		expect(breakpointFor(200, 29)).toBe('compact');
		expect(breakpointFor(120, 30)).toBe('wide');
	});

	it('fits 80x24 with destinations above flags', () => {
		const l = computeLayout(80, 24, BASE);
		expect(l.bands.map(b => b.panels.map(p => p.id))).toEqual([['destinations'], ['flags']]);
		expect(l.budgets.destinations).toBeGreaterThanOrEqual(8);
		expect(l.budgets.flags).toBeGreaterThanOrEqual(5);
		expect(l.budgets.categories).toBe(0);
		checkFits(80, 24);
	});

	it('stacks a third panel on tall, narrow terminals', () => {
		const l = computeLayout(100, 40, BASE);
		expect(l.bands.map(b => b.panels[0]!.id)).toEqual(['destinations', 'flags', 'events']);
		checkFits(100, 40);
	});

	it('shows the focused panel in the second slot when it is not shown otherwise', () => {
		const l = computeLayout(80, 24, {...BASE, focus: 'events'});
		expect(l.bands.map(b => b.panels[0]!.id)).toEqual(['destinations', 'events']);
	});

	it('gives bigger terminals more panels and rows', () => {
		const l = computeLayout(120, 40, BASE);
		expect(l.bands.map(b => b.panels.map(p => p.id))).toEqual([['destinations'], ['flags', 'categories'], ['events']]);
		const larger = computeLayout(200, 60, BASE);
		expect(larger.budgets.destinations).toBeGreaterThan(l.budgets.destinations);
		checkFits(120, 40);
		checkFits(200, 60);
	});

	it('drops panels rather than squeezing them', () => {
		const tiny = computeLayout(50, 12, {...BASE, focus: 'flags'});
		expect(tiny.bands.flatMap(b => b.panels.map(p => p.id))).toEqual(['flags']);
		const stacked = computeLayout(80, 16, {...BASE, variant: 'stack', focus: 'events'});
		const ids = stacked.bands.map(b => b.panels[0]!.id);
		expect(ids).toContain('events');
		for (const b of stacked.bands) expect(b.height - PANEL_CHROME).toBeGreaterThanOrEqual(3);
	});

	it('fits many sizes', () => {
		for (const [c, r] of [[40, 8], [60, 14], [80, 24], [100, 30], [119, 29], [120, 30], [160, 50], [300, 100]] as const) {
			for (const variant of ['auto', 'single', 'stack'] as const) checkFits(c, r, {...BASE, variant});
		}
	});

	it('gives the body to the detail view or help overlay', () => {
		const l = computeLayout(80, 24, {...BASE, detail: true});
		expect(l.overlay).toBe('detail');
		expect(l.bands).toEqual([]);
		expect(l.budgets.detail).toBe(l.bodyRows - 1);
		expect(computeLayout(80, 24, {...BASE, detail: true, help: true}).overlay).toBe('help');
	});
});

describe('fitColumns', () => {
	const cols = [
		{key: 'host', title: 'Host', width: 10, flex: 1, priority: 0},
		{key: 'cat', title: 'Cat', width: 8, priority: 1},
		{key: 'as', title: 'AS', width: 12, priority: 5},
		{key: 'out', title: 'Out', width: 6, priority: 0},
	];

	it('keeps everything when it fits and gives the rest to flexible columns', () => {
		const fitted = fitColumns(cols, 60);
		expect(fitted.map(c => c.key)).toEqual(['host', 'cat', 'as', 'out']);
		expect(fitted.reduce((n, c) => n + c.fitted, 0) + 3).toBe(60);
	});

	it('drops the least important first', () => {
		expect(fitColumns(cols, 30).map(c => c.key)).toEqual(['host', 'cat', 'out']);
		expect(fitColumns(cols, 18).map(c => c.key)).toEqual(['host', 'out']);
	});

	it('never exceeds the width', () => {
		for (let w = 1; w < 50; w++) {
			const fitted = fitColumns(cols, w);
			expect(fitted.reduce((n, c) => n + c.fitted, 0) + Math.max(0, fitted.length - 1)).toBeLessThanOrEqual(w);
		}
	});
});

describe('glyph text', () => {
	it('draws sparklines scaled to their maximum', () => {
		const g = glyphs({ascii: false});
		expect(sparkline([0, 1, 2, 4], 6, g)).toBe('   ▃▅█'.replace('   ', '  ' + ' '));
		expect(sparkline([5, 5], 2, glyphs({ascii: true}))).toBe('##');
		expect(sparkline([], 3, g)).toBe('   ');
		expect(displayWidth(sparkline([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 4, g))).toBe(4);
	});

	it('draws bars with a visible minimum', () => {
		const g = glyphs({ascii: true});
		expect(bar(0.5, 10, g)).toBe('#####.....');
		expect(bar(0.001, 5, g)).toBe('#....');
		expect(bar(0, 3, g)).toBe('...');
		expect(bar(Number.NaN, 3, g)).toBe('...');
	});
});

describe('detailRows', () => {
	it('wraps long values under their label and separates headings', () => {
		const rows = detailRows(
			{title: 't', lines: [{kind: 'field', label: 'Excerpt', value: 'x'.repeat(50)}, {kind: 'heading', text: 'Evidence'}]},
			31,
		);
		expect(rows.map(r => [r.label, r.text.length])).toEqual([
			['Excerpt', 19],
			['', 19],
			['', 12],
			['', 0],
			['', 8],
		]);
		expect(rows.at(-1)!.heading).toBe(true);
	});
});

describe('packColumns', () => {
	it('keeps sections whole when they fit and never exceeds the budget', async () => {
		const {packColumns} = await import('../../source/ui/components/help-overlay.js');
		expect(packColumns([[1, 2], [3, 4, 5], [6]], 4, 3)).toEqual([[1, 2], [3, 4, 5, 6]]);
		expect(packColumns([[1, 2, 3, 4, 5, 6]], 4, 2)).toEqual([[1, 2, 3, 4], [5, 6]]);
		expect(packColumns([[1, 2, 3], [4, 5, 6], [7, 8, 9]], 3, 2)).toEqual([[1, 2, 3], [4, 5, 6]]);
	});
});
