/* arena.c: chunked bump allocator; chunks double up to a limit, total bytes capped. */
#include "util/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct chunk *head;
	size_t cap, total;
};

struct arena *arena_new(size_t cap)
{
	struct arena *a = calloc(1, sizeof(*a));

	if (a)
		a->cap = cap;
	return a;
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c;
	size_t need = (n + 15) & ~(size_t)15, sz;

	/* Compare against what is left rather than total + need, which can wrap; and keep the
	 * chunk size below PTRDIFF_MAX so that sizeof(*c) + sz cannot wrap either. */
	if (!a || need < n || need > a->cap - a->total || need > PTRDIFF_MAX - sizeof(*c))
		return NULL;
	c = a->head;
	if (!c || c->size - c->used < need) {
		sz = c ? c->size * 2 : 4096;
		if (sz > 1u << 20)
			sz = 1u << 20;
		if (sz < need)
			sz = need;
		c = malloc(sizeof(*c) + sz);
		if (!c)
			return NULL;
		c->size = sz;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	a->total += need;
	c->used += need;
	return c->data + c->used - need;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(p = arena_alloc(a, (size_t)n + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t arena_used(const struct arena *a)
{
	return a ? a->total : 0;
}

void arena_free(struct arena *a)
{
	struct chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}
