import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.{ts,tsx}'],
		// The 60 s soak measures key latency and RSS: it runs alone, after the rest (`npm test` runs
		// it as a second step with TATTLE_SOAK=1), so other test files do not load the machine under it.
		exclude: process.env.TATTLE_SOAK ? [] : ['test/bench/soak.test.ts'],
		testTimeout: 30_000,
		hookTimeout: 60_000,
		// 2-core CI machines: more workers only add contention.
		maxWorkers: 2,
		reporters: ['default'],
	},
});
