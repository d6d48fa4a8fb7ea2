/* demo.c: the demonstration province, built in passes: plan every person's history in memory with
 * its routine tests, adjust commune by commune so that about two thirds meet the drug-free criteria
 * today (read with the rulebook's numbers) and the rest fail them for realistic reasons, then write
 * everything through ent_validate + ops->insert, and count the drug-free communes with the real
 * engine (engine/drugfree.h) on what was written.
 * Each person and commune draws from its own random stream, so the passes stay deterministic. */
#include "demo/demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo/names.h"
#include "demo/operations.h"
#include "demo/plans.h"
#include "demo/rng.h"
#include "engine/drugfree.h"
#include "engine/rulebook.h"
#include "util/date.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define PROVINCE_CODE "40"
/* Nghệ An recognised 281 of its 412 communes as drug-free on 30 June 2025 (RULES.md). */
#define FREE_NUM 281
#define FREE_DEN 412
/* the 2025 reform: the demo applies it when today is on or after this date */
#define REFORM_DATE date_from_ymd(2025, 7, 1)

/* Random stream labels: one purpose each, so adding draws to one pass never shifts another. */
enum { RS_COMMUNE = 1, RS_PLAN, RS_RESIDENCE, RS_PERSON, RS_DUP, RS_HISTORY, RS_ADJUST, RS_TESTS, RS_WRITE };

/* ---- the province's districts ---------------------------------------------------------------- */

/* How the demo treats each real district of Nghệ An. weight: persons per commune relative to 10;
 * free: how likely (permille scale) a commune is drug-free; eth: permille Kinh, Thái, H'Mông,
 * Khơ Mú among the persons; ost: the district whose methadone point serves it. The western border
 * districts (Kỳ Sơn, Tương Dương, Quế Phong) carry the most persons and the fewest drug-free
 * communes; Vinh the most amphetamine-type use. */
struct dprof {
	const char *code;
	int weight, free, mountain, coastal, urban;
	int eth[ETH_N];
	const char *ost;
};

static const struct dprof dprofs[] = {
	{"412", 25, 900, 0, 0, 1, {1000, 0, 0, 0}, "412"},      /* Thành phố Vinh */
	{"414", 10, 1000, 0, 0, 1, {980, 20, 0, 0}, "412"},     /* Thị xã Thái Hoà */
	{"415", 30, 330, 1, 0, 0, {150, 780, 0, 70}, "415"},    /* Huyện Quế Phong */
	{"416", 15, 700, 1, 0, 0, {300, 680, 0, 20}, "416"},    /* Huyện Quỳ Châu */
	{"417", 40, 280, 1, 0, 0, {80, 250, 420, 250}, "417"},  /* Huyện Kỳ Sơn */
	{"418", 35, 330, 1, 0, 0, {150, 600, 120, 130}, "418"}, /* Huyện Tương Dương */
	{"419", 8, 1000, 0, 0, 0, {850, 150, 0, 0}, "412"},     /* Huyện Nghĩa Đàn */
	{"420", 13, 800, 1, 0, 0, {550, 450, 0, 0}, "416"},     /* Huyện Quỳ Hợp */
	{"421", 10, 1000, 0, 1, 0, {1000, 0, 0, 0}, "425"},     /* Huyện Quỳnh Lưu */
	{"422", 20, 600, 1, 0, 0, {350, 550, 0, 100}, "422"},   /* Huyện Con Cuông */
	{"423", 8, 1000, 0, 0, 0, {900, 100, 0, 0}, "412"},     /* Huyện Tân Kỳ */
	{"424", 10, 900, 0, 0, 0, {950, 50, 0, 0}, "422"},      /* Huyện Anh Sơn */
	{"425", 10, 1000, 0, 1, 0, {1000, 0, 0, 0}, "425"},     /* Huyện Diễn Châu */
	{"426", 8, 1000, 0, 0, 0, {1000, 0, 0, 0}, "425"},      /* Huyện Yên Thành */
	{"427", 9, 1000, 0, 0, 0, {1000, 0, 0, 0}, "412"},      /* Huyện Đô Lương */
	{"428", 10, 900, 0, 0, 0, {980, 20, 0, 0}, "412"},      /* Huyện Thanh Chương */
	{"429", 9, 1000, 0, 1, 0, {1000, 0, 0, 0}, "412"},      /* Huyện Nghi Lộc */
	{"430", 7, 1000, 0, 0, 0, {1000, 0, 0, 0}, "412"},      /* Huyện Nam Đàn */
	{"431", 7, 1000, 0, 0, 0, {1000, 0, 0, 0}, "412"},      /* Huyện Hưng Nguyên */
	{"432", 10, 1000, 0, 1, 1, {1000, 0, 0, 0}, "425"},     /* Thị xã Hoàng Mai */
};

/* Used for a district the table does not know (a custom --units file). */
static const struct dprof dprof_other = {"", 10, 1000, 0, 0, 0, {1000, 0, 0, 0}, ""};

/* Methadone/buprenorphine dispensing points: district and the point's name. */
static const struct {
	const char *district, *name;
} ost_points[] = {
	{"412", "Cơ sở điều trị Methadone số 1 thành phố Vinh"},
	{"412", "Cơ sở điều trị Methadone số 2 thành phố Vinh"},
	{"417", "Cơ sở điều trị Methadone huyện Kỳ Sơn"},
	{"418", "Cơ sở điều trị Methadone huyện Tương Dương"},
	{"415", "Cơ sở điều trị Methadone huyện Quế Phong"},
	{"422", "Cơ sở điều trị Methadone huyện Con Cuông"},
	{"416", "Cơ sở điều trị Methadone huyện Quỳ Châu"},
	{"425", "Cơ sở điều trị Methadone huyện Diễn Châu"},
};

/* ---- in-memory plan ------------------------------------------------------------------------- */

enum { DCL_ADDICT, DCL_USER, DCL_POST, DCL_PSYCH, DCL_RELEASED, DCL_N };
static const char *const cl_code[DCL_N] = {"addict", "illegal_user", "post_rehab", "psychosis", "released"};

enum ev_type { EV_CLASS, EV_DET, EV_REC, EV_TEST, EV_TREAT, EV_SUPPORT };

/* Why a classification was made; the text is written with the date when the row is inserted. */
enum basis { B_POSTEST, B_DET, B_DONE, B_RELAPSE, B_PSYCH, B_RELEASED };

/* Compliance with the drug-free test rule today, set per current person by the adjust pass. */
enum mode { M_OK, M_POSITIVE, M_STALE };

/* The failure a non-drug-free commune is given on purpose today (others may come on top). */
enum fail {
	F_NONE,
	F_POSITIVE,   /* a recent positive test */
	F_STALE,      /* no test for over the window */
	F_MANY,       /* the community addict ceiling reached */
	F_NORECORD,   /* a classified person without an open record */
	F_NOTREAT,    /* an addict who dropped out of treatment */
	F_POSTTEST,   /* a post-rehab person without a sudden or a periodic test */
	F_NOSUPPORT,  /* a post-rehab person without reintegration support */
	F_UNDETECTED, /* a positive test the commune never classified or recorded */
	F_N
};

struct ev {
	unsigned char type, deleted, key, basis; /* key: a test that records a finding; never pruned */
	const char *kind, *result, *group;       /* codes of the entity's enums */
	int32_t a, b, c;  /* CLASS from,to; DET date; REC opened,closed; TEST date; TREAT start,planned,end;
			     SUPPORT date. DATE_NONE where absent. */
	int fac;          /* facility index, -1 none */
	int extra;        /* TEST: MDMA also positive; SUPPORT: index of the trade or loan purpose */
	int seq;          /* creation order, the tie-break when sorting */
	int64_t amount;
};

struct person {
	char name[96], nid[16], address[96], phone[16];
	const char *alias, *group; /* group: main substance group */
	struct occupation occ;
	int female, commune, seed_fail, dup;
	enum ethnic eth;
	int32_t dob;
	int final;     /* the classification the history was drawn towards */
	int current;   /* classification held today, -1 none */
	int cur_cls, cur_rec; /* event indices of the open classification and record, -1 none */
	enum mode mode;
	struct ev *ev;
	int nev, cap;
	int64_t id;
};

struct district {
	int64_t id;
	char code[17], name[201], lname[201]; /* lname: "huyện Kỳ Sơn", as it reads in a sentence */
	const struct dprof *p;
	int c0, nc, ost;
};

struct commune {
	int64_t id;
	char code[17], name[201], lname[201];
	int d, ward, station, counselling, planned_free;
	enum fail fail;
	char officer[512];
};

struct facility {
	const char *kind;
	int commune, qualified, capacity;
	int32_t qsince;
	char name[512];
	int64_t id;
};

struct gen {
	struct store *s;
	struct ent_ctx ctx;
	uint64_t seed;
	int32_t T, H0;
	struct crit_params cp; /* the drug-free numbers in force today, from the store's rulebook */
	int criteria_in_force; /* 0: today is before the criteria take effect; cp holds their first rows */
	int64_t province_id;
	struct demo_stats *st;
	struct district d[64];
	int nd;
	struct commune *c;
	int nc;
	struct facility *f;
	int nf, fcap;
	struct person *p;
	int np;
	int rehab1, rehab2, rehab_priv;
	uint64_t *ids; /* issued national IDs (open addressing), to keep them unique */
	size_t idcap;
	int oom;
	struct ev scratch; /* written to when an allocation failed; g->oom reports it */
};

static int32_t rdate(struct rng *r, int32_t a, int32_t b)
{
	return b <= a ? a : a + rng_below(r, b - a + 1);
}

static int32_t min32(int32_t a, int32_t b)
{
	return a < b ? a : b;
}

static int32_t max32(int32_t a, int32_t b)
{
	return a > b ? a : b;
}

static int age_at(int32_t dob, int32_t d)
{
	int y1, m1, d1, y2, m2, d2;

	date_to_ymd(dob, &y1, &m1, &d1);
	date_to_ymd(d, &y2, &m2, &d2);
	return y2 - y1 - (m2 < m1 || (m2 == m1 && d2 < d1));
}

/* Lower-cases the ASCII letters of a type prefix ("Huyện Kỳ Sơn" -> "huyện Kỳ Sơn"); every
 * capital in the type names is ASCII, so bytewise is safe. */
static void lower_type(char *dst, size_t n, const char *name, const char *type)
{
	size_t tl = type ? strlen(type) : 0;

	snprintf(dst, n, "%s", name);
	if (tl && !strncmp(name, type, tl))
		for (size_t i = 0; i < tl && i < n; i++)
			if (dst[i] >= 'A' && dst[i] <= 'Z')
				dst[i] = (char)(dst[i] - 'A' + 'a');
}

