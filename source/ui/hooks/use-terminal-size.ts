import {useEffect, useState} from 'react';
import {useStdout} from 'ink';

/** Ink 6 has no window-size hook; when the stream has no size (pipes, tests), assume 80x24. */
const FALLBACK = {columns: 80, rows: 24} as const;

type TerminalSize = {columns: number; rows: number};

/** The size of the stream Ink renders to, updated on resize. Only the root reads it. */
export function useTerminalSize(): TerminalSize {
	const {stdout} = useStdout();
	const read = (): TerminalSize => ({columns: stdout.columns || FALLBACK.columns, rows: stdout.rows || FALLBACK.rows});
	const [size, setSize] = useState(read);
	useEffect(() => {
		const onResize = () => {
			const next = read();
			setSize(prev => (prev.columns === next.columns && prev.rows === next.rows ? prev : next));
		};

		stdout.on('resize', onResize);
		return () => {
			stdout.off('resize', onResize);
		};
	}, [stdout]);
	return size;
}
