/* ost.c (demo): a year of the substitution clinics' work (ost.h). The episodes come from the store
 * (the demo drew them with the persons); everything here is generated in memory, checked against the
 * rules of domain/ost.h, and bulk-loaded: about two hundred thousand doses go in in well under a
 * second, where validated inserts one by one would take most of the demo's budget. */
#include "demo/ost.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "demo/rng.h"
#include "domain/ost.h"
#include "engine/rulebook.h"
#include "util/date.h"

enum {
	PAGE = 1000,
	HISTORY_DAYS = 365,   /* doses drawn for the last year */
	RX_BACK_DAYS = 550,   /* prescriptions drawn from here, so that take-home sees 6 months of maintenance */
	DAY_LO = 700,         /* date strings cached for [T - DAY_LO, T + DAY_HI] */
	DAY_HI = 120,
	MG_PER_ML = 10,       /* methadone oral solution 10 mg/mL */
	BOTTLE_UL = 1000000,  /* receipts in whole 1 000 mL bottles */
	CHUNK = 20000
};

struct ep {
	int64_t id, person, facility;
	int32_t start, end; /* end DATE_NONE when open */
	int bup, outcome_dropped;
};

struct xrx {
	int64_t person, treatment, facility;
	int32_t from, to;
	int mg, phase, bup;
};

struct xdose {
	int64_t person, facility, home;
	int rx;            /* index into rx */
	int32_t day, on;
	int kind, mg, bup;
	const char *reason;
};

struct gen {
	struct store *s;
	struct rulebook rb;
	int32_t T;
	int64_t *fac;
	int nfac;
	struct xrx *rx;
	size_t nrx, caprx;
	struct xdose *dose;
	size_t nd, capd;
	char (*ds)[DATE_BUFSZ]; /* date strings, index day - (T - DAY_LO) */
	int oom;
};

static const char *ds(struct gen *g, int32_t d)
{
	int32_t i = d - (g->T - DAY_LO);

	if (i < 0 || i > DAY_LO + DAY_HI)
		return NULL;
	if (!g->ds[i][0])
		date_format(d, g->ds[i]);
	return g->ds[i];
}

static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
	void *np;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 4096;
	if (!(np = realloc(*p, c * sz)))
		return -1;
	*p = np;
	*cap = c;
	return 0;
}

/* Every row of e matching q (filters only), page by page. */
static int list_all(struct store *s, const struct entity_def *e, struct store_query *q, json_t **out,
		    struct pcmt_err *err)
{
	json_t *all = json_array(), *page;
	int64_t total = 0;

	q->as_of = DATE_NONE;
	q->limit = PAGE;
	for (q->offset = 0;; q->offset += PAGE) {
		size_t n;

		if (s->ops->list(s, e, q, &page, &total, err)) {
			json_decref(all);
			return -1;
		}
		n = json_array_size(page);
		json_array_extend(all, page);
		json_decref(page);
		if (n < PAGE || q->offset + (int64_t)n >= total)
			break;
	}
	*out = all;
	return 0;
}

static int32_t jdate(json_t *o, const char *k)
{
	int32_t d;
	const char *s = json_string_value(json_object_get(o, k));

	return s && date_parse(s, &d) == 0 ? d : DATE_NONE;
}

static int load(struct gen *g, struct ep **eps, size_t *nep, struct pcmt_err *err)
{
	static const char *const kinds[] = {"methadone", "buprenorphine"};
	struct store_query q;
	json_t *rows = NULL, *v, *r;
	size_t i, n = 0;

	memset(&q, 0, sizeof(q));
	v = json_string("ost_point");
	q.eq[0].field = "kind";
	q.eq[0].value = v;
	q.neq = 1;
	if (list_all(g->s, &ent_facilities, &q, &rows, err)) {
		json_decref(v);
		return -1;
	}
	json_decref(v);
	g->nfac = (int)json_array_size(rows);
	if (!(g->fac = calloc((size_t)g->nfac + 1, sizeof(*g->fac))))
		goto oom;
	json_array_foreach(rows, i, r)
		g->fac[i] = json_integer_value(json_object_get(r, "id"));
	json_decref(rows);
	rows = NULL;
	*eps = NULL;
	for (int k = 0; k < 2; k++) {
		memset(&q, 0, sizeof(q));
		v = json_string(kinds[k]);
		q.eq[0].field = "kind";
		q.eq[0].value = v;
		q.neq = 1;
		if (list_all(g->s, &ent_treatments, &q, &rows, err)) {
			json_decref(v);
			return -1;
		}
		json_decref(v);
		{
			struct ep *ne = realloc(*eps, (n + json_array_size(rows) + 1) * sizeof(**eps));

			if (!ne)
				goto oom;
			*eps = ne;
		}
		json_array_foreach(rows, i, r) {
			struct ep *e = &(*eps)[n];
			const char *out = json_string_value(json_object_get(r, "outcome"));

			e->id = json_integer_value(json_object_get(r, "id"));
			e->person = json_integer_value(json_object_get(r, "person_id"));
			e->facility = json_integer_value(json_object_get(r, "facility_id"));
			e->start = jdate(r, "start_date");
			e->end = jdate(r, "end_date");
			e->bup = k;
			e->outcome_dropped = out && !strcmp(out, "dropped_out");
			if (e->facility > 0 && e->start != DATE_NONE)
				n++;
		}
		json_decref(rows);
		rows = NULL;
	}
	*nep = n;
	return 0;
oom:
	json_decref(rows);
	return err_set(err, ERR_INTERNAL, NULL, "out of memory");
}

