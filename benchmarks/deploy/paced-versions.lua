-- wrk script for the blue/green test and benchmark: GET /version at a paced rate, counting answers by version and
-- every non-2xx answer. wrk itself has no fixed-rate mode (wrk2 has): each connection waits DELAY_MS between requests
-- (wrk's delay() hook), so the load is at most connections * 1000 / DELAY_MS requests a second, steady whatever the
-- latency does. done() prints one line "versions v1=N v2=N ... non2xx=N" that the test parses.
local delay_ms = tonumber(os.getenv("DELAY_MS") or "20")
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   counts = {}
   non2xx = 0
   wrk.path = "/version"
end

function delay()
   return delay_ms
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      return
   end
   local version = (body or ""):gsub("%s+$", "")
   counts[version] = (counts[version] or 0) + 1
end

function done(summary, latency, requests)
   local totals = {}
   local bad = 0
   for _, thread in ipairs(threads) do
      bad = bad + thread:get("non2xx")
      local c = thread:get("counts")
      for version, n in pairs(c) do totals[version] = (totals[version] or 0) + n end
   end
   local names = {}
   for version in pairs(totals) do table.insert(names, version) end
   table.sort(names)
   local line = "versions"
   for _, version in ipairs(names) do line = line .. " " .. version .. "=" .. totals[version] end
   local e = summary.errors
   io.write(string.format("%s non2xx=%d socket_errors=%d\n", line, bad, e.connect + e.read + e.write + e.timeout))
end
