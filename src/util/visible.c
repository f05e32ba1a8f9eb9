/*
 * visible.c - the set of hidden characters, finding them, showing them.
 *
 * The set is one sorted table of ranges, searched by bisection. It must
 * stay the same as HIDDEN_RANGES in web/lib.js, which the dashboard uses:
 * the CLI, screening and the dashboard must agree on what is hidden.
 */
#include <stdio.h>
#include <string.h>

#include "util/visible.h"

struct range {
	uint32_t lo, hi;
	const char *name;
};

/* Sorted, disjoint. Newline (U+000A) and tab (U+0009) are not in it. */
static const struct range hidden[] = {
	{0x0000, 0x0008, "CONTROL"},
	{0x000B, 0x000C, "CONTROL"},
	{0x000D, 0x000D, "CARRIAGE RETURN"},
	{0x000E, 0x001A, "CONTROL"},
	{0x001B, 0x001B, "ESCAPE"},
	{0x001C, 0x001F, "CONTROL"},
	{0x007F, 0x007F, "DELETE"},
	{0x0080, 0x009F, "C1 CONTROL"},
	{0x00AD, 0x00AD, "SOFT HYPHEN"},
	{0x034F, 0x034F, "COMBINING GRAPHEME JOINER"},
	{0x0600, 0x0605, "ARABIC FORMAT CHARACTER"},
	{0x061C, 0x061C, "ARABIC LETTER MARK"},
	{0x06DD, 0x06DD, "ARABIC END OF AYAH"},
	{0x070F, 0x070F, "SYRIAC ABBREVIATION MARK"},
	{0x115F, 0x1160, "HANGUL FILLER"},
	{0x17B4, 0x17B5, "KHMER INVISIBLE VOWEL"},
	{0x180B, 0x180D, "MONGOLIAN FREE VARIATION SELECTOR"},
	{0x180E, 0x180E, "MONGOLIAN VOWEL SEPARATOR"},
	{0x180F, 0x180F, "MONGOLIAN FREE VARIATION SELECTOR"},
	{0x200B, 0x200B, "ZERO WIDTH SPACE"},
	{0x200C, 0x200C, "ZERO WIDTH NON-JOINER"},
	{0x200D, 0x200D, "ZERO WIDTH JOINER"},
	{0x200E, 0x200E, "LEFT-TO-RIGHT MARK"},
	{0x200F, 0x200F, "RIGHT-TO-LEFT MARK"},
	{0x2028, 0x2028, "LINE SEPARATOR"},
	{0x2029, 0x2029, "PARAGRAPH SEPARATOR"},
	{0x202A, 0x202A, "LEFT-TO-RIGHT EMBEDDING"},
	{0x202B, 0x202B, "RIGHT-TO-LEFT EMBEDDING"},
	{0x202C, 0x202C, "POP DIRECTIONAL FORMATTING"},
	{0x202D, 0x202D, "LEFT-TO-RIGHT OVERRIDE"},
	{0x202E, 0x202E, "RIGHT-TO-LEFT OVERRIDE"},
	{0x2060, 0x2060, "WORD JOINER"},
	{0x2061, 0x2061, "FUNCTION APPLICATION"},
	{0x2062, 0x2062, "INVISIBLE TIMES"},
	{0x2063, 0x2063, "INVISIBLE SEPARATOR"},
	{0x2064, 0x2064, "INVISIBLE PLUS"},
	{0x2065, 0x2065, "INVISIBLE FORMAT CHARACTER"},
	{0x2066, 0x2066, "LEFT-TO-RIGHT ISOLATE"},
	{0x2067, 0x2067, "RIGHT-TO-LEFT ISOLATE"},
	{0x2068, 0x2068, "FIRST STRONG ISOLATE"},
	{0x2069, 0x2069, "POP DIRECTIONAL ISOLATE"},
	{0x206A, 0x206F, "DEPRECATED FORMAT CHARACTER"},
	{0x3164, 0x3164, "HANGUL FILLER"},
	{0xFE00, 0xFE0F, "VARIATION SELECTOR"},
	{0xFEFF, 0xFEFF, "ZERO WIDTH NO-BREAK SPACE"},
	{0xFFA0, 0xFFA0, "HALFWIDTH HANGUL FILLER"},
	{0xFFF9, 0xFFFB, "INTERLINEAR ANNOTATION"},
	{0x1D173, 0x1D17A, "MUSICAL FORMAT CHARACTER"},
	{0xE0000, 0xE007F, "TAG"},
	{0xE0100, 0xE01EF, "VARIATION SELECTOR"},
};

