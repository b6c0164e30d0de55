import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root, startStack } from "../../bench/harness.mjs";

// The real stack (wrangler dev + the local sandbox) driven through Debian's chromium; no browser is downloaded.
let stack: { url: string; apiKey: string; stop(): Promise<void> };
let browser: Browser;
let page: Page;
const shots = join(root, "test-results", "e2e");
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const WIDTHS = [{ width: 1366, height: 900 }, { width: 390, height: 844 }] as const;
const pageErrors: string[] = [];

/** The page never scrolls sideways. */
async function expectNoOverflow(p: Page, where: string): Promise<void> {
  // Page code is passed as text: this project's TypeScript has no DOM library.
  const { scroll, inner } = await p.evaluate<{ scroll: number; inner: number }>("({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })");
  expect(scroll, `${where}: page is ${scroll} px wide in a ${inner} px window`).toBeLessThanOrEqual(inner);
}

/** axe-core in the page: no serious or critical violations. */
async function expectAccessible(p: Page, where: string): Promise<void> {
  if (!(await p.evaluate<boolean>('"axe" in window'))) await p.addScriptTag({ path: axePath });
  const violations = await p.evaluate<string[]>(`axe.run().then((r) => r.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => v.id + " (" + v.impact + ") at " + JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))))`);
  expect(violations, where).toEqual([]);
}

/** Overflow, accessibility and a screenshot at both widths; ends at the wide one. */
async function checkPage(p: Page, name: string): Promise<void> {
  for (const size of WIDTHS) {
    await p.setViewportSize(size);
    await p.waitForTimeout(150);
    await expectNoOverflow(p, `${name} at ${size.width}px`);
    await p.screenshot({ path: join(shots, `${name}-${size.width}.png`), fullPage: true });
  }
  await expectAccessible(p, name);
  await p.setViewportSize(WIDTHS[0]);
}

describe("dashboard in a real browser", () => {
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    stack = await startStack({ apiKey: "e2e_key" });
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    page = await browser.newPage({ viewport: WIDTHS[0] });
    page.on("pageerror", (err) => pageErrors.push(err.message));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("walks every page: key, sessions, a session with runs and approvals, tenant approvals, cost, an unknown session", async () => {
    const favicon = await fetch(`${stack.url}/favicon.ico`);
    expect(favicon.status).toBe(200);

    await page.goto(stack.url);
    await checkPage(page, "key");
    await page.getByLabel("API key").fill("e2e_key");
    await page.getByRole("button", { name: "Save key" }).click();
    await page.getByRole("button", { name: "New session" }).click();
    await page.waitForURL(/#\/sessions\/ses_/);
    await expect.poll(() => page.locator("text=live").count(), { timeout: 15_000 }).toBeGreaterThan(0);

    await page.getByLabel("run input").fill("echo hello-from-e2e");
    await page.getByRole("button", { name: "Start run" }).click();
    const log = page.getByRole("log", { name: "events" });
    await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain("hello-from-e2e");
    await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain("run_completed");
    // The header's totals and the runs table follow the run; the Provider column is the run's.
    await expect.poll(() => page.getByRole("cell", { name: "shell" }).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByRole("region", { name: "status snapshot" }).textContent(), { timeout: 10_000 }).toContain("In flight0");

    // Approve: a double click sends one request and throws nothing.
    const decisions: string[] = [];
    page.on("request", (r) => { if (r.method() === "POST" && r.url().includes("/approvals/")) decisions.push(r.postData() ?? ""); });
    await page.getByLabel("run input").fill("echo approved-output");
    await page.getByLabel("policy JSON").fill(JSON.stringify({ name: "gate", tool_rules: [{ deny: ["bash"] }], on_violation: "request_approval" }));
    await page.getByRole("button", { name: "Start run" }).click();
    const approve = page.getByRole("button", { name: "Approve" });
    await approve.waitFor({ timeout: 20_000 });
    expect(await page.getByLabel("pending approvals").textContent()).toContain("echo approved-output");
    await checkPage(page, "session-approval");
    await approve.dblclick();
    await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain("approved-output");
    expect(decisions).toHaveLength(1);

    // Every runs-table column is visible without scrolling, at the wide width.
    const wrap = page.locator(".table-wrap").first();
    const fits = await wrap.evaluate((el) => el.scrollWidth <= el.clientWidth);
    expect(fits, "runs table fits its panel").toBe(true);
    for (const name of ["Run", "Provider", "Status", "Tokens", "Cost", "Actions"]) await expect.poll(() => page.getByRole("columnheader", { name }).isVisible()).toBe(true);

    // Deny with a reason, from the tenant's approvals page.
    await page.getByLabel("run input").fill("echo denied-output");
    await page.getByRole("button", { name: "Start run" }).click();
    await page.getByRole("button", { name: "Approve" }).waitFor({ timeout: 20_000 });
    await page.goto(`${stack.url}/#/approvals`);
    const tenant = page.getByLabel("tenant pending approvals");
    await expect.poll(() => tenant.textContent(), { timeout: 10_000 }).toContain("echo denied-output");
    await checkPage(page, "approvals");
    await tenant.getByRole("textbox").first().fill("not in this test");
    await tenant.getByRole("button", { name: "Deny" }).first().click();
    await expect.poll(() => tenant.textContent(), { timeout: 10_000 }).toContain("Denied (not in this test)");
    expect(decisions.at(-1)).toContain("not in this test");

    await page.goto(`${stack.url}/#/`);
    await page.getByRole("button", { name: "New session" }).waitFor();
    await expect.poll(() => page.getByRole("cell", { name: "shell" }).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await checkPage(page, "sessions");

    await page.goto(`${stack.url}/#/cost`);
    await page.getByRole("img", { name: "By provider" }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole("img", { name: "By provider" }).textContent()).toContain("shell");
    // Every chart label lies inside its chart's box.
    const clipped = await page.evaluate<string[]>(`[...document.querySelectorAll("svg[role=img]")].flatMap((svg) => {
      const width = svg.viewBox.baseVal.width;
      return [...svg.querySelectorAll("text")].filter((t) => { const b = t.getBBox(); return b.x < 0 || b.x + b.width > width; }).map((t) => t.textContent);
    })`);
    expect(clipped).toEqual([]);
    await checkPage(page, "cost");

    await page.goto(`${stack.url}/#/sessions/ses_${"0".repeat(32)}`);
    await page.getByRole("heading", { name: "No such session" }).waitFor({ timeout: 10_000 });
    await checkPage(page, "unknown-session");
    await page.getByRole("link", { name: "← Back to all sessions" }).click();
    await page.getByRole("button", { name: "New session" }).waitFor();

    expect(pageErrors).toEqual([]);
  }, 240_000);
});
