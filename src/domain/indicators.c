/* indicators.c: the built-in measures (one table row each), the built-in indicators over them, periods,
 * and the status of a value against a target (indicators.h). One pass over an org-unit subtree fills
 * every unit's measures: persons and facilities add to their unit, then units are visited children
 * first, so that a parent's total is its children's plus its own. */
#include "domain/indicators.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/expr.h"
#include "domain/opimg.h"
#include "domain/ost.h"
#include "util/date.h"

_Static_assert(IND_NMEAS <= 64, "the need mask is one uint64_t");

#define BIT(m) (UINT64_C(1) << (m))

struct ind_env {
	const struct snap *s;
	struct ind_window w;
	const struct crit_params *cp;
	int failed;              /* set by a unit measure that ran out of memory */
	const int8_t *drug_free; /* per position in the pass (loc): each commune's verdict, judged while
				    its residents were read; NULL: communes_drug_free judges on its own */
	const int32_t *loc;      /* org-unit index -> position in the pass */
};

/* What one scan of a person's events finds; every person-level measure reads only this. */
struct ind_pfacts {
	uint8_t addict;          /* holds the addict classification on the stock date */
	uint8_t managed;         /* ... and has an open management record of any kind then */
	uint8_t tx;              /* bit per treatment kind (TX_*): an episode overlapping [from, at] */
	uint8_t ost;             /* a methadone/buprenorphine episode active on the stock date */
	uint8_t counselled;      /* counselling support dated in [from, at] */
	uint8_t trained;         /* vocational training on or after the start of a home/community
				    episode that overlaps the window, and on or before at */
	int compulsory_starts;   /* compulsory-facility episodes starting in [from, at] */
	/* opioid substitution (ost_pfacts) */
	uint8_t ost_take_home;   /* ost, and a take-home dose for a day in [from, at] */
	uint8_t ost_cohort[2], ost_retained[2]; /* episodes whose 6-, 12-month mark lies in [from, at]; retained then */
	int ost_due, ost_missed; /* days in [from, at] under a prescription; those without a dose */
};

static void ost_pfacts(const struct ind_env *env, const struct snap_person *p, struct ind_pfacts *f);

static int32_t stock_date(const struct ind_env *env)
{
	return env->w.stock;
}

/* The event arrays a person-level measure reads through pfacts: a pass scans (and brings into
 * cache) only those its measures need. */
enum { PART_CLS = 1, PART_REC = 2, PART_TREAT = 4, PART_SUP = 8, PART_OST = 16, PART_ALL = 31 };

static unsigned pfacts_parts(int m)
{
	switch (m) {
	case M_ADDICTS_COUNT: return PART_CLS;
	case M_ADDICTS_MANAGED: return PART_CLS | PART_REC;
	case M_TREATED_TOTAL:
	case M_TREATED_VOLUNTARY:
	case M_ADDICTS_TREATED:
	case M_TREATED_AT_FACILITY:
	case M_COMMUNITY_TREATED:
	case M_OST_PATIENTS:
	case M_COMPULSORY_RECORDS_COMPLETED: return PART_TREAT;
	case M_COMMUNITY_TREATED_TRAINED: return PART_TREAT | PART_SUP;
	case M_OST_TAKE_HOME_PATIENTS: return PART_TREAT | PART_OST; /* f->ost, then the doses */
	case M_OST_DOSE_DAYS_DUE:
	case M_OST_DOSE_DAYS_MISSED:
	case M_OST_RETENTION_6M_COHORT:
	case M_OST_RETAINED_6M:
	case M_OST_RETENTION_12M_COHORT:
	case M_OST_RETAINED_12M: return PART_OST;
	default: return PART_ALL; /* a measure not listed here is right before it is fast */
	}
}

/* The facts of p over env's window, from the parts of its events named (facts of other parts are 0). */
static void pfacts(const struct ind_env *env, const struct snap_person *p, unsigned parts, struct ind_pfacts *f)
{
	int32_t from = env->w.from, at = env->w.at, sd = stock_date(env), community_start = SNAP_OPEN;

	memset(f, 0, sizeof(*f));
	if (parts & PART_CLS) {
		f->addict = (uint8_t)snap_holds(p, CL_ADDICT, sd);
		f->managed = (parts & PART_REC) && f->addict && snap_open_record(p, -1, sd);
	}
	for (uint16_t i = 0; (parts & PART_TREAT) && i < p->ntreat; i++) {
		const struct snap_treat *t = &p->treat[i];

		if (t->start <= sd && t->end >= sd && t->outcome != TO_DIED &&
		    (t->kind == TX_METHADONE || t->kind == TX_BUPRENORPHINE))
			f->ost = 1;
		if (t->start > at)
			continue; /* sorted by start, but the stock date may lie beyond at: keep scanning */
		if (t->end >= from) {
			f->tx |= (uint8_t)(1u << t->kind);
			if (t->kind == TX_VOLUNTARY_COMMUNITY && t->start < community_start)
				community_start = t->start;
		}
		if (t->kind == TX_COMPULSORY_FACILITY && t->start >= from)
			f->compulsory_starts++;
	}
	for (uint16_t i = 0; (parts & PART_SUP) && i < p->nsup && p->sup[i].date <= at; i++) {
		const struct snap_sup *u = &p->sup[i];

		if (u->kind == SK_COUNSELLING && u->date >= from)
			f->counselled = 1;
		if (u->kind == SK_VOCATIONAL && community_start != SNAP_OPEN && u->date >= community_start)
			f->trained = 1;
	}
	if (parts & PART_OST)
		ost_pfacts(env, p, f);
}

/* The substitution clinic's facts of p (domain/ost.h): retention marks of its episodes, take-home
 * doses, and the days it was due a dose and missed one, over [from, at]. */
static void ost_pfacts(const struct ind_env *env, const struct snap_person *p, struct ind_pfacts *f)
{
	static const int months[2] = {6, 12};
	int32_t from = env->w.from, at = env->w.at;
	const struct snap_ost *o = p->ost;

	for (uint16_t i = 0; i < p->ntreat; i++) {
		const struct snap_treat *t = &p->treat[i];

		if (t->kind != TX_METHADONE && t->kind != TX_BUPRENORPHINE)
			continue;
		for (int m = 0; m < 2; m++) {
			int32_t mark = ost_retention_mark(t->start, months[m]);

			if (mark >= from && mark <= at) {
				f->ost_cohort[m]++;
				f->ost_retained[m] += (uint8_t)ost_retained(t->start, t->end, months[m]);
			}
		}
	}
	if (!o)
		return;
	{
		int th;

		ost_dose_days(o, from, at, &f->ost_due, &f->ost_missed, &th);
		f->ost_take_home = (uint8_t)(f->ost && th);
	}
}

enum {
	TXB_COMPULSORY = 1u << TX_COMPULSORY_FACILITY,
	TXB_VOL_FACILITY = 1u << TX_VOLUNTARY_FACILITY,
	TXB_COMMUNITY = 1u << TX_VOLUNTARY_COMMUNITY,
	TXB_OST = (1u << TX_METHADONE) | (1u << TX_BUPRENORPHINE),
	TXB_REHAB = TXB_COMPULSORY | TXB_VOL_FACILITY | TXB_COMMUNITY,
	TXB_VOLUNTARY = TXB_VOL_FACILITY | TXB_COMMUNITY,
	TXB_AT_FACILITY = TXB_COMPULSORY | TXB_VOL_FACILITY | TXB_OST /* every form but home/community */
};

/* ---- person-level measures ------------------------------------------------------------------- */

static double m_addicts_count(const struct ind_env *e, const struct ind_pfacts *f) { return f->addict; }
static double m_addicts_managed(const struct ind_env *e, const struct ind_pfacts *f) { return f->managed; }
static double m_reached(const struct ind_env *e, const struct ind_pfacts *f)
{
	return f->managed && (f->tx || f->counselled);
}
static double m_treated_total(const struct ind_env *e, const struct ind_pfacts *f) { return (f->tx & TXB_REHAB) != 0; }
static double m_treated_voluntary(const struct ind_env *e, const struct ind_pfacts *f)
{
	return (f->tx & TXB_VOLUNTARY) != 0;
}
static double m_addicts_treated(const struct ind_env *e, const struct ind_pfacts *f) { return f->tx != 0; }
static double m_treated_at_facility(const struct ind_env *e, const struct ind_pfacts *f)
{
	return (f->tx & TXB_AT_FACILITY) != 0;
}
static double m_community(const struct ind_env *e, const struct ind_pfacts *f) { return (f->tx & TXB_COMMUNITY) != 0; }
static double m_community_trained(const struct ind_env *e, const struct ind_pfacts *f)
{
	return (f->tx & TXB_COMMUNITY) && f->trained;
}
static double m_ost(const struct ind_env *e, const struct ind_pfacts *f) { return f->ost; }
static double m_compulsory(const struct ind_env *e, const struct ind_pfacts *f) { return f->compulsory_starts; }
static double m_ost_take_home(const struct ind_env *e, const struct ind_pfacts *f) { return f->ost_take_home; }
static double m_ost_due(const struct ind_env *e, const struct ind_pfacts *f) { return f->ost_due; }
static double m_ost_missed(const struct ind_env *e, const struct ind_pfacts *f) { return f->ost_missed; }
static double m_ost_cohort6(const struct ind_env *e, const struct ind_pfacts *f) { return f->ost_cohort[0]; }
static double m_ost_retained6(const struct ind_env *e, const struct ind_pfacts *f) { return f->ost_retained[0]; }
static double m_ost_cohort12(const struct ind_env *e, const struct ind_pfacts *f) { return f->ost_cohort[1]; }
static double m_ost_retained12(const struct ind_env *e, const struct ind_pfacts *f) { return f->ost_retained[1]; }

