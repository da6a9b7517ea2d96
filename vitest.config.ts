import { defineConfig } from 'vitest/config';

// Repository-level checks (architecture rules, package layout). Package tests run per package.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
  },
});
