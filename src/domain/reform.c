/* reform.c: parsing a reform mapping (reform.h) into a flat list of new units with their merges,
 * so that a malformed or inconsistent file fails before anything is written. */
#include "domain/reform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push(void **arr, size_t *n, size_t *cap, size_t sz, const void *x, struct pcmt_err *err)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		void *np = realloc(*arr, nc * sz);

		if (!np)
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		*arr = np;
		*cap = nc;
	}
	memcpy((char *)*arr + *n * sz, x, sz);
	(*n)++;
	return 0;
}

struct builder {
	struct reform_map *m;
	size_t cap_u, cap_m;
};

const char *reform_type_of(const char *name, int level)
{
	static const char *const commune[] = {"Đặc khu", "Phường", "Xã"};

	if (!name)
		return NULL;
	if (level == 1)
		return !strncmp(name, "Thành phố ", strlen("Thành phố ")) ? "Thành phố Trung ương" : "Tỉnh";
	for (size_t i = 0; i < sizeof(commune) / sizeof(commune[0]); i++) {
		size_t k = strlen(commune[i]);

		if (!strncmp(name, commune[i], k) && name[k] == ' ')
			return commune[i];
	}
	return NULL;
}

static int code_ok(const char *c)
{
	if (!c || !*c || strlen(c) > 16)
		return 0;
	for (; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || *c == '-' || *c == '_'))
			return 0;
	return 1;
}

static int add_unit(struct builder *b, struct reform_unit *u, struct pcmt_err *err)
{
	if (!code_ok(u->code))
		return err_set(err, ERR_INVALID, "code", "%s: \"%s\" is not a unit code", u->where, u->code ? u->code : "");
	if (!u->name || !*u->name)
		return err_set(err, ERR_INVALID, "name", "%s: unit %s has no name", u->where, u->code);
	if (!u->type_name && !(u->type_name = reform_type_of(u->name, u->level)))
		return err_set(err, ERR_INVALID, "name", "%s: no known unit type (Xã, Phường, Đặc khu) in \"%s\"", u->where,
			       u->name);
	if (u->n == 0)
		return err_set(err, ERR_INVALID, "merges", "%s: unit %s names no old unit it was formed from", u->where, u->code);
	if (u->level == 1)
		b->m->nprov++;
	return push((void **)&b->m->u, &b->m->nu, &b->cap_u, sizeof(*u), u, err);
}

static int add_merge(struct builder *b, struct reform_unit *u, const char *code, const char *name, const char *type,
		     struct pcmt_err *err)
{
	struct reform_merge x = {code, name, 0};

	if (!code_ok(code))
		return err_set(err, ERR_INVALID, "merges", "%s: \"%s\" is not an old unit code", u->where, code ? code : "");
	if (type && !strcmp(type, "partial"))
		x.partial = 1;
	else if (!type || strcmp(type, "full"))
		return err_set(err, ERR_INVALID, "merges", "%s: merge type of %s must be full or partial, not \"%s\"", u->where,
			       code, type ? type : "");
	if (u->n == 0)
		u->first = b->m->nm;
	u->n++;
	return push((void **)&b->m->m, &b->m->nm, &b->cap_m, sizeof(x), &x, err);
}

