/* indicators.h (engine): a plan's indicators as an answer: for each target, the indicator's value for
 * the drill-down root and each unit directly below it, over a period, with the status against the
 * target (met, on track, at risk, missed...). Shared by `pcmt indicators` and GET /api/v1/indicators;
 * GET /api/v1/measures and `pcmt indicators --measures` list what can be measured.
 *
 * Real time: every answer syncs the live snapshot first, and reads the plan, its targets and the
 * custom indicators from the store on each call (three small queries), so any committed write shows
 * in the next answer. Measures are one pass over the snapshot per distinct (unit, period).
 * Ownership: *out receives a new reference. */
#ifndef PCMT_ENGINE_INDICATORS_H
#define PCMT_ENGINE_INDICATORS_H

#include <jansson.h>

#include "engine/live.h"

struct ind_opts {
	const char *plan;       /* the plan's code ("180/KH-UBND"), or its id */
	int64_t ou_id;          /* drill-down root; 0: each target's scope unit */
	const char *period;     /* "2022", "2022-Q1", "2022-03", "plan"; NULL: each target's own period
				   (its period_kind) around `date`, kept within the plan's period */
	int32_t date;           /* the date asked about: values are measured on it or at the period's
				   end or deadline, whichever comes first */
};

/* Syncs lv with s and answers. Errors: ERR_INVALID naming "plan" (no such plan), "period"
 * (malformed), "orgunit" (not in the snapshot); ERR_INTERNAL for store or memory failures. */
int ind_answer(struct live *lv, struct store *s, const struct ind_opts *o, json_t **out, struct pcmt_err *err);

/* The measures, built-in indicators and reserved codes with their documentation (new reference). */
json_t *ind_catalogue(void);

#endif
