/* test_arena.c: unit tests for src/util/arena.c: the hard cap (also against sizes that would wrap
 * size_t), 16-byte alignment, string helpers, allocations larger than a chunk, and that memory handed
 * out earlier stays intact as the arena grows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/arena.h"

static void fill(void *p, size_t n, unsigned char seed)
{
	unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(seed + i * 7);
}

static int intact(const void *p, size_t n, unsigned char seed)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)(seed + i * 7))
			return 0;
	return 1;
}

static void test_cap_enforced(void **state)
{
	struct arena *a = arena_new(1024);
	void *p, *q;

	assert_non_null(a);
	assert_int_equal(arena_used(a), 0);
	p = arena_alloc(a, 512);
	assert_non_null(p);
	fill(p, 512, 1);
	q = arena_alloc(a, 512);
	assert_non_null(q);
	fill(q, 512, 2);
	assert_int_equal(arena_used(a), 1024);
	/* exactly at the cap: nothing more, not even one byte */
	assert_null(arena_alloc(a, 1));
	assert_null(arena_alloc(a, 1024));
	assert_null(arena_strdup(a, "x"));
	assert_int_equal(arena_used(a), 1024);
	assert_true(intact(p, 512, 1));
	assert_true(intact(q, 512, 2));
	arena_free(a);
}

static void test_cap_counts_rounded_sizes(void **state)
{
	struct arena *a = arena_new(100);
	void *p;

	assert_non_null(a);
	p = arena_alloc(a, 90); /* takes 96 */
	assert_non_null(p);
	fill(p, 90, 3);
	assert_int_equal(arena_used(a), 96);
	assert_null(arena_alloc(a, 1)); /* would take 16: 112 > 100 */
	assert_null(arena_alloc(a, 101));
	assert_true(intact(p, 90, 3));
	arena_free(a);

	a = arena_new(0);
	assert_non_null(a);
	assert_null(arena_alloc(a, 1));
	arena_free(a);
}

/* Sizes near SIZE_MAX must fail cleanly instead of wrapping the cap check or the chunk size. */
static void test_huge_sizes_refused(void **state)
{
	struct arena *a = arena_new(4096), *big;
	void *p = arena_alloc(a, 32);

	assert_non_null(p);
	fill(p, 32, 4);
	assert_null(arena_alloc(a, SIZE_MAX));
	assert_null(arena_alloc(a, SIZE_MAX - 15));
	assert_null(arena_alloc(a, SIZE_MAX - 31));
	assert_null(arena_alloc(a, SIZE_MAX / 2));
	assert_int_equal(arena_used(a), 32);
	assert_true(intact(p, 32, 4));
	assert_non_null(arena_alloc(a, 16));
	arena_free(a);

	/* an unlimited arena still cannot hand out more than the address space */
	big = arena_new(SIZE_MAX);
	assert_non_null(big);
	assert_null(arena_alloc(big, SIZE_MAX - 31));
	assert_null(arena_alloc(big, SIZE_MAX - 63));
	assert_null(arena_alloc(big, SIZE_MAX - 4095));
	assert_int_equal(arena_used(big), 0);
	assert_non_null(arena_alloc(big, 1));
	arena_free(big);
}

static void test_alignment(void **state)
{
	struct arena *a = arena_new(1 << 20);

	assert_non_null(a);
	for (size_t n = 1; n <= 300; n++) {
		unsigned char *p = arena_alloc(a, n);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 16, 0);
		memset(p, 0xab, n);
	}
	for (int i = 0; i < 50; i++) {
		char *s = arena_strndup(a, "abcdefghijklmnopqrstuvwxyz", (size_t)(i % 26));

		assert_non_null(s);
		assert_int_equal((uintptr_t)s % 16, 0);
	}
	/* long double and max_align_t must be storable */
	{
		max_align_t *m = arena_alloc(a, sizeof(max_align_t) * 3);

		assert_non_null(m);
		assert_int_equal((uintptr_t)m % _Alignof(max_align_t), 0);
		memset(m, 0, sizeof(max_align_t) * 3);
	}
	arena_free(a);
}