#define NHIDDEN (sizeof(hidden) / sizeof(hidden[0]))

size_t jg_vis_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	/* the second byte's bounds rule out overlongs, surrogates and
	 * code points past U+10FFFF (RFC 3629, table 3-7 of Unicode) */
	uint32_t c;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (!n)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
		c &= 0x07;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	*cp = c;
	return len;
}

static const struct range *lookup(uint32_t cp)
{
	size_t lo = 0, hi = NHIDDEN;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp < hidden[mid].lo)
			hi = mid;
		else if (cp > hidden[mid].hi)
			lo = mid + 1;
		else
			return &hidden[mid];
	}
	return NULL;
}

int jg_vis_hidden(uint32_t cp)
{
	return lookup(cp) != NULL;
}

const char *jg_vis_name(uint32_t cp)
{
	const struct range *r = lookup(cp);

	return r ? r->name : NULL;
}

/* Length of the piece at s[i]; *hit filled when it is hidden or bad. */
static size_t piece(const char *s, size_t n, size_t i, struct jg_vis_hit *hit,
                    int *found)
{
	const unsigned char *p = (const unsigned char *)s + i;
	size_t len = jg_vis_decode(p, n - i, &hit->cp);

	hit->at = i;
	hit->ill_formed = len == 0;
	if (!len) {
		hit->cp = p[0];
		*found = 1;
		return hit->len = 1;
	}
	*found = jg_vis_hidden(hit->cp);
	return hit->len = len;
}

int jg_vis_find(const char *s, size_t n, size_t from, struct jg_vis_hit *hit)
{
	int found = 0;

	for (size_t i = from; s && i < n;) {
		i += piece(s, n, i, hit, &found);
		if (found)
			return 1;
	}
	return 0;
}

void jg_vis_describe(const struct jg_vis_hit *hit, char *buf, size_t len)
{
	if (hit->ill_formed)
		snprintf(buf, len, "ill-formed UTF-8 byte 0x%02X",
		         (unsigned)hit->cp);
	else
		snprintf(buf, len, "U+%04X %s", (unsigned)hit->cp,
		         jg_vis_name(hit->cp) ? jg_vis_name(hit->cp) : "");
}

size_t jg_vis_render(const char *s, size_t n, char *buf, size_t len,
                     unsigned flags)
{
	struct jg_vis_hit hit;
	char mark[16];
	size_t o = 0, i = 0, plen, mlen;
	int found;

	if (!len)
		return 0;
	while (s && i < n) {
		plen = piece(s, n, i, &hit, &found);
		if (!found && !hit.ill_formed && (hit.cp == '\n' || hit.cp == '\t'))
			found = !(flags & JG_VIS_MULTILINE);
		if (!found) {
			if (o + plen >= len)
				break;
			memcpy(buf + o, s + i, plen);
			o += plen;
		} else {
			mlen = (size_t)snprintf(mark, sizeof(mark),
			                        hit.ill_formed ? "<0x%02X>"
			                                       : "<U+%04X>",
			                        (unsigned)hit.cp);
			if (o + mlen >= len)
				break;
			memcpy(buf + o, mark, mlen);
			o += mlen;
		}
		i += plen;
	}
	buf[o] = '\0';
	return o;
}
