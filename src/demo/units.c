/* units.c: administrative-unit import. Both input forms are first parsed into one flat list of rows
 * (so a malformed file fails before anything is inserted), then inserted level by level, parents
 * first, through ent_validate + ops->insert like any API write. */
#include "demo/units.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/date.h"

static const char *const level_kind[UNITS_LEVELS] = {"nation", "province", "district", "commune"};

#define TSV_HEADER "code\tparent_code\tkind\ttype_name\tname"
#define NATION_CODE "VN"

int units_level(const char *kind)
{
	for (int i = 0; kind && i < UNITS_LEVELS; i++)
		if (!strcmp(kind, level_kind[i]))
			return i;
	return -1;
}

/* One unit to load. Strings point into the TSV copy or the JSON tree, both alive during import. */
struct row {
	const char *code, *parent, *type_name, *name;
	int level;
	int line;         /* TSV line number, 0 for JSON */
	int ji, jj, jk;   /* JSON position data[ji].level2s[jj].level3s[jk]; -1 where not applicable */
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static int rows_push(struct rows *r, const struct row *x, struct pcmt_err *err)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		struct row *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *x;
	return 0;
}

/* Where a row came from, for error messages. */
static const char *row_where(const struct row *x, char *buf, size_t n)
{
	if (x->line)
		snprintf(buf, n, "line %d", x->line);
	else if (x->jk >= 0)
		snprintf(buf, n, "data[%d].level2s[%d].level3s[%d]", x->ji, x->jj, x->jk);
	else if (x->jj >= 0)
		snprintf(buf, n, "data[%d].level2s[%d]", x->ji, x->jj);
	else
		snprintf(buf, n, "data[%d]", x->ji);
	return buf;
}

/* ---- TSV ------------------------------------------------------------------------------------ */

/* Splits the writable copy `text` in place into rows. Tabs and newlines become NULs. */
static int parse_tsv(char *text, struct rows *out, struct pcmt_err *err)
{
	char *p = text, *f[6];
	int line = 0, header = 0;

	if (!strncmp(p, "\xEF\xBB\xBF", 3)) /* a BOM left by spreadsheet programs */
		p += 3;
	while (*p) {
		char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
		int nf = 0;
		struct row x = {0};

		line++;
		if (end > p && end[-1] == '\r')
			end[-1] = '\0';
		*end = '\0';
		if (*p == '#' || *p == '\0')
			goto next;
		if (!header) {
			if (!strcmp(p, TSV_HEADER "\tmerged_from"))
				return err_set(err, ERR_UNSUPPORTED, NULL,
					       "line %d: this is the 2025-07-01 reform list with old->new merges: "
					       "apply it with pcmt orgunits reform --mapping FILE --effective 2025-07-01", line);
			if (strcmp(p, TSV_HEADER))
				return err_set(err, ERR_BAD_REQUEST, NULL,
					       "line %d: the header must be code, parent_code, kind, type_name, name "
					       "separated by tabs", line);
			header = 1;
			goto next;
		}
		f[nf++] = p;
		for (char *q = p; *q; q++) {
			if (*q != '\t')
				continue;
			*q = '\0';
			if (nf < 6)
				f[nf] = q + 1;
			nf++;
		}
		if (nf != 5)
			return err_set(err, ERR_BAD_REQUEST, NULL, "line %d: expected 5 tab-separated fields, found %d",
				       line, nf);
		x.code = f[0];
		x.parent = f[1];
		x.type_name = f[3];
		x.name = f[4];
		x.level = units_level(f[2]);
		x.line = line;
		if (!*x.code)
			return err_set(err, ERR_BAD_REQUEST, NULL, "line %d: the code is empty", line);
		if (strlen(x.code) > 16 || strlen(x.parent) > 16)
			return err_set(err, ERR_BAD_REQUEST, NULL, "line %d: a code is longer than 16 bytes", line);
		if (x.level < 1)
			return err_set(err, ERR_BAD_REQUEST, NULL,
				       "line %d: kind must be province, district or commune", line);
		if (!*x.parent)
			return err_set(err, ERR_BAD_REQUEST, NULL, "line %d: the parent code is empty", line);
		if (rows_push(out, &x, err))
			return -1;
	next:
		p = nl ? nl + 1 : end;
	}
	if (!header)
		return err_set(err, ERR_BAD_REQUEST, NULL, "the file has no header line");
	return 0;
}

