/* snap.h: a compact in-memory image of what the programme logic reads: org units, facilities, and
 * per person only the dated facts the criteria and indicators need (no names, no identifiers).
 * Criteria and indicators are pure functions over it, so that "every commune of the nation as of D"
 * is a pass over arrays rather than a join over tens of millions of rows.
 *
 * Events of a person are kept sorted by date, so "latest test on or before D" is a binary search.
 * A person's facts are replaced whole (snap_person_put) when any of them changes: live.c keeps the
 * image in step with every committed write. Not thread-safe by itself: live.c holds the lock.
 * Enum fields hold the index of the code in the entity enum tables (en_classification etc.). */
#ifndef PCMT_SNAP_H
#define PCMT_SNAP_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct op_image;

enum { SNAP_NONE = -1 };

/* classification kinds (index into en_classification.vals) */
enum { CL_ADDICT, CL_ILLEGAL_USER, CL_POST_REHAB, CL_PSYCHOSIS, CL_RELEASED };
/* record kinds (en_record_kind) */
enum { RK_ILLEGAL_USER, RK_POST_REHAB, RK_ADDICT };
/* test kinds (en_test_kind) and results (en_test_result) */
enum { TK_PERIODIC, TK_SUDDEN, TK_ON_REQUEST, TK_DETERMINATION };
enum { TR_NEGATIVE, TR_POSITIVE, TR_INVALID };
/* treatment kinds (en_treatment_kind) and outcomes (en_treatment_outcome) */
enum { TX_COMPULSORY_FACILITY, TX_VOLUNTARY_FACILITY, TX_VOLUNTARY_COMMUNITY, TX_METHADONE, TX_BUPRENORPHINE };
enum { TO_ONGOING, TO_COMPLETED, TO_DROPPED_OUT, TO_RELAPSED, TO_TRANSFERRED, TO_DIED };
/* support kinds (en_support_kind) */
enum { SK_COUNSELLING, SK_VOCATIONAL, SK_JOB, SK_LOAN, SK_OTHER };
/* org-unit kinds (en_ou_kind) and facility kinds (en_facility_kind) */
enum { OK_NATION, OK_PROVINCE, OK_DISTRICT, OK_COMMUNE };
enum { FK_HEALTH_STATION, FK_REHAB_PUBLIC, FK_REHAB_PRIVATE, FK_OST_POINT, FK_COUNSELLING_POINT, FK_HOSPITAL };

/* An open end (no date_to, no closing date) is stored as SNAP_OPEN, after every real date. */
#define SNAP_OPEN INT32_MAX

struct snap_cls { int32_t from, to; int8_t kind; };
struct snap_rec { int32_t opened, closed; int8_t kind; int64_t managing_ou; };
struct snap_test { int32_t date; int8_t kind, result; };
struct snap_det { int32_t date; int8_t addicted; int64_t facility; };
struct snap_treat { int32_t start, planned_end, end; int8_t kind, outcome; int64_t facility; };
struct snap_sup { int32_t date; int8_t kind; };
/* opioid substitution (domain/ost.h): the days doses covered and the days prescriptions covered,
 * kept apart from the other events because a patient has hundreds of doses a year and everybody else
 * none: a person without either has no struct snap_ost at all */
struct snap_dose { int32_t date; int8_t take_home; };
struct snap_span { int32_t from, to; };
struct snap_ost {
	uint16_t ndose, nrx;
	struct snap_dose *dose;   /* sorted by date */
	struct snap_span *rx;     /* sorted by from */
};
/* a past residence: the person lived in ou from `from` (DATE_NONE: since always) to `to` */
struct snap_res { int32_t from, to; int64_t ou; };
/* a succession link between org units (index into ous), full or partial, from `effective` on */
struct snap_link { int32_t ix; int8_t partial; int32_t effective; };

struct snap_person {
	int64_t id;
	int64_t ou;        /* residence commune (org-unit id) */
	int32_t dob;       /* DATE_NONE when unknown */
	int8_t female;
	uint16_t ncls, nrec, ndet, ntreat, nsup, nres;
	uint32_t ntest, cap_test;  /* cap_test 0 with ntest > 0: the tests live in the image's slab */
	struct snap_cls *cls;     /* sorted by from */
	struct snap_rec *rec;     /* sorted by opened */
	struct snap_det *det;     /* sorted by date */
	struct snap_treat *treat; /* sorted by start */
	struct snap_sup *sup;     /* sorted by date */
	struct snap_res *res;     /* residences before `ou`, sorted by `to`; the person is a member of
				     each of these units too, so that a commune evaluated on a past date
				     finds who lived there then (snap_residence) */
	struct snap_test *test;   /* sorted by date; on one day negatives first, so a day's last test
				     is positive if any test that day was */
	struct snap_ost *ost;     /* NULL unless the person has substitution doses or prescriptions */
};

struct snap_ou {
	int64_t id, parent;  /* parent 0 for the root */
	int8_t kind;
	int32_t valid_from, valid_to; /* DATE_NONE / SNAP_OPEN when open */
	char code[17];
	char *name;
	int32_t parent_ix;   /* index of the parent in ous, -1 for a root */
	int32_t first_child, next_sibling; /* child lists by index, -1 terminated */
	/* succession (the 2025 reform): the units it was formed from and went into */
	struct snap_link *pred, *succ;
	int32_t npred, nsucc;
	/* persons residing here now or in the past (snap_residence tells which): indexes into persons */
	int32_t *members;
	int32_t nmembers, cap_members;
};

