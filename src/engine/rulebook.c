/* rulebook.c: a database's rulebook: seeds the store's rule table from the built-in default when it
 * is empty, loads it, and renders rows as JSON for `pcmt rules` and GET /api/v1/rules. The rules
 * themselves and their dating logic are pure (src/domain/rules.c); this file only joins them to the
 * store. */
#include "engine/rulebook.h"

#include <math.h>
#include <stdio.h>

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

int rulebook_open_ex(struct store *s, struct rulebook *rb, int *seeded, struct pcmt_err *err)
{
	struct rulebook def;
	int rc = -1, in_tx = 0;

	rulebook_init(&def);
	if (seeded)
		*seeded = 0;
	if (load(s, rb, err))
		goto out;
	if (rb->n > 0) {
		rc = 0;
		goto out;
	}
	/* Parse before writing, so that a broken default writes nothing. Two processes seeding at once
	 * is harmless: rule_put replaces the row with the same code and date. */
	if (rulebook_builtin(&def, err))
		goto out;
	if (s->ops->begin(s, err))
		goto out;
	in_tx = 1;
	for (int i = 0; i < def.n; i++)
		if (s->ops->rule_put(s, &def.rules[i], err))
			goto out;
	if (s->ops->commit(s, err))
		goto out;
	in_tx = 0;
	if (seeded)
		*seeded = def.n;
	rc = load(s, rb, err);
out:
	if (in_tx)
		s->ops->rollback(s);
	rulebook_free(&def);
	return rc;
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
