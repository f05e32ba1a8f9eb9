/*
 * proxy.h - the reverse proxies trusted to name the client
 * (`serve --trusted-proxy CIDR`), and the client's address they give.
 *
 * Behind a proxy the TCP peer is the proxy, so source screening and the
 * request's context would see only it. X-Forwarded-For names the client,
 * but any client can send that header: it is read only when the peer is
 * in a trusted network, and then from the right, skipping the trusted
 * hops, so what a client wrote to the left of its own address is never
 * believed.
 */
#ifndef JG_HTTP_PROXY_H
#define JG_HTTP_PROXY_H

#include <stddef.h>

#include <microhttpd.h>

#define JG_PROXIES_MAX 64 /* trusted networks */

struct jg_proxies;

/*
 * Add the networks of list ("10.0.0.0/8" or "10.0.0.1,192.168.0.0/16")
 * to *p (allocated on first use; jg_proxies_free it). 0, or -1 with why
 * (naming the bad entry) in err and *p unchanged.
 */
int jg_proxies_add(struct jg_proxies **p, const char *list, char *err,
                   size_t errlen);
void jg_proxies_free(struct jg_proxies *p);

/*
 * The client's address into buf: peer itself unless p trusts it; then
 * the right-most X-Forwarded-For entry (xff, all its headers joined by
 * commas; NULL when none) that p does not trust, or the left-most
 * trusted hop when all are trusted. An entry that is no address makes
 * the client unknown (""): the screening that needs it fails closed.
 */
void jg_proxies_client(const struct jg_proxies *p, const char *peer,
                       const char *xff, char *buf, size_t len);

/*
 * The client of conn as text into buf (INET6_ADDRSTRLEN bytes suffice):
 * its TCP peer, or with p (may be NULL) what jg_proxies_client makes of
 * the peer and its X-Forwarded-For headers.
 */
void jg_proxies_peer(const struct jg_proxies *p, struct MHD_Connection *conn,
                     char *buf, size_t len);

/* 1 when conn's TCP peer itself (not what X-Forwarded-For says) is in
 * a network of p (NULL: none is), e.g. the proxy asking forward-auth. */
int jg_proxies_trusts_peer(const struct jg_proxies *p,
                           struct MHD_Connection *conn);

#endif
