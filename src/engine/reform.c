/* reform.c: applying a reform mapping to the store (engine/reform.h). The store's org units are read
 * once into memory (ten thousand rows) and resolved there; new units go through ent_validate and
 * ops->insert like any API write; closings, links and moves are batched (ou_close, ou_links,
 * residence_move), all in the caller's transaction. */
#include "engine/reform.h"

#include <stdlib.h>
#include <string.h>

#include "util/date.h"
#include "util/text.h"

/* ---- the store's units, by code -------------------------------------------------------------- */

struct units {
	struct ou_info *v; /* sorted by code */
	size_t n, cap;
};

static int cmp_code(const void *a, const void *b)
{
	return strcmp(((const struct ou_info *)a)->code, ((const struct ou_info *)b)->code);
}

static int units_load(struct store *s, struct units *u, struct pcmt_err *err)
{
	struct store_query q;
	json_t *items = NULL, *it;
	int64_t total = 0;
	size_t i;

	memset(&q, 0, sizeof(q));
	q.as_of = DATE_NONE;
	q.limit = 1000;
	for (q.offset = 0;; q.offset += q.limit) {
		if (s->ops->list(s, &ent_orgunits, &q, &items, &total, err))
			return -1;
		json_array_foreach(items, i, it) {
			struct ou_info *o;
			const char *vf = json_string_value(json_object_get(it, "valid_from"));
			const char *vt = json_string_value(json_object_get(it, "valid_to"));

			if (u->n == u->cap) {
				size_t cap = u->cap ? u->cap * 2 : 16384;
				void *np = realloc(u->v, cap * sizeof(*u->v));

				if (!np) {
					json_decref(items);
					return err_set(err, ERR_INTERNAL, NULL, "out of memory");
				}
				u->v = np;
				u->cap = cap;
			}
			o = &u->v[u->n++];
			memset(o, 0, sizeof(*o));
			o->id = json_integer_value(json_object_get(it, "id"));
			snprintf(o->code, sizeof(o->code), "%s", json_string_value(json_object_get(it, "code")));
			snprintf(o->kind, sizeof(o->kind), "%s", json_string_value(json_object_get(it, "kind")));
			snprintf(o->name, sizeof(o->name), "%s", json_string_value(json_object_get(it, "name")));
			o->parent_id = json_integer_value(json_object_get(it, "parent_id"));
			if (!vf || date_parse(vf, &o->valid_from))
				o->valid_from = DATE_NONE;
			if (!vt || date_parse(vt, &o->valid_to))
				o->valid_to = DATE_NONE;
		}
		i = json_array_size(items);
		json_decref(items);
		items = NULL;
		if (i == 0 || q.offset + (int64_t)i >= total)
			break;
	}
	if (u->n)
		qsort(u->v, u->n, sizeof(*u->v), cmp_code);
	return 0;
}

static int in_force(const struct ou_info *o, int32_t d)
{
	return (o->valid_from == DATE_NONE || o->valid_from <= d) && (o->valid_to == DATE_NONE || o->valid_to >= d);
}

/* A unit with `code` whose kind passes ok() and that is in force on d (valid_from == d when exact). */
static struct ou_info *find(struct units *u, const char *code, int32_t d, int exact_from, int (*ok)(const char *kind))
{
	size_t lo = 0, hi = u->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(u->v[mid].code, code) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < u->n && !strcmp(u->v[lo].code, code); lo++) {
		struct ou_info *o = &u->v[lo];

		if (ok(o->kind) && (exact_from ? o->valid_from == d : in_force(o, d)))
			return o;
	}
	return NULL;
}

static struct ou_info *find_any(struct units *u, const char *code)
{
	size_t lo = 0, hi = u->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(u->v[mid].code, code) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < u->n && !strcmp(u->v[lo].code, code) ? &u->v[lo] : NULL;
}

static int is_province(const char *k) { return !strcmp(k, "province"); }
static int is_commune(const char *k) { return !strcmp(k, "commune"); }
static int is_nation(const char *k) { return !strcmp(k, "nation"); }
/* an old commune, or one of the island districts that had no communes */
static int is_local(const char *k) { return !strcmp(k, "commune") || !strcmp(k, "district"); }

