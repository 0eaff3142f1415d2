// Signing in as people do: password + a code from an authenticator app (computed here), the
// lockout message, and an invitation taken all the way to a passkey and back, with Chromium's
// virtual authenticator.
import { expect, test } from "@playwright/test";
import { DEMO_PASSWORD, enterPasswordAndCode, hydrated, signInWithPassword, watchErrors } from "./support";

test("password and authenticator code sign in, and the session survives a reload", async ({ page }) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto("/sign-in");
  await hydrated(page);
  await page.screenshot({ path: "artifacts/sign-in-1280.png", fullPage: true });
  await signInWithPassword(page, "anna@vandijk.example");
  await expect(page).toHaveURL(/\/staff$/);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: /Anna de Vries/ })).toBeVisible();
  await page.reload();
  await expect(nav.getByRole("link", { name: /Anna de Vries/ })).toBeVisible();

  // The security page lists this session and the factors.
  await nav.getByRole("link", { name: /Anna de Vries/ }).click();
  await expect(page.getByRole("heading", { name: "Security", level: 1 })).toBeVisible();
  await expect(page.getByText("This device")).toBeVisible();
  await expect(page.getByText("An authenticator app is set up.")).toBeVisible();
  await page.screenshot({ path: "artifacts/security-1280.png", fullPage: true });
  expect(errors).toEqual([]);
});

test("a protected page sends a visitor to sign in and back", async ({ page }) => {
  await page.goto("/account/security");
  await expect(page).toHaveURL(/\/sign-in\?next=(%2F|\/)account(%2F|\/)security$/);
  await enterPasswordAndCode(page, "ruud@vandijk.example");
  await expect(page).toHaveURL(/\/account\/security$/);
  await expect(page.getByRole("heading", { name: "Security", level: 1 })).toBeVisible();
});

test("after failed attempts the account pauses, with the same message", async ({ page }) => {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("E-mail address").fill("karim@vandijk.example");
  await page.getByLabel("Password").fill("not the right password");
  await page.getByRole("button", { name: "Continue" }).click();
  const message = page.locator("#sign-in-error");
  await expect(message).toContainText("pauses for a while");
  const first = await message.textContent();
  // The right password straight away: the account is slowed down, and the answer is the same.
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(message).toHaveText(first!);
  await expect(page.getByLabel("Code from your authenticator app")).toHaveCount(0);
});

test.describe("on a phone (360 px)", () => {
  test.use({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

  test("sign-in and security pages fit the screen", async ({ page }) => {
    const errors = watchErrors(page);
    await page.goto("/sign-in");
    await hydrated(page);
    await page.screenshot({ path: "artifacts/sign-in-360.png", fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await signInWithPassword(page, "cees@vandijk.example");
    await expect(page).toHaveURL(/\/crew$/);
    await page.goto("/account/security");
    await expect(page.getByRole("heading", { name: "Security", level: 1 })).toBeVisible();
    await hydrated(page);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: "artifacts/security-360.png", fullPage: true });
    expect(errors).toEqual([]);
  });
});

test("an invitation leads to a passkey, and the passkey signs in after signing out", async ({ browser }) => {
  // The office invites a customer's contact.
  const office = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signInWithPassword(office, "olga@vandijk.example");
  await expect(office).toHaveURL(/\/staff$/);
  await office.goto("/staff/invitations");
  await hydrated(office);
  await office.getByLabel("Name").fill("Mila de Boer");
  await office.getByLabel("E-mail address").fill("mila@deboer.example");
  await office.getByLabel("Customer account").selectOption({ label: "Familie De Boer" });
  await office.getByLabel("May").selectOption("owner");
  await office.getByRole("button", { name: "Send invitation" }).click();
  await expect(office.getByText("Invitation sent.")).toBeVisible();
  await expect(office.locator("#invitation-list")).toContainText("mila@deboer.example");
  await office.screenshot({ path: "artifacts/invitations-1280.png", fullPage: true });

  // Demo mode: the e-mail waits on the "Outgoing mail" page.
  await office.goto("/staff/outgoing-mail");
  const link = office.locator("#outgoing-mail li", { hasText: "mila@deboer.example" }).locator("a.mail__link");
  const href = await link.first().getAttribute("href");
  expect(href).toMatch(/\/invitation\/[A-Za-z0-9_-]{43}$/);
  await office.close();

  // Mila, on her own device with a platform authenticator.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await page.goto(new URL(href!).pathname);
  await hydrated(page);
  await expect(page.getByText("Welcome, Mila de Boer")).toBeVisible();
  await page.getByRole("button", { name: "Create a passkey" }).click();
  await expect(page).toHaveURL(/\/account\/security/);
  await expect(page.locator("#passkey-list")).toContainText("My passkey");

  // The link is spent.
  const spent = await context.newPage();
  await spent.goto(new URL(href!).pathname);
  await expect(spent.locator("#invitation-unusable")).toContainText("already been used");
  await spent.close();

  // Sign out, then in again with the passkey alone: first through the browser's autofill
  // (conditional UI, which Chromium's virtual authenticator answers by itself) …
  const mila = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /Mila de Boer/ });
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await page.goto("/sign-in");
  await expect(page).toHaveURL(/\/$/);
  await expect(mila).toBeVisible();

  // … then with the button, in a browser without conditional UI.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(mila).toBeVisible();
  expect(errors).toEqual([]);
  await context.close();
});
