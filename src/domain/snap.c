/* snap.c: the compact image of org units, facilities and persons' dated facts (see snap.h).
 * Memory per person is a struct and six small arrays; ids map to dense indexes through
 * open-addressing tables so that lookups stay O(1) at a million persons. */
#include "domain/snap.h"

#include <stdlib.h>
#include <string.h>

#include "domain/entity.h"
#include "domain/opimg.h"
#include "util/date.h"

struct snap_map {
	int64_t *keys; /* 0 = empty slot (ids are positive) */
	int32_t *vals;
	size_t cap, n;
};

static size_t map_slot(const struct snap_map *m, int64_t key)
{
	uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
	size_t i = (size_t)(h >> 17) & (m->cap - 1);

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int map_put(struct snap_map *m, int64_t key, int32_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct snap_map nm = {0};

		nm.cap = m->cap ? m->cap * 2 : 1024;
		nm.keys = calloc(nm.cap, sizeof(*nm.keys));
		nm.vals = calloc(nm.cap, sizeof(*nm.vals));
		if (!nm.keys || !nm.vals) {
			free(nm.keys);
			free(nm.vals);
			return -1;
		}
		for (size_t j = 0; j < m->cap; j++)
			if (m->keys[j]) {
				size_t k = map_slot(&nm, m->keys[j]);

				nm.keys[k] = m->keys[j];
				nm.vals[k] = m->vals[j];
				nm.n++;
			}
		free(m->keys);
		free(m->vals);
		*m = nm;
	}
	i = map_slot(m, key);
	if (!m->keys[i])
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
	return 0;
}

static int32_t map_get(const struct snap_map *m, int64_t key)
{
	size_t i;

	if (!m || !m->cap || key <= 0)
		return -1;
	i = map_slot(m, key);
	return m->keys[i] == key ? m->vals[i] : -1;
}

static void map_free(struct snap_map *m)
{
	if (m) {
		free(m->keys);
		free(m->vals);
		free(m);
	}
}

static int code_ix(const struct enum_def *en, const char *code)
{
	for (int i = 0; code && i < en->n; i++)
		if (!strcmp(en->vals[i].code, code))
			return i;
	return -1;
}

/* Grows *arr (of n elements of size sz) when n is 0 or a power of two at least 4. */
static int grow(void **arr, size_t n, size_t sz)
{
	size_t cap;
	void *p;

	if (n >= 4 && (n & (n - 1)))
		return 0;
	if (n > 0 && n < 4)
		return 0;
	cap = n ? n * 2 : 4;
	if (!(p = realloc(*arr, cap * sz)))
		return -1;
	*arr = p;
	return 0;
}

struct snap *snap_new(void)
{
	struct snap *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ou_map = calloc(1, sizeof(*s->ou_map));
	s->person_map = calloc(1, sizeof(*s->person_map));
	if (!s->ou_map || !s->person_map) {
		snap_free(s);
		return NULL;
	}
	return s;
}

void snap_person_free(struct snap_person *p)
{
	if (!p)
		return;
	free(p->cls);
	free(p->rec);
	free(p->det);
	free(p->treat);
	free(p->sup);
	if (p->ost) {
		free(p->ost->dose);
		free(p->ost->rx);
		free(p->ost);
	}
	free(p->res);
	if (p->cap_test || !p->ntest)
		free(p->test); /* tests in a slab belong to the image */
	free(p);
}

void snap_free(struct snap *s)
{
	if (!s)
		return;
	for (int32_t i = 0; i < s->nous; i++) {
		free(s->ous[i].name);
		free(s->ous[i].members);
		free(s->ous[i].pred);
		free(s->ous[i].succ);
	}
	free(s->ous);
	free(s->fac);
	for (int32_t i = 0; i < s->npersons; i++)
		snap_person_free(s->persons[i]);
	free(s->persons);
	free(s->slab);
	map_free(s->ou_map);
	map_free(s->person_map);
	op_image_free(s->oper);
	free(s);
}

