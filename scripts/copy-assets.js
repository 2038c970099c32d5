// Copies non-TS assets (rule JSON) next to the compiled code so dist/ is self-contained.
import {cpSync, existsSync} from 'node:fs';
// Host rules, and the browser logcat rules (kept in their own folder: every JSON in rules/ is read as host rules).
for (const dir of ['source/classify/rules', 'source/classify/logcat-rules']) {
	if (existsSync(dir)) cpSync(dir, `dist/${dir}`, {recursive: true});
}
