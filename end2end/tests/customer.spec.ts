// The customer's side as a customer uses it, on a phone and on a desktop: home with the moves in
// words, the move page, the quote PDF, accepting with a typed name and downloading the receipt
// whose fingerprint is the SHA-256 of the PDF downloaded before (read back with pdftotext),
// moving day into the calendar, and a viewer who reads without an Accept button. Every customer
// page is checked with axe-core at 360 px and 1280 px: no serious or critical violations.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { hydrated, signInWithPassword, watchErrors } from "./support";

const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** axe-core in the page (by evaluation, so the page's CSP stays as it is). */
async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] =
    await page.evaluate(async () => {
      // @ts-expect-error axe is global once evaluated
      const result = await window.axe.run(document, { resultTypes: ["violations"] });
      return result.violations;
    });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Links, buttons and fields smaller than 44 × 44 px, as a finger meets them. A link inside a
 * sentence is exempt (WCAG 2.5.5), a checkbox counts with its label, and what is hidden or
 * moved off the screen (the skip link until it has focus) is not a target. */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const small: string[] = [];
    const targets = document.querySelectorAll<HTMLElement>(
      "a[href], button, input:not([type=hidden]), select, textarea, summary",
    );
    for (const el of Array.from(targets)) {
      const style = getComputedStyle(el);
      let box = el.getBoundingClientRect();
      if (style.visibility === "hidden" || box.width === 0 || box.height === 0 || box.right <= 0) continue;
      if (el.closest(".visually-hidden")) continue;
      const ownText = (el.textContent ?? "").trim().length;
      const aroundText = (el.parentElement?.textContent ?? "").trim().length;
      if (el.tagName === "A" && style.display === "inline" && aroundText > ownText) continue;
      const input = el as HTMLInputElement;
      if (input.type === "checkbox" || input.type === "radio") {
        const label = el.closest("label") ?? (el.id ? document.querySelector(`label[for="${el.id}"]`) : null);
        if (label) box = label.getBoundingClientRect();
      }
      if (box.height < 43.5 || box.width < 43.5) {
        const name = (el.getAttribute("aria-label") ?? el.textContent ?? el.getAttribute("name") ?? "").trim().slice(0, 40);
        small.push(`${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).split(" ")[0] : ""} "${name}" ${Math.round(box.width)}×${Math.round(box.height)}`);
      }
    }
    return small;
  });
}

/** The page fits the width (no sideways scroll), passes axe, has touch-sized targets on a
 * phone, and is kept as a screenshot. */
async function check(page: Page, name: string, width: number) {
  await hydrated(page);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  expect(await accessibilityProblems(page)).toEqual([]);
  if (width < 500) expect(await smallTargets(page)).toEqual([]);
  await page.screenshot({ path: `artifacts/${name}-${width}.png`, fullPage: true });
}

async function customer(browser: Browser, email: string, width: number) {
  const context = await browser.newContext({
    viewport: { width, height: width < 500 ? 780 : 900 },
    isMobile: width < 500,
    hasTouch: width < 500,
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await signInWithPassword(page, email);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "Your moves", level: 1 })).toBeVisible();
  return { context, page, errors };
}