struct snap_facility {
	int64_t id, ou;
	int8_t kind, qualified;
	int32_t qualified_since;
};

struct snap {
	struct snap_ou *ous;
	int32_t nous, cap_ous;
	struct snap_facility *fac;
	int32_t nfac, cap_fac;
	struct snap_person **persons; /* by dense index; NULL slots are deleted persons */
	int32_t npersons, cap_persons;
	/* id -> index maps (open addressing) */
	struct snap_map *ou_map, *person_map;
	int64_t seq;        /* change_log position the image reflects */
	/* Bulk loads put every person's tests end to end in one slab (exact memory, no per-person
	 * allocation, scans in address order); a person reloaded later gets its own array. */
	struct snap_test *slab;
	size_t slab_n, slab_cap;
	struct snap_person *slab_owner; /* whose run the slab's tail is */
	struct op_image *oper; /* the operations image (opimg.h), owned; NULL when none was loaded */
};

struct snap *snap_new(void);
void snap_free(struct snap *s);

/* Building. The _add calls append; snap_finish() sorts and links everything and must be called
 * after a batch of adds before the image is read. Strings are enum codes as stored. */
int snap_ou_add(struct snap *s, int64_t id, int64_t parent, const char *kind, const char *code,
		const char *name, int32_t valid_from, int32_t valid_to);
int snap_facility_add(struct snap *s, int64_t id, int64_t ou, const char *kind, int qualified,
		      int32_t qualified_since);
/* A person builder: a detached person that events are added to, then put in place whole. */
struct snap_person *snap_person_new(int64_t id, int64_t ou, const char *sex, int32_t dob);
int snap_person_cls(struct snap_person *p, const char *kind, int32_t from, int32_t to);
int snap_person_det(struct snap_person *p, int32_t date, int64_t facility, const char *result);
int snap_person_rec(struct snap_person *p, const char *kind, int32_t opened, int32_t closed, int64_t managing_ou);
int snap_person_test(struct snap_person *p, int32_t date, const char *kind, const char *result);
int snap_person_treat(struct snap_person *p, const char *kind, int64_t facility, int32_t start,
		      int32_t planned_end, int32_t end, const char *outcome);
int snap_person_sup(struct snap_person *p, const char *kind, int32_t date);
/* a substitution dose for `date` (kind an en_ost_dose_kind code) and a prescription's span */
int snap_person_dose(struct snap_person *p, int32_t date, const char *kind);
int snap_person_rx(struct snap_person *p, int32_t from, int32_t to);
int snap_person_res(struct snap_person *p, int64_t ou, int32_t from, int32_t to);
/* Records that unit `from` went into `to` ("full" or "partial") on effective; after snap_finish. */
int snap_link_add(struct snap *s, int64_t from, int64_t to, const char *kind, int32_t effective);
void snap_person_free(struct snap_person *p);
/* Sorts p's events and puts p in the image (replacing the person with the same id, and moving it
 * between communes' member lists). Takes ownership of p. */
int snap_person_put(struct snap *s, struct snap_person *p);
/* The person in the image, for appending events during a bulk load (NULL when unknown). */
struct snap_person *snap_person_mut(struct snap *s, int64_t id);
/* Reserves room for n tests in the slab, before a bulk load of tests through snap_slab_test. */
int snap_slab_reserve(struct snap *s, size_t n);
/* Appends a test of person p (from snap_person_mut) during a bulk load in which each person's tests
 * come together; falls back to p's own array when they do not or the slab is full. */
int snap_slab_test(struct snap *s, struct snap_person *p, int32_t date, const char *kind, const char *result);
/* Sorts every person's events: after a bulk load through snap_person_mut. */
void snap_sort_all(struct snap *s);
/* Removes a person (after a delete). */
void snap_person_drop(struct snap *s, int64_t id);
/* Links org units into a tree (after all snap_ou_add). Returns -1 on out of memory. */
int snap_finish(struct snap *s);

/* Lookups */
int32_t snap_ou_ix(const struct snap *s, int64_t id);            /* -1 when unknown */
const struct snap_person *snap_person_get(const struct snap *s, int64_t id);
/* 1 when org unit index `ix` lies under (or is) index `root`. */
int snap_ou_under(const struct snap *s, int32_t ix, int32_t root);
/* Calls fn for every commune under root (inclusive) in force on date (valid_from <= date <= valid_to). */
int snap_communes(const struct snap *s, int32_t root, int32_t date,
		  int (*fn)(const struct snap *s, int32_t commune_ix, void *cls), void *cls);

/* 1 when unit o is in force on date. */
int snap_in_force(const struct snap_ou *o, int32_t date);

/* Facts about one person on a date, shared by criteria and indicators. */
/* The org unit the person resided in on date: a past residence whose period holds it (the earliest
 * one for dates before any), else the current one. */
int64_t snap_residence(const struct snap_person *p, int32_t date);
int snap_holds(const struct snap_person *p, int kind, int32_t date);      /* classification held on date */
const struct snap_rec *snap_open_record(const struct snap_person *p, int kind, int32_t date); /* kind -1: any */
const struct snap_test *snap_latest_test(const struct snap_person *p, int32_t date); /* on or before */
const struct snap_treat *snap_active_treatment(const struct snap_person *p, int32_t date);
int snap_residential(const struct snap_treat *t); /* compulsory or voluntary at a facility */

#endif
