/* rng.h: the demo's pseudo-random numbers: splitmix64 (Steele, Lea, Flood 2014), one independent
 * stream per purpose and per person, so that the same seed gives the same data whatever the order
 * in which streams are drawn and on every platform (no rand(), no floating-point state). */
#ifndef PCMT_RNG_H
#define PCMT_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* A stream derived from a seed and two labels (e.g. purpose and person index). */
static inline struct rng rng_stream(uint64_t seed, uint64_t a, uint64_t b)
{
	struct rng r = {seed ^ (a * 0xD1B54A32D192ED03ULL)};

	r.s = rng_next(&r) ^ (b * 0x9E3779B97F4A7C15ULL);
	(void)rng_next(&r);
	return r;
}

/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; the bias is below 2^-32). */
static inline int rng_below(struct rng *r, int n)
{
	return n <= 1 ? 0 : (int)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform integer in [a, b]; a when b < a. */
static inline int rng_range(struct rng *r, int a, int b)
{
	return b <= a ? a : a + rng_below(r, b - a + 1);
}

/* 1 with probability permille/1000. Integer arithmetic keeps results identical everywhere. */
static inline int rng_chance(struct rng *r, int permille)
{
	return rng_below(r, 1000) < permille;
}

/* Index drawn from integer weights w[0..n). */
static inline int rng_pick(struct rng *r, const int *w, int n)
{
	int total = 0, x;

	for (int i = 0; i < n; i++)
		total += w[i];
	x = rng_below(r, total);
	for (int i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

#endif