int snap_ou_add(struct snap *s, int64_t id, int64_t parent, const char *kind, const char *code,
		const char *name, int32_t valid_from, int32_t valid_to)
{
	struct snap_ou *o;

	if (s->nous == s->cap_ous) {
		int32_t cap = s->cap_ous ? s->cap_ous * 2 : 256;
		void *p = realloc(s->ous, (size_t)cap * sizeof(*s->ous));

		if (!p)
			return -1;
		s->ous = p;
		s->cap_ous = cap;
	}
	o = &s->ous[s->nous];
	memset(o, 0, sizeof(*o));
	o->id = id;
	o->parent = parent;
	o->kind = (int8_t)code_ix(&en_ou_kind, kind);
	o->valid_from = valid_from;
	o->valid_to = valid_to;
	snprintf(o->code, sizeof(o->code), "%s", code ? code : "");
	if (!(o->name = strdup(name ? name : "")))
		return -1;
	o->parent_ix = o->first_child = o->next_sibling = -1;
	if (map_put(s->ou_map, id, s->nous))
		return -1;
	s->nous++;
	return 0;
}

int snap_facility_add(struct snap *s, int64_t id, int64_t ou, const char *kind, int qualified,
		      int32_t qualified_since)
{
	if (s->nfac == s->cap_fac) {
		int32_t cap = s->cap_fac ? s->cap_fac * 2 : 256;
		void *p = realloc(s->fac, (size_t)cap * sizeof(*s->fac));

		if (!p)
			return -1;
		s->fac = p;
		s->cap_fac = cap;
	}
	s->fac[s->nfac].id = id;
	s->fac[s->nfac].ou = ou;
	s->fac[s->nfac].kind = (int8_t)code_ix(&en_facility_kind, kind);
	s->fac[s->nfac].qualified = (int8_t)(qualified != 0);
	s->fac[s->nfac].qualified_since = qualified_since;
	s->nfac++;
	return 0;
}

int snap_finish(struct snap *s)
{
	for (int32_t i = 0; i < s->nous; i++)
		s->ous[i].first_child = s->ous[i].next_sibling = -1;
	/* children in reverse so that lists come out in id order */
	for (int32_t i = s->nous - 1; i >= 0; i--) {
		int32_t p = s->ous[i].parent ? map_get(s->ou_map, s->ous[i].parent) : -1;

		s->ous[i].parent_ix = p;
		if (p >= 0) {
			s->ous[i].next_sibling = s->ous[p].first_child;
			s->ous[p].first_child = i;
		}
	}
	return 0;
}

struct snap_person *snap_person_new(int64_t id, int64_t ou, const char *sex, int32_t dob)
{
	struct snap_person *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->id = id;
	p->ou = ou;
	p->dob = dob;
	p->female = sex && !strcmp(sex, "female");
	return p;
}

#define APPEND(arr, n, type)                                                 \
	do {                                                                 \
		if (grow((void **)&(arr), (n), sizeof(type)))                \
			return -1;                                           \
	} while (0)

int snap_person_cls(struct snap_person *p, const char *kind, int32_t from, int32_t to)
{
	int k = code_ix(&en_classification, kind);

	if (k < 0 || from == DATE_NONE || p->ncls == UINT16_MAX)
		return 0; /* not a fact the logic reads: skip rather than fail a load */
	APPEND(p->cls, p->ncls, struct snap_cls);
	p->cls[p->ncls++] = (struct snap_cls){from, to, (int8_t)k};
	return 0;
}

int snap_person_det(struct snap_person *p, int32_t date, int64_t facility, const char *result)
{
	if (date == DATE_NONE || p->ndet == UINT16_MAX)
		return 0;
	APPEND(p->det, p->ndet, struct snap_det);
	p->det[p->ndet++] = (struct snap_det){date, (int8_t)(result && !strcmp(result, "addicted")), facility};
	return 0;
}

int snap_person_rec(struct snap_person *p, const char *kind, int32_t opened, int32_t closed, int64_t managing_ou)
{
	int k = code_ix(&en_record_kind, kind);

	if (k < 0 || opened == DATE_NONE || p->nrec == UINT16_MAX)
		return 0;
	APPEND(p->rec, p->nrec, struct snap_rec);
	p->rec[p->nrec++] = (struct snap_rec){opened, closed, (int8_t)k, managing_ou};
	return 0;
}

