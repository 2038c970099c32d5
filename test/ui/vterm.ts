/**
 * A tiny terminal emulator for the escape sequences Ink writes: enough to check that what a
 * real terminal shows after many repaints equals the frame (tmux showed drift once).
 * A pty turns "\n" into CR LF, so "\n" here moves to column 0 of the next row.
 */
export class VirtualTerminal {
	private grid: string[][];
	private row = 0;
	private col = 0;

	constructor(
		readonly columns: number,
		readonly rows: number,
	) {
		this.grid = Array.from({length: rows}, () => Array<string>(columns).fill(' '));
	}

	/** Screen text, one string per row, trailing spaces removed. */
	screen(): string[] {
		return this.grid.map(r => r.join('').trimEnd());
	}

	write(data: string): void {
		for (let i = 0; i < data.length; i++) {
			const c = data[i]!;
			if (c === '\u001b') {
				i = this.escape(data, i);
			} else if (c === '\n') {
				this.lineFeed();
				this.col = 0;
			} else if (c === '\r') {
				this.col = 0;
			} else {
				if (this.col >= this.columns) {
					this.lineFeed();
					this.col = 0;
				}

				this.grid[this.row]![this.col] = c;
				this.col++;
			}
		}
	}

	private lineFeed(): void {
		if (this.row === this.rows - 1) {
			this.grid.shift();
			this.grid.push(Array<string>(this.columns).fill(' '));
		} else {
			this.row++;
		}
	}

	/** Handle ESC at data[i]; returns the index of the sequence's last character. */
	private escape(data: string, i: number): number {
		if (data[i + 1] !== '[') return i + 1;
		let j = i + 2;
		while (j < data.length && !/[@-~]/.test(data[j]!)) j++;
		const params = data.slice(i + 2, j);
		const n = params === '' || params.startsWith('?') ? 1 : Math.max(1, Number(params.split(';')[0]) || 1);
		switch (data[j]) {
			case 'A':
				this.row = Math.max(0, this.row - n);
				break;
			case 'B':
				this.row = Math.min(this.rows - 1, this.row + n);
				break;
			case 'E':
				this.row = Math.min(this.rows - 1, this.row + n);
				this.col = 0;
				break;
			case 'G':
				this.col = n - 1;
				break;
			case 'H':
				this.row = 0;
				this.col = 0;
				break;
			case 'J':
				if (params === '2' || params === '3') for (const r of this.grid) r.fill(' ');
				break;
			case 'K':
				if (params === '2') this.grid[this.row]!.fill(' ');
				else for (let k = this.col; k < this.columns; k++) this.grid[this.row]![k] = ' ';
				break;
			default:
				break;
		}

		return j;
	}
}
