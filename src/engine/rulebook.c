/* rulebook.c: a database's rulebook: seeds the store's rule table from the built-in default when it
 * is empty, adds at upgrades the built-in rows of codes it lacks, loads it, and renders rows as JSON for `pcmt rules` and GET /api/v1/rules. The rules
 * themselves and their dating logic are pure (src/domain/rules.c); this file only joins them to the
 * store. */
#include "engine/rulebook.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/date.h"

int rulebook_builtin(struct rulebook *rb, struct pcmt_err *err)
{
	char msg[sizeof(err->message)];

	rulebook_free(rb);
	if (rulebook_parse_tsv(rb, rulebook_default_tsv, rulebook_default_tsv_len, err)) {
		snprintf(msg, sizeof(msg), "%s", err->message);
		return err_set(err, ERR_INTERNAL, NULL, "built-in rulebook (data/rulebook.tsv): %s", msg);
	}
	return 0;
}

static int load(struct store *s, struct rulebook *rb, struct pcmt_err *err)
{
	rulebook_free(rb);
	return s->ops->rules_load(s, rb, err);
}

int rulebook_upgrade(struct store *s, int *added, json_t **codes, struct pcmt_err *err)
{
	struct rulebook have, def;
	json_t *list = NULL;
	int rc = -1, in_tx = 0;

	*added = 0;
	if (codes)
		*codes = NULL;
	rulebook_init(&have);
	rulebook_init(&def);
	/* Parse before writing, so that a broken default writes nothing. */
	if (!(list = json_array())) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (load(s, &have, err) || rulebook_builtin(&def, err))
		goto out;
	/* Two processes upgrading at once is harmless: rule_put replaces the row with the same code and
	 * date, with the same built-in values. */
	for (int i = 0, k = 0; i < def.n; i++) {
		const struct rule *r = &def.rules[i];
		int c = 1;
		char d[DATE_BUFSZ];
		json_t *row;

		/* both sorted by code: have.rules[k] is the first code not before r's */
		while (k < have.n && (c = strcmp(have.rules[k].code, r->code)) < 0)
			k++;
		if (k < have.n && c == 0)
			continue; /* the database has this code: its rows are its own (edited, superseded) */
		if (!in_tx) {
			if (s->ops->begin(s, err))
				goto out;
			in_tx = 1;
		}
		if (s->ops->rule_put(s, r, err))
			goto out;
		row = json_pack("{s:s, s:s}", "code", r->code, "effective_from", date_format(r->effective_from, d));
		if (!row || json_array_append_new(list, row)) {
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		++*added;
	}
	if (in_tx && s->ops->commit(s, err))
		goto out;
	in_tx = 0;
	if (codes) {
		*codes = list;
		list = NULL;
	}
	rc = 0;
out:
	if (in_tx) {
		s->ops->rollback(s);
		*added = 0;
	}
	json_decref(list);
	rulebook_free(&have);
	rulebook_free(&def);
	return rc;
}

int rulebook_open_ex(struct store *s, struct rulebook *rb, int *seeded, struct pcmt_err *err)
{
	int n = 0;

	if (seeded)
		*seeded = 0;
	if (load(s, rb, err))
		return -1;
	if (rb->n > 0)
		return 0;
	/* an empty table lacks every code: upgrading it is seeding it */
	if (rulebook_upgrade(s, &n, NULL, err))
		return -1;
	if (seeded)
		*seeded = n;
	return load(s, rb, err);
}

int rulebook_open(struct store *s, struct rulebook *rb, struct pcmt_err *err)
{
	return rulebook_open_ex(s, rb, NULL, err);
}

int rulebook_read(struct store *s, struct rulebook *rb, struct pcmt_err *err)
{
	if (load(s, rb, err))
		return -1;
	return rb->n > 0 ? 0 : rulebook_builtin(rb, err);
}

/* Whole values as JSON integers (30, not 30.0), others as reals (0.5). */
static json_t *value_json(double v)
{
	if (v == floor(v) && fabs(v) < 9007199254740992.0) /* 2^53: exact in a double */
		return json_integer((json_int_t)v);
	return json_real(v);
}

json_t *rulebook_row_json(const struct rulebook *rb, int i, int32_t date)
{
	const struct rule *r = &rb->rules[i];
	char d[DATE_BUFSZ];

	return json_pack("{s:s, s:o, s:s, s:s, s:b, s:s, s:s?, s:s}", "code", r->code, "value", value_json(r->value), "unit",
			 r->unit, "effective_from", date_format(r->effective_from, d), "confirmed", r->confirmed,
			 "source", r->source, "note", r->note[0] ? r->note : NULL, "status",
			 rule_status_name(rule_status_at(rb, i, date)));
}

json_t *rulebook_json(const struct rulebook *rb, int32_t date, int all)
{
	json_t *rows = json_array(), *row;
	char d[DATE_BUFSZ];

	if (!rows)
		return NULL;
	for (int i = 0; i < rb->n; i++) {
		if (!all && rule_status_at(rb, i, date) != RULE_IN_FORCE)
			continue;
		if (!(row = rulebook_row_json(rb, i, date)) || json_array_append_new(rows, row)) {
			json_decref(rows);
			return NULL;
		}
	}
	return json_pack("{s:s, s:b, s:o}", "date", date_format(date, d), "all", all, "rules", rows);
}
