-- wrk: POST a check-in to one of the API addresses in $BENCH_API_PATHS (a file, one a
-- line) in turn, each with its own Idempotency-Key, so every request records a reading.
local paths = {}
for line in io.lines(os.getenv("BENCH_API_PATHS")) do paths[#paths + 1] = line end
-- thread_id is set on each thread's own state by setup(); counter counts its requests.
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function request()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  -- The -H headers (the token) are wrk.headers; a table given to wrk.format replaces them.
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = os.getenv("BENCH_RUN") .. "-" .. thread_id .. "-" .. counter
  local body = '{"value": ' .. (counter % 97) .. ', "confidence": "on_track"}'
  return wrk.format("POST", path, headers, body)
end
