-- wrk script: GET /v1/ENDPOINT (attribution, attribution/compare, sources, stats, paths) with the
-- read key, over the demo month (October 2026): half of the queries the whole month, half a
-- random window of days; a random dimension; a quarter for one conversion event. As
-- bench/store_query_bench.cc, but over HTTP. INTERVAL=day|week|month splits attribution by it;
-- LOOKBACK=N asks attribution, compare and paths at a lookback of N days.
local read_key = os.getenv("READ_KEY") or error("set READ_KEY")
local endpoint = os.getenv("ENDPOINT") or "attribution"
local interval = os.getenv("INTERVAL") or ""
local lookback = os.getenv("LOOKBACK") or ""
local dims = { "channel", "source", "medium", "source_medium", "campaign", "rule", "confidence" }
local breakdowns = { "source", "medium", "source_medium", "channel", "campaign", "rule" }
local models = { "first_touch", "last_touch", "last_non_direct", "linear", "time_decay", "u_shaped" }
thread_id = 0  -- set per thread by setup()
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(thread_id * 104729)
end

function request()
  local params = {}
  if math.random(2) == 1 then
    local a = math.random(0, 30)
    local b = a + math.random(1, 31 - a)
    params[#params + 1] = string.format("from=2026-10-%02d", a + 1)
    params[#params + 1] = b == 31 and "to=2026-11-01" or string.format("to=2026-10-%02d", b + 1)
  end
  if endpoint == "attribution" or endpoint == "attribution/compare" or endpoint == "paths" then
    params[#params + 1] = "by=" .. dims[math.random(#dims)]
    if math.random(4) == 1 then params[#params + 1] = "conversion=Order%20Completed" end
    if lookback ~= "" then params[#params + 1] = "lookback_days=" .. lookback end
  end
  if endpoint == "attribution" then params[#params + 1] = "model=" .. models[math.random(#models)] end
  if endpoint == "attribution" and interval ~= "" then params[#params + 1] = "interval=" .. interval end
  if endpoint == "sources" then params[#params + 1] = "breakdown=" .. breakdowns[math.random(#breakdowns)] end
  return wrk.format("GET", "/v1/" .. endpoint .. "?" .. table.concat(params, "&"),
    { ["Authorization"] = "Bearer " .. read_key })
end

local bad = 0
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write(string.format("status %d: %s\n", status, body)) end
  end
end
