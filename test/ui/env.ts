// Imported first by UI tests: colour must be pinned off before chalk (via Ink) reads the environment.
process.env.FORCE_COLOR = '0';
delete process.env.NO_COLOR;
// Times in frames are formatted in the machine's zone; pin it so expectations are stable.
process.env.TZ = 'UTC';
// Ink prints only the final frame when CI is set (is-in-ci, read when Ink loads); CI sets it, and
// the dashboard drops it before loading Ink (cli.tsx), so the in-process renders must too.
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;
