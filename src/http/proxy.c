/*
 * proxy.c - trusted proxies and X-Forwarded-For (see proxy.h). The
 * networks are core/cidr's, so they read and match as the policy's do.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/cidr.h"
#include "http/proxy.h"

struct jg_proxies {
	struct jg_cidr net[JG_PROXIES_MAX];
	size_t n;
};

int jg_proxies_add(struct jg_proxies **p, const char *list, char *err,
                   size_t errlen)
{
	struct jg_proxies tmp = *p ? **p : (struct jg_proxies){.n = 0};
	char item[64], why[160];
	const char *s = list;

	for (;;) {
		size_t n;
		while (*s == ' ')
			s++;
		n = strcspn(s, ",");
		if (tmp.n == JG_PROXIES_MAX) {
			snprintf(err, errlen, "at most %d trusted proxy "
			         "networks", JG_PROXIES_MAX);
			return -1;
		}
		snprintf(item, sizeof(item), "%.*s", (int)n, s);
		for (size_t k = strlen(item); k && item[k - 1] == ' ';)
			item[--k] = '\0';
		if (n >= sizeof(item) ||
		    jg_cidr_parse(item, &tmp.net[tmp.n], why, sizeof(why))) {
			snprintf(err, errlen, "--trusted-proxy '%.*s' %s",
			         (int)(n < 60 ? n : 60), s,
			         n >= sizeof(item) ? "is too long" : why);
			return -1;
		}
		tmp.n++;
		if (!s[n])
			break;
		s += n + 1;
	}
	if (!*p && !(*p = malloc(sizeof(**p)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	**p = tmp;
	return 0;
}

void jg_proxies_free(struct jg_proxies *p)
{
	free(p);
}

static int trusted(const struct jg_proxies *p, const char *addr)
{
	unsigned char a[16];
	int family;

	if (!jg_ip_parse(addr, &family, a))
		return 0;
	for (size_t i = 0; i < p->n; i++)
		if (jg_cidr_contains(&p->net[i], family, a))
			return 1;
	return 0;
}

/* The entry of xff that ends at end (exclusive), trimmed, into buf;
 * returns where the entry starts. */
static const char *entry_before(const char *xff, const char *end, char *buf,
                                size_t len)
{
	const char *start = end, *e = end;

	while (start > xff && start[-1] != ',')
		start--;
	const char *b = start;
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((size_t)(e - b) >= len)
		buf[0] = '\0'; /* too long for an address: no address */
	else
		snprintf(buf, len, "%.*s", (int)(e - b), b);
	return start;
}

void jg_proxies_client(const struct jg_proxies *p, const char *peer,
                       const char *xff, char *buf, size_t len)
{
	char hop[64];
	const char *end, *start;
	unsigned char a[16];
	int family;

	snprintf(buf, len, "%s", peer);
	if (!p || !xff || !trusted(p, peer))
		return;
	for (end = xff + strlen(xff); *xff; end = start - 1) {
		start = entry_before(xff, end, hop, sizeof(hop));
		if (!jg_ip_parse(hop, &family, a)) {
			buf[0] = '\0'; /* the proxy passed on no address */
			return;
		}
		snprintf(buf, len, "%s", hop);
		if (!trusted(p, hop) || start == xff)
			return;
	}
}

#define XFF_MAX 2048 /* all X-Forwarded-For headers of one request */

struct xff {
	char text[XFF_MAX];
	size_t len;
	int over;
};

/* Join every X-Forwarded-For header, in order, with commas: a proxy may
 * add its own header line rather than extend the client's. */
static enum MHD_Result join_xff(void *cls, enum MHD_ValueKind kind,
                                const char *key, const char *value)
{
	struct xff *x = cls;
	int n;

	(void)kind;
	if (strcasecmp(key, "X-Forwarded-For") != 0 || !value)
		return MHD_YES;
	n = snprintf(x->text + x->len, sizeof(x->text) - x->len, "%s%s",
	             x->len ? "," : "", value);
	if (n < 0 || (size_t)n >= sizeof(x->text) - x->len)
		x->over = 1;
	else
		x->len += (size_t)n;
	return MHD_YES;
}

/* The TCP peer of conn as text into peer, "" when unknown. */
static void tcp_peer(struct MHD_Connection *conn,
                     char peer[INET6_ADDRSTRLEN])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
	        conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	peer[0] = '\0';
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		          peer, INET6_ADDRSTRLEN);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		          &((const struct sockaddr_in6 *)sa)->sin6_addr, peer,
		          INET6_ADDRSTRLEN);
}

int jg_proxies_trusts_peer(const struct jg_proxies *p,
                           struct MHD_Connection *conn)
{
	char peer[INET6_ADDRSTRLEN];

	if (!p)
		return 0;
	tcp_peer(conn, peer);
	return peer[0] && trusted(p, peer);
}

void jg_proxies_peer(const struct jg_proxies *p, struct MHD_Connection *conn,
                     char *buf, size_t len)
{
	char peer[INET6_ADDRSTRLEN];
	struct xff x = {.len = 0};

	tcp_peer(conn, peer);
	if (p)
		MHD_get_connection_values(conn, MHD_HEADER_KIND, join_xff, &x);
	if (x.over) /* past any real chain of proxies: fail closed */
		snprintf(x.text, sizeof(x.text), "?");
	jg_proxies_client(p, peer, x.len || x.over ? x.text : NULL, buf, len);
}
