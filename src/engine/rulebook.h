/* rulebook.h: the rulebook of a database: seeded from the built-in default (data/rulebook.tsv) the
 * first time, then read from the store's rule table, and rendered for the CLI and the API.
 * Ownership: rb is caller-owned (rulebook_init before, rulebook_free after); JSON returned is a new
 * reference. */
#ifndef PCMT_ENGINE_RULEBOOK_H
#define PCMT_ENGINE_RULEBOOK_H

#include <jansson.h>
#include <stdint.h>

#include "domain/rules.h"
#include "store/store.h"
#include "util/err.h"

/* The rulebook evaluations use. If the store's rule table is empty, seeds it from the built-in
 * default in one transaction (begin, rule_put each row, commit; on error rolled back and nothing
 * written), then loads every row into rb (emptied first). Running it again changes nothing.
 * *seeded (may be NULL) receives the number of rows written (0 when the table had rows). */
int rulebook_open(struct store *s, struct rulebook *rb, struct pcmt_err *err);
int rulebook_open_ex(struct store *s, struct rulebook *rb, int *seeded, struct pcmt_err *err);

/* Brings a database's rulebook up to this pcmt's built-in one: writes every built-in row whose code
 * the rule table has no row of at all (an empty table gets them all), in one transaction (on error
 * rolled back, nothing written, *added 0). Rows of codes the table has are never touched, nor are
 * built-in versions of those codes added: an edited value, a superseding row an administrator
 * wrote, or a deliberately missing version stays as it is, so nobody's rules change under an
 * upgrade; a code the table lacks is a rule this pcmt needs and did not exist when the database
 * was seeded. Run by `pcmt migrate` and when `pcmt serve` opens a database (after the schema
 * migrations). *added receives the rows written; *codes (may be NULL) a new JSON array of
 * {"code", "effective_from"} of those rows, in code then date order. Running it again adds nothing. */
int rulebook_upgrade(struct store *s, int *added, json_t **codes, struct pcmt_err *err);

/* The rulebook for read-only callers (GET /api/v1/rules): the store's rows, or the built-in default
 * when the table is still empty (a database migrated by a pcmt without `rule` seeding). Never
 * writes. rb is emptied first. */
int rulebook_read(struct store *s, struct rulebook *rb, struct pcmt_err *err);

/* The built-in default parsed into rb (emptied first). ERR_INTERNAL if it does not parse: a build
 * that ships a broken data/rulebook.tsv (the unit tests catch it first). */
int rulebook_builtin(struct rulebook *rb, struct pcmt_err *err);

/* One row as JSON: {code, value, unit, effective_from, confirmed, source, note (null when empty),
 * status ("in_force", "superseded", "future" on `date`)}. rb sorted; i indexes rb->rules. */
json_t *rulebook_row_json(const struct rulebook *rb, int i, int32_t date);
/* {"date": D, "all": bool, "rules": [...]}: the rows in force on date, or with all every row, in
 * code then effective_from order. NULL when out of memory. */
json_t *rulebook_json(const struct rulebook *rb, int32_t date, int all);

#endif
