/* criteria.c: the drug-free commune criteria over the snapshot (see criteria.h for the reading).
 * One pass over the commune's residents; each failing person is listed with the exact reason, so
 * that an officer sees who is behind a failing criterion and what to do about it. */
#include "domain/criteria.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/date.h"

int crit_params_at(const struct rulebook *rb, int32_t date, struct crit_params *out, struct pcmt_err *err)
{
	double w, c, l, t;

	if (rule_num(rb, "drugfree.test_window_days", date, &w, err) ||
	    rule_num(rb, "drugfree.community_addict_ceiling", date, &c, err) ||
	    rule_num(rb, "drugfree.detection_lookback_days", date, &l, err) ||
	    rule_num(rb, "test.periodic_interval_days", date, &t, err))
		return -1;
	out->test_interval_days = (int)t;
	out->window_days = (int)w;
	out->ceiling = (int)c;
	out->lookback_days = (int)l;
	return 0;
}

static int add_fail(struct crit_result *r, int criterion, const struct snap_person *p, int cls,
		    enum crit_reason reason, int32_t date)
{
	if (r->nfails == r->cap_fails) {
		int cap = r->cap_fails ? r->cap_fails * 2 : 16;
		void *np = realloc(r->fails, (size_t)cap * sizeof(*r->fails));

		if (!np)
			return -1;
		r->fails = np;
		r->cap_fails = cap;
	}
	r->fails[r->nfails++] = (struct crit_fail){criterion, p ? p->id : 0, (int8_t)cls, reason, date, 0, 0};
	r->pass_c[criterion - 1] = 0;
	return 0;
}

/* The test requirement of criteria 1 and 2: the latest test on or before D lies in the window and
 * is negative. Returns 0 when met, else the reason (and *when the date it names). */
static int test_check(const struct snap_person *p, int32_t date, int window, enum crit_reason *why, int32_t *when)
{
	const struct snap_test *t = snap_latest_test(p, date);

	*when = DATE_NONE;
	if (!t) {
		*why = CR_NO_TEST;
		return -1;
	}
	*when = t->date;
	if (t->date < date - window) {
		*why = CR_TEST_TOO_OLD;
		return -1;
	}
	if (t->result == TR_POSITIVE) {
		*why = CR_TEST_POSITIVE;
		return -1;
	}
	if (t->result != TR_NEGATIVE) {
		*why = CR_TEST_INVALID;
		return -1;
	}
	return 0;
}

/* A positive test or addicted determination in (D - lookback, D]: the person is known. */
static int detected(const struct snap_person *p, int32_t date, int lookback, int *by_det, int32_t *when)
{
	*by_det = 0;
	for (uint16_t i = p->ndet; i-- > 0;)
		if (p->det[i].date <= date && p->det[i].date > date - lookback && p->det[i].addicted) {
			*by_det = 1;
			*when = p->det[i].date;
			return 1;
		}
	for (const struct snap_test *t = snap_latest_test(p, date); t && t >= p->test && t->date > date - lookback; t--)
		if (t->result == TR_POSITIVE) {
			*when = t->date;
			return 1;
		}
	return 0;
}

static int tested_since(const struct snap_person *p, int kind, int32_t from, int32_t to)
{
	for (uint32_t i = 0; i < p->ntest; i++)
		if (p->test[i].kind == kind && p->test[i].date >= from && p->test[i].date <= to)
			return 1;
	return 0;
}

static int supported_since(const struct snap_person *p, int32_t from, int32_t to)
{
	for (uint16_t i = 0; i < p->nsup; i++)
		if (p->sup[i].date >= from && p->sup[i].date <= to)
			return 1;
	return 0;
}

