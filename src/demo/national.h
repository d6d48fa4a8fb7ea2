/* national.h: the national benchmark data set (`pcmt demo --scale national`): the real communes of
 * 2025-03-01 and, by default, 1,000,000 persons with about 30 tests and 3 treatment episodes each.
 * Deterministic for a seed. Needs an empty, migrated store. */
#ifndef PCMT_NATIONAL_H
#define PCMT_NATIONAL_H

#include <stdint.h>

#include "demo/units.h"
#include "store/store.h"

#define NATIONAL_PERSONS 1000000

struct national_stats {
	struct units_counts units;
	int communes, facilities;
	int64_t persons, classifications, determinations, records, tests, treatments, support;
};

int national_run(struct store *s, uint64_t seed, int64_t npersons, struct national_stats *st, struct pcmt_err *err);

#endif
