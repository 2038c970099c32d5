/** Builders for small synthetic pcap/pcapng files, in either byte order. */

/** A growable byte writer with the byte order fixed at creation. */
export class Writer {
	private parts: number[] = [];
	constructor(readonly le: boolean) {}

	u8(n: number): this {
		this.parts.push(n & 0xff);
		return this;
	}

	u16(n: number): this {
		return this.le ? this.u8(n).u8(n >>> 8) : this.u8(n >>> 8).u8(n);
	}

	u32(n: number): this {
		return this.le ? this.u16(n & 0xffff).u16(n >>> 16) : this.u16(n >>> 16).u16(n & 0xffff);
	}

	i64(n: bigint): this {
		const hi = Number((BigInt.asUintN(64, n) >> 32n) & 0xffffffffn);
		const lo = Number(BigInt.asUintN(64, n) & 0xffffffffn);
		return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
	}

	bytes(b: Uint8Array | number[]): this {
		for (const x of b) this.parts.push(x);
		return this;
	}

	pad4(): this {
		while (this.parts.length % 4) this.parts.push(0);
		return this;
	}

	get length(): number {
		return this.parts.length;
	}

	done(): Uint8Array {
		return Uint8Array.from(this.parts);
	}
}

export function concat(...parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const p of parts) {
		out.set(p, at);
		at += p.length;
	}
	return out;
}

/** Payload bytes 0..n-1 plus a tag byte, so packets can be told apart. */
export function payload(n: number, tag: number): Uint8Array {
	const b = new Uint8Array(n);
	for (let i = 0; i < n; i++) b[i] = (i + tag) & 0xff;
	return b;
}

export type PcapOpts = {le: boolean; nsec?: boolean; linkWord?: number; snapLen?: number; major?: number; minor?: number};

export function pcapHeader(o: PcapOpts): Uint8Array {
	return new Writer(o.le)
		.u32(o.nsec ? 0xa1b23c4d : 0xa1b2c3d4)
		.u16(o.major ?? 2)
		.u16(o.minor ?? 4)
		.u32(0)
		.u32(0)
		.u32(o.snapLen ?? 65535)
		.u32(o.linkWord ?? 1)
		.done();
}

export function pcapRecord(le: boolean, sec: number, frac: number, data: Uint8Array, origLen = data.length): Uint8Array {
	return new Writer(le).u32(sec).u32(frac).u32(data.length).u32(origLen).bytes(data).done();
}

export type Option = {code: number; value: Uint8Array};

export function textOption(code: number, text: string): Option {
	return {code, value: new TextEncoder().encode(text)};
}

function options(w: Writer, opts: Option[]): void {
	if (opts.length === 0) return;
	for (const o of opts) w.u16(o.code).u16(o.value.length).bytes(o.value).pad4();
	w.u16(0).u16(0);
}

/** A pcapng block: type, body writer callback, options, lengths at both ends. */
export function block(le: boolean, type: number, body: (w: Writer) => void, opts: Option[] = []): Uint8Array {
	const inner = new Writer(le);
	body(inner);
	inner.pad4();
	options(inner, opts);
	const content = inner.done();
	const total = 12 + content.length;
	return new Writer(le).u32(type).u32(total).bytes(content).u32(total).done();
}

export function shb(le: boolean, opts: Option[] = [], major = 1, minor = 0): Uint8Array {
	return block(le, 0x0a0d0d0a, (w) => w.u32(0x1a2b3c4d).u16(major).u16(minor).i64(-1n), opts);
}

export function idb(le: boolean, linkType: number, snapLen: number, opts: Option[] = []): Uint8Array {
	return block(le, 1, (w) => w.u16(linkType).u16(0).u32(snapLen), opts);
}

/** EPB with a raw 64-bit tick count. */
export function epb(le: boolean, iface: number, ticks: bigint, data: Uint8Array, opts: Option[] = [], origLen = data.length): Uint8Array {
	const hi = Number(ticks >> 32n);
	const lo = Number(ticks & 0xffffffffn);
	return block(le, 6, (w) => w.u32(iface).u32(hi).u32(lo).u32(data.length).u32(origLen).bytes(data), opts);
}

export function spb(le: boolean, data: Uint8Array, origLen = data.length): Uint8Array {
	return block(le, 3, (w) => w.u32(origLen).bytes(data));
}

export function obsoletePb(le: boolean, iface: number, ticks: bigint, data: Uint8Array): Uint8Array {
	const hi = Number(ticks >> 32n);
	const lo = Number(ticks & 0xffffffffn);
	return block(le, 2, (w) => w.u16(iface).u16(0).u32(hi).u32(lo).u32(data.length).u32(data.length).bytes(data));
}

export function dsb(le: boolean, secretsType: number, data: Uint8Array): Uint8Array {
	return block(le, 0x0a, (w) => w.u32(secretsType).u32(data.length).bytes(data));
}

export function customBlock(le: boolean, pen: number, data: Uint8Array, copy = true): Uint8Array {
	return block(le, copy ? 0xbad : 0x40000bad, (w) => w.u32(pen).bytes(data));
}
