/* engine/reform.h: applies a reform mapping (domain/reform.h) to a store, as of an effective date.
 * New units are created in force from the effective date; the old units named by the mapping are
 * closed the day before, with a succession link to each new unit they went into (full or
 * partial); a province that went whole into a new unit with its own code continues (it is the same
 * province); every district of an old province is closed (the reform removed the level); the
 * residents of an old unit that went fully into one new unit move there (their residence until the
 * day before stays in its history); the residents of a split unit stay where they were and are
 * listed for re-assignment (store.h reassign_pending). Nothing is rewritten: old units, their
 * records and their history keep their ids and dates. Running it again changes nothing. */
#ifndef PCMT_ENGINE_REFORM_H
#define PCMT_ENGINE_REFORM_H

#include <stdio.h>

#include "domain/entity.h"
#include "domain/reform.h"
#include "store/store.h"

struct reform_counts {
	int provinces_created, provinces_kept, provinces_closed;
	int districts_closed; /* the five island districts that became special zones included */
	int communes_created, communes_closed;
	int units_existing;  /* new units already present (the reform was applied before) */
	int links_added;
	int split_units;     /* old units whose residents must be re-assigned (not fully in one unit) */
	long long persons_moved, persons_pending;
};

/* Applies m as of `effective` inside the caller's transaction (the caller commits, or rolls back
 * for a dry run). Refuses, before writing anything, a mapping whose old units do not exist in
 * force on effective - 1 (or whose names differ from the stored ones), naming them. Each change
 * is written as one line to `changes` when not NULL. */
int reform_apply(struct store *s, const struct ent_ctx *ctx, const struct reform_map *m, int32_t effective,
		 FILE *changes, struct reform_counts *c, struct pcmt_err *err);

#endif
