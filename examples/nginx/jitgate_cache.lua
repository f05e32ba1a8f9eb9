-- jitgate_cache.lua - an allow cache for nginx in front of jitgate's
-- forward-auth (docs/enforcement.md, "nginx with an allow cache"), for
-- nginx's Lua module. It takes auth_request's place in a protected
-- location (access phase):
--
--   # http {}
--   lua_shared_dict jitgate 10m;                     # the cache
--   lua_package_path "/etc/nginx/lua/?.lua;;";       # where this file is
--
--   location / {
--     # everything /_jitgate passes that names the caller
--     set $jitgate_key "$http_authorization|$cookie_jg_session";
--     set $jg_principal ""; set $jg_grant ""; set $jg_expires "";
--     set $jg_request_url "";
--     access_by_lua_block { require("jitgate_cache").access() }
--     proxy_set_header X-Jitgate-Principal $jg_principal;
--     ...
--   }
--
-- On a miss it asks jitgate through the internal location /_jitgate, the
-- same one auth_request uses, and keeps an allow for as long as jitgate's
-- X-Jitgate-Cache-Ms says: at most the policy's forward_auth.cache (1 s
-- by default), never past the grant's end. A denial is never kept, so a
-- grant approved a moment ago works at once; a revocation waits for the
-- cached allow to end. The key is the SHA-1 of $jitgate_key (no
-- credential sits in the cache in clear) with the client's address, the
-- method, host and URI: a caller, an address (jitgate records the first
-- use of a grant from each), a route or a method the answer was not
-- about misses. Anything unexpected ($jitgate_key unset, jitgate
-- unreachable, an answer other than 2xx, 401, 403) fails closed, as
-- auth_request does.
--
-- A module, so that what follows runs once per worker and access() is a
-- function LuaJIT compiles: the per-request work is a hash, a lookup and
-- three variables on a hit.

local M = {}

local cache = ngx.shared.jitgate
local var = ngx.var
local find, sub = string.find, string.sub
local sha1_bin, get_method = ngx.sha1_bin, ngx.req.get_method
local capture, exit = ngx.location.capture, ngx.exit

-- On a hit, the cached "principal\ngrant\nexpires" (names hold no newline)
-- into the variables the upstream is given.
local function from_cache(hit)
  local a = find(hit, "\n", 1, true)
  local b = find(hit, "\n", a + 1, true)
  var.jg_principal = sub(hit, 1, a - 1)
  var.jg_grant = sub(hit, a + 1, b - 1)
  var.jg_expires = sub(hit, b + 1)
end

-- Ask jitgate; keep an allow for the time it says.
local function ask(key)
  local res = capture("/_jitgate")
  local h, status = res.header, res.status
  if status >= 200 and status < 300 then
    local p = h["X-Jitgate-Principal"] or ""
    local g = h["X-Jitgate-Grant"] or ""
    local e = h["X-Jitgate-Expires"] or ""
    var.jg_principal, var.jg_grant, var.jg_expires = p, g, e
    local ms = tonumber(h["X-Jitgate-Cache-Ms"] or "0") or 0
    if ms > 0 then -- an exptime of 0 would mean "forever"
      cache:set(key, p .. "\n" .. g .. "\n" .. e, ms / 1000)
    end
    return
  end
  if status == 401 or status == 403 then
    var.jg_request_url = h["X-Jitgate-Request-Url"] or ""
    return exit(status)
  end
  ngx.log(ngx.ERR, "jitgate answered ", status, " to the forward-auth question")
  return exit(ngx.HTTP_INTERNAL_SERVER_ERROR)
end

function M.access()
  if not cache then
    ngx.log(ngx.ERR, "jitgate_cache: no lua_shared_dict named jitgate")
    return exit(ngx.HTTP_INTERNAL_SERVER_ERROR)
  end
  local key = sha1_bin(var.jitgate_key) .. var.remote_addr .. "\n" ..
              get_method() .. "\n" .. var.host .. "\n" .. var.request_uri
  local hit = cache:get(key)
  if hit then
    return from_cache(hit)
  end
  return ask(key)
end

return M