static int same_name(const char *a, const char *b)
{
	char *fa = text_fold(a), *fb = text_fold(b);
	int same = fa && fb && !strcmp(fa, fb);

	free(fa);
	free(fb);
	return same;
}

/* ---- the application ------------------------------------------------------------------------- */

/* One merge, resolved: old unit -> new unit. */
struct old {
	struct ou_info *oi;
	int64_t new_id;
	int partial;
	size_t unit;        /* index of the new unit in the mapping */
};

/* Resolves every merge's old unit as in force the day before; names what is unknown. */
static int resolve(struct units *u, const struct reform_map *m, int32_t eff, struct old *old, struct pcmt_err *err)
{
	char bad[sizeof(err->message) - 120] = "", d[DATE_BUFSZ];
	size_t nbad = 0, used = 0;

	for (size_t k = 0; k < m->nu; k++) {
		const struct reform_unit *nu = &m->u[k];

		for (size_t j = nu->first; j < nu->first + nu->n; j++) {
			const struct reform_merge *x = &m->m[j];
			struct old *o = &old[j];
			const char *why = NULL;

			o->partial = x->partial;
			o->unit = k;
			o->oi = find(u, x->old_code, eff - 1, 0, nu->level == 1 ? is_province : is_local);
			if (!o->oi)
				why = find_any(u, x->old_code) ? "not in force then" : "no such unit";
			else if (x->old_name && !same_name(x->old_name, o->oi->name))
				why = o->oi->name;
			if (!why)
				continue;
			if (nbad++ < 8 && used + 80 < sizeof(bad))
				used += (size_t)snprintf(bad + used, sizeof(bad) - used, "%s%s%s%s (%s)", nbad > 1 ? ", " : "",
							 x->old_code, x->old_name ? " " : "", x->old_name ? x->old_name : "", why);
		}
	}
	if (nbad)
		return err_set(err, ERR_INVALID, "mapping", "%zu old unit%s of the mapping do%s not exist on %s: %s%s", nbad,
			       nbad > 1 ? "s" : "", nbad > 1 ? "" : "es", date_format(eff - 1, d), bad, nbad > 8 ? ", ..." : "");
	return 0;
}

static int insert_unit(struct store *s, const struct ent_ctx *ctx, const struct reform_unit *u, int64_t parent,
		       int32_t eff, int64_t *id, struct pcmt_err *err)
{
	json_t *in, *rec = NULL, *out = NULL;
	char d[DATE_BUFSZ];
	int rc = -1;

	in = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "code", u->code, "name", u->name, "kind",
		       u->level == 1 ? "province" : "commune", "type_name", u->type_name, "parent_id", (json_int_t)parent,
		       "valid_from", date_format(eff, d));
	if (!in)
		return err_set(err, ERR_INVALID, "name", "%s: name is not valid UTF-8", u->where);
	if (ent_validate(&ent_orgunits, ctx, in, 0, &rec, err) == 0 &&
	    s->ops->insert(s, &ent_orgunits, NULL, rec, &out, err) == 0) {
		*id = json_integer_value(json_object_get(out, "id"));
		rc = 0;
	}
	json_decref(in);
	json_decref(rec);
	json_decref(out);
	return rc;
}

static int cmp_old(const void *a, const void *b)
{
	const struct old *x = *(const struct old *const *)a, *y = *(const struct old *const *)b;

	return (x->oi->id > y->oi->id) - (x->oi->id < y->oi->id);
}

/* Growing id arrays for the batched writes. */
struct ids {
	int64_t *a, *b;
	int8_t *k;
	size_t n, cap;
};

static int ids_push(struct ids *v, int64_t a, int64_t b, int k)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 1024;
		int64_t *na = realloc(v->a, cap * sizeof(*na)), *nb;
		int8_t *nk;

		if (!na)
			return -1;
		v->a = na;
		if (!(nb = realloc(v->b, cap * sizeof(*nb))))
			return -1;
		v->b = nb;
		if (!(nk = realloc(v->k, cap * sizeof(*nk))))
			return -1;
		v->k = nk;
		v->cap = cap;
	}
	v->a[v->n] = a;
	v->b[v->n] = b;
	v->k[v->n++] = (int8_t)k;
	return 0;
}

