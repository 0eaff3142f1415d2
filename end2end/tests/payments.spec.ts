// Paying an invoice online in test mode, as a customer on a 360 px phone: "Pay € …" under the
// open invoice, Portico's clearly labelled test checkout, a failed attempt and the way back to
// try again, then paid, the return page saying so by itself, and the move page showing the
// invoice paid. The office then sees both attempts and the payment on the job's page.
import { expect, test, type Page } from "@playwright/test";
import { hydrated, signInWithPassword, watchErrors } from "./support";

// Studio Hendriks' older move: its invoice is overdue in the demo.
const MOVE = "/moves/10";

async function noSidewaysScroll(page: Page) {
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  expect(scroll, "the page scrolls sideways").toBeLessThanOrEqual(client);
}

test("a customer pays an open invoice in test mode on a phone, after a failed try", async ({ browser }, testInfo) => {
  test.setTimeout(90_000);
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signInWithPassword(page, "lars@studiohendriks.example");
  await expect(page).not.toHaveURL(/sign-in/);
  await page.goto(MOVE);
  await hydrated(page);
  const pay = page.getByRole("button", { name: /^Pay € / });
  await expect(pay).toBeVisible();
  await expect(page.getByText("Test mode: you go to a test checkout, no money moves.")).toBeVisible();
  const box = await pay.boundingBox();
  expect(box?.height ?? 0).toBeGreaterThanOrEqual(44);
  await noSidewaysScroll(page);
  await page.locator("#invoices").screenshot({ path: testInfo.outputPath("invoice-360.png") });

  await pay.click();
  await expect(page).toHaveURL(/\/pay\/test\/test_/);
  await expect(page.getByText("TEST MODE")).toBeVisible();
  await expect(page.getByText("no money moves")).toBeVisible();
  await noSidewaysScroll(page);
  await page.screenshot({ path: testInfo.outputPath("checkout-360.png"), fullPage: true });

  // The bank says no: back in the portal, nothing charged, and a way to try again.
  await page.getByRole("button", { name: "Failed" }).click();
  await expect(page).toHaveURL(/\/payments\/\d+$/);
  await expect(page.getByRole("heading", { name: "The payment did not go through" })).toBeVisible();
  await expect(page.getByText("Nothing was charged. You can try again.")).toBeVisible();
  await hydrated(page);
  await page.screenshot({ path: testInfo.outputPath("failed-360.png"), fullPage: true });

  await page.getByRole("button", { name: /^Try again: pay € / }).click();
  await expect(page).toHaveURL(/\/pay\/test\/test_/);
  const started = Date.now();
  await page.getByRole("button", { name: "Paid" }).click();
  await expect(page.getByRole("heading", { name: "Paid — thank you" })).toBeVisible();
  const shownPaid = Date.now() - started;
  testInfo.annotations.push({ type: "paid shown after", description: `${shownPaid} ms` });
  console.log(`test checkout "Paid" to the return page saying paid: ${shownPaid} ms`);
  await expect(page.getByText(/is paid in full/)).toBeVisible();
  await noSidewaysScroll(page);
  await page.screenshot({ path: testInfo.outputPath("paid-360.png"), fullPage: true });

  await page.getByRole("link", { name: "Back to your move" }).first().click();
  await expect(page).toHaveURL(new RegExp(`${MOVE}`));
  const invoices = page.locator("#invoices");
  await expect(invoices.locator(".badge--paid").first()).toBeVisible();
  await expect(invoices.getByRole("button", { name: /^Pay € / })).toHaveCount(0);
  await expect(invoices.getByText(/Test payment € .* paid/)).toBeVisible();
  await invoices.screenshot({ path: testInfo.outputPath("invoice-paid-360.png") });
  expect(errors).toEqual([]);
  await context.close();

  // The office sees both attempts and the payment, without typing anything.
  const officeContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const office = await officeContext.newPage();
  const officeErrors = watchErrors(office);
  await signInWithPassword(office, "olga@vandijk.example");
  await expect(office).not.toHaveURL(/sign-in/);
  await office.goto("/staff/jobs/10");
  await hydrated(office);
  const attempts = office.getByRole("list", { name: "Online payments" });
  await expect(attempts.locator(".badge--paid")).toHaveCount(1);
  await expect(attempts.locator(".badge--payment-failed")).toHaveCount(1);
  await expect(attempts.getByText(/test_/).first()).toBeVisible();
  await office.locator("section[aria-labelledby=invoices-title]").screenshot({ path: testInfo.outputPath("office-1280.png") });
  expect(officeErrors).toEqual([]);
  await officeContext.close();
});
