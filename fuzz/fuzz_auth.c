/*
 * fuzz_auth.c - libFuzzer harness for authentication: bearer tokens,
 * dashboard session cookies and their CSRF tokens.
 *
 * The input is up to three lines: the Authorization header, the Cookie
 * header and the X-CSRF-Token header. In them, these markers stand for
 * real secrets of the server in this process (inproc.h), so the fuzzer
 * can build near misses of valid credentials (a valid token with a
 * suffix, a cookie among others, a right cookie with a wrong CSRF):
 *
 *   @A  the admin's token        @L  alice's token
 *   @R  a revoked token          @C  the admin's session cookie
 *   @D  a session cookie whose token was revoked
 *   @X  the admin session's CSRF token
 *
 * Each input goes to the gate directly (jg_gate_authenticate,
 * jg_gate_session_auth, jg_gate_session_open) and through the real
 * server (GET /v1/whoami, and a write, POST /v1/requests/{id}/cancel, to
 * a request that does not exist, which answers 404 only once past
 * authentication and the CSRF check).
 *
 * The property checked beyond the sanitizers: exactly the valid
 * credentials get in. A token authenticates if and only if it is the
 * admin's or alice's token, byte for byte; a cookie if and only if it is
 * the live session's; a write with a cookie needs that session's CSRF
 * token, byte for byte; revoked tokens and their sessions never work.
 *
 * Run with `make fuzz` or `make fuzz-ci` (seeds: fuzz/corpus/auth/,
 * dictionary fuzz/auth.dict).
 */
#include "inproc.h"

#define LINE_MAX_ 2048
#define RESET_EVERY 5000 /* each valid token in an input opens a session */

struct secrets {
	char revoked[JG_TOKEN_LEN];
	char dead_cookie[JG_TOKEN_LEN];
};

static struct secrets sec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	inproc_quiet_args(argc, argv);
	inproc_mhd_may_refuse = 1;
	return 0;
}

/* A revoked token, and a session that died with it. */
static void fixtures(struct inproc *ip)
{
	struct jg_principal admin, who;
	struct jg_token t;
	char id[JG_ID_LEN], csrf[JG_SHA256_HEX], why[JG_WHY_MAX];

	CHECK(jg_gate_authenticate(ip->gate, ip->admin, inproc_clock(),
	                           &admin) == JG_OK);
	inproc_token(ip, &admin, "mallory", "ops", 0, JG_ROLE_ADMIN,
	             sec.revoked, id);
	CHECK(jg_gate_session_open(ip->gate, sec.revoked, inproc_clock(),
	                           sec.dead_cookie, csrf, &who) == JG_OK);
	CHECK(jg_gate_token_revoke(ip->gate, &admin, id, inproc_clock(), &t,
	                           why) == JG_OK);
}

static struct inproc *server(void)
{
	static unsigned long n;
	struct inproc *ip = inproc_get();

	if (n == 0 || ++n % RESET_EVERY == 0) {
		if (n) {
			inproc_down(ip);
			inproc_up(ip);
		}
		fixtures(ip);
		n = n ? n : 1;
	}
	return ip;
}

/* Line i of the input with the markers replaced; "" when absent. */
static void line(const uint8_t *data, size_t size, int i, struct inproc *ip,
                 char out[LINE_MAX_])
{
	size_t at = 0, n = 0;

	for (int k = 0; k < i && at < size; at++)
		if (data[at] == '\n')
			k++;
	out[0] = '\0';
	for (; at < size && data[at] != '\n' && data[at] && n + 1 < LINE_MAX_;
	     at++) {
		const char *sub = NULL;
		if (data[at] == '@' && at + 1 < size) {
			switch (data[at + 1]) {
			case 'A': sub = ip->admin; break;
			case 'L': sub = ip->alice; break;
			case 'R': sub = sec.revoked; break;
			case 'C': sub = ip->cookie; break;
			case 'D': sub = sec.dead_cookie; break;
			case 'X': sub = ip->csrf; break;
			}
		}
		if (sub) {
			size_t len = strlen(sub);
			if (n + len + 1 >= LINE_MAX_)
				break;
			memcpy(out + n, sub, len);
			n += len;
			at++;
			continue;
		}
		/* a header value cannot hold CR or other controls but tab */
		if (data[at] == '\r' || (data[at] < 0x20 && data[at] != '\t'))
			continue;
		out[n++] = (char)data[at];
	}
	out[n] = '\0';
}

