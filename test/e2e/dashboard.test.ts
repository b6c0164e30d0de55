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
const WIDTHS = [
  { width: 1366, height: 900 },
  { width: 390, height: 844 },
] as const;
const pageErrors: string[] = [];

/** The page never scrolls sideways. */
async function expectNoOverflow(p: Page, where: string): Promise<void> {
  // Page code is passed as text: this project's TypeScript has no DOM library.
  const { scroll, inner } = await p.evaluate<{ scroll: number; inner: number }>(
    "({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })",
  );
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

/** The API as the test's own client (setup the page does not offer, such as workspace snapshots). */
async function callApi<T>(path: string, init: { method?: string; json?: unknown } = {}): Promise<T> {
  const res = await fetch(`${stack.url}/v1${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: "Bearer e2e_key", ...(init.json === undefined ? {} : { "content-type": "application/json" }) },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The sequences the events log shows, in page order. */
const shownSequences = (p: Page) =>
  p.evaluate<number[]>(`[...document.querySelectorAll("[role=log] [data-seq]")].map((e) => Number(e.dataset.seq))`);

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
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    });
    page = await browser.newPage({ viewport: WIDTHS[0] });
    page.on("pageerror", (err) => pageErrors.push(err.message));
    // Test-only: remember the page's WebSockets so the test can cut one (the dashboard exposes nothing for this).
    await page.addInitScript(`(() => {
      const Native = window.WebSocket;
      window.__sockets = [];
      window.WebSocket = class extends Native { constructor(...args) { super(...args); window.__sockets.push(this); } };
    })()`);
  }, 600_000);

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
    await expect.poll(() => page.locator("text=live").count(), { timeout: 60_000 }).toBeGreaterThan(0);

    await page.getByLabel("run input").fill("echo hello-from-e2e");
    await page.getByRole("button", { name: "Start run" }).click();
    const log = page.getByRole("log", { name: "events" });
    await expect.poll(() => log.textContent(), { timeout: 60_000 }).toContain("hello-from-e2e");
    await expect.poll(() => log.textContent(), { timeout: 60_000 }).toContain("run_completed");
    // The header's totals and the runs table follow the run; the Provider column is the run's.
    await expect.poll(() => page.getByRole("cell", { name: "shell" }).count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await expect
      .poll(() => page.getByRole("region", { name: "status snapshot" }).textContent(), { timeout: 60_000 })
      .toContain("In flight0");

    // Approve: a double click sends one request and throws nothing.
    const decisions: string[] = [];
    page.on("request", (r) => {
      if (r.method() === "POST" && r.url().includes("/approvals/")) decisions.push(r.postData() ?? "");
    });
    await page.getByLabel("run input").fill("echo approved-output");
    await page.getByLabel("policy JSON").fill(
      JSON.stringify({
        name: "gate",
        limits: { max_tool_calls: 5, max_total_tokens: 10_000 },
        tool_rules: [{ deny: ["bash"] }],
        on_violation: "request_approval",
      }),
    );
    await page.getByRole("button", { name: "Start run" }).click();
    const approve = page.getByRole("button", { name: "Approve" });
    await approve.waitFor({ timeout: 60_000 });
    expect(await page.getByLabel("pending approvals").textContent()).toContain("echo approved-output");
    // The run in flight shows its policy counters against its limits, and what is left.
    const budget = page.getByRole("region", { name: "policy budgets" });
    await expect.poll(() => budget.textContent(), { timeout: 60_000 }).toContain("Policy gate");
    const budgetText = (await budget.textContent()) ?? "";
    expect(budgetText).toContain("on violation: request_approval");
    expect(budgetText).toMatch(/Tool calls\d+5\d+ left/);
    expect(budgetText).toMatch(/Tokens\d+10000\d+ left/);
    expect(budgetText).toContain("tool_denied: bash");
    await checkPage(page, "session-approval");
    await approve.dblclick();
    await expect.poll(() => log.textContent(), { timeout: 60_000 }).toContain("approved-output");
    expect(decisions).toHaveLength(1);

    // Every runs-table column is visible without scrolling, at the wide width.
    const wrap = page.locator(".table-wrap").first();
    const fits = await wrap.evaluate((el) => el.scrollWidth <= el.clientWidth);
    expect(fits, "runs table fits its panel").toBe(true);
    for (const name of ["Run", "Provider", "Status", "Tokens", "Cost", "Actions"])
      await expect.poll(() => page.getByRole("columnheader", { name }).isVisible()).toBe(true);

    // The socket drops: the page says so, resumes from the last sequence it has, and misses or repeats nothing.
    const sessionId = /#\/sessions\/(ses_[0-9a-f]{32})/.exec(page.url())![1]!;
    const connection = page.getByRole("status", { name: "connection" });
    await expect.poll(() => connection.textContent(), { timeout: 60_000 }).toMatch(/^live/);
    // Cut every open socket and report what the page says once it notices, with the last sequence it had shown.
    const dropped = await page.evaluate<{ text: string; last: number }>(`new Promise((resolve) => {
      for (const s of window.__sockets) if (s.readyState === 1) s.close();
      const el = document.querySelector("[aria-label=connection]");
      const t = setInterval(() => {
        if (!el.textContent.includes("reconnecting")) return;
        clearInterval(t);
        const shown = [...document.querySelectorAll("[role=log] [data-seq]")].map((e) => Number(e.dataset.seq));
        resolve({ text: el.textContent, last: Math.max(...shown) });
      }, 5);
    })`);
    expect(dropped.text).toBe(`connection lost at #${dropped.last}; reconnecting…`);
    // Appended while the page is away: it must receive them on resuming.
    await callApi(`/sessions/${sessionId}/events`, {
      method: "POST",
      json: { events: [1, 2, 3].map((n) => ({ type: "message_sent", data: { role: "user", content: `while-away-${n}` } })) },
    });
    await expect.poll(() => connection.textContent(), { timeout: 60_000 }).toBe(`live · resumed from #${dropped.last}`);
    await callApi(`/sessions/${sessionId}/events`, {
      method: "POST",
      json: { events: [{ type: "message_sent", data: { role: "user", content: "after-resume" } }] },
    });
    const all = await callApi<{ events: { sequence: number }[] }>(`/sessions/${sessionId}/events?limit=1000`);
    const expected = all.events.map((e) => e.sequence);
    await expect.poll(() => shownSequences(page), { timeout: 60_000 }).toEqual(expected);
    await checkPage(page, "session-resumed");

    // A workspace diff, per file with colours; each file collapses on its own.
    const ended = async (input: string, workspace?: Record<string, unknown>) => {
      const run = await callApi<{ id: string }>(`/sessions/${sessionId}/runs`, {
        method: "POST",
        json: { provider: "shell", input, ...(workspace ? { workspace } : {}) },
      });
      const done = await callApi<{ id: string; status: string }>(`/sessions/${sessionId}/runs/${run.id}/wait?timeout_ms=60000`);
      expect(done.status, input).toBe("completed");
      return done;
    };
    await ended(
      "git init -q repo && cd repo && git config user.email e2e@example.com && git config user.name e2e && printf 'alpha\\nbeta\\n' > one.txt && printf 'gone\\n' > two.txt && git add . && git commit -qm init",
    );
    const change = await ended("cd repo && printf 'alpha\\ngamma\\n' > one.txt && rm two.txt && printf 'new\\n' > three.txt", {
      path: "repo",
      backend: "git",
      snapshot: true,
    });
    const diffButton = page
      .getByRole("row")
      .filter({ has: page.locator(`td[title="${change.id}"]`) })
      .getByRole("button", { name: "Diff" });
    await diffButton.waitFor({ timeout: 60_000 });
    await diffButton.click();
    const diff = page.getByRole("region", { name: "workspace diff" });
    await diff.waitFor({ timeout: 60_000 });
    const files = diff.locator("details.diff-file");
    await expect.poll(() => files.count()).toBe(3);
    const paths = await diff.locator(".diff-path").allTextContents();
    expect(paths.sort()).toEqual(["one.txt", "three.txt", "two.txt"]);
    const one = files.filter({ has: page.locator(".diff-path", { hasText: "one.txt" }) });
    expect(await one.locator(".del").last().textContent()).toContain("-beta");
    expect(await one.locator(".add").last().textContent()).toContain("+gamma");
    expect(await one.locator("summary").textContent()).toContain("+1 −1");
    // Added and removed lines are coloured differently.
    const colours = await page.evaluate<string[]>(
      `[".diff .add", ".diff .del"].map((sel) => getComputedStyle(document.querySelector("details.diff-file " + sel)).color)`,
    );
    expect(colours[0]).not.toBe(colours[1]);
    await checkPage(page, "session-diff");
    await one.locator("summary").click();
    expect(await one.evaluate((el) => (el as unknown as { open: boolean }).open)).toBe(false);
    expect(
      await files
        .filter({ has: page.locator(".diff-path", { hasText: "three.txt" }) })
        .evaluate((el) => (el as unknown as { open: boolean }).open),
    ).toBe(true);

    // Deny with a reason, from the tenant's approvals page.
    await page.getByLabel("run input").fill("echo denied-output");
    await page.getByRole("button", { name: "Start run" }).click();
    await page.getByRole("button", { name: "Approve" }).waitFor({ timeout: 60_000 });
    await page.goto(`${stack.url}/#/approvals`);
    const tenant = page.getByLabel("tenant pending approvals");
    // The tenant list reads D1, which lags a flush, and the page reloads it every 10 s: give it several reloads.
    await expect.poll(() => tenant.textContent(), { timeout: 60_000 }).toContain("echo denied-output");
    await checkPage(page, "approvals");
    await tenant.getByRole("textbox").first().fill("not in this test");
    await tenant.getByRole("button", { name: "Deny" }).first().click();
    await expect.poll(() => tenant.textContent(), { timeout: 60_000 }).toContain("Denied (not in this test)");
    expect(decisions.at(-1)).toContain("not in this test");

    await page.goto(`${stack.url}/#/`);
    await page.getByRole("button", { name: "New session" }).waitFor();
    await expect.poll(() => page.getByRole("cell", { name: "shell" }).count(), { timeout: 60_000 }).toBeGreaterThan(0);
    await checkPage(page, "sessions");

    await page.goto(`${stack.url}/#/cost`);
    await page.getByRole("img", { name: "By provider" }).waitFor({ timeout: 60_000 });
    expect(await page.getByRole("img", { name: "By provider" }).textContent()).toContain("shell");
    // Every chart label lies inside its chart's box.
    const clipped = await page.evaluate<string[]>(`[...document.querySelectorAll("svg[role=img]")].flatMap((svg) => {
      const width = svg.viewBox.baseVal.width;
      return [...svg.querySelectorAll("text")].filter((t) => { const b = t.getBBox(); return b.x < 0 || b.x + b.width > width; }).map((t) => t.textContent);
    })`);
    expect(clipped).toEqual([]);
    await checkPage(page, "cost");

    await page.goto(`${stack.url}/#/sessions/ses_${"0".repeat(32)}`);
    await page.getByRole("heading", { name: "No such session" }).waitFor({ timeout: 60_000 });
    await checkPage(page, "unknown-session");
    await page.getByRole("link", { name: "← Back to all sessions" }).click();
    await page.getByRole("button", { name: "New session" }).waitFor();

    expect(pageErrors).toEqual([]);
  }, 600_000);
});
