/* opimg.c: the operations image (opimg.h): growable arrays filled from stored rows, the JSON lists
 * (status history, seizures, stages) reduced to the dates and quantities the indicators read, and
 * the population lookup. */
#include "domain/opimg.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "domain/snap.h"
#include "util/date.h"

struct op_image *op_image_new(void)
{
	return calloc(1, sizeof(struct op_image));
}

void op_image_free(struct op_image *img)
{
	if (!img)
		return;
	free(img->hot);
	free(img->cases);
	free(img->plants);
	free(img->comm);
	free(img->pop);
	free(img);
}

/* Room for one more element in *arr (of size sz), doubling. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
	size_t nc;
	void *np;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 64;
	if (!(np = realloc(*arr, nc * sz)))
		return -1;
	*arr = np;
	*cap = nc;
	return 0;
}

static int code_ix(const struct enum_def *en, const char *code)
{
	for (int i = 0; code && i < en->n; i++)
		if (!strcmp(en->vals[i].code, code))
			return i;
	return -1;
}

static int32_t item_date(json_t *it)
{
	int32_t d;
	const char *s = json_string_value(json_object_get(it, "date"));

	return s && date_parse(s, &d) == 0 ? d : DATE_NONE;
}

int op_hotspot_add(struct op_image *img, int64_t id, int64_t ou, const char *kind, const char *venue,
		   int32_t discovered, const char *history_json)
{
	struct op_hotspot *h;
	json_t *hist = history_json ? json_loads(history_json, 0, NULL) : NULL, *it;
	size_t i;

	if (grow((void **)&img->hot, &img->cap_hot, img->nhot, sizeof(*h))) {
		json_decref(hist);
		return -1;
	}
	h = &img->hot[img->nhot++];
	memset(h, 0, sizeof(*h));
	h->id = id;
	h->ou = ou;
	h->kind = (int8_t)code_ix(&en_hotspot_kind, kind);
	h->venue = (int8_t)code_ix(&en_venue_kind, venue);
	h->discovered = discovered;
	h->transforming = h->eliminated = SNAP_OPEN;
	json_array_foreach(hist, i, it) {
		int st = code_ix(&en_hotspot_status, json_string_value(json_object_get(it, "status")));
		int32_t d = item_date(it);

		if (d == DATE_NONE)
			continue;
		if (st == HS_UNDER_TRANSFORMATION)
			h->transforming = d;
		else if (st == HS_ELIMINATED)
			h->eliminated = d;
	}
	json_decref(hist);
	return 0;
}

int op_case_add(struct op_image *img, int64_t id, int64_t ou, int32_t detected, const char *force, const char *route,
		int organised, int transnational, int64_t suspects, int64_t ringleaders, const char *seizures_json,
		const char *stages_json)
{
	struct op_case *c;
	json_t *sz = seizures_json ? json_loads(seizures_json, 0, NULL) : NULL;
	json_t *stg = stages_json ? json_loads(stages_json, 0, NULL) : NULL, *it;
	size_t i;

	if (grow((void **)&img->cases, &img->cap_cases, img->ncases, sizeof(*c))) {
		json_decref(sz);
		json_decref(stg);
		return -1;
	}
	c = &img->cases[img->ncases++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->ou = ou;
	c->detected = detected;
	c->force = (int8_t)code_ix(&en_case_force, force);
	c->route = (int8_t)code_ix(&en_case_route, route);
	c->organised = organised != 0;
	c->transnational = transnational != 0;
	c->suspects = (int32_t)suspects;
	c->ringleaders = (int32_t)ringleaders;
	for (int k = 0; k < CS_N; k++)
		c->stage[k] = SNAP_OPEN;
	c->stage[CS_DETECTED] = detected; /* a recorded case was detected, listed as a stage or not */
	json_array_foreach(sz, i, it) {
		int s = code_ix(&en_seized_substance, json_string_value(json_object_get(it, "substance")));

		if (s >= 0)
			c->seized[s] += json_number_value(json_object_get(it, "quantity"));
	}
	json_array_foreach(stg, i, it) {
		int s = code_ix(&en_case_stage, json_string_value(json_object_get(it, "stage")));
		int32_t d = item_date(it);

		if (s < 0 || d == DATE_NONE)
			continue;
		c->stage[s] = d;
		if (s == CS_TRIED && json_is_true(json_object_get(it, "mobile_trial")))
			c->mobile_trial = 1;
	}
	json_decref(sz);
	json_decref(stg);
	return 0;
}