static int eval_person(const struct snap_person *p, int32_t d, const struct crit_params *cp, struct crit_result *r)
{
	int a = snap_holds(p, CL_ADDICT, d), u = snap_holds(p, CL_ILLEGAL_USER, d),
	    ps = snap_holds(p, CL_PSYCHOSIS, d), pr = snap_holds(p, CL_POST_REHAB, d);
	const struct snap_rec *any = snap_open_record(p, -1, d);
	enum crit_reason why;
	int32_t when;

	if (!a && !u && !ps && !pr) {
		int by_det;

		if (!snap_holds(p, CL_RELEASED, d) && detected(p, d, cp->lookback_days, &by_det, &when)) {
			r->undetected++;
			return add_fail(r, by_det ? 1 : 2, p, -1,
					by_det ? CR_UNCLASSIFIED_DETERMINED : CR_UNCLASSIFIED_POSITIVE, when);
		}
		return 0;
	}
	if (a) {
		const struct snap_treat *t = snap_active_treatment(p, d);
		int ok = 1;

		r->addicts++;
		if (any)
			r->addicts_recorded++;
		else if (add_fail(r, 1, p, CL_ADDICT, CR_NO_RECORD, DATE_NONE))
			return -1;
		if (t)
			r->addicts_treated++;
		else if (add_fail(r, 1, p, CL_ADDICT, CR_NOT_IN_TREATMENT, DATE_NONE))
			return -1;
		if (snap_residential(t))
			return 0; /* at a facility: not in the community, no community test needed */
		r->addicts_in_community++;
		if (test_check(p, d, cp->window_days, &why, &when)) {
			ok = 0;
			if (add_fail(r, 1, p, CL_ADDICT, why, when))
				return -1;
		}
		r->addicts_tested_ok += ok;
		return 0;
	}
	if (u || ps) {
		int cls = u ? CL_ILLEGAL_USER : CL_PSYCHOSIS;

		r->users++;
		if (any)
			r->users_recorded++;
		else if (add_fail(r, 2, p, cls, CR_NO_RECORD, DATE_NONE))
			return -1;
		if (test_check(p, d, cp->window_days, &why, &when) == 0)
			r->users_tested_ok++;
		else if (add_fail(r, 2, p, cls, why, when))
			return -1;
		if (!pr)
			return 0;
	}
	if (pr) {
		const struct snap_rec *rec = snap_open_record(p, RK_POST_REHAB, d);
		int per, sud;

		r->post_rehab++;
		if (!rec)
			return add_fail(r, 3, p, CL_POST_REHAB, CR_NO_POST_REHAB_RECORD, DATE_NONE);
		r->post_rehab_recorded++;
		/* tests are due once the record has been open for one periodic interval */
		per = d - rec->opened < cp->test_interval_days || tested_since(p, TK_PERIODIC, rec->opened, d);
		sud = d - rec->opened < cp->test_interval_days || tested_since(p, TK_SUDDEN, rec->opened, d);
		if (!per && add_fail(r, 3, p, CL_POST_REHAB, CR_NO_PERIODIC_TEST, rec->opened))
			return -1;
		if (!sud && add_fail(r, 3, p, CL_POST_REHAB, CR_NO_SUDDEN_TEST, rec->opened))
			return -1;
		r->post_rehab_tested += per && sud;
		if (supported_since(p, rec->opened, d))
			r->post_rehab_supported++;
		else if (add_fail(r, 3, p, CL_POST_REHAB, CR_NO_SUPPORT, rec->opened))
			return -1;
	}
	return 0;
}

int crit_eval_set(const struct snap *s, int32_t ci, const int32_t *units, int nunits, int32_t date,
		  const struct crit_params *cp, struct crit_result *out)
{
	memset(out, 0, sizeof(*out));
	out->commune_ix = ci;
	out->date = date;
	out->pass_c[0] = out->pass_c[1] = out->pass_c[2] = 1;
	for (int u = 0; u < nunits; u++) {
		const struct snap_ou *c = &s->ous[units[u]];

		for (int32_t i = 0; i < c->nmembers; i++) {
			const struct snap_person *p = s->persons[c->members[i]];

			/* members include past residents: count a person where they lived on the date,
			 * so that each person counts in one unit only */
			if (p && (p->nres == 0 || snap_residence(p, date) == c->id) && eval_person(p, date, cp, out))
				return -1;
		}
	}
	if (out->addicts_in_community >= cp->ceiling) {
		if (add_fail(out, 1, NULL, CL_ADDICT, CR_CEILING, DATE_NONE))
			return -1;
		out->fails[out->nfails - 1].value = out->addicts_in_community;
		out->fails[out->nfails - 1].limit = cp->ceiling;
	}
	out->pass = out->pass_c[0] && out->pass_c[1] && out->pass_c[2];
	return 0;
}

