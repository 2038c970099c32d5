/** A fixed-capacity FIFO: pushing past capacity drops the oldest item and counts it. */
export class RingBuffer<T> {
	private readonly items: Array<T | undefined>;
	private start = 0;
	private size = 0;
	/** Items pushed out because the buffer was full. */
	dropped = 0;

	constructor(readonly capacity: number) {
		if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`RingBuffer capacity must be a positive integer, got ${capacity}`);
		this.items = new Array<T | undefined>(capacity);
	}

	get length(): number {
		return this.size;
	}

	push(item: T): void {
		if (this.size < this.capacity) {
			this.items[(this.start + this.size) % this.capacity] = item;
			this.size++;
			return;
		}
		this.items[this.start] = item;
		this.start = (this.start + 1) % this.capacity;
		this.dropped++;
	}

	/** Items oldest first. */
	toArray(): T[] {
		const out: T[] = [];
		for (let i = 0; i < this.size; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
		return out;
	}

	/** The newest `n` items, oldest first. */
	tail(n: number): T[] {
		const all = this.toArray();
		return n >= all.length ? all : all.slice(all.length - n);
	}
}
