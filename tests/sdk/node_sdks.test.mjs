// The server spoken to by the SDKs sites really use on their servers: Segment's analytics-node
// and RudderStack's rudder-sdk-node (which gzips its batches and labels them
// application/x-www-form-urlencoded), both unchanged but for their host; then the events and
// their credits are read back through the query API.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { Analytics as SegmentAnalytics } from "@segment/analytics-node";
import RudderAnalytics from "@rudderstack/rudder-sdk-node";
import { Served } from "./serve.mjs";

let served; // a new server and store for each test
beforeEach(async () => {
  served = await Served.start();
});
afterEach(async () => {
  await served?.stop();
});

const at = (minute) => new Date(Date.UTC(2026, 10, 20, 10, minute));
const visit = (url, referrer) => ({ page: { url, referrer } });

// Credit per channel under a model, from the query API.
async function creditByChannel(model, conversions) {
  const { body } = await served.queryUntil(
    `/v1/attribution?model=${model}&by=channel`,
    ({ status, body }) =>
      status === 200 && body.reduce((n, row) => n + row.conversions, 0) >= conversions - 1e-9,
  );
  return Object.fromEntries(body.map((row) => [row.channel, row]));
}

test("analytics-node: pages, identify and orders are stored, stitched and credited", async () => {
  const analytics = new SegmentAnalytics({
    writeKey: served.writeKey,
    host: served.url,
    flushInterval: 100,
  });
  const failures = [];
  analytics.on("error", (e) => failures.push(e));
  // A Facebook ad click, then the visitor signs in and buys.
  analytics.page({
    anonymousId: "node-anon-1",
    name: "Landing",
    timestamp: at(0),
    context: visit("https://shop.example/?fbclid=IwAR2x&utm_source=facebook&utm_medium=paid_social",
                   "https://l.facebook.com/"),
  });
  analytics.identify({ anonymousId: "node-anon-1", userId: "node-user-1", timestamp: at(2) });
  analytics.track({
    userId: "node-user-1",
    event: "Order Completed",
    properties: { revenue: 99, currency: "USD", order_id: "n-1" },
    timestamp: at(5),
  });
  // An organic Google visit that buys too.
  analytics.page({
    anonymousId: "node-anon-2",
    timestamp: at(1),
    context: visit("https://shop.example/shoes", "https://www.google.com/"),
  });
  analytics.track({
    anonymousId: "node-anon-2",
    event: "Order Completed",
    properties: { revenue: 20, currency: "USD", order_id: "n-2" },
    timestamp: at(9),
  });
  await analytics.closeAndFlush({ timeout: 10000 });
  assert.deepEqual(failures, []);

  // The journey of the signed-in buyer: the anonymous visit stitched to the user, classified
  // as paid Facebook by a named rule, and the order credited to it.
  const journey = await served.queryUntil(
    "/v1/journeys?user_id=node-user-1",
    ({ status, body }) => status === 200 && body.conversions?.length === 1,
  );
  assert.equal(journey.status, 200, JSON.stringify(journey.body));
  const posts = (await served.loggedThrough("/v1/journeys")).filter((r) => r.method === "POST");
  assert.ok(posts.length >= 1);
  assert.deepEqual(
    posts.filter((r) => r.path !== "/v1/batch" || r.status !== 200),
    [],
    "every request a 200 to /v1/batch",
  );
  assert.deepEqual(journey.body.ids, [
    { type: "user", id: "node-user-1" },
    { type: "anonymous", id: "node-anon-1" },
  ]);
  const [session] = journey.body.sessions;
  assert.deepEqual(
    [session.channel, session.source, session.medium, session.rule_id],
    ["paid_social", "facebook", "paid", "fb_ad_redirect"],
  );
  const [order] = journey.body.conversions;
  assert.equal(order.revenue, 99);
  assert.equal(order.touchpoints[0].credits.last_non_direct, 1);

  const credit = await creditByChannel("last_touch", 2);
  assert.equal(credit.paid_social?.revenue, 99, JSON.stringify(credit));
  assert.equal(credit.organic_search?.revenue, 20, JSON.stringify(credit));
});

test("rudder-sdk-node: gzip batches are accepted and every event stored once", async () => {
  const client = new RudderAnalytics(served.writeKey, {
    dataPlaneUrl: served.url,
    flushAt: 100,
    flushInterval: 100000,
    gzip: true,
    logLevel: "error",
  });
  const sent = [];
  const capture = (message) => sent.push(message);
  for (let i = 0; i < 40; i++) {
    const page = {
      anonymousId: `rudder-anon-${i}`,
      name: "Home",
      timestamp: at(10 + (i % 40)),
      context: visit(`https://shop.example/?utm_source=newsletter&utm_medium=email&i=${i}`, ""),
    };
    client.page(page);
    capture(page);
  }
  client.track({
    anonymousId: "rudder-anon-0",
    event: "Order Completed",
    properties: { revenue: 15, currency: "USD", order_id: "r-1" },
    timestamp: at(55),
  });
  await new Promise((resolve, reject) => client.flush((err) => (err ? reject(err) : resolve())));

  const stats = await served.queryUntil(
    "/v1/stats",
    ({ body }) => body.sessions >= 40 && body.conversions >= 1,
  );
  assert.equal(stats.body.sessions, 40, JSON.stringify(stats.body));
  assert.equal(stats.body.conversions, 1);
  assert.equal(stats.body.revenue, 15);
  // The bodies crossed the wire compressed: far smaller than the JSON they carried.
  const posts = (await served.loggedThrough("/v1/stats")).filter((r) => r.method === "POST");
  assert.deepEqual(
    posts.filter((r) => r.path !== "/v1/batch" || r.status !== 200),
    [],
    "every request a 200 to /v1/batch",
  );
  const wire = posts.reduce((n, r) => n + r.bytes_in, 0);
  const json = JSON.stringify(sent).length;
  assert.ok(wire < json / 3, `${wire} bytes on the wire for ${json} of JSON`);
  const sources = await served.query("/v1/sources?breakdown=source_medium");
  const email = sources.body.find((row) => row.source === "newsletter" && row.medium === "email");
  assert.equal(email?.uniques, 40, JSON.stringify(sources.body));
});
