// Playwright drives Debian's Chromium (never a downloaded browser) against a release build of
// Portico with a fresh SQLite database in a temporary folder, seeded with the demo company.
import { defineConfig } from "@playwright/test";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const port = Number(process.env.E2E_PORT ?? 3100);
// The config is read by the runner and again by each worker; the runner makes the folder and
// the workers inherit its name, so the tests' own files (support.ts) sit beside the database.
const dataDir = (process.env.E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), "portico-e2e-")));
// An empty configuration file, so a developer's portico.toml cannot reach the test server.
const emptyConfig = join(dataDir, "portico.toml");
if (!existsSync(emptyConfig)) writeFileSync(emptyConfig, "");

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL: `http://localhost:${port}`,
    browserName: "chromium",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.E2E_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: "./target/release/portico serve",
    cwd: "..",
    // 127.0.0.1 for the readiness probe: Node may resolve `localhost` to ::1 first.
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PORTICO_ADDR: `127.0.0.1:${port}`,
      PORTICO_PUBLIC_URL: `http://localhost:${port}`,
      PORTICO_DATA_DIR: dataDir,
      PORTICO_CONFIG: emptyConfig,
      DATABASE_URL: `sqlite://${dataDir}/portico.db?mode=rwc`,
      PORTICO_DEMO: "true",
      PORTICO_LOG: "warn",
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_OUTPUT_NAME: "portico",
    },
  },
});