/* ---- facility-level measures ----------------------------------------------------------------- */

static int qualified_on(const struct snap_facility *f, int32_t d)
{
	return f->qualified && (f->qualified_since == DATE_NONE || f->qualified_since <= d);
}

static double m_stations(const struct ind_env *e, const struct snap_facility *f) { return f->kind == FK_HEALTH_STATION; }
static double m_stations_q(const struct ind_env *e, const struct snap_facility *f)
{
	return f->kind == FK_HEALTH_STATION && qualified_on(f, stock_date(e));
}
static double m_rehab_public(const struct ind_env *e, const struct snap_facility *f) { return f->kind == FK_REHAB_PUBLIC; }
static double m_rehab_public_q(const struct ind_env *e, const struct snap_facility *f)
{
	return f->kind == FK_REHAB_PUBLIC && qualified_on(f, stock_date(e));
}
static double m_counselling_points(const struct ind_env *e, const struct snap_facility *f)
{
	return f->kind == FK_COUNSELLING_POINT;
}

/* ---- unit-level measures: called for each unit in force on the stock date -------------------- */

static double m_communes(const struct ind_env *e, int32_t ix, const double *sub)
{
	return e->s->ous[ix].kind == OK_COMMUNE;
}

static double m_communes_free(const struct ind_env *e, int32_t ix, const double *sub)
{
	struct crit_result r;
	double pass;

	if (e->s->ous[ix].kind != OK_COMMUNE)
		return 0;
	if (e->drug_free)
		return e->drug_free[e->loc[ix]];
	if (crit_eval(e->s, ix, stock_date(e), e->cp, &r)) {
		crit_result_free(&r);
		((struct ind_env *)e)->failed = 1;
		return 0;
	}
	pass = r.pass;
	crit_result_free(&r);
	return pass;
}

static double m_communes_addicts(const struct ind_env *e, int32_t ix, const double *sub)
{
	return e->s->ous[ix].kind == OK_COMMUNE && sub[M_ADDICTS_COUNT] > 0;
}

static double m_communes_addicts_cp(const struct ind_env *e, int32_t ix, const double *sub)
{
	return e->s->ous[ix].kind == OK_COMMUNE && sub[M_ADDICTS_COUNT] > 0 && sub[M_COUNSELLING_POINTS] > 0;
}

static double m_districts(const struct ind_env *e, int32_t ix, const double *sub)
{
	return e->s->ous[ix].kind == OK_DISTRICT;
}

static double m_districts_free(const struct ind_env *e, int32_t ix, const double *sub)
{
	return e->s->ous[ix].kind == OK_DISTRICT && sub[M_COMMUNES_TOTAL] > 0 &&
	       sub[M_COMMUNES_DRUG_FREE] == sub[M_COMMUNES_TOTAL];
}

static double m_provinces(const struct ind_env *e, int32_t ix, const double *sub)
{
	return e->s->ous[ix].kind == OK_PROVINCE;
}

static double m_provinces_community(const struct ind_env *e, int32_t ix, const double *sub)
{
	return e->s->ous[ix].kind == OK_PROVINCE && sub[M_COMMUNITY_TREATED] > 0;
}

/* ---- operations measures: one item of the operations image adds to its org unit --------------- */

/* a flow over the window: the date lies in [from, at] */
static int in_window(const struct ind_env *e, int32_t d)
{
	return d >= e->w.from && d <= e->w.at;
}

static double m_hot_discovered(const struct ind_env *e, const void *it)
{
	return in_window(e, ((const struct op_hotspot *)it)->discovered);
}

/* existing at some time in the window: discovered by its end and not eliminated before its start */
static double m_hot_known(const struct ind_env *e, const void *it)
{
	const struct op_hotspot *h = it;

	return h->discovered <= e->w.at && h->eliminated >= e->w.from;
}

static double m_hot_eliminated(const struct ind_env *e, const void *it)
{
	return in_window(e, ((const struct op_hotspot *)it)->eliminated);
}

static double m_hot_active(const struct ind_env *e, const void *it)
{
	int st = op_hotspot_status(it, stock_date(e));

	return st == HS_ACTIVE || st == HS_UNDER_TRANSFORMATION;
}

static double m_plant_found(const struct ind_env *e, const void *it)
{
	return in_window(e, ((const struct op_plant *)it)->detected);
}

static double m_plant_eradicated(const struct ind_env *e, const void *it)
{
	const struct op_plant *p = it;

	return in_window(e, p->detected) && p->eradicated <= e->w.at;
}

static double m_plant_replanted(const struct ind_env *e, const void *it)
{
	const struct op_plant *p = it;

	return in_window(e, p->detected) && p->replanted;
}

static double m_plants_destroyed(const struct ind_env *e, const void *it)
{
	const struct op_plant *p = it;

	return in_window(e, p->eradicated) ? (double)p->plants : 0;
}

static double m_plant_area_destroyed(const struct ind_env *e, const void *it)
{
	const struct op_plant *p = it;

	return in_window(e, p->eradicated) ? (double)p->area_m2 : 0;
}

static int case_in(const struct ind_env *e, const void *it)
{
	return in_window(e, ((const struct op_case *)it)->detected);
}

static double m_cases(const struct ind_env *e, const void *it) { return case_in(e, it); }

#define ROUTE_FN(fn, rt) \
	static double fn(const struct ind_env *e, const void *it) \
	{ \
		return case_in(e, it) && ((const struct op_case *)it)->route == (rt); \
	}
ROUTE_FN(m_cases_land, RT_LAND_BORDER)
ROUTE_FN(m_cases_sea, RT_SEA)
ROUTE_FN(m_cases_air, RT_AIR)
ROUTE_FN(m_cases_express, RT_POSTAL_EXPRESS)
ROUTE_FN(m_cases_cyber, RT_CYBERSPACE)
ROUTE_FN(m_cases_inland, RT_INLAND)

/* the national programme's "border areas by land, sea, air, and express delivery" */
static double m_cases_border_routes(const struct ind_env *e, const void *it)
{
	int rt = ((const struct op_case *)it)->route;

	return case_in(e, it) && (rt == RT_LAND_BORDER || rt == RT_SEA || rt == RT_AIR || rt == RT_POSTAL_EXPRESS);
}

static double m_cases_organised(const struct ind_env *e, const void *it)
{
	const struct op_case *c = it;

	return case_in(e, it) && (c->organised || c->transnational);
}

/* handled: gone on to prosecution (or a later stage) by the date measured */
static double m_cases_prosecuted(const struct ind_env *e, const void *it)
{
	const struct op_case *c = it;

	return case_in(e, it) && (c->stage[CS_PROSECUTED] <= e->w.at || c->stage[CS_INDICTED] <= e->w.at ||
				  c->stage[CS_TRIED] <= e->w.at);
}

static double m_suspects(const struct ind_env *e, const void *it)
{
	return case_in(e, it) ? ((const struct op_case *)it)->suspects : 0;
}

#define SEIZED_FN(fn, sz) \
	static double fn(const struct ind_env *e, const void *it) \
	{ \
		return case_in(e, it) ? ((const struct op_case *)it)->seized[sz] : 0; \
	}
SEIZED_FN(m_seized_heroin, SZ_HEROIN)
SEIZED_FN(m_seized_opium, SZ_OPIUM)
SEIZED_FN(m_seized_meth, SZ_METHAMPHETAMINE)
SEIZED_FN(m_seized_pills, SZ_SYNTHETIC_PILLS)
SEIZED_FN(m_seized_ketamine, SZ_KETAMINE)
SEIZED_FN(m_seized_cannabis, SZ_CANNABIS)
SEIZED_FN(m_seized_cocaine, SZ_COCAINE)
SEIZED_FN(m_seized_other, SZ_OTHER)

static double m_comm(const struct ind_env *e, const void *it)
{
	return in_window(e, ((const struct op_comm *)it)->date);
}

static double m_comm_participants(const struct ind_env *e, const void *it)
{
	const struct op_comm *c = it;

	return in_window(e, c->date) ? (double)c->participants : 0;
}

static double m_commitments(const struct ind_env *e, const void *it)
{
	const struct op_comm *c = it;

	return in_window(e, c->date) ? (double)c->commitments : 0;
}

/* communes only, so that a province's figure is not counted twice when its own total is recorded */
static double m_population(const struct ind_env *e, const void *it)
{
	const struct op_pop *p = it;
	int32_t ix = snap_ou_ix(e->s, p->ou);
	int y, m, d;

	date_to_ymd(stock_date(e), &y, &m, &d);
	return p->year == y && ix >= 0 && e->s->ous[ix].kind == OK_COMMUNE ? (double)p->population : 0;
}

