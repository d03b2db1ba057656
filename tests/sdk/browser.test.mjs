// The server spoken to by analytics.js (@segment/analytics-next) in Debian's chromium, as a shop's
// pages load it: the settings come from the server instead of a CDN, events go as text/plain
// one by one (standard mode) or together (batching mode), and a page's own fetch with an
// Authorization header goes through a CORS preflight. The shop is served from another origin.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { Served } from "./serve.mjs";

const require = createRequire(import.meta.url);
const analyticsJs = readFileSync(
  join(dirname(require.resolve("@segment/analytics-next/package.json")), "dist/umd/index.js"),
);
const shopPage = `<!doctype html><html><head><title>Shop</title>
<script src="/analytics.js"></script></head><body><h1>Shoes</h1></body></html>`;

let served, shop, shopUrl, browser;
before(async () => {
  served = await Served.start();
  shop = createServer((req, res) => {
    if (req.url === "/analytics.js") {
      res.writeHead(200, { "Content-Type": "text/javascript" }).end(analyticsJs);
    } else if (req.url.startsWith("/shoes")) {
      res.writeHead(200, { "Content-Type": "text/html" }).end(shopPage);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => shop.listen(0, "127.0.0.1", r));
  // "localhost" against the server's 127.0.0.1: another origin, as a shop's site is.
  shopUrl = `http://localhost:${shop.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});
after(async () => {
  await browser?.close();
  await new Promise((r) => (shop ? shop.close(r) : r()));
  await served?.stop();
});

// Opens the shop's page in a fresh browser profile, loads analytics.js pointed at the server and
// runs `calls` (a function of `analytics`, in the page); resolves with the anonymous id and the
// requests the page sent to the server.
async function visit(path, referer, delivery, calls) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const sent = [];
  page.on("request", (req) => {
    if (req.url().startsWith(served.url)) sent.push(req);
  });
  await page.goto(shopUrl + path, { referer });
  const anonymousId = await page.evaluate(
    async ({ writeKey, cdnURL, delivery, calls }) => {
      const [analytics] = await window.AnalyticsNext.AnalyticsBrowser.load(
        { writeKey, cdnURL },
        delivery ? { integrations: { "Segment.io": { deliveryStrategy: delivery } } } : {},
      );
      await new Function("analytics", `return (${calls})(analytics)`)(analytics);
      return analytics.user().anonymousId();
    },
    { writeKey: served.writeKey, cdnURL: served.url, delivery, calls: calls.toString() },
  );
  // Batching mode sends on its timer: wait until the page has nothing in flight.
  await page.waitForLoadState("networkidle");
  const requests = [];
  for (const req of sent) {
    const res = await req.response();
    requests.push({
      method: req.method(),
      path: new URL(req.url()).pathname,
      contentType: req.headers()["content-type"],
      body: req.postData(),
      status: res?.status(),
    });
  }
  await context.close();
  assert.deepEqual(errors, []);
  return { anonymousId, requests };
}

test("standard mode: settings from the server, each event a text/plain request", async () => {
  const { anonymousId, requests } = await visit(
    "/shoes?utm_source=newsletter&utm_medium=email&utm_campaign=winter",
    "https://mail.example.com/",
    null,
    async (analytics) => {
      await analytics.page();
      await analytics.identify("browser-user-1", { plan: "gold" });
      await analytics.track("Order Completed", { revenue: 30, currency: "USD", order_id: "b-1" });
    },
  );
  const settings = requests.find((r) => r.path.endsWith("/settings"));
  assert.equal(settings?.status, 200, JSON.stringify(requests));
  const events = requests.filter((r) => r.method === "POST");
  assert.deepEqual(
    events.map((r) => [r.path, r.status]),
    [
      ["/v1/p", 200],
      ["/v1/i", 200],
      ["/v1/t", 200],
    ],
  );
  for (const r of events) assert.match(r.contentType, /^text\/plain/);
  // No Authorization header: the key travels in the body.
  assert.equal(JSON.parse(events[0].body).writeKey, served.writeKey);

  const journey = await served.queryUntil(
    "/v1/journeys?user_id=browser-user-1",
    ({ status, body }) => status === 200 && body.conversions?.length === 1,
  );
  assert.equal(journey.status, 200, JSON.stringify(journey.body));
  // The anonymous visit is stitched to the user who signed in, classified by its UTM tags.
  assert.deepEqual(journey.body.ids, [
    { type: "user", id: "browser-user-1" },
    { type: "anonymous", id: anonymousId },
  ]);
  const [session] = journey.body.sessions;
  assert.deepEqual(
    [session.channel, session.source, session.medium, session.campaign],
    ["email", "newsletter", "email", "winter"],
  );
  assert.match(session.rule_id, /utm/);
  assert.equal(journey.body.conversions[0].revenue, 30);
});

test("batching mode: the events of a page travel together to /v1/b", async () => {
  const { anonymousId, requests } = await visit(
    "/shoes",
    "https://www.bing.com/",
    { strategy: "batching", config: { size: 3, timeout: 500 } },
    async (analytics) => {
      analytics.page();
      analytics.track("Product Viewed", { sku: "s-1" });
      analytics.track("Order Completed", { revenue: 12, currency: "USD", order_id: "b-2" });
    },
  );
  const posts = requests.filter((r) => r.method === "POST");
  assert.deepEqual(
    posts.map((r) => [r.path, r.status]),
    [["/v1/b", 200]],
  );
  assert.match(posts[0].contentType, /^text\/plain/);
  assert.equal(JSON.parse(posts[0].body).batch.length, 3);

  const journey = await served.queryUntil(
    `/v1/journeys?anonymous_id=${anonymousId}`,
    ({ status, body }) => status === 200 && body.conversions?.length === 1,
  );
  assert.equal(journey.status, 200, JSON.stringify(journey.body));
  assert.equal(journey.body.sessions[0].source, "bing");
  assert.equal(journey.body.conversions[0].revenue, 12);
});

test("a page's own JSON request with an Authorization header passes the CORS preflight", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(shopUrl + "/shoes");
  const answer = await page.evaluate(
    async ({ url, writeKey }) => {
      const res = await fetch(`${url}/v1/track`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Basic ${btoa(writeKey + ":")}` },
        body: JSON.stringify({ anonymousId: "cors-1", event: "Signed Up", messageId: "cors-m1" }),
      });
      return { status: res.status, body: await res.json() };
    },
    { url: served.url, writeKey: served.writeKey },
  );
  await context.close();
  assert.equal(answer.status, 200, JSON.stringify(answer));
  assert.equal(answer.body.accepted, 1);
  await served.query("/v1/stats");
  const log = (await served.loggedThrough("/v1/stats")).filter((r) => r.path === "/v1/track");
  assert.deepEqual(
    log.map((r) => [r.method, r.status]),
    [
      ["OPTIONS", 204],
      ["POST", 200],
    ],
  );
});
