import { defineConfig } from 'vitest/config';

// The crash tests reopen the WAL thousands of times (every byte offset of a segment), and the
// process-kill test spawns children: generous per-test timeouts on a shared 2-core machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
