// Writes test/fixtures/hostile/: a tiny capture bundle whose DNS names, HTTP Host and logcat lines
// carry terminal escape sequences (retitle, clear screen, cursor moves). The e2e tests replay it
// in tmux and check that the pane title and screen are untouched. Deterministic; run with node.
import {mkdirSync, writeFileSync} from 'node:fs';

const dir = new URL('../test/fixtures/hostile/', import.meta.url);
mkdirSync(dir, {recursive: true});
const ESC = '\x1b';
const evil = [`${ESC}]0;PWNED${'\x07'}`, `${ESC}[2J`, `${ESC}[H`, `${ESC}[31m`, '\x9b31m', '\u202e'];
const t0 = 1795462600;

function ipv4(src, dst, proto, payload) {
	const ip = Buffer.alloc(20);
	ip[0] = 0x45;
	ip.writeUInt16BE(20 + payload.length, 2);
	ip[8] = 64;
	ip[9] = proto;
	Buffer.from(src).copy(ip, 12);
	Buffer.from(dst).copy(ip, 16);
	let sum = 0;
	for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
	while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
	ip.writeUInt16BE(~sum & 0xffff, 10);
	return Buffer.concat([ip, payload]);
}
function udp(sport, dport, data) {
	const h = Buffer.alloc(8);
	h.writeUInt16BE(sport, 0);
	h.writeUInt16BE(dport, 2);
	h.writeUInt16BE(8 + data.length, 4);
	return Buffer.concat([h, data]);
}
function tcp(sport, dport, seq, flags, data) {
	const h = Buffer.alloc(20);
	h.writeUInt16BE(sport, 0);
	h.writeUInt16BE(dport, 2);
	h.writeUInt32BE(seq, 4);
	h[12] = 5 << 4;
	h[13] = flags;
	h.writeUInt16BE(65535, 14);
	return Buffer.concat([h, data]);
}
function dnsQuery(id, name) {
	const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([Buffer.byteLength(l, 'latin1')]), Buffer.from(l, 'latin1')]));
	return Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}
const phone = [192, 168, 1, 23];
const resolver = [192, 168, 1, 1];
const server = [161, 117, 97, 14];
const frames = [];
evil.forEach((e, i) => frames.push(ipv4(phone, resolver, 17, udp(40000 + i, 53, dnsQuery(i + 1, `evil${i}${e}x.example.com`)))));
const req = Buffer.from(`GET /path?q=${encodeURIComponent(ESC)}x HTTP/1.1\r\nHost: host${ESC}]0;PWNED\x07.example.com\r\nUser-Agent: x\r\n\r\n`, 'latin1');
frames.push(ipv4(phone, server, 6, tcp(45000, 80, 1000, 0x02, Buffer.alloc(0))));
frames.push(ipv4(phone, server, 6, tcp(45000, 80, 1001, 0x18, req)));

const header = Buffer.alloc(24);
header.writeUInt32LE(0xa1b2c3d4, 0);
header.writeUInt16LE(2, 4);
header.writeUInt16LE(4, 6);
header.writeUInt32LE(65535, 16);
header.writeUInt32LE(101, 20);
const records = frames.map((f, i) => {
	const r = Buffer.alloc(16);
	r.writeUInt32LE(t0 + i, 0);
	r.writeUInt32LE(0, 4);
	r.writeUInt32LE(f.length, 8);
	r.writeUInt32LE(f.length, 12);
	return Buffer.concat([r, f]);
});
writeFileSync(new URL('capture.pcap', dir), Buffer.concat([header, ...records]));

const logs = [
	`${t0}.100  1000  1200 I ActivityTaskManager: START u0 {cmp=com.mi.globalbrowser/com.android.browser.BrowserActivity} from uid 10085`,
	`${t0}.200 10085 10100 I tattle.probe: incognito-on pkg=com.mi.globalbrowser`,
	`${t0 + 1}.000 10085 10100 W Evil${ESC}]0;PWNED\x07Tag: line with ${ESC}[2J clear and ${ESC}[10;10H cursor move and bell\x07`,
	`${t0 + 2}.000 10085 10100 E chromium: ${ESC}]2;retitled${ESC}\\ osc with ST terminator`,
];
writeFileSync(new URL('logcat.txt', dir), logs.join('\n') + '\n', 'latin1');
writeFileSync(
	new URL('meta.json', dir),
	JSON.stringify({device: {model: `Evil${ESC}[2JPhone`, manufacturer: 'Test', serial: 'hostile'}, clockOffset: 0, description: 'escape sequences in DNS names, HTTP host and path, logcat tags and messages'}, null, 2) + '\n',
);
writeFileSync(new URL('README.md', dir), 'Hostile bundle: terminal escape sequences in DNS names, the HTTP Host and path, logcat tags and messages and the device model. Nothing may reach the terminal raw. Made by scripts/make-hostile-bundle.mjs.\n');
