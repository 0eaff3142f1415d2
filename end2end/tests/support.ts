// What the browser tests share: the demo's credentials, an authenticator app's code, the wait
// for hydration, the console watch, and signing in with password + code.
import { createHmac } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, type Page } from "@playwright/test";

export const DEMO_PASSWORD = "demo moving day 2026";
export const DEMO_TOTP_SECRET = "PORTICODEMOTOTPSECRETFORDEMOONLY";
const STEP_SECONDS = 30;

/** RFC 6238 (SHA-1, 6 digits, 30 s) for one time step, as an authenticator app computes it. */
export function totpForStep(secretBase32: string, step: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secretBase32.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const hmac = createHmac("sha1", key).update(counter).digest();
  const offset = hmac[hmac.length - 1] & 0xf;
  const value = (hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, "0");
}

const currentStep = () => Math.floor(Date.now() / 1000 / STEP_SECONDS);

/** The server refuses a code whose time step is not later than the last one it accepted for
 * that person (replay protection), so two sign-ins of one person within 30 s need two steps.
 * The steps used are kept in a file of this run (the config sets E2E_DATA_DIR for every
 * worker), and the next code is the current step's or, if that was used, the next step's,
 * which the server accepts one step early (clock skew); beyond that, wait for the clock. */
async function freshCode(email: string): Promise<string> {
  const ledger = join(process.env.E2E_DATA_DIR ?? ".", "totp-steps.json");
  const used: Record<string, number> = existsSync(ledger) ? JSON.parse(readFileSync(ledger, "utf8")) : {};
  let step = Math.max(currentStep(), (used[email] ?? -1) + 1);
  while (step > currentStep() + 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  // Right at a step boundary the current step may move on while the form is sent; the code of
  // `step` stays valid for the following step too (± 1).
  step = Math.max(step, currentStep());
  used[email] = step;
  writeFileSync(ledger, JSON.stringify(used));
  return totpForStep(DEMO_TOTP_SECRET, step);
}

/** Script errors and console errors. `allow` names console messages a test causes on purpose. */
export function watchErrors(page: Page, allow?: RegExp): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !(allow && allow.test(message.text()))) errors.push(message.text());
  });
  return errors;
}

export async function hydrated(page: Page) {
  // The first visit of a run compiles the WASM on a busy 2-core machine: allow it 20 s.
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true", { timeout: 20_000 });
}

/** Password, then a code from the authenticator app, on the sign-in page already open. */
export async function enterPasswordAndCode(page: Page, email: string) {
  await hydrated(page);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Continue" }).click();
  const code = page.getByLabel("Code from your authenticator app");
  await expect(code).toBeVisible();
  await code.fill(await freshCode(email));
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

export async function signInWithPassword(page: Page, email: string) {
  await page.goto("/sign-in");
  await enterPasswordAndCode(page, email);
}
