/** Where tattle is installed and which version it is (the report, the bundle meta and --version say it). */
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** source/app/ sits two levels below the repo (or installed package) root; dist/source/app/ three. */
const twoUp = path.resolve(here, '..', '..');
/** The repo (or installed package) root. */
const packageRoot = path.basename(twoUp) === 'dist' ? path.dirname(twoUp) : twoUp;

export const version = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {version: string}).version;

/** The demo bundle `tattle` replays when no phone is attached. */
export const DEMO_BUNDLE = path.join(packageRoot, 'captures', 'incognito-leak');
