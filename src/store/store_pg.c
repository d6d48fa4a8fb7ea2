/* store_pg.c: the PostgreSQL backend of store.h (libpq), for a province or the nation.
 * One connection per handle: the HTTP server opens one handle per worker thread (src/http/server.c,
 * pool_open), so its pool of handles is the connection pool, sized by --threads. SQL is generated
 * from the entity descriptors as in store_sqlite.c; values travel as text parameters and results
 * as text. Scope (an org-unit subtree) is applied here, in scope_sql() and the scoped GET, and
 * nowhere else. Every write runs in a READ COMMITTED transaction of its own (a SAVEPOINT inside an
 * explicit one, so that a refused write leaves the caller's transaction usable, as in SQLite):
 * optimistic versions are checked in the UPDATE's WHERE, which PostgreSQL re-evaluates on the
 * newest row version after waiting for a concurrent writer, so no update is lost and the loser gets
 * ERR_CONFLICT with the current version. Edits of the org-unit tree take one advisory lock so that
 * two moves cannot interleave their path rewrites. Snapshot loads read in one REPEATABLE READ
 * transaction. The change log's commit ordering is explained in pg_schema.c (m2). The bulk path and
 * snapshot loads use COPY. Nothing outside this file calls libpq. */
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_schema.h"
#include "store/store.h"
#include "store/vault.h"
#include "util/date.h"

enum { ST_INSERT, ST_GET, ST_GETS, ST_UPDATE, ST_DELETE, ST_VERSION, ST_N };
enum { ENT_MAX = 32, PATH_MAX_LEN = 256, PMAX = 64, YEAR_LO = 1800, YEAR_HI = 2200, PART_MAX = 4 };
enum { COPY_CHUNK = 1 << 20, FIND_CACHE = 32, SQL_CACHE = 32, ROWS_OF_CACHE = 4 };

struct store_pg {
	struct store base; /* first: a struct store * is a struct store_pg * */
	PGconn *conn;
	int in_tx;         /* inside an explicit begin/commit */
	int prepared;      /* the entity statements exist on this connection */
	int tx_fresh;      /* the explicit transaction has run no statement yet */
	char state[6];     /* SQLSTATE of the last failed statement */
	/* statements of the sql op prepared on this connection, by the address of their text */
	const char *sqlc[SQL_CACHE];
	int nsqlc;
	/* years whose partition is known to exist, per pg_partitioned[] entry; "pending" ones were made
	 * inside the open explicit transaction and become known at its commit */
	unsigned char years[PART_MAX][(YEAR_HI - YEAR_LO + 8) / 8];
	unsigned char years_pending[PART_MAX][(YEAR_HI - YEAR_LO + 8) / 8];
	/* find()'s prepared statements on this connection, by entity, field set and scoping */
	struct {
		int ix, scoped;
		uint64_t mask;
	} find[FIND_CACHE];
	int nfind;
	/* rows_of()'s prepared statements on this connection */
	struct {
		int ix, field, scoped;
	} rows_of[ROWS_OF_CACHE];
	int nrows_of;
};

#define PG(s) ((struct store_pg *)(s))

/* ---- small helpers -------------------------------------------------------------------------- */

struct sb {
	char *p;
	size_t n, cap;
	int oom;
};

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (k < 0) {
			b->oom = 1;
			return;
		}
		if (b->p && b->n + (size_t)k < b->cap) {
			b->n += (size_t)k;
			return;
		}
		size_t ncap = (b->cap ? b->cap * 2 : 256) + (size_t)k;
		char *np = realloc(b->p, ncap);

		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

/* Appends n raw bytes. */
static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t ncap = (b->cap ? b->cap * 2 : 4096) + n + 1;
		char *np = realloc(b->p, ncap);

		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* A value in COPY's text format: NULL as \N, and backslash, tab, newline and CR escaped. */
static void sb_copy_text(struct sb *b, const char *s)
{
	const char *run = s;

	if (!s) {
		sb_put(b, "\\N", 2);
		return;
	}
	for (; *s; s++) {
		const char *esc = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : NULL;

		if (!esc)
			continue;
		sb_put(b, run, (size_t)(s - run));
		sb_put(b, esc, 2);
		run = s + 1;
	}
	sb_put(b, run, (size_t)(s - run));
}

/* Statement parameters, all sent as text (PostgreSQL infers each one's type from its use). */
struct prm {
	int n, oom;
	char *v[PMAX];
};

static void p_str(struct prm *p, const char *s)
{
	if (p->n >= PMAX) {
		p->oom = 1;
		return;
	}
	p->v[p->n] = s ? strdup(s) : NULL;
	if (s && !p->v[p->n])
		p->oom = 1;
	p->n++;
}

static void p_i64(struct prm *p, int64_t i)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)i);
	p_str(p, buf);
}

static void p_json(struct prm *p, enum fld_type t, json_t *v)
{
	char *dump;

	if (!v || json_is_null(v)) {
		p_str(p, NULL);
		return;
	}
	switch (t) {
	case FT_INT: case FT_MONEY: case FT_REF: case FT_OU:
		p_i64(p, json_integer_value(v));
		return;
	case FT_BOOL:
		p_str(p, json_is_true(v) ? "true" : "false");
		return;
	case FT_JSON:
		if (!(dump = json_dumps(v, JSON_COMPACT))) {
			p->oom = 1;
			p_str(p, NULL);
			return;
		}
		p_str(p, dump);
		free(dump);
		return;
	default:
		p_str(p, json_string_value(v));
	}
}

static void p_free(struct prm *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->v[i]);
	p->n = 0;
}

static int ent_index(const struct entity_def *e)
{
	for (int i = 0; ent_all[i]; i++)
		if (ent_all[i] == e)
			return i;
	return -1;
}

/* Index into pg_partitioned[] of a table, or -1. */
static int part_index(const char *table)
{
	for (int i = 0; pg_partitioned[i].table && i < PART_MAX; i++)
		if (!strcmp(pg_partitioned[i].table, table))
			return i;
	return -1;
}

/* ---- errors and statements ------------------------------------------------------------------ */

/* Maps a failed result (or a broken connection when res is NULL) to a pcmt error and clears res. */
static int pg_fail(struct store_pg *s, PGresult *res, struct pcmt_err *err, const char *what)
{
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char m[200];

	snprintf(s->state, sizeof(s->state), "%s", st ? st : "");
	snprintf(m, sizeof(m), "%s", msg ? msg : PQerrorMessage(s->conn));
	m[strcspn(m, "\n")] = '\0';
	PQclear(res);
	if (PQstatus(s->conn) != CONNECTION_OK)
		return err_set(err, ERR_UNAVAILABLE, NULL, "the database connection was lost while %s, try again", what);
	if (!strcmp(s->state, "40001") || !strcmp(s->state, "40P01") || !strcmp(s->state, "55P03") ||
	    !strncmp(s->state, "53", 2) || !strncmp(s->state, "57P", 3) || !strncmp(s->state, "08", 2))
		return err_set(err, ERR_UNAVAILABLE, NULL, "the database is busy, try again");
	if (!strcmp(s->state, "23503"))
		return err_set(err, ERR_CONFLICT, NULL, "other records still refer to this one");
	if (!strncmp(s->state, "23", 2) || !strncmp(s->state, "22", 2))
		return err_set(err, ERR_INVALID, NULL, "the record breaks a database constraint (%s)", m);
	return err_set(err, ERR_INTERNAL, NULL, "database error while %s: %s", what, m);
}

static int res_ok(PGresult *res)
{
	ExecStatusType t = PQresultStatus(res);

	return t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
}

/* Runs sql (no parameters; may hold several statements). */
static int exec(struct store_pg *s, const char *sql, struct pcmt_err *err)
{
	PGresult *res;

	s->tx_fresh = 0;
	res = PQexec(s->conn, sql);
	if (!res_ok(res))
		return pg_fail(s, res, err, "running a statement");
	PQclear(res);
	return 0;
}