/* ---- events --------------------------------------------------------------------------------- */

static int ev_new(struct gen *g, struct person *p, enum ev_type type)
{
	struct ev *e;

	if (p->nev == p->cap) {
		int cap = p->cap ? p->cap * 2 : 32;
		struct ev *v = realloc(p->ev, (size_t)cap * sizeof(*v));

		if (!v) {
			g->oom = 1;
			return -1;
		}
		p->ev = v;
		p->cap = cap;
	}
	e = &p->ev[p->nev];
	memset(e, 0, sizeof(*e));
	e->type = (unsigned char)type;
	e->a = e->b = e->c = DATE_NONE;
	e->fac = -1;
	e->seq = p->nev;
	return p->nev++;
}

/* The event at index i, or the scratch one after a failed allocation (i == -1). */
static struct ev *ev_at(struct gen *g, struct person *p, int i)
{
	return i >= 0 ? &p->ev[i] : &g->scratch;
}

static int add_class(struct gen *g, struct person *p, int cl, int32_t from, enum basis b)
{
	int i = ev_new(g, p, EV_CLASS);
	struct ev *e = ev_at(g, p, i);

	e->kind = cl_code[cl];
	e->a = from;
	e->basis = (unsigned char)b;
	p->cur_cls = i;
	return i;
}

static int add_rec(struct gen *g, struct person *p, const char *kind, int32_t opened)
{
	int i = ev_new(g, p, EV_REC);
	struct ev *e = ev_at(g, p, i);

	e->kind = kind;
	e->a = min32(opened, g->T);
	p->cur_rec = i;
	return i;
}

static void close_ev(struct gen *g, struct person *p, int i, int32_t when, const char *reason)
{
	struct ev *e = ev_at(g, p, i);

	/* an end that would fall on or after today has not happened yet: the event stays open (a record
	 * closed today would no longer count as open today while its classification still held) */
	if (i < 0 || when >= g->T)
		return;
	e->b = max32(when, e->a);
	e->result = reason;
	if (p->cur_cls == i)
		p->cur_cls = -1;
	if (p->cur_rec == i)
		p->cur_rec = -1;
}

/* The substance a positive test of this person shows (the panel's name for the group). */
static const char *pos_substance(const char *group)
{
	if (!strcmp(group, "opioids"))
		return "opioids";
	if (!strcmp(group, "ats"))
		return "methamphetamine";
	if (!strcmp(group, "cannabis"))
		return "cannabis";
	return "ketamine";
}

static int add_test(struct gen *g, struct person *p, struct rng *r, int32_t d, const char *kind, int positive,
		    int key)
{
	int i = ev_new(g, p, EV_TEST);
	struct ev *e = ev_at(g, p, i);

	e->a = d;
	e->kind = kind;
	e->result = positive ? "positive" : "negative";
	e->group = positive ? pos_substance(p->group) : NULL;
	e->extra = positive && !strcmp(p->group, "ats") && rng_chance(r, 200);
	e->key = (unsigned char)key;
	e->fac = g->c[p->commune].station;
	return i;
}

/* A facility qualified on date d to determine addiction: the person's commune health station,
 * else another in the district, else the first public rehabilitation facility. */
static int det_facility(struct gen *g, struct person *p, int32_t d)
{
	const struct commune *c = &g->c[p->commune];
	const struct district *di = &g->d[c->d];
	const struct facility *f = &g->f[c->station];

	if (f->qualified && f->qsince <= d)
		return c->station;
	for (int k = di->c0; k < di->c0 + di->nc; k++) {
		f = &g->f[g->c[k].station];
		if (f->qualified && f->qsince <= d)
			return g->c[k].station;
	}
	return g->rehab1;
}

/* Illegal use found on s: the positive test, the classification and the 1-year record. */
static void detect_user(struct gen *g, struct person *p, struct rng *r, int32_t s)
{
	add_test(g, p, r, s, rng_chance(r, 600) ? "sudden" : "on_request", 1, 1);
	add_class(g, p, DCL_USER, s, B_POSTEST);
	/* the commune chair decides within 3 working days of the positive result */
	add_rec(g, p, "illegal_user", s + rng_range(r, 1, 3));
}

/* Addiction determined on d at a qualified facility: test, determination, classification, record. */
static void determine(struct gen *g, struct person *p, struct rng *r, int32_t d, enum basis b)
{
	int i;

	add_test(g, p, r, max32(d - rng_range(r, 0, 2), g->H0), "determination", 1, 1);
	i = ev_new(g, p, EV_DET);
	ev_at(g, p, i)->a = d;
	ev_at(g, p, i)->fac = det_facility(g, p, d);
	ev_at(g, p, i)->result = "addicted";
	ev_at(g, p, i)->group = p->group;
	add_class(g, p, DCL_ADDICT, d, b);
	add_rec(g, p, "addict", d + rng_range(r, 0, 5));
}

static int residential(const char *kind)
{
	return !strcmp(kind, "compulsory_facility") || !strcmp(kind, "voluntary_facility");
}

static const char *first_kind(struct person *p, struct rng *r)
{
	static const char *const opi[] = {"methadone", "voluntary_community", "compulsory_facility",
					  "voluntary_facility", "buprenorphine"};
	static const int opi_w[] = {520, 200, 170, 90, 20};
	static const char *const oth[] = {"voluntary_community", "compulsory_facility", "voluntary_facility"};
	static const int oth_w[] = {400, 380, 220};

	if (!strcmp(p->group, "opioids"))
		return opi[rng_pick(r, opi_w, N(opi_w))];
	return oth[rng_pick(r, oth_w, N(oth_w))];
}

static int treat_days(struct rng *r, const char *kind, int adult)
{
	if (!strcmp(kind, "compulsory_facility"))
		return adult ? rng_range(r, 365, 730) : rng_range(r, 180, 365); /* Law 73/2021 art. 33 */
	if (!strcmp(kind, "methadone") || !strcmp(kind, "buprenorphine"))
		return rng_range(r, 365, 1100);
	return rng_range(r, 180, 365);
}

static int treat_facility(struct gen *g, struct person *p, struct rng *r, const char *kind)
{
	const struct commune *c = &g->c[p->commune];
	int mountain = g->d[c->d].p->mountain;

	if (!strcmp(kind, "compulsory_facility"))
		return mountain ? g->rehab2 : g->rehab1;
	if (!strcmp(kind, "voluntary_facility"))
		return rng_chance(r, 600) ? g->rehab_priv : mountain ? g->rehab2 : g->rehab1;
	if (!strcmp(kind, "methadone") || !strcmp(kind, "buprenorphine"))
		return g->d[c->d].ost;
	return rng_chance(r, 600) ? c->station : -1; /* at home: often without a facility */
}

static int add_treat(struct gen *g, struct person *p, struct rng *r, const char *kind, int32_t start,
		     int32_t planned, int32_t end, const char *outcome)
{
	int i = ev_new(g, p, EV_TREAT);
	struct ev *e = ev_at(g, p, i);

	e->kind = kind;
	e->a = start;
	e->b = planned;
	e->c = end;
	e->result = outcome;
	e->fac = treat_facility(g, p, r, kind);
	return i;
}

static void add_support(struct gen *g, struct person *p, struct rng *r, const char *kind, int32_t d)
{
	int i = ev_new(g, p, EV_SUPPORT);
	struct ev *e = ev_at(g, p, i);

	e->kind = kind;
	e->a = d;
	if (!strcmp(kind, "loan"))
		e->amount = (int64_t)rng_range(r, 2, 20) * 5000000; /* 10 to 100 million VND, social policy bank */
	e->extra = rng_below(r, 1000);
}

/* Post-rehabilitation after treatment ended on c: classification and record for `months` (Law
 * 73/2021 art. 40), support while managed. relapse != DATE_NONE ends it early. */
static void post_phase(struct gen *g, struct person *p, struct rng *r, int32_t c, int months, int32_t relapse)
{
	int cls = add_class(g, p, DCL_POST, min32(c + 1, g->T), B_DONE);
	int rec = add_rec(g, p, "post_rehab", c + rng_range(r, 1, 5));
	int32_t o = ev_at(g, p, rec)->a, end = date_add_months(o, months), until;

	if (relapse != DATE_NONE) {
		close_ev(g, p, rec, relapse, "admin_measure"); /* relapse: compulsory treatment follows */
		close_ev(g, p, cls, relapse - 1, NULL);
		until = relapse - 1;
	} else if (end < g->T) {
		close_ev(g, p, rec, end, "period_ended");
		close_ev(g, p, cls, end, NULL);
		until = end;
	} else {
		until = g->T;
	}
	add_support(g, p, r, "counselling", min32(o + rng_range(r, 0, 20), until));
	if (rng_chance(r, 400))
		add_support(g, p, r, "vocational_training", rdate(r, o, until));
	if (rng_chance(r, 250))
		add_support(g, p, r, "job_placement", rdate(r, o, until));
	if (rng_chance(r, 220))
		add_support(g, p, r, "loan", rdate(r, o, until));
	if (rng_chance(r, 100))
		add_support(g, p, r, "other", rdate(r, o, until));
}

/* Treatment episodes of an addict from t until hz; the last one is ongoing at hz. Voluntary or
 * substitution treatment that is dropped or relapsed on is followed by compulsory treatment (Law
 * 73/2021). A compulsory episode that ends, and with `interlude` the first episode that ends, is
 * completed and followed by post-rehabilitation and a relapse; when there is no time left to
 * relapse the person stays post-rehab (returns 1). */
static int treat_chain(struct gen *g, struct person *p, struct rng *r, int32_t t, int32_t hz, int interlude)
{
	const char *kind = first_kind(p, r);

	for (int n = 0;; n++) {
		int adult, dur;
		int32_t planned, end;

		t = min32(t, hz);
		adult = age_at(p->dob, t) >= 18;
		dur = treat_days(r, kind, adult);
		planned = t + dur;
		if (planned >= hz - 10 || n >= 3 || t >= hz - 30) {
			/* substitution is maintenance: no planned end */
			int subst = !strcmp(kind, "methadone") || !strcmp(kind, "buprenorphine");

			add_treat(g, p, r, kind, t, subst ? DATE_NONE : planned, DATE_NONE, "ongoing");
			return 0;
		}
		if (interlude || !strcmp(kind, "compulsory_facility")) {
			int32_t rl = planned + rng_range(r, 60, 300);
			int months = !strcmp(kind, "compulsory_facility") && adult ? 24 : 12;

			interlude = 0;
			add_treat(g, p, r, kind, t, planned, planned, "completed");
			close_ev(g, p, p->cur_cls, planned, NULL);
			close_ev(g, p, p->cur_rec, planned, "other");
			if (rl > hz - 45) {
				post_phase(g, p, r, planned, months, DATE_NONE);
				return 1;
			}
			post_phase(g, p, r, planned, months, rl);
			add_test(g, p, r, rl, "sudden", 1, 1);
			determine(g, p, r, rl + rng_range(r, 2, 10), B_RELAPSE);
			kind = "compulsory_facility";
			t = rl + rng_range(r, 15, 45);
			continue;
		}
		end = min32(t + dur * rng_range(r, 30, 95) / 100, hz - 5);
		add_treat(g, p, r, kind, t, planned, max32(end, t),
			  !strcmp(kind, "methadone") || rng_chance(r, 550) ? "dropped_out" : "relapsed");
		/* opioid users often go back to methadone rather than to a compulsory facility */
		kind = !strcmp(p->group, "opioids") && rng_chance(r, 400) ? "methadone" : "compulsory_facility";
		t = max32(end, t) + rng_range(r, 15, 60);
	}
}