test("on a phone, a customer accepts the quote and the receipt names the PDF they downloaded", async ({ browser }) => {
  const { context, page, errors } = await customer(browser, "pieter@smit.example", 360);
  const card = page.getByRole("listitem").filter({ hasText: "Quote ready for you" });
  await expect(card).toBeVisible();
  await check(page, "customer-home", 360);

  await card.getByRole("link", { name: "Review and accept the quote" }).click();
  await expect(page).toHaveURL(/\/moves\/\d+#quote$/);
  await expect(page.getByRole("heading", { name: "Quote", level: 2 })).toBeVisible();
  await check(page, "customer-move-quote", 360);

  // The quote PDF, as the customer saves it.
  const pdfDownload = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download the quote (PDF)" }).click();
  const pdfPath = await (await pdfDownload).path();
  const pdfHash = createHash("sha256").update(readFileSync(pdfPath!)).digest("hex");

  // Accepting needs the name and the tick; the server checks both too.
  await page.getByLabel("Your full name, as your signature").fill("Pieter Smit");
  await page.getByLabel(/I accept this quote/).check();
  await page.getByRole("button", { name: "Accept the quote" }).click();
  await expect(page.getByText(/Accepted by Pieter Smit on/)).toBeVisible();
  await expect(page.locator(".hash code")).toHaveText(pdfHash);
  await expect(page.getByRole("button", { name: "Accept the quote" })).toHaveCount(0);

  const receiptDownload = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download the acceptance receipt" }).click();
  const receiptPath = await (await receiptDownload).path();
  const text = execFileSync("pdftotext", ["-layout", receiptPath!, "-"], { encoding: "utf8" });
  expect(text).toContain("Pieter Smit");
  expect(text).toContain(pdfHash.slice(0, 32));
  expect(text).toContain(pdfHash.slice(32));
  await check(page, "customer-move-accepted", 360);

  // Whoever holds the PDF can check it against the acceptance.
  await page.getByRole("link", { name: "Check a quote PDF against this acceptance" }).click();
  await expect(page).toHaveURL(/\/receipts\/check$/);
  await page.getByLabel("The quote PDF").setInputFiles(pdfPath!);
  await page.getByRole("button", { name: "Check this PDF" }).click();
  await expect(page).toHaveURL(new RegExp(`sha256=${pdfHash}$`));
  await expect(page.locator("#receipt-check-result")).toContainText("This is the accepted document.");
  await expect(page.locator("#receipt-check-result")).toContainText("Pieter Smit");
  await check(page, "receipt-check", 360);

  await page.goto("/");
  await expect(page.getByText("Quote accepted — we will confirm your moving day")).toBeVisible();
  expect(errors).toEqual([]);
  await context.close();
});

test("on a desktop, moving day goes into the calendar and every part of the move reads", async ({ browser }) => {
  const { context, page, errors } = await customer(browser, "sanne@deboer.example", 1280);
  await check(page, "customer-home", 1280);
  const today = page.getByRole("listitem").filter({ hasText: "Confirmed:" }).first();
  await expect(today).toBeVisible();
  const calendar = page.waitForEvent("download");
  await today.getByRole("link", { name: "Add to calendar" }).click();
  const ics = readFileSync((await (await calendar).path())!, "utf8");
  expect(ics).toContain("BEGIN:VCALENDAR");
  expect(ics).toMatch(/UID:move-\d+@localhost/);
  writeFileSync(join("artifacts", "moving-day.ics"), ics);

  await today.getByRole("link").first().click();
  await expect(page.getByRole("heading", { name: /^Move / , level: 1 })).toBeVisible();
  for (const section of ["Addresses", "Quote", "Invoices", "Documents", "Messages", "What happened"]) {
    await expect(page.getByRole("heading", { name: section, level: 2 })).toBeVisible();
  }
  await check(page, "customer-move", 1280);
  // The paid move: invoices with their state.
  await page.goto("/moves/2");
  await expect(page.getByRole("heading", { name: "Invoices", level: 2 })).toBeVisible();
  await check(page, "customer-move-paid", 1280);
  expect(errors).toEqual([]);
  await context.close();
});

test("a viewer reads the move without prices and without an Accept button", async ({ browser }) => {
  for (const width of [360, 1280]) {
    const { context, page, errors } = await customer(browser, "joost@deboer.example", width);
    await check(page, "viewer-home", width);
    await page.goto("/moves/1");
    await expect(page.getByText("The quote and its prices are for the account owner and payer.")).toBeVisible();
    await expect(page.getByRole("button", { name: "Accept the quote" })).toHaveCount(0);
    await expect(page.getByRole("heading", { name: "Invoices" })).toHaveCount(0);
    expect(await page.locator("main").innerText()).not.toContain("€");
    await check(page, "viewer-move", width);
    expect(errors).toEqual([]);
    await context.close();
  }
});

test("on a phone, the owner invites a payer, and the profile fits the screen", async ({ browser }) => {
  const { context, page, errors } = await customer(browser, "sanne@deboer.example", 360);
  await page.getByRole("link", { name: "People on this account" }).click();
  await expect(page.getByRole("heading", { name: "People on your account", level: 1 })).toBeVisible();
  await expect(page.locator("#people-list")).toContainText("Sanne");
  await expect(page.locator("#people-list")).toContainText("joost@deboer.example");
  await page.getByLabel("Name").fill("Mark de Boer");
  await page.getByLabel("E-mail address").fill("mark@deboer.example");
  await page.getByLabel("May", { exact: true }).last().selectOption("payer");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await expect(page.getByText("Invitation sent.")).toBeVisible();
  await expect(page.locator("#people-list")).toContainText("mark@deboer.example");
  await check(page, "people", 360);

  await page.goto("/account/profile");
  await expect(page.getByRole("heading", { name: "Your profile", level: 1 })).toBeVisible();
  await check(page, "profile", 360);
  expect(errors).toEqual([]);
  await context.close();
});

/** A calendar day `days` from now, as a date field takes it and as the portal writes it. */
function dayFromNow(days: number) {
  const at = new Date(Date.now() + days * 86_400_000);
  const iso = at.toLocaleDateString("sv-SE", { timeZone: "Europe/Amsterdam" });
  const [y, m, d] = iso.split("-").map(Number);
  const noon = new Date(Date.UTC(y, m - 1, d, 12));
  const weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][noon.getUTCDay()];
  const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1];
  return { iso, words: `${weekday} ${d} ${month}` };
}