/* Runs sql with parameters; returns the result (caller PQclears) or NULL with err set. */
static PGresult *q(struct store_pg *s, const char *sql, const struct prm *p, struct pcmt_err *err, const char *what)
{
	PGresult *res;

	s->tx_fresh = 0;
	if (p && p->oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	res = PQexecParams(s->conn, sql, p ? p->n : 0, NULL, p ? (const char *const *)p->v : NULL, NULL, NULL, 0);
	if (!res_ok(res)) {
		pg_fail(s, res, err, what);
		return NULL;
	}
	s->state[0] = '\0';
	return res;
}

/* Runs a statement prepared by prepare_all. */
static PGresult *qp(struct store_pg *s, int ix, int st, const struct prm *p, struct pcmt_err *err, const char *what)
{
	char name[16];
	PGresult *res;

	s->tx_fresh = 0;
	if (p->oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	snprintf(name, sizeof(name), "e%d_%d", ix, st);
	res = PQexecPrepared(s->conn, name, p->n, (const char *const *)p->v, NULL, NULL, 0);
	if (!res_ok(res)) {
		pg_fail(s, res, err, what);
		return NULL;
	}
	s->state[0] = '\0';
	return res;
}

static int64_t val_i64(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* ---- the connection ------------------------------------------------------------------------- */

static void no_notices(void *arg, const char *message)
{
}

/* Settings every connection needs whatever the server's defaults: ISO dates, UTC timestamps,
 * standard strings (the LIKE escape), UTF-8. */
static int session_setup(struct store_pg *s, struct pcmt_err *err)
{
	PQsetNoticeProcessor(s->conn, no_notices, NULL);
	return exec(s, "SET DateStyle = ISO; SET TimeZone = 'UTC'; SET standard_conforming_strings = on;"
		       "SET client_encoding = 'UTF8'; SET intervalstyle = iso_8601",
		    err);
}

/* A lost connection (a server restart, a failover) is reopened before the next operation, unless a
 * transaction was open on it: that one is gone, and the caller hears so. */
static int alive(struct store_pg *s, struct pcmt_err *err)
{
	if (PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	if (s->in_tx) {
		s->in_tx = 0;
		return err_set(err, ERR_UNAVAILABLE, NULL, "the database connection was lost; the transaction was rolled back");
	}
	PQreset(s->conn);
	s->nsqlc = 0;
	if (PQstatus(s->conn) != CONNECTION_OK)
		return err_set(err, ERR_UNAVAILABLE, "db", "the database is unreachable, try again");
	s->prepared = 0;
	s->nfind = 0;
	s->nrows_of = 0;
	memset(s->years, 0, sizeof(s->years));
	return session_setup(s, err);
}

/* Opens conninfo with its database replaced by `dbname` (the server's maintenance database). */
static PGconn *connect_other(const char *url, const char *dbname)
{
	const char *keys[] = {"dbname", "dbname", NULL}, *vals[] = {url, dbname, NULL};

	return PQconnectdbParams(keys, vals, 1);
}

/* The database name a URL names, in buf ("" when none). */
static void url_dbname(const char *url, char *buf, size_t n)
{
	PQconninfoOption *opts = PQconninfoParse(url, NULL);

	buf[0] = '\0';
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, "dbname") && o->val)
			snprintf(buf, n, "%s", o->val);
	PQconninfoFree(opts);
}

/* CREATE DATABASE (create=1) or DROP DATABASE ... WITH (FORCE) (create=0) for the database the URL
 * names, through the maintenance database "postgres". */
static int admin_database(const char *url, int create, struct pcmt_err *err)
{
	char name[128], sql[400];
	PGconn *c;
	PGresult *res;
	char *id;
	int rc = -1;

	url_dbname(url, name, sizeof(name));
	if (!name[0] || !strcmp(name, "postgres") || !strcmp(name, "template0") || !strcmp(name, "template1"))
		return err_set(err, ERR_BAD_REQUEST, "db", "the URL names no database of its own");
	c = connect_other(url, "postgres");
	if (PQstatus(c) != CONNECTION_OK) {
		char m[200];

		snprintf(m, sizeof(m), "%s", PQerrorMessage(c));
		m[strcspn(m, "\n")] = '\0';
		PQfinish(c);
		return err_set(err, ERR_UNAVAILABLE, "db", "cannot reach the PostgreSQL server: %s", m);
	}
	PQsetNoticeProcessor(c, no_notices, NULL);
	if (!(id = PQescapeIdentifier(c, name, strlen(name)))) {
		PQfinish(c);
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	snprintf(sql, sizeof(sql), create ? "CREATE DATABASE %s" : "DROP DATABASE IF EXISTS %s WITH (FORCE)", id);
	PQfreemem(id);
	res = PQexec(c, sql);
	if (res_ok(res) || (create && PQresultErrorField(res, PG_DIAG_SQLSTATE) &&
			    !strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42P04"))) /* made meanwhile */
		rc = 0;
	else
		err_set(err, ERR_UNAVAILABLE, "db", "cannot %s database %s: %s", create ? "create" : "drop", name,
			PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
									  : "unknown error");
	PQclear(res);
	PQfinish(c);
	return rc;
}

int store_pg_drop(const char *url, struct pcmt_err *err)
{
	return admin_database(url, 0, err);
}

/* ---- transactions --------------------------------------------------------------------------- */

static void years_commit(struct store_pg *s, int keep)
{
	for (int i = 0; i < PART_MAX; i++)
		for (size_t k = 0; k < sizeof(s->years[i]); k++) {
			if (keep)
				s->years[i][k] |= s->years_pending[i][k];
			s->years_pending[i][k] = 0;
		}
}

/* COMMIT of a transaction that failed answers ROLLBACK without an error: check the tag. */
static int commit_tx(struct store_pg *s, struct pcmt_err *err)
{
	PGresult *res = PQexec(s->conn, "COMMIT");

	if (!res_ok(res))
		return pg_fail(s, res, err, "committing");
	if (strcmp(PQcmdStatus(res), "COMMIT")) {
		PQclear(res);
		return err_set(err, ERR_INTERNAL, NULL, "the transaction failed and was rolled back");
	}
	PQclear(res);
	return 0;
}

static int pg_begin(struct store *st, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);

	if (s->in_tx)
		return err_set(err, ERR_INTERNAL, NULL, "transaction already open");
	if (alive(s, err) || exec(s, "BEGIN", err))
		return -1;
	s->in_tx = 1;
	s->tx_fresh = 1;
	return 0;
}

static int pg_commit(struct store *st, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	int rc;

	if (!s->in_tx)
		return err_set(err, ERR_INTERNAL, NULL, "no transaction open");
	s->in_tx = 0;
	rc = commit_tx(s, err);
	years_commit(s, rc == 0);
	return rc;
}

static int pg_rollback(struct store *st)
{
	struct store_pg *s = PG(st);
	PGresult *res;

	if (!s->in_tx)
		return 0;
	s->in_tx = 0;
	years_commit(s, 0);
	res = PQexec(s->conn, "ROLLBACK");
	if (!res_ok(res)) {
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

/* A single operation runs in its own transaction, or under a savepoint inside the caller's. */
struct op {
	int mode; /* 0 nothing opened, 1 BEGIN, 2 SAVEPOINT */
};

static int op_begin(struct store_pg *s, struct op *o, struct pcmt_err *err)
{
	o->mode = 0;
	if (s->in_tx) {
		if (exec(s, "SAVEPOINT pcmt_op", err))
			return -1;
		o->mode = 2;
		return 0;
	}
	if (exec(s, "BEGIN", err))
		return -1;
	o->mode = 1;
	return 0;
}

static int op_end(struct store_pg *s, struct op *o, int rc, struct pcmt_err *err)
{
	PGresult *res;

	if (o->mode == 0)
		return rc;
	if (rc == 0) {
		if (o->mode == 1) {
			rc = commit_tx(s, err);
			years_commit(s, rc == 0);
		} else {
			rc = exec(s, "RELEASE SAVEPOINT pcmt_op", err);
		}
		if (rc == 0)
			return 0;
		if (o->mode == 1)
			return -1; /* a failed COMMIT has already rolled back */
	}
	res = PQexec(s->conn, o->mode == 1 ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT pcmt_op; RELEASE SAVEPOINT pcmt_op");
	PQclear(res);
	if (o->mode == 1)
		years_commit(s, 0);
	return -1;
}

/* ---- migrations ----------------------------------------------------------------------------- */

static int prepare_all(struct store_pg *s, struct pcmt_err *err);

static int schema_version(struct store_pg *s, int *v, struct pcmt_err *err)
{
	PGresult *res = q(s, "SELECT coalesce(max(version), 0) FROM schema_version", NULL, err, "reading the schema version");

	*v = 0;
	if (!res)
		return -1;
	*v = (int)val_i64(res, 0, 0);
	PQclear(res);
	return 0;
}

static int pg_key_reseal(struct store *st, int batch, int64_t *done, int64_t *left, struct pcmt_err *err);

/* Persons written before schema 6 are still plain: seal them now, a batch per transaction (the key
 * is needed only when there are some). */
static int seal_legacy(struct store_pg *s, struct pcmt_err *err)
{
	PGresult *res = q(s, "SELECT count(*) FROM person WHERE key_id IS NULL", NULL, err, "counting plain persons");
	int64_t n, done, left = 1;

	if (!res)
		return -1;
	n = val_i64(res, 0, 0);
	PQclear(res);
	/* A database without a key of its own adopts the key file's current one now, in a transaction of
	 * its own: writers then only read the row (FOR SHARE), and two writers' transactions never wait
	 * for each other's first insert of it. Without a key file, later (the first sealing write). */
	{
		struct pcmt_err e2;
		const struct vault *v;

		err_clear(&e2);
		if ((v = vault_get(s->base.url, &e2))) {
			struct prm p = {0};

			p_str(&p, v->keys[v->current].id);
			res = q(s, "INSERT INTO vault_state (id, key_id) VALUES (1, $1) ON CONFLICT (id) DO NOTHING", &p, err,
				"recording the key id");
			p_free(&p);
			if (!res)
				return -1;
			PQclear(res);
		}
	}
	while (n > 0 && left > 0) {
		if (pg_key_reseal(&s->base, 5000, &done, &left, err))
			return -1;
		if (done == 0 && left > 0)
			return err_set(err, ERR_INTERNAL, NULL, "%lld persons could not be sealed", (long long)left);
	}
	return 0;
}

static int pg_migrate(struct store *st, int *from, int *to, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	int v = 0, n = 0, first = 1;
	char sql[96];

	while (pg_migrations[n])
		n++;
	if (s->in_tx)
		return err_set(err, ERR_INTERNAL, NULL, "migrate inside a transaction");
	if (alive(s, err))
		return -1;
	/* one transaction per migration; the advisory lock keeps two servers starting at once apart */
	for (;;) {
		snprintf(sql, sizeof(sql), "BEGIN; SELECT pg_advisory_xact_lock(%d)", PG_LOCK_MIGRATE);
		if (exec(s, sql, err))
			return -1;
		if (exec(s, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)", err) ||
		    schema_version(s, &v, err))
			goto fail;
		if (first && from)
			*from = v;
		first = 0;
		if (v > n) {
			err_set(err, ERR_UNSUPPORTED, "db", "the database has schema version %d, newer than this pcmt (%d)", v, n);
			goto fail;
		}
		if (v == n)
			break;
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version(version) VALUES (%d)", v + 1);
		if (exec(s, pg_migrations[v], err) || exec(s, sql, err) || commit_tx(s, err))
			goto fail;
	}
	if (commit_tx(s, err))
		goto fail;
	if (to)
		*to = v;
	/* statements prepared before a migration may name what it changed */
	s->nsqlc = 0; /* DEALLOCATE ALL drops the sql op's statements too */
	if (s->prepared && exec(s, "DEALLOCATE ALL", err))
		return -1;
	s->prepared = 0;
	if (prepare_all(s, err))
		return -1;
	return seal_legacy(s, err);
fail:
	PQclear(PQexec(s->conn, "ROLLBACK"));
	return -1;
}

/* ---- SQL generated from descriptors --------------------------------------------------------- */

#define STAMP_FMT "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'"

static void select_cols(struct sb *b, const struct entity_def *e)
{
	sb_add(b, "t.id");
	for (int i = 0; i < e->nfields; i++)
		if (!(e->fields[i].flags & F_HIDDEN))
			sb_add(b, ", t.%s", e->fields[i].name);
	sb_add(b, ", t.version, to_char(t.created_at AT TIME ZONE 'UTC', " STAMP_FMT "),"
		  " to_char(t.updated_at AT TIME ZONE 'UTC', " STAMP_FMT ")");
}

static int prepare1(struct store_pg *s, int ix, int st, const char *sql, struct pcmt_err *err)
{
	char name[16];
	PGresult *res;

	snprintf(name, sizeof(name), "e%d_%d", ix, st);
	res = PQprepare(s->conn, name, sql, 0, NULL);
	if (!res_ok(res))
		return pg_fail(s, res, err, "preparing a statement");
	PQclear(res);
	return 0;
}

static int prepare_entity(struct store_pg *s, int ix, struct pcmt_err *err)
{
	const struct entity_def *e = ent_all[ix];
	struct sb b = {0};
	int rc = -1, n = e->nfields;

	sb_add(&b, "INSERT INTO %s (", e->table);
	for (int i = 0; i < n; i++)
		sb_add(&b, "%s, ", e->fields[i].name);
	/* id last: NULL takes the sequence's next; persons give it, as it is sealed into their texts */
	sb_add(&b, "created_at, updated_at, id) VALUES (");
	for (int i = 0; i < n; i++)
		sb_add(&b, "$%d, ", i + 1);
	sb_add(&b, "$%d, $%d, coalesce($%d::bigint, nextval(pg_get_serial_sequence('%s', 'id')))) RETURNING id", n + 1,
	       n + 2, n + 3, e->table);
	if (b.oom || prepare1(s, ix, ST_INSERT, b.p, err))
		goto out;
	b.n = 0;
	sb_add(&b, "SELECT ");
	select_cols(&b, e);
	sb_add(&b, " FROM %s t WHERE t.id = $1", e->table);
	if (b.oom || prepare1(s, ix, ST_GET, b.p, err))
		goto out;
	if ((e->flags & E_PERSONAL) && e->ou_expr) {
		/* one row: its org unit's path looked up and compared (as store_sqlite.c) */
		sb_add(&b, " AND EXISTS (SELECT 1 FROM org_unit o WHERE o.id = %s AND o.path >= $2 AND o.path < $3)", e->ou_expr);
		if (b.oom || prepare1(s, ix, ST_GETS, b.p, err))
			goto out;
	}
	b.n = 0;
	sb_add(&b, "UPDATE %s SET ", e->table);
	for (int i = 0; i < n; i++)
		sb_add(&b, "%s = $%d, ", e->fields[i].name, i + 1);
	sb_add(&b, "version = version + 1, updated_at = $%d WHERE id = $%d AND ($%d::bigint <= 0 OR version = $%d::bigint)",
	       n + 1, n + 2, n + 3, n + 3);
	if (b.oom || prepare1(s, ix, ST_UPDATE, b.p, err))
		goto out;
	b.n = 0;
	sb_add(&b, "DELETE FROM %s WHERE id = $1 AND ($2::bigint <= 0 OR version = $2::bigint)", e->table);
	if (b.oom || prepare1(s, ix, ST_DELETE, b.p, err))
		goto out;
	b.n = 0;
	sb_add(&b, "SELECT version FROM %s WHERE id = $1", e->table);
	if (b.oom || prepare1(s, ix, ST_VERSION, b.p, err))
		goto out;
	rc = 0;
out:
	if (b.oom)
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
	free(b.p);
	return rc;
}

static int prepare_all(struct store_pg *s, struct pcmt_err *err)
{
	if (s->prepared)
		return 0;
	for (int i = 0; ent_all[i]; i++)
		if (prepare_entity(s, i, err))
			return -1;
	s->prepared = 1;
	return 0;
}

static int ready(struct store_pg *s, struct pcmt_err *err)
{
	PGresult *res;
	int v;

	if (alive(s, err))
		return -1;
	if (s->prepared)
		return 0;
	res = q(s, "SELECT to_regclass('schema_version') IS NOT NULL", NULL, err, "reading the schema version");
	if (!res)
		return -1;
	v = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (v && schema_version(s, &v, err))
		return -1;
	if (v == 0)
		return err_set(err, ERR_UNSUPPORTED, "db", "the database has no schema: run pcmt migrate");
	return prepare_all(s, err);
}

/* ---- row <-> JSON --------------------------------------------------------------------------- */

static json_t *row_json(const PGresult *r, int row, const struct entity_def *e)
{
	json_t *o = json_object();
	int c = 0;

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_integer(val_i64(r, row, c++)));
	for (int i = 0; i < e->nfields; i++) {
		const struct field_def *f = &e->fields[i];
		json_t *v = json_null();
		const char *t;

		if (f->flags & F_HIDDEN)
			continue;
		if (!PQgetisnull(r, row, c)) {
			t = PQgetvalue(r, row, c);
			switch (f->type) {
			case FT_INT: case FT_MONEY: case FT_REF: case FT_OU:
				v = json_integer(strtoll(t, NULL, 10));
				break;
			case FT_BOOL:
				v = json_boolean(t[0] == 't');
				break;
			case FT_JSON:
				v = json_loads(t, JSON_DECODE_ANY, NULL);
				if (!v)
					v = json_null();
				break;
			default:
				v = json_string(t);
			}
		}
		json_object_set_new(o, f->name, v ? v : json_null());
		c++;
	}
	json_object_set_new(o, "version", json_integer(val_i64(r, row, c++)));
	json_object_set_new(o, "created_at", json_string(PQgetvalue(r, row, c++)));
	json_object_set_new(o, "updated_at", json_string(PQgetvalue(r, row, c++)));
	return o;
}

/* ---- org units ------------------------------------------------------------------------------ */

#define OU_COLS "SELECT id, code, kind, coalesce(parent_id, 0), valid_from, valid_to, name FROM org_unit "

static int ou_result(struct store_pg *s, PGresult *res, struct ou_info *o, struct pcmt_err *err)
{
	const char *vf, *vt;

	if (!res)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return err_set(err, ERR_NOT_FOUND, NULL, "no such org unit");
	}
	memset(o, 0, sizeof(*o));
	o->id = val_i64(res, 0, 0);
	snprintf(o->code, sizeof(o->code), "%s", PQgetvalue(res, 0, 1));
	snprintf(o->kind, sizeof(o->kind), "%s", PQgetvalue(res, 0, 2));
	o->parent_id = val_i64(res, 0, 3);
	vf = PQgetisnull(res, 0, 4) ? NULL : PQgetvalue(res, 0, 4);
	vt = PQgetisnull(res, 0, 5) ? NULL : PQgetvalue(res, 0, 5);
	if (!vf || date_parse(vf, &o->valid_from))
		o->valid_from = DATE_NONE;
	if (!vt || date_parse(vt, &o->valid_to))
		o->valid_to = DATE_NONE;
	snprintf(o->name, sizeof(o->name), "%s", PQgetvalue(res, 0, 6));
	PQclear(res);
	return 0;
}

static int pg_ou_get(struct store *st, int64_t id, struct ou_info *out, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct prm p = {0};
	int rc;

	if (ready(s, err))
		return -1;
	p_i64(&p, id);
	rc = ou_result(s, q(s, OU_COLS "WHERE id = $1", &p, err, "reading an org unit"), out, err);
	p_free(&p);
	return rc;
}

static int pg_ou_by_code(struct store *st, const char *code, int32_t date, struct ou_info *out, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct prm p = {0};
	char d[DATE_BUFSZ];
	int rc;

	if (ready(s, err))
		return -1;
	p_str(&p, code);
	p_str(&p, date_format(date == DATE_NONE ? date_today() : date, d));
	/* in force on $2 first; else the most recently valid */
	rc = ou_result(s,
		       q(s, OU_COLS "WHERE code = $1 ORDER BY ((valid_from IS NULL OR valid_from <= $2::date) AND "
				    "(valid_to IS NULL OR valid_to >= $2::date)) DESC, coalesce(valid_to, '9999-12-31') DESC, id DESC LIMIT 1",
			 &p, err, "reading an org unit"),
		       out, err);
	p_free(&p);
	return rc;
}

/* Path bounds of a subtree: rows with path in [lo, hi) are the unit and its descendants. */
static void path_hi(const char *lo, char hi[PATH_MAX_LEN])
{
	size_t n = strlen(lo);

	snprintf(hi, PATH_MAX_LEN, "%s", lo);
	if (n > 0 && n < PATH_MAX_LEN)
		hi[n - 1] = '0';
}

/* The subtree path of an org unit; "/none/" when unknown (which then matches nothing). */
static int ou_path(struct store_pg *s, int64_t id, char out[PATH_MAX_LEN], struct pcmt_err *err)
{
	struct prm p = {0};
	PGresult *res;

	out[0] = '\0';
	p_i64(&p, id);
	res = q(s, "SELECT path FROM org_unit WHERE id = $1", &p, err, "reading an org unit");
	p_free(&p);
	if (!res)
		return -1;
	if (PQntuples(res) > 0)
		snprintf(out, PATH_MAX_LEN, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (!out[0])
		snprintf(out, PATH_MAX_LEN, "/none/");
	return 0;
}

static int pg_ou_within(struct store *st, int64_t id, int64_t root, int *yes, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	char a[PATH_MAX_LEN], b[PATH_MAX_LEN];

	*yes = 0;
	if (ready(s, err) || ou_path(s, id, a, err) || ou_path(s, root, b, err))
		return -1;
	*yes = strcmp(b, "/none/") && !strncmp(a, b, strlen(b));
	return 0;
}

static int pg_ou_link(struct store *st, int64_t from, int64_t to, const char *kind, int32_t effective,
		      struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct prm p = {0};
	struct op o;
	char d[DATE_BUFSZ];
	PGresult *res;
	int rc = -1;

	if (ready(s, err) || op_begin(s, &o, err))
		return -1;
	p_i64(&p, from);
	p_i64(&p, to);
	p_str(&p, kind);
	p_str(&p, date_format(effective, d));
	res = q(s, "INSERT INTO org_unit_link (from_id, to_id, kind, effective) VALUES ($1, $2, $3, $4) "
		   "ON CONFLICT (from_id, to_id) DO UPDATE SET kind = excluded.kind, effective = excluded.effective",
		&p, err, "linking org units");
	if (res) {
		PQclear(res);
		rc = 0;
	}
	p_free(&p);
	return op_end(s, &o, rc, err);
}

static int pg_ou_get(struct store *st, int64_t id, struct ou_info *out, struct pcmt_err *err);

/* Sets path = parent's path + id + '/' for a unit, and re-roots its descendants when it moved. */
static int ou_fix_path(struct store_pg *s, int64_t id, struct pcmt_err *err)
{
	char old[PATH_MAX_LEN], parent[PATH_MAX_LEN], neu[PATH_MAX_LEN], hi[PATH_MAX_LEN];
	struct prm p = {0};
	struct ou_info self;
	PGresult *res;

	if (pg_ou_get(&s->base, id, &self, err) || ou_path(s, id, old, err))
		return -1;
	if (self.parent_id) {
		if (ou_path(s, self.parent_id, parent, err))
			return -1;
	} else {
		snprintf(parent, sizeof(parent), "/");
	}
	if (snprintf(neu, sizeof(neu), "%s%lld/", parent, (long long)id) >= (int)sizeof(neu))
		return err_set(err, ERR_INVALID, "parent_id", "org-unit tree is too deep");
	if (!strcmp(old, neu))
		return 0;
	if (strcmp(old, "/none/") && old[0] && !strncmp(parent, old, strlen(old)))
		return err_set(err, ERR_INVALID, "parent_id", "an org unit cannot be placed under itself");
	p_str(&p, neu);
	if (!old[0] || !strcmp(old, "/none/") || old[0] != '/') {
		p_i64(&p, id);
		res = q(s, "UPDATE org_unit SET path = $1 WHERE id = $2", &p, err, "updating org-unit paths");
	} else {
		path_hi(old, hi);
		p_str(&p, old);
		p_str(&p, hi);
		res = q(s, "UPDATE org_unit SET path = $1 || substr(path, length($2) + 1) WHERE path >= $2 AND path < $3",
			&p, err, "updating org-unit paths");
	}
	p_free(&p);
	PQclear(res);
	return res ? 0 : -1;
}

/* ---- checks before a write ------------------------------------------------------------------ */

/* Fills $k, $k+1 with the scope's path bounds. */
static int scope_bounds(struct store_pg *s, int64_t root, struct prm *p, struct pcmt_err *err)
{
	char lo[PATH_MAX_LEN], hi[PATH_MAX_LEN];

	if (ou_path(s, root, lo, err))
		return -1;
	path_hi(lo, hi);
	p_str(p, lo);
	p_str(p, hi);
	return 0;
}

static int pg_person_open(struct store_pg *s, json_t *row, struct pcmt_err *err);

static int scoped_get(struct store_pg *s, const struct entity_def *e, const struct scope *sc, int64_t id,
		      json_t **out, struct pcmt_err *err)
{
	int ix = ent_index(e), scoped = (e->flags & E_PERSONAL) && e->ou_expr && sc && sc->ou_id;
	struct prm p = {0};
	PGresult *res;

	*out = NULL;
	if (ix < 0)
		return err_set(err, ERR_INTERNAL, NULL, "unknown entity");
	p_i64(&p, id);
	if (scoped && scope_bounds(s, sc->ou_id, &p, err)) {
		p_free(&p);
		return -1;
	}
	res = qp(s, ix, scoped ? ST_GETS : ST_GET, &p, err, "reading a record");
	p_free(&p);
	if (!res)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return err_set(err, ERR_NOT_FOUND, NULL, "no %s with id %lld", e->name, (long long)id);
	}
	*out = row_json(res, 0, e);
	PQclear(res);
	if (!*out)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (e == &ent_persons && pg_person_open(s, *out, err)) {
		json_decref(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* Resolves org-unit codes to ids and checks that every reference exists (within scope for
 * person-level targets). Rewrites rec in place. */
static int resolve_refs(struct store_pg *s, const struct entity_def *e, const struct scope *sc, json_t *rec,
			struct pcmt_err *err)
{
	for (int i = 0; i < e->nfields; i++) {
		const struct field_def *f = &e->fields[i];
		json_t *v = json_object_get(rec, f->name);
		struct ou_info ou;

		if (!v || json_is_null(v))
			continue;
		if (f->type == FT_OU) {
			struct pcmt_err e2;

			err_clear(&e2);
			if (json_is_string(v) ? pg_ou_by_code(&s->base, json_string_value(v), DATE_NONE, &ou, &e2)
					      : pg_ou_get(&s->base, json_integer_value(v), &ou, &e2)) {
				if (e2.code != ERR_NOT_FOUND) {
					*err = e2;
					return -1;
				}
				return err_set(err, ERR_INVALID, f->name, "%s: no such org unit", f->name);
			}
			if (f->ou_kind && strcmp(ou.kind, f->ou_kind))
				return err_set(err, ERR_INVALID, f->name, "%s must be a %s, but %s is a %s", f->name,
					       f->ou_kind, ou.code, ou.kind);
			json_object_set_new(rec, f->name, json_integer(ou.id));
		} else if (f->type == FT_REF) {
			const struct entity_def *t = ent_find(f->ref);
			json_t *row = NULL;
			struct pcmt_err e2;

			err_clear(&e2);
			if (!t)
				return err_set(err, ERR_INTERNAL, f->name, "unknown reference target");
			if (scoped_get(s, t, (t->flags & E_PERSONAL) ? sc : NULL, json_integer_value(v), &row, &e2)) {
				if (e2.code != ERR_NOT_FOUND) {
					*err = e2;
					return -1;
				}
				return err_set(err, ERR_INVALID, f->name, "%s: no such record in %s", f->name, t->name);
			}
			json_decref(row);
		}
	}
	return 0;
}

/* A duplicate F_UNIQUE value: find which field and the existing row (after the failed statement's
 * transaction or savepoint was rolled back). */
/* 1 when record id of e is inside scope sc (or there is no scope). */
static int unique_visible(struct store_pg *s, const struct entity_def *e, const struct scope *sc, int64_t id)
{
	struct pcmt_err e2;
	json_t *row = NULL;
	int ok;

	if (!sc || !sc->ou_id || !(e->flags & E_PERSONAL))
		return 1;
	err_clear(&e2);
	ok = scoped_get(s, e, sc, id, &row, &e2) == 0;
	json_decref(row);
	return ok;
}

static int unique_conflict(struct store_pg *s, const struct entity_def *e, const struct scope *sc, json_t *rec,
			   int64_t self, struct pcmt_err *err)
{
	for (int i = 0; i < e->nfields; i++) {
		const struct field_def *f = &e->fields[i];
		json_t *v = json_object_get(rec, f->name);
		struct prm p = {0};
		struct pcmt_err e2;
		PGresult *res;
		char sql[200];
		int64_t found = 0;

		if (!(f->flags & F_UNIQUE) || !v || json_is_null(v))
			continue;
		snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE %s = $1 AND id <> $2", e->table, f->name);
		p_json(&p, f->type, v);
		p_i64(&p, self);
		if ((res = q(s, sql, &p, &e2, "finding a duplicate"))) {
			if (PQntuples(res) > 0)
				found = val_i64(res, 0, 0);
			PQclear(res);
		}
		p_free(&p);
		if (found && !unique_visible(s, e, sc, found)) {
			/* the holder is outside the caller's subtree: say no more than that the value is taken */
			return err_set(err, ERR_CONFLICT, f->name, "this %s is already registered outside your org unit; "
				       "ask an officer above you", f->name);
		}
		if (found) {
			err_set(err, ERR_CONFLICT, f->name, "another %s record already has this %s (id %lld)",
				e->name, f->name, (long long)found);
			err->existing_id = found;
			return -1;
		}
	}
	return err_set(err, ERR_CONFLICT, NULL, "the record duplicates a unique value");
}

/* ---- partitions ----------------------------------------------------------------------------- */

static int year_bit(const unsigned char *set, int y)
{
	return y >= YEAR_LO && y <= YEAR_HI && (set[(y - YEAR_LO) / 8] >> ((y - YEAR_LO) % 8) & 1);
}

/* Makes sure table's partition for year y exists. Inside an explicit transaction the partition is
 * made in it (and forgotten again if it rolls back); otherwise in a transaction of its own, before
 * the write that needs it, so that its brief lock on the parent is not held across that write. */
static int ensure_year(struct store_pg *s, int pix, int y, struct pcmt_err *err)
{
	struct prm p = {0};
	PGresult *res;

	if (pix < 0 || y < YEAR_LO || y > YEAR_HI || year_bit(s->years[pix], y) || year_bit(s->years_pending[pix], y))
		return 0;
	p_str(&p, pg_partitioned[pix].table);
	p_i64(&p, y);
	res = q(s, "SELECT pcmt_year_partition($1, $2::integer)", &p, err, "creating a partition");
	p_free(&p);
	if (!res)
		return -1;
	PQclear(res);
	if (s->in_tx)
		s->years_pending[pix][(y - YEAR_LO) / 8] |= (unsigned char)(1u << ((y - YEAR_LO) % 8));
	else
		s->years[pix][(y - YEAR_LO) / 8] |= (unsigned char)(1u << ((y - YEAR_LO) % 8));
	return 0;
}

static int ensure_partition_for(struct store_pg *s, const struct entity_def *e, json_t *rec, struct pcmt_err *err)
{
	int pix = part_index(e->table);
	const char *d;

	if (pix < 0)
		return 0;
	d = json_string_value(json_object_get(rec, pg_partitioned[pix].date_col));
	return d && strlen(d) >= 4 ? ensure_year(s, pix, atoi(d), err) : 0;
}

/* ---- identities (store/vault.h) ------------------------------------------------------------- */

/* The key new ciphertexts use: the database's own (vault_state), which the key file must hold; a
 * database without one adopts the key file's current key. Read FOR SHARE inside the write's
 * transaction: a rotation's key_switch (an UPDATE of that row) waits for this write and every
 * later write sees the new key. */
static int pg_write_key(struct store_pg *s, const struct vault **vp, const struct vault_key **kp, struct pcmt_err *err)
{
	const struct vault *v = vault_get(s->base.url, err);
	const struct vault_key *k = NULL;
	struct prm p = {0};
	PGresult *res;
	char id[VAULT_ID_LEN + 1] = "";

	if (!v)
		return -1;
	for (int attempt = 0; attempt < 2 && !id[0]; attempt++) {
		if (!(res = q(s, "SELECT key_id FROM vault_state WHERE id = 1 FOR SHARE", NULL, err, "reading the key id")))
			return -1;
		if (PQntuples(res) > 0)
			snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		if (id[0] || attempt)
			break;
		p_str(&p, v->keys[v->current].id);
		res = q(s, "INSERT INTO vault_state (id, key_id) VALUES (1, $1) ON CONFLICT (id) DO NOTHING", &p, err,
			"recording the key id");
		p_free(&p);
		if (!res)
			return -1;
		PQclear(res);
	}
	if (!(k = vault_key(v, id)))
		return err_set(err, ERR_UNAVAILABLE, "key",
			       "this database seals identities under key %s, which the key file %s lacks", id,
			       v->path[0] ? v->path : "($PCMT_KEY)");
	*vp = v;
	*kp = k;
	return 0;
}

/* "IN ($k, ...)" with n parameters from the next free one. */
static void in_params(struct sb *b, struct prm *p, int n)
{
	sb_add(b, "IN (");
	for (int i = 0; i < n; i++)
		sb_add(b, "%s$%d", i ? ", " : "", p->n + 1 + i);
	sb_add(b, ")");
}

static int pg_nid_taken(struct store_pg *s, const struct scope *sc, const struct vault *v, const char *nid, int64_t self,
			struct pcmt_err *err)
{
	struct sb b = {0};
	struct prm p = {0};
	PGresult *res;
	char hex[33];
	int64_t found = 0;

	sb_add(&b, "SELECT id FROM person WHERE nid_index ");
	in_params(&b, &p, v->n);
	sb_add(&b, " AND id <> $%d LIMIT 1", v->n + 1);
	for (int i = 0; i < v->n; i++) {
		vault_index_hex(&v->keys[i], "nid", nid, hex);
		p_str(&p, hex);
	}
	p_i64(&p, self);
	res = b.oom ? NULL : q(s, b.p, &p, err, "checking the national ID");
	p_free(&p);
	free(b.p);
	if (!res)
		return b.oom ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : -1;
	if (PQntuples(res) > 0)
		found = val_i64(res, 0, 0);
	PQclear(res);
	if (found && !unique_visible(s, &ent_persons, sc, found))
		/* the holder is outside the caller's subtree: say no more than that the value is taken */
		return err_set(err, ERR_CONFLICT, "national_id", "this national_id is already registered outside your org unit; "
			       "ask an officer above you");
	if (found) {
		err_set(err, ERR_CONFLICT, "national_id", "another persons record already has this national_id (id %lld)",
			(long long)found);
		err->existing_id = found;
		return -1;
	}
	return 0;
}

/* Replaces a person's search tokens (n = 0: removes them), in one statement. */
static int pg_tokens_put(struct store_pg *s, int64_t id, const int64_t *tok, int n, struct pcmt_err *err)
{
	struct sb b = {0};
	struct prm p = {0};
	PGresult *res;

	p_i64(&p, id);
	res = q(s, "DELETE FROM person_token WHERE person_id = $1", &p, err, "writing search tokens");
	if (!res) {
		p_free(&p);
		return -1;
	}
	PQclear(res);
	if (n == 0) {
		p_free(&p);
		return 0;
	}
	/* the tokens as one array parameter: "{h1,h2,...}" */
	sb_add(&b, "{");
	for (int i = 0; i < n; i++)
		sb_add(&b, "%s%lld", i ? "," : "", (long long)tok[i]);
	sb_add(&b, "}");
	p_str(&p, b.oom ? NULL : b.p);
	res = b.oom ? NULL
		    : q(s, "INSERT INTO person_token (h, person_id) SELECT DISTINCT unnest($2::bigint[]), $1::bigint"
			   " ON CONFLICT DO NOTHING", &p, err, "writing search tokens");
	free(b.p);
	p_free(&p);
	if (!res)
		return b.oom ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : -1;
	PQclear(res);
	return 0;
}

static int pg_person_seal(struct store_pg *s, const struct scope *sc, int64_t id, json_t *rec, struct pcmt_err *err)
{
	const struct vault *v = NULL;
	const struct vault_key *k = NULL;
	const char *nid = json_string_value(json_object_get(rec, "national_id"));
	int64_t tok[VAULT_MAX_TOKENS];
	int ntok = 0;

	if (pg_write_key(s, &v, &k, err))
		return -1;
	if (nid && pg_nid_taken(s, sc, v, nid, id, err))
		return -1;
	if (vault_seal_person(k, id, rec, tok, &ntok, err))
		return -1;
	return pg_tokens_put(s, id, tok, ntok, err);
}

static int pg_person_open(struct store_pg *s, json_t *row, struct pcmt_err *err)
{
	const struct vault *v = vault_get(s->base.url, err);

	if (!v)
		return -1;
	return vault_open_person(v, json_integer_value(json_object_get(row, "id")), row, err);
}

static int64_t pg_next_person_id(struct store_pg *s, struct pcmt_err *err)
{
	PGresult *res = q(s, "SELECT nextval(pg_get_serial_sequence('person', 'id'))", NULL, err, "choosing an id");
	int64_t id;

	if (!res)
		return 0;
	id = val_i64(res, 0, 0);
	PQclear(res);
	return id;
}

/* ---- CRUD ----------------------------------------------------------------------------------- */

static void p_fields(struct prm *p, const struct entity_def *e, json_t *rec)
{
	for (int i = 0; i < e->nfields; i++)
		p_json(p, e->fields[i].type, json_object_get(rec, e->fields[i].name));
}

static int tree_lock(struct store_pg *s, const struct entity_def *e, struct pcmt_err *err)
{
	char sql[64];

	if (!(e->flags & E_ORGUNIT))
		return 0;
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%d)", PG_LOCK_TREE);
	return exec(s, sql, err);
}

static int pg_insert(struct store *st, const struct entity_def *e, const struct scope *sc, json_t *in, json_t **out,
		     struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	int ix = ent_index(e), rc = -1, dup = 0;
	json_t *rec = NULL, *row = NULL;
	struct prm p = {0};
	PGresult *res;
	struct op o;
	char now[21];
	int64_t id, pid = 0;

	if (out)
		*out = NULL;
	if (ix < 0 || ready(s, err))
		return -1;
	if (!(rec = json_deep_copy(in)))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (ensure_partition_for(s, e, rec, err) || op_begin(s, &o, err))
		goto out;
	if (tree_lock(s, e, err) || resolve_refs(s, e, sc, rec, err))
		goto done;
	if (e == &ent_persons && (!(pid = pg_next_person_id(s, err)) || pg_person_seal(s, sc, pid, rec, err)))
		goto done;
	p_fields(&p, e, rec);
	date_now_iso(now);
	p_str(&p, now);
	p_str(&p, now);
	if (pid)
		p_i64(&p, pid);
	else
		p_str(&p, NULL);
	res = qp(s, ix, ST_INSERT, &p, err, "inserting");
	if (!res) {
		dup = !strcmp(s->state, "23505");
		goto done;
	}
	id = val_i64(res, 0, 0);
	PQclear(res);
	if ((e->flags & E_ORGUNIT) && ou_fix_path(s, id, err))
		goto done;
	/* The new row must be visible to its writer: this is where scope is enforced on writes. */
	if (scoped_get(s, e, sc, id, &row, err)) {
		if (err->code == ERR_NOT_FOUND)
			err_set(err, ERR_INVALID, NULL, "the record would lie outside your org unit");
		goto done;
	}
	rc = 0;
done:
	rc = op_end(s, &o, rc, err);
	if (rc && dup)
		unique_conflict(s, e, sc, rec, 0, err);
	if (rc == 0 && out) {
		*out = row;
		row = NULL;
	}
out:
	p_free(&p);
	json_decref(row);
	json_decref(rec);
	return rc;
}

static int current_version(struct store_pg *s, int ix, int64_t id, int64_t *v)
{
	struct prm p = {0};
	struct pcmt_err e2;
	PGresult *res;

	*v = 0;
	p_i64(&p, id);
	res = qp(s, ix, ST_VERSION, &p, &e2, "reading a version");
	p_free(&p);
	if (!res)
		return -1;
	if (PQntuples(res) > 0)
		*v = val_i64(res, 0, 0);
	PQclear(res);
	return 0;
}

static int pg_update(struct store *st, const struct entity_def *e, const struct scope *sc, int64_t id, json_t *in,
		     int64_t expect_version, json_t **out, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	int ix = ent_index(e), rc = -1, dup = 0, stale = 0;
	json_t *rec = NULL, *row = NULL;
	struct prm p = {0};
	PGresult *res;
	struct op o;
	char now[21];
	int64_t cur;

	if (out)
		*out = NULL;
	if (ix < 0 || ready(s, err))
		return -1;
	if (!(rec = json_deep_copy(in)))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (ensure_partition_for(s, e, rec, err) || op_begin(s, &o, err))
		goto out;
	if (tree_lock(s, e, err) || scoped_get(s, e, sc, id, &row, err))
		goto done;
	json_decref(row);
	row = NULL;
	if (resolve_refs(s, e, sc, rec, err))
		goto done;
	if (e == &ent_persons && pg_person_seal(s, sc, id, rec, err))
		goto done;
	p_fields(&p, e, rec);
	date_now_iso(now);
	p_str(&p, now);
	p_i64(&p, id);
	p_i64(&p, expect_version);
	res = qp(s, ix, ST_UPDATE, &p, err, "updating");
	if (!res) {
		dup = !strcmp(s->state, "23505");
		goto done;
	}
	stale = !strcmp(PQcmdTuples(res), "0");
	PQclear(res);
	if (stale)
		goto done;
	if ((e->flags & E_ORGUNIT) && ou_fix_path(s, id, err))
		goto done;
	if (scoped_get(s, e, sc, id, &row, err)) {
		if (err->code == ERR_NOT_FOUND)
			err_set(err, ERR_INVALID, NULL, "the record would move outside your org unit");
		goto done;
	}
	rc = 0;
done:
	rc = op_end(s, &o, rc, err);
	if (rc && dup)
		unique_conflict(s, e, sc, rec, id, err);
	if (rc && stale) {
		/* read after the rollback: the committed version that won */
		current_version(s, ix, id, &cur);
		err_set(err, ERR_CONFLICT, "version",
			"the record was changed by someone else (now version %lld, you sent %lld): reload it",
			(long long)cur, (long long)expect_version);
		err->current_version = cur;
	}
	if (rc == 0 && out) {
		*out = row;
		row = NULL;
	}
out:
	p_free(&p);
	json_decref(row);
	json_decref(rec);
	return rc;
}

static int pg_get(struct store *st, const struct entity_def *e, const struct scope *sc, int64_t id, json_t **out,
		  struct pcmt_err *err)
{
	struct store_pg *s = PG(st);

	*out = NULL;
	if (ready(s, err))
		return -1;
	return scoped_get(s, e, sc, id, out, err);
}

static int pg_del(struct store *st, const struct entity_def *e, const struct scope *sc, int64_t id,
		  int64_t expect_version, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	int ix = ent_index(e), rc = -1, stale = 0;
	json_t *row = NULL;
	struct prm p = {0};
	PGresult *res;
	struct op o;
	int64_t cur = 0;

	if (ix < 0 || ready(s, err) || op_begin(s, &o, err))
		return -1;
	if (tree_lock(s, e, err) || scoped_get(s, e, sc, id, &row, err))
		goto done;
	/* the version is checked by the DELETE itself, atomically with it */
	p_i64(&p, id);
	p_i64(&p, expect_version);
	res = qp(s, ix, ST_DELETE, &p, err, "deleting");
	if (!res)
		goto done;
	stale = !strcmp(PQcmdTuples(res), "0");
	PQclear(res);
	if (!stale && e == &ent_persons && pg_tokens_put(s, id, NULL, 0, err))
		goto done;
	if (!stale)
		rc = 0;
done:
	rc = op_end(s, &o, rc, err);
	if (rc && stale) {
		current_version(s, ix, id, &cur);
		if (cur) {
			err_set(err, ERR_CONFLICT, "version", "the record was changed by someone else (now version %lld)",
				(long long)cur);
			err->current_version = cur;
		} else {
			err_set(err, ERR_NOT_FOUND, NULL, "no %s with id %lld", e->name, (long long)id);
		}
	}
	p_free(&p);
	json_decref(row);
	return rc;
}

/* ---- lists ---------------------------------------------------------------------------------- */

/* Appends "AND <ou_expr> IN subtree(root)" with its two parameters; for a list of person-level events
 * as the set of persons residing in the subtree when store_scope_by_set() says so (a semi-join the
 * planner can hash), as in store_sqlite.c. */
static int subtree_sql(struct store_pg *s, const struct entity_def *e, int64_t root, int one_person, struct sb *w,
		       struct prm *p, struct pcmt_err *err)
{
	char lo[PATH_MAX_LEN], hi[PATH_MAX_LEN];

	if (!e->ou_expr)
		return err_set(err, ERR_BAD_REQUEST, "orgunit", "%s cannot be filtered by org unit", e->name);
	if (p->n + 2 > PMAX)
		return err_set(err, ERR_BAD_REQUEST, NULL, "too many filters");
	if (ou_path(s, root, lo, err))
		return -1;
	if (store_scope_by_set(e, lo, one_person))
		sb_add(w, " AND t.person_id IN (SELECT sp.id FROM person sp WHERE sp.residence_ou IN"
			  " (SELECT o.id FROM org_unit o WHERE o.path >= $%d AND o.path < $%d))", p->n + 1, p->n + 2);
	else
		sb_add(w, " AND %s IN (SELECT o.id FROM org_unit o WHERE o.path >= $%d AND o.path < $%d)", e->ou_expr,
		       p->n + 1, p->n + 2);
	path_hi(lo, hi);
	p_str(p, lo);
	p_str(p, hi);
	return 0;
}

/* 1 when q keeps the rows of one person (an equality filter on person_id). */
static int one_person(const struct store_query *q)
{
	for (int i = 0; i < q->neq; i++)
		if (!strcmp(q->eq[i].field, "person_id"))
			return 1;
	return 0;
}

static void like_token(struct prm *p, const char *tok, size_t n)
{
	char buf[256];
	size_t k = 0;

	buf[k++] = '%';
	for (size_t i = 0; i < n && k < sizeof(buf) - 4; i++) {
		if (tok[i] == '%' || tok[i] == '_' || tok[i] == '\\')
			buf[k++] = '\\';
		buf[k++] = tok[i];
	}
	buf[k++] = '%';
	buf[k] = '\0';
	p_str(p, buf);
}

/* Persons' national ID equal to nid, through its blind index under every key of the file. */
static int nid_index_sql(struct store_pg *s, const char *nid, struct sb *w, struct prm *p, struct pcmt_err *err)
{
	const struct vault *v = vault_get(s->base.url, err);
	char hex[33];

	if (!v)
		return -1;
	if (p->n + v->n > PMAX)
		return err_set(err, ERR_BAD_REQUEST, "q", "too many search words");
	sb_add(w, " AND t.nid_index ");
	in_params(w, p, v->n);
	for (int i = 0; i < v->n; i++) {
		vault_index_hex(&v->keys[i], "nid", nid, hex);
		p_str(p, hex);
	}
	return 0;
}

/* store_search_words' count: how many persons a word's token names under every key of the file, up
 * to STORE_SEARCH_PROBE. */
struct tok_ctx {
	struct store_pg *s;
	const struct vault *v;
};

static int tok_count(void *cls, const char *t, size_t k, long *n, struct pcmt_err *err)
{
	struct tok_ctx *c = cls;
	struct sb qs = {0};
	struct prm p = {0};
	PGresult *res = NULL;
	int rc = -1;

	sb_add(&qs, "SELECT count(*) FROM (SELECT 1 FROM person_token WHERE h ");
	in_params(&qs, &p, c->v->n);
	sb_add(&qs, " LIMIT %d) c", STORE_SEARCH_PROBE);
	for (int i = 0; i < c->v->n; i++)
		p_i64(&p, vault_index_tok(&c->v->keys[i], t, k));
	if (qs.oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto done;
	}
	if (!(res = q(c->s, qs.p, &p, err, "counting a search word")))
		goto done;
	*n = atol(PQgetvalue(res, 0, 0));
	rc = 0;
done:
	PQclear(res);
	p_free(&p);
	free(qs.p);
	return rc;
}

/* Persons' search: all digits is an exact national ID; otherwise the words of store_search_words,
 * the rarest's persons probed for the other words' tokens on the primary key (h, person_id), as on
 * SQLite. */
static int person_search_sql(struct store_pg *s, const char *t, struct sb *w, struct prm *p, struct pcmt_err *err)
{
	struct store_word word[STORE_SEARCH_WORDS];
	struct tok_ctx c = {s, NULL};
	const struct vault *v;
	int nw, lead;
	size_t n = strlen(t);

	if (strspn(t, "0123456789") == n)
		return nid_index_sql(s, t, w, p, err);
	if (!(c.v = v = vault_get(s->base.url, err)) || (nw = store_search_words(t, tok_count, &c, word, &lead, err)) < 0)
		return -1;
	if (!nw)
		return 0;
	if (p->n + nw * v->n > PMAX)
		return err_set(err, ERR_BAD_REQUEST, "q", "too many search words");
	sb_add(w, " AND t.id IN (SELECT a.person_id FROM person_token a WHERE a.h ");
	in_params(w, p, v->n);
	for (int i = 0; i < v->n; i++)
		p_i64(p, vault_index_tok(&v->keys[i], word[lead].p, word[lead].k));
	for (int j = 0; j < nw; j++) {
		if (j == lead)
			continue;
		sb_add(w, " AND EXISTS (SELECT 1 FROM person_token x WHERE x.h ");
		in_params(w, p, v->n);
		sb_add(w, " AND x.person_id = a.person_id)");
		for (int i = 0; i < v->n; i++)
			p_i64(p, vault_index_tok(&v->keys[i], word[j].p, word[j].k));
	}
	sb_add(w, ")");
	return 0;
}

static int where_sql(struct store_pg *s, const struct entity_def *e, const struct store_query *qr, struct sb *w,
		     struct prm *p, struct pcmt_err *err)
{
	char d[DATE_BUFSZ];
	int32_t asof = qr->as_of == DATE_NONE ? date_today() : qr->as_of;

	sb_add(w, " WHERE true");
	if (qr->scope && qr->scope->ou_id && (e->flags & E_PERSONAL) && subtree_sql(s, e, qr->scope->ou_id, one_person(qr), w, p, err))
		return -1;
	if (qr->ou_subtree && subtree_sql(s, e, qr->ou_subtree, one_person(qr), w, p, err))
		return -1;
	if (qr->search && *qr->search && e == &ent_persons) {
		if (person_search_sql(s, qr->search, w, p, err))
			return -1;
	} else if (qr->search && *qr->search) {
		const char *t = qr->search;
		size_t n = strlen(t), digits = strspn(t, "0123456789");

		if (!ent_field(e, "name_fold"))
			return err_set(err, ERR_BAD_REQUEST, "q", "%s cannot be searched by name", e->name);
		if (digits == n && ent_field(e, "national_id")) {
			sb_add(w, " AND t.national_id = $%d", p->n + 1);
			p_str(p, t);
		} else {
			while (*t) {
				size_t k;

				while (*t == ' ')
					t++;
				k = strcspn(t, " ");
				if (!k)
					break;
				if (p->n >= PMAX)
					return err_set(err, ERR_BAD_REQUEST, "q", "too many search words");
				sb_add(w, " AND t.name_fold LIKE $%d ESCAPE '\\'", p->n + 1);
				like_token(p, t, k);
				t += k;
			}
		}
	}
	for (int i = 0; i < qr->neq; i++) {
		const struct field_def *f = ent_field(e, qr->eq[i].field);
		json_t *v = qr->eq[i].value;

		if (!f || !(f->flags & F_FILTER))
			return err_set(err, ERR_BAD_REQUEST, qr->eq[i].field, "%s cannot be filtered by %s", e->name,
				       qr->eq[i].field);
		if (!v || json_is_null(v)) {
			sb_add(w, " AND t.%s IS NULL", f->name);
			continue;
		}
		if (!(f->type == FT_BOOL || json_is_integer(v) || json_is_string(v)))
			return err_set(err, ERR_BAD_REQUEST, f->name, "bad filter value for %s", f->name);
		if (f->flags & F_IDENT) {
			/* sealed: an exact match through its blind index (national_id is the only one) */
			if (strcmp(f->name, "national_id") || !json_is_string(v))
				return err_set(err, ERR_BAD_REQUEST, f->name, "%s cannot be filtered by %s", e->name, f->name);
			if (nid_index_sql(s, json_string_value(v), w, p, err))
				return -1;
			continue;
		}
		sb_add(w, " AND t.%s = $%d", f->name, p->n + 1);
		if (f->type == FT_BOOL)
			p_str(p, json_is_true(v) ? "true" : "false");
		else if (json_is_integer(v))
			p_i64(p, json_integer_value(v));
		else
			p_str(p, json_string_value(v));
	}
	for (int i = 0; i < qr->nrng && i < QR_MAX; i++) {
		const struct field_def *f = ent_field(e, qr->rng[i].field);
		char rd[DATE_BUFSZ];

		if (!f || f->type != FT_DATE)
			return err_set(err, ERR_BAD_REQUEST, qr->rng[i].field, "%s has no date %s", e->name, qr->rng[i].field);
		if (qr->rng[i].lo != DATE_NONE) {
			sb_add(w, " AND t.%s >= $%d::date", f->name, p->n + 1);
			p_str(p, date_format(qr->rng[i].lo, rd));
		}
		if (qr->rng[i].hi != DATE_NONE) {
			sb_add(w, " AND t.%s <= $%d::date", f->name, p->n + 1);
			p_str(p, date_format(qr->rng[i].hi, rd));
		}
	}
	date_format(asof, d);
	if (qr->classification) {
		if (e != &ent_persons)
			return err_set(err, ERR_BAD_REQUEST, "classification", "only persons have classifications");
		sb_add(w, " AND EXISTS (SELECT 1 FROM classification c WHERE c.person_id = t.id AND c.kind = $%d"
			  " AND c.date_from <= $%d::date AND (c.date_to IS NULL OR c.date_to >= $%d::date))",
		       p->n + 1, p->n + 2, p->n + 2);
		p_str(p, qr->classification);
		p_str(p, d);
	}
	if (qr->record_status) {
		char open[300];
		static const char any[] = "EXISTS (SELECT 1 FROM mgmt_record r WHERE r.person_id = t.id)";

		if (e != &ent_persons)
			return err_set(err, ERR_BAD_REQUEST, "record", "only persons have management records");
		snprintf(open, sizeof(open),
			 "EXISTS (SELECT 1 FROM mgmt_record r WHERE r.person_id = t.id AND r.opened <= $%d::date"
			 " AND (r.closed IS NULL OR r.closed >= $%d::date))",
			 p->n + 1, p->n + 1);
		if (!strcmp(qr->record_status, "open")) {
			sb_add(w, " AND %s", open);
		} else if (!strcmp(qr->record_status, "closed")) {
			sb_add(w, " AND %s AND NOT %s", any, open);
		} else if (!strcmp(qr->record_status, "none")) {
			sb_add(w, " AND NOT %s", any);
		} else {
			return err_set(err, ERR_INVALID, "record", "record must be open, closed or none");
		}
		if (strcmp(qr->record_status, "none"))
			p_str(p, d);
	}
	if (p->oom)
		return err_set(err, ERR_BAD_REQUEST, NULL, "too many filters");
	return w->oom ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
}

static int pg_list(struct store *st, const struct entity_def *e, const struct store_query *qr, json_t **items,
		   int64_t *total, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct sb w = {0}, sql = {0};
	struct prm p = {0};
	PGresult *res = NULL;
	json_t *arr = NULL;
	int rc = -1, limit = qr->limit <= 0 ? 50 : qr->limit > 1000 ? 1000 : qr->limit;

	*items = NULL;
	*total = 0;
	if (ready(s, err) || where_sql(s, e, qr, &w, &p, err))
		goto out;
	if (qr->count_max > 0)
		sb_add(&sql, "SELECT count(*) FROM (SELECT 1 FROM %s t%s LIMIT %lld) c", e->table, w.p,
		       (long long)qr->count_max + 1);
	else
		sb_add(&sql, "SELECT count(*) FROM %s t%s", e->table, w.p);
	if (sql.oom || !(res = q(s, sql.p, &p, err, "counting")))
		goto out;
	*total = val_i64(res, 0, 0);
	PQclear(res);
	sql.n = 0;
	sb_add(&sql, "SELECT ");
	select_cols(&sql, e);
	sb_add(&sql, " FROM %s t%s ORDER BY %s LIMIT %d OFFSET %d", e->table, w.p, e->order_by, limit,
	       qr->offset < 0 ? 0 : qr->offset);
	if (sql.oom || !(res = q(s, sql.p, &p, err, "listing")))
		goto out;
	if (!(arr = json_array())) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		json_t *row = row_json(res, i, e);

		if (!row) {
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		json_array_append_new(arr, row);
		if (e == &ent_persons && pg_person_open(s, row, err))
			goto out;
	}
	*items = arr;
	arr = NULL;
	rc = 0;
out:
	PQclear(res);
	json_decref(arr);
	p_free(&p);
	free(w.p);
	free(sql.p);
	return rc;
}

static int pg_person_similar(struct store *st, const struct scope *sc, const char *name_fold, int32_t dob,
			     int64_t exclude_id, json_t **out, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct sb w = {0};
	struct prm p = {0};
	PGresult *res = NULL;
	char d[DATE_BUFSZ];
	json_t *arr = NULL;
	int rc = -1;
	const struct vault *v;

	*out = NULL;
	if (ready(s, err) || !(v = vault_get(s->base.url, err)))
		return -1;
	/* name_fold holds the folded name's blind index, under whichever key sealed the row */
	sb_add(&w, "SELECT t.id, t.full_name, t.dob, t.residence_ou FROM person t WHERE t.name_fold ");
	in_params(&w, &p, v->n);
	for (int i = 0; i < v->n; i++) {
		char hex[33];

		vault_index_hex(&v->keys[i], "name", name_fold, hex);
		p_str(&p, hex);
	}
	sb_add(&w, " AND t.id <> $%d", p.n + 1);
	p_i64(&p, exclude_id);
	if (dob != DATE_NONE) {
		sb_add(&w, " AND t.dob = $%d::date", p.n + 1);
		p_str(&p, date_format(dob, d));
	}
	if (sc && sc->ou_id && subtree_sql(s, &ent_persons, sc->ou_id, 0, &w, &p, err))
		goto out;
	sb_add(&w, " ORDER BY t.id LIMIT 20");
	if (w.oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (!(res = q(s, w.p, &p, err, "finding similar persons")))
		goto out;
	if (!(arr = json_array())) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		json_t *o = json_object();

		const char *sealed = PQgetvalue(res, i, 1);
		char *name = NULL;

		json_object_set_new(o, "id", json_integer(val_i64(res, i, 0)));
		if (*sealed && vault_open(v, "person", val_i64(res, i, 0), "full_name", sealed, &name, err)) {
			json_decref(o);
			goto out;
		}
		json_object_set_new(o, "full_name", json_string(name ? name : ""));
		free(name);
		json_object_set_new(o, "dob", PQgetisnull(res, i, 2) ? json_null() : json_string(PQgetvalue(res, i, 2)));
		json_object_set_new(o, "residence_ou", json_integer(val_i64(res, i, 3)));
		json_array_append_new(arr, o);
	}
	*out = arr;
	arr = NULL;
	rc = 0;
out:
	PQclear(res);
	json_decref(arr);
	p_free(&p);
	free(w.p);
	return rc;
}

static int pg_counts(struct store *st, json_t **out, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct sb b = {0};
	PGresult *res = NULL;
	json_t *o = NULL;
	int rc = -1;

	*out = NULL;
	if (ready(s, err))
		return -1;
	sb_add(&b, "SELECT ");
	for (int i = 0; ent_all[i]; i++)
		sb_add(&b, "%s(SELECT count(*) FROM %s)", i ? ", " : "", ent_all[i]->table);
	if (b.oom || !(o = json_object())) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (!(res = q(s, b.p, NULL, err, "counting")))
		goto out;
	for (int i = 0; ent_all[i]; i++)
		json_object_set_new(o, ent_all[i]->name, json_integer(val_i64(res, 0, i)));
	*out = o;
	o = NULL;
	rc = 0;
out:
	PQclear(res);
	json_decref(o);
	free(b.p);
	return rc;
}

/* ---- rulebook ------------------------------------------------------------------------------- */

static int pg_rules_load(struct store *st, struct rulebook *rb, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	PGresult *res;

	if (ready(s, err))
		return -1;
	res = q(s, "SELECT code, value, unit, effective_from, confirmed::int, source, coalesce(note, '') FROM rule", NULL, err,
		"reading the rulebook");
	if (!res)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		struct rule r;

		memset(&r, 0, sizeof(r));
		snprintf(r.code, sizeof(r.code), "%s", PQgetvalue(res, i, 0));
		r.value = strtod(PQgetvalue(res, i, 1), NULL);
		snprintf(r.unit, sizeof(r.unit), "%s", PQgetvalue(res, i, 2));
		if (date_parse(PQgetvalue(res, i, 3), &r.effective_from)) {
			PQclear(res);
			return err_set(err, ERR_INTERNAL, "rule", "rule %s has a bad effective date", r.code);
		}
		r.confirmed = atoi(PQgetvalue(res, i, 4));
		snprintf(r.source, sizeof(r.source), "%s", PQgetvalue(res, i, 5));
		snprintf(r.note, sizeof(r.note), "%s", PQgetvalue(res, i, 6));
		if (rulebook_add(rb, &r)) {
			PQclear(res);
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		}
	}
	PQclear(res);
	rulebook_sort(rb);
	return 0;
}

static int pg_rule_put(struct store *st, const struct rule *r, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct prm p = {0};
	char d[DATE_BUFSZ], v[32];
	PGresult *res;
	struct op o;
	int rc = -1;

	if (ready(s, err) || op_begin(s, &o, err))
		return -1;
	snprintf(v, sizeof(v), "%.17g", r->value);
	p_str(&p, r->code);
	p_str(&p, v);
	p_str(&p, r->unit);
	p_str(&p, date_format(r->effective_from, d));
	p_str(&p, r->confirmed ? "true" : "false");
	p_str(&p, r->source);
	p_str(&p, r->note);
	res = q(s, "INSERT INTO rule (code, value, unit, effective_from, confirmed, source, note) "
		   "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code, effective_from) DO UPDATE SET "
		   "value = excluded.value, unit = excluded.unit, confirmed = excluded.confirmed, "
		   "source = excluded.source, note = excluded.note",
		&p, err, "writing a rule");
	if (res) {
		PQclear(res);
		rc = 0;
	}
	p_free(&p);
	return op_end(s, &o, rc, err);
}

/* ---- COPY out ------------------------------------------------------------------------------- */

/* Splits one line of COPY text format in place into fields, undoing its escapes (COPY TO emits
 * only \b \f \n \r \t \v and \\); NULL fields (\N) become NULL pointers. libpq NUL-terminates the
 * line, so writing at its end is safe. Returns the field count. */
static int copy_split(char *line, size_t len, char **f, int max)
{
	char *r = line, *end = line + len;
	int n = 0;

	if (len && end[-1] == '\n')
		end--;
	while (n < max) {
		char *w = r, *start = r;

		if (end - r >= 2 && r[0] == '\\' && r[1] == 'N' && (r + 2 == end || r[2] == '\t')) {
			f[n++] = NULL;
			r += 2;
		} else {
			while (r < end && *r != '\t') {
				if (*r == '\\' && r + 1 < end) {
					r++;
					*w++ = *r == 'b' ? '\b' : *r == 'f' ? '\f' : *r == 'n' ? '\n' : *r == 'r' ? '\r'
					     : *r == 't' ? '\t' : *r == 'v' ? '\v' : *r;
					r++;
				} else {
					*w++ = *r++;
				}
			}
			f[n++] = start;
		}
		*w = '\0';
		if (r >= end)
			break;
		r++; /* the tab */
	}
	return n;
}

/* Runs `COPY (...) TO STDOUT` and calls fn for each row (fields as text, NULL for SQL NULL).
 * fn returns non-zero to fail (out of memory). The whole result is always drained. */
static int copy_out(struct store_pg *s, const char *sql, int (*fn)(void *cls, char **f, int n), void *cls,
		    struct pcmt_err *err)
{
	PGresult *res;
	char *line = NULL, *f[64];
	int len, rc = 0;

	s->tx_fresh = 0;
	res = PQexec(s->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_OUT)
		return pg_fail(s, res, err, "reading rows");
	PQclear(res);
	while ((len = PQgetCopyData(s->conn, &line, 0)) > 0) {
		if (rc == 0 && fn(cls, f, copy_split(line, (size_t)len, f, 64)))
			rc = err_set(err, ERR_INTERNAL, NULL, "out of memory reading rows");
		PQfreemem(line);
	}
	while ((res = PQgetResult(s->conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
			rc = pg_fail(s, res, err, "reading rows");
			continue;
		}
		PQclear(res);
	}
	if (len == -2 && rc == 0)
		rc = err_set(err, ERR_UNAVAILABLE, NULL, "the database connection failed while reading rows");
	return rc;
}

/* ---- live snapshot -------------------------------------------------------------------------- */

static int32_t f_date(const char *t, int32_t if_null)
{
	int32_t d;

	return t && date_parse(t, &d) == 0 ? d : if_null;
}

static int64_t f_i64(const char *t)
{
	return t ? strtoll(t, NULL, 10) : 0;
}

static const char *f_text(const char *t)
{
	return t ? t : "";
}

/* The event queries: person_id first, then each kind's columns (ev_add reads them). */
static const char *const ev_sql[] = {
	"SELECT person_id, kind, date_from, date_to FROM classification",
	"SELECT person_id, det_date, facility_id, result FROM determination",
	"SELECT person_id, kind, opened, closed, managing_ou FROM mgmt_record",
	"SELECT person_id, test_date, kind, result FROM drug_test",
	"SELECT person_id, kind, coalesce(facility_id, 0), start_date, planned_end, end_date, outcome FROM treatment",
	"SELECT person_id, kind, support_date FROM support",
	"SELECT person_id, dose_date, kind FROM ost_dose",
	"SELECT person_id, valid_from, valid_to FROM ost_prescription",
	"SELECT person_id, ou_id, date_from, date_to FROM residence_history",
};
enum { EV_N = sizeof(ev_sql) / sizeof(ev_sql[0]) };

static int ev_add(struct snap_person *p, int which, char **f)
{
	switch (which) {
	case 0: return snap_person_cls(p, f_text(f[1]), f_date(f[2], DATE_NONE), f_date(f[3], SNAP_OPEN));
	case 1: return snap_person_det(p, f_date(f[1], DATE_NONE), f_i64(f[2]), f_text(f[3]));
	case 2: return snap_person_rec(p, f_text(f[1]), f_date(f[2], DATE_NONE), f_date(f[3], SNAP_OPEN), f_i64(f[4]));
	case 3: return snap_person_test(p, f_date(f[1], DATE_NONE), f_text(f[2]), f_text(f[3]));
	case 4: return snap_person_treat(p, f_text(f[1]), f_i64(f[2]), f_date(f[3], DATE_NONE), f_date(f[4], SNAP_OPEN),
					 f_date(f[5], SNAP_OPEN), f_text(f[6]));
	case 5: return snap_person_sup(p, f_text(f[1]), f_date(f[2], DATE_NONE));
	case 6: return snap_person_dose(p, f_date(f[1], DATE_NONE), f_text(f[2]));
	case 7: return snap_person_rx(p, f_date(f[1], DATE_NONE), f_date(f[2], DATE_NONE));
	default: return snap_person_res(p, f_i64(f[1]), f_date(f[2], DATE_NONE), f_date(f[3], DATE_NONE));
	}
}

struct load_cx {
	struct snap *sn;
	int which;
	struct snap_person *p; /* the last person an event went to */
};

static int load_ou(void *cls, char **f, int n)
{
	struct load_cx *cx = cls;

	return n < 7 || snap_ou_add(cx->sn, f_i64(f[0]), f_i64(f[1]), f_text(f[2]), f_text(f[3]), f_text(f[4]),
				    f_date(f[5], DATE_NONE), f_date(f[6], SNAP_OPEN));
}

static int load_link(void *cls, char **f, int n)
{
	struct load_cx *cx = cls;

	return n < 4 || snap_link_add(cx->sn, f_i64(f[0]), f_i64(f[1]), f_text(f[2]), f_date(f[3], DATE_NONE));
}

static int load_facility(void *cls, char **f, int n)
{
	struct load_cx *cx = cls;

	return n < 5 || snap_facility_add(cx->sn, f_i64(f[0]), f_i64(f[1]), f_text(f[2]), (int)f_i64(f[3]),
					  f_date(f[4], DATE_NONE));
}

static int load_person(void *cls, char **f, int n)
{
	struct load_cx *cx = cls;
	struct snap_person *p;

	if (n < 4 || !(p = snap_person_new(f_i64(f[0]), f_i64(f[1]), f_text(f[2]), f_date(f[3], DATE_NONE))))
		return -1;
	return snap_person_put(cx->sn, p);
}

static int load_event(void *cls, char **f, int n)
{
	struct load_cx *cx = cls;
	int64_t pid = f_i64(f[0]);

	if (!cx->p || cx->p->id != pid)
		cx->p = snap_person_mut(cx->sn, pid);
	if (!cx->p)
		return 0;
	if (cx->which == 3)
		return snap_slab_test(cx->sn, cx->p, f_date(f[1], DATE_NONE), f_text(f[2]), f_text(f[3]));
	return ev_add(cx->p, cx->which, f);
}

static int log_position(struct store_pg *s, int64_t *pos, struct pcmt_err *err)
{
	PGresult *res = q(s, "SELECT greatest((SELECT coalesce(max(seq), 0) FROM change_log), (SELECT max(upto) FROM change_log_pruned))",
			  NULL, err, "reading the change log");

	if (!res)
		return -1;
	*pos = val_i64(res, 0, 0);
	PQclear(res);
	return 0;
}

static int pg_snap_load(struct store *st, struct snap *sn, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct load_cx cx = {sn, 0, NULL};
	char sql[400];
	int rc = -1, mine = 0;

	if (ready(s, err))
		return -1;
	/* one snapshot: the image and its change-log position agree (see pg_schema.c m2 for why every
	 * entry at or below that position is then in the image) */
	if (!s->in_tx) {
		if (exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err))
			return -1;
		mine = 1;
	}
	if (log_position(s, &sn->seq, err) ||
	    copy_out(s, "COPY (SELECT id, coalesce(parent_id, 0), kind, code, name, valid_from, valid_to FROM org_unit ORDER BY id) TO STDOUT",
		     load_ou, &cx, err) ||
	    copy_out(s, "COPY (SELECT id, ou_id, kind, coalesce(qualified::int, 0), qualified_since FROM facility ORDER BY id) TO STDOUT",
		     load_facility, &cx, err))
		goto out;
	if (snap_finish(sn)) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory loading the snapshot");
		goto out;
	}
	if (copy_out(s, "COPY (SELECT from_id, to_id, kind, effective FROM org_unit_link ORDER BY from_id, to_id) TO STDOUT",
		     load_link, &cx, err))
		goto out;
	if (copy_out(s, "COPY (SELECT id, residence_ou, sex, dob FROM person ORDER BY id) TO STDOUT", load_person, &cx, err))
		goto out;
	/* tests are most of the image: counted first so that they go into one slab, each person's
	 * together (hence ORDER BY person_id for them) */
	{
		PGresult *res = q(s, "SELECT count(*) FROM drug_test", NULL, err, "counting tests");

		if (!res)
			goto out;
		if (snap_slab_reserve(sn, (size_t)val_i64(res, 0, 0))) {
			PQclear(res);
			err_set(err, ERR_INTERNAL, NULL, "out of memory loading the snapshot");
			goto out;
		}
		PQclear(res);
	}
	for (cx.which = 0; cx.which < EV_N; cx.which++) {
		/* other events: no ORDER BY, a sequential scan; load_event finds each row's person */
		snprintf(sql, sizeof(sql), "COPY (%s%s) TO STDOUT", ev_sql[cx.which], cx.which == 3 ? " ORDER BY person_id" : "");
		cx.p = NULL;
		if (copy_out(s, sql, load_event, &cx, err))
			goto out;
	}
	snap_sort_all(sn);
	rc = 0;
out:
	if (mine)
		PQclear(PQexec(s->conn, rc ? "ROLLBACK" : "COMMIT"));
	return rc;
}

/* The operations image: five small scans in one snapshot, JSON lists passed through as stored. */
struct oper_cx {
	struct op_image *img;
	int k;
};

static int load_oper_row(void *cls, char **f, int n)
{
	struct oper_cx *cx = cls;
	int64_t id = f_i64(f[0]), ou = f_i64(f[1]);

	switch (cx->k) {
	case 0:
		return op_hotspot_add(cx->img, id, ou, f_text(f[2]), f[3], f_date(f[4], DATE_NONE), f[5]);
	case 1:
		return op_case_add(cx->img, id, ou, f_date(f[2], DATE_NONE), f_text(f[3]), f_text(f[4]), (int)f_i64(f[5]),
				   (int)f_i64(f[6]), f_i64(f[7]), f_i64(f[8]), f[9], f[10]);
	case 2:
		return op_plant_add(cx->img, id, ou, f[2], f_date(f[3], DATE_NONE), f_date(f[4], DATE_NONE), f_i64(f[5]),
				    f_i64(f[6]), (int)f_i64(f[7]));
	case 3:
		return op_comm_add(cx->img, id, ou, f_date(f[2], DATE_NONE), f_text(f[3]), f[4], f_i64(f[5]), f_i64(f[6]));
	default:
		return op_pop_add(cx->img, id, ou, (int)f_i64(f[2]), f_i64(f[3]));
	}
}

static int pg_oper_load(struct store *st, struct op_image *img, struct pcmt_err *err)
{
	static const char *const sql[] = {
		"COPY (SELECT id, ou_id, kind, venue_kind, discovered, status_history FROM hotspot ORDER BY id) TO STDOUT",
		"COPY (SELECT id, ou_id, detected, detecting_force, route, coalesce(organised::int, 0), coalesce(transnational::int, 0),"
		" suspects, coalesce(ringleaders, 0), seizures, stages FROM drug_case ORDER BY id) TO STDOUT",
		"COPY (SELECT id, ou_id, plant, detected, eradicated, area_m2, plant_count, coalesce(replanted::int, 0) FROM plant_site"
		" ORDER BY id) TO STDOUT",
		"COPY (SELECT id, ou_id, activity_date, form, audience, coalesce(participants, 0), coalesce(commitments_signed, 0)"
		" FROM communication_activity ORDER BY id) TO STDOUT",
		"COPY (SELECT id, ou_id, year, population FROM ou_population ORDER BY id) TO STDOUT",
	};
	struct store_pg *s = PG(st);
	struct oper_cx cx = {img, 0};
	int rc = 0, mine = 0;

	if (ready(s, err))
		return -1;
	if (!s->in_tx) {
		if (exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err))
			return -1;
		mine = 1;
	}
	for (cx.k = 0; cx.k < 5 && rc == 0; cx.k++)
		rc = copy_out(s, sql[cx.k], load_oper_row, &cx, err);
	if (rc == 0)
		op_image_finish(img);
	if (mine)
		PQclear(PQexec(s->conn, rc ? "ROLLBACK" : "COMMIT"));
	return rc;
}

/* One person's facts in one round trip: the person (tag -1), then each kind of event (tag = its
 * index in ev_sql), every column as text in ev_add's order, padded to 7. */
static const char snap_person_sql[] =
	"SELECT -1, residence_ou::text, sex, dob::text, NULL, NULL, NULL, NULL FROM person WHERE id = $1"
	" UNION ALL SELECT 0, kind, date_from::text, date_to::text, NULL, NULL, NULL, NULL FROM classification WHERE person_id = $1"
	" UNION ALL SELECT 1, det_date::text, facility_id::text, result, NULL, NULL, NULL, NULL FROM determination WHERE person_id = $1"
	" UNION ALL SELECT 2, kind, opened::text, closed::text, managing_ou::text, NULL, NULL, NULL FROM mgmt_record WHERE person_id = $1"
	" UNION ALL SELECT 3, test_date::text, kind, result, NULL, NULL, NULL, NULL FROM drug_test WHERE person_id = $1"
	" UNION ALL SELECT 4, kind, coalesce(facility_id, 0)::text, start_date::text, planned_end::text, end_date::text, outcome, NULL"
	" FROM treatment WHERE person_id = $1"
	" UNION ALL SELECT 5, kind, support_date::text, NULL, NULL, NULL, NULL, NULL FROM support WHERE person_id = $1"
	" UNION ALL SELECT 6, dose_date::text, kind, NULL, NULL, NULL, NULL, NULL FROM ost_dose WHERE person_id = $1"
	" UNION ALL SELECT 7, valid_from::text, valid_to::text, NULL, NULL, NULL, NULL, NULL FROM ost_prescription"
	" WHERE person_id = $1"
	" UNION ALL SELECT 8, ou_id::text, date_from::text, date_to::text, NULL, NULL, NULL, NULL FROM residence_history"
	" WHERE person_id = $1";

static int pg_snap_person(struct store *st, int64_t id, struct snap_person **out, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct snap_person *p = NULL;
	struct prm pr = {0};
	PGresult *res;
	int rc = -1;

	*out = NULL;
	if (ready(s, err))
		return -1;
	p_i64(&pr, id);
	res = q(s, snap_person_sql, &pr, err, "reading a person");
	p_free(&pr);
	if (!res)
		return -1;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < PQntuples(res); i++) {
			int w = atoi(PQgetvalue(res, i, 0));
			char *f[8];

			for (int c = 0; c < 8; c++)
				f[c] = c == 0 || PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c);
			if (pass == 0 && w < 0 && !(p = snap_person_new(id, f_i64(f[1]), f_text(f[2]), f_date(f[3], DATE_NONE)))) {
				err_set(err, ERR_INTERNAL, NULL, "out of memory");
				goto out;
			}
			if (pass == 1 && w >= 0 && ev_add(p, w, f)) {
				err_set(err, ERR_INTERNAL, NULL, "cannot read person %lld for the snapshot", (long long)id);
				goto out;
			}
		}
		if (!p) /* deleted */
			break;
	}
	*out = p;
	p = NULL;
	rc = 0;
out:
	snap_person_free(p);
	PQclear(res);
	return rc;
}

static int pg_changes(struct store *st, int64_t after, int (*fn)(void *cls, int64_t person_id, const char *table),
		      void *cls, int64_t *last, int *gap, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct prm p = {0};
	PGresult *res;
	int64_t upto;

	*last = after;
	*gap = 0;
	if (ready(s, err))
		return -1;
	/* no lock: entries are numbered in commit order (pg_schema.c, m2), so every entry below a
	 * visible one is already visible or never will be */
	p_i64(&p, after);
	res = q(s, "SELECT c.seq, c.person_id, c.tbl, w.upto FROM (SELECT max(upto) AS upto FROM change_log_pruned) w"
		   " LEFT JOIN LATERAL (SELECT seq, person_id, tbl FROM change_log WHERE seq > $1) c ON true ORDER BY c.seq",
		&p, err, "reading the change log");
	p_free(&p);
	if (!res)
		return -1;
	upto = PQntuples(res) ? val_i64(res, 0, 3) : 0;
	if (after < upto) {
		/* entries after `after` may have been pruned: the caller reloads */
		*gap = 1;
		*last = upto > after ? upto : after + 1;
		for (int i = 0; i < PQntuples(res); i++)
			if (!PQgetisnull(res, i, 0) && val_i64(res, i, 0) > *last)
				*last = val_i64(res, i, 0);
		PQclear(res);
		return 0;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, 0))
			continue;
		*last = val_i64(res, i, 0);
		if (fn(cls, val_i64(res, i, 1), PQgetvalue(res, i, 2)))
			break;
	}
	PQclear(res);
	return 0;
}

