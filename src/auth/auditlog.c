/* auditlog.c: queries over the audit log and the walk that checks its hash chain. Portable SQL
 * through the store's sql op. */
#include "auth/auditlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_COLS "id, at, user_id, username, action, entity, record_id, detail, addr, outcome, prev_hash, hash"

static void row_entry(const char *const *v, struct audit_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->id = strtoll(v[0], NULL, 10);
	snprintf(e->at, sizeof(e->at), "%s", v[1] ? v[1] : "");
	e->user_id = v[2] ? strtoll(v[2], NULL, 10) : 0;
	snprintf(e->username, sizeof(e->username), "%s", v[3] ? v[3] : "");
	snprintf(e->action, sizeof(e->action), "%s", v[4] ? v[4] : "");
	snprintf(e->entity, sizeof(e->entity), "%s", v[5] ? v[5] : "");
	e->record_id = v[6] ? strtoll(v[6], NULL, 10) : 0;
	snprintf(e->detail, sizeof(e->detail), "%s", v[7] ? v[7] : "");
	snprintf(e->addr, sizeof(e->addr), "%s", v[8] ? v[8] : "");
	snprintf(e->outcome, sizeof(e->outcome), "%s", v[9] ? v[9] : "");
	snprintf(e->prev_hash, sizeof(e->prev_hash), "%s", v[10] ? v[10] : "");
	snprintf(e->hash, sizeof(e->hash), "%s", v[11] ? v[11] : "");
}

static int query_row(void *cls, int ncols, const char *const *v)
{
	struct audit_entry e;
	json_t *o;

	row_entry(v, &e);
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)e.id, "at", e.at, "username",
		      e.username, "action", e.action, "entity", e.entity, "detail", e.detail, "addr", e.addr, "outcome",
		      e.outcome, "hash", e.hash);
	json_object_set_new(o, "user_id", e.user_id ? json_integer(e.user_id) : json_null());
	json_object_set_new(o, "record_id", e.record_id ? json_integer(e.record_id) : json_null());
	json_array_append_new(cls, o);
	return 0;
}

int audit_query(struct store *s, const struct audit_filter *f, json_t **items, struct pcmt_err *err)
{
	static const char sql[] = "SELECT " AUDIT_COLS " FROM audit_log"
				  " WHERE (CAST($1 AS TEXT) IS NULL OR username = $1)"
				  " AND (CAST($2 AS TEXT) IS NULL OR at >= $2)"
				  " AND (CAST($3 AS TEXT) IS NULL OR at <= $3)"
				  " AND (CAST($4 AS TEXT) IS NULL OR action = $4)"
				  " ORDER BY id LIMIT CAST($5 AS INTEGER) OFFSET CAST($6 AS INTEGER)";
	char until[40], lim[16], off[16];
	const char *p[6];
	json_t *arr = json_array();

	*items = NULL;
	if (f->until && strlen(f->until) == 10)
		snprintf(until, sizeof(until), "%sT23:59:59.999Z", f->until); /* the whole day */
	else
		snprintf(until, sizeof(until), "%s", f->until ? f->until : "");
	snprintf(lim, sizeof(lim), "%d", f->limit > 0 && f->limit <= 10000 ? f->limit : 100);
	snprintf(off, sizeof(off), "%d", f->offset > 0 ? f->offset : 0);
	p[0] = f->user && *f->user ? f->user : NULL;
	p[1] = f->since && *f->since ? f->since : NULL;
	p[2] = f->until && *f->until ? until : NULL;
	p[3] = f->action && *f->action ? f->action : NULL;
	p[4] = lim;
	p[5] = off;
	if (s->ops->sql(s, sql, 6, p, query_row, arr, NULL, err)) {
		json_decref(arr);
		return -1;
	}
	*items = arr;
	return 0;
}

enum { VERIFY_PAGE = 5000 };

struct walk {
	struct audit_verdict *v;
	int64_t last_id;
	char last_hash[AUDIT_HASH_HEX + 1];
	int rows;
};

static int walk_row(void *cls, int ncols, const char *const *row)
{
	struct walk *w = cls;
	struct audit_entry e;
	char h[AUDIT_HASH_HEX + 1];

	row_entry(row, &e);
	w->rows++;
	w->last_id = e.id; /* pages continue after the last id read, broken or not */
	if (w->v->broken_at)
		return 1;
	w->v->checked++;
	if (e.id != w->v->checked) {
		w->v->broken_at = e.id;
		snprintf(w->v->why, sizeof(w->v->why), "entry %lld follows entry %lld: an entry is missing or out of place",
			 (long long)e.id, (long long)(w->v->checked - 1));
		return 1;
	}
	if (strcmp(e.prev_hash, w->last_hash)) {
		w->v->broken_at = e.id;
		snprintf(w->v->why, sizeof(w->v->why), "its previous-hash does not match the hash of entry %lld "
			 "(an entry before it was removed, replaced or moved)", (long long)(e.id - 1));
		return 1;
	}
	audit_chain_hash(&e, h);
	if (strcmp(h, e.hash)) {
		w->v->broken_at = e.id;
		snprintf(w->v->why, sizeof(w->v->why), "its contents do not match its hash (the entry was edited)");
		return 1;
	}
	memcpy(w->last_hash, e.hash, sizeof(h));
	return 0;
}

int audit_verify(struct store *s, struct audit_verdict *v, struct pcmt_err *err)
{
	static const char sql[] = "SELECT " AUDIT_COLS " FROM audit_log WHERE id > CAST($1 AS INTEGER)"
				  " ORDER BY id LIMIT " "5000";
	struct walk w;
	char after[24];
	const char *p[] = {after};

	memset(v, 0, sizeof(*v));
	memset(&w, 0, sizeof(w));
	w.v = v;
	snprintf(w.last_hash, sizeof(w.last_hash), "%s", AUDIT_GENESIS);
	do {
		w.rows = 0;
		snprintf(after, sizeof(after), "%lld", (long long)w.last_id);
		if (s->ops->sql(s, sql, 1, p, walk_row, &w, NULL, err))
			return -1;
	} while (w.rows == VERIFY_PAGE && !v->broken_at);
	snprintf(v->head, sizeof(v->head), "%s", v->broken_at ? "" : w.last_hash);
	return 0;
}