/* ---- JSON (dvhcvn.json shape) --------------------------------------------------------------- */

static const char *jtext(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Pulls id/name/type of one unit at any level; id key is e.g. "level2_id". */
static int json_unit(json_t *o, int level, const char *parent, struct row *x, struct pcmt_err *err)
{
	char key[16], where[64];

	snprintf(key, sizeof(key), "level%d_id", level);
	x->level = level;
	x->parent = parent;
	x->code = jtext(o, key);
	x->name = jtext(o, "name");
	x->type_name = jtext(o, "type");
	if (!json_is_object(o))
		return err_set(err, ERR_BAD_REQUEST, NULL, "%s: not an object", row_where(x, where, sizeof(where)));
	if (!x->code || !*x->code || strlen(x->code) > 16)
		return err_set(err, ERR_BAD_REQUEST, NULL, "%s: %s is missing or not a code",
			       row_where(x, where, sizeof(where)), key);
	if (!x->name)
		return err_set(err, ERR_BAD_REQUEST, NULL, "%s: name is missing", row_where(x, where, sizeof(where)));
	return 0;
}

static int json_children(json_t *o, const char *key, const struct row *x, json_t **arr, struct pcmt_err *err)
{
	char where[64];

	*arr = json_object_get(o, key);
	if (!json_is_array(*arr))
		return err_set(err, ERR_BAD_REQUEST, NULL, "%s: %s is missing or not a list",
			       row_where(x, where, sizeof(where)), key);
	return 0;
}

static int parse_json(json_t *root, struct rows *out, struct pcmt_err *err)
{
	json_t *data = json_object_get(root, "data"), *p, *d, *c, *l2, *l3;
	size_t i, j, k;

	if (!json_is_array(data))
		return err_set(err, ERR_BAD_REQUEST, NULL, "expected an object with a \"data\" list of provinces");
	json_array_foreach(data, i, p) {
		struct row pr = {.ji = (int)i, .jj = -1, .jk = -1};

		if (json_object_get(p, "merges") || json_object_get(p, "splits"))
			return err_set(err, ERR_UNSUPPORTED, NULL, "this is the 2025-07-01 reform mapping (merges/splits): "
				       "apply it with pcmt orgunits reform --mapping FILE --effective 2025-07-01");
		if (json_unit(p, 1, NATION_CODE, &pr, err) || rows_push(out, &pr, err) ||
		    json_children(p, "level2s", &pr, &l2, err))
			return -1;
		json_array_foreach(l2, j, d) {
			struct row dr = {.ji = (int)i, .jj = (int)j, .jk = -1};

			if (json_unit(d, 2, pr.code, &dr, err) || rows_push(out, &dr, err) ||
			    json_children(d, "level3s", &dr, &l3, err))
				return -1;
			json_array_foreach(l3, k, c) {
				struct row cr = {.ji = (int)i, .jj = (int)j, .jk = (int)k};

				if (json_unit(c, 3, dr.code, &cr, err) || rows_push(out, &cr, err))
					return -1;
			}
		}
	}
	return 0;
}

/* ---- code -> id map ------------------------------------------------------------------------- */

/* Open addressing over (level, code); the store is asked only for parents not in the file. */
struct idmap {
	struct {
		const char *code;
		int level;
		int64_t id;
	} *v;
	size_t cap; /* power of two */
};

static size_t idmap_hash(const char *code, int level)
{
	size_t h = 1469598103934665603ULL ^ (size_t)level;

	for (; *code; code++)
		h = (h ^ (unsigned char)*code) * 1099511628211ULL;
	return h;
}

static int idmap_init(struct idmap *m, size_t n, struct pcmt_err *err)
{
	m->cap = 64;
	while (m->cap < n * 2)
		m->cap *= 2;
	if (!(m->v = calloc(m->cap, sizeof(*m->v))))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	return 0;
}

static int64_t idmap_get(const struct idmap *m, const char *code, int level)
{
	for (size_t i = idmap_hash(code, level) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->v[i].code)
			return 0;
		if (m->v[i].level == level && !strcmp(m->v[i].code, code))
			return m->v[i].id;
	}
}

