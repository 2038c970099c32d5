import {describe, it, expect} from 'vitest';
import {
	sanitize,
	truncateEnd,
	truncateMiddle,
	fitWidth,
	wrapWidth,
	displayWidth,
	SANITIZE_MAX,
} from '../../source/lib/sanitize.js';

const ESC = '\u001b';
const BEL = '\u0007';

describe('sanitize', () => {
	it('drops invisible look-alike makers: soft hyphen, variation selectors, tag characters', () => {
		const tag = String.fromCodePoint(0xe0041);
		expect(sanitize(`pay\u00adpal.example`)).toBe('paypal.example');
		expect(sanitize(`tag${tag}x.example`)).toBe('tagx.example');
		expect(sanitize('a\ufe0fb\u034fc\u180ed\ufff9e')).toBe('abcde');
	});

	it('passes plain text through unchanged', () => {
		expect(sanitize('sa.api.intl.miui.com')).toBe('sa.api.intl.miui.com');
		expect(sanitize('日本語.example')).toBe('日本語.example');
	});

	it('strips an OSC title-setting sequence ended by BEL', () => {
		expect(sanitize(`evil${ESC}]0;pwned${BEL}.com`)).toBe('evil.com');
	});

	it('strips OSC ended by ST, CSI clear-screen and SGR colours', () => {
		expect(sanitize(`a${ESC}]8;;http://x${ESC}\\b`)).toBe('ab');
		expect(sanitize(`a${ESC}[2Jb${ESC}[31mc${ESC}[0m`)).toBe('abc');
		expect(sanitize(`a${ESC}[?1049hb`)).toBe('ab');
	});

	it('strips DCS, APC and 8-bit C1 introducers', () => {
		expect(sanitize(`a${ESC}Pq#0;2;0;0;0${ESC}\\b`)).toBe('ab');
		expect(sanitize(`a${ESC}_payload${BEL}b`)).toBe('ab');
		expect(sanitize('a\u009b2Jb')).toBe('ab');
		expect(sanitize('a\u009d0;title\u009cb')).toBe('ab');
	});

	it('drops an unterminated OSC to the end rather than leaking it', () => {
		expect(sanitize(`host${ESC}]0;never ends`)).toBe('host');
	});

	it('removes C0/C1 controls and turns line breaks into one space', () => {
		expect(sanitize('a\u0000b\u0008c\u007fd\u0085e')).toBe('abcde');
		expect(sanitize('line1\r\nline2\tx')).toBe('line1 line2 x');
	});

	it('removes bidi overrides and isolates', () => {
		expect(sanitize('abc\u202Egnp.exe')).toBe('abcgnp.exe');
		expect(sanitize('\u2066x\u2069\u200f')).toBe('x');
	});

	it('replaces lone surrogates and keeps valid pairs', () => {
		expect(sanitize('a\ud800b')).toBe('a\ufffdb');
		expect(sanitize('ok 😀')).toBe('ok 😀');
	});

	it('caps the length with an ellipsis', () => {
		const long = 'x'.repeat(SANITIZE_MAX * 10);
		const out = sanitize(long);
		expect(out.length).toBe(SANITIZE_MAX);
		expect(out.endsWith('…')).toBe(true);
		expect(sanitize('abcdefgh', 5, {ascii: true})).toBe('ab...');
	});

	it('bounds work on a huge hostile string', () => {
		const hostile = `${ESC}[`.repeat(200_000) + 'x';
		const start = performance.now();
		const out = sanitize(hostile, 64);
		expect(performance.now() - start).toBeLessThan(200);
		expect(out.includes(ESC)).toBe(false);
	});

	it('never returns ESC or BEL for any mix of control bytes', () => {
		for (let seed = 0; seed < 200; seed++) {
			let s = '';
			for (let i = 0; i < 40; i++) s += String.fromCharCode((seed * 31 + i * 17) % 0xa0);
			const out = sanitize(s);
			expect(/[\u0000-\u001f\u007f-\u009f]/.test(out)).toBe(false);
		}
	});
});

describe('truncation', () => {
	it('truncateEnd keeps the start', () => {
		expect(truncateEnd('abcdefghij', 6)).toBe('abcde…');
		expect(truncateEnd('abcdefghij', 6, {ascii: true})).toBe('abc...');
		expect(truncateEnd('abc', 6)).toBe('abc');
		expect(truncateEnd('abc', 0)).toBe('');
	});

	it('truncateEnd reads only the start of a huge string: 8 MB costs about what a line does', () => {
		const huge = 'x'.repeat(8 * 1024 * 1024);
		const started = performance.now();
		for (let i = 0; i < 200; i++) expect(truncateEnd(huge, 40)).toBe(`${'x'.repeat(39)}…`);
		// 200 segmentations of 8 MB each would take minutes; of ~224 code units, milliseconds
		expect(performance.now() - started).toBeLessThan(2000);
		expect(truncateEnd('漢'.repeat(100), 9)).toBe(`${'漢'.repeat(4)}…`);
	});

	it('truncateMiddle keeps the domain end of a host', () => {
		const out = truncateMiddle('sa.api.intl.miui.com', 12);
		expect(out).toBe('sa.ap…ui.com');
		expect(displayWidth(out)).toBeLessThanOrEqual(12);
	});

	it('is width-aware for wide characters', () => {
		const out = truncateEnd('日本語日本語', 7);
		expect(displayWidth(out)).toBeLessThanOrEqual(7);
		expect(out.endsWith('…')).toBe(true);
		const mid = truncateMiddle('日本語日本語日本語', 9);
		expect(displayWidth(mid)).toBeLessThanOrEqual(9);
	});

	it('fitWidth pads to the exact width and aligns', () => {
		expect(fitWidth('ab', 5)).toBe('ab   ');
		expect(fitWidth('ab', 5, {align: 'right'})).toBe('   ab');
		expect(displayWidth(fitWidth('日本語日本語', 5))).toBe(5);
	});

	it('wrapWidth breaks after spaces and URL separators when one is near', () => {
		expect(wrapWidth('the quick brown fox', 10, 5)).toEqual(['the quick', 'brown fox']);
		expect(wrapWidth('https://duckduckgo.com/?q=hiv+clinic', 16, 5)).toEqual(['https://duckduck', 'go.com/?q=hiv+', 'clinic']);
		for (const line of wrapWidth('a'.repeat(7) + ' ' + 'b'.repeat(30), 10, 10)) expect(displayWidth(line)).toBeLessThanOrEqual(10);
	});

	it('wrapWidth hard-wraps and marks a cut', () => {
		expect(wrapWidth('abcdefgh', 3, 10)).toEqual(['abc', 'def', 'gh']);
		const cut = wrapWidth('abcdefghijkl', 4, 2);
		expect(cut).toHaveLength(2);
		expect(cut[1]!.endsWith('…')).toBe(true);
		expect(wrapWidth('', 4, 2)).toEqual(['']);
	});
});