/* a commune's own activities: one held at the district or province is not counted as reaching it */
static double m_communes_reached(const struct ind_env *e, int32_t ix, const double *sub)
{
	return e->s->ous[ix].kind == OK_COMMUNE && sub[M_COMM_ACTIVITIES] > 0;
}

/* ---- the table ------------------------------------------------------------------------------- */

#define PM(fn) fn, NULL, NULL, NULL
#define FM(fn) NULL, fn, NULL, NULL
#define UM(fn) NULL, NULL, fn, NULL
#define OM(fn) NULL, NULL, NULL, fn

const struct ind_measure ind_measures[IND_NMEAS] = {
	[M_ADDICTS_COUNT] = {"addicts_count", "Addicts", "Người nghiện", "persons", IL_PERSON, IT_STOCK,
		"persons residing in the unit who hold the addict classification on the date", 0, PM(m_addicts_count)},
	[M_ADDICTS_MANAGED] = {"addicts_managed", "Addicts with a management record", "Người nghiện có hồ sơ quản lý",
		"persons", IL_PERSON, IT_STOCK,
		"addicts (addicts_count) who also have a management record of any kind open on the date", 0,
		PM(m_addicts_managed)},
	[M_ADDICTS_REACHED_SERVICES] = {"addicts_reached_services", "Managed addicts reached by services",
		"Người nghiện có hồ sơ được tiếp cận dịch vụ", "persons", IL_PERSON, IT_FLOW,
		"managed addicts (addicts_managed) with a treatment episode of any form overlapping the period, or "
		"counselling support dated in it", 0, PM(m_reached)},
	[M_TREATED_TOTAL] = {"treated_total", "Persons in rehabilitation", "Người đang cai nghiện", "persons", IL_PERSON,
		IT_FLOW,
		"persons with a rehabilitation episode (compulsory at a facility, voluntary at a facility, voluntary at "
		"home/community) overlapping the period; substitution treatment is not rehabilitation", 0,
		PM(m_treated_total)},
	[M_TREATED_VOLUNTARY] = {"treated_voluntary", "Persons in voluntary rehabilitation", "Người cai nghiện tự nguyện",
		"persons", IL_PERSON, IT_FLOW,
		"persons in rehabilitation (treated_total) with a voluntary episode, at a facility or at home/community, "
		"overlapping the period", 0, PM(m_treated_voluntary)},
	[M_ADDICTS_TREATED] = {"addicts_treated", "Persons in treatment of any form", "Người được điều trị, cai nghiện",
		"persons", IL_PERSON, IT_FLOW,
		"persons with a treatment episode of any form (rehabilitation or opioid substitution) overlapping the period",
		0, PM(m_addicts_treated)},
	[M_TREATED_AT_FACILITY] = {"treated_at_facility", "Persons treated at a facility",
		"Người được điều trị tại cơ sở", "persons", IL_PERSON, IT_FLOW,
		"persons in treatment (addicts_treated) with an episode at a facility with a treatment function "
		"(compulsory or voluntary rehabilitation at a facility, methadone or buprenorphine at a dispensing "
		"point) overlapping the period", 0, PM(m_treated_at_facility)},
	[M_COMMUNITY_TREATED] = {"community_treated", "Persons in home/community rehabilitation",
		"Người cai nghiện tại gia đình, cộng đồng", "persons", IL_PERSON, IT_FLOW,
		"persons with a voluntary home/community rehabilitation episode overlapping the period", 0,
		PM(m_community)},
	[M_COMMUNITY_TREATED_TRAINED] = {"community_treated_trained", "Home/community rehabilitation with vocational training",
		"Người cai nghiện tại cộng đồng được học nghề", "persons", IL_PERSON, IT_FLOW,
		"persons in home/community rehabilitation (community_treated) with vocational-training support dated on "
		"or after the start of that episode and on or before the end of the period", 0, PM(m_community_trained)},
	[M_OST_PATIENTS] = {"ost_patients", "Persons on opioid substitution treatment",
		"Người điều trị thay thế các chất dạng thuốc phiện", "persons", IL_PERSON, IT_STOCK,
		"persons with a methadone or buprenorphine episode active on the date (started, not ended, not died)", 0,
		PM(m_ost)},
	[M_COMPULSORY_RECORDS_COMPLETED] = {"compulsory_records_completed", "Compulsory-rehabilitation records completed",
		"Hồ sơ cai nghiện bắt buộc hoàn thành", "records", IL_PERSON, IT_FLOW,
		"compulsory-rehabilitation episodes starting in the period: a person enters a facility under a "
		"compulsory decision only once the record is complete, and pcmt has no separate record-file entity", 0,
		PM(m_compulsory)},
	[M_HEALTH_STATIONS] = {"health_stations", "Commune health stations", "Trạm y tế xã", "facilities", IL_FACILITY,
		IT_STOCK, "facilities of kind health_station in the unit", 0, FM(m_stations)},
	[M_HEALTH_STATIONS_QUALIFIED] = {"health_stations_qualified", "Health stations qualified to determine addiction",
		"Trạm y tế đủ điều kiện xác định tình trạng nghiện", "facilities", IL_FACILITY, IT_STOCK,
		"health stations marked qualified, with no qualified_since or one on or before the date", 0,
		FM(m_stations_q)},
	[M_REHAB_PUBLIC] = {"rehab_public_facilities", "Public rehabilitation facilities", "Cơ sở cai nghiện công lập",
		"facilities", IL_FACILITY, IT_STOCK, "facilities of kind rehab_public in the unit", 0, FM(m_rehab_public)},
	[M_REHAB_PUBLIC_QUALIFIED] = {"rehab_public_qualified", "Public rehabilitation facilities qualified to determine addiction",
		"Cơ sở cai nghiện công lập đủ điều kiện xác định tình trạng nghiện", "facilities", IL_FACILITY, IT_STOCK,
		"public rehabilitation facilities marked qualified on the date (as for health stations)", 0,
		FM(m_rehab_public_q)},
	[M_COUNSELLING_POINTS] = {"counselling_points", "Counselling points", "Điểm tư vấn, hỗ trợ cai nghiện",
		"facilities", IL_FACILITY, IT_STOCK, "facilities of kind counselling_point in the unit", 0,
		FM(m_counselling_points)},
	[M_COMMUNES_TOTAL] = {"communes_total", "Communes", "Xã, phường, thị trấn", "communes", IL_UNIT, IT_STOCK,
		"commune-level units in force on the date", 0, UM(m_communes)},
	[M_COMMUNES_DRUG_FREE] = {"communes_drug_free", "Drug-free communes", "Xã, phường, thị trấn không ma túy",
		"communes", IL_UNIT, IT_STOCK,
		"communes in force on the date that meet the three drug-free criteria on it (crit_eval with the "
		"rulebook in force then)", 0, UM(m_communes_free)},
	[M_COMMUNES_WITH_ADDICTS] = {"communes_with_addicts", "Communes with addicts", "Xã có người nghiện", "communes",
		IL_UNIT, IT_STOCK, "communes in force on the date with at least one resident addict (addicts_count > 0)",
		BIT(M_ADDICTS_COUNT), UM(m_communes_addicts)},
	[M_COMMUNES_WITH_ADDICTS_COUNSELLING] = {"communes_with_addicts_with_counselling_point",
		"Communes with addicts that have a counselling point", "Xã có người nghiện có điểm tư vấn", "communes",
		IL_UNIT, IT_STOCK,
		"communes with addicts (communes_with_addicts) where a facility of kind counselling_point is located",
		BIT(M_ADDICTS_COUNT) | BIT(M_COUNSELLING_POINTS), UM(m_communes_addicts_cp)},
	[M_DISTRICTS_TOTAL] = {"districts_total", "Districts", "Huyện, quận, thị xã, thành phố", "districts", IL_UNIT,
		IT_STOCK, "district-level units in force on the date", 0, UM(m_districts)},
	[M_DISTRICTS_DRUG_FREE] = {"districts_drug_free", "Districts whose every commune is drug-free",
		"Huyện có 100% xã không ma túy", "districts", IL_UNIT, IT_STOCK,
		"districts in force on the date with at least one commune in force, all of them drug-free",
		BIT(M_COMMUNES_TOTAL) | BIT(M_COMMUNES_DRUG_FREE), UM(m_districts_free)},
	[M_PROVINCES_TOTAL] = {"provinces_total", "Provinces", "Tỉnh, thành phố", "provinces", IL_UNIT, IT_STOCK,
		"provinces in force on the date", 0, UM(m_provinces)},
	[M_PROVINCES_COMMUNITY_TREATMENT] = {"provinces_with_community_treatment",
		"Provinces organising home/community rehabilitation", "Tỉnh tổ chức cai nghiện tại gia đình, cộng đồng",
		"provinces", IL_UNIT, IT_STOCK,
		"provinces with at least one person in home/community rehabilitation during the period (community_treated > 0)",
		BIT(M_COMMUNITY_TREATED), UM(m_provinces_community)},
	[M_HOTSPOTS_DISCOVERED] = {"hotspots_discovered", "Hotspots discovered", "Tụ điểm, điểm phức tạp phát hiện mới",
		"hotspots", IL_HOTSPOT, IT_FLOW, "hotspots (of any kind) discovered in the period", 0, OM(m_hot_discovered)},
	[M_HOTSPOTS_KNOWN] = {"hotspots_known", "Hotspots existing in the period", "Tụ điểm, điểm phức tạp tồn tại trong kỳ",
		"hotspots", IL_HOTSPOT, IT_FLOW,
		"hotspots discovered on or before the date measured and not eliminated before the period started", 0,
		OM(m_hot_known)},
	[M_HOTSPOTS_ELIMINATED] = {"hotspots_eliminated", "Hotspots eliminated", "Tụ điểm, điểm phức tạp đã triệt xóa",
		"hotspots", IL_HOTSPOT, IT_FLOW, "hotspots whose status history reaches eliminated in the period", 0,
		OM(m_hot_eliminated)},
	[M_HOTSPOTS_ACTIVE] = {"hotspots_active", "Hotspots not yet eliminated", "Tụ điểm, điểm phức tạp chưa triệt xóa",
		"hotspots", IL_HOTSPOT, IT_STOCK,
		"hotspots active or under transformation on the date (discovered, not eliminated)", 0, OM(m_hot_active)},
	[M_PLANT_SITES_FOUND] = {"plant_sites_found", "Narcotic plant sites found", "Diện tích trồng cây có chứa chất ma túy phát hiện",
		"sites", IL_PLANT, IT_FLOW, "narcotic plant sites detected in the period", 0, OM(m_plant_found)},
	[M_PLANT_SITES_ERADICATED] = {"plant_sites_eradicated", "Plant sites found and eradicated",
		"Diện tích phát hiện đã triệt phá", "sites", IL_PLANT, IT_FLOW,
		"plant sites detected in the period and eradicated on or before the date measured", 0,
		OM(m_plant_eradicated)},
	[M_PLANT_SITES_REPLANTED] = {"plant_sites_replanted", "Replanted plant sites", "Diện tích tái trồng", "sites",
		IL_PLANT, IT_FLOW, "plant sites detected in the period that are flagged as replanted", 0,
		OM(m_plant_replanted)},
	[M_PLANTS_DESTROYED] = {"plants_destroyed", "Narcotic plants destroyed", "Số cây có chứa chất ma túy bị triệt phá",
		"plants", IL_PLANT, IT_FLOW, "plants of the sites eradicated in the period (whenever they were detected)", 0,
		OM(m_plants_destroyed)},
	[M_PLANT_AREA_DESTROYED] = {"plant_area_destroyed_m2", "Narcotic plant area destroyed (m²)",
		"Diện tích cây có chứa chất ma túy bị triệt phá (m²)", "m2", IL_PLANT, IT_FLOW,
		"area in m² of the sites eradicated in the period (whenever they were detected)", 0,
		OM(m_plant_area_destroyed)},
	[M_CASES_DETECTED] = {"cases_detected", "Drug crime cases detected", "Số vụ phạm tội về ma túy phát hiện", "cases",
		IL_CASE, IT_FLOW, "drug crime cases detected in the period, at the commune where detected", 0, OM(m_cases)},
	[M_CASES_LAND_BORDER] = {"cases_land_border", "Cases on the land border", "Số vụ trên tuyến biên giới đường bộ",
		"cases", IL_CASE, IT_FLOW, "cases detected in the period on the land border route", 0, OM(m_cases_land)},
	[M_CASES_SEA] = {"cases_sea", "Cases at sea", "Số vụ trên tuyến biển", "cases", IL_CASE, IT_FLOW,
		"cases detected in the period on the sea route", 0, OM(m_cases_sea)},
	[M_CASES_AIR] = {"cases_air", "Cases on air routes", "Số vụ trên tuyến hàng không", "cases", IL_CASE, IT_FLOW,
		"cases detected in the period on the air route", 0, OM(m_cases_air)},
	[M_CASES_POSTAL_EXPRESS] = {"cases_postal_express", "Cases in postal and express delivery",
		"Số vụ qua bưu chính, chuyển phát nhanh", "cases", IL_CASE, IT_FLOW,
		"cases detected in the period on the postal and express delivery route", 0, OM(m_cases_express)},
	[M_CASES_CYBER] = {"cases_cyber", "Cases using cyberspace", "Số vụ lợi dụng không gian mạng", "cases", IL_CASE,
		IT_FLOW, "cases detected in the period on the cyberspace route", 0, OM(m_cases_cyber)},
	[M_CASES_INLAND] = {"cases_inland", "Inland cases", "Số vụ nội địa", "cases", IL_CASE, IT_FLOW,
		"cases detected in the period on the inland route", 0, OM(m_cases_inland)},
	[M_CASES_BORDER_ROUTES] = {"cases_border_routes", "Cases on border, sea, air and express routes",
		"Số vụ trên tuyến biên giới, biển, hàng không, chuyển phát nhanh", "cases", IL_CASE, IT_FLOW,
		"cases detected in the period on the land border, sea, air or postal/express route", 0,
		OM(m_cases_border_routes)},
	[M_CASES_ORGANISED] = {"cases_organised", "Organised or transnational cases", "Số vụ có tổ chức, xuyên quốc gia",
		"cases", IL_CASE, IT_FLOW, "cases detected in the period flagged organised or transnational (or both)", 0,
		OM(m_cases_organised)},
	[M_CASES_PROSECUTED] = {"cases_prosecuted", "Cases gone on to prosecution", "Số vụ đã khởi tố", "cases", IL_CASE,
		IT_FLOW,
		"cases detected in the period with a prosecuted, indicted or tried stage dated on or before the date measured",
		0, OM(m_cases_prosecuted)},
	[M_SUSPECTS_ARRESTED] = {"suspects_arrested", "Suspects arrested", "Số đối tượng bị bắt", "persons", IL_CASE,
		IT_FLOW, "suspects of the cases detected in the period (counts, not persons under management)", 0,
		OM(m_suspects)},
	[M_SEIZED_HEROIN] = {"seized_heroin_g", "Heroin seized (g)", "Heroin thu giữ (gam)", "grams", IL_CASE, IT_FLOW,
		"grams of heroin seized in the cases detected in the period", 0, OM(m_seized_heroin)},
	[M_SEIZED_OPIUM] = {"seized_opium_g", "Opium seized (g)", "Thuốc phiện thu giữ (gam)", "grams", IL_CASE, IT_FLOW,
		"grams of opium seized in the cases detected in the period", 0, OM(m_seized_opium)},
	[M_SEIZED_METHAMPHETAMINE] = {"seized_methamphetamine_g", "Crystal methamphetamine seized (g)",
		"Ma túy đá thu giữ (gam)", "grams", IL_CASE, IT_FLOW,
		"grams of crystal methamphetamine seized in the cases detected in the period", 0, OM(m_seized_meth)},
	[M_SEIZED_SYNTHETIC_PILLS] = {"seized_synthetic_pills", "Synthetic drug pills seized", "Ma túy tổng hợp dạng viên thu giữ",
		"pills", IL_CASE, IT_FLOW, "synthetic drug pills seized in the cases detected in the period", 0,
		OM(m_seized_pills)},
	[M_SEIZED_KETAMINE] = {"seized_ketamine_g", "Ketamine seized (g)", "Ketamine thu giữ (gam)", "grams", IL_CASE,
		IT_FLOW, "grams of ketamine seized in the cases detected in the period", 0, OM(m_seized_ketamine)},
	[M_SEIZED_CANNABIS] = {"seized_cannabis_g", "Cannabis seized (g)", "Cần sa thu giữ (gam)", "grams", IL_CASE,
		IT_FLOW, "grams of cannabis seized in the cases detected in the period", 0, OM(m_seized_cannabis)},
	[M_SEIZED_COCAINE] = {"seized_cocaine_g", "Cocaine seized (g)", "Cocaine thu giữ (gam)", "grams", IL_CASE, IT_FLOW,
		"grams of cocaine seized in the cases detected in the period", 0, OM(m_seized_cocaine)},
	[M_SEIZED_OTHER] = {"seized_other_g", "Other substances seized (g)", "Chất ma túy khác thu giữ (gam)", "grams",
		IL_CASE, IT_FLOW, "grams of other narcotic substances seized in the cases detected in the period", 0,
		OM(m_seized_other)},
	[M_COMM_ACTIVITIES] = {"communication_activities", "Communication activities", "Hoạt động tuyên truyền",
		"activities", IL_COMM, IT_FLOW, "communication activities dated in the period, at the unit that held them", 0,
		OM(m_comm)},
	[M_COMM_PARTICIPANTS] = {"communication_participants", "Participants in communication activities",
		"Lượt người tham dự tuyên truyền", "persons", IL_COMM, IT_FLOW,
		"participants of the communication activities dated in the period (attendances, not distinct persons)", 0,
		OM(m_comm_participants)},
	[M_COMMITMENTS_SIGNED] = {"commitments_signed", "Commitments signed", "Bản cam kết đã ký", "commitments", IL_COMM,
		IT_FLOW, "commitments signed at the communication activities dated in the period", 0, OM(m_commitments)},
	[M_POPULATION] = {"population", "Population of communes", "Dân số các xã", "persons", IL_POP, IT_STOCK,
		"resident population recorded for the communes of the unit for the year of the date (communes without "
		"a figure for that year add nothing)", 0, OM(m_population)},
	[M_COMMUNES_REACHED_COMMUNICATION] = {"communes_reached_communication", "Communes reached by communication",
		"Xã được tuyên truyền", "communes", IL_UNIT, IT_STOCK,
		"communes in force on the date where at least one communication activity of their own is dated in the period "
		"(one held at a district or province does not count for its communes)",
		BIT(M_COMM_ACTIVITIES), UM(m_communes_reached)},
	[M_OST_TAKE_HOME_PATIENTS] = {"ost_take_home_patients", "Substitution patients with take-home doses",
		"Người điều trị thay thế được cấp thuốc mang về", "persons", IL_PERSON, IT_FLOW,
		"persons on substitution treatment on the date (ost_patients) with a take-home dose for a day in the period",
		0, PM(m_ost_take_home)},
	[M_OST_DOSE_DAYS_DUE] = {"ost_dose_days_due", "Days a substitution dose was due", "Số ngày phải uống thuốc",
		"days", IL_PERSON, IT_FLOW,
		"days in the period covered by a methadone or buprenorphine prescription, counted once per patient and day", 0,
		PM(m_ost_due)},
	[M_OST_DOSE_DAYS_MISSED] = {"ost_dose_days_missed", "Days a substitution dose was missed", "Số ngày bỏ liều",
		"days", IL_PERSON, IT_FLOW,
		"days due (ost_dose_days_due) for which no dose was recorded: witnessed, taken home or at another clinic", 0,
		PM(m_ost_missed)},
	[M_OST_RETENTION_6M_COHORT] = {"ost_retention_6m_cohort", "Substitution episodes reaching 6 months",
		"Số đợt điều trị thay thế tròn 6 tháng", "episodes", IL_PERSON, IT_FLOW,
		"methadone or buprenorphine episodes whose 6-month mark (start + 6 months) lies in the period", 0,
		PM(m_ost_cohort6)},
	[M_OST_RETAINED_6M] = {"ost_retained_6m", "Substitution episodes retained at 6 months",
		"Số đợt điều trị thay thế duy trì sau 6 tháng", "episodes", IL_PERSON, IT_FLOW,
		"episodes of the 6-month cohort (ost_retention_6m_cohort) not ended before their mark", 0,
		PM(m_ost_retained6)},
	[M_OST_RETENTION_12M_COHORT] = {"ost_retention_12m_cohort", "Substitution episodes reaching 12 months",
		"Số đợt điều trị thay thế tròn 12 tháng", "episodes", IL_PERSON, IT_FLOW,
		"methadone or buprenorphine episodes whose 12-month mark (start + 12 months) lies in the period", 0,
		PM(m_ost_cohort12)},
	[M_OST_RETAINED_12M] = {"ost_retained_12m", "Substitution episodes retained at 12 months",
		"Số đợt điều trị thay thế duy trì sau 12 tháng", "episodes", IL_PERSON, IT_FLOW,
		"episodes of the 12-month cohort (ost_retention_12m_cohort) not ended before their mark", 0,
		PM(m_ost_retained12)},
};

