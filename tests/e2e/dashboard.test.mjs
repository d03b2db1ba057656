// The dashboard in Debian's chromium, as a marketer uses it: against `attrib serve` on the demo
// shop's traffic, signed in with the read key. Every view renders without a console error, its
// numbers are the query API's for the same filters, switching the model changes the comparison
// as the API says, and the person lookup shows the rules that classified each visit. A
// screenshot of each view is written to $ARTIFACTS (default: the system's temporary directory).
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { Served } from "../sdk/serve.mjs";

const artifacts = process.env.ARTIFACTS ?? join(tmpdir(), "attrib-dashboard");
mkdirSync(artifacts, { recursive: true });
// A desktop browser as people have it, not "HeadlessChrome".
const userAgent =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

let served, browser, page;
const problems = []; // console errors and uncaught exceptions, in any view

before(async () => {
  served = await Served.start("shop", { demoVisitors: 3000 });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
  const context = await browser.newContext({ userAgent, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
});
after(async () => {
  await browser?.close();
  await served?.stop();
});

const api = async (path, params = {}) => {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== ""));
  const { status, body } = await served.query(`${path}?${query}`);
  assert.equal(status, 200, JSON.stringify(body));
  return body;
};

// A table's rows as {column: data-value (numbers) or text}, by the first column's text.
async function tableRows(selector) {
  return page.$$eval(`${selector} tbody tr`, (trs) =>
    trs.map((tr) => Object.fromEntries([...tr.cells].map((td) => [
      td.dataset.column, td.dataset.value !== undefined ? Number(td.dataset.value) : td.textContent,
    ]))));
}

async function waitLoaded() {
  await page.waitForFunction(() => document.getElementById("status").textContent === "");
}

