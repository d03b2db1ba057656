-- wrk script: POST /v1/batch with BATCH (default 100) new page and order events per request, as
-- a busy site's server-side SDKs send them. Every messageId is new (no duplicate shortcut);
-- visitors are drawn from a million, so the writer keeps meeting people it already stored.
-- Usage: AUTH="Basic $(printf '%s:' "$WRITE_KEY" | base64)" wrk -t2 -c64 -d30s --latency -s bench/load/batch.lua http://127.0.0.1:PORT
local auth = os.getenv("AUTH") or error('set AUTH to "Basic base64(writeKey:)"')
local size = tonumber(os.getenv("BATCH") or "100")
local counter = 0
thread_id = 0  -- set per thread by setup()
local threads = {}

local landings = {
  "https://shop.example/?utm_source=facebook&utm_medium=paid_social&fbclid=IwAR%d",
  "https://shop.example/?gclid=Cj0K%d",
  "https://shop.example/p/%d",
  "https://shop.example/?utm_source=newsletter&utm_medium=email&utm_campaign=w%d",
}
local referrers = { "https://l.facebook.com/", "https://www.google.com/", "https://www.bing.com/", "" }

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(thread_id * 7919 + os.time())
end

function request()
  local events = {}
  for i = 1, size do
    counter = counter + 1
    local id = string.format("w%d-%d-%d", thread_id, os.time(), counter)
    local visitor = math.random(1, 1000000)
    local minute = math.random(0, 59)
    if counter % 20 == 0 then
      events[i] = string.format(
        '{"type":"track","event":"Order Completed","messageId":"%s","anonymousId":"v%d",' ..
        '"timestamp":"2026-11-20T10:%02d:30Z","properties":{"revenue":%d,"currency":"USD"}}',
        id, visitor, minute, math.random(5, 200))
    else
      local k = math.random(1, #landings)
      events[i] = string.format(
        '{"type":"page","messageId":"%s","anonymousId":"v%d","timestamp":"2026-11-20T10:%02d:00Z",' ..
        '"context":{"page":{"url":"%s","referrer":"%s"},"userAgent":"Mozilla/5.0"}}',
        id, visitor, minute, string.format(landings[k], counter), referrers[k])
    end
  end
  return wrk.format("POST", "/v1/batch",
    { ["Authorization"] = auth, ["Content-Type"] = "application/json" },
    '{"batch":[' .. table.concat(events, ",") .. "]}")
end

local non_200 = 0
function response(status, headers, body)
  if status ~= 200 then
    non_200 = non_200 + 1
    if non_200 <= 3 then io.stderr:write(string.format("status %d: %s\n", status, body)) end
  end
end