static int is_token(struct inproc *ip, const char *s)
{
	return strcmp(s, ip->admin) == 0 || strcmp(s, ip->alice) == 0;
}

/* s without the blanks a header parser trims at either end. */
static void trimmed(const char *s, char out[LINE_MAX_])
{
	size_t n = strlen(s);

	while (*s == ' ' || *s == '\t') {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	memcpy(out, s, n);
	out[n] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char auth[LINE_MAX_], cookie[LINE_MAX_], csrf[LINE_MAX_];
	static char h_auth[LINE_MAX_ + 32], h_cookie[LINE_MAX_ + 32];
	static char h_csrf[LINE_MAX_ + 32], t[LINE_MAX_];
	struct jg_principal who;
	char c2[JG_TOKEN_LEN], x2[JG_SHA256_HEX];
	const char *hdr[4];
	struct inproc *ip = server();
	int n = 0, bearer_ok, bearer_near, cookie_ok, csrf_ok;
	enum jg_err e;

	line(data, size, 0, ip, auth);
	line(data, size, 1, ip, cookie);
	line(data, size, 2, ip, csrf);

	/* the gate itself */
	e = jg_gate_authenticate(ip->gate, auth, inproc_clock(), &who);
	CHECK((e == JG_OK) == is_token(ip, auth));
	CHECK(e == JG_OK || e == JG_EAUTH);
	e = jg_gate_session_auth(ip->gate, cookie, inproc_clock(), &who, x2);
	CHECK((e == JG_OK) == (strcmp(cookie, ip->cookie) == 0));
	CHECK(e == JG_OK || e == JG_EAUTH);
	if (e == JG_OK)
		CHECK(strcmp(x2, ip->csrf) == 0 &&
		      strcmp(who.name, "admin") == 0);
	if (is_token(ip, auth)) { /* signing in with it works */
		e = jg_gate_session_open(ip->gate, auth, inproc_clock(), c2, x2,
		                         &who);
		CHECK(e == JG_OK);
	} else {
		e = jg_gate_session_open(ip->gate, auth, inproc_clock(), c2, x2,
		                         &who);
		CHECK(e == JG_EAUTH);
	}

	/*
	 * Through HTTP. A header whose value is only blanks is not sent:
	 * curl would drop it anyway (it reads "Name:" as "remove"), and the
	 * server could not tell it from an absent one.
	 */
	trimmed(auth, t);
	if (t[0]) {
		snprintf(h_auth, sizeof(h_auth), "Authorization: %s", auth);
		hdr[n++] = h_auth;
	}
	/*
	 * The blanks before a value are dropped on the way; those after it
	 * reach jitgate, which refuses "Bearer TOKEN ": safe, if stricter
	 * than RFC 9110. So: the exact header must get in, and whatever
	 * gets in must be a valid token give or take blanks.
	 */
	bearer_ok = strncmp(auth, "Bearer ", 7) == 0 && is_token(ip, auth + 7);
	bearer_near = strncmp(t, "Bearer ", 7) == 0 && is_token(ip, t + 7);
	/* the session cookie may sit among others; the parser finds it */
	cookie_ok = !t[0] && strstr(cookie, ip->cookie) != NULL;
	trimmed(cookie, t);
	if (t[0]) {
		snprintf(h_cookie, sizeof(h_cookie), "Cookie: %s", cookie);
		hdr[n++] = h_cookie;
	}
	trimmed(csrf, t);
	csrf_ok = strcmp(t, ip->csrf) == 0;
	if (t[0]) {
		snprintf(h_csrf, sizeof(h_csrf), "X-CSRF-Token: %s", csrf);
		hdr[n++] = h_csrf;
	}
	hdr[n] = NULL;

	json_decref(inproc_sane(inproc_call(ip, "GET", "/v1/whoami", hdr, NULL,
	                                    0), 0));
	if (ip->reply.status == 200)
		CHECK(bearer_near || cookie_ok);
	if (bearer_ok)
		CHECK(ip->reply.status == 200);
	json_decref(inproc_sane(inproc_call(ip, "POST",
	                                    "/v1/requests/req_none/cancel", hdr,
	                                    "{}", 2), 0));
	if (ip->reply.status == 404)
		CHECK(bearer_near || (cookie_ok && csrf_ok));
	if (bearer_ok)
		CHECK(ip->reply.status == 404);
	return 0;
}
