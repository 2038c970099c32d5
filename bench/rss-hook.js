/**
 * Loaded with `node --import bench/rss-hook.js ...` when /usr/bin/time is missing: prints the
 * process's peak resident set size on exit, on stderr, for bench/run.js to read.
 */
process.on('exit', () => {
	process.stderr.write(`\nBENCH_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
