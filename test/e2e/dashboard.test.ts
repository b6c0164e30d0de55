import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root, startStack } from "../../bench/harness.mjs";

// The real stack (wrangler dev + the local sandbox) driven through Debian's chromium; no browser is downloaded.
let stack: { url: string; apiKey: string; stop(): Promise<void> };
let browser: Browser;
let page: Page;
const shots = join(root, "test-results", "e2e");

describe("dashboard in a real browser", () => {
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    stack = await startStack({ apiKey: "e2e_key" });
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("enters the key, creates a session, shows a shell run's output live, and approves a gated step", async () => {
    await page.goto(stack.url);
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
    await page.screenshot({ path: join(shots, "shell-run.png"), fullPage: true });

    await page.getByLabel("run input").fill("echo approved-output");
    await page.getByLabel("policy JSON").fill(JSON.stringify({ name: "gate", tool_rules: [{ deny: ["bash"] }], on_violation: "request_approval" }));
    await page.getByRole("button", { name: "Start run" }).click();
    const approve = page.getByRole("button", { name: "Approve" });
    await approve.waitFor({ timeout: 20_000 });
    expect(await page.getByLabel("pending approvals").textContent()).toContain("echo approved-output");
    await page.screenshot({ path: join(shots, "approval.png"), fullPage: true });
    await approve.click();
    await expect.poll(() => log.textContent(), { timeout: 20_000 }).toContain("approved-output");
    await expect.poll(async () => (await log.textContent())?.match(/run_completed/g)?.length ?? 0, { timeout: 20_000 }).toBe(2);
    await expect.poll(() => page.getByRole("button", { name: "Approve" }).count()).toBe(0);
    await page.screenshot({ path: join(shots, "approved.png"), fullPage: true });

    // The key survives a reload (kept in the browser), and the cost view renders its charts.
    await page.goto(`${stack.url}/#/cost`);
    await page.getByRole("img", { name: "By provider" }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole("img", { name: "By provider" }).textContent()).toContain("shell");
    await page.screenshot({ path: join(shots, "cost.png"), fullPage: true });
  }, 120_000);
});
