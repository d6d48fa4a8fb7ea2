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

#include <pthread.h>
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

/* 1 if h is there (0 stands for 1, as in hset_add). */
static int hset_has(const struct hset *s, uint64_t h)
{
	if (!h)
		h = 1;
	if (!s->cap)
		return 0;
	for (size_t j = h & (s->cap - 1); s->h[j]; j = (j + 1) & (s->cap - 1))
		if (s->h[j] == h)
			return 1;
	return 0;
}

/* The digest's slot, fetched into the cache while the writer does the row's other work: on a
 * large file the set outgrows the caches and each lookup was a miss. */
static void hset_prefetch(const struct hset *s, uint64_t h)
{
	if (s->cap)
		__builtin_prefetch(&s->h[(h ? h : 1) & (s->cap - 1)]);
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
	int nou;           /* e's FT_OU fields */
	struct kmap has_rows; /* person id -> 1 if e had rows of theirs before this import */
	struct hset looked, had; /* the same for typed rows: persons looked up, and those with rows */
	struct hset existing;  /* with the store's rows_of: digests of those persons' rows (row_digest) */
	struct kmap persons, facilities, refs;
	struct kmap ous;   /* org-unit code -> index into ou_tab */
	struct ou_slot *ou_tab;
	size_t ou_n, ou_cap;
	struct hset seen;
	int typed;         /* rows travel as bulk_vals (see "rows in typed form") */
	long *prow;        /* pending rows' row numbers */
	size_t npending;
	struct bulk_val *vals; /* typed rows not yet written, BATCH * nfields */
	struct rd_batch **held; /* the reader's batches they point into */
	struct rd_batch *taking; /* the batch the writer is taking rows from */
	size_t nheld, heldcap;
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
	snprintf(x->message, sizeof(x->message), "%s", msg);
	utf8_cut(x->message);
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
	const struct entity_def *t;
	struct kmap *cache = !strcmp(f->ref, "persons") ? &r->persons : !strcmp(f->ref, "facilities") ? &r->facilities : &r->refs;
	int n = 0, digits = *v != '\0';
	json_t *key = NULL, *row = NULL;
	int fields[1];
	char *nfc;

	*id = 0;
	/* the cache first: ent_find compares names with every entity's, once per row it showed */
	if (kmap_get(cache, v, id) && *id)
		return 0;
	if (!(t = ent_find(f->ref)))
		return err_set(err, ERR_INTERNAL, f->name, "unknown reference target");
	if (kmap_get(cache, v, id)) {
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

/* ---- rows in typed form ----------------------------------------------------------------------- *
 * Entities written by bulk_insert (no unique field, not the org-unit tree) travel from the reader
 * thread to the writer as bulk_vals (e->nfields of them, descriptor order, derived fields
 * included) with their text in the batch's arena: the writer never builds or frees a JSON object
 * for a new row, and the reader frees the JSON it made itself. A reference is given as the cell's
 * text in refs[] until the writer resolves it; an org unit given by code has .s set until then. */

/* RD_QUEUE: batches the reader may run ahead (about 200 KB each): the writer's work comes in bursts
 * (the first row of each person looks it up, and on a second import loads its rows), during which a
 * reader held to 8 batches stood idle and then the writer did; 64 (32,768 rows) let them overlap */
enum { RD_BATCH = 512, RD_QUEUE = 64, RD_REFS = 8, ARENA_CHUNK = 64 * 1024 };

struct arena {
	struct arena *next;
	size_t used, cap;
	char data[];
};

/* A copy of s[0..n) and a NUL in *a's chunks, or NULL out of memory. */
static const char *arena_dup(struct arena **a, const char *s, size_t n)
{
	struct arena *c = *a;
	char *p;

	if (!c || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > ARENA_CHUNK ? n + 1 : ARENA_CHUNK;

		if (!(c = malloc(sizeof(*c) + cap)))
			return NULL;
		c->next = *a;
		c->used = 0;
		c->cap = cap;
		*a = c;
	}
	p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

static void arena_free(struct arena *a)
{
	while (a) {
		struct arena *next = a->next;

		free(a);
		a = next;
	}
}

struct rd_ref {
	int field;
	const char *text; /* the cell's text as imp_cell_value gave it (in the batch's arena) */
};

struct rd_err {
	char field[64];
	char message[256];
};

/* One row as the reader leaves it: validated, in typed form (v) or as JSON (rec, entities written
 * row by row), each reference holding the placeholder id 1 until the writer resolves refs[]; or
 * err, the first fault the row's cells or ent_validate found (after the references before it,
 * which the writer still resolves first: their error would have come first). */
struct rd_row {
	long row;
	size_t pos, total;
	json_t *rec;
	struct bulk_val *v;
	uint64_t plain;     /* row_digest_plain of v */
	struct rd_err *err;
	int nrefs;
	struct rd_ref refs[RD_REFS];
};

struct rd_batch {
	size_t n;
	int held;              /* the writer keeps it: pending rows point into it */
	struct bulk_val *vals; /* RD_BATCH * nfields, typed entities */
	struct arena *arena;
	struct rd_row rows[RD_BATCH];
};

static void rd_batch_free(struct rd_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		json_decref(b->rows[i].rec);
		free(b->rows[i].err);
	}
	free(b->vals);
	arena_free(b->arena);
	free(b);
}

/* Drops the batches the pending rows pointed into (after they were written), except the one the
 * writer is still taking rows from (r->taking), which stays held. */
static void held_free(struct run *r)
{
	size_t k = 0;

	for (size_t i = 0; i < r->nheld; i++)
		if (r->held[i] == r->taking)
			r->held[k++] = r->held[i];
		else
			rd_batch_free(r->held[i]);
	r->nheld = k;
}

/* Digest of a typed row's non-derived values (identical rows inside one file), in two parts: the
 * reader's over the values it has final (row_digest_plain), then the writer's over the references
 * and org units it resolved, on top (row_digest): hashing the text on the writing thread showed. */
static int digest_later(const struct field_def *f)
{
	return f->type == FT_REF || f->type == FT_OU;
}

static uint64_t digest_val(uint64_t h, const struct bulk_val *x)
{
	char buf[32];

	if (x->is_null) {
		h = fnv("\x01", 1, h);
	} else if (x->s) {
		h = fnv(x->s, strlen(x->s) + 1, h);
	} else {
		i64_text(x->i, buf);
		h = fnv(buf, strlen(buf) + 1, h);
	}
	return fnv("\x1f", 1, h);
}

static uint64_t row_digest_plain(const struct run *r, const struct bulk_val *v)
{
	uint64_t h = 14695981039346656037ULL;

	for (int k = 0; k < r->nkeys; k++)
		if (!digest_later(&r->e->fields[r->keys[k]]))
			h = digest_val(h, &v[r->keys[k]]);
	return h;
}

static uint64_t row_digest(const struct run *r, uint64_t plain, const struct bulk_val *v)
{
	uint64_t h = fnv(&plain, sizeof(plain), 14695981039346656037ULL);

	for (int k = 0; k < r->nkeys; k++)
		if (digest_later(&r->e->fields[r->keys[k]]))
			h = digest_val(h, &v[r->keys[k]]);
	return h;
}

/* The validated JSON record a typed row stands for (store calls that take JSON: find, insert). */
static json_t *typed_json(const struct entity_def *e, const struct bulk_val *v, int only_field)
{
	json_t *rec = json_object(), *x;

	if (!rec)
		return NULL;
	for (int f = 0; f < e->nfields; f++) {
		const struct field_def *fd = &e->fields[f];

		if (only_field >= 0 && f != only_field)
			continue;
		if (v[f].is_null)
			x = json_null();
		else if (fd->type == FT_BOOL)
			x = json_boolean(v[f].i);
		else if (fd->type == FT_JSON)
			x = json_loads(v[f].s, 0, NULL);
		else if (v[f].s)
			x = json_string(v[f].s);
		else
			x = json_integer(v[f].i);
		if (!x || json_object_set_new(rec, fd->name, x)) {
			json_decref(rec);
			return NULL;
		}
	}
	return rec;
}

/* The reader's side: a validated record into typed form, its text copied into the batch's arena. */
static int typed_from(const struct entity_def *e, json_t *rec, struct bulk_val *v, struct arena **a)
{
	for (int f = 0; f < e->nfields; f++) {
		json_t *x = json_object_get(rec, e->fields[f].name);

		memset(&v[f], 0, sizeof(v[f]));
		if (!x || json_is_null(x)) {
			v[f].is_null = 1;
		} else if (json_is_integer(x)) {
			v[f].i = json_integer_value(x);
		} else if (json_is_boolean(x)) {
			v[f].i = json_is_true(x);
		} else if (json_is_string(x)) {
			if (!(v[f].s = arena_dup(a, json_string_value(x), json_string_length(x))))
				return -1;
		} else {
			char *d = json_dumps(x, JSON_COMPACT);

			v[f].s = d ? arena_dup(a, d, strlen(d)) : NULL;
			free(d);
			if (!v[f].s)
				return -1;
		}
	}
	return 0;
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
	int64_t first;

	if (!r->npending)
		return 0;
	if (!r->bulk) {
		if (r->s->ops->bulk_mode(r->s, 1, err))
			return -1;
		r->bulk = 1;
	}
	if (r->s->ops->bulk_insert(r->s, r->e, r->vals, r->npending, &first, err))
		return -1;
	r->res->inserted += (long)r->npending;
	r->npending = 0;
	held_free(r);
	return 0;
}

/* One validated, resolved row of an entity written row by row (a unique field, or the org-unit
 * tree): skip it, update the match, or write it. */
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

		/* a person with no rows of e before this import has none to match */
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
	if (r->res->failed && !r->o->partial)
		return 0; /* nothing will be written: only keep checking */
	return write_one(r, row, rec, err);
}

/* rows_of's callback: an existing row of a person, by digest. */
struct had_rows {
	struct run *r;
	long n;
	int oom;
};

static int had_row(void *cls, const struct bulk_val *v)
{
	struct had_rows *c = cls;

	c->n++;
	if (hset_add(&c->r->existing, row_digest(c->r, row_digest_plain(c->r, v), v)) < 0) {
		c->oom = 1;
		return 1;
	}
	return 0;
}

/* One validated, resolved row in typed form (b: its batch; plain: row_digest_plain): skip it when it
 * is already there or earlier in the file, else keep it for the next bulk_insert. */
static int take_typed(struct run *r, long row, struct bulk_val *v, uint64_t plain, struct rd_batch *b,
		      struct pcmt_err *err)
{
	const struct entity_def *e = r->e;
	int64_t id = 0, had = 1;
	int n = 0, nf = e->nfields, dup;
	json_t *rec = NULL;
	uint64_t h = row_digest(r, plain, v);

	hset_prefetch(&r->seen, h);
	/* a person with no rows of e before this import has none to match (rows of this file are in
	 * r->seen): one lookup per person instead of one per row */
	if (r->pfield >= 0) {
		int looked = hset_add(&r->looked, (uint64_t)v[r->pfield].i);

		if (looked < 0)
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		if (looked) {
			had = hset_has(&r->had, (uint64_t)v[r->pfield].i);
		} else if (r->s->ops->rows_of) {
			/* the person's rows, each as its digest: one query per person where a find per row
			 * built a JSON record and ran a query, two thirds of a second import's writing thread */
			struct had_rows c = {r, 0, 0};

			if (r->s->ops->rows_of(r->s, e, r->o->scope, r->pfield, v[r->pfield].i, had_row, &c, err))
				return -1;
			if (c.oom)
				return err_set(err, ERR_INTERNAL, NULL, "out of memory");
			had = c.n > 0;
			if (had && hset_add(&r->had, (uint64_t)v[r->pfield].i) < 0)
				return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		} else {
			if (!(rec = typed_json(e, v, r->pfield)))
				return err_set(err, ERR_INTERNAL, NULL, "out of memory");
			n = r->s->ops->find(r->s, e, r->o->scope, rec, &r->pfield, 1, &id, &n, err) ? -1 : n;
			json_decref(rec);
			if (n < 0)
				return -1;
			had = n > 0;
			if (had && hset_add(&r->had, (uint64_t)v[r->pfield].i) < 0)
				return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		}
	}
	if (had && r->pfield >= 0 && r->s->ops->rows_of) {
		if (hset_has(&r->existing, h)) {
			r->res->skipped++;
			return 0;
		}
	} else if (had) {
		if (!(rec = typed_json(e, v, -1)))
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		n = r->s->ops->find(r->s, e, r->o->scope, rec, r->keys, r->nkeys, &id, &n, err) ? -1 : n;
		json_decref(rec);
		if (n < 0)
			return -1;
		if (n) {
			r->res->skipped++;
			return 0;
		}
	}
	dup = hset_add(&r->seen, h);

	if (dup < 0)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (dup) {
		r->res->skipped++;
		return 0;
	}
	if (r->res->failed && !r->o->partial)
		return 0; /* nothing will be written: only keep checking */
	if (!b->held) {
		if (r->nheld == r->heldcap) {
			size_t cap = r->heldcap ? r->heldcap * 2 : 64;
			struct rd_batch **nh = realloc(r->held, cap * sizeof(*nh));

			if (!nh)
				return err_set(err, ERR_INTERNAL, NULL, "out of memory");
			r->held = nh;
			r->heldcap = cap;
		}
		r->held[r->nheld++] = b;
		b->held = 1;
	}
	r->prow[r->npending] = row;
	memcpy(r->vals + r->npending * (size_t)nf, v, (size_t)nf * sizeof(*v));
	r->npending++;
	if (r->npending == BATCH)
		return flush_bulk(r, err);
	return 0;
}

/* ---- the pipeline: a reader thread parses and validates, the caller's thread writes ----------- *
 * Parsing a cell, ent_validate and the JSON they build are pure and were half of an import's CPU
 * time; the store is the other half. The reader thread (rd_*) runs the parser and everything pure
 * on each row and hands rows over in batches through a bounded queue; the caller's thread, which
 * owns the store and its transaction, takes them in file order and does everything that touches
 * the database (natural keys, org units, the rows already there, the writes). Rows are taken in
 * the order the parser gave them, so results, row errors and their order are those of a single
 * thread. */

struct rd_queue {
	pthread_mutex_t mu;
	pthread_cond_t nonempty, nonfull;
	struct rd_batch *q[RD_QUEUE];
	size_t head, n;
	int done;       /* the reader has finished (rc, err, where are set) */
	int stop;       /* the writer gave up: the reader stops at its next batch */
	int rc;
	struct pcmt_err err;
	struct imp_where where;
};

struct reader {
	struct run *r;      /* read-only here except r->map and r->have_map, set before any row is sent */
	struct rd_queue *q;
	struct rd_batch *cur;
	json_t *in;         /* the row's cells as JSON, emptied for each row (one object per file) */
	const void *buf;
	size_t n;
};

/* Hands the reader's batch to the writer, waiting while the queue is full. -1 when the writer
 * has stopped. */
static int rd_send(struct reader *d)
{
	struct rd_queue *q = d->q;
	int rc = 0;

	pthread_mutex_lock(&q->mu);
	while (q->n == RD_QUEUE && !q->stop)
		pthread_cond_wait(&q->nonfull, &q->mu);
	if (q->stop) {
		rc = -1;
	} else {
		q->q[(q->head + q->n) % RD_QUEUE] = d->cur;
		q->n++;
		d->cur = NULL;
		pthread_cond_signal(&q->nonempty);
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

static int rd_fail(struct rd_row *x, const char *field, const char *msg)
{
	if (!(x->err = calloc(1, sizeof(*x->err))))
		return -1;
	snprintf(x->err->field, sizeof(x->err->field), "%s", field ? field : "");
	snprintf(x->err->message, sizeof(x->err->message), "%s", msg);
	return 0;
}

/* The parser's callback on the reader thread: the header, then each row's pure work. */
static int rd_on_row(void *cls, long row, const struct imp_cell *cells, int n, size_t pos, size_t total,
		     struct pcmt_err *err)
{
	struct reader *d = cls;
	struct run *r = d->r;
	const struct entity_def *e = r->e;
	struct pcmt_err re;
	struct rd_batch *b;
	struct rd_row *x;
	char msg[256];
	int oom = 0;

	if (!r->have_map) {
		r->have_map = 1;
		return imp_map_header(e, cells, n, &r->map, err);
	}
	if (!d->cur) {
		if (!(d->cur = calloc(1, sizeof(*d->cur))) ||
		    (r->typed && !(d->cur->vals = calloc((size_t)RD_BATCH * (size_t)e->nfields, sizeof(*d->cur->vals)))))
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	b = d->cur;
	x = &b->rows[b->n++];
	x->row = row;
	x->pos = pos;
	x->total = total;
	if (json_object_clear(d->in))
		return err_set(err, ERR_INTERNAL, NULL, "cannot reuse the row's object");
	for (int c = 0; c < n && !x->err && !oom; c++) {
		int f = c < r->map.ncols ? r->map.field_of[c] : IMP_COL_IGNORE;
		json_t *v;

		if (c >= r->map.ncols && cells[c].n) {
			snprintf(msg, sizeof(msg), "column %d has a value but no header", c + 1);
			oom = rd_fail(x, "", msg);
			break;
		}
		if (f < 0 || !cells[c].n)
			continue;
		err_clear(&re);
		v = imp_cell_value(&e->fields[f], &cells[c], &re);
		if (!v) {
			if (re.code != ERR_OK)
				oom = rd_fail(x, e->fields[f].name, re.message);
			continue;
		}
		if (e->fields[f].type == FT_REF) {
			/* resolved by the writer; 1 stands for it meanwhile (ent_validate wants a positive id,
			 * and no check hook reads a reference's value, only whether it is there) */
			if (x->nrefs == RD_REFS) {
				json_decref(v);
				return err_set(err, ERR_INTERNAL, NULL, "too many references in one row");
			}
			x->refs[x->nrefs].field = f;
			if (!(x->refs[x->nrefs++].text = arena_dup(&b->arena, json_string_value(v), json_string_length(v))))
				oom = 1;
			json_decref(v);
			v = json_integer(1);
		}
		json_object_set_new(d->in, e->fields[f].name, v);
	}
	if (!x->err && !oom) {
		err_clear(&re);
		if (ent_validate(e, &r->o->ctx, d->in, 0, &x->rec, &re)) {
			if (re.code == ERR_INTERNAL) {
				*err = re;
				return -1;
			}
			oom = rd_fail(x, re.field, re.message);
		} else if (r->typed) {
			x->v = b->vals + (b->n - 1) * (size_t)e->nfields;
			oom = typed_from(e, x->rec, x->v, &b->arena);
			x->plain = oom ? 0 : row_digest_plain(r, x->v);
			json_decref(x->rec);
			x->rec = NULL;
		}
	}
	if (oom)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (b->n == RD_BATCH && rd_send(d))
		return err_set(err, ERR_INTERNAL, NULL, "the import stopped");
	return 0;
}

static void *rd_main(void *cls)
{
	struct reader *d = cls;
	struct rd_queue *q = d->q;
	const struct imp_opts *o = d->r->o;
	struct imp_where where = {0, 0};
	struct pcmt_err err;
	int rc;

	err_clear(&err);
	rc = o->format == IMP_XLSX ? xlsx_parse(d->buf, d->n, &o->lim, rd_on_row, d, &where, &err)
				   : csv_parse(d->buf, d->n, &o->lim, rd_on_row, d, &where, &err);
	if (rc == 0 && d->cur && d->cur->n && rd_send(d))
		rc = err_set(&err, ERR_INTERNAL, NULL, "the import stopped");
	rd_batch_free(d->cur);
	d->cur = NULL;
	pthread_mutex_lock(&q->mu);
	q->done = 1;
	q->rc = rc;
	q->err = err;
	q->where = where;
	pthread_cond_signal(&q->nonempty);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* The next batch, or NULL when the reader is done and everything it sent was taken. */
static struct rd_batch *rd_next(struct rd_queue *q)
{
	struct rd_batch *b = NULL;

	pthread_mutex_lock(&q->mu);
	while (!q->n && !q->done)
		pthread_cond_wait(&q->nonempty, &q->mu);
	if (q->n) {
		b = q->q[q->head];
		q->head = (q->head + 1) % RD_QUEUE;
		q->n--;
		pthread_cond_signal(&q->nonfull);
	}
	pthread_mutex_unlock(&q->mu);
	return b;
}

/* The writer's side of one row: its references, its org units, then take(). */
static int wr_row(struct run *r, struct rd_row *x, struct rd_batch *b, struct pcmt_err *err)
{
	const struct entity_def *e = r->e;
	long row = x->row;
	json_t *rec = x->rec;
	struct bulk_val *tv = x->v;
	struct pcmt_err re;
	char msg[256];
	int32_t date = DATE_NONE;

	r->res->rows++;
	if (r->o->progress && r->res->rows - r->last_progress >= PROGRESS_EVERY) {
		r->last_progress = r->res->rows;
		r->o->progress(r->o->progress_cls, x->pos, x->total, r->res->rows);
	}
	for (int k = 0; k < x->nrefs; k++) {
		const struct field_def *fd = &e->fields[x->refs[k].field];
		int64_t id;

		msg[0] = '\0';
		if (ref_resolve(r, fd, x->refs[k].text, &id, msg, sizeof(msg), err))
			return -1;
		if (!id)
			return row_error(r, row, fd->name, msg) ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
		if (tv)
			tv[x->refs[k].field].i = id;
		else if (rec && json_object_set_new(rec, fd->name, json_integer(id)))
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	if (x->err)
		return row_error(r, row, x->err->field, x->err->message) ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
	/* org units by code as in force on the row's date */
	if (r->nou && r->map.date_field >= 0) {
		const char *d = tv ? tv[r->map.date_field].s : json_string_value(json_object_get(rec, e->fields[r->map.date_field].name));

		if (!d || date_parse(d, &date))
			date = DATE_NONE;
	}
	for (int f = 0; f < e->nfields; f++) {
		const struct field_def *fd = &e->fields[f];
		const char *code = tv ? (tv[f].is_null ? NULL : tv[f].s) : json_string_value(json_object_get(rec, fd->name));
		struct ou_info ou;

		if (fd->type != FT_OU || !code)
			continue;
		err_clear(&re);
		if (ou_resolve(r, code, date, &ou, &re)) {
			if (re.code != ERR_NOT_FOUND) {
				*err = re;
				return -1;
			}
			snprintf(msg, sizeof(msg), "%s: no org unit with code \"%.20s\"", fd->name, code);
			return row_error(r, row, fd->name, msg) ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
		}
		if (fd->ou_kind && strcmp(ou.kind, fd->ou_kind)) {
			snprintf(msg, sizeof(msg), "%s must be a %s, but %s (%.80s) is a %s", fd->name, fd->ou_kind, ou.code,
				 ou.name, ou.kind);
			return row_error(r, row, fd->name, msg) ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
		}
		if (tv) {
			tv[f].s = NULL;
			tv[f].i = ou.id;
		} else {
			json_object_set_new(rec, fd->name, json_integer(ou.id));
		}
		/* the unit that scopes the row (persons' residence) must lie in the importer's subtree: checked
		 * here, before any write, because a refused insert must leave nothing behind in the file's
		 * one transaction */
		if (r->o->scope && r->o->scope->ou_id && (e->flags & E_PERSONAL) && e->ou_expr && !strncmp(e->ou_expr, "t.", 2) &&
		    !strcmp(e->ou_expr + 2, fd->name)) {
			int yes = 0;

			if (r->s->ops->ou_within(r->s, ou.id, r->o->scope->ou_id, &yes, err))
				return -1;
			if (!yes) {
				snprintf(msg, sizeof(msg), "%s: %s (%.80s) lies outside your org unit", fd->name, ou.code, ou.name);
				return row_error(r, row, fd->name, msg) ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
			}
		}
	}
	return tv ? take_typed(r, row, tv, x->plain, b, err) : take(r, row, rec, err);
}

/* Runs the parser on a reader thread and takes its rows here, in order. Returns the first error,
 * the reader's (a malformed file, *where set) or this side's (the database). */
static int pipe_run(struct run *r, const void *buf, size_t n, struct imp_where *where, struct pcmt_err *err)
{
	struct rd_queue q;
	struct reader d;
	pthread_t th;
	struct rd_batch *b;
	int rc = 0;

	memset(&q, 0, sizeof(q));
	memset(&d, 0, sizeof(d));
	d.r = r;
	d.q = &q;
	d.buf = buf;
	d.n = n;
	if (!(d.in = json_object()))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	pthread_mutex_init(&q.mu, NULL);
	pthread_cond_init(&q.nonempty, NULL);
	pthread_cond_init(&q.nonfull, NULL);
	if (pthread_create(&th, NULL, rd_main, &d)) {
		rc = err_set(err, ERR_INTERNAL, NULL, "cannot start the reader thread");
		goto out;
	}
	while ((b = rd_next(&q))) {
		r->taking = b;
		for (size_t i = 0; rc == 0 && i < b->n; i++)
			rc = wr_row(r, &b->rows[i], b, err);
		r->taking = NULL;
		if (!b->held)
			rd_batch_free(b);
		if (rc) {
			pthread_mutex_lock(&q.mu);
			q.stop = 1;
			pthread_cond_signal(&q.nonfull);
			pthread_mutex_unlock(&q.mu);
			break;
		}
	}
	pthread_join(th, NULL);
	/* batches the reader sent before it saw the stop */
	for (size_t i = 0; i < q.n; i++)
		rd_batch_free(q.q[(q.head + i) % RD_QUEUE]);
	if (rc == 0 && q.rc) {
		*err = q.err;
		*where = q.where;
		rc = -1;
	}
out:
	pthread_cond_destroy(&q.nonfull);
	pthread_cond_destroy(&q.nonempty);
	pthread_mutex_destroy(&q.mu);
	json_decref(d.in);
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
	struct pcmt_err e2;
	int rc = -1, in_tx = 0, unchecked = 0;
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
		r.nou += e->fields[f].type == FT_OU;
		if (e->fields[f].flags & F_DERIVED)
			continue;
		if (e->fields[f].type == FT_REF && !strcmp(e->fields[f].ref, "persons") && r.pfield < 0 &&
		    (e->fields[f].flags & F_REQUIRED))
			r.pfield = f;
		r.keys[r.nkeys++] = f;
		if ((e->fields[f].flags & F_UNIQUE) && r.uniq < 0)
			r.uniq = f;
	}
	r.prow = calloc(BATCH, sizeof(*r.prow));
	r.vals = calloc((size_t)BATCH * (size_t)e->nfields, sizeof(*r.vals));
	r.typed = r.uniq < 0 && !(e->flags & E_ORGUNIT);
	if (!r.prow || !r.vals) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	/* A typed row's references and org units are each one this import found in its own
	 * transaction (wr_row: ref_resolve, ou_resolve; a cell is the only way a reference gets into a
	 * row), so the database's check of them on insert, a seek into the person table per row, is
	 * the same check again. Switched off only on a handle nobody else writes through meanwhile,
	 * and only before BEGIN (SQLite cannot change it inside a transaction). */
	if (o->own_handle && r.typed && s->ops->ref_checks) {
		if (s->ops->ref_checks(s, 0, err))
			goto out;
		unchecked = 1;
	}
	if (s->ops->begin(s, err))
		goto out;
	in_tx = 1;
	if (pipe_run(&r, buf, n, &where, err))
		goto out;
	if (!r.have_map) {
		err_set(err, ERR_INVALID, "file", "the file is empty: the first row must hold the column headers");
		goto out;
	}
	/* the rest: row by row when the whole file was small, else the last batch */
	if (!(res->failed && !o->partial)) {
		if (!r.bulk && r.npending <= BULK_MIN) {
			for (size_t i = 0; i < r.npending; i++) {
				json_t *rec = typed_json(e, r.vals + i * (size_t)e->nfields, -1);

				if (!rec) {
					err_set(err, ERR_INTERNAL, NULL, "out of memory");
					goto out;
				}
				rc = write_one(&r, r.prow[i], rec, err);
				json_decref(rec);
				if (rc)
					goto out;
			}
			rc = -1;
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
	err_clear(&e2);
	if (unchecked && s->ops->ref_checks(s, 1, &e2) && rc == 0) {
		/* the rows stay written (res->written says so), but the handle must not serve other writes */
		err_set(err, e2.code, e2.field, "the rows were written, but checks of references could not be turned back on: %s",
			e2.message);
		rc = -1;
	}
	held_free(&r);
	free(r.held);
	free(r.prow);
	free(r.vals);
	free(r.ou_tab);
	free(r.seen.h);
	kmap_free(&r.persons);
	kmap_free(&r.facilities);
	kmap_free(&r.refs);
	kmap_free(&r.has_rows);
	free(r.looked.h);
	free(r.had.h);
	free(r.existing.h);
	kmap_free(&r.ous);
	imp_map_free(&r.map);
	return rc;
}
