/* opimg.h: the operations image: hotspots, drug crime cases, narcotic plant sites, communication
 * activities and populations as compact arrays of the dated facts indicators and the Decision
 * 28/2025 classification read (no addresses, notes or person links). It hangs off the live snapshot
 * (snap.h: snap->oper) and is replaced whole when any operations table changes: these tables hold
 * thousands of rows where the person tables hold millions, so a reload is cheap (engine/live.c).
 *
 * Building takes the stored forms (enum codes, ISO dates, JSON text of the lists) so that every
 * store backend fills it the same way. Dates are day numbers (util/date.h); a missing date is
 * SNAP_OPEN, after every real date. Ownership: the image owns its arrays; op_image_free frees all. */
#ifndef PCMT_OPIMG_H
#define PCMT_OPIMG_H

#include <stddef.h>
#include <stdint.h>

#include "domain/operations.h"

struct op_hotspot {
	int64_t id, ou;
	int32_t discovered;
	int32_t transforming;        /* date it went under transformation, SNAP_OPEN when never */
	int32_t eliminated;          /* date eliminated, SNAP_OPEN while not */
	int8_t kind, venue;          /* HK_*; venue index in en_venue_kind or -1 */
};

struct op_case {
	int64_t id, ou;
	int32_t detected;
	int32_t stage[CS_N];         /* date each stage was reached, SNAP_OPEN when not (yet) */
	int32_t suspects, ringleaders;
	int8_t force, route;         /* en_case_force index, RT_* */
	uint8_t organised, transnational, mobile_trial;
	double seized[SZ_N];         /* quantity per substance in its unit (op_seized_unit) */
};

struct op_plant {
	int64_t id, ou;
	int32_t detected, eradicated; /* eradicated SNAP_OPEN while not */
	int64_t area_m2, plants;
	int8_t plant;                 /* en_plant_kind index or -1 */
	uint8_t replanted;
};

struct op_comm {
	int64_t id, ou;
	int32_t date;
	int8_t form, audience;        /* audience -1 when not given */
	int64_t participants, commitments;
};

struct op_pop {
	int64_t id, ou;
	int32_t year;
	int64_t population;
};

/* The five kinds, for code that walks every item (indicators.c). */
enum op_kind { OPK_HOTSPOT, OPK_CASE, OPK_PLANT, OPK_COMM, OPK_POP, OPK_N };

struct op_image {
	struct op_hotspot *hot;
	size_t nhot, cap_hot;
	struct op_case *cases;
	size_t ncases, cap_cases;
	struct op_plant *plants;
	size_t nplants, cap_plants;
	struct op_comm *comm;
	size_t ncomm, cap_comm;
	struct op_pop *pop;           /* sorted by (ou, year) after op_image_finish */
	size_t npop, cap_pop;
};

struct op_image *op_image_new(void);
void op_image_free(struct op_image *img);

/* Adders: 0, or -1 when out of memory. Unknown codes become -1 indexes and unparsable JSON an empty
 * list: what is stored passed validation, and an image must still load if a later pcmt drops a code. */
int op_hotspot_add(struct op_image *img, int64_t id, int64_t ou, const char *kind, const char *venue,
		   int32_t discovered, const char *history_json);
int op_case_add(struct op_image *img, int64_t id, int64_t ou, int32_t detected, const char *force, const char *route,
		int organised, int transnational, int64_t suspects, int64_t ringleaders, const char *seizures_json,
		const char *stages_json);
int op_plant_add(struct op_image *img, int64_t id, int64_t ou, const char *plant, int32_t detected, int32_t eradicated,
		 int64_t area_m2, int64_t plants, int replanted);
int op_comm_add(struct op_image *img, int64_t id, int64_t ou, int32_t date, const char *form, const char *audience,
		int64_t participants, int64_t commitments);
int op_pop_add(struct op_image *img, int64_t id, int64_t ou, int32_t year, int64_t population);
/* Sorts what lookups need. Call after a batch of adds. */
void op_image_finish(struct op_image *img);

/* The population of org unit `ou` in `year`: 1 with *out set, 0 when none is recorded. */
int op_population(const struct op_image *img, int64_t ou, int year, int64_t *out);
/* The hotspot's status on `date`: HS_*, or -1 before it was discovered. */
int op_hotspot_status(const struct op_hotspot *h, int32_t date);
/* Walking every item of a kind: the count, and the org unit and address of item i. */
size_t op_count(const struct op_image *img, enum op_kind k);
int64_t op_item_ou(const struct op_image *img, enum op_kind k, size_t i);
const void *op_item(const struct op_image *img, enum op_kind k, size_t i);
/* 1 when `table` (a change-log table name) is one of the operations tables. */
int op_table(const char *table);

#endif