/* ---- built-in indicators ----------------------------------------------------------------------- */

const struct ind_def ind_defs[] = {
	{"services_reach_pct", "Managed addicts reaching counselling or treatment", "Tỷ lệ người nghiện có hồ sơ quản lý được tiếp cận dịch vụ",
	 "pct(addicts_reached_services, addicts_managed)", "percent",
	 "Plan 180/KH-UBND (2022): the proportion of addicts with management records who have access to counseling, "
	 "treatment, and drug addiction rehabilitation services reaches 76% of the total number of addicts with "
	 "management records"},
	{"voluntary_treatment_pct", "Voluntary among those in rehabilitation", "Tỷ lệ cai nghiện tự nguyện",
	 "pct(treated_voluntary, treated_total)", "percent",
	 "Plan 180/KH-UBND (2022): the proportion of addicts participating in voluntary drug addiction rehabilitation "
	 "at home, in the community, and at drug addiction rehabilitation facilities out of the total number of "
	 "addicts undergoing rehabilitation reaches 40%"},
	{"facility_treatment_pct", "Treated at facilities", "Tỷ lệ người nghiện được điều trị tại cơ sở",
	 "pct(treated_at_facility, addicts_treated)", "percent",
	 "Plan 180/KH-UBND (2022): 80% of drug addicts are treated at facilities with drug addiction treatment functions"},
	{"community_trained_pct", "Home/community rehabilitation with vocational training", "Tỷ lệ cai nghiện tại cộng đồng được học nghề",
	 "pct(community_treated_trained, community_treated)", "percent",
	 "Plan 180/KH-UBND (2022): 40% of drug addicts treated at home and in the community are trained in a profession"},
	{"addicts_change", "Change in addicts against the previous period", "Thay đổi số người nghiện so với kỳ trước",
	 "addicts_count - addicts_count_prev", "persons",
	 "Plan 180/KH-UBND (2022): Control and reduce the number of drug addicts compared to 2021"},
	{"drug_free_communes_pct", "Drug-free communes", "Tỷ lệ xã không ma túy", "pct(communes_drug_free, communes_total)",
	 "percent",
	 "National target programme to 2030: At least 50% of communes, wards and special zones nationwide will be "
	 "drug-free; Thanh Hoa project 2024-2025: 100% of communes, wards and towns to meet the criteria"},
	{"drug_free_districts_pct", "Districts with every commune drug-free", "Tỷ lệ huyện có 100% xã không ma túy",
	 "pct(districts_drug_free, districts_total)", "percent",
	 "Thanh Hoa project 2024-2025: build in all 27/27 districts, towns and cities 100% of communes, wards and towns "
	 "to meet the criteria"},
	{"health_stations_qualified_pct", "Health stations qualified to determine addiction",
	 "Tỷ lệ trạm y tế xã đủ điều kiện xác định tình trạng nghiện", "pct(health_stations_qualified, health_stations)",
	 "percent",
	 "National target programme to 2030: Over 80% of commune-level health stations ... are qualified to determine "
	 "drug addiction status"},
	{"rehab_public_qualified_pct", "Public rehabilitation facilities qualified to determine addiction",
	 "Tỷ lệ cơ sở cai nghiện công lập đủ điều kiện xác định tình trạng nghiện",
	 "pct(rehab_public_qualified, rehab_public_facilities)", "percent",
	 "National target programme to 2030: ... and 100% of public drug rehabilitation facilities are qualified to "
	 "determine drug addiction status"},
	{"counselling_point_communes_pct", "Communes with addicts that have a counselling point",
	 "Tỷ lệ xã có người nghiện bố trí điểm tiếp nhận, tư vấn",
	 "pct(communes_with_addicts_with_counselling_point, communes_with_addicts)", "percent",
	 "National target programme to 2030: Over 70% of communes, wards, and special zones with drug addicts arrange "
	 "drug addiction reception and counseling points that meet the prescribed conditions"},
	{"community_treatment_provinces_pct", "Provinces organising home/community rehabilitation",
	 "Tỷ lệ tỉnh tổ chức cai nghiện tự nguyện tại gia đình, cộng đồng",
	 "pct(provinces_with_community_treatment, provinces_total)", "percent",
	 "National target programme to 2030: at least 70% of provinces and cities organize voluntary drug addiction "
	 "rehabilitation at home and in the community"},
	{"communes_reached_communication_pct", "Communes reached by communication", "Tỷ lệ xã được tuyên truyền",
	 "pct(communes_reached_communication, communes_total)", "percent",
	 "Plan 180/KH-UBND (2022): 100% of communes, wards, towns, schools... are propagandized about the law on PCMT in "
	 "many different forms, at least once a year"},
	{"hotspots_destroyed_pct", "Hotspots eliminated", "Tỷ lệ tụ điểm, điểm phức tạp được triệt xóa",
	 "pct(hotspots_eliminated, hotspots_known)", "percent",
	 "National target programme to 2030: 100% of locations organizing and harboring illegal drug use, drug retailers "
	 "... will be discovered and destroyed"},
	{"plant_sites_destroyed_pct", "Plant sites found and destroyed", "Tỷ lệ diện tích phát hiện được triệt phá",
	 "pct(plant_sites_eradicated, plant_sites_found)", "percent",
	 "Plan 180/KH-UBND (2022): promptly detect and eradicate 100% of the planting and replanting areas of narcotic "
	 "opium plants; national target programme: 100% of areas illegally growing plants containing drugs will be "
	 "discovered and destroyed"},
	{"cases_handled_lawfully_pct", "Cases gone on to prosecution", "Tỷ lệ vụ án được khởi tố",
	 "pct(cases_prosecuted, cases_detected)", "percent",
	 "Plan 180/KH-UBND (2022): 100% of cases related to the law and drug crimes ... are handled promptly, strictly, "
	 "and in accordance with the law"},
	{"cases_border_routes_change_pct", "Change in cases on border, sea, air and express routes",
	 "Tăng, giảm số vụ trên tuyến biên giới, biển, hàng không, chuyển phát nhanh",
	 "pct(cases_border_routes - cases_border_routes_prev, cases_border_routes_prev)", "percent",
	 "National target programme to 2030: Every year, the number of drug crimes detected and arrested in border areas "
	 "by land, sea, air, and express delivery increases by over 3%"},
	{"cases_organised_change_pct", "Change in organised and transnational cases",
	 "Tăng, giảm số vụ có tổ chức, xuyên quốc gia", "pct(cases_organised - cases_organised_prev, cases_organised_prev)",
	 "percent", "National target programme to 2030: the number of organized, transnational cases increases by over 3%"},
	{"cases_cyber_change_pct", "Change in cases using cyberspace", "Tăng, giảm số vụ lợi dụng không gian mạng",
	 "pct(cases_cyber - cases_cyber_prev, cases_cyber_prev)", "percent",
	 "National target programme to 2030: the number of cases taking advantage of cyberspace increases by over 5%"},
	{"ost_retention_6m_pct", "Substitution patients retained at 6 months", "Tỷ lệ duy trì điều trị thay thế sau 6 tháng",
	 "pct(ost_retained_6m, ost_retention_6m_cohort)", "percent",
	 "Nghe An (2022): continue to direct the effective implementation of the Methadone Substitution Treatment "
	 "Program (retention in treatment is the usual measure of it)"},
	{"ost_retention_12m_pct", "Substitution patients retained at 12 months", "Tỷ lệ duy trì điều trị thay thế sau 12 tháng",
	 "pct(ost_retained_12m, ost_retention_12m_cohort)", "percent",
	 "Nghe An (2022): continue to direct the effective implementation of the Methadone Substitution Treatment Program"},
	{"ost_take_home_pct", "Substitution patients with take-home doses", "Tỷ lệ bệnh nhân được cấp thuốc nhiều ngày",
	 "pct(ost_take_home_patients, ost_patients)", "percent",
	 "Nghe An (2022): research and propose a plan to deploy multi-day Methadone dispensing in the province"},
	{"ost_missed_dose_pct", "Missed substitution doses", "Tỷ lệ liều bị bỏ", "pct(ost_dose_days_missed, ost_dose_days_due)",
	 "percent", "Nghe An (2022): improve the operational efficiency of Methadone and Buprenorphine dispensing points"},
};
const int ind_ndefs = (int)(sizeof(ind_defs) / sizeof(ind_defs[0]));

