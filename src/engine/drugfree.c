/* drugfree.c: runs crit_eval over the communes under a unit and shapes the answer (drugfree.h).
 * Units are those in force on the date; a unit formed by the 2025 reform, asked for a date before
 * it existed, is evaluated over the units it was formed from (docs/reform.md). */
#include "engine/drugfree.h"

#include "domain/suppress.h"

#include <stdlib.h>
#include <string.h>

#include "domain/criteria.h"
#include "domain/entity.h"
#include "util/date.h"

struct walk {
	const struct crit_params *cp;
	int32_t date;
	struct crit_result *res;
	int32_t n, cap;
	int oom;
};

static int walk_fn(const struct snap *s, int32_t ci, void *cls)
{
	struct walk *w = cls;

	if (w->n == w->cap) {
		int32_t cap = w->cap ? w->cap * 2 : 64;
		void *np = realloc(w->res, (size_t)cap * sizeof(*w->res));

		if (!np) {
			w->oom = 1;
			return -1;
		}
		w->res = np;
		w->cap = cap;
	}
	if (crit_eval(s, ci, w->date, w->cp, &w->res[w->n])) {
		crit_result_free(&w->res[w->n]);
		w->oom = 1;
		return -1;
	}
	w->n++;
	return 0;
}

/* A unit evaluated as the set of units it was formed from (crit_eval_set). */
static int walk_set(const struct snap *s, int32_t ci, const int32_t *units, int n, struct walk *w)
{
	if (!(w->res = calloc(1, sizeof(*w->res))))
		return -1;
	w->cap = 1;
	if (crit_eval_set(s, ci, units, n, w->date, w->cp, &w->res[0])) {
		crit_result_free(&w->res[0]);
		return -1;
	}
	w->n = 1;
	return 0;
}

/* The units in force on a date that a unit was formed from, followed back through successive
 * reforms; partial when any link on the way was. */
struct formed {
	int32_t *ix;
	int8_t *part;
	int32_t n, cap;
	int partial, oom;
};

static int formed_from(const struct snap *s, int32_t ix, int32_t date, int partial, int depth, struct formed *f)
{
	const struct snap_ou *o = &s->ous[ix];

	for (int32_t k = 0; k < o->npred; k++) {
		int32_t p = o->pred[k].ix;
		int part = partial || o->pred[k].partial, seen = 0;

		if (!snap_in_force(&s->ous[p], date)) {
			/* older still: its own predecessors, a few reforms deep at most */
			if (s->ous[p].valid_from != DATE_NONE && s->ous[p].valid_from > date && depth < 8 &&
			    formed_from(s, p, date, part, depth + 1, f))
				return -1;
			continue;
		}
		for (int32_t i = 0; i < f->n && !seen; i++)
			if (f->ix[i] == p) {
				seen = 1;
				f->part[i] |= (int8_t)(part != 0);
			}
		if (seen)
			continue;
		if (f->n == f->cap) {
			int32_t cap = f->cap ? f->cap * 2 : 16;
			int32_t *ni = realloc(f->ix, (size_t)cap * sizeof(*ni));
			int8_t *np;

			if (!ni) {
				f->oom = 1;
				return -1;
			}
			f->ix = ni;
			if (!(np = realloc(f->part, (size_t)cap * sizeof(*np)))) {
				f->oom = 1;
				return -1;
			}
			f->part = np;
			f->cap = cap;
		}
		f->ix[f->n] = p;
		f->part[f->n++] = (int8_t)(part != 0);
		f->partial |= part != 0;
	}
	return 0;
}

static json_t *ou_json(const struct snap_ou *o)
{
	return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)o->id, "code", o->code, "name", o->name, "kind",
			 o->kind >= 0 ? en_ou_kind.vals[o->kind].code : "");
}

/* Persons who on date still reside in a unit closed before it that went (partly) into commune ci:
 * they await re-assignment and count in no commune until an officer places them. */
static int pending_in(const struct snap *s, int32_t ci, int32_t date)
{
	const struct snap_ou *c = &s->ous[ci];
	int n = 0;

	for (int32_t k = 0; k < c->npred; k++) {
		const struct snap_ou *o = &s->ous[c->pred[k].ix];

		if (o->valid_to == SNAP_OPEN || o->valid_to >= date)
			continue;
		for (int32_t i = 0; i < o->nmembers; i++) {
			const struct snap_person *p = s->persons[o->members[i]];

			n += p && snap_residence(p, date) == o->id;
		}
	}
	return n;
}

