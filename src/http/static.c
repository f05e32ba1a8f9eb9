/*
 * static.c - serve the embedded dashboard. Public: the page holds no
 * data; everything it shows comes from the API after sign-in.
 */
#include <string.h>

#include "http/assets.h"
#include "http/handlers.h"

void jg_api_static(struct jg_ex *ex)
{
	for (size_t i = 0; i < jg_nassets; i++) {
		if (strcmp(jg_assets[i].path, ex->path) != 0)
			continue;
		ex->raw = MHD_create_response_from_buffer(
		        jg_assets[i].size, (void *)jg_assets[i].data,
		        MHD_RESPMEM_PERSISTENT);
		if (!ex->raw) {
			jg_ex_fail(ex, JG_ENOMEM, NULL);
			return;
		}
		MHD_add_response_header(ex->raw, "Content-Type",
		                        jg_assets[i].type);
		ex->status = 200;
		return;
	}
	jg_ex_fail(ex, JG_ENOTFOUND, "no such file");
}