static const char *jtext(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int json_merges(struct builder *b, struct reform_unit *u, json_t *o, struct pcmt_err *err)
{
	json_t *ms = json_object_get(o, "merges"), *x;
	size_t i;

	if (!json_is_array(ms))
		return err_set(err, ERR_INVALID, "merges", "%s: no merges[] list", u->where);
	json_array_foreach(ms, i, x)
		if (add_merge(b, u, jtext(x, "old_id"), jtext(x, "name"), jtext(x, "type"), err))
			return -1;
	return 0;
}

static int parse_json(struct builder *b, json_t *root, struct pcmt_err *err)
{
	json_t *data = json_is_array(root) ? root : json_object_get(root, "data"), *p, *c;
	size_t i, j;

	if (!json_is_array(data))
		return err_set(err, ERR_INVALID, "data", "the JSON has no data[] list of provinces");
	/* provinces first, then every commune, so that parents precede children */
	json_array_foreach(data, i, p) {
		struct reform_unit u = {.code = jtext(p, "level1_id"), .parent = "VN", .name = jtext(p, "name"), .level = 1};

		snprintf(u.where, sizeof(u.where), "data[%u]", (unsigned)i);
		if (json_merges(b, &u, p, err) || add_unit(b, &u, err))
			return -1;
	}
	json_array_foreach(data, i, p) {
		json_t *l2 = json_object_get(p, "level2s");

		if (!json_is_array(l2))
			return err_set(err, ERR_INVALID, "level2s", "data[%zu]: no level2s[] list of communes", i);
		json_array_foreach(l2, j, c) {
			struct reform_unit u = {.code = jtext(c, "level2_id"), .parent = jtext(p, "level1_id"),
						.name = jtext(c, "name"), .level = 3};

			snprintf(u.where, sizeof(u.where), "data[%u].level2s[%u]", (unsigned)i, (unsigned)j);
			if (json_merges(b, &u, c, err) || add_unit(b, &u, err))
				return -1;
		}
	}
	return 0;
}

#define TSV_HEADER "code\tparent_code\tkind\ttype_name\tname\tmerged_from"

static int parse_tsv(struct builder *b, char *text, struct pcmt_err *err)
{
	int line = 0, header = 0;

	for (char *s = text, *nl; s && *s; s = nl ? nl + 1 : NULL) {
		char *f[6], *q;
		int n = 0;

		line++;
		if ((nl = strchr(s, '\n')))
			*nl = '\0';
		if (nl && nl > s && nl[-1] == '\r')
			nl[-1] = '\0';
		if (*s == '#' || *s == '\0')
			continue;
		if (!header) {
			if (strcmp(s, TSV_HEADER))
				return err_set(err, ERR_INVALID, NULL, "line %d: expected the header \"%s\"", line,
					       "code parent_code kind type_name name merged_from (tab-separated)");
			header = 1;
			continue;
		}
		for (q = s; n < 6; n++) {
			f[n] = q;
			if (!(q = strchr(q, '\t')))
				break;
			*q++ = '\0';
		}
		if (n != 5 || q)
			return err_set(err, ERR_INVALID, NULL, "line %d: expected 6 tab-separated fields", line);
		{
			struct reform_unit u = {.code = f[0], .parent = f[1], .name = f[4], .type_name = *f[3] ? f[3] : NULL};
			char *save = NULL;

			if (!strcmp(f[2], "province"))
				u.level = 1;
			else if (!strcmp(f[2], "commune"))
				u.level = 3;
			else
				return err_set(err, ERR_INVALID, "kind", "line %d: kind must be province or commune, not \"%s\"", line,
					       f[2]);
			snprintf(u.where, sizeof(u.where), "line %d", line);
			for (char *m = strtok_r(f[5], ",", &save); m; m = strtok_r(NULL, ",", &save)) {
				char *colon = strchr(m, ':');

				if (!colon)
					return err_set(err, ERR_INVALID, "merged_from", "line %d: \"%s\" is not CODE:full or CODE:partial",
						       line, m);
				*colon = '\0';
				if (add_merge(b, &u, m, NULL, colon + 1, err))
					return -1;
			}
			if (add_unit(b, &u, err))
				return -1;
		}
	}
	if (!header)
		return err_set(err, ERR_INVALID, NULL, "the file has no header line");
	return 0;
}

/* Duplicate codes per level, communes under a province of the mapping, provinces before communes. */
static int check(struct reform_map *m, struct pcmt_err *err)
{
	for (size_t i = 0; i < m->nu; i++) {
		const struct reform_unit *u = &m->u[i];
		int parent = u->level == 1 && !strcmp(u->parent, "VN");

		if (u->level == 1 && i >= m->nprov)
			return err_set(err, ERR_INVALID, "kind", "%s: province %s comes after communes", u->where, u->code);
		for (size_t k = 0; k < m->nprov && !parent; k++)
			parent = u->level == 3 && !strcmp(m->u[k].code, u->parent);
		if (!parent)
			return err_set(err, ERR_INVALID, "parent_code", "%s: unit %s: parent %s is not a province of the mapping",
				       u->where, u->code, u->parent ? u->parent : "");
	}
	/* duplicates: sort a copy of the indexes by (level, code) */
	{
		size_t *ix = malloc(m->nu * sizeof(*ix) + 1);

		if (!ix)
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		for (size_t i = 0; i < m->nu; i++)
			ix[i] = i;
		for (size_t gap = m->nu / 2; gap > 0; gap /= 2) /* shell sort: no qsort context needed */
			for (size_t i = gap; i < m->nu; i++)
				for (size_t j = i; j >= gap; j -= gap) {
					const struct reform_unit *a = &m->u[ix[j - gap]], *c = &m->u[ix[j]];
					int cmp = a->level != c->level ? a->level - c->level : strcmp(a->code, c->code);
					size_t t;

					if (cmp <= 0)
						break;
					t = ix[j];
					ix[j] = ix[j - gap];
					ix[j - gap] = t;
				}
		for (size_t i = 1; i < m->nu; i++) {
			const struct reform_unit *a = &m->u[ix[i - 1]], *c = &m->u[ix[i]];

			if (a->level == c->level && !strcmp(a->code, c->code)) {
				err_set(err, ERR_INVALID, "code", "%s: code %s is used twice (also %s)", c->where, c->code, a->where);
				free(ix);
				return -1;
			}
		}
		free(ix);
	}
	return 0;
}

int reform_parse(const char *buf, size_t len, struct reform_map *out, struct pcmt_err *err)
{
	struct builder b = {out, 0, 0};
	size_t i = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	if (i < len && (buf[i] == '{' || buf[i] == '[')) {
		json_error_t jerr;

		if (!(out->json = json_loadb(buf, len, 0, &jerr)))
			return err_set(err, ERR_INVALID, NULL, "line %d: malformed JSON: %s", jerr.line, jerr.text);
		rc = parse_json(&b, out->json, err);
	} else {
		if (memchr(buf, '\0', len))
			return err_set(err, ERR_INVALID, NULL, "the file contains NUL bytes: not a TSV text file");
		if (!(out->text = malloc(len + 1)))
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		memcpy(out->text, buf, len);
		out->text[len] = '\0';
		rc = parse_tsv(&b, out->text, err);
	}
	if (rc == 0 && out->nu == 0)
		rc = err_set(err, ERR_INVALID, NULL, "the mapping lists no units");
	if (rc == 0)
		rc = check(out, err);
	if (rc)
		reform_map_free(out);
	return rc;
}

void reform_map_free(struct reform_map *m)
{
	free(m->u);
	free(m->m);
	json_decref(m->json);
	free(m->text);
	memset(m, 0, sizeof(*m));
}