/* Pending persons over the evaluated communes, each closed unit counted once. */
static int pending_under(const struct snap *s, const struct walk *w, int32_t date)
{
	uint8_t *seen = calloc((size_t)s->nous + 1, 1);
	int n = 0;

	if (!seen)
		return 0;
	for (int32_t i = 0; i < w->n; i++) {
		const struct snap_ou *c = &s->ous[w->res[i].commune_ix];

		for (int32_t k = 0; k < c->npred; k++) {
			const struct snap_ou *o = &s->ous[c->pred[k].ix];

			if (o->valid_to == SNAP_OPEN || o->valid_to >= date || seen[c->pred[k].ix])
				continue;
			seen[c->pred[k].ix] = 1;
			for (int32_t m = 0; m < o->nmembers; m++) {
				const struct snap_person *p = s->persons[o->members[m]];

				n += p && snap_residence(p, date) == o->id;
			}
		}
	}
	free(seen);
	return n;
}

static json_t *link_json(const struct snap *s, const struct snap_link *l)
{
	json_t *j = ou_json(&s->ous[l->ix]);

	json_object_set_new(j, "link", json_string(l->partial ? "partial" : "full"));
	return j;
}

static json_t *commune_json(const struct snap *s, const struct crit_result *r, struct store *st,
			    const struct drugfree_opts *o)
{
	json_t *c = ou_json(&s->ous[r->commune_ix]), *crit = json_array(), *fails = json_array();
	char buf[256];
	int pend = pending_in(s, r->commune_ix, r->date);

	if (pend)
		json_object_set_new(c, "awaiting_reassignment", json_integer(pend));

	json_object_set_new(c, "drug_free", json_boolean(r->pass));
	json_array_append_new(crit, json_pack("{s:i, s:b, s:{s:i, s:i, s:i, s:i, s:i, s:i}}", "criterion", 1, "pass",
					      r->pass_c[0], "counts", "addicts", r->addicts, "with_record",
					      r->addicts_recorded, "in_treatment", r->addicts_treated, "in_community",
					      r->addicts_in_community, "tested_negative", r->addicts_tested_ok,
					      "undetected", 0));
	json_array_append_new(crit, json_pack("{s:i, s:b, s:{s:i, s:i, s:i}}", "criterion", 2, "pass", r->pass_c[1],
					      "counts", "persons", r->users, "with_record", r->users_recorded,
					      "tested_negative", r->users_tested_ok));
	json_array_append_new(crit, json_pack("{s:i, s:b, s:{s:i, s:i, s:i, s:i}}", "criterion", 3, "pass",
					      r->pass_c[2], "counts", "persons", r->post_rehab, "with_record",
					      r->post_rehab_recorded, "tested_periodic_and_sudden", r->post_rehab_tested,
					      "supported", r->post_rehab_supported));
	/* undetected persons count under the criterion their failure names */
	json_object_set_new(json_object_get(json_array_get(crit, 0), "counts"), "undetected", json_integer(0));
	for (int i = 0; i < r->nfails; i++) {
		const struct crit_fail *f = &r->fails[i];
		json_t *j = json_object();
		char d[DATE_BUFSZ];

		json_object_set_new(j, "criterion", json_integer(f->criterion));
		if (f->person_id) {
			json_object_set_new(j, "person_id", json_integer(f->person_id));
			if (o->names) {
				json_t *p = NULL;
				struct pcmt_err e2;

				err_clear(&e2);
				if (st->ops->get(st, &ent_persons, o->scope, f->person_id, &p, &e2) == 0)
					json_object_set(j, "full_name", json_object_get(p, "full_name"));
				json_decref(p);
			}
		}
		json_object_set_new(j, "classification",
				    f->classification >= 0 ? json_string(en_classification.vals[f->classification].code)
							   : json_null());
		json_object_set_new(j, "reason_code", json_string(crit_reason_code(f->reason)));
		crit_reason_text(f, 0, buf, sizeof(buf));
		json_object_set_new(j, "reason", json_string(buf));
		crit_reason_text(f, 1, buf, sizeof(buf));
		json_object_set_new(j, "reason_vi", json_string(buf));
		if (f->date != DATE_NONE)
			json_object_set_new(j, "date", json_string(date_format(f->date, d)));
		if (f->reason == CR_CEILING) {
			json_object_set_new(j, "value", json_integer(f->value));
			json_object_set_new(j, "limit", json_integer(f->limit));
		}
		json_array_append_new(fails, j);
	}
	{
		int und = 0;

		for (int i = 0; i < r->nfails; i++)
			und += r->fails[i].reason == CR_UNCLASSIFIED_DETERMINED || r->fails[i].reason == CR_UNCLASSIFIED_POSITIVE;
		json_object_set_new(json_object_get(json_array_get(crit, 0), "counts"), "undetected", json_integer(und));
	}
	json_object_set_new(c, "criteria", crit);
	if (o->aggregate_only)
		json_decref(fails); /* one row per person, even without a name, is not an aggregate */
	else
		json_object_set_new(c, "failures", fails);
	return c;
}

