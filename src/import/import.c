/* import.c: the import driver. Rows come from a parser (csv.c, xlsx.c), become JSON through the
 * column map (map.c), are checked by ent_validate exactly as an API write is, have their natural
 * keys resolved (a person by national ID, an org unit by code as of the row's date, a facility by
 * name) and are written in ONE transaction through the store interface:
 *   - rows already in the database (same national ID or case number and the same values, or an
 *     identical event row) are skipped, so importing a file twice changes nothing; a person whose
 *     national ID matches but whose other fields differ is updated;
 *   - a file of up to BULK_MIN rows goes through the store's ordinary insert (change log per person,
 *     so live snapshots update incrementally); a larger one switches the store to bulk mode and
 *     writes batches with bulk_insert, after this file has done every check the ordinary path does;
 *   - any bad row and no --partial: rollback, nothing written.
 * Entities with a unique field (persons, cases) are always written row by row, so that a later row
 * of the same file finds an earlier one by its key. */
#include "import/imp.h"

#include <stdlib.h>
#include <string.h>

#include "util/date.h"
#include "util/text.h"

enum { BULK_MIN = 2000, BATCH = 8192, ERRS_MAX = 100000, PROGRESS_EVERY = 8192 };

/* ---- a small string -> int64 hash map (natural-key caches) ------------------------------------ */

struct kmap {
	char **k;
	int64_t *v;
	size_t cap, n;
};

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int kmap_grow(struct kmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 1024;
	char **nk = calloc(ncap, sizeof(*nk));
	int64_t *nv = calloc(ncap, sizeof(*nv));

	if (!nk || !nv) {
		free(nk);
		free(nv);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->k[i])
			continue;
		size_t j = fnv(m->k[i], strlen(m->k[i]), 14695981039346656037ULL) & (ncap - 1);

		while (nk[j])
			j = (j + 1) & (ncap - 1);
		nk[j] = m->k[i];
		nv[j] = m->v[i];
	}
	free(m->k);
	free(m->v);
	m->k = nk;
	m->v = nv;
	m->cap = ncap;
	return 0;
}

/* 1 and *v when key is there, else 0. */
static int kmap_get(const struct kmap *m, const char *key, int64_t *v)
{
	if (!m->cap)
		return 0;
	for (size_t j = fnv(key, strlen(key), 14695981039346656037ULL) & (m->cap - 1); m->k[j]; j = (j + 1) & (m->cap - 1))
		if (!strcmp(m->k[j], key)) {
			*v = m->v[j];
			return 1;
		}
	return 0;
}

static int kmap_put(struct kmap *m, const char *key, int64_t v)
{
	size_t j;

	if ((m->n + 1) * 2 > m->cap && kmap_grow(m))
		return -1;
	for (j = fnv(key, strlen(key), 14695981039346656037ULL) & (m->cap - 1); m->k[j]; j = (j + 1) & (m->cap - 1))
		if (!strcmp(m->k[j], key)) {
			m->v[j] = v;
			return 0;
		}
	if (!(m->k[j] = strdup(key)))
		return -1;
	m->v[j] = v;
	m->n++;
	return 0;
}

static void kmap_free(struct kmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->k[i]);
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* A set of 64-bit row digests: rows of this file already taken (identical rows are skipped). */
struct hset {
	uint64_t *h;
	size_t cap, n;
};

/* 1 if h was there; else adds it and returns 0; -1 out of memory. 0 is stored as 1. */
static int hset_add(struct hset *s, uint64_t h)
{
	if (!h)
		h = 1;
	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 4096;
		uint64_t *nh = calloc(ncap, sizeof(*nh));

		if (!nh)
			return -1;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->h[i])
				continue;
			size_t j = s->h[i] & (ncap - 1);

			while (nh[j])
				j = (j + 1) & (ncap - 1);
			nh[j] = s->h[i];
		}
		free(s->h);
		s->h = nh;
		s->cap = ncap;
	}
	size_t j = h & (s->cap - 1);

	for (; s->h[j]; j = (j + 1) & (s->cap - 1))
		if (s->h[j] == h)
			return 1;
	s->h[j] = h;
	s->n++;
	return 0;
}

/* ---- the run ---------------------------------------------------------------------------------- */

