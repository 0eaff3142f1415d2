// Live status as people meet it, each in their own browser: the crew taps "On our way" with an
// arrival time and, within a second and without a reload, the customer's open move page and
// home page say "Crew on its way — arriving about …" and the office's dashboard shows the move
// on its way; a new arrival time follows; a message from the office appears in the customer's
// open thread and in the home page's count; and when the server stops, a polite notice says
// so, and goes when the server is back.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { enterPasswordAndCode, hydrated, signInWithPassword, watchErrors } from "./support";

const amsterdamTime = (at: Date) =>
  at.toLocaleTimeString("en-GB", { timeZone: "Europe/Amsterdam", hour: "2-digit", minute: "2-digit" });

async function person(browser: Browser, email: string, width: number, height: number) {
  const context = await browser.newContext({ viewport: { width, height }, isMobile: width < 500, hasTouch: width < 500 });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signInWithPassword(page, email);
  // Signed in: contacts land on their moves, staff on their workspace.
  await expect(page).not.toHaveURL(/sign-in/);
  await hydrated(page);
  return { context, page, errors };
}

/** Marks the document, so that a reload (which would drop the mark) is noticed. */
async function markNoReload(page: Page) {
  await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
}

async function stillNoReload(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);
}

/** Waits until the page's live stream is open (the server sends its head once the stream is
 * registered with the hub). */
async function listening(page: Page) {
  await expect(page.locator("html")).toHaveAttribute("data-live", "open");
}

/** The unread count the home page states ("… 2 unread messages."), 0 when it names none. */
async function unreadOnHome(home: Page): Promise<number> {
  const text = (await home.locator(".portal-home__summary").textContent()) ?? "";
  return Number(/(\d+) unread/.exec(text)?.[1] ?? 0);
}

test("the crew's 'on our way' reaches the customer and the office within a second", async ({ browser }) => {
  test.setTimeout(90_000);
  const customer = await person(browser, "sanne@deboer.example", 360, 780);
  const move = customer.page;
  await move.goto("/moves/1");
  await hydrated(move);
  const home = await customer.context.newPage();
  const homeErrors = watchErrors(home);
  await home.goto("/");
  await hydrated(home);
  const office = await person(browser, "olga@vandijk.example", 1280, 900);
  await office.page.goto("/staff");
  await hydrated(office.page);
  const crew = await person(browser, "cees@vandijk.example", 360, 780);
  await crew.page.goto("/crew");
  await hydrated(crew.page);
  for (const page of [move, home, office.page]) {
    await listening(page);
    await markNoReload(page);
  }
  await expect(move.locator(".status-card")).not.toContainText("Crew on its way");

  const eta = amsterdamTime(new Date(Date.now() + 40 * 60_000));
  const card = crew.page.getByRole("listitem", { name: /for Familie De Boer/ });
  await card.getByLabel("Expected arrival").fill(eta);
  const answered = crew.page.waitForResponse((r) => r.url().includes("/api/jobs/change_status"));
  await card.getByRole("button", { name: "On our way" }).click();
  expect((await answered).status()).toBe(200);
  const committed = Date.now();

  const words = `Crew on its way — arriving about ${eta}`;
  await expect(move.locator(".status-card")).toContainText(words, { timeout: 1_000 });
  const onMove = Date.now() - committed;
  await expect(home.getByRole("main")).toContainText(words, { timeout: 1_000 });
  await expect(
    office.page.getByRole("region", { name: /Today/ }).getByRole("listitem").filter({ hasText: "Familie De Boer" }),
  ).toContainText("on its way", { timeout: 1_000 });
  const everywhere = Date.now() - committed;
  console.log(`live: move page ${onMove} ms, all three pages ${everywhere} ms after the crew's answer`);
  await move.screenshot({ path: "artifacts/live-move-360.png", fullPage: true });
  await office.page.screenshot({ path: "artifacts/live-dashboard-1280.png", fullPage: true });

  // A new arrival time from the van.
  const later = amsterdamTime(new Date(Date.now() + 55 * 60_000));
  await card.getByLabel("New arrival time").fill(later);
  await card.getByRole("button", { name: "Update arrival time" }).click();
  await expect(move.locator(".status-card")).toContainText(`arriving about ${later}`, { timeout: 1_000 });
  await expect(card).toContainText(`ETA ${later}`);
  for (const page of [move, home, office.page]) await stillNoReload(page);

  // Back as it was for the other specs: the office undoes "on our way".
  await office.page.goto("/staff/jobs/1");
  await hydrated(office.page);
  await office.page.getByRole("button", { name: "Back to scheduled" }).click();
  await expect(office.page.locator(".page-header .badge")).toHaveText("scheduled");
  await expect(move.locator(".status-card")).not.toContainText("Crew on its way", { timeout: 1_000 });

  expect(customer.errors).toEqual([]);
  expect(homeErrors).toEqual([]);
  expect(office.errors).toEqual([]);
  expect(crew.errors).toEqual([]);
  await customer.context.close();
  await office.context.close();
  await crew.context.close();
});