int crit_eval(const struct snap *s, int32_t ci, int32_t date, const struct crit_params *cp, struct crit_result *out)
{
	return crit_eval_set(s, ci, &ci, 1, date, cp, out);
}

void crit_result_free(struct crit_result *r)
{
	free(r->fails);
	r->fails = NULL;
	r->nfails = r->cap_fails = 0;
}

const char *crit_reason_code(enum crit_reason r)
{
	static const char *const codes[] = {
		"unclassified_positive", "unclassified_determined", "no_record", "no_post_rehab_record",
		"not_in_treatment", "no_test", "test_too_old", "test_positive", "test_invalid",
		"no_periodic_test", "no_sudden_test", "no_support", "ceiling"};

	return (unsigned)r < sizeof(codes) / sizeof(codes[0]) ? codes[r] : "unknown";
}

void crit_reason_text(const struct crit_fail *f, int vi, char *buf, size_t cap)
{
	char d[16] = "";
	int y, m, dd;

	if (f->date != DATE_NONE) {
		if (vi) {
			date_to_ymd(f->date, &y, &m, &dd);
			snprintf(d, sizeof(d), "%02d/%02d/%04u", dd % 100, m % 100, (unsigned)y % 10000);
		} else {
			date_format(f->date, d);
		}
	}
	switch (f->reason) {
	case CR_UNCLASSIFIED_POSITIVE:
		snprintf(buf, cap, vi ? "xét nghiệm dương tính ngày %s nhưng chưa được phân loại, lập hồ sơ"
				      : "positive test %s but no classification or record", d);
		break;
	case CR_UNCLASSIFIED_DETERMINED:
		snprintf(buf, cap, vi ? "được xác định nghiện ngày %s nhưng chưa được phân loại, lập hồ sơ"
				      : "determined addicted %s but no classification or record", d);
		break;
	case CR_NO_RECORD:
		snprintf(buf, cap, "%s", vi ? "chưa có hồ sơ quản lý đang mở" : "no open management record");
		break;
	case CR_NO_POST_REHAB_RECORD:
		snprintf(buf, cap, "%s", vi ? "chưa có hồ sơ quản lý sau cai nghiện đang mở" : "no open post-rehabilitation record");
		break;
	case CR_NOT_IN_TREATMENT:
		snprintf(buf, cap, "%s", vi ? "không tham gia hình thức cai nghiện, điều trị nào" : "not in treatment");
		break;
	case CR_NO_TEST:
		snprintf(buf, cap, "%s", vi ? "chưa từng được xét nghiệm" : "never tested");
		break;
	case CR_TEST_TOO_OLD:
		snprintf(buf, cap, vi ? "không xét nghiệm kể từ ngày %s" : "no test since %s", d);
		break;
	case CR_TEST_POSITIVE:
		snprintf(buf, cap, vi ? "xét nghiệm dương tính ngày %s" : "positive test %s", d);
		break;
	case CR_TEST_INVALID:
		snprintf(buf, cap, vi ? "kết quả xét nghiệm ngày %s không xác định" : "test %s has no valid result", d);
		break;
	case CR_NO_PERIODIC_TEST:
		snprintf(buf, cap, vi ? "không xét nghiệm định kỳ kể từ khi lập hồ sơ ngày %s"
				      : "no periodic test since the record opened %s", d);
		break;
	case CR_NO_SUDDEN_TEST:
		snprintf(buf, cap, vi ? "không xét nghiệm đột xuất kể từ khi lập hồ sơ ngày %s"
				      : "no sudden test since the record opened %s", d);
		break;
	case CR_NO_SUPPORT:
		snprintf(buf, cap, vi ? "chưa được hỗ trợ tái hòa nhập kể từ ngày %s"
				      : "no reintegration support since %s", d);
		break;
	case CR_CEILING:
		snprintf(buf, cap, vi ? "%d người nghiện ngoài cộng đồng, phải dưới %d"
				      : "%d addicts in the community, must be fewer than %d", f->value, f->limit);
		break;
	}
}