struct ou_slot {
	int used;
	struct ou_info ou;
};

struct run {
	struct store *s;
	const struct imp_opts *o;
	const struct entity_def *e;
	struct imp_result *res;
	size_t ecap;       /* res->errs allocated */
	struct imp_map map;
	int have_map;
	int uniq;          /* index of e's F_UNIQUE field, or -1 */
	int bulk;          /* the store is in bulk mode */
	int keys[64], nkeys; /* e's non-derived fields: an identical row matches on all of them */
	int pfield;        /* e's reference to persons, or -1 */
	struct kmap has_rows; /* person id -> 1 if e had rows of theirs before this import */
	struct kmap persons, facilities, refs;
	struct kmap ous;   /* org-unit code -> index into ou_tab */
	struct ou_slot *ou_tab;
	size_t ou_n, ou_cap;
	struct hset seen;
	json_t *in;        /* the row's cells as JSON, emptied for each row (one object per file) */
	json_t **pending;  /* validated rows not yet written */
	long *prow;        /* their row numbers */
	size_t npending;
	struct bulk_val *vals;
	char **dumps;      /* JSON text made for bulk_val, freed after each batch */
	size_t ndumps;
	long last_progress;
};

/* Drops a UTF-8 sequence that snprintf cut in two at the end of s (messages are JSON strings). */
static void utf8_cut(char *s)
{
	size_t n = strlen(s), i = n, need;

	while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || (unsigned char)s[i - 1] < 0xc0)
		return;
	need = (unsigned char)s[i - 1] >= 0xf0 ? 4 : (unsigned char)s[i - 1] >= 0xe0 ? 3 : 2;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
}

static int row_error(struct run *r, long row, const char *field, const char *msg)
{
	struct imp_result *res = r->res;

	res->failed++;
	if (res->nerrs >= ERRS_MAX)
		return 0;
	if (res->nerrs == r->ecap) {
		size_t cap = r->ecap ? r->ecap * 2 : 16;
		struct imp_rowerr *ne = realloc(res->errs, cap * sizeof(*ne));

		if (!ne)
			return -1;
		res->errs = ne;
		r->ecap = cap;
	}
	struct imp_rowerr *x = &res->errs[res->nerrs++];

	x->row = row;
	snprintf(x->field, sizeof(x->field), "%s", field ? field : "");
	/* name the column as the file does: "Ngày sinh (dob)" */
	for (int f = 0; field && r->have_map && f < r->e->nfields; f++) {
		const char *h = imp_map_label(&r->map, f);

		if (!strcmp(r->e->fields[f].name, field) && strcmp(h, field)) {
			char hh[41];

			snprintf(hh, sizeof(hh), "%s", h);
			utf8_cut(hh);
			snprintf(x->field, sizeof(x->field), "%s (%.20s)", hh, field);
		}
	}
	utf8_cut(x->field);
	utf8_cut(x->message);
	snprintf(x->message, sizeof(x->message), "%s", msg);
	return 0;
}

