#!/usr/bin/env python3
"""signin_client.py - a browser stand-in for jitgate's sign-in through the
test OpenID Provider (tests/oidc/provider.mjs): follows the redirects by
hand, keeps each site's cookies apart, fills the provider's login form.

Usage: signin_client.py JITGATE_URL USER [options]
  --mfa CODE        fill the "MFA code" field
  --next PATH       the ?next= asked of jitgate
  --step-up         ?step_up=1 (the provider asks for a new login)
  --tamper JSON     POST JSON to the provider's /admin/tamper (at --op
                    URL) before the code goes back to jitgate (a crafted
                    ID token)
  --replay          after the callback, send the same callback again
  --other-browser   send the callback without this browser's jg_signin
                    cookie (a stolen state)
  --no-state        send the callback without its state
  --cacert FILE     jitgate's CA (https)
  --before-callback CMD  run CMD (sh) just before the callback (e.g.
                    stop the provider: the code exchange meets no one)

Prints key=value lines: status (of the callback), location, cookie (the
jg_session value, if set), why (the error page's sentence), and with
--replay replay_status and replay_why. Talks only to the two loopback URLs.
"""
import argparse
import html
import re
import ssl
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def opener(cacert):
    handlers = [NoRedirect()]
    if cacert:
        ctx = ssl.create_default_context(cafile=cacert)
        handlers.append(urllib.request.HTTPSHandler(context=ctx))
    return urllib.request.build_opener(*handlers)


class Browser:
    """Cookies per host:port (what a browser does for these tests)."""

    def __init__(self, cacert):
        self.jar = {}
        self.op = opener(cacert)

    def _site(self, url):
        return urllib.parse.urlsplit(url).netloc

    def send(self, url, data=None, skip_cookies=()):
        site = self._site(url)
        req = urllib.request.Request(url, data=data)
        cookies = {k: v for k, v in self.jar.get(site, {}).items()
                   if k not in skip_cookies}
        if cookies:
            req.add_header("Cookie", "; ".join(
                "%s=%s" % kv for kv in cookies.items()))
        if data is not None:
            req.add_header("Content-Type",
                           "application/x-www-form-urlencoded")
        try:
            resp = self.op.open(req, timeout=30)
        except urllib.error.HTTPError as e:
            resp = e
        for h in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = h.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in h or value == "":
                self.jar.setdefault(site, {}).pop(name.strip(), None)
            else:
                self.jar.setdefault(site, {})[name.strip()] = value
        body = resp.read().decode("utf-8", "replace")
        loc = resp.headers.get("Location")
        if loc:
            loc = urllib.parse.urljoin(url, loc)
        return resp.status, loc, body


def why_of(page):
    m = re.search(r'<p id="why">(.*?)</p>', page, re.S)
    return html.unescape(m.group(1)) if m else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("jitgate")
    ap.add_argument("user")
    ap.add_argument("--mfa", default="")
    ap.add_argument("--next")
    ap.add_argument("--step-up", action="store_true")
    ap.add_argument("--tamper")
    ap.add_argument("--op", help="the provider's URL (for --tamper)")
    ap.add_argument("--replay", action="store_true")
    ap.add_argument("--other-browser", action="store_true")
    ap.add_argument("--no-state", action="store_true")
    ap.add_argument("--cacert")
    ap.add_argument("--before-callback",
                    help="a shell command run just before the callback")
    a = ap.parse_args()
    b = Browser(a.cacert)

    q = {}
    if a.next:
        q["next"] = a.next
    if a.step_up:
        q["step_up"] = "1"
    url = a.jitgate + "/v1/auth/oidc/login"
    if q:
        url += "?" + urllib.parse.urlencode(q)
    status, loc, body = b.send(url)
    if status != 302:
        print("login_status=%d" % status)
        print("why=%s" % why_of(body))
        return 0
    # at the provider: on to its login page, the form, back to jitgate
    callback = None
    for _ in range(10):
        if loc.startswith(a.jitgate):
            callback = loc
            break
        status, nloc, body = b.send(loc)
        m = re.search(r'action="(/interaction/[^"]+/login)"', body)
        if status == 200 and m:
            form = urllib.parse.urlencode({"username": a.user,
                                           "password": a.user + "-pw",
                                           "mfa_code": a.mfa}).encode()
            status, nloc, body = b.send(urllib.parse.urljoin(loc, m.group(1)),
                                        data=form)
            if not nloc:
                print("provider_refused=%s" % re.sub(r"<[^>]+>", " ", body))
                return 1
        if not nloc:
            print("provider_stuck=%d" % status)
            return 1
        loc = nloc
    if not callback:
        print("provider_loop=1")
        return 1
    if a.tamper:
        tr = urllib.request.Request(a.op + "/admin/tamper",
                                    data=a.tamper.encode(), method="POST")
        urllib.request.urlopen(tr, timeout=10).read()
    if a.no_state:
        parts = urllib.parse.urlsplit(callback)
        qs = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query)
              if k != "state"]
        callback = urllib.parse.urlunsplit(parts._replace(
            query=urllib.parse.urlencode(qs)))
    if a.before_callback:
        subprocess.run(["sh", "-c", a.before_callback], check=True)
    skip = ("jg_signin",) if a.other_browser else ()
    status, loc, body = b.send(callback, skip_cookies=skip)
    print("status=%d" % status)
    print("location=%s" % (loc or ""))
    print("cookie=%s" % b.jar.get(b._site(a.jitgate), {}).get(
        "jg_session", ""))
    print("why=%s" % why_of(body))
    if a.replay:
        status, loc, body = b.send(callback)
        print("replay_status=%d" % status)
        print("replay_why=%s" % why_of(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
