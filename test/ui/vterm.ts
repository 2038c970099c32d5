/**
 * A tiny terminal emulator for the escape sequences Ink writes: enough to check that what a
 * real terminal shows after many repaints equals the frame (tmux showed drift once).
 * A pty turns "\n" into CR LF, so "\n" here moves to column 0 of the next row.
 */
export class VirtualTerminal {
	private grid: string[][];
	/** Each cell's look (SGR attributes, see `look`), kept beside its character. */
	private looks: string[][];
	private attrs = new Map<string, string>();
	private row = 0;
	private col = 0;

	constructor(
		readonly columns: number,
		readonly rows: number,
	) {
		this.grid = Array.from({length: rows}, () => Array<string>(columns).fill(' '));
		this.looks = Array.from({length: rows}, () => Array<string>(columns).fill(''));
	}

	/** Screen with looks: per row, each cell as `look|char`, trailing blank default cells removed. */
	styledScreen(): string[] {
		return this.grid.map((r, y) => {
			const cells = r.map((ch, x) => `${this.looks[y]![x]}|${ch}`);
			while (cells.length > 0 && cells.at(-1) === '| ') cells.pop();
			return cells.join(' ');
		});
	}

	/** The current SGR attributes as one string (sorted), '' for the default. */
	private look(): string {
		return [...this.attrs].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',');
	}

	/** The look an erase leaves: the background only. */
	private eraseLook(): string {
		const bg = this.attrs.get('bg');
		return bg === undefined ? '' : `bg=${bg}`;
	}

	/** Select Graphic Rendition: the common attributes, 16/256/true colours. */
	private sgr(params: string): void {
		const p = params === '' ? ['0'] : params.split(';');
		const flags: Record<string, [string, string]> = {'3': ['italic', '23'], '4': ['underline', '24'], '5': ['blink', '25'], '7': ['inverse', '27'], '8': ['hidden', '28'], '9': ['strike', '29']};
		for (let i = 0; i < p.length; i++) {
			const n = p[i]!;
			const v = Number(n);
			if (v === 0) this.attrs.clear();
			else if (n === '1') this.attrs.set('bold', '1');
			else if (n === '2') this.attrs.set('dim', '1');
			else if (n === '22') {
				this.attrs.delete('bold');
				this.attrs.delete('dim');
			} else if (flags[n]) this.attrs.set(flags[n][0], '1');
			else if (Object.values(flags).some(([, off]) => off === n)) this.attrs.delete(Object.values(flags).find(([, off]) => off === n)![0]);
			else if ((v >= 30 && v <= 37) || (v >= 90 && v <= 97)) this.attrs.set('fg', n);
			else if (v === 39) this.attrs.delete('fg');
			else if ((v >= 40 && v <= 47) || (v >= 100 && v <= 107)) this.attrs.set('bg', n);
			else if (v === 49) this.attrs.delete('bg');
			else if (v === 38 || v === 48) {
				const k = p[i + 1] === '5' ? 1 : 3;
				this.attrs.set(v === 38 ? 'fg' : 'bg', p.slice(i + 1, i + 2 + k).map(Number).join(':'));
				i += 1 + k;
			}
		}
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
				this.looks[this.row]![this.col] = this.look();
				this.col++;
			}
		}
	}

	private lineFeed(): void {
		if (this.row === this.rows - 1) {
			this.grid.shift();
			this.grid.push(Array<string>(this.columns).fill(' '));
			this.looks.shift();
			this.looks.push(Array<string>(this.columns).fill(''));
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
				if (params === '2' || params === '3') {
					for (const r of this.grid) r.fill(' ');
					for (const r of this.looks) r.fill(this.eraseLook());
				}

				break;
			case 'K':
				for (let k = params === '2' ? 0 : this.col; k < this.columns; k++) {
					this.grid[this.row]![k] = ' ';
					this.looks[this.row]![k] = this.eraseLook();
				}

				break;
			case 'm':
				this.sgr(params);
				break;
			default:
				break;
		}

		return j;
	}
}