/* ---- histories ------------------------------------------------------------------------------ */

static void path_addict(struct gen *g, struct person *p, struct rng *r, int force)
{
	static const int w[] = {500, 280, 130, 90}; /* plain, after illegal use, with a relapse, ended */
	int v = force ? rng_below(r, 2) : rng_pick(r, w, N(w));
	/* An ended history (death, prison) ends more than the detection lookback ago: a determination
	 * or positive test within it and no classification would count as an undetected addict. */
	int32_t T = g->T, d, hz, last_end = T - g->cp.lookback_days - 10;

	if (v == 3 && last_end - 90 < g->H0 + 10)
		v = 0; /* today too early for an ended history */

	if (v == 1) {
		int32_t s = rdate(r, g->H0, T - 240);

		detect_user(g, p, r, s);
		d = min32(s + rng_range(r, 60, 300), T - 30);
		close_ev(g, p, p->cur_cls, d - 1, NULL);
		close_ev(g, p, p->cur_rec, d, "addiction_determined");
	} else {
		d = rdate(r, g->H0 + 10, v == 3 ? last_end - 90 : T - 20);
	}
	determine(g, p, r, d, B_DET);
	hz = v == 3 ? rdate(r, d + 90, last_end) : T;
	if (treat_chain(g, p, r, d + rng_range(r, 3, 30), hz, v == 2))
		return;
	if (v == 3) { /* died, or imprisoned for a drug offence */
		int died = rng_chance(r, 350);
		struct ev *last = NULL;

		for (int i = p->nev - 1; i >= 0 && !last; i--)
			if (p->ev[i].type == EV_TREAT)
				last = &p->ev[i];
		if (last) {
			last->c = max32(hz, last->a);
			last->result = died ? "died" : "dropped_out";
		}
		close_ev(g, p, p->cur_rec, hz, died ? "died" : "imprisoned");
		close_ev(g, p, p->cur_cls, hz, NULL);
	}
}

static void path_user(struct gen *g, struct person *p, struct rng *r, int force)
{
	int32_t T = g->T, s = force ? rdate(r, T - 330, T - 15) : rdate(r, g->H0, T - 7), o, e;
	int cls, rec, why;

	detect_user(g, p, r, s);
	cls = p->cur_cls;
	rec = p->cur_rec;
	o = ev_at(g, p, rec)->a;
	e = date_add_months(o, 12); /* illegal-user management: 1 year (Decree 105/2021) */
	if (e >= T)
		return;
	why = rng_below(r, 100);
	if (why < 15) { /* ended early: moved away, or another administrative measure */
		int32_t early = rdate(r, o + 30, e);

		/* only long ago: the positive test would otherwise still count as a finding without a
		 * classification (the person's later life is not followed) */
		if (early < T - g->cp.lookback_days)
			e = early;
		else
			why = 15;
	}
	close_ev(g, p, rec, e, why >= 15 ? "period_ended" : why >= 5 ? "moved" : "admin_measure");
	close_ev(g, p, cls, e, NULL);
}

static void path_post(struct gen *g, struct person *p, struct rng *r)
{
	static const char *const opi[] = {"methadone", "compulsory_facility", "voluntary_facility", "voluntary_community"};
	static const int opi_w[] = {300, 350, 150, 200};
	static const char *const oth[] = {"compulsory_facility", "voluntary_facility", "voluntary_community"};
	static const int oth_w[] = {450, 250, 300};
	int32_t T = g->T, c = rdate(r, g->H0 + 300, T - 5), start, d;
	const char *kind = !strcmp(p->group, "opioids") ? opi[rng_pick(r, opi_w, N(opi_w))]
							: oth[rng_pick(r, oth_w, N(oth_w))];
	int adult;

	start = max32(c - treat_days(r, kind, 1), g->H0 + 20);
	d = max32(start - rng_range(r, 3, 30), g->H0);
	adult = age_at(p->dob, start) >= 18;
	if (rng_chance(r, 300) && d - g->H0 > 150) {
		detect_user(g, p, r, rdate(r, g->H0, d - 90));
		close_ev(g, p, p->cur_cls, d - 1, NULL);
		close_ev(g, p, p->cur_rec, d, "addiction_determined");
	}
	determine(g, p, r, d, B_DET);
	add_treat(g, p, r, kind, start, c, c, "completed");
	close_ev(g, p, p->cur_cls, c, NULL);
	close_ev(g, p, p->cur_rec, c, "other");
	/* 2 years after an adult's compulsory treatment, otherwise 1 (Law 73/2021 art. 40) */
	post_phase(g, p, r, c, !strcmp(kind, "compulsory_facility") && adult ? 24 : 12, DATE_NONE);
}

static void path_psychosis(struct gen *g, struct person *p, struct rng *r)
{
	int32_t T = g->T;
	int current = rng_chance(r, 850);
	int32_t s = current ? rdate(r, T - 320, T - 10) : rdate(r, g->H0, T - 420);
	int cls, rec;

	add_test(g, p, r, s, "sudden", 1, 1);
	cls = add_class(g, p, DCL_PSYCH, s, B_PSYCH);
	rec = add_rec(g, p, "illegal_user", s + rng_range(r, 1, 3));
	if (!current) {
		int32_t e = date_add_months(ev_at(g, p, rec)->a, 12);

		close_ev(g, p, rec, e, "period_ended");
		close_ev(g, p, cls, e, NULL);
	}
}

static void path_released(struct gen *g, struct person *p, struct rng *r)
{
	int32_t T = g->T, rel = rdate(r, g->H0 + 90, T - 10);

	if (rng_chance(r, 500) && rel - 540 > g->H0) {
		int32_t a = rdate(r, g->H0, rel - 540), jail = rdate(r, a + 30, rel - 365);

		determine(g, p, r, a, B_DET);
		close_ev(g, p, p->cur_rec, jail, "imprisoned");
		close_ev(g, p, p->cur_cls, jail, NULL);
	}
	add_class(g, p, DCL_RELEASED, rel, B_RELEASED);
	for (int k = rng_below(r, 3); k > 0; k--)
		add_test(g, p, r, rdate(r, rel + 7, T), "on_request", 0, 0);
}

static void plan_history(struct gen *g, int i)
{
	/* Aimed at a final mix of about 45% addicts, 30% illegal users, 15% post-rehab, 3% psychosis
	 * signs, 7% released: some addicts' histories end post-rehab, so addicts are drawn more often. */
	static const int w[DCL_N] = {530, 300, 90, 30, 70};
	struct person *p = &g->p[i];
	struct rng r = rng_stream(g->seed, RS_HISTORY, (uint64_t)i);

	p->cur_cls = p->cur_rec = -1;
	p->final = p->seed_fail ? (rng_chance(&r, 600) ? DCL_ADDICT : DCL_USER) : rng_pick(&r, w, DCL_N);
	switch (p->final) {
	case DCL_ADDICT: path_addict(g, p, &r, p->seed_fail); break;
	case DCL_USER: path_user(g, p, &r, p->seed_fail); break;
	case DCL_POST: path_post(g, p, &r); break;
	case DCL_PSYCH: path_psychosis(g, p, &r); break;
	default: path_released(g, p, &r); break;
	}
}

/* The classification held on T (-1 none) and the index of that event. */
static int held_on(const struct person *p, int32_t T, int *idx)
{
	for (int i = 0; i < p->nev; i++) {
		const struct ev *e = &p->ev[i];

		if (e->type == EV_CLASS && !e->deleted && e->a <= T && (e->b == DATE_NONE || e->b >= T)) {
			if (idx)
				*idx = i;
			for (int k = 0; k < DCL_N; k++)
				if (!strcmp(e->kind, cl_code[k]))
					return k;
		}
	}
	return -1;
}

/* The open record on T, or -1. */
static int open_record(const struct person *p, int32_t T)
{
	for (int i = 0; i < p->nev; i++) {
		const struct ev *e = &p->ev[i];

		if (e->type == EV_REC && !e->deleted && e->a <= T && (e->b == DATE_NONE || e->b > T))
			return i;
	}
	return -1;
}

/* The ongoing treatment on T, or -1. */
static int ongoing_treatment(const struct person *p, int32_t T)
{
	for (int i = p->nev - 1; i >= 0; i--) {
		const struct ev *e = &p->ev[i];

		if (e->type == EV_TREAT && !e->deleted && e->a <= T && (e->c == DATE_NONE || e->c > T))
			return i;
	}
	return -1;
}

/* ---- tests ---------------------------------------------------------------------------------- */

/* The facility where a test on d is taken: the treatment facility while in residential treatment. */
static int test_facility(struct gen *g, const struct person *p, int32_t d)
{
	for (int i = 0; i < p->nev; i++) {
		const struct ev *e = &p->ev[i];

		if (e->type == EV_TREAT && !e->deleted && residential(e->kind) && e->a <= d &&
		    (e->c == DATE_NONE || e->c >= d))
			return e->fac;
	}
	return g->c[p->commune].station;
}

/* The classification event of kind cl held on d, or -1. */
static int class_on(const struct person *p, int cl, int32_t d)
{
	for (int i = 0; i < p->nev; i++) {
		const struct ev *e = &p->ev[i];

		if (e->type == EV_CLASS && !e->deleted && !strcmp(e->kind, cl_code[cl]) && e->a <= d &&
		    (e->b == DATE_NONE || e->b >= d))
			return i;
	}
	return -1;
}

/* Tests under an illegal-user record (illegal users, persons with psychosis signs): one every one to
 * four months, sometimes positive. A positive test under management is a new finding: the commune
 * chair decides again within 3 working days, and the classification and the record start over for
 * 12 months from the new decision (Decree 105/2021). So a classification never ends while a
 * positive test is still within the detection lookback: that would make the person "undetected". */
