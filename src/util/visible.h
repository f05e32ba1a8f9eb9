/*
 * visible.h - the characters a reader cannot see, and how to show them.
 *
 * A payload, reason or name holding a bidi control (Trojan Source,
 * CVE-2021-42574), a zero-width character or a terminal control displays
 * as something other than what runs. This module is the one definition,
 * for C, of that set ("hidden characters"): C0 controls but newline and
 * tab, DEL, C1 controls, bidi marks, embeddings, overrides and isolates,
 * zero-width and invisible characters, the soft hyphen, fillers,
 * variation selectors, tags and other format characters (the table is in
 * visible.c; web/lib.js keeps the same table for the dashboard). Bytes
 * that are not well-formed UTF-8 are shown too.
 *
 * The CLI renders text through jg_vis_render ("<U+202E>" in place of the
 * character) and screening names the first one it finds (jg_vis_find).
 * Pure functions, no allocation.
 */
#ifndef JG_VISIBLE_H
#define JG_VISIBLE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of rendered text one input byte may take at most ("<U+0001>"). */
#define JG_VIS_GROWTH 8

/* jg_vis_render flags. */
#define JG_VIS_MULTILINE 1 /* keep newlines and tabs as they are */

/*
 * Decode the UTF-8 sequence at s (n bytes available) into *cp. Returns its
 * length, or 0 when it is ill-formed: truncated, overlong, a surrogate or
 * past U+10FFFF.
 */
size_t jg_vis_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* 1 when code point cp is hidden (newline and tab are not). */
int jg_vis_hidden(uint32_t cp);

/* The name of hidden cp, such as "RIGHT-TO-LEFT OVERRIDE"; NULL when cp is
 * not hidden. Static storage. */
const char *jg_vis_name(uint32_t cp);

/* One hidden character, or one ill-formed byte, found in a text. */
struct jg_vis_hit {
	size_t at;     /* byte offset in the text */
	size_t len;    /* bytes it takes (1 for an ill-formed byte) */
	uint32_t cp;   /* the code point, or the byte when ill_formed */
	int ill_formed;
};

/*
 * The first hidden character or ill-formed byte of s[from..n), in *hit.
 * Returns 1 when found, 0 when the rest of the text is clean. A caller
 * walks all of them with from = hit->at + hit->len.
 */
int jg_vis_find(const char *s, size_t n, size_t from, struct jg_vis_hit *hit);

/*
 * "U+202E RIGHT-TO-LEFT OVERRIDE" or "ill-formed UTF-8 byte 0xFF" for hit,
 * into buf (always NUL-terminated).
 */
void jg_vis_describe(const struct jg_vis_hit *hit, char *buf, size_t len);

/*
 * Copy s[0..n) into buf (len bytes, always NUL-terminated) with each hidden
 * character written as "<U+XXXX>" and each ill-formed byte as "<0xNN>";
 * newline and tab too unless flags has JG_VIS_MULTILINE. Text that does not
 * fit is cut before the first piece that would not fit, never inside a
 * character or a marker. buf must not overlap s; n * JG_VIS_GROWTH + 1
 * bytes always suffice. Returns the length written.
 */
size_t jg_vis_render(const char *s, size_t n, char *buf, size_t len,
                     unsigned flags);

#endif