async function showView(name) {
  await page.click(`[role="tab"][data-view="${name}"]`);
  await waitLoaded();
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

const label = (r, by) => (by === "source_medium" ? `${r.source} / ${r.medium}` : r[by]);

test("signing in: a wrong key is refused, the read key opens the dashboard", async () => {
  await page.goto(served.url + "/");
  await page.fill("#read-key", "rk_notakey");
  await page.click("#sign-in button[type=submit]");
  await page.waitForFunction(() => document.getElementById("sign-in-error").textContent !== "");
  assert.match(await page.textContent("#sign-in-error"), /refused/);
  // The browser reports the refused request (401) on its console: expected here, and only that.
  assert.ok(problems.every((p) => p.includes("401")), problems.join("\n"));
  problems.length = 0;
  await page.fill("#read-key", served.readKey);
  await page.click("#sign-in button[type=submit]");
  await page.waitForSelector("#kpis .kpi");
  await waitLoaded();
  assert.ok(!page.url().includes(served.readKey), "the key is never in the URL");
  assert.equal(await page.isVisible("#sign-in"), false, "the sign-in form is gone");
  assert.equal(await page.isVisible("#sign-out"), true);
  const options = await page.$$eval("#conversion option", (os) => os.map((o) => o.value));
  const stats = await api("/v1/stats");
  assert.deepEqual(options, ["", ...stats.conversion_events]);
});

test("channels: sessions, visitors and the model's conversions are the API's", async () => {
  await showView("overview");
  const model = await page.inputValue("#model");
  for (const by of ["channel", "source_medium"]) {
    const [sources, credits] = await Promise.all([
      api("/v1/sources", { breakdown: by }),
      api("/v1/attribution", { by, model }),
    ]);
    const rows = await tableRows(by === "channel" ? "#table-channels" : "#table-source-medium");
    assert.equal(rows.length, new Set([...sources, ...credits].map((r) => label(r, by))).size);
    for (const s of sources) {
      const row = rows.find((r) => r.group === label(s, by));
      assert.ok(row, `${label(s, by)} is shown`);
      assert.equal(row.sessions, s.events);
      assert.equal(row.visitors, s.uniques);
    }
    for (const c of credits) {
      assert.equal(rows.find((r) => r.group === label(c, by)).conversions, c.conversions);
    }
  }
  const stats = await api("/v1/stats");
  const kpis = await page.$$eval("#kpis .value", (vs) => vs.map((v) => v.textContent));
  assert.equal(kpis[0], stats.sessions.toLocaleString("en-US"));
  assert.equal(await page.$$eval("#chart-channels canvas", (c) => c.length), 1);
});

test("filters: a window and a confidence level give the API's numbers for them", async () => {
  await page.fill("#from", "2026-10-05");
  await page.fill("#to", "2026-10-18");
  await page.selectOption("#confidence", "high");
  await waitLoaded();
  const sources = await api("/v1/sources", {
    breakdown: "channel", from: "2026-10-05", to: "2026-10-19", min_confidence: "high",
  });
  const rows = await tableRows("#table-channels");
  for (const s of sources) assert.equal(rows.find((r) => r.group === s.channel).sessions, s.events);
  // One conversion event: the totals and the credits are of it alone.
  const { conversion_events: events } = await api("/v1/stats");
  await page.selectOption("#conversion", events[0]);
  await waitLoaded();
  const window = { from: "2026-10-05", to: "2026-10-19", conversion: events[0] };
  const stats = await api("/v1/stats", window);
  const kpi = await page.$$eval("#kpis .kpi", (ks) => ks.map((k) => k.textContent));
  assert.equal(kpi[2], `Conversions (${events[0]})${stats.conversions.toLocaleString("en-US")}`);
  const credits = await api("/v1/attribution", { ...window, by: "channel", model: "last_non_direct" });
  const shown = await tableRows("#table-channels");
  for (const c of credits) assert.equal(shown.find((r) => r.group === c.channel).conversions, c.conversions);
  await page.selectOption("#conversion", "");
  await page.fill("#from", "");
  await page.fill("#to", "");
  await page.selectOption("#confidence", "");
  await waitLoaded();
});

test("over time: each period's credit per channel is the API's, under the model chosen", async () => {
  await showView("trend");
  const model = await page.inputValue("#model");
  const check = async (metric, interval, asModel) => {
    const credits = await api("/v1/attribution", { by: "channel", model: asModel, interval });
    const rows = await tableRows("#table-trend");
    const periods = [...new Set(credits.map((c) => c.period))];
    assert.ok(periods.length >= (interval === "day" ? 20 : 4), `${periods.length} ${interval}s`);
    // Every period from the first to the last, those without credit too.
    assert.equal(rows[0].period, periods[0]);
    assert.equal(rows.at(-1).period, periods.at(-1));
    assert.ok(rows.length >= periods.length);
    for (const c of credits) {
      assert.equal(rows.find((r) => r.period === c.period)[`c:${c.channel}`], c[metric],
                   `${c.period} ${c.channel}`);
    }
  };
  await check("conversions", "day", model);
  await page.selectOption("#trend-metric", "revenue");
  await page.selectOption("#trend-interval", "week");
  await waitLoaded();
  await check("revenue", "week", model);
  await page.screenshot({ path: join(artifacts, "trend-revenue-per-week.png"), fullPage: true });
  // A data-driven model has no credit per period: the view says so and shows linear's.
  await page.selectOption("#model", "markov");
  await waitLoaded();
  assert.match(await page.textContent("#trend-note"), /^Markov .* revenue shown under Linear\.$/);
  await check("revenue", "week", "linear");
  await page.selectOption("#model", model);
  await page.selectOption("#trend-metric", "conversions");
  await page.selectOption("#trend-interval", "");
  await waitLoaded();
  assert.match(await page.textContent("#trend-note"), /^Conversions credited under Last non-direct, per day/);
  assert.equal(await page.$$eval("#chart-trend canvas", (c) => c.length), 1);
});

test("journey paths: the API's commonest paths, drawn as flows from step to step", async () => {
  await showView("paths");
  for (const by of ["channel", "source_medium"]) {
    await page.selectOption("#paths-by", by);
    await waitLoaded();
    const result = await api("/v1/paths", { by, limit: 20 });
    const rows = await tableRows("#table-paths");
    assert.equal(rows.length, result.paths.length);
    assert.equal(rows.length, 20);
    result.paths.forEach((p, i) => {
      assert.equal(rows[i].path, p.steps.join(" → "));
      assert.equal(rows[i].journeys, p.journeys);
      assert.equal(rows[i].conversions, p.conversions);
      assert.equal(rows[i].revenue, p.revenue);
    });
    assert.match(await page.textContent("#paths-summary"),
                 new RegExp(`^${result.journeys.toLocaleString("en-US")} journeys took`));
  }
  // The Sankey's flows: each converting path's conversions pass through its steps.
  const flows = await page.evaluate(() => {
    const option = echarts.getInstanceByDom(document.getElementById("chart-paths")).getOption();
    return option.series[0].links;
  });
  const result = await api("/v1/paths", { by: "source_medium", limit: 20 });
  const converted = result.paths.reduce((sum, p) => sum + p.conversions, 0);
  const intoSale = flows.filter((l) => l.target === "Conversion").reduce((sum, l) => sum + l.value, 0);
  assert.equal(intoSale, converted);
  await page.screenshot({ path: join(artifacts, "paths-source-medium.png"), fullPage: true });
  await page.selectOption("#paths-by", "channel");
  await waitLoaded();
});

test("facebook: paid and social apart, with the API's conversion rates", async () => {
  await showView("facebook");
  const model = await page.inputValue("#model");
  const credits = (await api("/v1/attribution", { by: "source_medium", model }))
    .filter((c) => c.source === "facebook");
  const rows = await tableRows("#table-facebook");
  assert.ok(credits.length >= 2);
  for (const c of credits) {
    const row = rows.find((r) => r.medium === c.medium);
    assert.equal(row.conversions, c.conversions);
    assert.equal(row.conversion_rate, c.conversion_rate);
  }
  assert.match(await page.textContent("#facebook-headline"), /Paid Facebook converts .*×/);
});

test("models: every model side by side, and switching the model changes the difference", async () => {
  await showView("models");
  const compare = await api("/v1/attribution/compare", { by: "channel" });
  const credit = (model, channel) =>
    compare.find((r) => r.model === model && r.channel === channel)?.conversions ?? 0;
  for (const model of ["markov", "shapley", "first_touch"]) {
    await page.selectOption("#model", model);
    await waitLoaded();
    const rows = await tableRows("#table-models");
    assert.ok(rows.length > 3);
    for (const row of rows) {
      for (const m of new Set(compare.map((r) => r.model))) assert.equal(row[m], credit(m, row.channel));
      assert.ok(Math.abs(row.difference - (credit(model, row.channel) - credit("last_touch", row.channel))) < 1e-9);
    }
    const header = await page.$$eval("#table-models th", (ths) => ths.at(-1).textContent);
    assert.match(header, /− last touch$/);
  }
  await page.screenshot({ path: join(artifacts, "models-markov-shapley-first.png"), fullPage: true });
  await page.selectOption("#model", "last_non_direct");
  await waitLoaded();
});

test("rule audit: each rule's sessions are the API's", async () => {
  await showView("rules");
  const { rules } = await api("/v1/rules");
  const rows = await tableRows("#table-rules");
  const fired = rules.filter((r) => r.sessions > 0);
  assert.equal(rows.length, fired.length);
  for (const r of fired) assert.equal(rows.find((x) => x.id === r.id).sessions, r.sessions);
  const download = page.waitForEvent("download");
  await page.click("#table-rules .table-tools button");
  const csv = readFileSync(await (await download).path(), "utf8").split("\n");
  assert.equal(csv[0], "Rule,Source,Medium,Confidence,Sessions,Visitors,Conversions (Last non-direct),In the cascade");
  assert.equal(csv.length - 2, fired.length); // a header, the rows, a final newline
});

test("person: the audit trail from each visit's rule to its credit", async () => {
  await showView("person");
  const user = readFileSync(served.demo, "utf8")
    .split("\n")
    .find((l) => l.includes('"Order Completed"') && l.includes('"userId"'))
    .match(/"userId":"([^"]+)"/)[1];
  await page.fill("#person-id", user);
  await page.click("#person-form button[type=submit]");
  await waitLoaded();
  await page.screenshot({ path: join(artifacts, "person.png"), fullPage: true });
  const journey = await api("/v1/journeys", { user_id: user });
  const shown = await page.$$eval('#person-result td[data-column="rule_id"]', (tds) =>
    tds.map((td) => td.textContent));
  const expected = [
    ...journey.sessions.map((s) => s.rule_id),
    ...journey.conversions.flatMap((c) => c.touchpoints.map((t) => t.rule_id)),
  ];
  assert.deepEqual(shown, expected);
  assert.ok(journey.conversions.length >= 1);
});