static void user_tests(struct gen *g, struct person *p, struct rng *r, int rec)
{
	int32_t T = g->T, end = p->ev[rec].b, lim;
	/* only a record that runs its term (or is still open) starts over; one closed for another reason
	 * (addiction determined, moved away long ago) hands the person on */
	int renew = end == DATE_NONE || !strcmp(p->ev[rec].result, "period_ended");
	int cls = -1, cl = DCL_USER;

	if (renew) {
		cls = class_on(p, DCL_USER, p->ev[rec].a);
		if (cls < 0 && (cls = class_on(p, DCL_PSYCH, p->ev[rec].a)) >= 0)
			cl = DCL_PSYCH;
		renew = cls >= 0;
	}
	/* no test in a term's last days: its finding would fall between two decisions */
	lim = end == DATE_NONE ? T : renew ? end - 3 : end;
	for (int32_t t = p->ev[rec].a + rng_range(r, 20, 75); t <= lim; t += rng_range(r, 30, 120)) {
		int pos = rng_chance(r, 60), j;
		int32_t o;

		j = add_test(g, p, r, t, rng_chance(r, 650) ? "periodic" : "sudden", pos, 0);
		if (!pos || !renew || t + 3 >= T)
			continue; /* a positive of the last days: the decision is still to come */
		ev_at(g, p, j)->key = 1;
		o = t + rng_range(r, 1, 3);
		close_ev(g, p, rec, o, "other");
		close_ev(g, p, cls, t - 1, NULL);
		cls = add_class(g, p, cl, t, B_POSTEST);
		rec = add_rec(g, p, "illegal_user", o);
		end = date_add_months(o, 12);
		lim = T;
		if (end < T) {
			close_ev(g, p, rec, end, "period_ended");
			close_ev(g, p, cls, end, NULL);
			lim = end - 3;
		}
	}
}

/* Tests under an addict record: one every one to four months, sometimes positive (a relapse during
 * treatment leads to compulsory treatment in the history, not here). */
static void addict_tests(struct gen *g, struct person *p, struct rng *r, int rec)
{
	int32_t end = p->ev[rec].b == DATE_NONE ? g->T : min32(p->ev[rec].b, g->T);

	for (int32_t t = p->ev[rec].a + rng_range(r, 20, 75); t <= end; t += rng_range(r, 30, 120))
		add_test(g, p, r, t, rng_chance(r, 650) ? "periodic" : "sudden", rng_chance(r, 90), 0);
}

/* Post-rehabilitation management (Law 73/2021 art. 40): a periodic test at least every
 * test.periodic_interval_days and sudden tests now and then, the first within the first interval,
 * so both are there once the criteria ask for them. Negative: a relapse is a separate event. */
static void post_tests(struct gen *g, struct person *p, struct rng *r, int rec)
{
	int iv = g->cp.test_interval_days > 20 ? g->cp.test_interval_days : 20;
	int32_t end = p->ev[rec].b == DATE_NONE ? g->T : min32(p->ev[rec].b, g->T);

	for (int32_t t = p->ev[rec].a + rng_range(r, iv / 2, iv); t <= end; t += rng_range(r, iv * 2 / 3, iv))
		add_test(g, p, r, t, "periodic", 0, 0);
	for (int32_t t = p->ev[rec].a + rng_range(r, 5, iv - 5); t <= end; t += rng_range(r, iv / 2, iv * 3))
		add_test(g, p, r, t, "sudden", 0, 0);
}

/* Routine tests while each record of the history is open. */
static void routine_tests(struct gen *g, int i)
{
	struct person *p = &g->p[i];
	struct rng r = rng_stream(g->seed, RS_TESTS, (uint64_t)i);
	int n = p->nev; /* records opened by user_tests look after themselves */

	for (int k = 0; k < n; k++) {
		if (p->ev[k].type != EV_REC || p->ev[k].deleted)
			continue;
		if (!strcmp(p->ev[k].kind, "post_rehab"))
			post_tests(g, p, &r, k);
		else if (!strcmp(p->ev[k].kind, "illegal_user"))
			user_tests(g, p, &r, k);
		else
			addict_tests(g, p, &r, k);
	}
}

/* Latest test date among non-deleted tests (DATE_NONE if none). */
static int32_t last_test(const struct person *p)
{
	int32_t d = DATE_NONE;

	for (int i = 0; i < p->nev; i++)
		if (p->ev[i].type == EV_TEST && !p->ev[i].deleted && (d == DATE_NONE || p->ev[i].a > d))
			d = p->ev[i].a;
	return d;
}

/* 1 if p has a key test (a finding: every key test is positive) in [from, to]. */
static int finding_in(const struct person *p, int32_t from, int32_t to)
{
	for (int i = 0; i < p->nev; i++)
		if (p->ev[i].type == EV_TEST && p->ev[i].key && !p->ev[i].deleted && p->ev[i].a >= from &&
		    p->ev[i].a <= to)
			return 1;
	return 0;
}

/* Marks deleted the routine (non-key) tests of kind (NULL: any) dated from..to. */
static void drop_tests(struct person *p, const char *kind, int32_t from, int32_t to)
{
	for (int i = 0; i < p->nev; i++) {
		struct ev *e = &p->ev[i];

		if (e->type == EV_TEST && !e->key && e->a >= from && e->a <= to && (!kind || !strcmp(e->kind, kind)))
			e->deleted = 1;
	}
}

/* Applies the person's mode to the tests of the last window days: the drug-free criteria read the
 * latest test on or before today, which must lie in [today - window, today] and be negative. */
static void comply(struct gen *g, int i)
{
	struct person *p = &g->p[i];
	struct rng r = rng_stream(g->seed, RS_TESTS, (uint64_t)i + 0x100000);
	int32_t T = g->T, w = g->cp.window_days, last, lo;

	if (p->current != DCL_ADDICT && p->current != DCL_USER && p->current != DCL_PSYCH)
		return;
	drop_tests(p, NULL, p->mode == M_STALE ? T - w - 5 : T - w + 1, T);
	if (p->mode == M_STALE)
		return;
	/* an illegal user's positive result is news of the last days: within 3 working days the chair
	 * would have decided again */
	lo = p->mode == M_OK ? T - w * 5 / 6 : p->current == DCL_ADDICT ? T - w * 2 / 3 : T - 3;
	last = last_test(p);
	add_test(g, p, &r, min32(rdate(&r, max32(lo, last == DATE_NONE ? lo : last + 1), T), T),
		 p->mode == M_OK && rng_chance(&r, 650) ? "periodic" : "sudden", p->mode == M_POSITIVE, 0);
}

/* Where each routine test was taken: at the treatment facility during residential treatment (the
 * commune adjustment may have changed treatments after the tests were drawn), else the station. */
static void place_tests(struct gen *g, int i)
{
	struct person *p = &g->p[i];

	for (int k = 0; k < p->nev; k++)
		if (p->ev[k].type == EV_TEST && !p->ev[k].key && !p->ev[k].deleted)
			p->ev[k].fac = test_facility(g, p, p->ev[k].a);
}

/* ---- communes: make the planned drug-free reading true ------------------------------------- */

/* Persons of commune k holding `cl` today, into out (capacity n); returns how many. */
static int currents(struct gen *g, int k, int cl, int *out, int n)
{
	int m = 0;

	for (int i = 0; i < g->np; i++)
		if (g->p[i].commune == k && g->p[i].current == cl && m < n)
			out[m++] = i;
	return m;
}

static int in_community(const struct person *p, int32_t T)
{
	int t = ongoing_treatment(p, T);

	return t < 0 || !residential(p->ev[t].kind);
}

/* The open record of p on T, opened at least `days` before T, or -1. */
static int record_open_for(const struct person *p, int32_t T, int days)
{
	int rec = open_record(p, T);

	return rec >= 0 && T - p->ev[rec].a >= days ? rec : -1;
}

typedef int keep_fn(struct gen *g, const struct person *p);

/* How many persons of v[0..n) keep holds for. */
static int count(struct gen *g, const int *v, int n, keep_fn *keep)
{
	int m = 0;

	for (int i = 0; i < n; i++)
		m += keep(g, &g->p[v[i]]) != 0;
	return m;
}

/* One person of v[0..n) that keep holds for, drawn from r; -1 when none. */
static int choose(struct gen *g, struct rng *r, const int *v, int n, keep_fn *keep)
{
	int m = count(g, v, n, keep), x;

	if (!m)
		return -1;
	x = rng_below(r, m);
	for (int i = 0; i < n; i++)
		if (keep(g, &g->p[v[i]]) && x-- == 0)
			return v[i];
	return -1;
}

/* Tested against the window today: illegal users, psychosis signs, and addicts in the community. */
static int is_tested(struct gen *g, const struct person *p)
{
	return p->current == DCL_USER || p->current == DCL_PSYCH ||
	       (p->current == DCL_ADDICT && in_community(p, g->T));
}

/* Can be left without a test for over the window: no finding (key test) lies in it. */
static int can_lapse(struct gen *g, const struct person *p)
{
	return is_tested(g, p) && !finding_in(p, g->T - g->cp.window_days - 5, g->T);
}

/* An illegal user the commune could have left unrecorded: the positive test lies within the
 * lookback, at least a week old. */
static int can_hide(struct gen *g, const struct person *p)
{
	return (p->current == DCL_USER || p->current == DCL_PSYCH) &&
	       finding_in(p, g->T - g->cp.lookback_days + 7, g->T - 7);
}

/* An addict in treatment for at least 45 days, who could have dropped out. */
static int can_drop_out(struct gen *g, const struct person *p)
{
	int t = ongoing_treatment(p, g->T);

	return p->current == DCL_ADDICT && t >= 0 && p->ev[t].a <= g->T - 45;
}

/* A post-rehab person whose record has been open long enough for tests to be due. */
static int tests_due(struct gen *g, const struct person *p)
{
	return p->current == DCL_POST && record_open_for(p, g->T, g->cp.test_interval_days) >= 0;
}

static int has_record(struct gen *g, const struct person *p)
{
	return open_record(p, g->T) >= 0;
}

static int anyone(struct gen *g, const struct person *p)
{
	return 1;
}

/* What a post-rehab person can lack since the record opened. */
enum lapse { L_SUDDEN, L_PERIODIC, L_SUPPORT };

/* Removes every sudden or periodic test, or every support, of p since the open record opened. */
static void lapse_post(struct gen *g, struct person *p, enum lapse what)
{
	int rec = open_record(p, g->T);

	if (rec < 0)
		return;
	if (what == L_SUPPORT) {
		for (int i = 0; i < p->nev; i++)
			if (p->ev[i].type == EV_SUPPORT && p->ev[i].a >= p->ev[rec].a)
				p->ev[i].deleted = 1;
		return;
	}
	drop_tests(p, what == L_SUDDEN ? "sudden" : "periodic", p->ev[rec].a, g->T);
}