int snap_person_test(struct snap_person *p, int32_t date, const char *kind, const char *result)
{
	int k = code_ix(&en_test_kind, kind), r = code_ix(&en_test_result, result);

	if (k < 0 || r < 0 || date == DATE_NONE || p->ntest == UINT32_MAX)
		return 0;
	if (p->ntest == p->cap_test || (!p->cap_test && p->ntest)) {
		uint32_t cap = p->ntest < 4 ? 4 : p->ntest * 2;
		struct snap_test *np = malloc((size_t)cap * sizeof(*np));

		if (!np)
			return -1;
		if (p->ntest)
			memcpy(np, p->test, (size_t)p->ntest * sizeof(*np));
		if (p->cap_test)
			free(p->test);
		p->test = np;
		p->cap_test = cap;
	}
	p->test[p->ntest++] = (struct snap_test){date, (int8_t)k, (int8_t)r};
	return 0;
}

int snap_person_treat(struct snap_person *p, const char *kind, int64_t facility, int32_t start,
		      int32_t planned_end, int32_t end, const char *outcome)
{
	int k = code_ix(&en_treatment_kind, kind), o = code_ix(&en_treatment_outcome, outcome);

	if (k < 0 || o < 0 || start == DATE_NONE || p->ntreat == UINT16_MAX)
		return 0;
	APPEND(p->treat, p->ntreat, struct snap_treat);
	p->treat[p->ntreat++] = (struct snap_treat){start, planned_end, end, (int8_t)k, (int8_t)o, facility};
	return 0;
}

int snap_person_res(struct snap_person *p, int64_t ou, int32_t from, int32_t to)
{
	if (ou <= 0 || to == DATE_NONE || p->nres == UINT16_MAX)
		return 0;
	APPEND(p->res, p->nres, struct snap_res);
	p->res[p->nres++] = (struct snap_res){from, to, ou};
	return 0;
}

static int link_push(struct snap_link **arr, int32_t *n, struct snap_link l)
{
	struct snap_link *np = realloc(*arr, (size_t)(*n + 1) * sizeof(**arr));

	if (!np)
		return -1;
	np[(*n)++] = l;
	*arr = np;
	return 0;
}

int snap_link_add(struct snap *s, int64_t from, int64_t to, const char *kind, int32_t effective)
{
	int32_t a = map_get(s->ou_map, from), b = map_get(s->ou_map, to);
	int8_t partial = (int8_t)(kind && !strcmp(kind, "partial"));

	if (a < 0 || b < 0)
		return 0;
	if (link_push(&s->ous[a].succ, &s->ous[a].nsucc, (struct snap_link){b, partial, effective}) ||
	    link_push(&s->ous[b].pred, &s->ous[b].npred, (struct snap_link){a, partial, effective}))
		return -1;
	return 0;
}

int snap_person_sup(struct snap_person *p, const char *kind, int32_t date)
{
	int k = code_ix(&en_support_kind, kind);

	if (k < 0 || date == DATE_NONE || p->nsup == UINT16_MAX)
		return 0;
	APPEND(p->sup, p->nsup, struct snap_sup);
	p->sup[p->nsup++] = (struct snap_sup){date, (int8_t)k};
	return 0;
}

static struct snap_ost *ost_of(struct snap_person *p)
{
	if (!p->ost)
		p->ost = calloc(1, sizeof(*p->ost));
	return p->ost;
}

int snap_person_dose(struct snap_person *p, int32_t date, const char *kind)
{
	struct snap_ost *o;

	if (date == DATE_NONE || !kind)
		return 0;
	if (!(o = ost_of(p)))
		return -1;
	if (o->ndose == UINT16_MAX)
		return 0;
	APPEND(o->dose, o->ndose, struct snap_dose);
	o->dose[o->ndose++] = (struct snap_dose){date, (int8_t)!strcmp(kind, "take_home")};
	return 0;
}

int snap_person_rx(struct snap_person *p, int32_t from, int32_t to)
{
	struct snap_ost *o;

	if (from == DATE_NONE || to == DATE_NONE)
		return 0;
	if (!(o = ost_of(p)))
		return -1;
	if (o->nrx == UINT16_MAX)
		return 0;
	APPEND(o->rx, o->nrx, struct snap_span);
	o->rx[o->nrx++] = (struct snap_span){from, to};
	return 0;
}

