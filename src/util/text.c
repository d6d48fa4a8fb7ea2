/* text.c: utf8proc does the Unicode work; we add the Vietnamese d-with-stroke, which Unicode does
 * not decompose, and whitespace collapsing so that search keys compare cleanly. */
#include "util/text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

int text_valid(const char *s, size_t n)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;

	while (n > 0) {
		k = utf8proc_iterate(p, (utf8proc_ssize_t)n, &cp);
		/* C1 controls (U+0080..U+009F) too: no text contains them, they arrive from cp1252 read as
		 * Latin-1 (U+0093/U+0094 for quotes) and U+009B is a terminal escape. */
		if (k <= 0 || cp == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
		    (cp >= 0x7f && cp <= 0x9f))
			return 0;
		p += k;
		n -= (size_t)k;
	}
	return 1;
}

char *text_nfc(const char *s)
{
	utf8proc_uint8_t *out = NULL;

	if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
			 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE) < 0)
		return NULL;
	return (char *)out;
}

char *text_fold(const char *s)
{
	utf8proc_uint8_t *m = NULL;
	utf8proc_ssize_t n;
	char *out, *w;
	int space = 1;

	n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &m,
			 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK |
				 UTF8PROC_CASEFOLD | UTF8PROC_COMPAT);
	if (n < 0)
		return NULL;
	out = malloc((size_t)n + 1);
	if (!out) {
		free(m);
		return NULL;
	}
	w = out;
	for (utf8proc_ssize_t i = 0; i < n;) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(m + i, n - i, &cp);

		if (k <= 0)
			break;
		if (cp == 0x0111) { /* đ (Đ was case-folded to it) */
			*w++ = 'd';
			space = 0;
		} else if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
			if (!space)
				*w++ = ' ';
			space = 1;
		} else {
			memcpy(w, m + i, (size_t)k);
			w += k;
			space = 0;
		}
		i += k;
	}
	if (w > out && w[-1] == ' ')
		w--;
	*w = '\0';
	free(m);
	return out;
}

char *text_trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
		i++;
	if (i)
		memmove(s, s + i, n - i + 1);
	return s;
}
