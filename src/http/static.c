/*
 * static.c - serve the embedded dashboard. Public: the page holds no
 * data; everything it shows comes from the API after sign-in.
 *
 * Each file goes gzipped to a client that takes gzip (compressed once, at
 * build time: scripts/embed.c), with the ETag of that representation and
 * "Cache-Control: no-cache": the browser keeps it and asks each time
 * whether it changed, a 304 without a body while it has not. The API's
 * answers stay no-store.
 */
#include <string.h>

#include "http/assets.h"
#include "http/etag.h"
#include "http/handlers.h"

static const struct jg_asset *find(const char *path)
{
	for (size_t i = 0; i < jg_nassets; i++)
		if (strcmp(jg_assets[i].path, path) == 0)
			return &jg_assets[i];
	return NULL;
}

void jg_api_static(struct jg_ex *ex)
{
	const struct jg_asset *a = find(ex->path);
	int gz = a && a->gz && jg_accepts_gzip(MHD_lookup_connection_value(
	                               ex->conn, MHD_HEADER_KIND,
	                               MHD_HTTP_HEADER_ACCEPT_ENCODING));
	const char *etag = a ? (gz ? a->gz_etag : a->etag) : NULL;
	int same;

	if (!a) {
		jg_ex_fail(ex, JG_ENOTFOUND, "no such file");
		return;
	}
	same = jg_etag_match(MHD_lookup_connection_value(
	                             ex->conn, MHD_HEADER_KIND,
	                             MHD_HTTP_HEADER_IF_NONE_MATCH),
	                     etag);
	ex->raw = same ? MHD_create_response_from_buffer(0, NULL,
	                                                 MHD_RESPMEM_PERSISTENT)
	               : MHD_create_response_from_buffer(
	                         gz ? a->gz_size : a->size,
	                         (void *)(gz ? a->gz : a->data),
	                         MHD_RESPMEM_PERSISTENT);
	if (!ex->raw) {
		jg_ex_fail(ex, JG_ENOMEM, NULL);
		return;
	}
	MHD_add_response_header(ex->raw, MHD_HTTP_HEADER_ETAG, etag);
	/* which representation depends on Accept-Encoding: say so to caches */
	MHD_add_response_header(ex->raw, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	ex->cache = "no-cache";
	if (same) {
		ex->status = 304;
		return;
	}
	MHD_add_response_header(ex->raw, "Content-Type", a->type);
	if (gz)
		MHD_add_response_header(ex->raw, MHD_HTTP_HEADER_CONTENT_ENCODING,
		                        "gzip");
	ex->status = 200;
}
