/* due.h: what falls due for the persons of a commune between a date D and D + N days, for the
 * "what needs doing now" lists (GET /api/v1/due). Pure, over the live snapshot; numbers from the
 * rulebook in force on D.
 *
 * - Test, drug-free window: a person whom criterion 1 or 2 asks for a recent negative test (an
 *   addict in the community — not in residential treatment on D —, an illegal user, a person with
 *   psychosis signs, by the classification held on D) keeps passing while their latest test is
 *   negative and at most drugfree.test_window_days old: a negative test on day T is due again by
 *   T + window. No test, or a latest test that is not negative: due on D.
 * - Test, periodic: a person holding the post-rehabilitation classification with an open
 *   post-rehabilitation record is due a periodic test test.periodic_interval_days after the last
 *   periodic test since the record opened (or after the opening, when none).
 * - Management period ending: a record open on D of kind illegal_user ends mgmt.illegal_user_months
 *   after it opened; of kind post_rehab, after mgmt.post_rehab_months.* chosen by the latest
 *   treatment that started on or before the opening: adult_compulsory (compulsory, 18 or older at its
 *   start, or age unknown), minor_compulsory, substitution (methadone, buprenorphine), voluntary
 *   (anything else, or no treatment). Addict records have no fixed period.
 * An item is listed when its due date is on or before D + N; earlier ones (overdue) are listed too. */
#ifndef PCMT_DUE_H
#define PCMT_DUE_H

#include <stdint.h>

#include "domain/rules.h"
#include "domain/snap.h"
#include "util/err.h"

struct due_params {
	int window_days;      /* drugfree.test_window_days */
	int periodic_days;    /* test.periodic_interval_days */
	int illegal_user_months;
	int post_rehab_voluntary, post_rehab_substitution, post_rehab_minor, post_rehab_adult; /* months */
};

int due_params_at(const struct rulebook *rb, int32_t date, struct due_params *out, struct pcmt_err *err);

enum due_kind { DUE_TEST_WINDOW, DUE_TEST_PERIODIC, DUE_PERIOD_END };

struct due_item {
	int64_t person_id;
	enum due_kind kind;
	int8_t classification; /* CL_* held on D (tests), -1 for period ends */
	int8_t record_kind;    /* RK_* (period ends), -1 for tests */
	int32_t last;          /* tests: the latest (window) or last periodic test, DATE_NONE when none;
				  period ends: the date the record opened */
	int8_t last_result;    /* TR_* of `last` for window tests, -1 otherwise */
	int32_t due;           /* the date it falls due */
};

struct due_list {
	struct due_item *items;
	int n, cap;
};

/* Appends to out the items of the persons residing in commune index ci that fall due on or before
 * `until`, as of `date`. Returns 0, or -1 when out of memory. */
int due_commune(const struct snap *s, int32_t ci, int32_t date, int32_t until, const struct due_params *p,
		struct due_list *out);
/* Sorts by due date, then kind, then person id. */
void due_sort(struct due_list *l);
void due_list_free(struct due_list *l);
const char *due_kind_code(enum due_kind k); /* "test_window", "test_periodic", "period_end" */

#endif
