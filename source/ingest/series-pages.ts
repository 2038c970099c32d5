/**
 * Fixed-width numeric series named by slot, in pages of one typed array each: a typed array per
 * series is an allocation, an ArrayBuffer and a backing store, and a flood of new destinations
 * made a million of them. Slots are handed out in order, given-back ones first, and come zeroed;
 * a page is allocated for every 2^shift slots. The sparkline rings (rate-rings.ts) and the upload
 * timeline (upload-timeline.ts) keep their series here.
 */
export class SeriesPages<P extends Float32Array | Float64Array> {
	private readonly pages: P[] = [];
	private readonly mask: number;
	private slots = 0;
	private readonly free: number[] = [];

	constructor(
		/** Numbers per series. */
		private readonly width: number,
		/** Series per page, as a shift. */
		private readonly shift: number,
		private readonly makePage: (length: number) => P,
	) {
		this.mask = (1 << shift) - 1;
	}

	/** Series in use. */
	get inUse(): number {
		return this.slots - this.free.length;
	}

	/** A zeroed slot: a given-back one, else the next. */
	take(): number {
		let s = this.free.pop();
		if (s === undefined) {
			s = this.slots++;
			if ((s & this.mask) === 0) this.pages.push(this.makePage((this.mask + 1) * this.width));
		} else this.page(s).fill(0, this.offset(s), this.offset(s) + this.width);
		return s;
	}

	/** Gives a slot back; it is zeroed when taken again. */
	release(slot: number): void {
		this.free.push(slot);
	}

	/** The page that holds `slot`'s series, from {@link offset} on. */
	page(slot: number): P {
		return this.pages[slot >> this.shift]!;
	}

	/** Where `slot`'s series starts in its page. */
	offset(slot: number): number {
		return (slot & this.mask) * this.width;
	}
}
