/* classification.h: the Decision 28/2025/QĐ-TTg commune classification as an answer: every commune
 * under an org unit for a year with its type (I, II, III or none), each criterion's values, the
 * rulebook rows compared with (and whether each is confirmed) and whether it is met, plus counts per
 * unit directly below the root. Shared by `pcmt eval classification` and GET /api/v1/classification.
 * Ownership: *out receives a new reference. */
#ifndef PCMT_ENGINE_CLASSIFICATION_H
#define PCMT_ENGINE_CLASSIFICATION_H

#include <jansson.h>

#include "engine/live.h"

struct cx_opts {
	int64_t ou_id;   /* root org unit (any level) */
	int year;        /* the year classified */
	int32_t today;   /* the date asked on: a year in progress is read up to it */
	int details;     /* 1: every commune with its criteria; 0: counts only */
};

/* Syncs lv with s and answers. The thresholds are the rows in force on 31 December of the year.
 * Errors: ERR_INVALID naming "year" (outside 1900..2200, not begun on `today`, or no Decision 28
 * thresholds in force that year), ERR_NOT_FOUND naming "orgunit"; ERR_INTERNAL otherwise. */
int cx_answer(struct live *lv, struct store *s, const struct cx_opts *o, json_t **out, struct pcmt_err *err);

#endif