test("a message from the office appears in the customer's open thread and counts", async ({ browser }) => {
  test.setTimeout(90_000);
  const customer = await person(browser, "sanne@deboer.example", 1280, 900);
  const home = customer.page;
  await home.goto("/");
  await hydrated(home);
  const move = await customer.context.newPage();
  const moveErrors = watchErrors(move);
  const office = await person(browser, "olga@vandijk.example", 1280, 900);
  await office.page.goto("/staff/jobs/1");
  await hydrated(office.page);
  for (const page of [home, office.page]) await listening(page);
  await markNoReload(home);

  // The office writes; the home page's count goes up by itself, the menu's too.
  const before = await unreadOnHome(home);
  const body = `The crew brings extra boxes (${Date.now()}).`;
  await office.page.getByLabel("Your message").fill(body);
  await office.page.getByRole("button", { name: "Send" }).click();
  await expect(office.page.locator(".thread")).toContainText(body);
  await expect.poll(() => unreadOnHome(home), { timeout: 1_000, intervals: [50] }).toBe(before + 1);
  await expect(home.locator(".site-nav .count--menu")).toBeVisible();

  // The move page open in another tab shows it in the thread, marked new, while she types.
  await move.goto("/moves/1");
  await hydrated(move);
  await listening(move);
  await markNoReload(move);
  const box = move.getByLabel("Your message");
  await box.fill("Thanks, half-typed");
  const second = `And a roll of tape (${Date.now()}).`;
  await office.page.getByLabel("Your message").fill(second);
  await office.page.getByRole("button", { name: "Send" }).click();
  const message = move.locator(".thread__message").filter({ hasText: second });
  await expect(message).toBeVisible({ timeout: 1_000 });
  await expect(message.locator(".badge--new")).toBeVisible();
  await expect(box).toHaveValue("Thanks, half-typed");
  // Reading it there (the page marks the thread read) lowers the count on the home page.
  await expect.poll(() => unreadOnHome(home), { timeout: 2_000, intervals: [50] }).toBeLessThan(before + 1);
  await stillNoReload(home);
  await stillNoReload(move);

  expect(customer.errors).toEqual([]);
  expect(moveErrors).toEqual([]);
  expect(office.errors).toEqual([]);
  await customer.context.close();
  await office.context.close();
});

// A server of this test's own (the shared one must keep running for the other specs).
function startServer(port: number, dataDir: string): ChildProcess {
  const config = join(dataDir, "portico.toml");
  writeFileSync(config, "");
  return spawn("./target/release/portico", ["serve"], {
    cwd: join(__dirname, "..", ".."),
    stdio: "ignore",
    env: {
      PATH: process.env.PATH ?? "",
      PORTICO_ADDR: `127.0.0.1:${port}`,
      PORTICO_PUBLIC_URL: `http://localhost:${port}`,
      PORTICO_DATA_DIR: dataDir,
      PORTICO_CONFIG: config,
      DATABASE_URL: `sqlite://${dataDir}/portico.db?mode=rwc`,
      PORTICO_DEMO: "true",
      PORTICO_LOG: "warn",
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_OUTPUT_NAME: "portico",
    },
  });
}

async function healthy(port: number) {
  await expect
    .poll(async () => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status).catch(() => 0), { timeout: 30_000 })
    .toBe(200);
}

async function stopped(server: ChildProcess) {
  if (server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGTERM");
  await exited;
}

test("the offline notice appears when the server stops and goes when it is back", async ({ browser }) => {
  test.setTimeout(120_000);
  const port = Number(process.env.E2E_PORT ?? 3100) + 7;
  const dataDir = mkdtempSync(join(tmpdir(), "portico-e2e-live-"));
  let server = startServer(port, dataDir);
  try {
    await healthy(port);
    const context = await browser.newContext({ viewport: { width: 360, height: 780 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    // The browser logs each failed reconnection while the server is away.
    const errors = watchErrors(page, /\/live|ERR_CONNECTION_REFUSED|Failed to load resource/);
    await page.goto(`http://localhost:${port}/sign-in`);
    await enterPasswordAndCode(page, "joost@deboer.example");
    await expect(page).toHaveURL(`http://localhost:${port}/`);
    await hydrated(page);
    await listening(page);
    await markNoReload(page);
    const notice = page.getByRole("status").filter({ hasText: /Connection lost|Back online/ });
    await expect(notice).toHaveCount(0);

    await stopped(server);
    await expect(page.getByRole("status").filter({ hasText: "Connection lost" })).toBeVisible({ timeout: 10_000 });
    await page.screenshot({ path: "artifacts/live-offline-360.png" });

    server = startServer(port, dataDir);
    await healthy(port);
    await expect(page.getByRole("status").filter({ hasText: "Back online" })).toBeVisible({ timeout: 15_000 });
    await expect(page.getByRole("status").filter({ hasText: /Connection lost|Back online/ })).toHaveCount(0, { timeout: 10_000 });
    await stillNoReload(page);
    expect(errors).toEqual([]);
    await context.close();
  } finally {
    await stopped(server);
  }
});