const struct ind_pending ind_pending[] = {
	{"border_units_equipped_pct", "Border guard and coast guard units equipped to fight drug crime",
	 "Tỷ lệ đơn vị biên phòng, cảnh sát biển được trang bị phương tiện phòng, chống tội phạm ma túy",
	 "equipment of border guard and coast guard units: no record in pcmt's scope"},
};
const int ind_npending = (int)(sizeof(ind_pending) / sizeof(ind_pending[0]));

int ind_measure_find(const char *name, int *prev)
{
	size_t n = name ? strlen(name) : 0, k = sizeof(IND_PREV_SUFFIX) - 1;
	int is_prev = prev && n > k && !strcmp(name + n - k, IND_PREV_SUFFIX);

	if (prev)
		*prev = 0;
	for (int m = 0; name && m < IND_NMEAS; m++) {
		size_t l = strlen(ind_measures[m].name);

		if (!strcmp(name, ind_measures[m].name))
			return m;
		if (is_prev && l == n - k && !strncmp(name, ind_measures[m].name, l)) {
			*prev = 1;
			return m;
		}
	}
	return -1;
}

int ind_measure_known(const char *name, void *cls)
{
	int prev;

	return ind_measure_find(name, &prev) >= 0;
}

const struct ind_def *ind_def_find(const char *code)
{
	for (int i = 0; code && i < ind_ndefs; i++)
		if (!strcmp(ind_defs[i].code, code))
			return &ind_defs[i];
	return NULL;
}

