/*
 * cidr.h - IP networks as bytes: parsing "10.0.0.0/8", "2001:db8::/32" or
 * a bare address, and testing whether an address lies in one. Pure: no
 * I/O. Used by the policy's source check and by the server's list of
 * trusted proxies, so both read and match networks the same way.
 */
#ifndef JG_CORE_CIDR_H
#define JG_CORE_CIDR_H

#include <stddef.h>

struct jg_cidr {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];  /* network order; v4 uses the first 4 */
	int prefix;              /* 0..32 or 0..128 */
};

/*
 * Parse text ("10.0.0.0/8", "192.168.1.7" as a /32, "::1" as a /128)
 * into *c. 0, or -1 with why (a phrase to follow "cidr 'TEXT' ", such as
 * "has host bits set (did you mean 10.0.0.0/8?)") written to why. An
 * IPv4-mapped IPv6 network and one with host bits set are refused: the
 * first would never match an IPv4 source, the second is a typo.
 */
int jg_cidr_parse(const char *text, struct jg_cidr *c, char *why,
                  size_t whylen);

/* Parse an address (no prefix); IPv4-mapped IPv6 counts as IPv4. 1 when
 * it is one, else 0. */
int jg_ip_parse(const char *text, int *family, unsigned char addr[16]);

/* 1 when the address (as jg_ip_parse gives it) lies in c. */
int jg_cidr_contains(const struct jg_cidr *c, int family,
                     const unsigned char addr[16]);

/* "10.0.0.0/8" into buf. */
void jg_cidr_text(const struct jg_cidr *c, char *buf, size_t len);

#endif
