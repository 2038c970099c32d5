// Copies non-TS assets (rule JSON) next to the compiled code so dist/ is self-contained.
import {chmodSync, cpSync, existsSync} from 'node:fs';
// Host rules, and the browser logcat rules (kept in their own folder: every JSON in rules/ is read as host rules).
for (const dir of ['source/classify/rules', 'source/classify/logcat-rules']) {
	if (existsSync(dir)) cpSync(dir, `dist/${dir}`, {recursive: true});
}
// The bin runs as it is (`./dist/cli.js`, `npm link`), through its `#!/usr/bin/env -S node ...` line.
chmodSync('dist/cli.js', 0o755);