test("another day asked on a phone and taken by the office; two photos and a message reach the office", async ({ browser }) => {
  test.setTimeout(120_000);
  // Pieter accepted his quote in the first test; the office schedules the move a week ahead.
  const officeContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const office = await officeContext.newPage();
  const officeErrors = watchErrors(office);
  await signInWithPassword(office, "olga@vandijk.example");
  await expect(office).toHaveURL(/\/staff$/);

  const { context, page, errors } = await customer(browser, "pieter@smit.example", 360);
  const card = page.getByRole("listitem").filter({ hasText: "Quote accepted" });
  const moveHref = await card.getByRole("link").first().getAttribute("href");
  const jobId = moveHref!.match(/\/moves\/(\d+)/)![1];

  const planned = dayFromNow(7);
  await office.goto(`/staff/jobs/${jobId}`);
  await hydrated(office);
  await office.getByLabel("Moving day").fill(planned.iso);
  await office.getByLabel("Arrive from").fill("08:00");
  await office.getByLabel("until").fill("10:00");
  await office.getByLabel("Cees Jansen").check();
  await office.getByRole("button", { name: "Save schedule" }).click();
  await expect(office.locator(".page-header .badge")).toHaveText("scheduled");

  // Pieter asks for two days later instead.
  const wanted = dayFromNow(9);
  await page.goto(`/moves/${jobId}`);
  await hydrated(page);
  await expect(page.getByText(`Moving day: ${planned.words}, 08:00–10:00`)).toBeVisible();
  await page.getByText("Ask to reschedule…").click();
  await page.getByLabel("First choice").fill(wanted.iso);
  await page.getByLabel("Anything we should know (optional)").fill("The keys come a little later.");
  await page.getByRole("button", { name: "Send the request" }).click();
  await expect(page.locator("#requests")).toContainText("waiting for an answer");
  await check(page, "customer-reschedule-asked", 360);

  // The office sees it on the dashboard and takes the date on the job page.
  await office.goto("/staff");
  await expect(office.getByRole("region", { name: /To do/ })).toContainText("asks to move the day");
  await office.goto(`/staff/jobs/${jobId}`);
  await hydrated(office);
  const request = office.locator("#requests");
  await expect(request).toContainText("The keys come a little later.");
  await request.getByRole("button", { name: "Take this date" }).click();
  await expect(request).toContainText("accepted");

  // Pieter sees the answer and the new day.
  await page.reload();
  await hydrated(page);
  await expect(page.getByText(`Moving day: ${wanted.words}, 08:00–10:00`)).toBeVisible();
  await expect(page.locator("#requests")).toContainText("accepted");

  // Two photos at once, and a message.
  const png = readFileSync(join(__dirname, "..", "..", "domain", "assets", "demo-boxes.png"));
  await page.getByLabel(/^Files/).setInputFiles([
    { name: "piano.png", mimeType: "image/png", buffer: png },
    { name: "wardrobe.png", mimeType: "image/png", buffer: png },
  ]);
  await page.getByRole("button", { name: "Send the files" }).click();
  // The move page reloads its documents once the files are in: both are listed.
  await expect(page.locator("#documents")).toContainText("piano.png");
  await expect(page.locator("#documents")).toContainText("wardrobe.png");
  await expect(page.locator("#documents").getByRole("status")).toContainText("Sent: the office can see your files now.");
  await page.getByLabel("Your message").fill("Is a piano fine on the third floor?");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByText("Is a piano fine on the third floor?")).toBeVisible();
  await check(page, "customer-move-sent", 360);

  await office.goto("/staff");
  await hydrated(office);
  await expect(office.getByRole("region", { name: /Unread messages/ })).toContainText("1 new message");
  await expect(office.getByRole("region", { name: /To do/ })).toContainText("sent 2 files");
  await office.screenshot({ path: "artifacts/dashboard-after-customer-1280.png", fullPage: true });
  await office.goto(`/staff/jobs/${jobId}`);
  await expect(office.locator("main")).toContainText("piano.png");
  await expect(office.locator("main")).toContainText("Is a piano fine on the third floor?");
  expect(errors).toEqual([]);
  expect(officeErrors).toEqual([]);
  await context.close();
  await officeContext.close();
});

