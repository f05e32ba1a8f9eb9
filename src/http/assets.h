/*
 * assets.h - the dashboard's files, compiled into the binary from web/
 * by scripts/embed.c (the table lives in the generated assets.c).
 */
#ifndef JG_HTTP_ASSETS_H
#define JG_HTTP_ASSETS_H

#include <stddef.h>

struct jg_asset {
	const char *path; /* "/", "/assets/app.js" */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t size;
	const unsigned char *gz; /* data gzipped (at build time), or NULL */
	size_t gz_size;
	const char *etag;        /* quoted; a prefix of data's SHA-256 */
	const char *gz_etag;     /* the gzipped representation's tag */
};

extern const struct jg_asset jg_assets[];
extern const size_t jg_nassets;

#endif
