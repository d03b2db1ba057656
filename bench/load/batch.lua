-- wrk script: POST /v1/batch with BATCH (default 100) new page and order events per request, as
-- a busy site's server-side SDKs send them. Every messageId is new (no duplicate shortcut);
-- visitors are drawn from a million, so the writer keeps meeting people it already stored.
-- RATE (requests per second over all connections, optional) paces the requests on a fixed
-- schedule: the latency at a given load instead of the most the server takes.
-- The bodies are made from a few hundred templates whose ids are filled in per request by one
-- substitution: the load generator shares the machine's cores with the server, and building
-- every event with string.format would take more of them than the server does.
-- Usage: AUTH="Basic $(printf '%s:' "$WRITE_KEY" | base64)" [RATE=1000 THREADS=2] \
--   wrk -t2 -c64 -d30s --latency -s bench/load/batch.lua http://127.0.0.1:PORT
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } attrib_timespec;
  int clock_gettime(int clock, attrib_timespec* ts);
]]

local auth = os.getenv("AUTH") or error('set AUTH to "Basic base64(writeKey:)"')
local size = tonumber(os.getenv("BATCH") or "100")
local rate = tonumber(os.getenv("RATE") or "0")
local thread_count = tonumber(os.getenv("THREADS") or "2")  -- wrk's -t
local kTemplates = 256
thread_id = 0  -- set per thread by setup()
local threads = {}

local landings = {
  "https://shop.example/?utm_source=facebook&utm_medium=paid_social&fbclid=IwAR@R@%d",
  "https://shop.example/?gclid=Cj0K@R@%d",
  "https://shop.example/p/%d",
  "https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=w%d",
}
local referrers = { "https://l.facebook.com/", "https://www.google.com/", "https://www.bing.com/", "" }

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

-- A batch whose messageIds hold @R@ (the request's number) and whose visitors are
-- v<random 1..1000000 / 100>@V@ (@V@: a random digit pair per request): a million visitors.
local function template()
  local events = {}
  for i = 1, size do
    local visitor = string.format("v%d@V@", math.random(0, 9999))
    local minute = math.random(0, 59)
    if i % 20 == 0 then
      events[i] = string.format(
        '{"type":"track","event":"Order Completed","messageId":"w%d-@R@-%d","anonymousId":"%s",' ..
        '"timestamp":"2026-11-20T10:%02d:30Z","properties":{"revenue":%d,"currency":"USD"}}',
        thread_id, i, visitor, minute, math.random(5, 200))
    else
      local k = math.random(1, #landings)
      events[i] = string.format(
        '{"type":"page","messageId":"w%d-@R@-%d","anonymousId":"%s","timestamp":"2026-11-20T10:%02d:00Z",' ..
        '"context":{"page":{"url":"%s","referrer":"%s"},"userAgent":"Mozilla/5.0"}}',
        thread_id, i, visitor, minute, string.format(landings[k], i), referrers[k])
    end
  end
  return '{"batch":[' .. table.concat(events, ",") .. "]}"
end

local templates = {}
local counter = 0
local start = os.time()
local interval, next_at  -- pacing: seconds between this thread's requests, and the next one's time

local function now()
  local ts = ffi.new("attrib_timespec")
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

function init(args)
  math.randomseed(thread_id * 7919 + os.time())
  for t = 1, kTemplates do templates[t] = template() end
  if rate > 0 then
    interval = thread_count / rate
    next_at = now()
  end
end

function delay()
  if not interval then return 0 end
  next_at = next_at + interval
  local wait = next_at - now()
  return wait > 0 and wait * 1000 or 0
end

function request()
  counter = counter + 1
  local request_id = string.format("%d-%d", start, counter)
  local body = templates[math.random(1, kTemplates)]
      :gsub("@R@", request_id)
      :gsub("@V@", string.format("%02d", math.random(0, 99)))
  return wrk.format("POST", "/v1/batch",
    { ["Authorization"] = auth, ["Content-Type"] = "application/json" }, body)
end

local non_200 = 0
function response(status, headers, body)
  if status ~= 200 then
    non_200 = non_200 + 1
    if non_200 <= 3 then io.stderr:write(string.format("status %d: %s\n", status, body)) end
  end
end