static void test_strings(void **state)
{
	struct arena *a = arena_new(64 * 1024);
	const char *name = "Nguyễn Văn Ánh";
	char src[] = "mutable";
	char *s, *t, *u, *v, *w;

	assert_non_null(a);
	s = arena_strdup(a, name);
	assert_non_null(s);
	assert_ptr_not_equal(s, name);
	assert_string_equal(s, name);

	t = arena_strdup(a, src);
	src[0] = 'M';
	assert_string_equal(t, "mutable"); /* a copy, not an alias */

	u = arena_strndup(a, "abcdef", 3);
	assert_string_equal(u, "abc");
	assert_string_equal(arena_strndup(a, "abcdef", 0), "");
	assert_string_equal(arena_strdup(a, ""), "");

	v = arena_printf(a, "%s-%d-%05.1f", "x", 42, 3.14159);
	assert_non_null(v);
	assert_string_equal(v, "x-42-003.1");
	w = arena_printf(a, "%s", "100%"); /* user text passed as an argument, not as the format */
	assert_string_equal(w, "100%");
	assert_string_equal(arena_printf(a, "%s", ""), "");

	/* earlier strings survive later allocations */
	assert_string_equal(s, name);
	assert_string_equal(u, "abc");
	arena_free(a);
}

static void test_printf_long_and_capped(void **state)
{
	struct arena *a = arena_new(16 * 1024);
	char *s;

	assert_non_null(a);
	s = arena_printf(a, "%5000s|", "end"); /* longer than the first 4 KiB chunk */
	assert_non_null(s);
	assert_int_equal(strlen(s), 5001);
	assert_string_equal(s + 4997, "end|");
	assert_null(arena_printf(a, "%20000s", "x")); /* over the cap */
	assert_string_equal(s + 4997, "end|");
	arena_free(a);
}

static void test_large_allocation(void **state)
{
	struct arena *a = arena_new(16u << 20);
	unsigned char *small, *huge, *huge2, *after;
	size_t mb2 = 2u << 20, mb3 = 3u << 20;

	assert_non_null(a);
	small = arena_alloc(a, 100);
	assert_non_null(small);
	fill(small, 100, 5);
	huge = arena_alloc(a, mb2); /* bigger than the largest chunk (1 MiB) */
	assert_non_null(huge);
	assert_int_equal((uintptr_t)huge % 16, 0);
	fill(huge, mb2, 6);
	after = arena_alloc(a, 200);
	assert_non_null(after);
	fill(after, 200, 7);
	huge2 = arena_alloc(a, mb3 + 1);
	assert_non_null(huge2);
	fill(huge2, mb3 + 1, 8);
	assert_true(intact(small, 100, 5));
	assert_true(intact(huge, mb2, 6));
	assert_true(intact(after, 200, 7));
	assert_true(intact(huge2, mb3 + 1, 8));
	assert_int_equal(arena_used(a), 112 + mb2 + 208 + mb3 + 16);
	arena_free(a);
}

/* Many small allocations over several chunks never overlap. */
static void test_many_small_no_overlap(void **state)
{
	enum { N = 20000 };
	static unsigned char *ptrs[N];
	struct arena *a = arena_new(8u << 20);

	assert_non_null(a);
	for (int i = 0; i < N; i++) {
		size_t n = (size_t)(i % 40) + 1;

		ptrs[i] = arena_alloc(a, n);
		assert_non_null(ptrs[i]);
		fill(ptrs[i], n, (unsigned char)i);
	}
	for (int i = 0; i < N; i++)
		assert_true(intact(ptrs[i], (size_t)(i % 40) + 1, (unsigned char)i));
	arena_free(a);
}

static void test_null_arena(void **state)
{
	assert_null(arena_alloc(NULL, 1));
	assert_null(arena_strdup(NULL, "x"));
	assert_int_equal(arena_used(NULL), 0);
	arena_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_enforced),
		cmocka_unit_test(test_cap_counts_rounded_sizes),
		cmocka_unit_test(test_huge_sizes_refused),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_printf_long_and_capped),
		cmocka_unit_test(test_large_allocation),
		cmocka_unit_test(test_many_small_no_overlap),
		cmocka_unit_test(test_null_arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