int op_plant_add(struct op_image *img, int64_t id, int64_t ou, const char *plant, int32_t detected, int32_t eradicated,
		 int64_t area_m2, int64_t plants, int replanted)
{
	struct op_plant *p;

	if (grow((void **)&img->plants, &img->cap_plants, img->nplants, sizeof(*p)))
		return -1;
	p = &img->plants[img->nplants++];
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->ou = ou;
	p->plant = (int8_t)code_ix(&en_plant_kind, plant);
	p->detected = detected;
	p->eradicated = eradicated == DATE_NONE ? SNAP_OPEN : eradicated;
	p->area_m2 = area_m2;
	p->plants = plants;
	p->replanted = replanted != 0;
	return 0;
}

int op_comm_add(struct op_image *img, int64_t id, int64_t ou, int32_t date, const char *form, const char *audience,
		int64_t participants, int64_t commitments)
{
	struct op_comm *c;

	if (grow((void **)&img->comm, &img->cap_comm, img->ncomm, sizeof(*c)))
		return -1;
	c = &img->comm[img->ncomm++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->ou = ou;
	c->date = date;
	c->form = (int8_t)code_ix(&en_comm_form, form);
	c->audience = (int8_t)code_ix(&en_comm_audience, audience);
	c->participants = participants;
	c->commitments = commitments;
	return 0;
}

int op_pop_add(struct op_image *img, int64_t id, int64_t ou, int32_t year, int64_t population)
{
	struct op_pop *p;

	if (grow((void **)&img->pop, &img->cap_pop, img->npop, sizeof(*p)))
		return -1;
	p = &img->pop[img->npop++];
	p->id = id;
	p->ou = ou;
	p->year = year;
	p->population = population;
	return 0;
}

static int cmp_pop(const void *a, const void *b)
{
	const struct op_pop *x = a, *y = b;

	if (x->ou != y->ou)
		return x->ou < y->ou ? -1 : 1;
	return (x->year > y->year) - (x->year < y->year);
}

void op_image_finish(struct op_image *img)
{
	if (img->npop > 1)
		qsort(img->pop, img->npop, sizeof(*img->pop), cmp_pop);
}

int op_population(const struct op_image *img, int64_t ou, int year, int64_t *out)
{
	size_t lo = 0, hi = img ? img->npop : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct op_pop *p = &img->pop[mid];

		if (p->ou < ou || (p->ou == ou && p->year < year))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (img && lo < img->npop && img->pop[lo].ou == ou && img->pop[lo].year == year) {
		*out = img->pop[lo].population;
		return 1;
	}
	return 0;
}

int op_hotspot_status(const struct op_hotspot *h, int32_t date)
{
	if (date < h->discovered)
		return -1;
	if (h->eliminated <= date)
		return HS_ELIMINATED;
	if (h->transforming <= date)
		return HS_UNDER_TRANSFORMATION;
	return HS_ACTIVE;
}

size_t op_count(const struct op_image *img, enum op_kind k)
{
	if (!img)
		return 0;
	switch (k) {
	case OPK_HOTSPOT: return img->nhot;
	case OPK_CASE: return img->ncases;
	case OPK_PLANT: return img->nplants;
	case OPK_COMM: return img->ncomm;
	case OPK_POP: return img->npop;
	default: return 0;
	}
}

const void *op_item(const struct op_image *img, enum op_kind k, size_t i)
{
	switch (k) {
	case OPK_HOTSPOT: return &img->hot[i];
	case OPK_CASE: return &img->cases[i];
	case OPK_PLANT: return &img->plants[i];
	case OPK_COMM: return &img->comm[i];
	case OPK_POP: return &img->pop[i];
	default: return NULL;
	}
}

int64_t op_item_ou(const struct op_image *img, enum op_kind k, size_t i)
{
	switch (k) {
	case OPK_HOTSPOT: return img->hot[i].ou;
	case OPK_CASE: return img->cases[i].ou;
	case OPK_PLANT: return img->plants[i].ou;
	case OPK_COMM: return img->comm[i].ou;
	case OPK_POP: return img->pop[i].ou;
	default: return 0;
	}
}

int op_table(const char *table)
{
	static const char *const tables[] = {"hotspot", "drug_case", "plant_site", "communication_activity", "ou_population"};

	for (size_t i = 0; table && i < sizeof(tables) / sizeof(tables[0]); i++)
		if (!strcmp(table, tables[i]))
			return 1;
	return 0;
}