/** Presses Tab until `target` has the focus (at most 80 times), checking on the way that
 * every focused element shows where the focus is. */
async function tabTo(page: Page, target: ReturnType<Page["locator"]>) {
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press("Tab");
    const focus = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none";
      return { ring, what: `${el.tagName.toLowerCase()} "${(el.textContent ?? el.getAttribute("name") ?? "").trim().slice(0, 30)}"` };
    });
    if (focus) expect(focus.ring, `focus is visible on ${focus.what}`).toBe(true);
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error("the keyboard never reached the target");
}

test("with the keyboard alone, a customer writes to the office from the move page", async ({ browser }) => {
  const { context, page, errors } = await customer(browser, "sanne@deboer.example", 1280);
  // From the top of home: the first move's page, by Tab and Enter.
  const first = page.locator(".move-card__title").first();
  await tabTo(page, first);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/moves\/\d+$/);
  await hydrated(page);
  const field = page.getByLabel("Your message");
  await tabTo(page, field);
  await page.keyboard.type("Can we start at nine instead?");
  await tabTo(page, page.getByRole("button", { name: "Send", exact: true }));
  await page.keyboard.press("Enter");
  await expect(page.locator(".thread")).toContainText("Can we start at nine instead?");
  expect(errors).toEqual([]);
  await context.close();
});

test("on a phone, a person on two accounts switches between them", async ({ browser }) => {
  const { context, page, errors } = await customer(browser, "pieter@smit.example", 360);
  const account = page.locator(".portal-home__account");
  await expect(account).toContainText("Smit");
  await page.getByLabel("Account").selectOption({ label: "Bakkerij Mulder B.V." });
  await page.getByRole("button", { name: "Switch" }).click();
  await expect(account).toContainText("Bakkerij Mulder B.V.");
  // A payer there: no "People on this account".
  await expect(page.getByRole("link", { name: "People on this account" })).toHaveCount(0);
  await check(page, "customer-home-other-account", 360);
  // The choice holds for the move pages: another account's move is not reachable from here.
  await page.reload();
  await expect(account).toContainText("Bakkerij Mulder B.V.");
  await page.getByLabel("Account").selectOption({ label: "Pieter Smit" });
  await page.getByRole("button", { name: "Switch" }).click();
  await expect(account).toContainText("Smit");
  expect(errors).toEqual([]);
  await context.close();
});
