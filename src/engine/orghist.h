/* orghist.h: org-unit history, searches that know old names and codes, and the re-assignment list
 * of the 2025 reform, shaped once as JSON for both the API (http/api_reform.c) and the CLI
 * (cli/cmd_reform.c). docs/reform.md and docs/api.md describe the answers. */
#ifndef PCMT_ORGHIST_H
#define PCMT_ORGHIST_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/* Resolves "CODE" as in force on `date`, or "CODE@YYYY-MM-DD" as in force on that date (codes are
 * reused by the reform: "17357@2025-07-01" is the new Vĩnh Tường whatever date is asked about).
 * ERR_NOT_FOUND when no unit has the code; ERR_INVALID for a bad date after '@'. */
int orghist_resolve(struct store *s, const char *text, int32_t date, struct ou_info *out, struct pcmt_err *err);

/* {"orgunit": {id, code, name, kind, type_name, parent, valid_from, valid_to}, "predecessors": [...],
 * "successors": [...]} (store.h ou_history entries). ERR_NOT_FOUND for an unknown id. */
int orghist_history(struct store *s, int64_t id, json_t **out, struct pcmt_err *err);

/* Units whose name contains every word of `text` (accents and case ignored) or whose code is
 * `text`, closed ones included, at most `limit` (1..200): each the unit's brief with "in_force"
 * (on `date`), and for a unit closed by then "became" (its successors), for one not yet in force
 * "formed_from"; *total counts all matches. */
int orghist_search(struct store *s, const char *text, int32_t date, int limit, json_t **out, int64_t *total,
		   struct pcmt_err *err);

/* The re-assignment list of store.h reassign_pending under `root` (0: all) on `date`, each entry
 * given the person's full name (read unscoped: an officer of a candidate unit must see whom to
 * place) and, when `with_names` is 0, none. */
int orghist_pending(struct store *s, int64_t root, int32_t date, int with_names, json_t **out, struct pcmt_err *err);

/* Re-assigns a pending person to `to` from the reform's effective date (the day after their
 * residence closed). `to` must be one of the candidates, and when `scope_root` is not 0 lie
 * under it. On success *out is the person's residence history. */
int orghist_reassign(struct store *s, int64_t person_id, int64_t to, int64_t scope_root, json_t **out,
		     struct pcmt_err *err);

#endif