static int cmp_dose(const void *a, const void *b)
{
	const struct snap_dose *x = a, *y = b;

	return x->date != y->date ? (x->date < y->date ? -1 : 1) : x->take_home - y->take_home;
}

static int cmp_span(const void *a, const void *b)
{
	const struct snap_span *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->to < y->to ? -1 : x->to > y->to;
}

static int cmp_cls(const void *a, const void *b)
{
	const struct snap_cls *x = a, *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct snap_rec *x = a, *y = b;

	return x->opened < y->opened ? -1 : x->opened > y->opened;
}

static int cmp_det(const void *a, const void *b)
{
	const struct snap_det *x = a, *y = b;

	return x->date < y->date ? -1 : x->date > y->date;
}

static int cmp_treat(const void *a, const void *b)
{
	const struct snap_treat *x = a, *y = b;
	int rx = snap_residential(x), ry = snap_residential(y);

	/* a total order: on one start day a residential episode sorts last, so it decides */
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (rx != ry)
		return rx - ry;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->kind - y->kind;
}

static int cmp_sup(const void *a, const void *b)
{
	const struct snap_sup *x = a, *y = b;

	return x->date < y->date ? -1 : x->date > y->date;
}

/* Rank of a result on one day: the last test of a day is positive if any was, else invalid if
 * any was, else negative. A total order, so that the answer never depends on row order. */
static int result_rank(int r)
{
	return r == TR_POSITIVE ? 2 : r == TR_INVALID ? 1 : 0;
}

static int cmp_test(const void *a, const void *b)
{
	const struct snap_test *x = a, *y = b;

	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	if (result_rank(x->result) != result_rank(y->result))
		return result_rank(x->result) - result_rank(y->result);
	return x->kind - y->kind;
}

static int cmp_res(const void *a, const void *b)
{
	const struct snap_res *x = a, *y = b;

	return (x->to > y->to) - (x->to < y->to);
}

static void person_sort(struct snap_person *p)
{
	if (p->ncls > 1)
		qsort(p->cls, p->ncls, sizeof(*p->cls), cmp_cls);
	if (p->nrec > 1)
		qsort(p->rec, p->nrec, sizeof(*p->rec), cmp_rec);
	if (p->ndet > 1)
		qsort(p->det, p->ndet, sizeof(*p->det), cmp_det);
	if (p->ntreat > 1)
		qsort(p->treat, p->ntreat, sizeof(*p->treat), cmp_treat);
	if (p->nsup > 1)
		qsort(p->sup, p->nsup, sizeof(*p->sup), cmp_sup);
	if (p->ntest > 1)
		qsort(p->test, p->ntest, sizeof(*p->test), cmp_test);
	if (p->ost && p->ost->ndose > 1)
		qsort(p->ost->dose, p->ost->ndose, sizeof(*p->ost->dose), cmp_dose);
	if (p->ost && p->ost->nrx > 1)
		qsort(p->ost->rx, p->ost->nrx, sizeof(*p->ost->rx), cmp_span);
	if (p->nres > 1)
		qsort(p->res, p->nres, sizeof(*p->res), cmp_res);
}

int snap_slab_reserve(struct snap *s, size_t n)
{
	struct snap_test *np;

	if (s->slab || !n)
		return 0;
	if (!(np = malloc(n * sizeof(*np))))
		return -1;
	s->slab = np;
	s->slab_cap = n;
	s->slab_n = 0;
	return 0;
}

int snap_slab_test(struct snap *s, struct snap_person *p, int32_t date, const char *kind, const char *result)
{
	int k = code_ix(&en_test_kind, kind), r = code_ix(&en_test_result, result);

	if (k < 0 || r < 0 || date == DATE_NONE)
		return 0;
	/* the slab holds one contiguous run per person: start one, or extend the tail's */
	if (s->slab_n < s->slab_cap && p->ntest < UINT32_MAX &&
	    ((p->ntest == 0 && !p->test) || (s->slab_owner == p && !p->cap_test))) {
		if (p->ntest == 0) {
			p->test = s->slab + s->slab_n;
			s->slab_owner = p;
		}
		s->slab[s->slab_n++] = (struct snap_test){date, (int8_t)k, (int8_t)r};
		p->ntest++;
		return 0;
	}
	return snap_person_test(p, date, kind, result);
}

