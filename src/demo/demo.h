/* demo.h: a deterministic demonstration province: Nghệ An (code 40) as it was before the 2025
 * reform, with facilities and persons whose histories run from 2021-01-01 to "today" (date_today(),
 * PCMT_TODAY in tests). The same seed gives the same rows, byte for byte; every row goes through
 * ent_validate and ops->insert, so the demo obeys the rules the API enforces. About 281 of the 412
 * communes (Nghệ An's figure for 30 June 2025) meet the drug-free criteria today, as counted by the
 * real engine (engine/drugfree.h) on what was written. */
#ifndef PCMT_DEMO_H
#define PCMT_DEMO_H

#include <stdint.h>

#include "demo/ost.h"
#include "demo/units.h"
#include "domain/criteria.h"
#include "engine/reform.h"
#include "store/store.h"

enum demo_scale { DEMO_SMALL, DEMO_PROVINCE };
enum { DEMO_NREASONS = 4 }; /* failing_with: 1, 2, 3, 4 or more reasons */

struct demo_opts {
	enum demo_scale scale;  /* small: about 600 persons; province: about 6,000 */
	uint64_t seed;
	const char *units_path; /* org units to import first; NULL: the list built into the binary */
};

/* What was written, for the summary `pcmt demo` prints. */
struct demo_stats {
	int32_t today;
	struct units_counts units;
	int districts, communes;                         /* of the demo province */
	int stations, stations_qualified, rehab_public, rehab_private, ost_points, counselling_points;
	int persons, with_cccd, with_cmnd, without_id, double_registrations;
	int classifications, determinations, records, records_open, tests, tests_positive;
	int treatments, treatments_ongoing, support, loans;
	int64_t loans_vnd;
	int current[5];      /* persons holding each classification today, in en_classification order */
	int planned_free;    /* communes generated to meet the drug-free criteria today */
	int checked_free;    /* communes that meet them today by the real evaluation (drugfree_eval on
				the committed store, the same answer as `pcmt eval drug-free --orgunit 40`);
				-1 when today is before the criteria take effect (the rulebook's dates) */
	int mismatched;      /* communes whose evaluation differs from the plan (0 unless a bug) */
	int failing_by[CR_CEILING + 1]; /* failing communes showing each reason (enum crit_reason);
					   a commune counts once per reason it shows */
	int failing_with[DEMO_NREASONS]; /* failing communes by how many distinct reasons they show */
	struct demo_ost_stats ost;       /* the substitution clinics' year (demo/ost.h) */
	/* the 2025 reform, applied after the province is written when today is on or after 1 July
	 * 2025 and the built-in units were used (engine/reform.h) */
	int reformed;              /* 1 when applied */
	struct reform_counts reform;
	int communes_after;        /* the province's communes in force today */
	int free_before;           /* drug-free communes on the day before the reform (old units) */
	int communes_before;
	int free_after;            /* drug-free communes today (new units) */
	int awaiting;              /* persons awaiting re-assignment today in the province */
};

/* Migrated, empty store expected (persons or facilities present: ERR_CONFLICT). Imports the org
 * units, then generates and inserts the province in ONE transaction; on any error it rolls back
 * and nothing is written. After the commit, evaluates the drug-free criteria for the province on
 * today with the live snapshot; if that fails the data stays written and -1 is returned with err
 * saying so. Then, when today is on or after 2025-07-01, applies the 2025 reform (the built-in
 * mapping, data/vn-units-2025-07-01.tsv) in a second transaction, so that the demo has history on
 * both sides of it, and evaluates the province on 2025-06-30 and today. Fills *st. */
int demo_run(struct store *s, const struct demo_opts *o, struct demo_stats *st, struct pcmt_err *err);

#endif
