/**
 * The floor: read a pcap with the same chunk size tattle uses and walk its record headers,
 * nothing else. Prints the record count (so the runner can check it read the whole file).
 *
 *   node bench/walk.js FILE.pcap
 */
import {open} from 'node:fs/promises';

/** Same as CAPTURE_CHUNK_SIZE in source/sources/capture-source.ts. */
const CHUNK_SIZE = 1024 * 1024;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

const file = process.argv[2];
if (!file) {
	process.stderr.write('usage: node bench/walk.js FILE.pcap\n');
	process.exit(2);
}
const fh = await open(file, 'r');
const buf = Buffer.allocUnsafeSlow(CHUNK_SIZE);
// Record header bytes that straddle two chunks.
const head = Buffer.alloc(RECORD_HEADER);
let headHave = 0;
let skip = FILE_HEADER;
let records = 0;
try {
	for (;;) {
		const {bytesRead} = await fh.read(buf, 0, CHUNK_SIZE, null);
		if (bytesRead === 0) break;
		let p = 0;
		while (p < bytesRead) {
			if (skip > 0) {
				const k = Math.min(skip, bytesRead - p);
				skip -= k;
				p += k;
				continue;
			}
			if (headHave === 0 && p + RECORD_HEADER <= bytesRead) {
				skip = buf.readUInt32LE(p + 8);
				p += RECORD_HEADER;
				records++;
				continue;
			}
			const k = Math.min(RECORD_HEADER - headHave, bytesRead - p);
			buf.copy(head, headHave, p, p + k);
			headHave += k;
			p += k;
			if (headHave === RECORD_HEADER) {
				skip = head.readUInt32LE(8);
				headHave = 0;
				records++;
			}
		}
	}
} finally {
	await fh.close();
}
process.stdout.write(`${records}\n`);
