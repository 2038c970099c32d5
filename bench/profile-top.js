/**
 * Prints the top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`), to find hot
 * spots without a browser:  node bench/profile-top.js FILE.cpuprofile [N]
 */
import {readFileSync} from 'node:fs';

const [file, n = '30'] = process.argv.slice(2);
if (!file) {
	process.stderr.write('usage: node bench/profile-top.js FILE.cpuprofile [N]\n');
	process.exit(2);
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((node) => [node.id, node]));
const self = new Map();
// Sample i lasted timeDeltas[i+1]; charge it to the sampled node's function.
for (let i = 0; i < prof.samples.length; i++) {
	const node = byId.get(prof.samples[i]);
	const dt = prof.timeDeltas[i + 1] ?? 0;
	const f = node.callFrame;
	const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
	self.set(key, (self.get(key) ?? 0) + dt);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
	process.stdout.write(`${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}\n`);
}
process.stdout.write(`${(total / 1000).toFixed(0).padStart(7)} ms total\n`);
