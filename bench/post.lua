-- post.lua - wrk script for the HTTP benchmarks (bench/run).
--
-- Every request is a POST (or WRK_METHOD) to the URL given to wrk, with the JSON body WRK_BODY
-- and, when WRK_TOKEN is set, "Authorization: Bearer WRK_TOKEN"; wrk
-- keeps its connections alive. At the end it prints one line
--   RESULT {"bench":"http","target":WRK_NAME, …}
-- with the rate, the latency p50/p99 (ns) and the errors, where non2xx
-- counts answers other than 2xx/3xx (a wrong token would show here).

local body = os.getenv("WRK_BODY") or "{}"
local token = os.getenv("WRK_TOKEN") or ""
local name = os.getenv("WRK_NAME") or "target"
local conns = os.getenv("WRK_CONNS") or "0"

-- WRK_METHOD=GET (bench/forward_auth.sh): no body; WRK_HOST: a Host header
wrk.method = os.getenv("WRK_METHOD") or "POST"
if wrk.method == "POST" then
	wrk.body = body
	wrk.headers["Content-Type"] = "application/json"
end
if (os.getenv("WRK_HOST") or "") ~= "" then
	wrk.headers["Host"] = os.getenv("WRK_HOST")
end
if token ~= "" then
	wrk.headers["Authorization"] = "Bearer " .. token
end

function done(summary, latency, requests)
	local secs = summary.duration / 1e6
	local e = summary.errors
	io.write(string.format(
		'RESULT {"bench":"http","target":"%s","connections":%s,' ..
		'"requests":%d,"seconds":%.3f,"rate":%.0f,"p50_ns":%d,' ..
		'"p99_ns":%d,"errors":%d,"non2xx":%d}\n',
		name, conns, summary.requests, secs, summary.requests / secs,
		latency:percentile(50) * 1000, latency:percentile(99) * 1000,
		e.connect + e.read + e.write + e.timeout, e.status))
end
