// Imported first by UI tests: colour must be pinned off before chalk (via Ink) reads the environment.
process.env.FORCE_COLOR = '0';
delete process.env.NO_COLOR;
// Times in frames are formatted in the machine's zone; pin it so expectations are stable.
process.env.TZ = 'UTC';