test("lookback: another lookback's credits, paths and trails are the API's at it", async () => {
  // Still on the person found above; the project's lookback is the first choice.
  const user = await page.inputValue("#person-id");
  const { lookback_days: own } = await api("/v1/stats");
  assert.equal(await page.inputValue("#lookback"), "");
  assert.match(await page.textContent("#lookback-note"), new RegExp(`${own} days`));
  await page.selectOption("#lookback", "7");
  await waitLoaded();
  assert.match(await page.textContent("#lookback-note"), /reached back 7 days/);
  const journey = await api("/v1/journeys", { user_id: user, lookback_days: 7 });
  const credits = await page.$$eval('#person-result td[data-column="credit"]', (tds) =>
    tds.map((td) => Number(td.dataset.value)));
  assert.deepEqual(credits, journey.conversions.flatMap((c) =>
    c.touchpoints.map((t) => t.credits.last_non_direct)));

  await showView("models");
  const [week, month] = await Promise.all([
    api("/v1/attribution/compare", { by: "channel", lookback_days: 7 }),
    api("/v1/attribution/compare", { by: "channel" }),
  ]);
  const rows = await tableRows("#table-models");
  let moved = 0;
  for (const r of week) {
    const row = rows.find((x) => x.channel === r.channel);
    assert.equal(row[r.model], r.conversions, `${r.model} ${r.channel}`);
    const before = month.find((m) => m.model === r.model && m.channel === r.channel);
    moved += Math.abs(r.conversions - (before?.conversions ?? 0)) > 1e-9;
  }
  assert.ok(moved > 5, "a week's lookback moves credit between channels");
  await page.screenshot({ path: join(artifacts, "models-lookback-7-days.png"), fullPage: true });

  await showView("paths");
  const paths = await api("/v1/paths", { by: "channel", limit: 20, lookback_days: 7 });
  const shown = await tableRows("#table-paths");
  assert.deepEqual(shown.map((r) => r.path), paths.paths.map((p) => p.steps.join(" → ")));
  assert.deepEqual(shown.map((r) => r.journeys), paths.paths.map((p) => p.journeys));

  await page.selectOption("#lookback", "");
  await waitLoaded();
});

test("a phone's width: the page fits, wide tables scroll inside their cards", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  for (const view of ["overview", "trend", "paths", "models"]) {
    await page.click(`[role="tab"][data-view="${view}"]`);
    await waitLoaded();
    await page.screenshot({ path: join(artifacts, `${view}-phone.png`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${view}: the page is ${overflow} px wider than the screen`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
});

test("no view wrote a console error", () => {
  assert.deepEqual(problems, []);
});
