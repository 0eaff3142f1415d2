// The walking skeleton as a person meets it: a page that is there before any script runs,
// that becomes interactive once the WASM hydrates, a real 404, and how it looks on a phone and
// on a desktop.
import { expect, test } from "@playwright/test";
import { hydrated, watchErrors } from "./support";

const COMPANY = "Van Dijk Verhuizingen";

test("the home page is rendered on the server, before any script runs", async ({ request, browser }) => {
  const response = await request.get("/");
  expect(response.status()).toBe(200);
  const html = (await response.text()).replaceAll("<!>", "");
  expect(html).toContain(`Your move with ${COMPANY}, in one place`);
  expect(html).toContain("office@vandijk.example");

  // And a browser with JavaScript off shows it too.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(
    `Your move with ${COMPANY}, in one place`,
  );
  await expect(page.locator("html")).not.toHaveAttribute("data-hydrated", "true");
  await context.close();
});

test.describe("on a phone (360 px)", () => {
  test.use({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

  test("the menu opens and closes once the app has hydrated", async ({ page }) => {
    const errors = watchErrors(page);
    await page.goto("/");
    await hydrated(page);
    const toggle = page.getByRole("button", { name: "Menu" });
    const nav = page.getByRole("navigation", { name: "Main" });
    await expect(toggle).toHaveAttribute("aria-expanded", "false");
    await expect(nav).toBeHidden();
    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-expanded", "true");
    await expect(nav).toBeVisible();
    await expect(nav.getByRole("link", { name: "Contact" })).toBeVisible();
    await toggle.click();
    await expect(nav).toBeHidden();
    // Nothing is wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(360);
    await page.screenshot({ path: "artifacts/home-360.png", fullPage: true });
    expect(errors).toEqual([]);
  });
});

test.describe("on a desktop (1280 px)", () => {
  test.use({ viewport: { width: 1280, height: 800 } });

  test("the navigation is always visible and the page hydrates without errors", async ({ page }) => {
    const errors = watchErrors(page);
    const response = await page.goto("/");
    // The page hydrates under a strict, nonce-based Content-Security-Policy (a blocked script
    // would show up in `errors` and leave the page unhydrated).
    expect(response?.headers()["content-security-policy"]).toMatch(
      /script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/,
    );
    await hydrated(page);
    await expect(page.getByRole("button", { name: "Menu" })).toBeHidden();
    await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
    await expect(page.getByRole("link", { name: COMPANY })).toBeVisible();
    await expect(page).toHaveTitle(`Welcome · Portico`);
    await page.screenshot({ path: "artifacts/home-1280.png", fullPage: true });
    expect(errors).toEqual([]);
  });

  test("an unknown address shows the 404 page, and its link leads home", async ({ page }) => {
    const response = await page.goto("/no/such/page");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await expect(page).toHaveTitle("Page not found · Portico");
    await hydrated(page);
    await page.screenshot({ path: "artifacts/404-1280.png" });
    await page.getByRole("link", { name: "Back to the home page" }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole("heading", { level: 1 })).toContainText(COMPANY);
  });
});
