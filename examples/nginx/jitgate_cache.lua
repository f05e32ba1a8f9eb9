-- jitgate_cache.lua - an allow cache for nginx in front of jitgate's
-- forward-auth (docs/enforcement.md, "nginx with an allow cache").
--
-- It takes auth_request's place in a protected location (access phase):
--
--   lua_shared_dict jitgate 10m;          # in http {}: the cache
--   location / {
--     # everything that names the caller, as nginx passes it to jitgate
--     set $jitgate_key "$http_authorization|$cookie_jg_session";
--     set $jg_principal ""; set $jg_grant ""; set $jg_expires "";
--     set $jg_request_url "";
--     access_by_lua_file /etc/nginx/jitgate_cache.lua;
--     proxy_set_header X-Jitgate-Principal $jg_principal;
--     ...
--   }
--
-- On a miss it asks jitgate through the internal location /_jitgate, the
-- same one auth_request uses, and keeps an allow for as long as jitgate's
-- X-Jitgate-Cache-Ms says: at most the policy's forward_auth.cache (1 s
-- by default), never past the grant's end. A denial is never kept, so a
-- grant approved a moment ago works at once; a revocation waits for the
-- cached allow to end. The key is the SHA-1 of $jitgate_key with the
-- client's address, the method, host and URI: no credential sits in the
-- cache in clear, and a caller, an address (jitgate records the first use
-- of a grant from each), a route or a method the answer was not about
-- misses.
-- Anything unexpected ($jitgate_key unset, jitgate unreachable, an answer
-- other than 2xx, 401, 403) fails closed, as auth_request does.

local cache = ngx.shared.jitgate
local var = ngx.var
local find, sub = string.find, string.sub
local key = ngx.sha1_bin(var.jitgate_key .. "\n" .. var.remote_addr .. "\n" ..
                         ngx.req.get_method() .. "\n" .. var.host .. "\n" ..
                         var.request_uri)

-- a hit: "principal\ngrant\nexpires" (names hold no newline)
local hit = cache:get(key)
if hit then
  local a = find(hit, "\n", 1, true)
  local b = find(hit, "\n", a + 1, true)
  var.jg_principal = sub(hit, 1, a - 1)
  var.jg_grant = sub(hit, a + 1, b - 1)
  var.jg_expires = sub(hit, b + 1)
  return
end

local res = ngx.location.capture("/_jitgate")
local h = res.header
if res.status >= 200 and res.status < 300 then
  local p, g, e = h["X-Jitgate-Principal"] or "", h["X-Jitgate-Grant"] or "",
                  h["X-Jitgate-Expires"] or ""
  var.jg_principal, var.jg_grant, var.jg_expires = p, g, e
  local ms = tonumber(h["X-Jitgate-Cache-Ms"] or "0") or 0
  if ms > 0 then -- an exptime of 0 would mean "forever"
    cache:set(key, p .. "\n" .. g .. "\n" .. e, ms / 1000)
  end
  return
end
if res.status == 401 or res.status == 403 then
  var.jg_request_url = h["X-Jitgate-Request-Url"] or ""
  return ngx.exit(res.status)
end
ngx.log(ngx.ERR, "jitgate answered ", res.status, " to the forward-auth question")
return ngx.exit(ngx.HTTP_INTERNAL_SERVER_ERROR)