static int cmp_ep(const void *a, const void *b)
{
	const struct ep *x = a, *y = b;

	if (x->person != y->person)
		return x->person < y->person ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int add_rx(struct gen *g, const struct ep *e, int32_t from, int32_t to, int mg, int phase)
{
	if (grow((void **)&g->rx, &g->caprx, g->nrx, sizeof(*g->rx)))
		return g->oom = 1, -1;
	g->rx[g->nrx++] = (struct xrx){e->person, e->id, e->facility, from, to, mg, phase, e->bup};
	return 0;
}

static int add_dose(struct gen *g, const struct ep *e, int rx, int32_t day, int32_t on, int kind, int64_t where,
		    int mg, const char *reason)
{
	if (grow((void **)&g->dose, &g->capd, g->nd, sizeof(*g->dose)))
		return g->oom = 1, -1;
	g->dose[g->nd++] = (struct xdose){e->person, where, e->facility, rx, day, on, kind, mg, e->bup, reason};
	return 0;
}

/* The latest positive test on or before d among the sorted dates pos[0..n). */
static int32_t last_pos(const int32_t *pos, int n, int32_t d)
{
	int32_t best = DATE_NONE;

	for (int i = 0; i < n && pos[i] <= d; i++)
		best = pos[i];
	return best;
}

static int positives(struct gen *g, int64_t person, int32_t **out, int *n, struct pcmt_err *err)
{
	struct store_query q;
	json_t *rows = NULL, *pv = json_integer(person), *rv = json_string("positive"), *r;
	size_t i;

	memset(&q, 0, sizeof(q));
	q.eq[0].field = "person_id";
	q.eq[0].value = pv;
	q.eq[1].field = "result";
	q.eq[1].value = rv;
	q.neq = 2;
	*n = 0;
	if (list_all(g->s, &ent_tests, &q, &rows, err)) {
		json_decref(pv);
		json_decref(rv);
		return -1;
	}
	json_decref(pv);
	json_decref(rv);
	free(*out);
	*out = malloc((json_array_size(rows) + 1) * sizeof(**out));
	if (!*out) {
		json_decref(rows);
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	json_array_foreach(rows, i, r) /* listed in test_date order */
		(*out)[(*n)++] = jdate(r, "test_date");
	json_decref(rows);
	return 0;
}

/* One episode: its prescriptions, then its doses. *last_dosed carries over between a person's
 * episodes so that no day gets two doses. */
static int episode(struct gen *g, const struct ep *e, uint64_t seed, const int32_t *pos, int npos,
		   int32_t *last_dosed, struct demo_ost_stats *st, struct pcmt_err *err)
{
	struct rng r = rng_stream(seed, 0x05715, (uint64_t)e->id);
	int32_t T = g->T, last = e->end == DATE_NONE ? T : (e->end < T ? e->end : T), gfrom = T - RX_BACK_DAYS;
	int32_t first_dose = T - HISTORY_DAYS, stop;
	size_t rx0 = g->nrx;
	int base = e->bup ? 2 * rng_range(&r, 6, 12) : 5 * rng_range(&r, 12, 28), adherence = rng_range(&r, 880, 985);
	int stable = rng_chance(&r, 300), streak = 0, nrx;
	struct ost_rx *orx = NULL;
	struct ost_rules R;
	static const char *const lower[] = {"patient asked for a lower dose", "vomited after the last dose",
					    "drowsy at the counter: dose reduced"};

	if (last < first_dose || e->start > T)
		return 0;
	/* induction (2 weeks), dose finding (2 x 23 days), then 30-day maintenance blocks */
	{
		int32_t from = e->start, to;
		int mg = e->bup ? 4 : 30, phase = OP_INDUCTION, k = 0;

		while (from <= last) {
			if (phase == OP_INDUCTION) {
				to = from + 13;
			} else if (phase == OP_DOSE_FINDING) {
				to = from + 22;
			} else {
				to = from + 29;
				if (rng_chance(&r, 80)) /* a dose change: the next block carries it */
					base += (e->bup ? 2 : 10) * (rng_chance(&r, 500) ? 1 : -1);
				if (base < (e->bup ? 4 : 30))
					base = e->bup ? 4 : 30;
				mg = base;
			}
			if (e->end != DATE_NONE && to > e->end)
				to = e->end;
			if (to >= gfrom && add_rx(g, e, from, to, mg, phase))
				goto oom;
			from = to + 1;
			if (phase == OP_INDUCTION) {
				phase = OP_DOSE_FINDING;
				mg = e->bup ? base / 2 : (30 + base) / 2;
			} else if (phase == OP_DOSE_FINDING && ++k == 2) {
				phase = OP_MAINTENANCE;
			} else if (phase == OP_DOSE_FINDING) {
				mg = (mg + base) / 2;
			}
		}
	}
	nrx = (int)(g->nrx - rx0);
	st->prescriptions += nrx;
	if (!nrx)
		return 0;
	if (!(orx = calloc((size_t)nrx, sizeof(*orx))))
		goto oom;
	for (int i = 0; i < nrx; i++) {
		const struct xrx *x = &g->rx[rx0 + (size_t)i];

		orx[i] = (struct ost_rx){(int64_t)i + 1, x->from, x->to, x->mg, (int8_t)x->phase,
					 (int8_t)(x->bup ? OM_BUPRENORPHINE : OM_METHADONE), x->facility};
		if (ost_rules_at(&g->rb, x->from, &R, err) || ost_rx_check(&orx[i], &R, err))
			goto fail; /* a generated prescription breaking a rule is a bug here */
	}
	/* doses: dropouts stop coming weeks before their episode is closed; today, about half the
	 * patients due have come by the time the demo is looked at */
	stop = e->end != DATE_NONE ? e->end - (e->outcome_dropped ? rng_range(&r, 31, 45) : 1) : T;
	for (int32_t d = first_dose > e->start ? first_dose : e->start; d <= stop && d <= last; d++) {
		const struct ost_rx *p = ost_rx_at(orx, nrx, d);
		int ix;

		if (!p || d <= *last_dosed)
			continue;
		ix = (int)(rx0 + (size_t)(p - orx));
		if (d == T && rng_chance(&r, 450))
			continue;
		/* weekly take-home runs for stable patients the rules allow */
		if (stable && !e->bup && ost_rules_at(&g->rb, d, &R, err) == 0 &&
		    ost_take_home_check(orx, nrx, d, last_pos(pos, npos, d), R.th_max_days, &R, err) == 0) {
			int32_t k;

			for (k = 0; k < R.th_max_days && d + k <= (e->end == DATE_NONE ? T + R.th_max_days : e->end); k++) {
				const struct ost_rx *q = ost_rx_at(orx, nrx, d + k);

				if (!q || (e->end != DATE_NONE && d + k > e->end))
					break;
				if (add_dose(g, e, (int)(rx0 + (size_t)(q - orx)), d + k, d, OD_TAKE_HOME, e->facility, q->dose_mg,
					     NULL))
					goto oom;
				st->take_home++;
			}
			*last_dosed = d + k - 1;
			d += k - 1;
			continue;
		}
		err->code = ERR_OK;
		if (streak > 0) {
			streak--;
			continue;
		}
		if (rng_chance(&r, 6)) { /* a run of missed days: the queue's alerts */
			streak = rng_range(&r, 2, 7);
			continue;
		}
		if (!rng_chance(&r, adherence))
			continue;
		if (g->nfac > 1 && rng_chance(&r, 4)) {
			int64_t other = g->fac[rng_below(&r, g->nfac)];

			if (other != e->facility) {
				if (add_dose(g, e, ix, d, d, OD_GUEST, other, p->dose_mg, NULL))
					goto oom;
				st->guest++;
				*last_dosed = d;
				continue;
			}
		}
		if (rng_chance(&r, 8) && p->dose_mg > (e->bup ? 2 : 10)) {
			if (add_dose(g, e, ix, d, d, OD_WITNESSED, e->facility, p->dose_mg - (e->bup ? 2 : 10),
				     lower[rng_below(&r, 3)]))
				goto oom;
		} else if (add_dose(g, e, ix, d, d, OD_WITNESSED, e->facility, p->dose_mg, NULL)) {
			goto oom;
		}
		*last_dosed = d;
	}
	free(orx);
	return 0;
oom:
	free(orx);
	return err_set(err, ERR_INTERNAL, NULL, "out of memory");
fail:
	free(orx);
	return -1;
}

/* ---- bulk loading ---------------------------------------------------------------------------- */

static void vi(struct bulk_val *v, int64_t i)
{
	v->is_null = 0;
	v->i = i;
	v->s = NULL;
}

static void vs(struct bulk_val *v, const char *s)
{
	v->is_null = s == NULL;
	v->i = 0;
	v->s = s;
}

static void vn(struct bulk_val *v)
{
	v->is_null = 1;
	v->i = 0;
	v->s = NULL;
}

/* Inserts n rows built by fill(i, row) in chunks; ids[i] receives each row's id when ids is given. */
static int load_rows(struct gen *g, const struct entity_def *e, size_t n, void (*fill)(struct gen *, size_t, struct bulk_val *, void *),
		     void *cls, int64_t *ids, struct pcmt_err *err)
{
	struct bulk_val *v = calloc((size_t)CHUNK * (size_t)e->nfields, sizeof(*v));
	int rc = -1;

	if (!v)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (size_t at = 0; at < n; at += CHUNK) {
		size_t k = n - at < CHUNK ? n - at : CHUNK;
		int64_t first = 0;

		for (size_t i = 0; i < k; i++)
			fill(g, at + i, &v[i * (size_t)e->nfields], cls);
		if (g->s->ops->bulk_insert(g->s, e, v, k, &first, err))
			goto out;
		for (size_t i = 0; ids && i < k; i++)
			ids[at + i] = first + (int64_t)i;
	}
	rc = 0;
out:
	free(v);
	return rc;
}

static const char *const prescribers[] = {"BS. Nguyễn Văn Hùng", "BS. Lê Thị Thu", "BS. Hồ Sỹ Hà", "BS. Lữ Văn Pó",
					  "BS. Vi Thị Lan"};
static const char *const kinds_dose[] = {"witnessed", "take_home", "guest"};

static void fill_rx(struct gen *g, size_t i, struct bulk_val *v, void *cls)
{
	const struct xrx *x = &g->rx[i];
	static const char *const phases[] = {"induction", "dose_finding", "maintenance", "tapering"};

	(void)cls;
	vi(&v[0], x->person);
	vi(&v[1], x->treatment);
	vi(&v[2], x->facility);
	vs(&v[3], x->bup ? "buprenorphine" : "methadone");
	vi(&v[4], x->mg);
	vs(&v[5], phases[x->phase]);
	vs(&v[6], prescribers[(size_t)x->facility % 5]);
	vs(&v[7], ds(g, x->from));
	vs(&v[8], ds(g, x->to));
	vn(&v[9]);
}

static void fill_dose(struct gen *g, size_t i, struct bulk_val *v, void *cls)
{
	const struct xdose *x = &g->dose[i];
	const int64_t *rx_ids = cls;

	vi(&v[0], x->person);
	vi(&v[1], rx_ids[x->rx]);
	vi(&v[2], x->facility);
	vi(&v[3], x->home);
	vs(&v[4], ds(g, x->day));
	vs(&v[5], ds(g, x->on));
	vs(&v[6], kinds_dose[x->kind]);
	vi(&v[7], x->mg);
	vs(&v[8], x->reason);
}

/* A stock movement row: dispensed (from a dose), receipt or waste. */
struct xmove {
	int64_t facility, dose_id, ul;
	int32_t day;
	int kind;
	const char *reason;
};

struct moves {
	struct xmove *m;
	size_t n, cap;
};

static void fill_move(struct gen *g, size_t i, struct bulk_val *v, void *cls)
{
	const struct xmove *x = &((struct moves *)cls)->m[i];
	static const char *const kinds[] = {"receipt", "dispensed", "waste"};

	vi(&v[0], x->facility);
	vs(&v[1], ds(g, x->day));
	vs(&v[2], kinds[x->kind]);
	vi(&v[3], x->ul);
	vi(&v[4], MG_PER_ML);
	if (x->dose_id)
		vi(&v[5], x->dose_id);
	else
		vn(&v[5]);
	vs(&v[6], x->reason);
	vn(&v[7]);
}

struct xrecon {
	int64_t facility;
	int32_t day;
	struct ost_balance b;
};

struct recons {
	struct xrecon *r;
	size_t n;
};

static void fill_recon(struct gen *g, size_t i, struct bulk_val *v, void *cls)
{
	const struct xrecon *x = &((struct recons *)cls)->r[i];

	vi(&v[0], x->facility);
	vs(&v[1], ds(g, x->day));
	vi(&v[2], x->b.opening);
	vi(&v[3], x->b.received);
	vi(&v[4], x->b.dispensed);
	vi(&v[5], x->b.waste);
	vi(&v[6], x->b.counted);
	vi(&v[7], x->b.expected);
	vi(&v[8], x->b.difference);
	vi(&v[9], x->b.flagged);
	vs(&v[10], "DS. Trần Thị Mai");
	vn(&v[11]);
}

static int add_move(struct moves *m, struct xmove x)
{
	if (grow((void **)&m->m, &m->cap, m->n, sizeof(*m->m)))
		return -1;
	m->m[m->n++] = x;
	return 0;
}

/* Receipts, waste and the daily reconciliation of every clinic over the year, around the doses
 * dispensed (disp[c * ndays + day]). */
static int stock_year(struct gen *g, uint64_t seed, const int64_t *disp, int32_t d0, int ndays, struct moves *mv,
		      struct recons *rc, struct demo_ost_stats *st)
{
	static const char *const waste[] = {"spilled while measuring", "patient vomited within 15 minutes: dose replaced",
					    "bottle cracked", "left in the measuring cup"};

	if (!(rc->r = calloc((size_t)g->nfac * (size_t)ndays + 1, sizeof(*rc->r))))
		return -1;
	for (int c = 0; c < g->nfac; c++) {
		struct rng r = rng_stream(seed, 0x57c, (uint64_t)g->fac[c]);
		int64_t stock = 0, any = 0;

		for (int i = 0; i < ndays; i++)
			any += disp[(size_t)c * (size_t)ndays + (size_t)i];
		if (!any)
			continue; /* a point without methadone patients keeps no methadone stock */

		for (int i = 0; i < ndays; i++) {
			int32_t day = d0 + i;
			int y, m, dd;
			struct ost_balance b;

			memset(&b, 0, sizeof(b));
			b.opening = stock;
			date_to_ymd(day, &y, &m, &dd);
			/* a receipt on the first day and on the 1st of each month: the next month's need and a
			 * tenth more, in whole bottles */
			if (i == 0 || dd == 1) {
				int64_t need = 0;

				for (int k = i; k < i + 31 && k < ndays; k++)
					need += disp[(size_t)c * (size_t)ndays + (size_t)k];
				need = need + need / 10 - stock;
				if (need > 0) {
					b.received = (need + BOTTLE_UL - 1) / BOTTLE_UL * BOTTLE_UL;
					if (add_move(mv, (struct xmove){g->fac[c], 0, b.received, day, OS_RECEIPT, NULL}))
						return -1;
				}
			}
			b.dispensed = disp[(size_t)c * (size_t)ndays + (size_t)i];
			if (b.dispensed && rng_chance(&r, 25)) {
				b.waste = 1000 * rng_range(&r, 1, 5);
				if (add_move(mv, (struct xmove){g->fac[c], 0, b.waste, day, OS_WASTE, waste[rng_below(&r, 4)]}))
					return -1;
			}
			b.counted = b.opening + b.received - b.dispensed - b.waste;
			/* now and then the evening count finds 1 to 3 mL missing: flagged */
			if (b.dispensed && rng_chance(&r, 7))
				b.counted -= 1000 * rng_range(&r, 1, 3);
			ost_reconcile(&b);
			stock = b.counted;
			if (day < g->T) { /* today is reconciled in the evening */
				rc->r[rc->n++] = (struct xrecon){g->fac[c], day, b};
				st->flagged += b.flagged;
			}
		}
	}
	return 0;
}

static int fac_index(const struct gen *g, int64_t id)
{
	for (int i = 0; i < g->nfac; i++)
		if (g->fac[i] == id)
			return i;
	return -1;
}

int demo_ost(struct store *s, const struct ent_ctx *ctx, uint64_t seed, struct demo_ost_stats *st,
	     struct pcmt_err *err)
{
	struct gen g;
	struct ep *eps = NULL;
	size_t nep = 0;
	int64_t *rx_ids = NULL, *dose_ids = NULL, *disp = NULL;
	int32_t *pos = NULL, d0, last_dosed = DATE_NONE;
	int npos = 0, ndays, rc = -1, bulk = 0;
	struct moves mv = {0};
	struct recons rcs = {0};

	memset(&g, 0, sizeof(g));
	memset(st, 0, sizeof(*st));
	g.s = s;
	g.T = ctx->today;
	rulebook_init(&g.rb);
	if (!(g.ds = calloc(DAY_LO + DAY_HI + 1, sizeof(*g.ds))))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (rulebook_read(s, &g.rb, err) || load(&g, &eps, &nep, err))
		goto out;
	st->clinics = g.nfac;
	qsort(eps, nep, sizeof(*eps), cmp_ep);
	for (size_t i = 0; i < nep; i++) {
		if (i == 0 || eps[i].person != eps[i - 1].person) {
			last_dosed = DATE_NONE;
			if (positives(&g, eps[i].person, &pos, &npos, err))
				goto out;
		}
		if (fac_index(&g, eps[i].facility) < 0)
			continue; /* not at a dispensing point: nothing to dispense */
		if (episode(&g, &eps[i], seed, pos, npos, &last_dosed, st, err))
			goto out;
		if (eps[i].start <= g.T && (eps[i].end == DATE_NONE || eps[i].end >= g.T))
			st->patients_today++;
	}
	st->doses = (int)g.nd;
	/* what each clinic dispensed each day, for its stock */
	d0 = g.T - HISTORY_DAYS;
	ndays = HISTORY_DAYS + 1;
	if (!(disp = calloc((size_t)(g.nfac ? g.nfac : 1) * (size_t)ndays, sizeof(*disp))) ||
	    !(rx_ids = calloc(g.nrx + 1, sizeof(*rx_ids))) || !(dose_ids = calloc(g.nd + 1, sizeof(*dose_ids))))
		goto oom;
	if (s->ops->bulk_mode(s, 1, err))
		goto out;
	bulk = 1;
	if (load_rows(&g, &ent_ost_prescriptions, g.nrx, fill_rx, NULL, rx_ids, err) ||
	    load_rows(&g, &ent_ost_doses, g.nd, fill_dose, rx_ids, dose_ids, err))
		goto out;
	for (size_t i = 0; i < g.nd; i++) {
		const struct xdose *x = &g.dose[i];
		int c = fac_index(&g, x->facility);
		int64_t ul = ost_dose_ul(x->mg, MG_PER_ML);

		if (x->bup || c < 0 || x->on < d0)
			continue;
		disp[(size_t)c * (size_t)ndays + (size_t)(x->on - d0)] += ul;
		if (add_move(&mv, (struct xmove){x->facility, dose_ids[i], ul, x->on, OS_DISPENSED, NULL}))
			goto oom;
	}
	if (stock_year(&g, seed, disp, d0, ndays, &mv, &rcs, st))
		goto oom;
	if (load_rows(&g, &ent_ost_stock, mv.n, fill_move, &mv, NULL, err) ||
	    load_rows(&g, &ent_ost_reconciliations, rcs.n, fill_recon, &rcs, NULL, err))
		goto out;
	st->stock_movements = (int)mv.n;
	st->reconciliations = (int)rcs.n;
	bulk = 0;
	if (s->ops->bulk_mode(s, 0, err))
		goto out;
	rc = 0;
	goto out;
oom:
	err_set(err, ERR_INTERNAL, NULL, "out of memory generating the clinics' year");
out:
	if (bulk) {
		struct pcmt_err e2;

		err_clear(&e2);
		s->ops->bulk_mode(s, 0, &e2);
	}
	rulebook_free(&g.rb);
	free(g.ds);
	free(g.fac);
	free(g.rx);
	free(g.dose);
	free(eps);
	free(pos);
	free(rx_ids);
	free(dose_ids);
	free(disp);
	free(mv.m);
	free(rcs.r);
	return rc;
}
