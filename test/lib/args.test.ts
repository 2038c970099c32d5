import {describe, expect, it} from 'vitest';
import {HELP, parseArgs, UsageError} from '../../source/lib/args.js';

describe('parseArgs', () => {
	it('reads the replay contract of DESIGN.md', () => {
		const o = parseArgs(['replay', 'x.pcap', '--speed', 'max', '--report', 'out.json', '--report=out.md', '--report', 'out.html', '--fail-on', 'incognito-url-leak']);
		expect(o).toMatchObject({command: 'replay', path: 'x.pcap', speed: 'max', report: ['out.json', 'out.md', 'out.html'], failOn: ['incognito-url-leak']});
		expect(parseArgs(['replay', '--logcat', 'l.txt']).path).toBeUndefined();
		expect(parseArgs(['replay', 'b', '--from', '2026-01-01T00:00:00Z', '--to', '1767225700']).from).toBe(1767225600);
	});
	it('reads live options and defaults', () => {
		const o = parseArgs(['live', '--serial', 'S', '--pcap', 'udp://0.0.0.0:5123', '--record', 'dir'], {NO_COLOR: '1'});
		expect(o).toMatchObject({command: 'live', serial: 'S', pcap: 'udp://0.0.0.0:5123', record: 'dir', color: false});
		expect(parseArgs([]).command).toBe('auto');
		expect(parseArgs(['--help']).command).toBe('help');
	});
	it.each([
		[['replay'], /PATH or --logcat/],
		[['replay', 'a', 'b'], /one PATH/],
		[['frobnicate'], /unknown command/],
		[['replay', 'x', '--speed', '0'], /--speed/],
		[['replay', 'x', '--report', 'r.txt'], /\.json, \.md, \.csv or \.html/],
		[['replay', 'x', '--report', 'r.htm'], /\.json, \.md, \.csv or \.html/],
		[['replay', 'x', '--fail-on', 'nope'], /unknown flag kind/],
		[['replay', 'x', '--serial', 'S'], /for tattle live/],
		[['live', '--speed', '2'], /for tattle replay/],
		[['live', '--pcap', 'adb', '--no-pcap'], /contradict/],
		[['replay', 'x', '--from', '10', '--to', '5'], /before --from/],
		[['replay', 'x', '--bogus'], /unknown option/],
		[['replay', 'x', '--report'], /needs a value/],
	])('rejects %j with a one-line reason', (argv, why) => {
		expect(() => parseArgs(argv)).toThrow(UsageError);
		expect(() => parseArgs(argv)).toThrow(why);
	});
	it('reads arguments in order, as before node:util parseArgs did the tokenizing', () => {
		// --help wins over what follows it; the first wrong argument is the one reported.
		expect(parseArgs(['replay', 'x', '--help', '--bogus']).command).toBe('help');
		expect(() => parseArgs(['replay', 'x', '--speed', '0', '--bogus'])).toThrow(/--speed/);
		// A value may start with a dash; `--opt=value` works for every value option.
		expect(parseArgs(['live', '--pcap', '-', '--serial', '-odd']).serial).toBe('-odd');
		expect(parseArgs(['replay', '--logcat=l.txt', '-q']).quiet).toBe(true);
		for (const [argv, why] of [
			[['-qh'], /unknown option -qh/],
			[['replay', 'x', '--', 'y'], /unknown option --/],
			[['--json=1'], /--json takes no value/],
			[['--bogus=1'], /--bogus takes no value/],
			[['--toString'], /unknown option --toString/],
		] as const) {
			expect(() => parseArgs(argv), argv.join(' ')).toThrow(why);
		}
	});
	it('documents every option it accepts', () => {
		for (const option of ['--serial', '--pcap', '--no-pcap', '--record', '--pcapdroid', '--logcat', '--log-year', '--log-zone', '--speed', '--from', '--to', '--json', '--report', '--rules', '--blocklist', '--keylog', '--fail-on', '--max-body', '--refresh', '--no-color', '--ascii', '--quiet', '--help', '--version']) {
			expect(HELP).toContain(option);
		}
	});
});