/* Deletes every record of p open on T, with the routine tests taken under it. */
static void unrecord(struct gen *g, struct person *p)
{
	int32_t from = DATE_NONE;

	for (int rec; (rec = open_record(p, g->T)) >= 0;) {
		p->ev[rec].deleted = 1;
		from = from == DATE_NONE ? p->ev[rec].a : min32(from, p->ev[rec].a);
	}
	if (from != DATE_NONE)
		drop_tests(p, NULL, from, g->T);
}

/* Commune k today. A planned drug-free commune meets every criterion: everyone tested in the window
 * (comply), fewer than the ceiling of addicts in the community. Any other commune gets one failure on
 * purpose, among those it can show, and then the everyday lapses of a commune not there yet. buf
 * holds 3 lists of cap/3 persons. */
static void adjust_commune(struct gen *g, int k, int *buf, int cap)
{
	/* weights of the failure on purpose, in enum fail order */
	static const int fw[F_N] = {0, 200, 170, 110, 100, 60, 150, 80, 110};
	struct commune *c = &g->c[k];
	struct rng r = rng_stream(g->seed, RS_ADJUST, (uint64_t)k);
	int32_t T = g->T;
	int q = cap / 3, *add = buf, *post = buf + q, *all = buf + 2 * q;
	int na, npost, nall = 0, ncomm = 0, w[F_N], who = -1;

	na = currents(g, k, DCL_ADDICT, add, q);
	npost = currents(g, k, DCL_POST, post, q);
	for (int cl = DCL_ADDICT; cl <= DCL_PSYCH; cl++)
		nall += currents(g, k, cl, all + nall, q - nall);
	for (int i = 0; i < na; i++)
		ncomm += in_community(&g->p[add[i]], T);
	if (c->planned_free) {
		/* fewer addicts in the community than the ceiling: the others are in residential treatment */
		for (int i = na - 1; i >= 0 && ncomm >= g->cp.ceiling; i--) {
			struct person *p = &g->p[add[i]];
			int t = ongoing_treatment(p, T);

			if (t < 0 || !in_community(p, T))
				continue;
			p->ev[t].kind = "compulsory_facility";
			p->ev[t].fac = treat_facility(g, p, &r, "compulsory_facility");
			p->ev[t].b = max32(p->ev[t].a + 365, T + rng_range(&r, 30, 300));
			ncomm--;
		}
		c->fail = F_NONE;
		return;
	}
	/* the failure on purpose, among those the commune's persons allow */
	memcpy(w, fw, sizeof(w));
	if (!count(g, all, nall, is_tested))
		w[F_POSITIVE] = 0;
	if (!count(g, all, nall, can_lapse))
		w[F_STALE] = 0;
	if (na < g->cp.ceiling)
		w[F_MANY] = 0;
	if (!nall)
		w[F_NORECORD] = 0; /* cannot happen: every such commune has a seeded current person */
	if (!count(g, add, na, can_drop_out))
		w[F_NOTREAT] = 0;
	if (!count(g, post, npost, tests_due))
		w[F_POSTTEST] = 0;
	if (!count(g, post, npost, has_record))
		w[F_NOSUPPORT] = 0;
	if (!count(g, all, nall, can_hide))
		w[F_UNDETECTED] = 0;
	c->fail = (enum fail)rng_pick(&r, w, F_N);
	if (!w[c->fail])
		return;
	/* failures that change who is in the community or classified come first */
	switch (c->fail) {
	case F_MANY: /* the ceiling reached: addicts at a facility moved to treatment in the community */
		for (int i = 0; i < na && ncomm < g->cp.ceiling; i++) {
			struct person *p = &g->p[add[i]];
			int t = ongoing_treatment(p, T);
			int opi = !strcmp(p->group, "opioids") && g->d[c->d].ost >= 0;

			if (t < 0 || in_community(p, T))
				continue;
			p->ev[t].kind = opi ? "methadone" : "voluntary_community";
			p->ev[t].fac = treat_facility(g, p, &r, p->ev[t].kind);
			p->ev[t].b = opi ? DATE_NONE : max32(p->ev[t].a + 180, T + rng_range(&r, 10, 120));
			ncomm++;
		}
		break;
	case F_NOTREAT: { /* dropped out of treatment lately; compulsory treatment not yet ordered */
		struct person *p = &g->p[who = choose(g, &r, add, na, can_drop_out)];
		struct ev *e = &p->ev[ongoing_treatment(p, T)];

		e->c = max32(e->a + 1, T - rng_range(&r, 5, 40));
		e->result = "dropped_out";
		break;
	}
	case F_NORECORD: /* known and classified, but no management record was opened */
		who = choose(g, &r, all, nall, anyone);
		unrecord(g, &g->p[who]);
		break;
	case F_UNDETECTED: { /* a positive test the commune never acted on: no classification, no record */
		struct person *p = &g->p[who = choose(g, &r, all, nall, can_hide)];
		int cls = -1;

		held_on(p, T, &cls);
		if (cls >= 0)
			p->ev[cls].deleted = 1;
		unrecord(g, p);
		p->current = -1;
		break;
	}
	case F_POSTTEST:
		who = choose(g, &r, post, npost, tests_due);
		lapse_post(g, &g->p[who], rng_chance(&r, 650) ? L_SUDDEN : L_PERIODIC);
		break;
	case F_NOSUPPORT:
		who = choose(g, &r, post, npost, has_record);
		lapse_post(g, &g->p[who], L_SUPPORT);
		break;
	default:
		break;
	}
	/* everyday lapses: now and then a test missed or positive, a post-rehab test or support missed */
	for (int i = 0; i < nall; i++) {
		struct person *p = &g->p[all[i]];
		int x = rng_below(&r, 1000);

		if (all[i] != who && is_tested(g, p))
			p->mode = x < 900 ? M_OK : x < 950 && can_lapse(g, p) ? M_STALE : x < 950 ? M_OK : M_POSITIVE;
	}
	for (int i = 0; i < npost; i++) {
		struct person *p = &g->p[post[i]];
		int x = rng_below(&r, 1000);

		if (post[i] == who)
			continue;
		if (x < 30 && tests_due(g, p))
			lapse_post(g, p, x < 20 ? L_SUDDEN : L_PERIODIC);
		else if (x >= 30 && x < 55)
			lapse_post(g, p, L_SUPPORT);
	}
	/* the failure on purpose that rests on one tested person */
	if (c->fail == F_POSITIVE || c->fail == F_STALE) {
		who = choose(g, &r, all, nall, c->fail == F_STALE ? can_lapse : is_tested);
		if (who >= 0) /* always: the weight was 0 otherwise */
			g->p[who].mode = c->fail == F_STALE ? M_STALE : M_POSITIVE;
	}
}

/* ---- writing -------------------------------------------------------------------------------- */

/* Validates `in` (consumed) like an API write and inserts it; *id gets the new id when asked. */
static int put(struct gen *g, const struct entity_def *e, json_t *in, int64_t *id, struct pcmt_err *err)
{
	json_t *rec = NULL, *out = NULL;
	int rc = -1;

	if (!in)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory building a %s record", e->name);
	if (ent_validate(e, &g->ctx, in, 0, &rec, err) || g->s->ops->insert(g->s, e, NULL, rec, id ? &out : NULL, err))
		goto out;
	if (id && (*id = json_integer_value(json_object_get(out, "id"))) <= 0) {
		err_set(err, ERR_INTERNAL, NULL, "the store returned no id for a %s record", e->name);
		goto out;
	}
	rc = 0;
out:
	json_decref(in);
	json_decref(rec);
	json_decref(out);
	return rc;
}

