/** One macrotask: lets promises, React and Ink settle. */
export const tick = (): Promise<void> => new Promise(resolve => setImmediate(() => setTimeout(resolve, 0)));