const struct ind_pending *ind_pending_find(const char *code)
{
	for (int i = 0; code && i < ind_npending; i++)
		if (!strcmp(ind_pending[i].code, code))
			return &ind_pending[i];
	return NULL;
}

int ind_builtin_name(const char *code)
{
	return ind_measure_known(code, NULL) || ind_def_find(code) || ind_pending_find(code);
}

uint64_t ind_need_closure(uint64_t need)
{
	/* deps only name earlier measures, so one pass from the last measure down closes the set */
	for (int m = IND_NMEAS - 1; m >= 0; m--)
		if (need & BIT(m))
			need |= ind_measures[m].deps;
	return need;
}

/* ---- periods ------------------------------------------------------------------------------------ */

static const char *const pkind_codes[] = {"year", "quarter", "month", "plan"};

const char *ind_pkind_code(enum ind_pkind k)
{
	return (unsigned)k < 4 ? pkind_codes[k] : "";
}

int ind_pkind_parse(const char *code)
{
	for (int i = 0; code && i < 4; i++)
		if (!strcmp(code, pkind_codes[i]))
			return i;
	return -1;
}

static int digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int ind_period_parse(const char *s, const char *field, struct ind_period *out, struct pcmt_err *err)
{
	static const char want[] = "%s must be a year (2022), a quarter (2022-Q1), a month (2022-03) or plan";
	size_t n = s ? strlen(s) : 0;
	int y, x;

	if (n == 4 && !strcmp(s, "plan")) {
		out->kind = IP_PLAN;
		out->from = out->to = DATE_NONE;
		return 0;
	}
	if (n < 4 || !digits(s, 4))
		return err_set(err, ERR_INVALID, field, want, field);
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	if (y < 1900 || y > 2200)
		return err_set(err, ERR_INVALID, field, "%s: the year must lie in 1900..2200", field);
	if (n == 4) {
		out->kind = IP_YEAR;
		out->from = date_from_ymd(y, 1, 1);
		out->to = date_from_ymd(y, 12, 31);
		return 0;
	}
	if (n == 7 && s[4] == '-' && (s[5] == 'Q' || s[5] == 'q') && s[6] >= '1' && s[6] <= '4') {
		x = s[6] - '0';
		out->kind = IP_QUARTER;
		out->from = date_from_ymd(y, 3 * x - 2, 1);
		out->to = date_add_months(out->from, 3) - 1;
		return 0;
	}
	if (n == 7 && s[4] == '-' && digits(s + 5, 2)) {
		x = (s[5] - '0') * 10 + (s[6] - '0');
		if (x < 1 || x > 12)
			return err_set(err, ERR_INVALID, field, "%s: the month must lie in 01..12", field);
		out->kind = IP_MONTH;
		out->from = date_from_ymd(y, x, 1);
		out->to = date_add_months(out->from, 1) - 1;
		return 0;
	}
	return err_set(err, ERR_INVALID, field, want, field);
}

struct ind_period ind_period_around(enum ind_pkind kind, int32_t date, int32_t plan_from, int32_t plan_to)
{
	struct ind_period p = {kind, plan_from, plan_to};
	int y, m, d;

	if (kind == IP_PLAN)
		return p;
	date_to_ymd(date, &y, &m, &d);
	if (kind == IP_YEAR) {
		p.from = date_from_ymd(y, 1, 1);
		p.to = date_from_ymd(y, 12, 31);
	} else {
		p.from = date_from_ymd(y, kind == IP_QUARTER ? m - (m - 1) % 3 : m, 1);
		p.to = date_add_months(p.from, kind == IP_QUARTER ? 3 : 1) - 1;
	}
	return p;
}

char *ind_period_name(const struct ind_period *p, char buf[IND_PERIOD_BUFSZ])
{
	int y, m, d;

	if (p->kind == IP_PLAN) {
		snprintf(buf, IND_PERIOD_BUFSZ, "plan");
		return buf;
	}
	date_to_ymd(p->from, &y, &m, &d);
	if (p->kind == IP_YEAR)
		snprintf(buf, IND_PERIOD_BUFSZ, "%04d", y);
	else if (p->kind == IP_QUARTER)
		snprintf(buf, IND_PERIOD_BUFSZ, "%04d-Q%d", y, (m - 1) / 3 + 1);
	else
		snprintf(buf, IND_PERIOD_BUFSZ, "%04d-%02d", y, m);
	return buf;
}

struct ind_window ind_prev_window(const struct ind_window *w, enum ind_pkind kind)
{
	struct ind_window p;

	p.to = w->from - 1;
	switch (kind) {
	case IP_YEAR: p.from = date_add_months(w->from, -12); break;
	case IP_QUARTER: p.from = date_add_months(w->from, -3); break;
	case IP_MONTH: p.from = date_add_months(w->from, -1); break;
	default: p.from = w->from - (w->to - w->from + 1); break;
	}
	p.at = p.from + (w->at - w->from);
	if (p.at > p.to)
		p.at = p.to;
	p.stock = p.to;
	return p;
}

/* ---- the pass ------------------------------------------------------------------------------------ */

static int in_force(const struct snap_ou *o, int32_t d)
{
	return (o->valid_from == DATE_NONE || o->valid_from <= d) && (o->valid_to == SNAP_OPEN || o->valid_to >= d);
}