static void members_drop(struct snap *s, const struct snap_person *p, int32_t ix);
static int members_add(struct snap *s, const struct snap_person *p, int32_t ix);

void snap_sort_all(struct snap *s)
{
	for (int32_t i = 0; i < s->npersons; i++)
		if (s->persons[i]) {
			person_sort(s->persons[i]);
			/* past residences came after the person was put: make them members there too */
			if (s->persons[i]->nres) {
				members_drop(s, s->persons[i], i);
				(void)members_add(s, s->persons[i], i);
			}
		}
}

static int member_add(struct snap *s, int64_t ou, int32_t pix)
{
	int32_t o = map_get(s->ou_map, ou);
	struct snap_ou *u;

	if (o < 0)
		return 0;
	u = &s->ous[o];
	if (u->nmembers == u->cap_members) {
		int32_t cap = u->cap_members ? u->cap_members * 2 : 16;
		void *np = realloc(u->members, (size_t)cap * sizeof(*u->members));

		if (!np)
			return -1;
		u->members = np;
		u->cap_members = cap;
	}
	u->members[u->nmembers++] = pix;
	return 0;
}

static void member_drop(struct snap *s, int64_t ou, int32_t pix)
{
	int32_t o = map_get(s->ou_map, ou);
	struct snap_ou *u;

	if (o < 0)
		return;
	u = &s->ous[o];
	for (int32_t i = 0; i < u->nmembers; i++)
		if (u->members[i] == pix) {
			u->members[i] = u->members[--u->nmembers];
			return;
		}
}

/* The distinct units a person is a member of: the current residence and every past one. */
enum { UNITS_MAX = 64 };

static int person_units(const struct snap_person *p, int64_t u[UNITS_MAX])
{
	int n = 0;

	u[n++] = p->ou;
	for (uint16_t i = 0; i < p->nres && n < UNITS_MAX; i++) {
		int seen = 0;

		for (int k = 0; k < n && !seen; k++)
			seen = u[k] == p->res[i].ou;
		if (!seen)
			u[n++] = p->res[i].ou;
	}
	return n;
}

static void members_drop(struct snap *s, const struct snap_person *p, int32_t ix)
{
	int64_t u[UNITS_MAX];
	int n = person_units(p, u);

	for (int k = 0; k < n; k++)
		member_drop(s, u[k], ix);
}

static int members_add(struct snap *s, const struct snap_person *p, int32_t ix)
{
	int64_t u[UNITS_MAX];
	int n = person_units(p, u);

	for (int k = 0; k < n; k++)
		if (member_add(s, u[k], ix))
			return -1;
	return 0;
}

int snap_person_put(struct snap *s, struct snap_person *p)
{
	int32_t ix = map_get(s->person_map, p->id);

	person_sort(p);
	if (ix >= 0 && s->persons[ix]) {
		struct snap_person *old = s->persons[ix];

		if (old->ou != p->ou || old->nres || p->nres) {
			members_drop(s, old, ix);
			if (members_add(s, p, ix)) {
				members_drop(s, p, ix);
				s->persons[ix] = NULL;
				snap_person_free(old);
				snap_person_free(p);
				return -1;
			}
		}
		s->persons[ix] = p;
		snap_person_free(old);
		return 0;
	}
	if (ix < 0) {
		if (s->npersons == s->cap_persons) {
			int32_t cap = s->cap_persons ? s->cap_persons * 2 : 1024;
			void *np = realloc(s->persons, (size_t)cap * sizeof(*s->persons));

			if (!np) {
				snap_person_free(p);
				return -1;
			}
			s->persons = np;
			s->cap_persons = cap;
		}
		ix = s->npersons++;
		if (map_put(s->person_map, p->id, ix)) {
			s->npersons--;
			snap_person_free(p);
			return -1;
		}
	}
	s->persons[ix] = p;
	if (members_add(s, p, ix)) {
		members_drop(s, p, ix);
		s->persons[ix] = NULL;
		snap_person_free(p);
		return -1;
	}
	return 0;
}

struct snap_person *snap_person_mut(struct snap *s, int64_t id)
{
	int32_t ix = map_get(s->person_map, id);

	return ix >= 0 ? s->persons[ix] : NULL;
}