/* Small cells in one commune's counts (drugfree_opts.suppress). Each criterion's counts are a base
 * (addicts, persons) and subsets of it; "undetected" stands apart. A subset and its complement add
 * up to the base, and the complement, though not printed, is worked out by anyone who reads both:
 * so each subset is a line "subset + complement = base" for sup_apply, the complement a cell that is
 * never printed (hiding it costs nothing; when it is small, the subset or base goes instead). */
static int suppress_commune(json_t *c, int64_t t, struct pcmt_err *err)
{
	json_t *crit = json_object_get(c, "criteria"), *cr;
	size_t i;

	json_array_foreach(crit, i, cr) {
		json_t *counts = json_object_get(cr, "counts");
		const char *base = json_object_get(counts, "addicts") ? "addicts" : "persons", *k;
		const char *keys[16];
		int64_t val[32];
		unsigned char st[32];
		int cells[16][2], nk = 0, nl = 0, m;
		struct sup_line lines[16];
		json_t *v;
		char buf[SUP_TEXT_MAX];

		keys[nk] = base;
		val[nk++] = json_integer_value(json_object_get(counts, base));
		json_object_foreach(counts, k, v)
			if (strcmp(k, base) && nk < 15) {
				keys[nk] = k;
				val[nk++] = json_integer_value(v);
			}
		m = nk;
		for (int j = 1; j < nk; j++) {
			if (!strcmp(keys[j], "undetected"))
				continue; /* not a subset of the base */
			val[m] = val[0] - val[j] < 0 ? 0 : val[0] - val[j];
			cells[nl][0] = j;
			cells[nl][1] = m++;
			lines[nl] = (struct sup_line){0, 2, cells[nl]};
			nl++;
		}
		if (sup_apply(t, m, val, nl, lines, st, err))
			return -1;
		for (int j = 0; j < nk; j++)
			if (st[j] != SUP_SHOWN)
				json_object_set_new(counts, keys[j], json_string(sup_text(val[j], st[j], t, buf)));
	}
	json_object_del(c, "failures");
	return 0;
}

static json_t *rollup(int n, int pass)
{
	return json_pack("{s:i, s:i, s:f}", "communes", n, "drug_free", pass, "share",
			 n ? (double)pass * 100.0 / n : 0.0);
}

int drugfree_eval(struct live *lv, struct store *st, const struct drugfree_opts *o, json_t **out,
		  struct pcmt_err *err)
{
	const struct snap *s;
	struct crit_params cp;
	struct walk w = {0};
	struct formed fs = {0};
	const struct snap_ou *ro;
	json_t *ans = NULL, *units, *list;
	int32_t root;
	int rc = -1, pass = 0, approximate = 0;
	char d[DATE_BUFSZ];