void ind_rows_free(struct ind_rows *r)
{
	free(r->ou);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* Persons are read through pointers scattered over the whole image (a province's residents are
 * spread over the heap of a nation), so the pass is bound by memory latency, not by arithmetic. It
 * walks the subtree's residents as one list and asks for each person's data ahead of its use, in
 * three stages up to PF_AHEAD persons apart (the slot in persons[], the person, its event arrays),
 * so that many misses are in flight at once instead of one after the other. On the national set
 * this halved the pass; the distance mattered little between 0 and 64 persons, as every commune's
 * residents are asked for together (docs/performance.md, "Indicators"). */
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch((p), 0, 3)
/* A function made only of prefetches writes nothing: GCC 12 (-O2) dropped every call to
 * prefetch_events as it stood (objdump showed 3 prefetches left in the object, 28 once inlined) and
 * the pass took twice as long. Inlined, the prefetches stay. */
#define PF_INLINE static inline __attribute__((always_inline))
#else
#define PREFETCH(p) ((void)(p))
#define PF_INLINE static inline
#endif

enum { PF_AHEAD = 16, PF_TEST_LINES = 8 };

/* One window of a pass: its environment, what it needs and its running totals. */
struct calc_win {
	struct ind_env env;
	uint64_t need, fmask, umask, omask[OPK_N];
	int pm[IND_NMEAS], npm;    /* the person-level measures needed, in table order */
	unsigned parts;            /* the event arrays they read (PART_*) */
	double *sub;               /* n units x IND_NMEAS, by position in the pre-order */
	int8_t *free;              /* per position: the commune's drug-free verdict; NULL when not needed */
	int free_own;              /* 0: free is an earlier window's (same stock date and parameters) */
};

/* The event arrays of p that the pass will read: `parts` for pfacts, and what crit_eval reads when
 * a commune is judged (classifications, records, treatments, determinations, tests: the latest test
 * is searched by bisection, so the first PF_TEST_LINES lines of the test array and its last). */
PF_INLINE void prefetch_events(const struct snap_person *p, unsigned parts, int crit)
{
	if (crit)
		parts = PART_ALL;
	/* the first and the last element: an array of a few elements may straddle two lines */
	if (parts & PART_CLS && p->ncls) {
		PREFETCH(p->cls);
		PREFETCH(p->cls + p->ncls - 1);
	}
	if (parts & PART_REC && p->nrec) {
		PREFETCH(p->rec);
		PREFETCH(p->rec + p->nrec - 1);
	}
	if (parts & PART_TREAT && p->ntreat) {
		PREFETCH(p->treat);
		PREFETCH(p->treat + p->ntreat - 1);
	}
	if (parts & PART_SUP && p->nsup) {
		PREFETCH(p->sup);
		PREFETCH(p->sup + p->nsup - 1);
	}
	if (crit) {
		const char *t = (const char *)p->test, *end = (const char *)(p->test + p->ntest);

		if (p->ndet) {
			PREFETCH(p->det);
			PREFETCH(p->det + p->ndet - 1);
		}
		for (int i = 0; t < end && i < PF_TEST_LINES; t += 64, i++)
			PREFETCH(t);
		if (p->ntest)
			PREFETCH(end - 1);
	}
}

/* Adds person p, resident of the unit at position li (id ou), to every window's person-level
 * measures. A past resident (the 2025 reform, docs/reform.md) counts where they lived at the end of
 * the window, so that a roll-up counts each person once. */
static void person_add(struct calc_win *cw, int nw, const struct snap_person *p, int32_t li, int64_t ou)
{
	for (int i = 0; i < nw; i++) {
		struct calc_win *c = &cw[i];
		double *v = &c->sub[(size_t)li * IND_NMEAS];
		struct ind_pfacts pf;

		if (!c->npm || (p->nres && snap_residence(p, c->env.w.stock) != ou))
			continue;
		pfacts(&c->env, p, c->parts, &pf);
		for (int j = 0; j < c->npm; j++)
			v[c->pm[j]] += ind_measures[c->pm[j]].person(&c->env, &pf);
	}
}

/* Commune after commune (every unit of the subtree in pre-order), the residents of each and then its
 * criteria, judged while the residents are in cache (crit_eval reads the commune's member list
 * itself). Returns -1 when out of memory. */
static int pass_by_commune(const struct snap *s, const int32_t *order, int32_t n, struct calc_win *cw, int nw,
			   unsigned parts, int crit)
{
	int32_t *flat = NULL, *start = NULL;
	size_t cnt = 0, p1 = 0, p2 = 0, p3 = 0;
	const struct snap_person *q;
	int rc = -1;

	for (int32_t li = 0; li < n; li++)
		cnt += (size_t)s->ous[order[li]].nmembers;
	if (!(start = malloc(((size_t)n + 1) * sizeof(*start))) || !(flat = malloc((cnt ? cnt : 1) * sizeof(*flat))))
		goto out;
	cnt = 0;
	for (int32_t li = 0; li < n; li++) {
		const struct snap_ou *o = &s->ous[order[li]];

		start[li] = (int32_t)cnt;
		if (o->nmembers)
			memcpy(&flat[cnt], o->members, (size_t)o->nmembers * sizeof(*flat));
		cnt += (size_t)o->nmembers;
	}
	start[n] = (int32_t)cnt;
	for (int32_t li = 0; li < n; li++) {
		const struct snap_ou *o = &s->ous[order[li]];
		size_t end = (size_t)start[li + 1];

		/* this unit's residents and the next few, in three stages: the slots in persons[], the
		 * persons (their slots have been asked for), their event arrays */
		for (; p3 < cnt && p3 < end + 3 * PF_AHEAD; p3++)
			PREFETCH(&s->persons[flat[p3]]);
		for (; p2 < cnt && p2 < end + 2 * PF_AHEAD; p2++)
			if ((q = s->persons[flat[p2]])) {
				PREFETCH(q);
				PREFETCH((const char *)q + sizeof(*q) - 1);
			}
		for (; p1 < cnt && p1 < end + PF_AHEAD; p1++)
			if ((q = s->persons[flat[p1]]))
				prefetch_events(q, parts, crit);
		for (size_t k = (size_t)start[li]; parts && k < end; k++)
			if ((q = s->persons[flat[k]]))
				person_add(cw, nw, q, li, o->id);
		if (!crit || o->kind != OK_COMMUNE)
			continue;
		for (int i = 0; i < nw; i++) {
			struct calc_win *c = &cw[i];
			struct crit_result r;

			if (!c->free_own || !in_force(o, c->env.w.stock))
				continue;
			if (crit_eval(s, order[li], c->env.w.stock, c->env.cp, &r)) {
				crit_result_free(&r);
				goto out;
			}
			c->free[li] = (int8_t)(r.pass != 0);
			crit_result_free(&r);
		}
	}
	rc = 0;
out:
	free(flat);
	free(start);
	return rc;
}

/* every field: a parameter added to crit_params later is compared too (ints only, no padding) */
static int same_params(const struct crit_params *a, const struct crit_params *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

int ind_calc(const struct ind_calc_in *in, struct ind_rows *out, struct pcmt_err *err)
{
	return ind_calc_many(in, 1, out, err);
}

int ind_calc_many(const struct ind_calc_in *in, int nw, struct ind_rows *out, struct pcmt_err *err)
{
	const struct snap *s = nw > 0 ? in[0].s : NULL;
	int32_t root = nw > 0 ? in[0].root : -1, *order = NULL, *loc = NULL, n = 0, top;
	struct calc_win *cw = NULL;
	uint64_t fany = 0, oany[OPK_N] = {0};
	unsigned parts = 0;        /* the event arrays any window's person-level measures read */
	int any_crit = 0, rc = -1;

	for (int i = 0; i < nw; i++)
		memset(&out[i], 0, sizeof(out[i]));
	if (nw < 1 || !s || root < 0 || root >= s->nous)
		return err_set(err, ERR_NOT_FOUND, "orgunit", "no such org unit in the snapshot");
	for (int i = 1; i < nw; i++)
		if (in[i].s != s || in[i].root != root)
			return err_set(err, ERR_INTERNAL, NULL, "the windows of one pass must share the snapshot and the root");
	if (!(cw = calloc((size_t)nw, sizeof(*cw))))
		goto oom;
	for (int i = 0; i < nw; i++) {
		struct calc_win *c = &cw[i];

		c->env = (struct ind_env){s, in[i].w, in[i].cp, 0, NULL, NULL};
		c->need = ind_need_closure(in[i].need);
		for (int m = 0; m < IND_NMEAS; m++) {
			if (!(c->need & BIT(m)))
				continue;
			if (ind_measures[m].level == IL_PERSON) {
				c->pm[c->npm++] = m;
				c->parts |= pfacts_parts(m);
			}
			else if (ind_measures[m].level == IL_FACILITY)
				c->fmask |= BIT(m);
			else if (ind_measures[m].level >= IL_HOTSPOT)
				c->omask[ind_measures[m].level - IL_HOTSPOT] |= BIT(m);
			else
				c->umask |= BIT(m);
		}
		if ((c->need & (BIT(M_COMMUNES_DRUG_FREE) | BIT(M_DISTRICTS_DRUG_FREE))) && !in[i].cp) {
			err_set(err, ERR_INTERNAL, NULL, "drug-free measures need the criteria parameters");
			goto out;
		}
		fany |= c->fmask;
		for (int k = 0; k < OPK_N; k++)
			oany[k] |= c->omask[k];
		parts |= c->parts;
	}
	/* the subtree in pre-order: each unit before its descendants, so the reverse visits children
	 * before their parent */
	order = malloc((size_t)s->nous * sizeof(*order));
	loc = malloc((size_t)s->nous * sizeof(*loc));
	if (!order || !loc)
		goto oom;
	for (int32_t i = 0; i < s->nous; i++)
		loc[i] = -1;
	{
		int32_t *stack = malloc((size_t)s->nous * sizeof(*stack));

		if (!stack)
			goto oom;
		top = 0;
		stack[top++] = root;
		while (top > 0) {
			int32_t i = stack[--top];

			loc[i] = n;
			order[n++] = i;
			/* loc[c] < 0: a unit is entered once even if the tree were damaged into a cycle */
			for (int32_t c = s->ous[i].first_child; c >= 0; c = s->ous[c].next_sibling)
				if (loc[c] < 0 && top < s->nous)
					stack[top++] = c;
		}
		free(stack);
	}
	for (int i = 0; i < nw; i++) {
		struct calc_win *c = &cw[i];

		c->env.loc = loc;
		if (!(c->sub = calloc((size_t)n * IND_NMEAS, sizeof(*c->sub))))
			goto oom;
		if (!(c->need & BIT(M_COMMUNES_DRUG_FREE)))
			continue;
		/* the criteria of a commune on a date are computed once however many windows ask */
		for (int j = 0; j < i && !c->free; j++)
			if (cw[j].free && cw[j].env.w.stock == c->env.w.stock && same_params(cw[j].env.cp, c->env.cp))
				c->free = cw[j].free;
		if (!c->free) {
			if (!(c->free = calloc((size_t)n, sizeof(*c->free))))
				goto oom;
			c->free_own = 1;
			any_crit = 1;
		}
		c->env.drug_free = c->free;
	}
	if (fany) {
		for (int32_t f = 0; f < s->nfac; f++) {
			const struct snap_facility *fac = &s->fac[f];
			int32_t ix = snap_ou_ix(s, fac->ou), li = ix >= 0 ? loc[ix] : -1;

			for (int i = 0; li >= 0 && i < nw; i++)
				for (int m = 0; cw[i].fmask && m < IND_NMEAS; m++)
					if (cw[i].fmask & BIT(m))
						cw[i].sub[(size_t)li * IND_NMEAS + m] += ind_measures[m].facility(&cw[i].env, fac);
		}
	}
	/* operations items, like facilities: each adds to the unit it was recorded at */
	for (int k = 0; k < OPK_N; k++) {
		size_t cnt = oany[k] ? op_count(s->oper, (enum op_kind)k) : 0;

		for (size_t it = 0; it < cnt; it++) {
			int32_t ix = snap_ou_ix(s, op_item_ou(s->oper, (enum op_kind)k, it)), li = ix >= 0 ? loc[ix] : -1;
			const void *item = op_item(s->oper, (enum op_kind)k, it);

			for (int i = 0; li >= 0 && i < nw; i++)
				for (int m = 0; cw[i].omask[k] && m < IND_NMEAS; m++)
					if (cw[i].omask[k] & BIT(m))
						cw[i].sub[(size_t)li * IND_NMEAS + m] += ind_measures[m].item(&cw[i].env, item);
		}
	}
	if ((any_crit || parts) && pass_by_commune(s, order, n, cw, nw, parts, any_crit))
		goto oom;
	for (int i = 0; i < nw; i++) {
		struct calc_win *c = &cw[i];
		struct ind_env *env = &c->env;
		double *sub = c->sub;
		int32_t nrows = 0;

		for (int32_t li = n - 1; li >= 0; li--) {
			int32_t ix = order[li];
			double *v = &sub[(size_t)li * IND_NMEAS];

			if (c->umask && in_force(&s->ous[ix], env->w.stock))
				for (int m = 0; m < IND_NMEAS; m++)
					if (c->umask & BIT(m)) {
						v[m] += ind_measures[m].unit_fn(env, ix, v);
						if (env->failed)
							goto oom;
					}
			if (li > 0) {
				double *pv = &sub[(size_t)loc[s->ous[ix].parent_ix] * IND_NMEAS];

				for (int m = 0; m < IND_NMEAS; m++)
					pv[m] += v[m];
			}
		}
		/* rows: the root, then the units directly below it in force on the date */
		for (int32_t ch = s->ous[root].first_child; ch >= 0; ch = s->ous[ch].next_sibling)
			nrows += in_force(&s->ous[ch], env->w.stock);
		nrows++;
		out[i].ou = malloc((size_t)nrows * sizeof(*out[i].ou));
		out[i].v = malloc((size_t)nrows * IND_NMEAS * sizeof(*out[i].v));
		if (!out[i].ou || !out[i].v)
			goto oom;
		out[i].ou[0] = root;
		memcpy(out[i].v, sub, IND_NMEAS * sizeof(*sub));
		out[i].n = 1;
		for (int32_t ch = s->ous[root].first_child; ch >= 0; ch = s->ous[ch].next_sibling) {
			if (!in_force(&s->ous[ch], env->w.stock))
				continue;
			out[i].ou[out[i].n] = ch;
			memcpy(&out[i].v[(size_t)out[i].n * IND_NMEAS], &sub[(size_t)loc[ch] * IND_NMEAS],
			       IND_NMEAS * sizeof(*sub));
			out[i].n++;
		}
		out[i].have = c->need;
	}
	rc = 0;
	goto out;
oom:
	err_set(err, ERR_INTERNAL, NULL, "out of memory computing indicators");
out:
	if (rc)
		for (int i = 0; i < nw; i++)
			ind_rows_free(&out[i]);
	for (int i = 0; cw && i < nw; i++) {
		free(cw[i].sub);
		if (cw[i].free_own)
			free(cw[i].free);
	}
	free(cw);
	free(order);
	free(loc);
	return rc;
}

/* ---- status ------------------------------------------------------------------------------------ */

static const char *const cmp_codes[] = {">=", "<=", ">", "<"};

int ind_cmp_parse(const char *s)
{
	for (int i = 0; s && i < 4; i++)
		if (!strcmp(s, cmp_codes[i]))
			return i;
	return -1;
}

const char *ind_cmp_code(enum ind_cmp c)
{
	return (unsigned)c < 4 ? cmp_codes[c] : "";
}

int ind_cmp_holds(enum ind_cmp c, double v, double t)
{
	switch (c) {
	case IC_GE: return v >= t;
	case IC_LE: return v <= t;
	case IC_GT: return v > t;
	case IC_LT: return v < t;
	}
	return 0;
}

const char *ind_status_code(enum ind_status s)
{
	static const char *const codes[] = {"met", "on_track", "at_risk", "missed", "no_data", "not_started",
					    "not_applicable"};

	return (unsigned)s < sizeof(codes) / sizeof(codes[0]) ? codes[s] : "";
}

enum ind_status ind_status(const struct ind_status_in *in, double value, double *progress, double *elapsed)
{
	double p = NAN, e;
	int decreasing = in->cmp == IC_LE || in->cmp == IC_LT;

	if (in->deadline <= in->start)
		e = 1;
	else
		e = (double)(in->at - in->start) / (double)(in->deadline - in->start);
	e = e < 0 ? 0 : e > 1 ? 1 : e;
	if (elapsed)
		*elapsed = e;
	if (isnan(value)) {
		if (progress)
			*progress = NAN;
		return IND_NO_DATA;
	}
	if ((!decreasing || in->has_baseline) && in->target != in->baseline)
		p = (value - in->baseline) / (in->target - in->baseline);
	if (progress)
		*progress = p;
	if (ind_cmp_holds(in->cmp, value, in->target))
		return IND_MET;
	if (in->today > in->deadline)
		return IND_MISSED;
	if (isnan(p))
		return IND_AT_RISK;
	/* exactly at pace is on track; the tolerance absorbs the rounding of the two divisions */
	return p >= e - 1e-9 ? IND_ON_TRACK : IND_AT_RISK;
}

/* ---- expressions on rows --------------------------------------------------------------------- */

struct row_cls {
	const double *cur, *prev;
	uint64_t need_cur, need_prev;
	int bad;
};

static int row_value(const char *name, void *cls, double *out)
{
	struct row_cls *c = cls;
	int prev, m = ind_measure_find(name, &prev);

	if (m < 0 || (prev && !c->prev))
		return -1;
	*out = prev ? c->prev[m] : c->cur[m];
	return 0;
}

int ind_value(const struct expr *e, const double *cur, const double *prev, double *out, struct pcmt_err *err)
{
	struct row_cls c = {cur, prev, 0, 0, 0};

	return expr_eval(e, row_value, &c, out, err);
}

static void need_name(const char *name, void *cls)
{
	struct row_cls *c = cls;
	int prev, m = ind_measure_find(name, &prev);

	if (m < 0)
		c->bad = 1;
	else if (prev)
		c->need_prev |= BIT(m);
	else
		c->need_cur |= BIT(m);
}

int ind_expr_need(const struct expr *e, uint64_t *cur, uint64_t *prev)
{
	struct row_cls c = {0};

	expr_names(e, need_name, &c);
	*cur = c.need_cur;
	*prev = c.need_prev;
	return c.bad ? -1 : 0;
}