static void set_date(json_t *o, const char *k, int32_t d)
{
	char b[DATE_BUFSZ];

	if (d != DATE_NONE)
		json_object_set_new(o, k, json_string(date_format(d, b)));
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

static int write_facilities(struct gen *g, struct pcmt_err *err)
{
	for (int i = 0; i < g->nf; i++) {
		struct facility *f = &g->f[i];
		const struct commune *c = &g->c[f->commune];
		char addr[300];
		json_t *o;

		snprintf(addr, sizeof(addr), "%s, %s, tỉnh Nghệ An", c->lname, g->d[c->d].lname);
		o = json_pack("{s:s, s:s, s:I, s:s, s:b}", "name", f->name, "kind", f->kind, "ou_id", (json_int_t)c->id,
			      "address", addr, "qualified", f->qualified);
		if (o && f->qualified)
			set_date(o, "qualified_since", f->qsince);
		if (o && f->capacity)
			json_object_set_new(o, "capacity", json_integer(f->capacity));
		if (put(g, &ent_facilities, o, &f->id, err))
			return -1;
	}
	return 0;
}

static int cmp_ev(const void *x, const void *y)
{
	const struct ev *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return a->seq - b->seq;
}

static const char *basis_text(const struct ev *e, char *buf, size_t n)
{
	static const char *const what[] = {
		[B_POSTEST] = "Kết quả xét nghiệm dương tính",
		[B_DET] = "Phiếu kết quả xác định tình trạng nghiện",
		[B_DONE] = "Hoàn thành cai nghiện, điều trị",
		[B_RELAPSE] = "Tái nghiện, xác định lại tình trạng nghiện",
		[B_PSYCH] = "Có biểu hiện loạn thần do sử dụng ma túy, phát hiện",
		[B_RELEASED] = "Chấp hành xong án phạt tù về tội phạm ma túy"};
	int y, m, d;
	char vn[16];

	date_to_ymd(e->a, &y, &m, &d);
	snprintf(vn, sizeof(vn), "%02d/%02d/%04d", d, m, y);
	snprintf(buf, n, "%s ngày %s", what[e->basis], vn);
	return buf;
}

/* Who gave the support, and a note where it helps: the commune's counselling point (else its
 * people's committee), the district's vocational centre with the trade, the social policy bank. */
static void set_support_text(struct gen *g, const struct commune *c, const struct ev *e, json_t *o)
{
	const struct district *di = &g->d[c->d];
	char buf[300];

	if (!strcmp(e->kind, "counselling")) {
		if (c->counselling >= 0) {
			set_str(o, "provider", g->f[c->counselling].name);
		} else {
			snprintf(buf, sizeof(buf), "UBND %s", c->lname);
			set_str(o, "provider", buf);
		}
	} else if (!strcmp(e->kind, "vocational_training")) {
		struct rng r = {(uint64_t)e->extra};

		snprintf(buf, sizeof(buf), "Trung tâm Giáo dục nghề nghiệp - Giáo dục thường xuyên %s", di->lname);
		set_str(o, "provider", buf);
		set_str(o, "note", names_trade(&r));
	} else if (!strcmp(e->kind, "job_placement")) {
		set_str(o, "provider", "Trung tâm Dịch vụ việc làm Nghệ An");
	} else if (!strcmp(e->kind, "loan")) {
		snprintf(buf, sizeof(buf), "Ngân hàng Chính sách xã hội %s", di->lname);
		set_str(o, "provider", buf);
		json_object_set_new(o, "amount_vnd", json_integer(e->amount));
		set_str(o, "note", e->extra % 2 ? "Vay vốn phát triển chăn nuôi, trồng trọt" : "Vay vốn kinh doanh nhỏ");
	} else {
		set_str(o, "provider", "Hội Liên hiệp Phụ nữ, Đoàn Thanh niên");
		set_str(o, "note", "Hỗ trợ nhu yếu phẩm, kết nối gia đình");
	}
}

static json_t *ev_json(struct gen *g, const struct person *p, const struct ev *e, const struct entity_def **ent)
{
	const struct commune *c = &g->c[p->commune];
	json_t *o = json_pack("{s:I}", "person_id", (json_int_t)p->id);
	char buf[300];

	if (!o)
		return NULL;
	switch ((enum ev_type)e->type) {
	case EV_CLASS:
		*ent = &ent_classifications;
		set_str(o, "kind", e->kind);
		set_date(o, "date_from", e->a);
		set_date(o, "date_to", e->b);
		set_str(o, "basis", basis_text(e, buf, sizeof(buf)));
		break;
	case EV_DET:
		*ent = &ent_determinations;
		set_date(o, "det_date", e->a);
		json_object_set_new(o, "facility_id", json_integer(g->f[e->fac].id));
		set_str(o, "result", e->result);
		set_str(o, "substance_group", e->group);
		break;
	case EV_REC:
		*ent = &ent_records;
		set_str(o, "kind", e->kind);
		set_date(o, "opened", e->a);
		set_date(o, "closed", e->b);
		set_str(o, "close_reason", e->b != DATE_NONE ? e->result : NULL);
		json_object_set_new(o, "managing_ou", json_integer(c->id));
		set_str(o, "officer", c->officer);
		break;
	case EV_TEST: {
		/* the quick 4-panel used in communes, plus ketamine when that is what was found */
		static const char *const panel[] = {"opioids", "methamphetamine", "mdma", "cannabis"};
		json_t *subs = json_array();
		int pos = !strcmp(e->result, "positive");

		*ent = &ent_tests;
		for (int i = 0; i < N(panel); i++) {
			int hit = pos && (!strcmp(panel[i], e->group) || (e->extra && !strcmp(panel[i], "mdma")));

			json_array_append_new(subs, json_pack("{s:s, s:s}", "substance", panel[i], "result",
							      hit ? "positive" : "negative"));
		}
		if (pos && !strcmp(e->group, "ketamine"))
			json_array_append_new(subs, json_pack("{s:s, s:s}", "substance", "ketamine", "result", "positive"));
		set_date(o, "test_date", e->a);
		set_str(o, "kind", e->kind);
		json_object_set_new(o, "substances", subs);
		set_str(o, "result", e->result);
		if (e->fac >= 0)
			json_object_set_new(o, "facility_id", json_integer(g->f[e->fac].id));
		break;
	}
	case EV_TREAT:
		*ent = &ent_treatments;
		set_str(o, "kind", e->kind);
		if (e->fac >= 0)
			json_object_set_new(o, "facility_id", json_integer(g->f[e->fac].id));
		set_date(o, "start_date", e->a);
		set_date(o, "planned_end", e->b);
		set_date(o, "end_date", e->c);
		set_str(o, "outcome", e->result);
		break;
	case EV_SUPPORT:
		*ent = &ent_support;
		set_str(o, "kind", e->kind);
		set_date(o, "support_date", e->a);
		set_support_text(g, c, e, o);
		break;
	}
	return o;
}

static int write_person(struct gen *g, struct person *p, int idx, struct pcmt_err *err)
{
	char dob[DATE_BUFSZ];
	json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "full_name", p->name, "sex", p->female ? "female" : "male",
			      "dob", date_format(p->dob, dob), "residence_ou", (json_int_t)g->c[p->commune].id);
	char msg[sizeof(err->message)], field[sizeof(err->field)];

	if (o) {
		set_str(o, "national_id", p->nid);
		set_str(o, "aliases", p->alias);
		set_str(o, "address", p->address);
		set_str(o, "phone", p->phone);
		set_str(o, "occupation", p->occ.name);
		set_str(o, "employment", p->occ.employment);
	}
	if (put(g, &ent_persons, o, &p->id, err))
		goto fail;
	qsort(p->ev, (size_t)p->nev, sizeof(*p->ev), cmp_ev);
	for (int i = 0; i < p->nev; i++) {
		const struct ev *e = &p->ev[i];
		const struct entity_def *ent = NULL;

		if (e->deleted)
			continue;
		o = ev_json(g, p, e, &ent);
		if (put(g, ent ? ent : &ent_classifications, o, NULL, err))
			goto fail;
	}
	return 0;
fail:
	/* say which generated row broke a rule: that is a bug in this file */
	snprintf(msg, sizeof(msg), "%s", err->message);
	snprintf(field, sizeof(field), "%s", err->field);
	return err_set(err, err->code, field, "demo person %d: %s", idx, msg);
}

/* ---- planning ------------------------------------------------------------------------------- */

static int add_facility(struct gen *g, const char *kind, int commune, const char *name)
{
	struct facility *f;

	if (g->nf == g->fcap) {
		int cap = g->fcap ? g->fcap * 2 : 512;
		struct facility *v = realloc(g->f, (size_t)cap * sizeof(*v));

		if (!v) {
			g->oom = 1;
			return 0;
		}
		g->f = v;
		g->fcap = cap;
	}
	f = &g->f[g->nf];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->commune = commune;
	snprintf(f->name, sizeof(f->name), "%s", name);
	return g->nf++;
}

static int district_by_code(struct gen *g, const char *code)
{
	for (int i = 0; i < g->nd; i++)
		if (!strcmp(g->d[i].code, code))
			return i;
	return -1;
}

/* The commune of district code `dc` whose type is "Thị trấn" (the district seat), else its first. */
static int seat_of(struct gen *g, const char *dc, int nth)
{
	int d = district_by_code(g, dc);

	if (d < 0)
		return -1;
	if (nth)
		return g->d[d].c0 + nth % g->d[d].nc;
	for (int k = g->d[d].c0; k < g->d[d].c0 + g->d[d].nc; k++)
		if (!strncmp(g->c[k].name, "Thị trấn", strlen("Thị trấn")))
			return k;
	return g->d[d].c0;
}

static void plan_facilities(struct gen *g)
{
	int32_t q1 = min32(date_from_ymd(2024, 12, 31), g->T), q0 = min32(date_from_ymd(2022, 3, 1), q1);
	char name[512], pname[96];
	int k;

	for (k = 0; k < g->nc; k++) {
		struct commune *c = &g->c[k];
		struct rng r = rng_stream(g->seed, RS_COMMUNE, (uint64_t)k);
		struct facility *f;

		snprintf(name, sizeof(name), "Trạm Y tế %s", c->lname);
		c->station = add_facility(g, "health_station", k, name);
		f = &g->f[c->station];
		/* about 60% qualified to determine addiction, since Decree 109/2021 took effect */
		f->qualified = rng_chance(&r, 600);
		f->qsince = f->qualified ? rdate(&r, q0, q1) : DATE_NONE;
		g->st->stations++;
		g->st->stations_qualified += f->qualified;
		c->counselling = -1;
		if (rng_chance(&r, 300)) {
			snprintf(name, sizeof(name), "Điểm tư vấn, hỗ trợ cai nghiện ma túy %s", c->lname);
			c->counselling = add_facility(g, "counselling_point", k, name);
			g->st->counselling_points++;
		}
		names_person(&r, ETH_KINH, rng_chance(&r, 150), pname, sizeof(pname));
		snprintf(c->officer, sizeof(c->officer), "%s (Công an %s)", pname, c->lname);
	}
	/* Province-level facilities sit in the district seats named below; the names are invented. */
	k = seat_of(g, "429", 0);
	g->rehab1 = add_facility(g, "rehab_public", k >= 0 ? k : 0, "Cơ sở cai nghiện ma túy số 1 tỉnh Nghệ An");
	g->f[g->rehab1].capacity = 1200;
	k = seat_of(g, "420", 0);
	g->rehab2 = add_facility(g, "rehab_public", k >= 0 ? k : 0, "Cơ sở cai nghiện ma túy số 2 tỉnh Nghệ An");
	g->f[g->rehab2].capacity = 800;
	k = seat_of(g, "412", 3);
	g->rehab_priv = add_facility(g, "rehab_private", k >= 0 ? k : 0, "Cơ sở cai nghiện ma túy tư nhân Bình Minh");
	g->f[g->rehab_priv].capacity = 150;
	g->st->rehab_public = 2;
	g->st->rehab_private = 1;
	for (int i = 0; i < 3; i++) {
		struct facility *f = &g->f[i == 0 ? g->rehab1 : i == 1 ? g->rehab2 : g->rehab_priv];

		f->qualified = 1; /* public facilities determined addiction before 2022 too */
		f->qsince = i < 2 ? date_from_ymd(2020, 6, 1) : min32(date_from_ymd(2023, 6, 15), g->T);
	}
	for (int d = 0; d < g->nd; d++)
		g->d[d].ost = -1;
	for (int i = 0; i < N(ost_points); i++) {
		int d = district_by_code(g, ost_points[i].district);
		int j;

		if (d < 0)
			continue;
		j = add_facility(g, "ost_point", seat_of(g, ost_points[i].district, i == 1 ? 5 : 0), ost_points[i].name);
		if (g->d[d].ost < 0)
			g->d[d].ost = j;
		g->st->ost_points++;
	}
	/* districts without a point are served by the one their profile names, else the first */
	for (int d = 0; d < g->nd; d++) {
		int h = district_by_code(g, g->d[d].p->ost);

		if (g->d[d].ost < 0)
			g->d[d].ost = h >= 0 && g->d[h].ost >= 0 ? g->d[h].ost : g->rehab1;
	}
}

/* Commune order for "drug-free": a weighted random key, so that border communes are less often
 * drug-free; the top FREE_NUM/FREE_DEN of the province are. */
static int cmp_key(const void *x, const void *y)
{
	const uint64_t *a = x, *b = y;

	if (a[0] != b[0])
		return a[0] > b[0] ? -1 : 1;
	return a[1] < b[1] ? -1 : 1;
}

