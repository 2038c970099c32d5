import {execFileSync} from 'node:child_process';

/** True when a command is on PATH. */
export function hasTool(cmd: string): boolean {
	try {
		execFileSync('sh', ['-c', `command -v ${cmd}`], {stdio: 'ignore'});
		return true;
	} catch {
		return false;
	}
}

/**
 * Whether a suite that needs a system tool may run. In CI (CI env set) a missing tool is an
 * error, so the suite fails loudly; on a developer machine the suite is skipped with a message
 * naming the Debian package to install.
 */
export function needTool(cmd: string, debianPackage: string): boolean {
	if (hasTool(cmd)) return true;
	if (process.env.CI) throw new Error(`${cmd} is required in CI: apt-get install -y ${debianPackage}`);
	console.warn(`skipping tests that need ${cmd}: apt-get install -y ${debianPackage}`);
	return false;
}