/* ---- natural keys (imports) ----------------------------------------------------------------- */

/* SELECT id ... WHERE f1 = $1 AND ...: '=' for required fields (never null, so indexes serve), IS
 * NOT DISTINCT FROM for the others, json compared as text (json has no equality; pcmt writes it
 * compact, so equal lists are equal text). Prepared once per connection and field set. */
/* find() by national ID: the persons whose blind index matches under any key of the file, in scope. */
static int find_nid(struct store_pg *s, const struct scope *sc, const char *nid, int64_t *id, int *n,
		    struct pcmt_err *err)
{
	struct sb w = {0};
	struct prm p = {0};
	PGresult *res = NULL;
	int rc = -1;

	if (!nid)
		return 0;
	sb_add(&w, "SELECT t.id FROM person t WHERE true");
	if (nid_index_sql(s, nid, &w, &p, err))
		goto out;
	if (sc && sc->ou_id && subtree_sql(s, &ent_persons, sc->ou_id, 0, &w, &p, err))
		goto out;
	sb_add(&w, " ORDER BY t.id LIMIT 2");
	if (w.oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (!(res = q(s, w.p, &p, err, "looking up a record")))
		goto out;
	*n = PQntuples(res);
	if (*n)
		*id = val_i64(res, 0, 0);
	rc = 0;
out:
	PQclear(res);
	p_free(&p);
	free(w.p);
	return rc;
}

/* find() of a person on fields some of which are sealed (see store_sqlite.c's twin). */
static int find_sealed(struct store_pg *s, const struct scope *sc, json_t *rec, const int *fields, int nf,
		       int64_t *id, int *n, struct pcmt_err *err)
{
	const struct vault *v = vault_get(s->base.url, err);
	const char *fold = json_string_value(json_object_get(rec, "name_fold"));
	struct sb w = {0};
	struct prm p = {0};
	PGresult *res = NULL;
	int rc = -1;

	if (!v)
		return -1;
	sb_add(&w, "SELECT t.id FROM person t WHERE true");
	for (int i = 0; i < nf; i++) {
		const struct field_def *f = &ent_persons.fields[fields[i]];
		json_t *x = json_object_get(rec, f->name);

		if (f->flags & F_IDENT)
			continue;
		sb_add(&w, " AND t.%s IS NOT DISTINCT FROM $%d", f->name, p.n + 1);
		p_json(&p, f->type, x);
	}
	if (fold) {
		char hex[33];

		sb_add(&w, " AND t.name_fold ");
		in_params(&w, &p, v->n);
		for (int i = 0; i < v->n; i++) {
			vault_index_hex(&v->keys[i], "name", fold, hex);
			p_str(&p, hex);
		}
	}
	if (sc && sc->ou_id && subtree_sql(s, &ent_persons, sc->ou_id, 0, &w, &p, err))
		goto out;
	sb_add(&w, " ORDER BY t.id LIMIT 100");
	if (w.oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (!(res = q(s, w.p, &p, err, "looking up a record")))
		goto out;
	for (int r = 0; r < PQntuples(res) && *n < 2; r++) {
		int64_t cand = val_i64(res, r, 0);
		json_t *row = NULL;
		int same = 1;

		if (scoped_get(s, &ent_persons, sc, cand, &row, err))
			goto out;
		for (int i = 0; i < nf && same; i++) {
			const struct field_def *f = &ent_persons.fields[fields[i]];
			json_t *a = json_object_get(rec, f->name), *c = json_object_get(row, f->name);

			if (f->flags & F_IDENT)
				same = (!a || json_is_null(a)) ? (!c || json_is_null(c)) : (c && json_equal(a, c));
		}
		json_decref(row);
		if (same && !(*n)++)
			*id = cand;
	}
	rc = 0;
out:
	PQclear(res);
	p_free(&p);
	free(w.p);
	return rc;
}

/* Prepares sql on this connection under name, kept for the connection's life (find's and rows_of's
 * statements, one per shape: an import asks the same shape once per row or per person). */
static int keep(struct store_pg *s, const char *name, const char *sql, struct pcmt_err *err)
{
	PGresult *res = PQprepare(s->conn, name, sql, 0, NULL);

	if (!res_ok(res))
		return pg_fail(s, res, err, "preparing a lookup");
	PQclear(res);
	return 0;
}

/* Runs the statement kept under name, or sql itself with the same parameters when it was not kept
 * (the connection's cache of them full). */
static PGresult *run_kept(struct store_pg *s, int kept, const char *name, const char *sql, const struct prm *p)
{
	s->tx_fresh = 0;
	return kept ? PQexecPrepared(s->conn, name, p->n, (const char *const *)p->v, NULL, NULL, 0)
		    : PQexecParams(s->conn, sql, p->n, NULL, (const char *const *)p->v, NULL, NULL, 0);
}

static int pg_find(struct store *st, const struct entity_def *e, const struct scope *sc, json_t *rec,
		   const int *fields, int nf, int64_t *id, int *n, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	int ix = ent_index(e), scoped = (e->flags & E_PERSONAL) && e->ou_expr && sc && sc->ou_id, slot = -1, k = 0;
	uint64_t mask = 0;
	struct prm p = {0};
	struct sb b = {0};
	PGresult *res = NULL;
	char name[48];

	*id = 0;
	*n = 0;
	if (ix < 0 || ready(s, err))
		return -1;
	for (int i = 0; i < nf; i++) {
		if (fields[i] < 0 || fields[i] >= e->nfields || fields[i] >= 64)
			return err_set(err, ERR_INTERNAL, NULL, "find: no such field");
		mask |= (uint64_t)1 << fields[i];
	}
	for (int i = 0; i < nf; i++)
		if (e->fields[fields[i]].flags & F_IDENT) {
			/* sealed: the national ID alone through its blind index; otherwise candidates by
			 * the clear fields and the name's blind index, then compared opened */
			p_free(&p);
			if (nf == 1 && !strcmp(e->fields[fields[i]].name, "national_id"))
				return find_nid(s, sc, json_string_value(json_object_get(rec, "national_id")), id, n, err);
			return find_sealed(s, sc, rec, fields, nf, id, n, err);
		}
	for (int i = 0; i < e->nfields; i++)
		if (mask & ((uint64_t)1 << i))
			p_json(&p, e->fields[i].type, json_object_get(rec, e->fields[i].name));
	if (scoped && scope_bounds(s, sc->ou_id, &p, err))
		goto out;
	snprintf(name, sizeof(name), "find_%d_%d_%llx", ix, scoped, (unsigned long long)mask);
	for (int i = 0; i < s->nfind; i++)
		if (s->find[i].ix == ix && s->find[i].scoped == scoped && s->find[i].mask == mask)
			slot = i;
	if (slot < 0) {
		sb_add(&b, "SELECT t.id FROM %s t WHERE true", e->table);
		for (int i = 0; i < e->nfields; i++) {
			const struct field_def *f = &e->fields[i];

			if (!(mask & ((uint64_t)1 << i)))
				continue;
			k++;
			if (f->type == FT_JSON)
				sb_add(&b, " AND t.%s::text IS NOT DISTINCT FROM $%d::text", f->name, k);
			else if (f->flags & F_REQUIRED)
				sb_add(&b, " AND t.%s = $%d", f->name, k);
			else
				sb_add(&b, " AND t.%s IS NOT DISTINCT FROM $%d", f->name, k);
		}
		if (scoped)
			sb_add(&b, " AND %s IN (SELECT o.id FROM org_unit o WHERE o.path >= $%d AND o.path < $%d)", e->ou_expr,
			       k + 1, k + 2);
		sb_add(&b, " ORDER BY t.id LIMIT 2");
		if (b.oom) {
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		if (s->nfind < FIND_CACHE) {
			if (keep(s, name, b.p, err))
				goto out;
			s->find[s->nfind].ix = ix;
			s->find[s->nfind].scoped = scoped;
			s->find[s->nfind].mask = mask;
			slot = s->nfind++;
		}
	}
	if (p.oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	res = run_kept(s, slot >= 0, name, b.p, &p);
	if (!res_ok(res)) {
		pg_fail(s, res, err, "looking up a record");
		res = NULL;
		goto out;
	}
	*n = PQntuples(res);
	if (*n)
		*id = val_i64(res, 0, 0);
	PQclear(res);
	res = NULL;
	free(b.p);
	p_free(&p);
	return 0;
out:
	free(b.p);
	p_free(&p);
	return -1;
}

/* Each value comes as find() compares it: dates as YYYY-MM-DD, booleans as 0/1, JSON as its text
 * (a json column keeps the text it was given: the compact dump both write paths send). The
 * statement is prepared once per entity, field and scoping on this connection (an import loads one
 * person's rows per person: 100,000 parses otherwise). */
static int pg_rows_of(struct store *st, const struct entity_def *e, const struct scope *sc, int field, int64_t id,
		      int (*fn)(void *cls, const struct bulk_val *v), void *cls, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	int ix = ent_index(e), scoped = (e->flags & E_PERSONAL) && e->ou_expr && sc && sc->ou_id, slot = -1, rc = -1;
	struct bulk_val v[64];
	struct prm p = {0};
	struct sb b = {0};
	PGresult *res = NULL;
	char name[48];

	if (ix < 0 || ready(s, err) || store_rows_of_check(e, field, err))
		return -1;
	p_i64(&p, id);
	if (scoped && scope_bounds(s, sc->ou_id, &p, err))
		goto out;
	snprintf(name, sizeof(name), "rows_of_%d_%d_%d", ix, field, scoped);
	for (int i = 0; i < s->nrows_of; i++)
		if (s->rows_of[i].ix == ix && s->rows_of[i].field == field && s->rows_of[i].scoped == scoped)
			slot = i;
	if (slot < 0) {
		sb_add(&b, "SELECT ");
		for (int f = 0; f < e->nfields; f++) {
			const struct field_def *fd = &e->fields[f];

			sb_add(&b, "%s", f ? ", " : "");
			if (fd->type == FT_DATE)
				sb_add(&b, "to_char(t.%s, 'YYYY-MM-DD')", fd->name);
			else if (fd->type == FT_BOOL)
				sb_add(&b, "t.%s::int", fd->name);
			else
				sb_add(&b, "t.%s::text", fd->name);
		}
		sb_add(&b, " FROM %s t WHERE t.%s = $1", e->table, e->fields[field].name);
		if (scoped)
			sb_add(&b, " AND %s IN (SELECT o.id FROM org_unit o WHERE o.path >= $2 AND o.path < $3)", e->ou_expr);
		if (b.oom) {
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		if (s->nrows_of < ROWS_OF_CACHE) {
			if (keep(s, name, b.p, err))
				goto out;
			s->rows_of[s->nrows_of].ix = ix;
			s->rows_of[s->nrows_of].field = field;
			s->rows_of[s->nrows_of].scoped = scoped;
			slot = s->nrows_of++;
		}
	}
	if (p.oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	res = run_kept(s, slot >= 0, name, b.p, &p);
	if (!res_ok(res)) {
		pg_fail(s, res, err, "reading rows");
		res = NULL;
		goto out;
	}
	for (int r = 0; r < PQntuples(res); r++) {
		for (int f = 0; f < e->nfields; f++) {
			enum fld_type t = e->fields[f].type;

			memset(&v[f], 0, sizeof(v[f]));
			if (PQgetisnull(res, r, f))
				v[f].is_null = 1;
			else if (t == FT_INT || t == FT_MONEY || t == FT_REF || t == FT_OU || t == FT_BOOL)
				v[f].i = val_i64(res, r, f);
			else
				v[f].s = PQgetvalue(res, r, f);
		}
		if (fn(cls, v))
			break;
	}
	rc = 0;
out:
	PQclear(res);
	free(b.p);
	p_free(&p);
	return rc;
}

/* ---- bulk loads ----------------------------------------------------------------------------- */

static int pg_bulk_mode(struct store *st, int on, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct op o;
	char sql[160];
	int rc;

	if (ready(s, err))
		return -1;
	/* per session: other connections keep logging their writes */
	if (on)
		return exec(s, "SET pcmt.bulk = 'on'", err);
	if (exec(s, "RESET pcmt.bulk", err) || op_begin(s, &o, err))
		return -1;
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%d); INSERT INTO change_log (person_id, tbl) VALUES (0, 'bulk load')",
		 PG_LOCK_LOG);
	rc = exec(s, sql, err);
	return op_end(s, &o, rc, err);
}

static int is_int_type(enum fld_type t)
{
	return t == FT_INT || t == FT_MONEY || t == FT_REF || t == FT_OU || t == FT_BOOL;
}

/* Sends buf to an open COPY FROM STDIN. */
static int copy_send(struct store_pg *s, struct sb *buf, struct pcmt_err *err)
{
	if (buf->n && PQputCopyData(s->conn, buf->p, (int)buf->n) != 1)
		return err_set(err, ERR_UNAVAILABLE, NULL, "cannot send rows: %s", PQerrorMessage(s->conn));
	buf->n = 0;
	return 0;
}

/* Ends a COPY FROM STDIN (aborting it when failed) and collects its result. */
static int copy_end(struct store_pg *s, int failed, struct pcmt_err *err)
{
	PGresult *res;
	int rc = failed ? -1 : 0;

	if (PQputCopyEnd(s->conn, failed ? "pcmt: aborted" : NULL) != 1 && !failed)
		rc = err_set(err, ERR_UNAVAILABLE, NULL, "cannot end the copy: %s", PQerrorMessage(s->conn));
	while ((res = PQgetResult(s->conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
			rc = pg_fail(s, res, err, "loading rows");
			continue;
		}
		PQclear(res);
	}
	return rc;
}

static int copy_in_start(struct store_pg *s, const char *sql, struct pcmt_err *err)
{
	PGresult *res = PQexec(s->conn, sql);

	if (PQresultStatus(res) != PGRES_COPY_IN)
		return pg_fail(s, res, err, "starting a copy");
	PQclear(res);
	return 0;
}

/* A bulk-loaded person's sealed text fields (as vault_seal_person makes them) in *out. */
static int bulk_seal(const struct entity_def *e, const struct bulk_val *v, int64_t id, const struct vault_key *k,
		     json_t **out, int64_t *tok, int *ntok, struct pcmt_err *err)
{
	json_t *rec = json_object();

	if (!rec)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (int f = 0; f < e->nfields; f++)
		if (e->fields[f].type == FT_TEXT && !v[f].is_null && v[f].s &&
		    ((e->fields[f].flags & F_IDENT) || !strcmp(e->fields[f].name, "name_fold")))
			json_object_set_new(rec, e->fields[f].name, json_string(v[f].s));
	if (vault_seal_person(k, id, rec, tok, ntok, err)) {
		json_decref(rec);
		return -1;
	}
	*out = rec;
	return 0;
}

static int pg_bulk_insert(struct store *st, const struct entity_def *e, const struct bulk_val *vals, size_t n,
			  int64_t *first_id, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	int nf = e->nfields, pix = part_index(e->table), dcol = -1, rc = -1, ntok = 0;
	struct sb b = {0}, tb = {0};
	PGresult *res;
	char now[21], sql[400];
	const struct vault *vt = NULL;
	const struct vault_key *key = NULL;
	int64_t tok[VAULT_MAX_TOKENS];

	*first_id = 0;
	if (ent_index(e) < 0 || ready(s, err))
		return -1;
	if (!s->in_tx)
		return err_set(err, ERR_INTERNAL, NULL, "bulk_insert needs an open transaction");
	if (!n)
		return 0;
	/* partitions for every year in the batch */
	for (int f = 0; pix >= 0 && f < nf; f++)
		if (!strcmp(e->fields[f].name, pg_partitioned[pix].date_col))
			dcol = f;
	for (size_t r = 0; dcol >= 0 && r < n; r++) {
		const struct bulk_val *v = vals + r * (size_t)nf + dcol;

		if (!v->is_null && v->s && strlen(v->s) >= 4 && ensure_year(s, pix, atoi(v->s), err))
			return -1;
	}
	/* n consecutive ids: the table lock (held to commit) keeps other writers from drawing from the
	 * sequence in between; readers are not blocked */
	snprintf(sql, sizeof(sql),
		 "LOCK TABLE %s IN EXCLUSIVE MODE; SELECT setval(pg_get_serial_sequence('%s', 'id'),"
		 " nextval(pg_get_serial_sequence('%s', 'id')) + %zu - 1) - %zu + 1",
		 e->table, e->table, e->table, n, n);
	res = PQexec(s->conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return pg_fail(s, res, err, "reserving ids");
	*first_id = val_i64(res, 0, 0);
	PQclear(res);
	/* persons are sealed on the way in, each under the id it gets; their search tokens follow in a
	 * second COPY */
	if (e == &ent_persons && pg_write_key(s, &vt, &key, err))
		return -1;
	b.n = 0;
	{
		struct sb c = {0};

		sb_add(&c, "COPY %s (id", e->table);
		for (int f = 0; f < nf; f++)
			sb_add(&c, ", %s", e->fields[f].name);
		sb_add(&c, ", created_at, updated_at) FROM STDIN");
		if (c.oom) {
			free(c.p);
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		}
		rc = copy_in_start(s, c.p, err);
		free(c.p);
		if (rc)
			return -1;
	}
	date_now_iso(now);
	for (size_t r = 0; r < n; r++) {
		const struct bulk_val *v = vals + r * (size_t)nf;
		json_t *sealed = NULL;

		if (key && bulk_seal(e, v, *first_id + (int64_t)r, key, &sealed, tok, &ntok, err)) {
			rc = copy_end(s, 1, err);
			goto out;
		}
		for (int t = 0; t < ntok; t++)
			sb_add(&tb, "%lld\t%lld\n", (long long)tok[t], (long long)(*first_id + (int64_t)r));
		sb_add(&b, "%lld", (long long)(*first_id + (int64_t)r));
		for (int f = 0; f < nf; f++) {
			const char *sv = sealed ? json_string_value(json_object_get(sealed, e->fields[f].name)) : NULL;

			sb_put(&b, "\t", 1);
			if (sv)
				sb_copy_text(&b, sv);
			else if (v[f].is_null)
				sb_put(&b, "\\N", 2);
			else if (e->fields[f].type == FT_BOOL)
				sb_put(&b, v[f].i ? "t" : "f", 1);
			else if (is_int_type(e->fields[f].type))
				sb_add(&b, "%lld", (long long)v[f].i);
			else
				sb_copy_text(&b, v[f].s);
		}
		json_decref(sealed);
		sb_add(&b, "\t%s\t%s\n", now, now);
		if (b.oom || tb.oom)
			break;
		if (b.n >= COPY_CHUNK && copy_send(s, &b, err)) {
			rc = copy_end(s, 1, err);
			goto out;
		}
	}
	if (b.oom || tb.oom) {
		copy_end(s, 1, err);
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		rc = -1;
		goto out;
	}
	if (copy_send(s, &b, err)) {
		copy_end(s, 1, err);
		rc = -1;
		goto out;
	}
	rc = copy_end(s, 0, err);
	if (rc == 0 && tb.n) {
		if ((rc = copy_in_start(s, "COPY person_token (h, person_id) FROM STDIN", err)))
			goto out;
		if (copy_send(s, &tb, err)) {
			copy_end(s, 1, err);
			rc = -1;
			goto out;
		}
		rc = copy_end(s, 0, err);
	}
out:
	free(b.p);
	free(tb.p);
	return rc;
}

/* ---- whole tables (pcmt copy) --------------------------------------------------------------- */

/* The data tables: ordinary and partitioned tables of the current schema, not partitions. */
static const char raw_tables_sql[] =
	"SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_class c"
	" JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid"
	" WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
	" AND c.relname NOT IN ('schema_version', 'change_log', 'change_log_pruned')"
	" AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum";

/* Inside an explicit transaction, the first read fixes one snapshot for the rest of it. */
static int raw_snapshot(struct store_pg *s, struct pcmt_err *err)
{
	if (s->in_tx && s->tx_fresh)
		return exec(s, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", err);
	return 0;
}

static int pg_raw_tables(struct store *st, json_t **out, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	PGresult *res;
	json_t *o;

	*out = NULL;
	if (ready(s, err) || raw_snapshot(s, err))
		return -1;
	if (!(res = q(s, raw_tables_sql, NULL, err, "listing tables")))
		return -1;
	if (!(o = json_object())) {
		PQclear(res);
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	for (int i = 0; i < PQntuples(res); i++) {
		json_t *cols = json_object_get(o, PQgetvalue(res, i, 0));

		if (!cols) {
			cols = json_array();
			json_object_set_new(o, PQgetvalue(res, i, 0), cols);
		}
		json_array_append_new(cols, json_string(PQgetvalue(res, i, 1)));
	}
	PQclear(res);
	*out = o;
	return 0;
}

/* A table name we may put into SQL: one of raw_tables'. */
static int raw_known(struct store_pg *s, const char *table, PGresult **cols, struct pcmt_err *err)
{
	struct prm p = {0};
	struct sb b = {0};

	*cols = NULL;
	sb_add(&b, "SELECT * FROM (%s) x WHERE relname = $1", raw_tables_sql);
	p_str(&p, table);
	if (!b.oom)
		*cols = q(s, b.p, &p, err, "listing columns");
	else
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
	p_free(&p);
	free(b.p);
	if (!*cols)
		return -1;
	if (PQntuples(*cols) == 0) {
		PQclear(*cols);
		*cols = NULL;
		return err_set(err, ERR_NOT_FOUND, "table", "no table %s", table);
	}
	return 0;
}

struct raw_cx {
	int n;
	const char **names;
	unsigned char *is_real;
	int (*fn)(void *cls, int ncols, const char *const *cols, const char *const *vals);
	void *cls;
	int stop;
	char (*num)[32]; /* reformatted reals */
};

static int raw_row(void *cls, char **f, int n)
{
	struct raw_cx *cx = cls;

	if (cx->stop || n != cx->n)
		return cx->stop ? 0 : -1;
	for (int i = 0; i < n; i++)
		if (cx->is_real[i] && f[i]) {
			snprintf(cx->num[i], sizeof(cx->num[i]), "%.17g", strtod(f[i], NULL));
			f[i] = cx->num[i];
		}
	if (cx->fn(cx->cls, n, cx->names, (const char *const *)f))
		cx->stop = 1;
	return 0;
}

static int pg_raw_read(struct store *st, const char *table,
		       int (*fn)(void *cls, int ncols, const char *const *cols, const char *const *vals), void *cls,
		       struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct raw_cx cx = {0};
	PGresult *cols = NULL;
	struct sb b = {0};
	int rc = -1;

	if (ready(s, err) || raw_snapshot(s, err) || raw_known(s, table, &cols, err))
		return -1;
	cx.n = PQntuples(cols);
	cx.fn = fn;
	cx.cls = cls;
	cx.names = calloc((size_t)cx.n, sizeof(*cx.names));
	cx.is_real = calloc((size_t)cx.n, 1);
	cx.num = calloc((size_t)cx.n, sizeof(*cx.num));
	if (!cx.names || !cx.is_real || !cx.num || cx.n > 64) {
		err_set(err, ERR_INTERNAL, NULL, cx.n > 64 ? "too many columns" : "out of memory");
		goto out;
	}
	sb_add(&b, "COPY (SELECT ");
	for (int i = 0; i < cx.n; i++) {
		const char *name = PQgetvalue(cols, i, 1), *type = PQgetvalue(cols, i, 2);

		cx.names[i] = name;
		sb_add(&b, "%s", i ? ", " : "");
		if (!strcmp(type, "boolean"))
			sb_add(&b, "\"%s\"::int", name);
		else if (!strncmp(type, "timestamp", 9))
			sb_add(&b, "to_char(\"%s\" AT TIME ZONE 'UTC', " STAMP_FMT ")", name);
		else
			sb_add(&b, "\"%s\"", name);
		cx.is_real[i] = !strcmp(type, "double precision") || !strcmp(type, "real");
	}
	sb_add(&b, " FROM \"%s\") TO STDOUT", table);
	if (b.oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	rc = copy_out(s, b.p, raw_row, &cx, err);
out:
	free(cx.names);
	free(cx.is_real);
	free(cx.num);
	free(b.p);
	PQclear(cols);
	return rc;
}

static int pg_raw_write(struct store *st, const char *table, int ncols, const char *const *cols,
			const char *const *vals, size_t nrows, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	int pix = part_index(table), dcol = -1, has_id = 0, rc = -1;
	PGresult *known = NULL, *res;
	struct sb b = {0};

	if (ready(s, err))
		return -1;
	if (!s->in_tx)
		return err_set(err, ERR_INTERNAL, NULL, "raw_write needs an open transaction");
	if (raw_known(s, table, &known, err))
		return -1;
	for (int c = 0; c < ncols; c++) {
		int ok = 0;

		for (int i = 0; i < PQntuples(known); i++)
			ok |= !strcmp(PQgetvalue(known, i, 1), cols[c]);
		if (!ok) {
			err_set(err, ERR_INVALID, cols[c], "table %s has no column %s", table, cols[c]);
			goto out;
		}
		if (pix >= 0 && !strcmp(cols[c], pg_partitioned[pix].date_col))
			dcol = c;
		has_id |= !strcmp(cols[c], "id");
	}
	for (size_t r = 0; dcol >= 0 && r < nrows; r++) {
		const char *d = vals[r * (size_t)ncols + (size_t)dcol];

		if (d && strlen(d) >= 4 && ensure_year(s, pix, atoi(d), err))
			goto out;
	}
	if (exec(s, "SET CONSTRAINTS ALL DEFERRED", err))
		goto out;
	sb_add(&b, "COPY \"%s\" (", table);
	for (int c = 0; c < ncols; c++)
		sb_add(&b, "%s\"%s\"", c ? ", " : "", cols[c]);
	sb_add(&b, ") FROM STDIN");
	if (b.oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (copy_in_start(s, b.p, err))
		goto out;
	b.n = 0;
	for (size_t r = 0; r < nrows && !b.oom; r++) {
		for (int c = 0; c < ncols; c++) {
			if (c)
				sb_put(&b, "\t", 1);
			sb_copy_text(&b, vals[r * (size_t)ncols + (size_t)c]);
		}
		sb_put(&b, "\n", 1);
		if (b.n >= COPY_CHUNK && copy_send(s, &b, err)) {
			copy_end(s, 1, err);
			goto out;
		}
	}
	if (b.oom) {
		copy_end(s, 1, err);
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (copy_send(s, &b, err)) {
		copy_end(s, 1, err);
		goto out;
	}
	if (copy_end(s, 0, err))
		goto out;
	/* the next id drawn is past every id written */
	if (has_id) {
		struct prm p = {0};

		b.n = 0;
		sb_add(&b, "SELECT setval(seq, m) FROM (SELECT pg_get_serial_sequence($1, 'id') AS seq,"
			   " (SELECT max(id) FROM \"%s\") AS m) x WHERE seq IS NOT NULL AND m IS NOT NULL", table);
		p_str(&p, table);
		res = b.oom ? NULL : q(s, b.p, &p, err, "moving an id sequence");
		p_free(&p);
		if (!res)
			goto out;
		PQclear(res);
	}
	rc = 0;
out:
	PQclear(known);
	free(b.p);
	return rc;
}

/* ---- open and close ------------------------------------------------------------------------- */

/* ---- keys and retention (store.h: key_current ... person_erase) ----------------------------- */

static int pg_key_current(struct store *st, char id[17], struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	PGresult *res;

	id[0] = '\0';
	if (ready(s, err) || !(res = q(s, "SELECT key_id FROM vault_state WHERE id = 1", NULL, err, "reading the key id")))
		return -1;
	if (PQntuples(res) > 0)
		snprintf(id, 17, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int pg_key_switch(struct store *st, const char *key_id, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	const struct vault *v;
	struct prm p = {0};
	PGresult *res;
	struct op o;
	int rc = -1;

	if (ready(s, err) || !(v = vault_get(s->base.url, err)))
		return -1;
	if (!vault_key(v, key_id))
		return err_set(err, ERR_INVALID, "key", "the key file lacks key %s", key_id);
	if (op_begin(s, &o, err))
		return -1;
	p_str(&p, key_id);
	/* the UPDATE waits for every write holding the row FOR SHARE (pg_write_key) */
	res = q(s, "INSERT INTO vault_state (id, key_id) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET key_id = $1", &p,
		err, "switching the key");
	p_free(&p);
	if (res) {
		PQclear(res);
		rc = 0;
	}
	return op_end(s, &o, rc, err);
}

static int pg_key_reseal(struct store *st, int batch, int64_t *done, int64_t *left, struct pcmt_err *err)
{
	static const char *const names[] = {"national_id", "full_name", "aliases", "address", "phone"};
	static const char *const cols[] = {"national_id", "full_name", "aliases", "address", "phone", "name_fold",
					   "nid_index", "key_id"};
	struct store_pg *s = PG(st);
	const struct vault *v = NULL;
	const struct vault_key *k = NULL;
	struct prm p = {0};
	PGresult *res = NULL, *u;
	struct op o;
	char sql[300];
	int rc = -1;

	*done = 0;
	*left = 0;
	if (ready(s, err))
		return -1;
	if (s->in_tx)
		return err_set(err, ERR_INTERNAL, NULL, "key_reseal runs its own transactions");
	if (op_begin(s, &o, err))
		return -1;
	/* re-sealing changes nothing a live snapshot holds: no change-log rows (the log triggers' WHEN) */
	if (exec(s, "SET LOCAL pcmt.bulk = 'on'", err) || pg_write_key(s, &v, &k, err))
		goto done;
	snprintf(sql, sizeof sql, "SELECT id, national_id, full_name, aliases, address, phone, name_fold, key_id FROM person"
				  " WHERE key_id IS NULL OR key_id <> $1 ORDER BY id LIMIT %d FOR UPDATE",
		 batch > 0 ? batch : 1000);
	p_str(&p, k->id);
	res = q(s, sql, &p, err, "re-sealing");
	p_free(&p);
	if (!res)
		goto done;
	for (int r = 0; r < PQntuples(res); r++) {
		int64_t id = val_i64(res, r, 0), tok[VAULT_MAX_TOKENS];
		int plain = PQgetisnull(res, r, 7), ntok = 0;
		json_t *rec = json_object();

		for (int i = 0; rec && i < 5; i++) {
			const char *t = PQgetisnull(res, r, i + 1) ? NULL : PQgetvalue(res, r, i + 1);
			char *open = NULL;

			if (!t)
				continue;
			if (!plain && *t && vault_open(v, "person", id, names[i], t, &open, err)) {
				json_decref(rec);
				goto done;
			}
			json_object_set_new(rec, names[i], json_string(open ? open : t));
			free(open);
		}
		if (!rec) {
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto done;
		}
		if (plain && !PQgetisnull(res, r, 6))
			json_object_set_new(rec, "name_fold", json_string(PQgetvalue(res, r, 6)));
		else if (ent_persons.derive(rec, err)) {
			json_decref(rec);
			goto done;
		}
		if (vault_seal_person(k, id, rec, tok, &ntok, err)) {
			json_decref(rec);
			goto done;
		}
		for (int i = 0; i < 8; i++)
			p_str(&p, json_string_value(json_object_get(rec, cols[i])));
		p_i64(&p, id);
		json_decref(rec);
		u = q(s, "UPDATE person SET national_id = $1, full_name = coalesce($2, ''), aliases = $3, address = $4,"
			 " phone = $5, name_fold = $6, nid_index = $7, key_id = $8 WHERE id = $9", &p, err, "re-sealing");
		p_free(&p);
		if (!u)
			goto done;
		PQclear(u);
		if (pg_tokens_put(s, id, tok, ntok, err))
			goto done;
		(*done)++;
	}
	PQclear(res);
	p_str(&p, k->id);
	res = q(s, "SELECT count(*) FROM person WHERE key_id IS NULL OR key_id <> $1", &p, err, "counting");
	p_free(&p);
	if (!res)
		goto done;
	*left = val_i64(res, 0, 0);
	rc = 0;
done:
	PQclear(res);
	p_free(&p);
	return op_end(s, &o, rc, err);
}

static int pg_person_erase(struct store *st, int64_t id, int32_t day, int dry_run, int *done, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct prm p = {0};
	PGresult *res;
	struct op o;
	char d[DATE_BUFSZ], now[21];
	int rc = -1;

	*done = 0;
	if (ready(s, err) || op_begin(s, &o, err))
		return -1;
	p_i64(&p, id);
	res = q(s, "SELECT erased_on IS NULL FROM person WHERE id = $1 FOR UPDATE", &p, err, "erasing");
	p_free(&p);
	if (!res)
		goto done;
	*done = PQntuples(res) > 0 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!*done || dry_run) {
		rc = 0;
		goto done;
	}
	date_now_iso(now);
	p_str(&p, date_format(day, d));
	p_str(&p, now);
	p_i64(&p, id);
	/* '' rather than NULL: full_name is NOT NULL; vault_open_person reads '' as erased */
	res = q(s, "UPDATE person SET national_id = NULL, full_name = '', aliases = NULL, address = NULL, phone = NULL,"
		   " name_fold = '', nid_index = NULL, dob = date_trunc('year', dob)::date, erased_on = $1::date,"
		   " version = version + 1, updated_at = $2::timestamptz WHERE id = $3",
		&p, err, "erasing");
	p_free(&p);
	if (!res)
		goto done;
	PQclear(res);
	if (pg_tokens_put(s, id, NULL, 0, err))
		goto done;
	rc = 0;
done:
	return op_end(s, &o, rc, err);
}

/* ---- succession and residence history (the 2025 reform, docs/reform.md) --------------------- */

static json_t *pv_text(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? json_null() : json_string(PQgetvalue(r, row, col));
}

static json_t *ou_brief(const PGresult *r, int row, int c)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)val_i64(r, row, c), "code",
			      PQgetvalue(r, row, c + 1), "name", PQgetvalue(r, row, c + 2), "kind", PQgetvalue(r, row, c + 3));

	json_object_set_new(o, "valid_from", pv_text(r, row, c + 4));
	json_object_set_new(o, "valid_to", pv_text(r, row, c + 5));
	return o;
}

#define OU_BRIEF_COLS "o.id, o.code, o.name, o.kind, o.valid_from::text, o.valid_to::text"

static int pg_ou_history(struct store *st, int64_t id, json_t **preds, json_t **succs, struct pcmt_err *err)
{
	static const char *const sql[2] = {
		"SELECT " OU_BRIEF_COLS ", l.kind, l.effective::text FROM org_unit_link l JOIN org_unit o ON o.id = l.from_id"
		" WHERE l.to_id = $1 ORDER BY o.code, o.id",
		"SELECT " OU_BRIEF_COLS ", l.kind, l.effective::text FROM org_unit_link l JOIN org_unit o ON o.id = l.to_id"
		" WHERE l.from_id = $1 ORDER BY o.code, o.id"};
	struct store_pg *s = PG(st);
	json_t **out[2] = {preds, succs};

	*preds = *succs = NULL;
	if (ready(s, err))
		return -1;
	for (int k = 0; k < 2; k++) {
		struct prm p = {0};
		PGresult *res;

		p_i64(&p, id);
		res = q(s, sql[k], &p, err, "reading org-unit history");
		p_free(&p);
		if (!res) {
			json_decref(*preds);
			json_decref(*succs);
			*preds = *succs = NULL;
			return -1;
		}
		*out[k] = json_array();
		for (int i = 0; i < PQntuples(res); i++) {
			json_t *o = ou_brief(res, i, 0);

			json_object_set_new(o, "link", json_string(PQgetvalue(res, i, 6)));
			json_object_set_new(o, "effective", json_string(PQgetvalue(res, i, 7)));
			json_array_append_new(*out[k], o);
		}
		PQclear(res);
	}
	return 0;
}

/* "{1,2,3}": an array parameter (malloc'd; NULL when out of memory). */
static char *id_array(const int64_t *v, size_t n)
{
	char *b = malloc(n * 21 + 3), *p = b;

	if (!b)
		return NULL;
	*p++ = '{';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%lld", i ? "," : "", (long long)v[i]);
	*p++ = '}';
	*p = '\0';
	return b;
}

static int pg_residence_move(struct store *st, const struct scope *sc, int64_t person_id, const int64_t *from,
			     const int64_t *to, size_t n, int32_t effective, const char *reason, int64_t *moved,
			     struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	char last[DATE_BUFSZ], now[21], *fa = NULL, *ta = NULL;
	struct prm p = {0};
	struct op o;
	PGresult *res;
	json_t *pr = NULL;
	int rc = -1;

	*moved = 0;
	if (ready(s, err))
		return -1;
	if (person_id > 0 && n != 1)
		return err_set(err, ERR_INTERNAL, NULL, "moving one person names one unit");
	date_format(effective - 1, last);
	date_now_iso(now);
	if (person_id > 0) {
		int late;

		if (scoped_get(s, &ent_persons, sc, person_id, &pr, err))
			return -1;
		if (json_integer_value(json_object_get(pr, "residence_ou")) != from[0]) {
			json_decref(pr);
			return err_set(err, ERR_NOT_FOUND, "person_id", "person %lld does not reside in org unit %lld",
				       (long long)person_id, (long long)from[0]);
		}
		json_decref(pr);
		p_i64(&p, person_id);
		p_str(&p, last);
		res = q(s, "SELECT 1 FROM residence_history WHERE person_id = $1 AND date_to >= $2::date", &p, err,
			"reading residence history");
		p_free(&p);
		if (!res)
			return -1;
		late = PQntuples(res) > 0;
		PQclear(res);
		if (late)
			return err_set(err, ERR_INVALID, "effective",
				       "person %lld's current residence starts after %s: history is appended, not rewritten",
				       (long long)person_id, last);
	}
	if (n == 0)
		return 0;
	if (!(fa = id_array(from, n)) || !(ta = id_array(to, n))) {
		free(fa);
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	if (op_begin(s, &o, err)) {
		free(fa);
		free(ta);
		return -1;
	}
	/* the closed period starts the day after the previous one ended (NULL: since always) */
	p_str(&p, fa);
	p_str(&p, last);
	p_str(&p, reason);
	p_str(&p, now);
	p_i64(&p, person_id);
	res = q(s, "INSERT INTO residence_history (person_id, ou_id, date_from, date_to, reason, created_at)"
		   " SELECT p.id, p.residence_ou, (SELECT max(r.date_to) + 1 FROM residence_history r WHERE r.person_id = p.id),"
		   "  $2::date, $3, $4::timestamptz FROM person p"
		   " WHERE p.residence_ou = ANY ($1::bigint[]) AND ($5::bigint = 0 OR p.id = $5::bigint)"
		   "  AND NOT EXISTS (SELECT 1 FROM residence_history r WHERE r.person_id = p.id AND r.date_to >= $2::date)",
		&p, err, "moving residents");
	p_free(&p);
	if (!res)
		goto out;
	PQclear(res);
	p_str(&p, fa);
	p_str(&p, ta);
	p_str(&p, now);
	p_str(&p, last);
	p_i64(&p, person_id);
	res = q(s, "UPDATE person p SET residence_ou = m.t, version = p.version + 1, updated_at = $3::timestamptz"
		   " FROM unnest($1::bigint[], $2::bigint[]) AS m(f, t)"
		   " WHERE p.residence_ou = m.f AND ($5::bigint = 0 OR p.id = $5::bigint)"
		   "  AND EXISTS (SELECT 1 FROM residence_history r WHERE r.person_id = p.id AND r.date_to = $4::date"
		   "   AND r.ou_id = m.f)",
		&p, err, "moving residents");
	p_free(&p);
	if (!res)
		goto out;
	*moved = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	rc = 0;
out:
	free(fa);
	free(ta);
	return op_end(s, &o, rc, err);
}

static int pg_ou_close(struct store *st, const int64_t *ids, size_t n, int32_t valid_to, int64_t *closed,
		       struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	char d[DATE_BUFSZ], now[21], *a;
	struct prm p = {0};
	struct op o;
	PGresult *res;
	int rc = -1;

	*closed = 0;
	if (ready(s, err))
		return -1;
	if (n == 0)
		return 0;
	if (!(a = id_array(ids, n)))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (op_begin(s, &o, err)) {
		free(a);
		return -1;
	}
	date_now_iso(now);
	p_str(&p, date_format(valid_to, d));
	p_str(&p, now);
	p_str(&p, a);
	res = q(s, "UPDATE org_unit SET valid_to = $1::date, version = version + 1, updated_at = $2::timestamptz"
		   " WHERE id = ANY ($3::bigint[]) AND valid_to IS NULL", &p, err, "closing org units");
	p_free(&p);
	free(a);
	if (res) {
		*closed = strtoll(PQcmdTuples(res), NULL, 10);
		PQclear(res);
		rc = 0;
	}
	return op_end(s, &o, rc, err);
}

static int pg_ou_links(struct store *st, const int64_t *from, const int64_t *to, const int8_t *partial, size_t n,
		       int32_t effective, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	char d[DATE_BUFSZ], *fa = NULL, *ta = NULL, *ka = NULL;
	struct prm p = {0};
	struct op o;
	PGresult *res;
	int rc = -1;

	if (ready(s, err))
		return -1;
	if (n == 0)
		return 0;
	fa = id_array(from, n);
	ta = id_array(to, n);
	if ((ka = malloc(n * 8 + 3))) {
		char *k = ka;

		*k++ = '{';
		for (size_t i = 0; i < n; i++)
			k += sprintf(k, "%s%s", i ? "," : "", partial[i] ? "partial" : "full");
		*k++ = '}';
		*k = '\0';
	}
	if (!fa || !ta || !ka) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto done;
	}
	if (op_begin(s, &o, err))
		goto done;
	p_str(&p, fa);
	p_str(&p, ta);
	p_str(&p, ka);
	p_str(&p, date_format(effective, d));
	/* an identical link is left alone (no write, no change-log entry) */
	res = q(s, "INSERT INTO org_unit_link (from_id, to_id, kind, effective)"
		   " SELECT f, t, k, $4::date FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS m(f, t, k)"
		   " ON CONFLICT (from_id, to_id) DO UPDATE SET kind = excluded.kind, effective = excluded.effective"
		   " WHERE org_unit_link.kind <> excluded.kind OR org_unit_link.effective <> excluded.effective",
		&p, err, "linking org units");
	p_free(&p);
	if (res) {
		PQclear(res);
		rc = 0;
	}
	rc = op_end(s, &o, rc, err);
done:
	free(fa);
	free(ta);
	free(ka);
	return rc;
}

static int pg_residence_history(struct store *st, const struct scope *sc, int64_t person_id, json_t **out,
				struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	struct prm p = {0};
	PGresult *res;
	json_t *pr = NULL;

	*out = NULL;
	if (ready(s, err) || scoped_get(s, &ent_persons, sc, person_id, &pr, err))
		return -1;
	json_decref(pr);
	p_i64(&p, person_id);
	res = q(s, "SELECT " OU_BRIEF_COLS ", r.date_from::text, r.date_to::text, r.reason, 0 AS k FROM residence_history r"
		   " JOIN org_unit o ON o.id = r.ou_id WHERE r.person_id = $1"
		   " UNION ALL SELECT " OU_BRIEF_COLS ", (SELECT max(r.date_to) + 1 FROM residence_history r"
		   "  WHERE r.person_id = $1)::text, NULL, NULL, 1 FROM person p JOIN org_unit o ON o.id = p.residence_ou"
		   " WHERE p.id = $1 ORDER BY 10, 8",
		&p, err, "reading residence history");
	p_free(&p);
	if (!res)
		return -1;
	*out = json_array();
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(*out, json_pack("{s:o, s:o, s:o, s:o}", "orgunit", ou_brief(res, i, 0), "from",
						      pv_text(res, i, 6), "to", pv_text(res, i, 7), "reason", pv_text(res, i, 8)));
	PQclear(res);
	return 0;
}

static int pg_reassign_pending(struct store *st, int64_t root, int32_t date, json_t **out, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	char lo[PATH_MAX_LEN] = "", hi[PATH_MAX_LEN] = "", d[DATE_BUFSZ];
	struct prm p = {0};
	PGresult *res;
	json_t *cur = NULL;
	int64_t last = 0;

	*out = NULL;
	if (ready(s, err))
		return -1;
	if (root) {
		if (ou_path(s, root, lo, err))
			return -1;
		path_hi(lo, hi);
	}
	p_str(&p, date_format(date, d));
	p_str(&p, root ? lo : NULL);
	p_str(&p, root ? hi : NULL);
	/* one row per (person, candidate); candidates of a person come together */
	res = q(s, "SELECT p.id, " OU_BRIEF_COLS ", n.id, n.code, n.name, n.kind, l.kind FROM person p"
		   " JOIN org_unit o ON o.id = p.residence_ou"
		   " JOIN org_unit_link l ON l.from_id = o.id JOIN org_unit n ON n.id = l.to_id"
		   " WHERE o.valid_to IS NOT NULL AND o.valid_to < $1::date"
		   "  AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM org_unit_link l2 JOIN org_unit n2 ON n2.id = l2.to_id"
		   "   WHERE l2.from_id = o.id AND n2.path >= $2::text AND n2.path < $3::text))"
		   " ORDER BY p.id, n.code",
		&p, err, "reading persons awaiting re-assignment");
	p_free(&p);
	if (!res)
		return -1;
	*out = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		int64_t pid = val_i64(res, i, 0);

		if (!cur || pid != last) {
			cur = json_pack("{s:I, s:o, s:[]}", "person_id", (json_int_t)pid, "residence", ou_brief(res, i, 1),
					"candidates");
			json_array_append_new(*out, cur);
			last = pid;
		}
		json_array_append_new(json_object_get(cur, "candidates"),
				      json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)val_i64(res, i, 7), "code",
						PQgetvalue(res, i, 8), "name", PQgetvalue(res, i, 9), "kind",
						PQgetvalue(res, i, 10), "link", PQgetvalue(res, i, 11)));
	}
	PQclear(res);
	return 0;
}

/* ---- security tables (src/auth/) ------------------------------------------------------------ */

static int pg_sql(struct store *st, const char *sql, int n, const char *const *params,
		  int (*fn)(void *cls, int ncols, const char *const *vals), void *cls, int64_t *changed,
		  struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	const char *vals[32];
	PGresult *res;
	char name[16];
	int ncols, ix;

	if (changed)
		*changed = 0;
	if (alive(s, err))
		return -1;
	s->tx_fresh = 0;
	/* every request checks its token: prepare the statement once per connection (parse and plan
	 * cost more than the lookup), by the address of its text */
	for (ix = 0; ix < s->nsqlc && s->sqlc[ix] != sql; ix++)
		;
	if (ix == s->nsqlc && ix < SQL_CACHE) {
		snprintf(name, sizeof(name), "q%d", ix);
		res = PQprepare(s->conn, name, sql, n, NULL);
		if (!res_ok(res))
			return pg_fail(s, res, err, "preparing a statement on the security tables");
		PQclear(res);
		s->sqlc[s->nsqlc++] = sql;
	}
	if (ix < s->nsqlc) {
		snprintf(name, sizeof(name), "q%d", ix);
		res = PQexecPrepared(s->conn, name, n, params, NULL, NULL, 0);
	} else {
		res = PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);
	}
	if (!res_ok(res))
		return pg_fail(s, res, err, "reading or writing the security tables");
	ncols = PQnfields(res);
	if (ncols > (int)(sizeof(vals) / sizeof(vals[0]))) {
		PQclear(res);
		return err_set(err, ERR_INTERNAL, NULL, "too many columns");
	}
	for (int r = 0; fn && r < PQntuples(res); r++) {
		for (int c = 0; c < ncols; c++)
			vals[c] = PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
		if (fn(cls, ncols, vals))
			break;
	}
	if (changed && *PQcmdTuples(res))
		*changed = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}

enum { AUDIT_ROWS = 256, AUDIT_COLS = 12 };

static int pg_audit_append(struct store *st, struct audit_entry *e, size_t n, struct pcmt_err *err)
{
	struct store_pg *s = PG(st);
	char prev[AUDIT_HASH_HEX + 1] = AUDIT_GENESIS, lock[64];
	struct op o;
	PGresult *res;
	int64_t id = 0;
	int rc = -1;

	if (n == 0)
		return 0;
	if (alive(s, err) || op_begin(s, &o, err))
		return -1;
	/* held to commit: the next appender reads the last hash only after this chain is committed */
	snprintf(lock, sizeof(lock), "SELECT pg_advisory_xact_lock(%d)", PG_LOCK_AUDIT);
	if (exec(s, lock, err))
		goto out;
	if (!(res = q(s, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", NULL, err, "reading the audit log")))
		goto out;
	if (PQntuples(res) == 1) {
		id = val_i64(res, 0, 0);
		snprintf(prev, sizeof(prev), "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	for (size_t at = 0; at < n; at += AUDIT_ROWS) {
		size_t k = n - at < AUDIT_ROWS ? n - at : AUDIT_ROWS;
		struct sb b = {0};
		const char **v = calloc(k * AUDIT_COLS, sizeof(*v));
		char (*num)[2][24] = calloc(k, sizeof(*num));

		if (!v || !num) {
			free(v);
			free(num);
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		sb_add(&b, "INSERT INTO audit_log(id, at, user_id, username, action, entity, record_id, detail, addr,"
			   " outcome, prev_hash, hash) VALUES ");
		for (size_t i = 0; i < k; i++) {
			struct audit_entry *x = &e[at + i];
			const char **r = v + i * AUDIT_COLS;

			x->id = ++id;
			memcpy(x->prev_hash, prev, sizeof(prev));
			audit_chain_hash(x, x->hash);
			memcpy(prev, x->hash, sizeof(prev));
			snprintf(num[i][0], sizeof(num[i][0]), "%lld", (long long)x->id);
			snprintf(num[i][1], sizeof(num[i][1]), "%lld", (long long)x->user_id);
			r[0] = num[i][0];
			r[1] = x->at;
			r[2] = x->user_id ? num[i][1] : NULL;
			r[3] = x->username;
			r[4] = x->action;
			r[5] = x->entity;
			r[6] = NULL;
			r[7] = x->detail;
			r[8] = x->addr;
			r[9] = x->outcome;
			r[10] = x->prev_hash;
			r[11] = x->hash;
			sb_add(&b, "%s(", i ? "," : "");
			for (int c = 0; c < AUDIT_COLS; c++)
				sb_add(&b, "%s$%d", c ? "," : "", (int)(i * AUDIT_COLS) + c + 1);
			sb_add(&b, ")");
		}
		/* record ids need their own buffer: reuse num[i][1] once user_id is copied */
		{
			char (*rid)[24] = calloc(k, sizeof(*rid));

			if (!rid || b.oom) {
				free(rid);
				free(b.p);
				free(v);
				free(num);
				err_set(err, ERR_INTERNAL, NULL, "out of memory");
				goto out;
			}
			for (size_t i = 0; i < k; i++)
				if (e[at + i].record_id) {
					snprintf(rid[i], sizeof(rid[i]), "%lld", (long long)e[at + i].record_id);
					v[i * AUDIT_COLS + 6] = rid[i];
				}
			s->tx_fresh = 0;
			res = PQexecParams(s->conn, b.p, (int)(k * AUDIT_COLS), NULL, v, NULL, NULL, 0);
			free(rid);
		}
		free(b.p);
		free(v);
		free(num);
		if (!res_ok(res)) {
			pg_fail(s, res, err, "appending to the audit log");
			goto out;
		}
		PQclear(res);
	}
	rc = 0;
out:
	return op_end(s, &o, rc, err);
}

static void pg_close(struct store *st)
{
	struct store_pg *s = PG(st);

	if (!s)
		return;
	if (s->conn) {
		if (s->in_tx)
			PQclear(PQexec(s->conn, "ROLLBACK"));
		PQfinish(s->conn);
	}
	free(s);
}

static const struct store_ops pg_ops = {
	.name = "postgresql",
	.migrate = pg_migrate,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.insert = pg_insert,
	.update = pg_update,
	.get = pg_get,
	.del = pg_del,
	.list = pg_list,
	.person_similar = pg_person_similar,
	.find = pg_find,
	.rows_of = pg_rows_of,
	.ou_get = pg_ou_get,
	.ou_by_code = pg_ou_by_code,
	.ou_within = pg_ou_within,
	.ou_link = pg_ou_link,
	.ou_history = pg_ou_history,
	.residence_move = pg_residence_move,
	.ou_close = pg_ou_close,
	.ou_links = pg_ou_links,
	.residence_history = pg_residence_history,
	.reassign_pending = pg_reassign_pending,
	.rules_load = pg_rules_load,
	.rule_put = pg_rule_put,
	.snap_load = pg_snap_load,
	.oper_load = pg_oper_load,
	.snap_person = pg_snap_person,
	.changes = pg_changes,
	.bulk_mode = pg_bulk_mode,
	.bulk_insert = pg_bulk_insert,
	.counts = pg_counts,
	.raw_tables = pg_raw_tables,
	.raw_read = pg_raw_read,
	.raw_write = pg_raw_write,
	.key_current = pg_key_current,
	.key_switch = pg_key_switch,
	.key_reseal = pg_key_reseal,
	.person_erase = pg_person_erase,
	.sql = pg_sql,
	.audit_append = pg_audit_append,
	.close = pg_close,
};

/* The URL without its password, for messages. */
static void url_safe(const char *url, char *out, size_t n)
{
	const char *at = strchr(url, '@'), *scheme = strstr(url, "://"), *colon;

	snprintf(out, n, "%s", url);
	if (!at || !scheme || at < scheme)
		return;
	colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
	if (colon)
		snprintf(out, n, "%.*s:***%s", (int)(colon - url), url, at);
}

struct store *store_pg_open(const char *url, struct pcmt_err *err)
{
	struct store_pg *s = calloc(1, sizeof(*s));
	char safe[256];

	if (!s) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	s->base.ops = &pg_ops;
	url_safe(url, safe, sizeof(safe));
	snprintf(s->base.url, sizeof(s->base.url), "%s", safe);
	s->conn = PQconnectdb(url);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		/* As with a SQLite file, a database that does not exist yet is created (when the role may). */
		char m[200], name[128];
		PGconn *admin;
		PGresult *res;
		int missing = 0;

		snprintf(m, sizeof(m), "%s", PQerrorMessage(s->conn));
		m[strcspn(m, "\n")] = '\0';
		url_dbname(url, name, sizeof(name));
		admin = name[0] ? connect_other(url, "postgres") : NULL;
		if (admin && PQstatus(admin) == CONNECTION_OK) {
			const char *v[1] = {name};

			res = PQexecParams(admin, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL, v, NULL, NULL, 0);
			missing = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 0;
			PQclear(res);
		}
		PQfinish(admin);
		if (!missing || admin_database(url, 1, err)) {
			if (!missing)
				err_set(err, ERR_UNAVAILABLE, "db", "cannot connect to PostgreSQL at %s: %s", safe, m);
			goto fail;
		}
		PQfinish(s->conn);
		s->conn = PQconnectdb(url);
		if (PQstatus(s->conn) != CONNECTION_OK) {
			snprintf(m, sizeof(m), "%s", PQerrorMessage(s->conn));
			m[strcspn(m, "\n")] = '\0';
			err_set(err, ERR_UNAVAILABLE, "db", "cannot connect to PostgreSQL at %s: %s", safe, m);
			goto fail;
		}
	}
	if (session_setup(s, err))
		goto fail;
	return &s->base;
fail:
	pg_close(&s->base);
	return NULL;
}