static int plan_communes(struct gen *g)
{
	uint64_t(*key)[2] = calloc((size_t)g->nc, sizeof(*key));
	int nfree = (g->nc * FREE_NUM + FREE_DEN / 2) / FREE_DEN;

	if (!key)
		return -1;
	for (int k = 0; k < g->nc; k++) {
		struct rng r = rng_stream(g->seed, RS_PLAN, (uint64_t)k);

		key[k][0] = (rng_next(&r) >> 32) * (uint64_t)g->d[g->c[k].d].p->free;
		key[k][1] = (uint64_t)k;
	}
	qsort(key, (size_t)g->nc, sizeof(*key), cmp_key);
	for (int i = 0; i < g->nc; i++)
		g->c[key[i][1]].planned_free = i < nfree;
	free(key);
	g->st->planned_free = nfree;
	return 0;
}

/* A unique national ID. CCCD: province of birth registration, century/sex digit, two year digits,
 * six digits (Circular 59/2021/TT-BCA); CMND: 9 digits, 18x in Nghệ An. */
static int nid_unique(struct gen *g, uint64_t v)
{
	size_t i = (size_t)(v * 0x9E3779B97F4A7C15ULL) & (g->idcap - 1);

	while (g->ids[i]) {
		if (g->ids[i] == v)
			return 0;
		i = (i + 1) & (g->idcap - 1);
	}
	g->ids[i] = v;
	return 1;
}

static void make_nid(struct gen *g, struct person *p, struct rng *r)
{
	static const char *const prov[] = {"040", "040", "040", "040", "040", "040", "040", "040", "040", "040",
					   "040", "040", "040", "040", "040", "040", "040", "040", "038", "042", "001"};
	int y, m, d, x = rng_below(r, 1000);

	date_to_ymd(p->dob, &y, &m, &d);
	p->nid[0] = '\0';
	if (x >= 900)
		return; /* about 10% have no papers */
	for (int tries = 0; tries < 100; tries++) {
		if (x < 850)
			snprintf(p->nid, sizeof(p->nid), "%s%d%02d%06d", prov[rng_below(r, N(prov))],
				 (y >= 2000 ? 2 : 0) + p->female, y % 100, rng_below(r, 1000000));
		else
			snprintf(p->nid, sizeof(p->nid), "18%07d", rng_below(r, 10000000));
		if (nid_unique(g, strtoull(p->nid, NULL, 10) * 2 + (x >= 850)))
			return;
	}
	p->nid[0] = '\0';
}

static void person_address(struct gen *g, struct person *p, struct rng *r)
{
	const struct commune *c = &g->c[p->commune];
	const struct dprof *dp = g->d[c->d].p;

	names_address(r, c->ward ? (dp->urban && !strcmp(g->d[c->d].code, "412") ? ADDR_CITY : ADDR_TOWN)
				 : dp->mountain ? ADDR_MOUNTAIN : ADDR_LOWLAND,
		      p->address, sizeof(p->address));
}

static void plan_person(struct gen *g, int i)
{
	struct person *p = &g->p[i];
	struct rng r = rng_stream(g->seed, RS_PERSON, (uint64_t)i);
	const struct dprof *dp = g->d[g->c[p->commune].d].p;
	static const char *const grp[] = {"opioids", "ats", "cannabis", "other"};
	static const int w_mtn[] = {850, 130, 10, 10}, w_city[] = {280, 650, 50, 20}, w_low[] = {430, 520, 40, 10};
	int y, m, dd;

	p->eth = (enum ethnic)rng_pick(&r, dp->eth, ETH_N);
	p->female = rng_chance(&r, 80); /* about 92% of managed persons are men */
	/* born 1965-2006, most in the 1980s and 1990s */
	y = rng_chance(&r, 100) ? rng_range(&r, 1965, 2006) : 1968 + (rng_below(&r, 39) + rng_below(&r, 39)) / 2;
	m = rng_range(&r, 1, 12);
	dd = rng_range(&r, 1, 28);
	p->dob = date_from_ymd(y, m, dd);
	names_person(&r, p->eth, p->female, p->name, sizeof(p->name));
	p->alias = rng_chance(&r, 80) ? names_alias(&r) : NULL;
	make_nid(g, p, &r);
	person_address(g, p, &r);
	if (rng_chance(&r, 700))
		names_phone(&r, p->phone, sizeof(p->phone));
	p->occ = names_occupation(&r, dp->mountain, dp->coastal, age_at(p->dob, g->T));
	p->group = grp[rng_pick(&r, dp->mountain ? w_mtn : dp->urban ? w_city : w_low, 4)];
}

/* Residences: one seeded current person in each commune that must fail, the rest weighted by the
 * district's profile, then shuffled so that seeds are spread over the person numbers. */
static int plan_residences(struct gen *g)
{
	int *cum = malloc((size_t)g->nc * sizeof(*cum)), n = 0, total = 0;
	struct rng r = rng_stream(g->seed, RS_RESIDENCE, 0);

	if (!cum)
		return -1;
	for (int k = 0; k < g->nc; k++)
		cum[k] = (total += g->d[g->c[k].d].p->weight);
	for (int k = 0; k < g->nc && n < g->np; k++)
		if (!g->c[k].planned_free) {
			g->p[n].commune = k;
			g->p[n++].seed_fail = 1;
		}
	for (; n < g->np; n++) {
		int x = rng_below(&r, total), lo = 0, hi = g->nc - 1;

		while (lo < hi) {
			int mid = (lo + hi) / 2;

			if (cum[mid] > x)
				hi = mid;
			else
				lo = mid + 1;
		}
		g->p[n].commune = lo;
	}
	for (int i = g->np - 1; i > 0; i--) {
		int j = rng_below(&r, i + 1);
		struct person t = g->p[i];

		g->p[i] = g->p[j];
		g->p[j] = t;
	}
	free(cum);
	return 0;
}

/* A few people registered twice without papers: same name, sex and date of birth, in another
 * commune of the same district, so that duplicate detection has something to show. */
static void plan_duplicates(struct gen *g)
{
	struct rng r = rng_stream(g->seed, RS_DUP, 0);
	int want = g->np / 150 > 2 ? g->np / 150 : 2;

	for (int k = 0, tries = 0; k < want && tries < 1000; tries++) {
		int i = rng_below(&r, g->np), j = rng_below(&r, g->np);
		struct person *a = &g->p[j], *b = &g->p[i];
		const struct district *d;

		if (i == j || b->seed_fail || a->dup || b->dup)
			continue;
		d = &g->d[g->c[a->commune].d];
		memcpy(b->name, a->name, sizeof(b->name));
		b->female = a->female;
		b->dob = a->dob;
		b->eth = a->eth;
		a->nid[0] = b->nid[0] = '\0';
		b->commune = d->c0 + rng_below(&r, d->nc);
		person_address(g, b, &r);
		a->dup = b->dup = 1;
		k++;
		g->st->double_registrations++;
	}
}

/* ---- reading the province from the store ---------------------------------------------------- */

static int list_children(struct gen *g, int64_t parent, const char *kind, json_t **items, struct pcmt_err *err)
{
	struct store_query q;
	int64_t total = 0;
	int rc;

	memset(&q, 0, sizeof(q));
	q.as_of = DATE_NONE;
	q.limit = 1000;
	q.eq[0].field = "parent_id";
	q.eq[0].value = json_integer(parent);
	q.eq[1].field = "kind";
	q.eq[1].value = json_string(kind);
	q.neq = 2;
	rc = g->s->ops->list(g->s, &ent_orgunits, &q, items, &total, err);
	json_decref(q.eq[0].value);
	json_decref(q.eq[1].value);
	if (rc == 0 && total > 1000) {
		json_decref(*items);
		return err_set(err, ERR_INTERNAL, NULL, "more than 1000 units under one parent");
	}
	return rc;
}

static void copy_unit(json_t *it, int64_t *id, char *code, size_t ncode, char *name, char *lname, size_t nname)
{
	const char *nm = json_string_value(json_object_get(it, "name"));
	const char *cd = json_string_value(json_object_get(it, "code"));

	*id = json_integer_value(json_object_get(it, "id"));
	snprintf(code, ncode, "%s", cd ? cd : "");
	snprintf(name, nname, "%s", nm ? nm : "");
	lower_type(lname, nname, name, json_string_value(json_object_get(it, "type_name")));
}

static int load_province(struct gen *g, struct pcmt_err *err)
{
	struct ou_info pr;
	json_t *ds = NULL, *cs = NULL, *it;
	size_t i, j;
	int rc = -1;

	if (g->s->ops->ou_by_code(g->s, PROVINCE_CODE, DATE_NONE, &pr, err))
		return err_set(err, ERR_INVALID, NULL, "the org units have no province %s (Nghệ An)", PROVINCE_CODE);
	g->province_id = pr.id;
	if (list_children(g, pr.id, "district", &ds, err))
		return -1;
	if (json_array_size(ds) == 0 || json_array_size(ds) > N(g->d)) {
		err_set(err, ERR_INVALID, NULL, "province %s has %zu districts; the demo needs 1 to %d",
			PROVINCE_CODE, json_array_size(ds), N(g->d));
		goto out;
	}
	json_array_foreach(ds, i, it) {
		struct district *d = &g->d[g->nd++];

		copy_unit(it, &d->id, d->code, sizeof(d->code), d->name, d->lname, sizeof(d->name));
		d->p = &dprof_other;
		for (int k = 0; k < N(dprofs); k++)
			if (!strcmp(dprofs[k].code, d->code))
				d->p = &dprofs[k];
		if (list_children(g, d->id, "commune", &cs, err))
			goto out;
		d->c0 = g->nc;
		d->nc = (int)json_array_size(cs);
		if (d->nc == 0) {
			err_set(err, ERR_INVALID, NULL, "district %s has no communes", d->code);
			goto out;
		}
		{
			struct commune *v = realloc(g->c, (size_t)(g->nc + d->nc) * sizeof(*v));

			if (!v) {
				err_set(err, ERR_INTERNAL, NULL, "out of memory");
				goto out;
			}
			g->c = v;
		}
		json_array_foreach(cs, j, it) {
			struct commune *c = &g->c[g->nc++];
			const char *type = json_string_value(json_object_get(it, "type_name"));

			memset(c, 0, sizeof(*c));
			copy_unit(it, &c->id, c->code, sizeof(c->code), c->name, c->lname, sizeof(c->name));
			c->d = g->nd - 1;
			c->ward = type && strcmp(type, "Xã");
		}
		json_decref(cs);
		cs = NULL;
	}
	g->st->districts = g->nd;
	g->st->communes = g->nc;
	rc = 0;
out:
	json_decref(ds);
	json_decref(cs);
	return rc;
}

/* ---- the run -------------------------------------------------------------------------------- */