	*out = NULL;
	if (live_sync(lv, st, err))
		return -1;
	if (crit_params_at(live_rules(lv), o->date, &cp, err))
		return err_set(err, ERR_INVALID, "date", "the rulebook has no drug-free criteria in force on %s",
			       date_format(o->date, d));
	s = live_read(lv);
	if ((root = snap_ou_ix(s, o->ou_id)) < 0) {
		err_set(err, ERR_NOT_FOUND, "orgunit", "no such org unit");
		goto out;
	}
	w.cp = &cp;
	w.date = o->date;
	ro = &s->ous[root];
	if (ro->kind != OK_NATION && !snap_in_force(ro, o->date)) {
		if (ro->valid_to != SNAP_OPEN && o->date > ro->valid_to) {
			char to[DATE_BUFSZ], into[200] = "";
			size_t used = 0;

			for (int32_t k = 0; k < ro->nsucc && used + 40 < sizeof(into); k++)
				used += (size_t)snprintf(into + used, sizeof(into) - used, "%s%s %s", k ? ", " : "",
							 s->ous[ro->succ[k].ix].code, s->ous[ro->succ[k].ix].name);
			err_set(err, ERR_INVALID, "date", "%s %s was closed on %s%s%s: ask for a date up to then%s", ro->code,
				ro->name, date_format(ro->valid_to, to), used ? "; it became " : "", into,
				used ? ", or for the units it became" : "");
			goto out;
		}
		/* a unit formed later: the units it was formed from, as they were on the date */
		if (formed_from(s, root, o->date, 0, 0, &fs) || fs.oom) {
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		if (fs.n == 0) {
			char from[DATE_BUFSZ];

			err_set(err, ERR_INVALID, "date", "%s %s is in force from %s and was formed from no unit in force on %s",
				ro->code, ro->name, date_format(ro->valid_from, from), date_format(o->date, d));
			goto out;
		}
		approximate = fs.partial;
		if (ro->kind == OK_COMMUNE) {
			if (walk_set(s, root, fs.ix, fs.n, &w)) {
				err_set(err, ERR_INTERNAL, NULL, "out of memory evaluating communes");
				goto out;
			}
		} else {
			for (int32_t k = 0; k < fs.n; k++)
				if (snap_communes(s, fs.ix[k], o->date, walk_fn, &w) || w.oom) {
					err_set(err, ERR_INTERNAL, NULL, "out of memory evaluating communes");
					goto out;
				}
		}
	} else if (snap_communes(s, root, o->date, walk_fn, &w) || w.oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory evaluating communes");
		goto out;
	}
	for (int32_t i = 0; i < w.n; i++)
		pass += w.res[i].pass;
	ans = json_object();
	json_object_set_new(ans, "orgunit", ou_json(&s->ous[root]));
	json_object_set_new(ans, "date", json_string(date_format(o->date, d)));
	json_object_set_new(ans, "rules", json_pack("{s:i, s:i, s:i}", "test_window_days", cp.window_days,
						    "community_addict_ceiling", cp.ceiling, "detection_lookback_days",
						    cp.lookback_days));
	json_object_set_new(ans, "summary", rollup(w.n, pass));
	/* over the units in force on the date, or the units it was formed from: approximate when one
	 * of those went into it only in part (its persons are all counted, some now live elsewhere) */
	json_object_set_new(ans, "approximate", json_boolean(approximate));
	json_object_set_new(ans, "over_predecessors", json_boolean(fs.n > 0));
	if (fs.n) {
		json_t *ff = json_array();

		for (int32_t k = 0; k < fs.n; k++) {
			json_t *j = ou_json(&s->ous[fs.ix[k]]);

			json_object_set_new(j, "link", json_string(fs.part[k] ? "partial" : "full"));
			json_array_append_new(ff, j);
		}
		json_object_set_new(ans, "formed_from", ff);
	} else if (ro->npred) {
		json_t *ff = json_array();

		for (int32_t k = 0; k < ro->npred; k++)
			json_array_append_new(ff, link_json(s, &ro->pred[k]));
		json_object_set_new(ans, "formed_from", ff);
	}
	{
		int pend = 0;

		for (int32_t i = 0; i < w.n && !fs.n; i++)
			pend += pending_in(s, w.res[i].commune_ix, o->date);
		/* a split unit's pending persons are candidates of several communes: count each once */
		if (pend)
			pend = pending_under(s, &w, o->date);
		json_object_set_new(ans, "awaiting_reassignment", json_integer(pend));
	}
	/* roll-ups per unit directly below the root (districts of a province, provinces of the nation),
	 * or per unit it was formed from */
	units = json_array();
	if (fs.n && ro->kind != OK_COMMUNE) {
		for (int32_t k = 0; k < fs.n; k++) {
			int n = 0, p = 0;
			json_t *u, *ru;

			for (int32_t i = 0; i < w.n; i++)
				if (snap_ou_under(s, w.res[i].commune_ix, fs.ix[k])) {
					n++;
					p += w.res[i].pass;
				}
			u = ou_json(&s->ous[fs.ix[k]]);
			ru = rollup(n, p);
			json_object_update(u, ru);
			json_decref(ru);
			json_array_append_new(units, u);
		}
	}
	for (int32_t c = s->ous[root].first_child; c >= 0 && !fs.n; c = s->ous[c].next_sibling) {
		int n = 0, p = 0;
		json_t *u;

		if (s->ous[c].kind == OK_COMMUNE)
			continue;
		for (int32_t i = 0; i < w.n; i++)
			if (snap_ou_under(s, w.res[i].commune_ix, c)) {
				n++;
				p += w.res[i].pass;
			}
		if (!n)
			continue;
		u = ou_json(&s->ous[c]);
		{
			json_t *ru = rollup(n, p);

			json_object_update(u, ru);
			json_decref(ru);
		}
		json_array_append_new(units, u);
	}
	json_object_set_new(ans, "units", units);
	if (o->details) {
		list = json_array();
		int64_t t = 0;

		if (o->suppress && sup_threshold(live_rules(lv), o->date, &t, err)) {
			json_decref(list);
			goto out;
		}
		for (int32_t i = 0; i < w.n; i++) {
			json_t *c = commune_json(s, &w.res[i], st, o);

			json_array_append_new(list, c);
			if (o->suppress && suppress_commune(c, t, err)) {
				json_decref(list);
				goto out;
			}
		}
		json_object_set_new(ans, "communes", list);
	}
	*out = ans;
	ans = NULL;
	rc = 0;
out:
	live_done(lv);
	for (int32_t i = 0; i < w.n; i++)
		crit_result_free(&w.res[i]);
	free(w.res);
	free(fs.ix);
	free(fs.part);
	json_decref(ans);
	return rc;
}
