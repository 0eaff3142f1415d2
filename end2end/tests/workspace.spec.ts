// The office runs a move end to end in the browser: a new customer, a job, a quote written
// with live totals and sent, the customer's yes recorded, the move scheduled with a crew; the
// crew lead on a 360 px phone taps "on our way" (with an ETA), "started" and "done"; the
// office issues the invoice and downloads its PDF. Screenshots at 360 and 1280 px.
import { execFileSync } from "node:child_process";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { hydrated, signInWithPassword, watchErrors } from "./support";

/** The test submits a bad e-mail address on purpose; the server answers it with 422 and the
 * field's message, and the browser notes the status in its console. */
const DELIBERATE_422 = /status of 422/;

async function signedIn(browser: Browser, email: string, width: number, height: number) {
  const context = await browser.newContext({
    viewport: { width, height },
    isMobile: width < 500,
    hasTouch: width < 500,
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors = watchErrors(page, DELIBERATE_422);
  await signInWithPassword(page, email);
  // Office staff land on their dashboard, crew on their day.
  await expect(page).toHaveURL(/\/(staff|crew)$/);
  return { page, errors };
}

/** The company's calendar day and a clock time, in Amsterdam. */
const amsterdam = {
  day: (at = new Date()) => at.toLocaleDateString("sv-SE", { timeZone: "Europe/Amsterdam" }),
  time: (at: Date) => at.toLocaleTimeString("en-GB", { timeZone: "Europe/Amsterdam", hour: "2-digit", minute: "2-digit" }),
};

async function noSideways(page: Page, width: number) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
}

test("office to crew to invoice: a move run end to end", async ({ browser }) => {
  test.setTimeout(120_000);
  const office = await signedIn(browser, "olga@vandijk.example", 1280, 900);
  const page = office.page;

  await page.goto("/staff");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Dashboard", level: 1 })).toBeVisible();
  await expect(page.getByRole("region", { name: /Today/ }).getByRole("link", { name: /Familie De Boer/ })).toBeVisible();
  await page.screenshot({ path: "artifacts/dashboard-1280.png", fullPage: true });
  // The company's name in the header leads home, which for staff is the dashboard again, with
  // no request for a customer's moves on the way (the errors below would show its 403).
  await page.locator("a.brand").click();
  await expect(page).toHaveURL(/\/staff$/);
  await expect(page.getByRole("heading", { name: "Dashboard", level: 1 })).toBeVisible();

  // A new customer; a bad e-mail address is refused next to its field and the rest is kept.
  await page.goto("/staff/customers/new");
  await hydrated(page);
  await page.getByLabel("Name (household or company)").fill("Familie Visser");
  await page.getByLabel("E-mail").fill("tom@visser");
  await page.getByLabel("Phone").fill("+31 6 1111 2222");
  await page.getByLabel("Street and number").fill("Nieuwe Binnenweg 10");
  await page.getByLabel("Postcode").fill("3015 BA");
  await page.getByLabel("City").fill("Rotterdam");
  await page.getByRole("button", { name: "Create customer" }).click();
  await expect(page.locator("#email-error")).toContainText("e-mail address");
  await expect(page.getByLabel("Name (household or company)")).toHaveValue("Familie Visser");
  await page.getByLabel("E-mail").fill("tom@visser.example");
  await page.getByRole("button", { name: "Create customer" }).click();
  await expect(page).toHaveURL(/\/staff\/customers\/\d+$/);
  await expect(page.getByRole("heading", { name: "Familie Visser", level: 1 })).toBeVisible();

  // A job for today.
  const today = amsterdam.day();
  await page.getByText("New job", { exact: true }).click();
  await page.getByLabel("Pick-up address").fill("Nieuwe Binnenweg 10, Rotterdam");
  await page.getByLabel("At pick-up (floor, lift, parking)").fill("2nd floor, no lift");
  await page.getByLabel("Delivery address").fill("Kade 3, Dordrecht");
  await page.getByLabel("Requested date").fill(today);
  await page.getByLabel("Volume (m³)").fill("20");
  await page.getByRole("button", { name: "Create job" }).click();
  await expect(page).toHaveURL(/\/staff\/jobs\/\d+$/);
  await hydrated(page);
  const jobUrl = page.url();

  // The quote: the totals come from the server as the lines are typed.
  await page.getByRole("button", { name: "Write a quote" }).click();
  const editor = page.locator("form.quote-editor");
  await editor.getByLabel("Valid until").fill(amsterdam.day(new Date(Date.now() + 14 * 86_400_000)));
  await editor.getByLabel("Description").fill("Movers, crew of two");
  await editor.getByLabel("Quantity").fill("6,5");
  await editor.getByLabel("Unit", { exact: true }).fill("hour");
  await editor.getByLabel("Unit price (€)").fill("115,00");
  await editor.getByRole("button", { name: "Add a line" }).click();
  const second = editor.locator(".editor-line").nth(1);
  await second.getByLabel("Description").fill("Parking permit");
  await second.getByLabel("Quantity").fill("1");
  await second.getByLabel("Unit price (€)").fill("42,50");
  await second.getByLabel("VAT").selectOption("0");
  await expect(editor.locator(".totals")).toContainText("€ 946,98");
  await expect(editor.locator(".totals")).toContainText("VAT 21 % over € 747,50");
  await editor.getByRole("button", { name: "Save draft" }).click();
  await expect(page.getByRole("button", { name: "Send to the customer" })).toBeVisible();
  await page.getByRole("button", { name: "Send to the customer" }).click();
  await expect(page.locator(".quote__head")).toContainText("sent");
  await page.getByText("Record the customer's answer…").click();
  await page.getByLabel("Name the customer gave").fill("Tom Visser");
  await page.getByRole("button", { name: "Record answer" }).click();
  await expect(page.locator(".page-header .badge")).toHaveText("accepted");

  // Scheduled for today with Cees.
  await page.getByLabel("Moving day").fill(today);
  await page.getByLabel("Arrive from").fill("08:00");
  await page.getByLabel("until").fill("10:00");
  await page.getByLabel("Cees Jansen").check();
  await page.getByRole("button", { name: "Save schedule" }).click();
  await expect(page.locator(".page-header .badge")).toHaveText("scheduled");
  await page.screenshot({ path: "artifacts/job-office-1280.png", fullPage: true });

  // The crew lead's phone.
  const crew = await signedIn(browser, "cees@vandijk.example", 360, 780);
  await crew.page.goto("/crew");
  await hydrated(crew.page);
  const card = crew.page.getByRole("listitem", { name: /for Familie Visser/ });
  await expect(card).toBeVisible();
  await noSideways(crew.page, 360);
  await crew.page.screenshot({ path: "artifacts/crew-today-360.png", fullPage: true });
  const eta = amsterdam.time(new Date(Date.now() + 45 * 60_000));
  await card.getByLabel("Expected arrival").fill(eta);
  await card.getByRole("button", { name: "On our way" }).click();
  await expect(card).toContainText(`ETA ${eta}`);
  await card.getByRole("button", { name: "Started" }).click();
  await expect(card.locator(".badge").first()).toHaveText("in progress");
  await card.getByRole("button", { name: "Done" }).click();
  await expect(card.locator(".badge").first()).toHaveText("completed");
  await noSideways(crew.page, 360);
  await crew.page.screenshot({ path: "artifacts/crew-done-360.png", fullPage: true });

  // The office sees it done, invoices it and downloads the PDF.
  await page.goto(jobUrl);
  await hydrated(page);
  await expect(page.locator(".page-header .badge")).toHaveText("completed");
  await expect(page.locator(".timeline")).toContainText(`ETA ${eta}`);
  await page.getByRole("button", { name: "Create invoice from the accepted quote" }).click();
  await page.getByRole("button", { name: "Issue invoice" }).click();
  await expect(page.locator(".page-header .badge")).toHaveText("invoiced");
  const download = page.waitForEvent("download");
  await page.locator("#invoices-title").locator("..").getByRole("link", { name: "Download PDF" }).click();
  const file = await download;
  const pdfPath = "artifacts/invoice.pdf";
  await file.saveAs(pdfPath);
  const text = execFileSync("pdftotext", ["-layout", pdfPath, "-"]).toString();
  expect(text).toContain("Familie Visser");
  expect(text).toContain("€ 946,98");
  expect(text).toMatch(/Invoice VD\d{4}-\d{5}/);
  await page.screenshot({ path: "artifacts/job-invoiced-1280.png", fullPage: true });

  // The same job page on a phone.
  await page.setViewportSize({ width: 360, height: 780 });
  await page.reload();
  await hydrated(page);
  await noSideways(page, 360);
  // The quote's lines fit the card: no sideways scrolling inside it either, and each number
  // keeps its column's name.
  const lines = page.locator(".table-scroll").first();
  expect(await lines.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
  const price = lines.locator("tbody tr").first().locator("td[data-label=Price]");
  expect(await price.evaluate((td) => getComputedStyle(td, "::before").content)).toBe('"Price "');
  await page.screenshot({ path: "artifacts/job-office-360.png", fullPage: true });

  expect(office.errors).toEqual([]);
  expect(crew.errors).toEqual([]);
});
