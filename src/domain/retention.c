/* retention.c: when a person's identity may be erased (see retention.h). */
#include "domain/retention.h"

#include "util/date.h"

#define RET_RULE "retention.identity_months"

int ret_months(const struct rulebook *rb, int32_t date, int *months, struct pcmt_err *err)
{
	double v = 0;

	if (rule_num(rb, RET_RULE, date, &v, err))
		return -1;
	if (!(v >= 1 && v <= 1200) || v != (double)(int)v)
		return err_set(err, ERR_INTERNAL, NULL, "rule %s is %g, not a whole number of months >= 1", RET_RULE, v);
	*months = (int)v;
	return 0;
}

static void later(int32_t *last, int32_t d)
{
	if (d != DATE_NONE && d != SNAP_OPEN && d > *last)
		*last = d;
}

int32_t ret_last_fact(const struct snap_person *p)
{
	int32_t last = DATE_NONE;

	if (!p || p->nrec == 0)
		return DATE_NONE;
	for (int i = 0; i < p->nrec; i++) {
		if (p->rec[i].closed == SNAP_OPEN || p->rec[i].closed == DATE_NONE)
			return DATE_NONE; /* still managed */
		later(&last, p->rec[i].opened);
		later(&last, p->rec[i].closed);
	}
	for (int i = 0; i < p->ntreat; i++) {
		if (p->treat[i].end == SNAP_OPEN || p->treat[i].end == DATE_NONE)
			return DATE_NONE; /* still in treatment */
		later(&last, p->treat[i].start);
		later(&last, p->treat[i].end);
	}
	for (int i = 0; i < p->ncls; i++) {
		later(&last, p->cls[i].from);
		later(&last, p->cls[i].to);
	}
	for (int i = 0; i < p->ndet; i++)
		later(&last, p->det[i].date);
	for (uint32_t i = 0; i < p->ntest; i++)
		later(&last, p->test[i].date);
	for (int i = 0; i < p->nsup; i++)
		later(&last, p->sup[i].date);
	return last;
}

int32_t ret_due(const struct snap_person *p, int months)
{
	int32_t last = ret_last_fact(p);

	return last == DATE_NONE ? DATE_NONE : date_add_months(last, months);
}
