// The inspector and the reference pages in headless Chromium, driven by
// playwright-core (run by `cargo xtask browser`, which starts the server
// with the demo world and passes its URLs). Every step asserts on the DOM;
// screenshots go to OUT.
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(`${process.env.TOOLS_NPM}/`);
const { chromium } = require("playwright-core");

const SANDBOX = process.env.SANDBOX;
const ALTA = process.env.ALTA;
const LEADTERRA = process.env.LEADTERRA;
const ALTA_DOCS = process.env.ALTA_DOCS;
const OUT = process.env.OUT;
const ALTA_CAMPAIGN = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const TIMEOUT = 15000;

async function call(method, url, headers = {}, body) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { ...headers, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} ${url}: ${response.status} ${await response.text()}`);
  return response;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const steps = [];
const step = (name) => { steps.push(name); console.log(`  browser: ${name}`); };
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(TIMEOUT);
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));

  // 1. The inspector lists the workspaces; Alta's campaign is active.
  await page.goto(`${SANDBOX}/ui`);
  const alta = page.locator("#workspaces button", { hasText: "Alta demo workspace" });
  await alta.waitFor();
  // Keyboard: focus the workspace button and press Enter.
  await alta.focus();
  await page.keyboard.press("Enter");
  const altaRow = page.locator(`#campaigns tr[data-id="${ALTA_CAMPAIGN}"]`);
  await altaRow.locator("td").nth(2).filter({ hasText: "active" }).waitFor();
  step("the inspector lists the workspaces, and Alta's campaign is active");

  // 2. Pause it through the Alta face: the page shows it paused.
  await call("POST", `${ALTA}/campaigns/${ALTA_CAMPAIGN}/pause`,
    { Authorization: "Bearer alta_demo_token" }, { pauseProspects: true });
  await altaRow.locator("td").nth(2).filter({ hasText: "paused" }).waitFor();
  await page.screenshot({ path: `${OUT}/1-alta-paused.png`, fullPage: true });
  step("a pause through the Alta face shows as paused without a reload");

  // 3. Leadterra: a failing webhook receiver, then advance the clock and
  //    watch the campaign's sends move.
  await call("POST", `${SANDBOX}/workspaces/leadterra-demo/webhooks`, {},
    { url: `${SANDBOX}/sink/failing?status=500`, events: ["message.sent"] });
  await page.locator("#workspaces button", { hasText: "Leadterra demo workspace" }).click();
  const campaign = page.locator('#campaigns tr[data-id="camp_123"]');
  await campaign.waitFor();
  await campaign.focus();
  await page.keyboard.press("Enter");
  const summary = page.locator("#timeline-summary");
  await summary.filter({ hasText: "sent 0," }).waitFor();
  const clockBefore = await page.locator("#clock-now").textContent();
  await page.fill("#advance-seconds", "7200");
  await page.click("#advance");
  await page.waitForFunction((before) => document.getElementById("clock-now").textContent !== before, clockBefore);
  await summary.filter({ hasText: /sent [1-9]/ }).waitFor();
  await page.screenshot({ path: `${OUT}/2-sends-moved.png`, fullPage: true });
  step("advancing the clock moves the sends (sent 0 -> sent > 0)");

  // 4. The deliveries failed at the receiver; open one and redeliver it.
  await page.click("#tab-webhooks");
  const delivery = page.locator("#deliveries tbody tr").first();
  await delivery.locator("td").nth(4).filter({ hasText: "500" }).waitFor();
  const attemptsBefore = Number(await delivery.locator("td").nth(3).textContent());
  await delivery.click();
  await page.locator("#attempts li", { hasText: "answered 500" }).first().waitFor();
  await page.screenshot({ path: `${OUT}/3-failed-delivery.png`, fullPage: true });
  const id = await delivery.getAttribute("data-id");
  await delivery.locator("button.redeliver").click();
  await page.waitForFunction(([id, before]) => {
    const row = document.querySelector(`#deliveries tr[data-id="${id}"]`);
    return row && Number(row.children[3].textContent) > before;
  }, [id, attemptsBefore]);
  await page.screenshot({ path: `${OUT}/4-redelivered.png`, fullPage: true });
  step("a failed delivery shows its attempts, and Redeliver makes another");

  // 5. The request log: the face's requests, with the key masked.
  await call("GET", `${LEADTERRA}/v1/campaigns/camp_123/stats`, { Authorization: "Bearer sk_live_YOUR_KEY" });
  await page.click("#tab-requests");
  const request = page.locator("#requests tbody tr", { hasText: "/v1/campaigns/camp_123/stats" }).first();
  await request.click();
  const headers = page.locator("#request-headers");
  await headers.filter({ hasText: "authorization: Bearer sk_l…" }).waitFor();
  assert.ok(!(await headers.textContent()).includes("YOUR_KEY"), "the key is masked");
  await page.screenshot({ path: `${OUT}/5-request-log.png`, fullPage: true });
  step("the request log shows the request, its key masked");

  // 6. The reference pages: linked from /ui, rendered from the document.
  const link = page.locator("#face-docs a", { hasText: "alta" });
  assert.equal(await link.getAttribute("href"), ALTA_DOCS);
  await page.goto(ALTA_DOCS);
  await page.locator("h1", { hasText: "Alta" }).first().waitFor();
  await page.getByText("pauseProspects").first().waitFor();
  await page.screenshot({ path: `${OUT}/6-alta-docs.png` });
  await page.goto(`${SANDBOX}/docs`);
  await page.locator("h2", { hasText: "Export the world" }).first().waitFor();
  step("/docs renders each port's document (Alta's and the sandbox's)");

  assert.deepEqual(errors, [], "no script error on the pages");
  console.log(`browser: ${steps.length} steps passed; screenshots in ${OUT}`);
} finally {
  await browser.close();
}
