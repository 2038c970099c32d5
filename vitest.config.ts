import {defineConfig} from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.{ts,tsx}'],
		testTimeout: 30_000,
		hookTimeout: 60_000,
		// 2-core CI machines: more workers only add contention.
		maxWorkers: 2,
		reporters: ['default'],
	},
});
