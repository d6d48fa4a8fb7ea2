/* arena.h: bump allocator for per-request memory (nginx pool style).
 * Everything allocated from an arena lives until arena_free(); nothing is freed piece by piece.
 * Each arena has a hard cap so that a hostile request cannot grow it without bound. */
#ifndef PCMT_ARENA_H
#define PCMT_ARENA_H

#include <stddef.h>

struct arena;

/* cap: the most bytes the arena may hand out in total. Returns NULL when out of memory. */
struct arena *arena_new(size_t cap);
/* Returns NULL when the cap would be exceeded or memory is exhausted. Memory is 16-byte aligned. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t arena_used(const struct arena *a);
void arena_free(struct arena *a);

#endif