/* The map is sized for every row plus the nation and outside parents, so it never fills up. */
static void idmap_put(struct idmap *m, const char *code, int level, int64_t id)
{
	size_t i = idmap_hash(code, level) & (m->cap - 1);

	while (m->v[i].code && !(m->v[i].level == level && !strcmp(m->v[i].code, code)))
		i = (i + 1) & (m->cap - 1);
	m->v[i].code = code;
	m->v[i].level = level;
	m->v[i].id = id;
}

/* ---- insertion ------------------------------------------------------------------------------ */

struct imp {
	struct store *s;
	const struct ent_ctx *ctx;
	int32_t valid_from;
	struct idmap map;
	struct units_counts *c;
};

/* Inserts one unit unless a unit with its code and kind exists; *id receives the unit's id. */
static int put_unit(struct imp *im, const char *code, int level, const char *type_name, const char *name,
		    int64_t parent_id, int64_t *id, struct pcmt_err *err)
{
	struct ou_info oi;
	struct pcmt_err e2;
	json_t *in = NULL, *rec = NULL, *out = NULL;
	char d[DATE_BUFSZ];
	int rc = -1;

	err_clear(&e2);
	if (im->s->ops->ou_by_code(im->s, code, im->valid_from, &oi, &e2) == 0) {
		if (!strcmp(oi.kind, level_kind[level])) {
			im->c->skipped[level]++;
			*id = oi.id;
			return 0;
		}
	} else if (e2.code != ERR_NOT_FOUND) {
		*err = e2;
		return -1;
	}
	in = json_pack("{s:s, s:s, s:s}", "code", code, "name", name, "kind", level_kind[level]);
	if (!in)
		return err_set(err, ERR_INVALID, "name", "code or name is not valid UTF-8");
	if (type_name && *type_name)
		json_object_set_new(in, "type_name", json_string(type_name));
	if (parent_id)
		json_object_set_new(in, "parent_id", json_integer(parent_id));
	if (im->valid_from != DATE_NONE)
		json_object_set_new(in, "valid_from", json_string(date_format(im->valid_from, d)));
	if (ent_validate(&ent_orgunits, im->ctx, in, 0, &rec, err) ||
	    im->s->ops->insert(im->s, &ent_orgunits, NULL, rec, &out, err))
		goto out;
	*id = json_integer_value(json_object_get(out, "id"));
	if (*id <= 0) {
		err_set(err, ERR_INTERNAL, NULL, "the store returned no id for unit %s", code);
		goto out;
	}
	im->c->added[level]++;
	rc = 0;
out:
	json_decref(in);
	json_decref(rec);
	json_decref(out);
	return rc;
}

/* The id of x's parent: a unit of a higher level in the file, or else one already in the store. */
static int parent_of(struct imp *im, const struct row *x, int64_t *id, struct pcmt_err *err)
{
	struct ou_info oi;
	struct pcmt_err e2;
	char where[64];

	for (int l = x->level - 1; l >= 0; l--)
		if ((*id = idmap_get(&im->map, x->parent, l)))
			return 0;
	err_clear(&e2);
	if (im->s->ops->ou_by_code(im->s, x->parent, im->valid_from, &oi, &e2) == 0 &&
	    units_level(oi.kind) >= 0 && units_level(oi.kind) < x->level) {
		*id = oi.id;
		idmap_put(&im->map, x->parent, units_level(oi.kind), oi.id);
		return 0;
	}
	if (e2.code != ERR_OK && e2.code != ERR_NOT_FOUND) {
		*err = e2;
		return -1;
	}
	return err_set(err, ERR_INVALID, "parent_code", "%s: unknown parent code %s for unit %s",
		       row_where(x, where, sizeof(where)), x->parent, x->code);
}