static int store_empty(struct store *s, struct pcmt_err *err)
{
	json_t *c = NULL;
	json_int_t np, nf;

	if (s->ops->counts(s, &c, err))
		return -1;
	np = json_integer_value(json_object_get(c, "persons"));
	nf = json_integer_value(json_object_get(c, "facilities"));
	json_decref(c);
	if (np || nf)
		return err_set(err, ERR_CONFLICT, "db",
			       "the database already holds %lld persons and %lld facilities; the demo needs a new database",
			       (long long)np, (long long)nf);
	return 0;
}

static void tally(struct gen *g)
{
	struct demo_stats *st = g->st;

	for (int i = 0; i < g->np; i++) {
		const struct person *p = &g->p[i];

		st->with_cccd += strlen(p->nid) == 12;
		st->with_cmnd += strlen(p->nid) == 9;
		st->without_id += !p->nid[0];
		if (p->current >= 0)
			st->current[p->current]++;
		for (int k = 0; k < p->nev; k++) {
			const struct ev *e = &p->ev[k];

			if (e->deleted)
				continue;
			switch ((enum ev_type)e->type) {
			case EV_CLASS: st->classifications++; break;
			case EV_DET: st->determinations++; break;
			case EV_REC:
				st->records++;
				st->records_open += e->b == DATE_NONE;
				break;
			case EV_TEST:
				st->tests++;
				st->tests_positive += !strcmp(e->result, "positive");
				break;
			case EV_TREAT:
				st->treatments++;
				st->treatments_ongoing += !strcmp(e->result, "ongoing");
				break;
			case EV_SUPPORT:
				st->support++;
				if (!strcmp(e->kind, "loan")) {
					st->loans++;
					st->loans_vnd += e->amount;
				}
				break;
			}
		}
	}
	st->persons = g->np;
}

/* The drug-free numbers in force today, from the store's rulebook (the built-in default when its
 * table is still empty), so that the plan reads the criteria as the evaluation will. Before the
 * criteria take effect (2024 in the default rulebook) the plan uses their first rows and nothing
 * is evaluated. */
static int read_params(struct gen *g, struct pcmt_err *err)
{
	struct rulebook rb;
	struct pcmt_err e2;
	int32_t from = INT32_MAX;
	int rc = -1;

	rulebook_init(&rb);
	if (rulebook_read(g->s, &rb, err))
		goto out;
	g->criteria_in_force = crit_params_at(&rb, g->T, &g->cp, &e2) == 0;
	if (!g->criteria_in_force) {
		/* the earliest date on which every number is in force */
		for (int i = 0; i < rb.n; i++)
			if (rb.rules[i].effective_from > g->T && rb.rules[i].effective_from < from &&
			    crit_params_at(&rb, rb.rules[i].effective_from, &g->cp, &e2) == 0)
				from = rb.rules[i].effective_from;
		if (from == INT32_MAX || crit_params_at(&rb, from, &g->cp, err))
			goto out;
	}
	rc = 0;
out:
	rulebook_free(&rb);
	return rc;
}

static int generate(struct gen *g, const struct demo_opts *o, struct pcmt_err *err)
{
	int *buf, cap;

	if (read_params(g, err) || load_province(g, err))
		return -1;
	plan_facilities(g);
	if (plan_communes(g))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	g->np = o->scale == DEMO_SMALL ? 600 : 6000;
	g->idcap = 1;
	while (g->idcap < (size_t)g->np * 4)
		g->idcap *= 2;
	g->p = calloc((size_t)g->np, sizeof(*g->p));
	g->ids = calloc(g->idcap, sizeof(*g->ids));
	if (!g->p || !g->ids || plan_residences(g))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (int i = 0; i < g->np; i++)
		plan_person(g, i);
	plan_duplicates(g);
	for (int i = 0; i < g->np; i++) {
		plan_history(g, i);
		routine_tests(g, i);
		g->p[i].current = held_on(&g->p[i], g->T, NULL);
	}
	cap = 3 * g->np;
	if (!(buf = malloc((size_t)cap * sizeof(*buf))))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (int k = 0; k < g->nc; k++)
		adjust_commune(g, k, buf, cap);
	free(buf);
	for (int i = 0; i < g->np; i++) {
		comply(g, i);
		place_tests(g, i);
	}
	if (g->oom)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	tally(g);
	if (write_facilities(g, err))
		return -1;
	for (int i = 0; i < g->np; i++)
		if (write_person(g, &g->p[i], i, err))
			return -1;
	return 0;
}

/* Counts what the real evaluation finds on the committed store today: drug-free communes, the plan
 * they should match, and the reasons the others fail. The same answer as `pcmt eval drug-free`. */
static int evaluate(struct gen *g, struct pcmt_err *err)
{
	struct demo_stats *st = g->st;
	struct drugfree_opts o;
	struct live *lv;
	json_t *ans = NULL, *cm, *f;
	size_t i, j;
	int rc = -1;

	memset(&o, 0, sizeof(o));
	o.ou_id = g->province_id;
	o.date = g->T;
	o.details = 1;
	if (!(lv = live_open(g->s, err)))
		return -1;
	if (drugfree_eval(lv, g->s, &o, &ans, err))
		goto out;
	st->checked_free = (int)json_integer_value(json_object_get(json_object_get(ans, "summary"), "drug_free"));
	json_array_foreach(json_object_get(ans, "communes"), i, cm) {
		int64_t id = json_integer_value(json_object_get(cm, "id"));
		int pass = json_is_true(json_object_get(cm, "drug_free")), seen[CR_CEILING + 1] = {0}, n = 0;

		for (int k = 0; k < g->nc; k++)
			if (g->c[k].id == id)
				st->mismatched += g->c[k].planned_free != pass;
		if (pass)
			continue;
		json_array_foreach(json_object_get(cm, "failures"), j, f) {
			const char *code = json_string_value(json_object_get(f, "reason_code"));

			for (int r = 0; r <= CR_CEILING; r++)
				if (code && !strcmp(code, crit_reason_code((enum crit_reason)r)) && !seen[r]++) {
					st->failing_by[r]++;
					n++;
				}
		}
		if (n > 0)
			st->failing_with[(n < DEMO_NREASONS ? n : DEMO_NREASONS) - 1]++;
	}
	rc = 0;
out:
	json_decref(ans);
	live_close(lv);
	return rc;
}

/* The province's summary as the engine answers it on a date. */
static int drugfree_on(struct gen *g, struct live *lv, int32_t date, int *communes, int *free_, int *awaiting,
		       struct pcmt_err *err)
{
	struct drugfree_opts o;
	json_t *ans = NULL, *sum;

	memset(&o, 0, sizeof(o));
	o.ou_id = g->province_id;
	o.date = date;
	if (drugfree_eval(lv, g->s, &o, &ans, err))
		return -1;
	sum = json_object_get(ans, "summary");
	*communes = (int)json_integer_value(json_object_get(sum, "communes"));
	*free_ = (int)json_integer_value(json_object_get(sum, "drug_free"));
	if (awaiting)
		*awaiting = (int)json_integer_value(json_object_get(ans, "awaiting_reassignment"));
	json_decref(ans);
	return 0;
}

/* Applies the 2025 reform (built-in mapping) in its own transaction and evaluates both sides. */
static int reform(struct gen *g, struct pcmt_err *err)
{
	struct demo_stats *st = g->st;
	struct reform_map m;
	struct live *lv = NULL;
	const char *buf;
	size_t len;
	int rc = -1, in_tx = 0;

	buf = units_reform_builtin(&len);
	if (reform_parse(buf, len, &m, err))
		return -1;
	if (g->s->ops->begin(g->s, err))
		goto out;
	in_tx = 1;
	if (reform_apply(g->s, &g->ctx, &m, REFORM_DATE, NULL, &st->reform, err) || g->s->ops->commit(g->s, err))
		goto out;
	in_tx = 0;
	st->reformed = 1;
	if (g->criteria_in_force) {
		if (!(lv = live_open(g->s, err)) ||
		    drugfree_on(g, lv, REFORM_DATE - 1, &st->communes_before, &st->free_before, NULL, err) ||
		    drugfree_on(g, lv, g->T, &st->communes_after, &st->free_after, &st->awaiting, err))
			goto out;
	}
	rc = 0;
out:
	if (in_tx)
		g->s->ops->rollback(g->s);
	live_close(lv);
	reform_map_free(&m);
	return rc;
}

int demo_run(struct store *s, const struct demo_opts *o, struct demo_stats *st, struct pcmt_err *err)
{
	struct gen g;
	const char *units;
	char *file = NULL;
	size_t len = 0;
	int rc = -1, in_tx = 0;

	memset(&g, 0, sizeof(g));
	memset(st, 0, sizeof(*st));
	g.s = s;
	g.seed = o->seed;
	g.T = date_today();
	g.H0 = date_from_ymd(2021, 1, 1);
	g.ctx.today = g.T;
	g.st = st;
	st->today = g.T;
	g.scratch.a = DATE_NONE;
	if (g.T < date_from_ymd(2022, 1, 1))
		return err_set(err, ERR_INVALID, NULL, "the demo's history starts in 2021: today must be 2022-01-01 or later");
	if (o->units_path) {
		if (units_read_file(o->units_path, &file, &len, err))
			return -1;
		units = file;
	} else {
		units = units_builtin(&len);
	}
	if (store_empty(s, err))
		goto out;
	if (s->ops->begin(s, err))
		goto out;
	in_tx = 1;
	if (units_import(s, &g.ctx, units, len, DATE_NONE, &st->units, err) || generate(&g, o, err) || demo_plans(s, &g.ctx, err) ||
	    demo_operations(s, &g.ctx, g.seed, err) || demo_ost(s, &g.ctx, g.seed, &st->ost, err))
		goto out;
	if (s->ops->commit(s, err))
		goto out;
	in_tx = 0;
	st->checked_free = -1;
	if (g.criteria_in_force && evaluate(&g, err)) {
		char msg[sizeof(err->message)];

		snprintf(msg, sizeof(msg), "%s", err->message);
		err_set(err, err->code, NULL, "the demo was written, but evaluating it failed: %s", msg);
		goto out;
	}
	if (!o->units_path && g.T >= REFORM_DATE && reform(&g, err)) {
		char msg[sizeof(err->message)];

		snprintf(msg, sizeof(msg), "%s", err->message);
		err_set(err, err->code, NULL, "the demo was written, but applying the 2025 reform failed: %s", msg);
		goto out;
	}
	rc = 0;
out:
	if (in_tx)
		s->ops->rollback(s);
	for (int i = 0; g.p && i < g.np; i++)
		free(g.p[i].ev);
	free(g.p);
	free(g.c);
	free(g.f);
	free(g.ids);
	free(file);
	return rc;
}
