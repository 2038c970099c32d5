// Copies non-TS assets (rule JSON) next to the compiled code so dist/ is self-contained.
import {cpSync, existsSync} from 'node:fs';
if (existsSync('source/classify/rules')) cpSync('source/classify/rules', 'dist/source/classify/rules', {recursive: true});