void snap_person_drop(struct snap *s, int64_t id)
{
	int32_t ix = map_get(s->person_map, id);

	if (ix < 0 || !s->persons[ix])
		return;
	members_drop(s, s->persons[ix], ix);
	snap_person_free(s->persons[ix]);
	s->persons[ix] = NULL; /* the slot stays mapped to the id: a re-insert reuses it */
}

int32_t snap_ou_ix(const struct snap *s, int64_t id)
{
	return map_get(s->ou_map, id);
}

const struct snap_person *snap_person_get(const struct snap *s, int64_t id)
{
	int32_t ix = map_get(s->person_map, id);

	return ix >= 0 ? s->persons[ix] : NULL;
}

int snap_ou_under(const struct snap *s, int32_t ix, int32_t root)
{
	for (int depth = 0; ix >= 0 && depth < 64; depth++, ix = s->ous[ix].parent_ix)
		if (ix == root)
			return 1;
	return 0;
}

int snap_in_force(const struct snap_ou *o, int32_t date)
{
	return (o->valid_from == DATE_NONE || o->valid_from <= date) && (o->valid_to == SNAP_OPEN || o->valid_to >= date);
}

int64_t snap_residence(const struct snap_person *p, int32_t date)
{
	for (uint16_t i = 0; i < p->nres; i++)
		if (date <= p->res[i].to)
			return p->res[i].ou;
	return p->ou;
}

int snap_communes(const struct snap *s, int32_t root, int32_t date,
		  int (*fn)(const struct snap *s, int32_t commune_ix, void *cls), void *cls)
{
	int32_t *stack, top = 0;
	int rc = 0;

	if (root < 0 || root >= s->nous)
		return 0;
	/* a province has both its closed districts and, since the reform, its communes directly below
	 * it: the stack is sized for the whole tree rather than a guess */
	if (!(stack = malloc((size_t)s->nous * sizeof(*stack))))
		return -1;
	stack[top++] = root;
	while (top > 0 && rc == 0) {
		int32_t i = stack[--top], first = top;
		const struct snap_ou *o = &s->ous[i];

		if (o->kind == OK_COMMUNE) {
			if (snap_in_force(o, date) && fn(s, i, cls))
				rc = -1;
			continue;
		}
		/* children pushed, then reversed, so that they are visited in list order */
		for (int32_t c = o->first_child; c >= 0 && top < s->nous; c = s->ous[c].next_sibling)
			stack[top++] = c;
		for (int32_t a = first, b = top - 1; a < b; a++, b--) {
			int32_t t = stack[a];

			stack[a] = stack[b];
			stack[b] = t;
		}
	}
	free(stack);
	return rc;
}

int snap_holds(const struct snap_person *p, int kind, int32_t date)
{
	for (uint16_t i = 0; i < p->ncls && p->cls[i].from <= date; i++)
		if (p->cls[i].kind == kind && p->cls[i].to >= date)
			return 1;
	return 0;
}

const struct snap_rec *snap_open_record(const struct snap_person *p, int kind, int32_t date)
{
	const struct snap_rec *best = NULL;

	/* open on D: opened on or before D and not closed by D (a record closed on D is over) */
	for (uint16_t i = 0; i < p->nrec && p->rec[i].opened <= date; i++)
		if ((kind < 0 || p->rec[i].kind == kind) && p->rec[i].closed > date)
			best = &p->rec[i];
	return best;
}

const struct snap_test *snap_latest_test(const struct snap_person *p, int32_t date)
{
	uint32_t lo = 0, hi = p->ntest;

	while (lo < hi) { /* first test after date */
		uint32_t mid = lo + (hi - lo) / 2;

		if (p->test[mid].date <= date)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &p->test[lo - 1] : NULL;
}

const struct snap_treat *snap_active_treatment(const struct snap_person *p, int32_t date)
{
	const struct snap_treat *best = NULL;

	for (uint16_t i = 0; i < p->ntreat && p->treat[i].start <= date; i++)
		if (p->treat[i].end >= date && p->treat[i].outcome != TO_DIED)
			best = &p->treat[i];
	return best;
}

int snap_residential(const struct snap_treat *t)
{
	return t && (t->kind == TX_COMPULSORY_FACILITY || t->kind == TX_VOLUNTARY_FACILITY);
}