static int insert_rows(struct imp *im, const struct rows *r, struct pcmt_err *err)
{
	int64_t nation, parent, id;
	char where[64], msg[sizeof(err->message)], field[sizeof(err->field)];

	if (put_unit(im, NATION_CODE, 0, "Quốc gia", "Việt Nam", 0, &nation, err))
		return -1;
	idmap_put(&im->map, NATION_CODE, 0, nation);
	for (int level = 1; level < UNITS_LEVELS; level++) {
		for (size_t i = 0; i < r->n; i++) {
			const struct row *x = &r->v[i];

			if (x->level != level)
				continue;
			if (parent_of(im, x, &parent, err))
				return -1;
			if (put_unit(im, x->code, level, x->type_name, x->name, parent, &id, err)) {
				/* Say which row broke the rule; the validator's message names only the field. */
				snprintf(msg, sizeof(msg), "%s", err->message);
				snprintf(field, sizeof(field), "%s", err->field);
				return err_set(err, err->code, field, "%s (code %s): %s",
					       row_where(x, where, sizeof(where)), x->code, msg);
			}
			idmap_put(&im->map, x->code, level, id);
		}
	}
	return 0;
}

int units_import(struct store *s, const struct ent_ctx *ctx, const char *buf, size_t len,
		 int32_t valid_from, struct units_counts *c, struct pcmt_err *err)
{
	struct imp im = {s, ctx, valid_from, {0}, c};
	struct rows r = {0};
	json_t *root = NULL;
	json_error_t jerr;
	char *text = NULL;
	size_t i = 0;
	int rc = -1;

	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	if (i < len && (buf[i] == '{' || buf[i] == '[')) {
		if (!(root = json_loadb(buf, len, 0, &jerr))) {
			err_set(err, ERR_BAD_REQUEST, NULL, "line %d: malformed JSON: %s", jerr.line, jerr.text);
			goto out;
		}
		if (parse_json(root, &r, err))
			goto out;
	} else {
		if (memchr(buf, '\0', len)) {
			err_set(err, ERR_BAD_REQUEST, NULL, "the file contains NUL bytes: not a TSV text file");
			goto out;
		}
		if (!(text = malloc(len + 1))) {
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		memcpy(text, buf, len);
		text[len] = '\0';
		if (parse_tsv(text, &r, err))
			goto out;
	}
	if (idmap_init(&im.map, r.n + 64, err))
		goto out;
	rc = insert_rows(&im, &r, err);
out:
	free(im.map.v);
	free(r.v);
	free(text);
	json_decref(root);
	return rc;
}

int units_read_file(const char *path, char **buf, size_t *len, struct pcmt_err *err)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL, *nb;
	size_t n = 0, cap = 0, got;
	int rc = -1;

	*buf = NULL;
	if (!f)
		return err_set(err, ERR_NOT_FOUND, NULL, "cannot open %s: %s", path, strerror(errno));
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			if (cap > (size_t)256 << 20) { /* the whole country is 2 MB; refuse absurd inputs */
				err_set(err, ERR_TOO_LARGE, NULL, "%s is larger than 256 MB", path);
				goto out;
			}
			if (!(nb = realloc(b, cap + 1))) {
				err_set(err, ERR_INTERNAL, NULL, "out of memory");
				goto out;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		err_set(err, ERR_INTERNAL, NULL, "cannot read %s", path);
		goto out;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
	rc = 0;
out:
	free(b);
	fclose(f);
	return rc;
}