/* An org unit by code as in force on `date` (cached: codes repeat on every row). */
static int ou_resolve(struct run *r, const char *code, int32_t date, struct ou_info *out, struct pcmt_err *err)
{
	int64_t ix;
	int32_t d = date == DATE_NONE ? r->o->ctx.today : date;

	if (kmap_get(&r->ous, code, &ix)) {
		const struct ou_info *o = &r->ou_tab[ix].ou;

		if ((o->valid_from == DATE_NONE || o->valid_from <= d) && (o->valid_to == DATE_NONE || o->valid_to >= d)) {
			*out = *o;
			return 0;
		}
	}
	if (r->s->ops->ou_by_code(r->s, code, d, out, err))
		return -1;
	if (!kmap_get(&r->ous, code, &ix)) {
		if (r->ou_n == r->ou_cap) {
			size_t cap = r->ou_cap ? r->ou_cap * 2 : 64;
			struct ou_slot *nt = realloc(r->ou_tab, cap * sizeof(*nt));

			if (!nt)
				return err_set(err, ERR_INTERNAL, NULL, "out of memory");
			r->ou_tab = nt;
			r->ou_cap = cap;
		}
		ix = (int64_t)r->ou_n++;
		if (kmap_put(&r->ous, code, ix))
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	r->ou_tab[ix].used = 1;
	r->ou_tab[ix].ou = *out;
	return 0;
}

/* A reference given by its natural key (v is the cell's text) to an id; 0 with *id = 0 and a row
 * error message in msg when there is none. -1 on a database error. */
static int ref_resolve(struct run *r, const struct field_def *f, const char *v, int64_t *id, char *msg, size_t msgn,
		       struct pcmt_err *err)
{
	const struct entity_def *t = ent_find(f->ref);
	struct kmap *cache = !strcmp(f->ref, "persons") ? &r->persons : !strcmp(f->ref, "facilities") ? &r->facilities : &r->refs;
	int n = 0, digits = *v != '\0';
	json_t *key = NULL, *row = NULL;
	int fields[1];
	char *nfc;

	*id = 0;
	if (!t)
		return err_set(err, ERR_INTERNAL, f->name, "unknown reference target");
	if (kmap_get(cache, v, id)) {
		if (!*id)
			snprintf(msg, msgn, "%s: no %s \"%.60s\"", f->name, !strcmp(f->ref, "persons") ? "person with national ID" : t->name, v);
		return 0;
	}
	for (const char *p = v; *p; p++)
		digits &= *p >= '0' && *p <= '9';
	if (!strcmp(f->ref, "persons")) {
		/* by national ID, within the importer's scope */
		if (!(key = json_object()))
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		json_object_set_new(key, "national_id", json_string(v));
		fields[0] = 0;
		for (int i = 0; i < ent_persons.nfields; i++)
			if (!strcmp(ent_persons.fields[i].name, "national_id"))
				fields[0] = i;
		if (r->s->ops->find(r->s, &ent_persons, r->o->scope, key, fields, 1, id, &n, err)) {
			json_decref(key);
			return -1;
		}
		json_decref(key);
		if (!n)
			snprintf(msg, msgn, "%s: no person with national ID \"%.20s\"%s", f->name, v,
				 r->o->scope ? " in your org unit" : "");
	} else if (!strcmp(f->ref, "facilities") && !digits) {
		/* facilities have no code: their name, which the file's author sees in pcmt */
		if (!(nfc = text_nfc(v)) || !(key = json_object())) {
			free(nfc);
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		}
		json_object_set_new(key, "name", json_string(nfc));
		free(nfc);
		fields[0] = 0;
		if (r->s->ops->find(r->s, t, NULL, key, fields, 1, id, &n, err)) {
			json_decref(key);
			return -1;
		}
		json_decref(key);
		if (n > 1) {
			snprintf(msg, msgn, "%s: more than one facility is named \"%.60s\"; give its id", f->name, v);
			*id = 0;
			return 0; /* not cached: the message differs */
		}
		if (!n)
			snprintf(msg, msgn, "%s: no facility named \"%.60s\"", f->name, v);
	} else if (digits && strlen(v) <= 15) {
		/* an id, checked to exist (in scope for person-level targets) */
		struct pcmt_err e2;

		err_clear(&e2);
		*id = strtoll(v, NULL, 10);
		if (r->s->ops->get(r->s, t, (t->flags & E_PERSONAL) ? r->o->scope : NULL, *id, &row, &e2)) {
			if (e2.code != ERR_NOT_FOUND) {
				*err = e2;
				return -1;
			}
			*id = 0;
			snprintf(msg, msgn, "%s: no %s with id %.20s", f->name, t->name, v);
		}
		json_decref(row);
	} else {
		snprintf(msg, msgn, "%s: \"%.60s\" is not the id of a %s", f->name, v, t->name);
	}
	if (kmap_put(cache, v, *id))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	return 0;
}

/* v in decimal (natural-key cache keys): snprintf's cost showed per row. */
static void i64_text(int64_t v, char buf[24])
{
	char t[24];
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	int n = 0, k = 0;

	do {
		t[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[k++] = '-';
	while (n)
		buf[k++] = t[--n];
	buf[k] = '\0';
}

/* Digest of a validated row's non-derived values (identical rows inside one file). */
static uint64_t row_digest(struct run *r, json_t *rec)
{
	uint64_t h = 14695981039346656037ULL;

	for (int k = 0; k < r->nkeys; k++) {
		json_t *v = json_object_get(rec, r->e->fields[r->keys[k]].name);
		char buf[32];

		if (!v || json_is_null(v)) {
			h = fnv("\x01", 1, h);
		} else if (json_is_string(v)) {
			h = fnv(json_string_value(v), json_string_length(v) + 1, h);
		} else if (json_is_integer(v)) {
			i64_text(json_integer_value(v), buf);
			h = fnv(buf, strlen(buf) + 1, h);
		} else if (json_is_boolean(v)) {
			h = fnv(json_is_true(v) ? "t" : "f", 2, h);
		} else {
			char *d = json_dumps(v, JSON_COMPACT);

			h = fnv(d ? d : "", d ? strlen(d) + 1 : 1, h);
			free(d);
		}
		h = fnv("\x1f", 1, h);
	}
	return h;
}

static int same_row(struct run *r, json_t *a, json_t *b)
{
	for (int k = 0; k < r->nkeys; k++) {
		const char *name = r->e->fields[r->keys[k]].name;
		json_t *x = json_object_get(a, name), *y = json_object_get(b, name);
		int xn = !x || json_is_null(x), yn = !y || json_is_null(y);

		if (xn != yn || (!xn && !json_equal(x, y)))
			return 0;
	}
	return 1;
}

/* Writes one row through the ordinary store path (change log, scope check on the result). */
static int write_one(struct run *r, long row, json_t *rec, struct pcmt_err *err)
{
	struct pcmt_err e2;

	err_clear(&e2);
	if (r->s->ops->insert(r->s, r->e, r->o->scope, rec, NULL, &e2)) {
		if (e2.code == ERR_INVALID || e2.code == ERR_CONFLICT || e2.code == ERR_NOT_FOUND)
			return row_error(r, row, e2.field, e2.message) ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
		*err = e2;
		return -1;
	}
	r->res->inserted++;
	return 0;
}

static int flush_bulk(struct run *r, struct pcmt_err *err)
{
	const struct entity_def *e = r->e;
	int nf = e->nfields, rc = -1;
	int64_t first;

	if (!r->npending)
		return 0;
	if (!r->bulk) {
		if (r->s->ops->bulk_mode(r->s, 1, err))
			return -1;
		r->bulk = 1;
	}
	for (size_t i = 0; i < r->npending; i++) {
		struct bulk_val *v = r->vals + i * (size_t)nf;

		for (int f = 0; f < nf; f++) {
			json_t *x = json_object_get(r->pending[i], e->fields[f].name);

			memset(&v[f], 0, sizeof(v[f]));
			if (!x || json_is_null(x)) {
				v[f].is_null = 1;
			} else if (json_is_integer(x)) {
				v[f].i = json_integer_value(x);
			} else if (json_is_boolean(x)) {
				v[f].i = json_is_true(x);
			} else if (json_is_string(x)) {
				v[f].s = json_string_value(x);
			} else {
				char *d = json_dumps(x, JSON_COMPACT);

				if (!d) {
					err_set(err, ERR_INTERNAL, NULL, "out of memory");
					goto out;
				}
				r->dumps[r->ndumps++] = d;
				v[f].s = d;
			}
		}
	}
	if (r->s->ops->bulk_insert(r->s, e, r->vals, r->npending, &first, err))
		goto out;
	r->res->inserted += (long)r->npending;
	rc = 0;
out:
	for (size_t i = 0; i < r->npending; i++)
		json_decref(r->pending[i]);
	r->npending = 0;
	for (size_t i = 0; i < r->ndumps; i++)
		free(r->dumps[i]);
	r->ndumps = 0;
	return rc;
}

/* One validated, resolved row: skip it, update the match, or write it. */
static int take(struct run *r, long row, json_t *rec, struct pcmt_err *err)
{
	const struct entity_def *e = r->e;
	int64_t id = 0;
	int n = 0, fields[1];
	json_t *old = NULL;

	if (r->uniq >= 0 && !json_is_null(json_object_get(rec, e->fields[r->uniq].name))) {
		fields[0] = r->uniq;
		if (r->s->ops->find(r->s, e, r->o->scope, rec, fields, 1, &id, &n, err))
			return -1;
		if (n) {
			struct pcmt_err e2;

			err_clear(&e2);
			if (r->s->ops->get(r->s, e, r->o->scope, id, &old, &e2)) {
				*err = e2;
				return -1;
			}
			if (same_row(r, rec, old)) {
				json_decref(old);
				r->res->skipped++;
				return 0;
			}
			json_decref(old);
			if (r->res->failed && !r->o->partial)
				return 0;
			if (r->s->ops->update(r->s, e, r->o->scope, id, rec, 0, NULL, &e2)) {
				if (e2.code == ERR_INVALID || e2.code == ERR_CONFLICT || e2.code == ERR_NOT_FOUND)
					return row_error(r, row, e2.field, e2.message) ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
				*err = e2;
				return -1;
			}
			r->res->updated++;
			return 0;
		}
	} else {
		int64_t had = 1;

		/* a person with no rows of e before this import has none to match (rows of this file are
		 * in r->seen): one lookup per person instead of one per row */
		if (r->pfield >= 0) {
			char key[24];

			i64_text(json_integer_value(json_object_get(rec, e->fields[r->pfield].name)), key);
			if (!kmap_get(&r->has_rows, key, &had)) {
				fields[0] = r->pfield;
				if (r->s->ops->find(r->s, e, r->o->scope, rec, fields, 1, &id, &n, err))
					return -1;
				had = n > 0;
				if (kmap_put(&r->has_rows, key, had))
					return err_set(err, ERR_INTERNAL, NULL, "out of memory");
			}
		}
		if (had && r->s->ops->find(r->s, e, r->o->scope, rec, r->keys, r->nkeys, &id, &n, err))
			return -1;
		if (had && n) {
			r->res->skipped++;
			return 0;
		}
	}
	if (r->uniq < 0) {
		int dup = hset_add(&r->seen, row_digest(r, rec));

		if (dup < 0)
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		if (dup) {
			r->res->skipped++;
			return 0;
		}
	}
	if (r->res->failed && !r->o->partial)
		return 0; /* nothing will be written: only keep checking */
	if (r->uniq >= 0 || (e->flags & E_ORGUNIT))
		return write_one(r, row, rec, err);
	r->prow[r->npending] = row;
	r->pending[r->npending++] = json_incref(rec);
	if (r->npending == BATCH)
		return flush_bulk(r, err);
	return 0;
}

static int on_row(void *cls, long row, const struct imp_cell *cells, int n, size_t pos, size_t total,
		  struct pcmt_err *err)
{
	struct run *r = cls;
	const struct entity_def *e = r->e;
	json_t *in = r->in, *rec = NULL;
	struct pcmt_err re;
	char msg[256];
	int rc = -1, bad = 0;
	int32_t date = DATE_NONE;

	if (!r->have_map) {
		r->have_map = 1;
		return imp_map_header(e, cells, n, &r->map, err);
	}
	r->res->rows++;
	if (r->o->progress && r->res->rows - r->last_progress >= PROGRESS_EVERY) {
		r->last_progress = r->res->rows;
		r->o->progress(r->o->progress_cls, pos, total, r->res->rows);
	}
	if (json_object_clear(in))
		return err_set(err, ERR_INTERNAL, NULL, "cannot reuse the row's object");
	err_clear(&re);
	for (int c = 0; c < n && !bad; c++) {
		int f = c < r->map.ncols ? r->map.field_of[c] : IMP_COL_IGNORE;
		json_t *v;

		if (c >= r->map.ncols && cells[c].n) {
			snprintf(msg, sizeof(msg), "column %d has a value but no header", c + 1);
			bad = row_error(r, row, "", msg) ? -1 : 1;
			break;
		}
		if (f < 0 || !cells[c].n)
			continue;
		err_clear(&re);
		v = imp_cell_value(&e->fields[f], &cells[c], &re);
		if (!v) {
			if (re.code != ERR_OK)
				bad = row_error(r, row, e->fields[f].name, re.message) ? -1 : 1;
			continue;
		}
		if (e->fields[f].type == FT_REF) {
			int64_t id;

			msg[0] = '\0';
			if (ref_resolve(r, &e->fields[f], json_string_value(v), &id, msg, sizeof(msg), err)) {
				json_decref(v);
				goto out;
			}
			json_decref(v);
			if (!id) {
				bad = row_error(r, row, e->fields[f].name, msg) ? -1 : 1;
				continue;
			}
			v = json_integer(id);
		}
		json_object_set_new(in, e->fields[f].name, v);
	}
	if (bad) {
		rc = bad < 0 ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
		goto out;
	}
	err_clear(&re);
	if (ent_validate(e, &r->o->ctx, in, 0, &rec, &re)) {
		if (re.code == ERR_INTERNAL) {
			*err = re;
			goto out;
		}
		rc = row_error(r, row, re.field, re.message) ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
		goto out;
	}
	/* org units by code as in force on the row's date */
	if (r->map.date_field >= 0) {
		const char *d = json_string_value(json_object_get(rec, e->fields[r->map.date_field].name));

		if (!d || date_parse(d, &date))
			date = DATE_NONE;
	}
	for (int f = 0; f < e->nfields; f++) {
		const struct field_def *fd = &e->fields[f];
		json_t *v = json_object_get(rec, fd->name);
		struct ou_info ou;

		if (fd->type != FT_OU || !json_is_string(v))
			continue;
		err_clear(&re);
		if (ou_resolve(r, json_string_value(v), date, &ou, &re)) {
			if (re.code != ERR_NOT_FOUND) {
				*err = re;
				goto out;
			}
			snprintf(msg, sizeof(msg), "%s: no org unit with code \"%.20s\"", fd->name, json_string_value(v));
			rc = row_error(r, row, fd->name, msg) ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
			goto out;
		}
		if (fd->ou_kind && strcmp(ou.kind, fd->ou_kind)) {
			snprintf(msg, sizeof(msg), "%s must be a %s, but %s (%.80s) is a %s", fd->name, fd->ou_kind, ou.code,
				 ou.name, ou.kind);
			rc = row_error(r, row, fd->name, msg) ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
			goto out;
		}
		json_object_set_new(rec, fd->name, json_integer(ou.id));
		/* the unit that scopes the row (persons' residence) must lie in the importer's subtree: checked
		 * here, before any write, because a refused insert must leave nothing behind in the file's
		 * one transaction */
		if (r->o->scope && r->o->scope->ou_id && (e->flags & E_PERSONAL) && e->ou_expr && !strncmp(e->ou_expr, "t.", 2) &&
		    !strcmp(e->ou_expr + 2, fd->name)) {
			int yes = 0;

			if (r->s->ops->ou_within(r->s, ou.id, r->o->scope->ou_id, &yes, err))
				goto out;
			if (!yes) {
				snprintf(msg, sizeof(msg), "%s: %s (%.80s) lies outside your org unit", fd->name, ou.code, ou.name);
				rc = row_error(r, row, fd->name, msg) ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
				goto out;
			}
		}
	}
	rc = take(r, row, rec, err);
out:
	json_decref(rec);
	return rc;
}

enum imp_format imp_sniff(const void *buf, size_t n)
{
	return n >= 4 && !memcmp(buf, "PK\x03\x04", 4) ? IMP_XLSX : IMP_CSV;
}

void imp_result_free(struct imp_result *res)
{
	free(res->errs);
	memset(res, 0, sizeof(*res));
}

static int cmp_err(const void *a, const void *b)
{
	const struct imp_rowerr *x = a, *y = b;

	return x->row < y->row ? -1 : x->row > y->row;
}

int imp_run(struct store *s, const struct imp_opts *o, const void *buf, size_t n, struct imp_result *res,
	    struct pcmt_err *err)
{
	struct run r;
	struct imp_where where = {0, 0};
	int rc = -1, in_tx = 0;
	const struct entity_def *e = o->e;

	memset(res, 0, sizeof(*res));
	/* the substitution clinic's records are written through their own rules, one transaction each
	 * with their stock (engine/ost.c, docs/ost.md): a file could give a dose above its prescription */
	if (e == &ent_ost_prescriptions || e == &ent_ost_doses || e == &ent_ost_stock || e == &ent_ost_reconciliations)
		return err_set(err, ERR_INVALID, "kind", "%s are not imported: they are written through the clinic's rules"
			       " (POST /api/v1/%s, pcmt mat; docs/ost.md)", e->name, e->name);
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.o = o;
	r.e = e;
	r.res = res;
	r.uniq = -1;
	r.pfield = -1;
	for (int f = 0; f < e->nfields; f++) {
		if (e->fields[f].flags & F_DERIVED)
			continue;
		if (e->fields[f].type == FT_REF && !strcmp(e->fields[f].ref, "persons") && r.pfield < 0 &&
		    (e->fields[f].flags & F_REQUIRED))
			r.pfield = f;
		r.keys[r.nkeys++] = f;
		if ((e->fields[f].flags & F_UNIQUE) && r.uniq < 0)
			r.uniq = f;
	}
	r.pending = calloc(BATCH, sizeof(*r.pending));
	r.prow = calloc(BATCH, sizeof(*r.prow));
	r.vals = calloc((size_t)BATCH * (size_t)e->nfields, sizeof(*r.vals));
	r.dumps = calloc((size_t)BATCH * (size_t)e->nfields, sizeof(*r.dumps));
	r.in = json_object();
	if (!r.pending || !r.prow || !r.vals || !r.dumps || !r.in) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (s->ops->begin(s, err))
		goto out;
	in_tx = 1;
	if ((o->format == IMP_XLSX ? xlsx_parse(buf, n, &o->lim, on_row, &r, &where, err)
				   : csv_parse(buf, n, &o->lim, on_row, &r, &where, err)))
		goto out;
	if (!r.have_map) {
		err_set(err, ERR_INVALID, "file", "the file is empty: the first row must hold the column headers");
		goto out;
	}
	/* the rest: row by row when the whole file was small, else the last batch */
	if (!(res->failed && !o->partial)) {
		if (!r.bulk && r.npending <= BULK_MIN) {
			for (size_t i = 0; i < r.npending; i++)
				if (write_one(&r, r.prow[i], r.pending[i], err))
					goto out;
			for (size_t i = 0; i < r.npending; i++)
				json_decref(r.pending[i]);
			r.npending = 0;
		} else if (flush_bulk(&r, err)) {
			goto out;
		}
	}
	if (res->failed && !o->partial) {
		s->ops->rollback(s);
		in_tx = 0;
		res->inserted = res->updated = 0;
	} else {
		if (r.bulk && s->ops->bulk_mode(s, 0, err))
			goto out;
		if (o->before_commit && o->before_commit(o->commit_cls, res, err))
			goto out;
		if (s->ops->commit(s, err)) {
			in_tx = 0;
			goto out;
		}
		in_tx = 0;
		res->written = 1;
	}
	if (o->progress)
		o->progress(o->progress_cls, n, n, res->rows);
	if (res->nerrs)
		qsort(res->errs, res->nerrs, sizeof(*res->errs), cmp_err);
	rc = 0;
out:
	if (rc && where.row && where.col > 0 && r.have_map && where.col <= r.map.ncols && r.map.header[where.col - 1][0] &&
	    err->field[0] == 'f' && !strcmp(err->field, "file")) {
		/* name the column by its header: "row 12, column 3 (Ngày sinh): ..." reads better */
		char m[sizeof(err->message) + 128];

		snprintf(m, sizeof(m), "%s (column \"%.100s\")", err->message, r.map.header[where.col - 1]);
		snprintf(err->message, sizeof(err->message), "%.*s", (int)sizeof(err->message) - 1, m);
		snprintf(err->field, sizeof(err->field), "%s",
			 r.map.field_of[where.col - 1] >= 0 ? e->fields[r.map.field_of[where.col - 1]].name : "file");
	}
	if (in_tx)
		s->ops->rollback(s);
	if (rc) {
		res->inserted = res->updated = 0;
		res->written = 0;
	}
	for (size_t i = 0; i < r.npending; i++)
		json_decref(r.pending[i]);
	for (size_t i = 0; i < r.ndumps; i++)
		free(r.dumps[i]);
	free(r.pending);
	free(r.prow);
	free(r.vals);
	free(r.dumps);
	json_decref(r.in);
	free(r.ou_tab);
	free(r.seen.h);
	kmap_free(&r.persons);
	kmap_free(&r.facilities);
	kmap_free(&r.refs);
	kmap_free(&r.has_rows);
	kmap_free(&r.ous);
	imp_map_free(&r.map);
	return rc;
}
