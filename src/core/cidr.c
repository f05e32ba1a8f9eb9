/*
 * cidr.c - IP networks: parse, match, print (see cidr.h). inet_pton and
 * inet_ntop do the address syntax; this file adds only the prefix.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/cidr.h"

static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
                                         0, 0, 0, 0, 0xff, 0xff};

/* 1 if the address bits past the prefix are all zero. */
static int host_bits_clear(const struct jg_cidr *c, int max)
{
	for (int b = c->prefix; b < max; b++)
		if (c->addr[b / 8] & (0x80 >> (b % 8)))
			return 0;
	return 1;
}

/* The decimal prefix d (no sign, no leading zero, at most max), or -1. */
static int prefix_of(const char *d, int max)
{
	size_t dl = strlen(d);
	int v = 0;

	if (dl < 1 || dl > 3 || (dl > 1 && d[0] == '0'))
		return -1;
	for (size_t i = 0; i < dl; i++) {
		if (d[i] < '0' || d[i] > '9')
			return -1;
		v = v * 10 + (d[i] - '0');
	}
	return v > max ? -1 : v;
}

int jg_cidr_parse(const char *text, struct jg_cidr *c, char *why,
                  size_t whylen)
{
	char addr[INET6_ADDRSTRLEN], fix[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	int max;

	if (alen == 0 || alen >= sizeof(addr))
		goto bad;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	c->family = memchr(addr, ':', alen) ? AF_INET6 : AF_INET;
	if (inet_pton(c->family, addr, c->addr) != 1)
		goto bad;
	max = c->family == AF_INET ? 32 : 128;
	c->prefix = slash ? prefix_of(slash + 1, max) : max;
	if (c->prefix < 0)
		goto bad;
	/* ::ffff:a.b.c.d would never equal a source seen as IPv4 */
	if (c->family == AF_INET6 && c->prefix >= 96 &&
	    !memcmp(c->addr, mapped, sizeof(mapped))) {
		inet_ntop(AF_INET, c->addr + 12, fix, sizeof(fix));
		snprintf(why, whylen, "is an IPv4-mapped address (write it "
		         "as IPv4: %s/%d)", fix, c->prefix - 96);
		return -1;
	}
	if (!host_bits_clear(c, max)) {
		struct jg_cidr net = *c;
		for (int b = c->prefix; b < max; b++)
			net.addr[b / 8] &= (unsigned char)~(0x80 >> (b % 8));
		inet_ntop(c->family, net.addr, fix, sizeof(fix));
		snprintf(why, whylen, "has host bits set (did you mean "
		         "%s/%d?)", fix, c->prefix);
		return -1;
	}
	return 0;
bad:
	snprintf(why, whylen, "is not an address or a network (such as "
	         "10.0.0.0/8, 192.168.1.7 or 2001:db8::/32)");
	return -1;
}

int jg_ip_parse(const char *text, int *family, unsigned char addr[16])
{
	if (!text)
		return 0;
	if (inet_pton(AF_INET, text, addr) == 1) {
		*family = AF_INET;
		return 1;
	}
	if (inet_pton(AF_INET6, text, addr) != 1)
		return 0;
	*family = AF_INET6;
	if (memcmp(addr, mapped, sizeof(mapped)) == 0) {
		memmove(addr, addr + 12, 4);
		*family = AF_INET;
	}
	return 1;
}

int jg_cidr_contains(const struct jg_cidr *c, int family,
                     const unsigned char addr[16])
{
	int full = c->prefix / 8, rest = c->prefix % 8;

	if (c->family != family || memcmp(c->addr, addr, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (c->addr[full] & mask) == (addr[full] & mask);
}

void jg_cidr_text(const struct jg_cidr *c, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(c->family, c->addr, ip, sizeof(ip));
	snprintf(buf, len, "%s/%d", ip, c->prefix);
}
