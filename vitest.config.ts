import { defineConfig } from "vitest/config"

// every package with tests has a vitest.config.ts of its own
export default defineConfig({
  test: {
    projects: ["packages/*/vitest.config.ts"]
  }
})
