-- HTTP/1.1 pipelining for wrk: each connection writes DEPTH GET requests at once and writes the
-- next DEPTH only when all of them have been answered. wrk counts the requests in the string
-- request() returns (it parses it once at start-up), so requests/s counts responses, not batches.
--
--   wrk -t1 -c100 -d5s -s bench/lib/pipeline.lua http://127.0.0.1:PORT/ -- 16
--
-- The depth is the script argument after `--` (default 16). Used by bench/load-bench.mjs.

local batch

function init(args)
  local depth = tonumber(args[1]) or 16
  -- wrk.format fills in the Host header and the path from the URL given on the command line.
  local one = wrk.format("GET", wrk.path)
  batch = string.rep(one, depth)
end

function request()
  return batch
end