static void ids_free(struct ids *v)
{
	free(v->a);
	free(v->b);
	free(v->k);
}

int reform_apply(struct store *s, const struct ent_ctx *ctx, const struct reform_map *m, int32_t eff,
		 FILE *changes, struct reform_counts *c, struct pcmt_err *err)
{
	struct units u = {0};
	struct old *old = calloc(m->nm + 1, sizeof(*old)), **by_old = calloc(m->nm + 1, sizeof(*by_old));
	int64_t *new_id = calloc(m->nu + 1, sizeof(*new_id)), closed = 0;
	int *kept = calloc(m->nu + 1, sizeof(*kept)), *fresh = calloc(m->nu + 1, sizeof(*fresh));
	struct ids links = {0}, close = {0}, moves = {0}, split = {0};
	struct ou_info *nation;
	json_t *pend = NULL, *e;
	char d[DATE_BUFSZ];
	size_t i;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (!old || !by_old || !new_id || !kept || !fresh) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (units_load(s, &u, err) || resolve(&u, m, eff, old, err))
		goto out;
	if (!(nation = find(&u, "VN", eff, 0, is_nation))) {
		err_set(err, ERR_INVALID, "mapping", "no nation unit VN: import the units before the reform");
		goto out;
	}
	/* new units, provinces first (the mapping lists them first) */
	for (size_t k = 0; k < m->nu; k++) {
		const struct reform_unit *nu = &m->u[k];
		const struct old *o = &old[nu->first];
		struct ou_info *there;
		int64_t parent = nation->id;

		if (nu->level == 1 && nu->n == 1 && !o->partial && !strcmp(o->oi->code, nu->code)) {
			/* the same province goes on: same unit, same id, its subtree's scope unchanged */
			new_id[k] = o->oi->id;
			kept[k] = 1;
			c->provinces_kept++;
			if (changes)
				fprintf(changes, "keep\tprovince\t%s\t%s\n", nu->code, o->oi->name);
			continue;
		}
		if ((there = find(&u, nu->code, eff, 1, nu->level == 1 ? is_province : is_commune))) {
			new_id[k] = there->id; /* applied before */
			c->units_existing++;
			continue;
		}
		if (nu->level == 3)
			for (size_t j = 0; j < m->nprov; j++)
				if (!strcmp(m->u[j].code, nu->parent))
					parent = new_id[j];
		if (insert_unit(s, ctx, nu, parent, eff, &new_id[k], err))
			goto out;
		fresh[k] = 1;
		if (nu->level == 1)
			c->provinces_created++;
		else
			c->communes_created++;
		if (changes)
			fprintf(changes, "create\t%s\t%s\t%s\n", nu->level == 1 ? "province" : "commune", nu->code, nu->name);
	}
	/* succession links (identical ones already there are left alone) */
	for (size_t k = 0; k < m->nu; k++) {
		for (size_t j = m->u[k].first; j < m->u[k].first + m->u[k].n; j++) {
			old[j].new_id = new_id[k];
			if (kept[k])
				continue;
			if (ids_push(&links, old[j].oi->id, new_id[k], old[j].partial))
				goto oom;
			c->links_added += fresh[k];
		}
	}
	if (s->ops->ou_links(s, links.a, links.b, links.k, links.n, eff, err))
		goto out;
	/* old units, each once: closed; residents moved when it went whole into one unit */
	for (i = 0; i < m->nm; i++)
		by_old[i] = &old[i];
	qsort(by_old, m->nm, sizeof(*by_old), cmp_old);
	for (size_t a = 0, b; a < m->nm; a = b) {
		const struct old *o = by_old[a];

		for (b = a + 1; b < m->nm && by_old[b]->oi->id == o->oi->id; b++)
			;
		if (o->new_id == o->oi->id) /* a province that goes on */
			continue;
		if (o->oi->valid_to == DATE_NONE) {
			if (ids_push(&close, o->oi->id, 0, 0))
				goto oom;
			if (is_province(o->oi->kind))
				c->provinces_closed++;
			else if (is_commune(o->oi->kind))
				c->communes_closed++;
			else /* an island district become a special zone */
				c->districts_closed++;
			if (changes) {
				fprintf(changes, "close\t%s\t%s\t%s\t->", o->oi->kind, o->oi->code, o->oi->name);
				for (size_t k = a; k < b; k++)
					fprintf(changes, " %s %s (%s)", m->u[by_old[k]->unit].code, m->u[by_old[k]->unit].name,
						by_old[k]->partial ? "partial" : "full");
				fprintf(changes, "\n");
			}
		} else if (o->oi->valid_to != eff - 1) {
			err_set(err, ERR_CONFLICT, "mapping", "unit %s (%s) already closes on %s", o->oi->code, o->oi->name,
				date_format(o->oi->valid_to, d));
			goto out;
		}
		if (is_province(o->oi->kind))
			continue;
		if (b - a == 1 && !o->partial) {
			if (ids_push(&moves, o->oi->id, o->new_id, 0))
				goto oom;
		} else {
			if (ids_push(&split, o->oi->id, 0, (int)(b - a)))
				goto oom;
			c->split_units++;
		}
	}
	/* the other districts of every old province go: the reform removed the level */
	for (i = 0; i < u.n; i++) {
		const struct ou_info *o = &u.v[i];
		int under = 0;

		if (strcmp(o->kind, "district") || o->valid_to != DATE_NONE || !in_force(o, eff - 1))
			continue;
		for (size_t k = 0; k < m->nprov && !under; k++)
			for (size_t j = m->u[k].first; j < m->u[k].first + m->u[k].n && !under; j++)
				under = old[j].oi->id == o->parent_id;
		if (!under)
			continue;
		for (size_t k = 0; k < close.n && under; k++)
			under = close.a[k] != o->id;
		if (!under)
			continue;
		if (ids_push(&close, o->id, 0, 0))
			goto oom;
		c->districts_closed++;
		if (changes)
			fprintf(changes, "close\tdistrict\t%s\t%s\n", o->code, o->name);
	}
	if (s->ops->ou_close(s, close.a, close.n, eff - 1, &closed, err))
		goto out;
	if (changes) { /* one unit at a time, to say how many persons each one moves */
		for (i = 0; i < moves.n; i++) {
			int64_t n = 0;

			if (s->ops->residence_move(s, NULL, 0, &moves.a[i], &moves.b[i], 1, eff, "reform", &n, err))
				goto out;
			c->persons_moved += n;
			if (n)
				fprintf(changes, "move\t%lld persons\t%lld -> %lld\tfrom %s\n", (long long)n, (long long)moves.a[i],
					(long long)moves.b[i], date_format(eff, d));
		}
	} else {
		int64_t n = 0;

		if (s->ops->residence_move(s, NULL, 0, moves.a, moves.b, moves.n, eff, "reform", &n, err))
			goto out;
		c->persons_moved = n;
	}
	/* the residents of split units stay where they were: listed for re-assignment */
	if (split.n) {
		if (s->ops->reassign_pending(s, 0, eff, &pend, err))
			goto out;
		json_array_foreach(pend, i, e) {
			int64_t res = json_integer_value(json_object_get(json_object_get(e, "residence"), "id"));

			for (size_t k = 0; k < split.n; k++)
				if (split.a[k] == res) {
					c->persons_pending++;
					if (changes)
						fprintf(changes, "pending\tperson %lld\t%s %s\tsplit: re-assign\n",
							(long long)json_integer_value(json_object_get(e, "person_id")),
							json_string_value(json_object_get(json_object_get(e, "residence"), "code")),
							json_string_value(json_object_get(json_object_get(e, "residence"), "name")));
					break;
				}
		}
	}
	rc = 0;
	goto out;
oom:
	err_set(err, ERR_INTERNAL, NULL, "out of memory");
out:
	json_decref(pend);
	ids_free(&links);
	ids_free(&close);
	ids_free(&moves);
	ids_free(&split);
	free(u.v);
	free(old);
	free(by_old);
	free(new_id);
	free(kept);
	free(fresh);
	return rc;
}
