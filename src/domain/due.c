/* due.c: tests due and management periods ending (due.h). */
#include "domain/due.h"

#include <stdlib.h>

#include "util/date.h"

int due_params_at(const struct rulebook *rb, int32_t date, struct due_params *out, struct pcmt_err *err)
{
	double w, per, iu, vol, sub, minor, adult;

	if (rule_num(rb, "drugfree.test_window_days", date, &w, err) ||
	    rule_num(rb, "test.periodic_interval_days", date, &per, err) ||
	    rule_num(rb, "mgmt.illegal_user_months", date, &iu, err) ||
	    rule_num(rb, "mgmt.post_rehab_months.voluntary", date, &vol, err) ||
	    rule_num(rb, "mgmt.post_rehab_months.substitution", date, &sub, err) ||
	    rule_num(rb, "mgmt.post_rehab_months.minor_compulsory", date, &minor, err) ||
	    rule_num(rb, "mgmt.post_rehab_months.adult_compulsory", date, &adult, err))
		return -1;
	out->window_days = (int)w;
	out->periodic_days = (int)per;
	out->illegal_user_months = (int)iu;
	out->post_rehab_voluntary = (int)vol;
	out->post_rehab_substitution = (int)sub;
	out->post_rehab_minor = (int)minor;
	out->post_rehab_adult = (int)adult;
	return 0;
}

static int push(struct due_list *l, const struct due_item *it)
{
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 32;
		void *np = realloc(l->items, (size_t)cap * sizeof(*l->items));

		if (!np)
			return -1;
		l->items = np;
		l->cap = cap;
	}
	l->items[l->n++] = *it;
	return 0;
}

/* Months of post-rehabilitation management for a record opened on `opened`. */
static int post_rehab_months(const struct snap_person *p, int32_t opened, const struct due_params *dp)
{
	const struct snap_treat *t = NULL;

	for (int i = 0; i < p->ntreat && p->treat[i].start <= opened; i++)
		t = &p->treat[i]; /* sorted by start: the last one on or before the opening */
	if (!t)
		return dp->post_rehab_voluntary;
	switch (t->kind) {
	case TX_COMPULSORY_FACILITY:
		/* an unknown age counts as adult: the longer period, so nobody is let go early */
		if (p->dob == DATE_NONE || date_add_months(p->dob, 18 * 12) <= t->start)
			return dp->post_rehab_adult;
		return dp->post_rehab_minor;
	case TX_METHADONE:
	case TX_BUPRENORPHINE:
		return dp->post_rehab_substitution;
	default:
		return dp->post_rehab_voluntary;
	}
}

static int person_due(const struct snap_person *p, int32_t date, int32_t until, const struct due_params *dp,
		      struct due_list *out)
{
	int cls = -1;

	/* the drug-free test window: criterion 1 (addicts in the community) and 2 */
	if (snap_holds(p, CL_ADDICT, date)) {
		const struct snap_treat *t = snap_active_treatment(p, date);

		if (!(t && snap_residential(t)))
			cls = CL_ADDICT;
	} else if (snap_holds(p, CL_ILLEGAL_USER, date)) {
		cls = CL_ILLEGAL_USER;
	} else if (snap_holds(p, CL_PSYCHOSIS, date)) {
		cls = CL_PSYCHOSIS;
	}
	if (cls >= 0) {
		const struct snap_test *t = snap_latest_test(p, date);
		struct due_item it = {p->id, DUE_TEST_WINDOW, (int8_t)cls, -1, t ? t->date : DATE_NONE,
				      t ? t->result : -1, date};

		if (t && t->result == TR_NEGATIVE)
			it.due = t->date + dp->window_days;
		if (it.due <= until && push(out, &it))
			return -1;
	}
	/* periodic tests after rehabilitation */
	if (snap_holds(p, CL_POST_REHAB, date)) {
		const struct snap_rec *r = snap_open_record(p, RK_POST_REHAB, date);

		if (r) {
			struct due_item it = {p->id, DUE_TEST_PERIODIC, CL_POST_REHAB, -1, DATE_NONE, -1, 0};
			int32_t base = r->opened;

			for (uint32_t i = 0; i < p->ntest && p->test[i].date <= date; i++)
				if (p->test[i].kind == TK_PERIODIC && p->test[i].date >= r->opened)
					it.last = base = p->test[i].date;
			it.due = base + dp->periodic_days;
			if (it.due <= until && push(out, &it))
				return -1;
		}
	}
	/* management periods */
	for (int i = 0; i < p->nrec; i++) {
		const struct snap_rec *r = &p->rec[i];
		int months;

		if (r->opened > date || r->closed <= date)
			continue;
		if (r->kind == RK_ILLEGAL_USER)
			months = dp->illegal_user_months;
		else if (r->kind == RK_POST_REHAB)
			months = post_rehab_months(p, r->opened, dp);
		else
			continue;
		{
			struct due_item it = {p->id, DUE_PERIOD_END, -1, r->kind, r->opened, -1,
					      date_add_months(r->opened, months)};

			if (it.due <= until && push(out, &it))
				return -1;
		}
	}
	return 0;
}

int due_commune(const struct snap *s, int32_t ci, int32_t date, int32_t until, const struct due_params *p,
		struct due_list *out)
{
	const struct snap_ou *o = &s->ous[ci];

	for (int32_t i = 0; i < o->nmembers; i++) {
		const struct snap_person *pp = s->persons[o->members[i]];

		if (pp && person_due(pp, date, until, p, out))
			return -1;
	}
	return 0;
}

static int cmp(const void *a, const void *b)
{
	const struct due_item *x = a, *y = b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->person_id > y->person_id) - (x->person_id < y->person_id);
}

void due_sort(struct due_list *l)
{
	if (l->n > 1)
		qsort(l->items, (size_t)l->n, sizeof(*l->items), cmp);
}

void due_list_free(struct due_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

const char *due_kind_code(enum due_kind k)
{
	switch (k) {
	case DUE_TEST_WINDOW: return "test_window";
	case DUE_TEST_PERIODIC: return "test_periodic";
	default: return "period_end";
	}
}
