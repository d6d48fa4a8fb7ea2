/* units.h: loading Vietnam's administrative units into a store, from pcmt's own TSV (the data
 * folder, described in docs/data.md) or from the official JSON list as published (dvhcvn.json shape).
 * Used by `pcmt orgunits import` and `pcmt demo`; the demo reads the copy embedded in the binary. */
#ifndef PCMT_UNITS_H
#define PCMT_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "domain/entity.h"
#include "store/store.h"

/* Levels index the counters: 0 nation, 1 province, 2 district, 3 commune. */
enum { UNITS_LEVELS = 4 };

struct units_counts {
	int added[UNITS_LEVELS];
	int skipped[UNITS_LEVELS]; /* already present with the same code and kind */
};

/* The level of an en_ou_kind code, or -1. */
int units_level(const char *kind);

/* Parses buf (TSV, or JSON when its first non-space byte is '{' or '[') and inserts every unit not
 * already in the store, through ent_validate(&ent_orgunits) and ops->insert, parents first; creates
 * the nation unit "VN" if missing. valid_from (DATE_NONE: none) is set on every unit added.
 * Does not begin or commit: the caller holds one transaction and rolls back on error, so a failed
 * import writes nothing. Errors (malformed input with its line, unknown parent code, store
 * errors) return -1 with err set; counts are added to *c. */
int units_import(struct store *s, const struct ent_ctx *ctx, const char *buf, size_t len,
		 int32_t valid_from, struct units_counts *c, struct pcmt_err *err);

/* Reads a whole file into a malloc'd, NUL-terminated buffer (caller frees). -1 with err set. */
int units_read_file(const char *path, char **buf, size_t *len, struct pcmt_err *err);

/* data/vn-units-2025-03-01.tsv as embedded in the binary at build time (units_embed.c). */
const char *units_builtin(size_t *len);
/* data/vn-units-2025-07-01.tsv (the 2025 reform's mapping, domain/reform.h) as embedded. */
const char *units_reform_builtin(size_t *len);

#endif
