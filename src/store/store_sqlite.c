/* store_sqlite.c: the SQLite backend of store.h, the embedded default.
 * WAL journal, foreign keys on, prepared statements cached per entity, one IMMEDIATE transaction
 * per write. SQL is generated from the entity descriptors, so a field declared in entity.c needs
 * only its column in a migration. Scope (an org-unit subtree) is applied here, in scope_sql() and
 * the cached statements' "?2 IS NULL OR ..." clause, and nowhere else. */
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_schema.h"
#include "store/sqlite_wal.h"
#include "store/store.h"
#include "store/vault.h"
#include "util/date.h"

enum { ST_INSERT, ST_GET, ST_UPDATE, ST_DELETE, ST_VERSION, ST_BULK, ST_BULK_MANY, ST_N };
/* rows per step of ST_BULK_MANY: a statement's start and end (cursors, its savepoint) cost as much
 * as a row's b-tree inserts; 64 rows of 10 values stay far below SQLite's 32,766 parameters */
enum { BULK_ROWS = 64 };
enum { ENT_MAX = 32, PATH_MAX_LEN = 256, SQL_CACHE = 32, FIND_CACHE = 32, DYN_CACHE = 48 };
/* search tokens per statement: a person has about 8 (a bench writer's name 23), and each
 * statement's start and end cost as much as its b-tree inserts, inside the write lock */
enum { TOK_ROWS = 8 };

/* bulk_insert's province cache (struct prov_cache): distinct codes it holds, and their longest */
enum { PROV_CODES = 255, PROV_CODE_MAX = 17, PROV_SLOTS_MAX = 1 << 24 };

/* The kept transaction statements (struct store_sqlite.tx). */
enum { TX_BEGIN, TX_COMMIT, TX_SP_MARK, TX_SP_KEEP, TX_SP_BACK, TX_N };

/* The provinces bulk_insert gives its rows (sqlite_province_src), by the id of the row each inherits
 * it from (see prov_of). */
struct prov_cache {
	const char *table;      /* the table whose rows it served (its source's ids); NULL: empty */
	int64_t *id;            /* open addressing by id; 0: a free slot */
	uint8_t *code;          /* per slot: index into codes */
	size_t cap, n;
	char codes[PROV_CODES][PROV_CODE_MAX];
	int ncodes;
	sqlite3_int64 changes;  /* sqlite3_total_changes64 after the last bulk_insert that used it */
	const char *get_from;   /* the table get reads */
	sqlite3_stmt *get;      /* SELECT province_code FROM get_from WHERE id = ?1 */
};

struct store_sqlite {
	struct store base; /* first: a struct store * is a struct store_sqlite * */
	sqlite3 *db;
	int in_tx;         /* inside an explicit begin/commit */
	sqlite3_stmt *st[ENT_MAX][ST_N];
	sqlite3_stmt *ou_get, *ou_code, *ou_path;
	sqlite3_stmt *tok_del, *tok_ins; /* person_token (identities) */
	sqlite3_stmt *tok_ins_many;      /* TOK_ROWS rows of person_token at once */
	/* statements of the sql op, cached by the address of their text (string literals) */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} sqlc[SQL_CACHE];
	struct {
		int ix;
		uint64_t mask;
		int scoped;
		sqlite3_stmt *st;
	} find[FIND_CACHE]; /* find()'s statements by entity, field set and scope's presence */
	struct {
		int nkeys;       /* blind-index keys the statement has marks for (the key file's count) */
		sqlite3_stmt *st;
	} find_nid[2];       /* find() by national ID, [scoped]: an import looks up every person once */
	sqlite3_stmt *nid_taken; /* sq_nid_taken's, for nid_taken_keys blind-index keys */
	int nid_taken_keys;
	sqlite3_stmt *next_pid;  /* next_person_id's */
	/* the statements every server write runs, kept: parsing them again cost as much as running
	 * them, inside the write lock (group commit) */
	sqlite3_stmt *tx[TX_N];
	/* statements built per question, kept by their text (dyn_get): the same shapes come back */
	struct {
		char *sql;
		sqlite3_stmt *st;
		uint64_t used; /* dyn_clock when last taken: the least recent goes first */
		int busy;      /* taken and not yet given back */
	} dyn[DYN_CACHE];
	uint64_t dyn_clock;
	sqlite3_stmt *key_id;              /* sq_write_key's */
	sqlite3_stmt *audit_last, *audit_ins; /* sq_audit_append's */
	struct prov_cache prov;               /* bulk_insert's */
	const struct vault *tx_vault;         /* nid_index_sql's key file in this transaction (tx_run) */
};

#define SQ(s) ((struct store_sqlite *)(s))

/* the text of each */
static const char *const tx_sql[TX_N] = {"BEGIN IMMEDIATE", "COMMIT", "SAVEPOINT w", "RELEASE w", "ROLLBACK TO w"};

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

static int ent_index(const struct entity_def *e)
{
	for (int i = 0; ent_all[i]; i++)
		if (ent_all[i] == e)
			return i;
	return -1;
}

static int sq_fail(struct store_sqlite *s, int rc, struct pcmt_err *err, const char *what)
{
	int ext = sqlite3_extended_errcode(s->db);

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return err_set(err, ERR_UNAVAILABLE, NULL, "the database is busy, try again");
	if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
		return err_set(err, ERR_CONFLICT, NULL, "other records still refer to this one");
	if (rc == SQLITE_CONSTRAINT)
		return err_set(err, ERR_INVALID, NULL, "the record breaks a database constraint (%s)",
			       sqlite3_errmsg(s->db));
	return err_set(err, ERR_INTERNAL, NULL, "database error while %s: %s", what, sqlite3_errmsg(s->db));
}

static int exec(struct store_sqlite *s, const char *sql, struct pcmt_err *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		err_set(err, rc == SQLITE_BUSY ? ERR_UNAVAILABLE : ERR_INTERNAL, NULL, "database error: %s",
			msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int prepare(struct store_sqlite *s, const char *sql, sqlite3_stmt **st, struct pcmt_err *err)
{
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return err_set(err, ERR_INTERNAL, NULL, "cannot prepare statement: %s", sqlite3_errmsg(s->db));
	return 0;
}

/* A statement for sql, text built for one question (a commune's page, a person's similar names, a
 * search word's count): kept by its text and taken again when the same shape comes back, since
 * parsing and planning it cost as much as running it (a registration's duplicate check: a fifth of
 * its time). NULL when it cannot be prepared (sqlite3_errmsg says why). Give it back with dyn_done,
 * which resets it; one in use is never evicted, so callers may hold several. */
static sqlite3_stmt *dyn_get(struct store_sqlite *s, const char *sql)
{
	sqlite3_stmt *q;
	int slot = -1;

	for (int i = 0; i < DYN_CACHE; i++) {
		if (s->dyn[i].busy)
			continue;
		if (s->dyn[i].sql && !strcmp(s->dyn[i].sql, sql)) {
			s->dyn[i].busy = 1;
			s->dyn[i].used = ++s->dyn_clock;
			return s->dyn[i].st;
		}
		if (slot < 0 || !s->dyn[i].sql || (s->dyn[slot].sql && s->dyn[i].used < s->dyn[slot].used))
			slot = i;
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK)
		return NULL;
	if (slot >= 0) {
		char *copy = strdup(sql);

		if (!copy) /* kept out of the cache: dyn_done finalizes it */
			return q;
		sqlite3_finalize(s->dyn[slot].st);
		free(s->dyn[slot].sql);
		s->dyn[slot].sql = copy;
		s->dyn[slot].st = q;
		s->dyn[slot].busy = 1;
		s->dyn[slot].used = ++s->dyn_clock;
	}
	return q;
}

/* Gives back a statement of dyn_get (NULL: nothing), its bindings cleared. */
static void dyn_done(struct store_sqlite *s, sqlite3_stmt *q)
{
	if (!q)
		return;
	for (int i = 0; i < DYN_CACHE; i++)
		if (s->dyn[i].st == q) {
			sqlite3_reset(q);
			sqlite3_clear_bindings(q);
			s->dyn[i].busy = 0;
			return;
		}
	sqlite3_finalize(q);
}

/* Runs one of the kept transaction statements, preparing it the first time. */
static int tx_run(struct store_sqlite *s, int which, struct pcmt_err *err)
{
	sqlite3_stmt *q;
	int rc;

	if (!s->tx[which] && prepare(s, tx_sql[which], &s->tx[which], err))
		return -1;
	/* bulk_insert's provinces hold within one transaction, and not past work undone */
	if (which == TX_BEGIN || which == TX_SP_BACK)
		s->prov.table = NULL;
	if (which == TX_BEGIN)
		s->tx_vault = NULL;
	q = s->tx[which];
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return err_set(err, rc == SQLITE_BUSY ? ERR_UNAVAILABLE : ERR_INTERNAL, NULL, "database error: %s",
			       sqlite3_errmsg(s->db));
	return 0;
}

/* Path bounds of a subtree: rows with path in [lo, hi) are the unit and its descendants. '/' + 1 is
 * '0', so hi is lo with its final '/' replaced by '0'. */
static void path_hi(const char *lo, char hi[PATH_MAX_LEN])
{
	size_t n = strlen(lo);

	snprintf(hi, PATH_MAX_LEN, "%s", lo);
	if (n > 0 && n < PATH_MAX_LEN)
		hi[n - 1] = '0';
}

/* Looks up the subtree path of an org unit; "" when unknown (which then matches nothing). */
static int ou_path(struct store_sqlite *s, int64_t id, char out[PATH_MAX_LEN], struct pcmt_err *err)
{
	int rc;

	out[0] = '\0';
	sqlite3_reset(s->ou_path);
	sqlite3_bind_int64(s->ou_path, 1, id);
	rc = sqlite3_step(s->ou_path);
	if (rc == SQLITE_ROW)
		snprintf(out, PATH_MAX_LEN, "%s", (const char *)sqlite3_column_text(s->ou_path, 0));
	else if (rc != SQLITE_DONE)
		return sq_fail(s, rc, err, "reading an org unit");
	sqlite3_reset(s->ou_path);
	if (!out[0])
		snprintf(out, PATH_MAX_LEN, "/none/");
	return 0;
}

/* ---- transactions --------------------------------------------------------------------------- */

static int sq_begin(struct store *st, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);

	if (s->in_tx)
		return err_set(err, ERR_INTERNAL, NULL, "transaction already open");
	if (tx_run(s, TX_BEGIN, err))
		return -1;
	s->in_tx = 1;
	return 0;
}

static int sq_commit(struct store *st, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);

	if (!s->in_tx)
		return err_set(err, ERR_INTERNAL, NULL, "no transaction open");
	if (tx_run(s, TX_COMMIT, err)) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->in_tx = 0;
		return -1;
	}
	s->in_tx = 0;
	return 0;
}

static int sq_rollback(struct store *st)
{
	struct store_sqlite *s = SQ(st);

	if (!s->in_tx)
		return 0;
	s->in_tx = 0;
	return sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int sq_savepoint(struct store *st, enum store_sp op, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);

	if (!s->in_tx)
		return err_set(err, ERR_INTERNAL, NULL, "no transaction open");
	if (op == SP_MARK)
		return tx_run(s, TX_SP_MARK, err);
	if (op == SP_KEEP)
		return tx_run(s, TX_SP_KEEP, err);
	/* some errors (I/O, a full disk, out of memory) roll the whole transaction back: then there is
	 * no savepoint left to return to, and the caller must not commit the others as if kept */
	if (sqlite3_get_autocommit(s->db) || tx_run(s, TX_SP_BACK, err) || tx_run(s, TX_SP_KEEP, err)) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->in_tx = 0;
		return err_set(err, ERR_UNAVAILABLE, NULL, "the database rolled back the transaction; try again");
	}
	return 0;
}

/* With CP_DEFER a commit appends to the log and returns: no copy into the database, no fsync (those
 * are synchronous=NORMAL's only ones in WAL mode) while the write lock is held. */
static int sq_checkpoint(struct store *st, enum store_cp op, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	int rc, log = -1, copied = -1;

	if (op == CP_DEFER) {
		sqlite3_wal_autocheckpoint(s->db, 0);
		return 0;
	}
	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return sq_fail(s, rc, err, "copying the log into the database");
	return log > 0 ? log : 0;
}

/* A single write outside an explicit transaction runs in its own. */
static int auto_begin(struct store_sqlite *s, int *mine, struct pcmt_err *err)
{
	*mine = 0;
	if (s->in_tx)
		return 0;
	if (tx_run(s, TX_BEGIN, err))
		return -1;
	*mine = 1;
	return 0;
}

static int auto_end(struct store_sqlite *s, int mine, int rc, struct pcmt_err *err)
{
	if (!mine)
		return rc;
	if (rc == 0 && tx_run(s, TX_COMMIT, err) == 0)
		return 0;
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* ---- migrations ----------------------------------------------------------------------------- */

static int schema_version(struct store_sqlite *s, int *v, struct pcmt_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*v = 0;
	if (exec(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", err))
		return -1;
	if (sqlite3_prepare_v2(s->db, "SELECT max(version) FROM schema_version", -1, &st, NULL) != SQLITE_OK)
		return sq_fail(s, SQLITE_ERROR, err, "reading the schema version");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sq_fail(s, rc, err, "reading the schema version");
}

static int prepare_all(struct store_sqlite *s, struct pcmt_err *err);

static int sq_key_reseal(struct store *st, int batch, int64_t *done, int64_t *left, struct pcmt_err *err);

/* Persons written before schema 9 are still plain: seal them now, a batch per transaction (the key
 * is needed only when there are some). The old plain text is gone from the file once the WAL is
 * checkpointed: secure_delete zeroes the freed space. */
static int seal_legacy(struct store_sqlite *s, struct pcmt_err *err)
{
	sqlite3_stmt *q = NULL;
	int64_t n = 0, done, left = 1;

	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM person WHERE key_id IS NULL", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (n == 0)
		return 0;
	while (left > 0) {
		if (sq_key_reseal(&s->base, 5000, &done, &left, err))
			return -1;
		if (done == 0 && left > 0)
			return err_set(err, ERR_INTERNAL, NULL, "%lld persons could not be sealed", (long long)left);
	}
	return exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", err);
}

static int sq_migrate(struct store *st, int *from, int *to, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	int v, n = 0;
	char sql[96];

	while (sqlite_migrations[n])
		n++;
	if (exec(s, "BEGIN IMMEDIATE", err))
		return -1;
	if (schema_version(s, &v, err))
		goto fail;
	if (from)
		*from = v;
	if (v > n) {
		err_set(err, ERR_UNSUPPORTED, "db", "the database has schema version %d, newer than this pcmt (%d)", v, n);
		goto fail;
	}
	for (; v < n; v++) {
		if (exec(s, sqlite_migrations[v], err))
			goto fail;
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version(version) VALUES (%d)", v + 1);
		if (exec(s, sql, err))
			goto fail;
	}
	if (exec(s, "COMMIT", err))
		goto fail;
	if (to)
		*to = v;
	if (prepare_all(s, err))
		return -1;
	return seal_legacy(s, err);
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* The entity's row of sqlite_province_src and the 1-based field whose referent carries the
 * province (-1 when the entity has none): the single-row and the bulk insert both set
 * province_code as the trigger would. */
static int province_src_col(const struct entity_def *e, const struct sqlite_province_src **srcp)
{
	const struct sqlite_province_src *src = NULL;
	int col = -1;

	for (int i = 0; sqlite_province_src[i].table; i++)
		if (!strcmp(sqlite_province_src[i].table, e->table))
			src = &sqlite_province_src[i];
	for (int f = 0; src && f < e->nfields; f++)
		if (!strcmp(e->fields[f].name, src->col))
			col = f + 1;
	*srcp = src;
	return col;
}

/* ---- SQL generated from descriptors --------------------------------------------------------- */

static void select_cols(struct sb *b, const struct entity_def *e)
{
	sb_add(b, "t.id");
	for (int i = 0; i < e->nfields; i++)
		if (!(e->fields[i].flags & F_HIDDEN))
			sb_add(b, ", t.%s", e->fields[i].name);
	sb_add(b, ", t.version, t.created_at, t.updated_at");
}

static int prepare_entity(struct store_sqlite *s, int ix, struct pcmt_err *err)
{
	const struct entity_def *e = ent_all[ix];
	struct sb b = {0};
	int rc = -1;

	/* INSERT */
	sb_add(&b, "INSERT INTO %s (", e->table);
	for (int i = 0; i < e->nfields; i++)
		sb_add(&b, "%s, ", e->fields[i].name);
	/* id last: NULL lets SQLite pick it; persons give it, since it is sealed into their ciphertexts.
	 * province_code as the AFTER INSERT trigger would set it (sqlite_province_src): the trigger
	 * then finds nothing to change, and a person's insert no longer runs the UPDATE that fires
	 * every "province moved" trigger (seven UPDATEs of the person's events, each with its
	 * ephemeral table: most of a person's insert, 380,000 instructions under callgrind) */
	{
		const struct sqlite_province_src *src = NULL;
		int col = -1;

		col = province_src_col(e, &src);
		sb_add(&b, "created_at, updated_at, id%s) VALUES (", col > 0 ? ", province_code" : "");
		for (int i = 0; i < e->nfields + 3; i++)
			sb_add(&b, "%s?%d", i ? ", " : "", i + 1);
		if (col > 0)
			sb_add(&b, ", coalesce((SELECT x.province_code FROM %s x WHERE x.id = ?%d), '')", src->from, col);
		sb_add(&b, ")");
	}
	if (b.oom || prepare(s, b.p, &s->st[ix][ST_INSERT], err))
		goto out;
	/* GET, scoped: ?1 id, ?2/?3 path bounds or NULL. One row: its org unit's path is looked up and
	 * compared, rather than the subtree's units gathered into a list at every execution. */
	b.n = 0;
	sb_add(&b, "SELECT ");
	select_cols(&b, e);
	sb_add(&b, " FROM %s t WHERE t.id = ?1", e->table);
	if ((e->flags & E_PERSONAL) && e->ou_expr)
		sb_add(&b, " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM org_unit o WHERE o.id = %s AND o.path >= ?2 AND o.path < ?3))",
		       e->ou_expr);
	if (b.oom || prepare(s, b.p, &s->st[ix][ST_GET], err))
		goto out;
	/* UPDATE: fields..., updated_at, id, expect_version */
	b.n = 0;
	sb_add(&b, "UPDATE %s SET ", e->table);
	for (int i = 0; i < e->nfields; i++)
		sb_add(&b, "%s = ?, ", e->fields[i].name);
	sb_add(&b, "version = version + 1, updated_at = ? WHERE id = ? AND (? <= 0 OR version = ?)");
	if (b.oom || prepare(s, b.p, &s->st[ix][ST_UPDATE], err))
		goto out;
	b.n = 0;
	sb_add(&b, "DELETE FROM %s WHERE id = ?", e->table);
	if (b.oom || prepare(s, b.p, &s->st[ix][ST_DELETE], err))
		goto out;
	b.n = 0;
	sb_add(&b, "SELECT version FROM %s WHERE id = ?", e->table);
	if (b.oom || prepare(s, b.p, &s->st[ix][ST_VERSION], err))
		goto out;
	rc = 0;
out:
	if (b.oom)
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
	free(b.p);
	return rc;
}

static int prepare_all(struct store_sqlite *s, struct pcmt_err *err)
{
	static const char ou_cols[] = "SELECT id, code, kind, coalesce(parent_id, 0), valid_from, valid_to, name FROM org_unit ";

	if (s->ou_get)
		return 0; /* already prepared (migrate called twice) */
	for (int i = 0; ent_all[i]; i++)
		if (prepare_entity(s, i, err))
			return -1;
	if (prepare(s, "SELECT path FROM org_unit WHERE id = ?", &s->ou_path, err))
		return -1;
	{
		char sql[512];

		snprintf(sql, sizeof(sql), "%sWHERE id = ?", ou_cols);
		if (prepare(s, sql, &s->ou_get, err))
			return -1;
		/* In force on ?2 first; else the most recently valid. */
		snprintf(sql, sizeof(sql),
			 "%sWHERE code = ?1 ORDER BY ((valid_from IS NULL OR valid_from <= ?2) AND "
			 "(valid_to IS NULL OR valid_to >= ?2)) DESC, coalesce(valid_to, '9999-12-31') DESC, id DESC LIMIT 1",
			 ou_cols);
		if (prepare(s, sql, &s->ou_code, err))
			return -1;
	}
	return 0;
}

static int ready(struct store_sqlite *s, struct pcmt_err *err)
{
	int v;

	if (s->ou_get)
		return 0;
	if (schema_version(s, &v, err))
		return -1;
	if (v == 0)
		return err_set(err, ERR_UNSUPPORTED, "db", "the database has no schema: run pcmt migrate");
	return prepare_all(s, err);
}

/* ---- row <-> JSON --------------------------------------------------------------------------- */

static json_t *row_json(sqlite3_stmt *st, const struct entity_def *e)
{
	json_t *o = json_object();
	int c = 0;

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, c++)));
	for (int i = 0; i < e->nfields; i++) {
		const struct field_def *f = &e->fields[i];
		json_t *v = json_null();

		if (f->flags & F_HIDDEN)
			continue;
		if (sqlite3_column_type(st, c) != SQLITE_NULL) {
			switch (f->type) {
			case FT_INT: case FT_MONEY: case FT_REF: case FT_OU:
				v = json_integer(sqlite3_column_int64(st, c));
				break;
			case FT_BOOL:
				v = json_boolean(sqlite3_column_int(st, c));
				break;
			case FT_JSON:
				v = json_loads((const char *)sqlite3_column_text(st, c), 0, NULL);
				if (!v)
					v = json_null();
				break;
			default:
				v = json_string((const char *)sqlite3_column_text(st, c));
			}
		}
		json_object_set_new(o, f->name, v ? v : json_null());
		c++;
	}
	json_object_set_new(o, "version", json_integer(sqlite3_column_int64(st, c++)));
	json_object_set_new(o, "created_at", json_string((const char *)sqlite3_column_text(st, c++)));
	json_object_set_new(o, "updated_at", json_string((const char *)sqlite3_column_text(st, c++)));
	return o;
}

static int bind_json(sqlite3_stmt *st, int ix, enum fld_type t, json_t *v)
{
	char *dump;
	int rc;

	if (!v || json_is_null(v))
		return sqlite3_bind_null(st, ix);
	switch (t) {
	case FT_INT: case FT_MONEY: case FT_REF: case FT_OU:
		return sqlite3_bind_int64(st, ix, json_integer_value(v));
	case FT_BOOL:
		return sqlite3_bind_int(st, ix, json_is_true(v));
	case FT_JSON:
		dump = json_dumps(v, JSON_COMPACT);
		rc = dump ? sqlite3_bind_text(st, ix, dump, -1, free) : SQLITE_NOMEM;
		return rc;
	default:
		return sqlite3_bind_text(st, ix, json_string_value(v), -1, SQLITE_TRANSIENT);
	}
}

/* ---- org units ------------------------------------------------------------------------------ */

static int ou_row(sqlite3_stmt *st, struct ou_info *o)
{
	const char *vf = (const char *)sqlite3_column_text(st, 4), *vt = (const char *)sqlite3_column_text(st, 5);

	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(st, 0);
	snprintf(o->code, sizeof(o->code), "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(o->kind, sizeof(o->kind), "%s", (const char *)sqlite3_column_text(st, 2));
	o->parent_id = sqlite3_column_int64(st, 3);
	if (!vf || date_parse(vf, &o->valid_from))
		o->valid_from = DATE_NONE;
	if (!vt || date_parse(vt, &o->valid_to))
		o->valid_to = DATE_NONE;
	snprintf(o->name, sizeof(o->name), "%s", (const char *)sqlite3_column_text(st, 6));
	return 0;
}

static int ou_step(struct store_sqlite *s, sqlite3_stmt *st, struct ou_info *out, struct pcmt_err *err)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		ou_row(st, out);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return err_set(err, ERR_NOT_FOUND, NULL, "no such org unit");
	return sq_fail(s, rc, err, "reading an org unit");
}

static int sq_ou_get(struct store *st, int64_t id, struct ou_info *out, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);

	if (ready(s, err))
		return -1;
	sqlite3_reset(s->ou_get);
	sqlite3_bind_int64(s->ou_get, 1, id);
	return ou_step(s, s->ou_get, out, err);
}

static int sq_ou_by_code(struct store *st, const char *code, int32_t date, struct ou_info *out,
			 struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	char d[DATE_BUFSZ];

	if (ready(s, err))
		return -1;
	sqlite3_reset(s->ou_code);
	sqlite3_bind_text(s->ou_code, 1, code, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s->ou_code, 2, date_format(date == DATE_NONE ? date_today() : date, d), -1,
			  SQLITE_TRANSIENT);
	return ou_step(s, s->ou_code, out, err);
}

static int sq_ou_within(struct store *st, int64_t id, int64_t root, int *yes, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	char a[PATH_MAX_LEN], b[PATH_MAX_LEN];

	*yes = 0;
	if (ready(s, err) || ou_path(s, id, a, err) || ou_path(s, root, b, err))
		return -1;
	*yes = strcmp(b, "/none/") && !strncmp(a, b, strlen(b));
	return 0;
}

static int sq_ou_link(struct store *st, int64_t from, int64_t to, const char *kind, int32_t effective,
		      struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	char d[DATE_BUFSZ];
	int rc, mine;

	if (ready(s, err) || auto_begin(s, &mine, err))
		return -1;
	rc = sqlite3_prepare_v2(s->db,
				"INSERT INTO org_unit_link (from_id, to_id, kind, effective) VALUES (?, ?, ?, ?) "
				"ON CONFLICT (from_id, to_id) DO UPDATE SET kind = excluded.kind, effective = excluded.effective",
				-1, &q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, from);
		sqlite3_bind_int64(q, 2, to);
		sqlite3_bind_text(q, 3, kind, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 4, date_format(effective, d), -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	return auto_end(s, mine, rc == SQLITE_DONE ? 0 : sq_fail(s, rc, err, "linking org units"), err);
}

/* Sets path = parent's path + id + '/' for a unit, and re-roots its descendants when it moved. */
static int ou_fix_path(struct store_sqlite *s, int64_t id, struct pcmt_err *err)
{
	char old[PATH_MAX_LEN], parent[PATH_MAX_LEN], neu[PATH_MAX_LEN], hi[PATH_MAX_LEN];
	sqlite3_stmt *q = NULL;
	struct ou_info self;
	int rc;

	if (sq_ou_get(&s->base, id, &self, err) || ou_path(s, id, old, err))
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
	/* a unit cannot move under itself */
	if (strcmp(old, "/none/") && old[0] && !strncmp(parent, old, strlen(old)))
		return err_set(err, ERR_INVALID, "parent_id", "an org unit cannot be placed under itself");
	if (!old[0] || !strcmp(old, "/none/") || old[0] != '/') {
		rc = sqlite3_prepare_v2(s->db, "UPDATE org_unit SET path = ?1 WHERE id = ?2", -1, &q, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(q, 1, neu, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(q, 2, id);
		}
	} else {
		path_hi(old, hi);
		rc = sqlite3_prepare_v2(s->db,
					"UPDATE org_unit SET path = ?1 || substr(path, length(?2) + 1) "
					"WHERE path >= ?2 AND path < ?3",
					-1, &q, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(q, 1, neu, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(q, 2, old, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(q, 3, hi, -1, SQLITE_TRANSIENT);
		}
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : sq_fail(s, rc, err, "updating org-unit paths");
}

/* ---- checks before a write ------------------------------------------------------------------ */

static int scoped_get(struct store_sqlite *s, const struct entity_def *e, const struct scope *sc,
		      int64_t id, json_t **out, struct pcmt_err *err);
static int sq_person_open(struct store_sqlite *s, json_t *row, struct pcmt_err *err);

/* Resolves org-unit codes to ids and checks that every reference exists (within scope for
 * person-level targets). Rewrites rec in place. */
static int resolve_refs(struct store_sqlite *s, const struct entity_def *e, const struct scope *sc,
			json_t *rec, struct pcmt_err *err)
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
			if (json_is_string(v) ? sq_ou_by_code(&s->base, json_string_value(v), DATE_NONE, &ou, &e2)
					      : sq_ou_get(&s->base, json_integer_value(v), &ou, &e2)) {
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

static int bind_scope(struct store_sqlite *s, sqlite3_stmt *st, int ix_lo, const struct scope *sc,
		      struct pcmt_err *err)
{
	char lo[PATH_MAX_LEN], hi[PATH_MAX_LEN];

	if (!sc || !sc->ou_id) {
		sqlite3_bind_null(st, ix_lo);
		sqlite3_bind_null(st, ix_lo + 1);
		return 0;
	}
	if (ou_path(s, sc->ou_id, lo, err))
		return -1;
	path_hi(lo, hi);
	sqlite3_bind_text(st, ix_lo, lo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, ix_lo + 1, hi, -1, SQLITE_TRANSIENT);
	return 0;
}

static int scoped_get(struct store_sqlite *s, const struct entity_def *e, const struct scope *sc,
		      int64_t id, json_t **out, struct pcmt_err *err)
{
	int ix = ent_index(e), rc;
	sqlite3_stmt *st;

	*out = NULL;
	if (ix < 0)
		return err_set(err, ERR_INTERNAL, NULL, "unknown entity");
	st = s->st[ix][ST_GET];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, id);
	if ((e->flags & E_PERSONAL) && e->ou_expr && bind_scope(s, st, 2, sc, err))
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = row_json(st, e);
		sqlite3_reset(st);
		if (!*out)
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		if (e == &ent_persons && sq_person_open(s, *out, err)) {
			json_decref(*out);
			*out = NULL;
			return -1;
		}
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return err_set(err, ERR_NOT_FOUND, NULL, "no %s with id %lld", e->name, (long long)id);
	return sq_fail(s, rc, err, "reading a record");
}

/* A duplicate F_UNIQUE value: find which field and the existing row. */
/* 1 when record id of e is inside scope sc (or there is no scope). */
static int unique_visible(struct store_sqlite *s, const struct entity_def *e, const struct scope *sc, int64_t id)
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

static int unique_conflict(struct store_sqlite *s, const struct entity_def *e, const struct scope *sc, json_t *rec,
			   int64_t self, struct pcmt_err *err)
{
	for (int i = 0; i < e->nfields; i++) {
		const struct field_def *f = &e->fields[i];
		json_t *v = json_object_get(rec, f->name);
		sqlite3_stmt *q = NULL;
		char sql[200];
		int64_t found = 0;

		if (!(f->flags & F_UNIQUE) || !v || json_is_null(v))
			continue;
		snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE %s = ? AND id <> ?", e->table, f->name);
		if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) == SQLITE_OK) {
			bind_json(q, 1, f->type, v);
			sqlite3_bind_int64(q, 2, self);
			if (sqlite3_step(q) == SQLITE_ROW)
				found = sqlite3_column_int64(q, 0);
		}
		sqlite3_finalize(q);
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

/* ---- identities (store/vault.h) ------------------------------------------------------------- */

/* The key new ciphertexts use: the database's own (vault_state), which the key file must hold; a
 * database without one adopts the key file's current key. Called inside the write's transaction, so
 * that a rotation switching the database's key (sq_key_switch) and this write are ordered. */
static int sq_write_key(struct store_sqlite *s, const struct vault **vp, const struct vault_key **kp,
			struct pcmt_err *err)
{
	const struct vault *v = vault_get(s->base.url, err);
	const struct vault_key *k = NULL;
	sqlite3_stmt *q = NULL;
	char id[VAULT_ID_LEN + 1] = "";
	int rc;

	if (!v)
		return -1;
	if (!s->key_id && prepare(s, "SELECT key_id FROM vault_state WHERE id = 1", &s->key_id, err))
		return -1;
	rc = sqlite3_step(s->key_id);
	if (rc == SQLITE_ROW && sqlite3_column_text(s->key_id, 0))
		snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(s->key_id, 0));
	sqlite3_reset(s->key_id);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(s, rc, err, "reading the database's key id");
	if (!id[0]) {
		k = &v->keys[v->current];
		if ((rc = sqlite3_prepare_v2(s->db, "INSERT INTO vault_state (id, key_id) VALUES (1, ?)", -1, &q, NULL)) != SQLITE_OK)
			return sq_fail(s, rc, err, "recording the database's key id");
		sqlite3_bind_text(q, 1, k->id, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			return sq_fail(s, rc, err, "recording the database's key id");
	} else if (!(k = vault_key(v, id))) {
		return err_set(err, ERR_UNAVAILABLE, "key",
			       "this database seals identities under key %s, which the key file %s lacks", id,
			       v->path[0] ? v->path : "($PCMT_KEY)");
	}
	*vp = v;
	*kp = k;
	return 0;
}

/* Binds the blind index of text under every key of v ("IN (?, ...)" with v->n marks). */
static void in_marks(struct sb *b, int n)
{
	sb_add(b, "IN (");
	for (int i = 0; i < n; i++)
		sb_add(b, "%s?", i ? ", " : "");
	sb_add(b, ")");
}

/* A national ID another person already holds, under any key of the file (a rotation may be
 * half done): ERR_CONFLICT naming the field and the holder, as the unique constraint did. */
static int sq_nid_taken(struct store_sqlite *s, const struct scope *sc, const struct vault *v, const char *nid,
			int64_t self, struct pcmt_err *err)
{
	struct sb b = {0};
	sqlite3_stmt *q = NULL;
	char hex[VAULT_MAX_KEYS][33];
	int64_t found = 0;
	int rc;

	/* the statement is kept for the key file's key count (every person written runs it) */
	if (s->nid_taken && s->nid_taken_keys != v->n) {
		sqlite3_finalize(s->nid_taken);
		s->nid_taken = NULL;
	}
	if (!s->nid_taken) {
		sb_add(&b, "SELECT id FROM person WHERE nid_index ");
		in_marks(&b, v->n);
		sb_add(&b, " AND id <> ? LIMIT 1");
		if (b.oom || (rc = sqlite3_prepare_v2(s->db, b.p, -1, &s->nid_taken, NULL)) != SQLITE_OK) {
			free(b.p);
			return sq_fail(s, SQLITE_NOMEM, err, "checking the national ID");
		}
		s->nid_taken_keys = v->n;
	}
	q = s->nid_taken;
	for (int i = 0; i < v->n; i++) {
		vault_index_hex(&v->keys[i], "nid", nid, hex[i]);
		sqlite3_bind_text(q, i + 1, hex[i], -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(q, v->n + 1, self);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		found = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	free(b.p);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_fail(s, rc, err, "checking the national ID");
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

static int sq_tokens_put(struct store_sqlite *s, int64_t id, const int64_t *tok, int n, struct pcmt_err *err)
{
	int rc, i = 0;

	if (!s->tok_del &&
	    (prepare(s, "DELETE FROM person_token WHERE person_id = ?", &s->tok_del, err) ||
	     prepare(s, "INSERT OR IGNORE INTO person_token (h, person_id) VALUES (?, ?)", &s->tok_ins, err)))
		return -1;
	if (!s->tok_ins_many) {
		struct sb b = {0};

		sb_add(&b, "INSERT OR IGNORE INTO person_token (h, person_id) VALUES (?, ?)");
		for (int j = 1; j < TOK_ROWS; j++)
			sb_add(&b, ", (?, ?)");
		rc = b.oom ? -1 : prepare(s, b.p, &s->tok_ins_many, err);
		free(b.p);
		if (rc)
			return b.oom ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : -1;
	}
	sqlite3_reset(s->tok_del);
	sqlite3_bind_int64(s->tok_del, 1, id);
	rc = sqlite3_step(s->tok_del);
	sqlite3_reset(s->tok_del);
	if (rc != SQLITE_DONE)
		return sq_fail(s, rc, err, "writing search tokens");
	for (; i + TOK_ROWS <= n; i += TOK_ROWS) {
		for (int j = 0; j < TOK_ROWS; j++) {
			sqlite3_bind_int64(s->tok_ins_many, 2 * j + 1, tok[i + j]);
			sqlite3_bind_int64(s->tok_ins_many, 2 * j + 2, id);
		}
		rc = sqlite3_step(s->tok_ins_many);
		sqlite3_reset(s->tok_ins_many);
		if (rc != SQLITE_DONE)
			return sq_fail(s, rc, err, "writing search tokens");
	}
	for (; i < n; i++) {
		sqlite3_reset(s->tok_ins);
		sqlite3_bind_int64(s->tok_ins, 1, tok[i]);
		sqlite3_bind_int64(s->tok_ins, 2, id);
		rc = sqlite3_step(s->tok_ins);
		sqlite3_reset(s->tok_ins);
		if (rc != SQLITE_DONE)
			return sq_fail(s, rc, err, "writing search tokens");
	}
	return 0;
}

/* Seals a validated person (rec, modified in place) for row id: national ID not held by another,
 * identifying fields sealed, blind indexes set; then its search tokens. */
static int sq_person_seal(struct store_sqlite *s, const struct scope *sc, int64_t id, json_t *rec,
			  struct pcmt_err *err)
{
	const struct vault *v;
	const struct vault_key *k;
	const char *nid = json_string_value(json_object_get(rec, "national_id"));
	int64_t tok[VAULT_MAX_TOKENS];
	int ntok = 0;

	if (sq_write_key(s, &v, &k, err))
		return -1;
	if (nid && sq_nid_taken(s, sc, v, nid, id, err))
		return -1;
	if (vault_seal_person(k, id, rec, tok, &ntok, err))
		return -1;
	return sq_tokens_put(s, id, tok, ntok, err);
}

/* Opens a person row read from the database (in place). */
static int sq_person_open(struct store_sqlite *s, json_t *row, struct pcmt_err *err)
{
	const struct vault *v = vault_get(s->base.url, err);

	if (!v)
		return -1;
	return vault_open_person(v, json_integer_value(json_object_get(row, "id")), row, err);
}

static int64_t next_person_id(struct store_sqlite *s)
{
	int64_t id = 0;

	/* kept: preparing it cost more than running it, on every person written */
	if ((s->next_pid ||
	     sqlite3_prepare_v2(s->db, "SELECT coalesce(max(id), 0) + 1 FROM person", -1, &s->next_pid, NULL) == SQLITE_OK) &&
	    sqlite3_step(s->next_pid) == SQLITE_ROW)
		id = sqlite3_column_int64(s->next_pid, 0);
	if (s->next_pid)
		sqlite3_reset(s->next_pid);
	return id;
}

/* ---- CRUD ----------------------------------------------------------------------------------- */

static int bind_fields(sqlite3_stmt *st, const struct entity_def *e, json_t *rec)
{
	for (int i = 0; i < e->nfields; i++)
		if (bind_json(st, i + 1, e->fields[i].type, json_object_get(rec, e->fields[i].name)) != SQLITE_OK)
			return -1;
	return 0;
}

static int sq_insert(struct store *st, const struct entity_def *e, const struct scope *sc, json_t *in,
		     json_t **out, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	int ix = ent_index(e), rc = -1, mine = 0, src;
	json_t *rec = NULL, *row = NULL;
	sqlite3_stmt *q;
	char now[21];
	int64_t id, pid = 0;

	if (out)
		*out = NULL;
	if (ix < 0 || ready(s, err))
		return -1;
	if (!(rec = json_deep_copy(in)))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (auto_begin(s, &mine, err))
		goto out;
	if (resolve_refs(s, e, sc, rec, err))
		goto done;
	/* a person's id is sealed into its ciphertexts, so it is chosen first (inside the write lock) */
	if (e == &ent_persons && (!(pid = next_person_id(s)) || sq_person_seal(s, sc, pid, rec, err))) {
		if (!pid)
			sq_fail(s, sqlite3_errcode(s->db), err, "choosing an id");
		goto done;
	}
	q = s->st[ix][ST_INSERT];
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (bind_fields(q, e, rec)) {
		err_set(err, ERR_INTERNAL, NULL, "cannot bind values");
		goto done;
	}
	date_now_iso(now);
	sqlite3_bind_text(q, e->nfields + 1, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, e->nfields + 2, now, -1, SQLITE_TRANSIENT);
	if (pid)
		sqlite3_bind_int64(q, e->nfields + 3, pid);
	src = sqlite3_step(q);
	sqlite3_reset(q);
	if (src != SQLITE_DONE) {
		if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
			unique_conflict(s, e, sc, rec, 0, err);
		else
			sq_fail(s, src, err, "inserting");
		goto done;
	}
	id = sqlite3_last_insert_rowid(s->db);
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
	rc = auto_end(s, mine, rc, err);
	if (rc == 0 && out) {
		*out = row;
		row = NULL;
	}
out:
	json_decref(row);
	json_decref(rec);
	return rc;
}

static int current_version(struct store_sqlite *s, int ix, int64_t id, int64_t *v)
{
	sqlite3_stmt *q = s->st[ix][ST_VERSION];
	int rc;

	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int sq_update(struct store *st, const struct entity_def *e, const struct scope *sc, int64_t id,
		     json_t *in, int64_t expect_version, json_t **out, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	int ix = ent_index(e), rc = -1, mine = 0, src;
	json_t *rec = NULL, *row = NULL;
	sqlite3_stmt *q;
	char now[21];
	int64_t cur;

	if (out)
		*out = NULL;
	if (ix < 0 || ready(s, err))
		return -1;
	if (!(rec = json_deep_copy(in)))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (auto_begin(s, &mine, err))
		goto out;
	if (scoped_get(s, e, sc, id, &row, err))
		goto done;
	json_decref(row);
	row = NULL;
	if (resolve_refs(s, e, sc, rec, err))
		goto done;
	if (e == &ent_persons && sq_person_seal(s, sc, id, rec, err))
		goto done;
	q = s->st[ix][ST_UPDATE];
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (bind_fields(q, e, rec)) {
		err_set(err, ERR_INTERNAL, NULL, "cannot bind values");
		goto done;
	}
	date_now_iso(now);
	sqlite3_bind_text(q, e->nfields + 1, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, e->nfields + 2, id);
	sqlite3_bind_int64(q, e->nfields + 3, expect_version);
	sqlite3_bind_int64(q, e->nfields + 4, expect_version);
	src = sqlite3_step(q);
	sqlite3_reset(q);
	if (src != SQLITE_DONE) {
		if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
			unique_conflict(s, e, sc, rec, id, err);
		else
			sq_fail(s, src, err, "updating");
		goto done;
	}
	if (sqlite3_changes(s->db) == 0) {
		current_version(s, ix, id, &cur);
		err_set(err, ERR_CONFLICT, "version",
			"the record was changed by someone else (now version %lld, you sent %lld): reload it",
			(long long)cur, (long long)expect_version);
		err->current_version = cur;
		goto done;
	}
	if ((e->flags & E_ORGUNIT) && ou_fix_path(s, id, err))
		goto done;
	if (scoped_get(s, e, sc, id, &row, err)) {
		if (err->code == ERR_NOT_FOUND)
			err_set(err, ERR_INVALID, NULL, "the record would move outside your org unit");
		goto done;
	}
	rc = 0;
done:
	rc = auto_end(s, mine, rc, err);
	if (rc == 0 && out) {
		*out = row;
		row = NULL;
	}
out:
	json_decref(row);
	json_decref(rec);
	return rc;
}

static int sq_get(struct store *st, const struct entity_def *e, const struct scope *sc, int64_t id,
		  json_t **out, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);

	*out = NULL;
	if (ready(s, err))
		return -1;
	return scoped_get(s, e, sc, id, out, err);
}

static int sq_del(struct store *st, const struct entity_def *e, const struct scope *sc, int64_t id,
		  int64_t expect_version, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	int ix = ent_index(e), rc = -1, mine = 0, src;
	json_t *row = NULL;
	sqlite3_stmt *q;
	int64_t cur;

	if (ix < 0 || ready(s, err) || auto_begin(s, &mine, err))
		return -1;
	if (scoped_get(s, e, sc, id, &row, err))
		goto done;
	cur = json_integer_value(json_object_get(row, "version"));
	if (expect_version > 0 && cur != expect_version) {
		err_set(err, ERR_CONFLICT, "version", "the record was changed by someone else (now version %lld)",
			(long long)cur);
		err->current_version = cur;
		goto done;
	}
	q = s->st[ix][ST_DELETE];
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, id);
	src = sqlite3_step(q);
	sqlite3_reset(q);
	if (src != SQLITE_DONE) {
		sq_fail(s, src, err, "deleting");
		goto done;
	}
	if (e == &ent_persons && sq_tokens_put(s, id, NULL, 0, err))
		goto done;
	rc = 0;
done:
	json_decref(row);
	return auto_end(s, mine, rc, err);
}

/* ---- lists ---------------------------------------------------------------------------------- */

enum { MAXB = 48 };

struct binds {
	int n;
	struct {
		int is_text;
		char *text; /* owned */
		int64_t i;
	} v[MAXB];
};

static int bt(struct binds *b, const char *s)
{
	if (b->n >= MAXB || !(b->v[b->n].text = strdup(s)))
		return -1;
	b->v[b->n++].is_text = 1;
	return 0;
}

static int bi(struct binds *b, int64_t i)
{
	if (b->n >= MAXB)
		return -1;
	b->v[b->n].is_text = 0;
	b->v[b->n].text = NULL;
	b->v[b->n++].i = i;
	return 0;
}

static void binds_free(struct binds *b)
{
	for (int i = 0; i < b->n; i++)
		free(b->v[i].text);
}

static void binds_apply(sqlite3_stmt *st, struct binds *b)
{
	for (int i = 0; i < b->n; i++) {
		if (b->v[i].is_text)
			sqlite3_bind_text(st, i + 1, b->v[i].text, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, i + 1, b->v[i].i);
	}
}

/* Appends "AND <ou_expr> IN subtree(root)" with its two binds. For a list of person-level events
 * the same predicate takes one of two forms (store_scope_by_set() says which): the persons residing
 * in the subtree as a set, built once per statement from the person_residence index and probed per
 * row in memory; or each row's person looked up (a random read of the wide person table per row,
 * which cost a district's health worker 10x the unscoped queue on the national data set). */
static int subtree_sql(struct store_sqlite *s, const struct entity_def *e, int64_t root, int one_person,
		       struct sb *w, struct binds *b, struct pcmt_err *err)
{
	char lo[PATH_MAX_LEN], hi[PATH_MAX_LEN];

	if (!e->ou_expr)
		return err_set(err, ERR_BAD_REQUEST, "orgunit", "%s cannot be filtered by org unit", e->name);
	if (ou_path(s, root, lo, err))
		return -1;
	path_hi(lo, hi);
	if (store_scope_by_set(e, lo, one_person))
		sb_add(w, " AND t.person_id IN (SELECT sp.id FROM person sp WHERE sp.residence_ou IN"
			  " (SELECT o.id FROM org_unit o WHERE o.path >= ? AND o.path < ?))");
	else
		sb_add(w, " AND %s IN (SELECT o.id FROM org_unit o WHERE o.path >= ? AND o.path < ?)", e->ou_expr);
	return bt(b, lo) || bt(b, hi) ? err_set(err, ERR_BAD_REQUEST, NULL, "too many filters") : 0;
}

/* 1 when q keeps the rows of one person (an equality filter on person_id). */
static int one_person(const struct store_query *q)
{
	for (int i = 0; i < q->neq; i++)
		if (!strcmp(q->eq[i].field, "person_id"))
			return 1;
	return 0;
}

static int like_token(struct binds *b, const char *tok, size_t n)
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
	return bt(b, buf);
}

/* Persons' national ID equal to nid, through its blind index under every key of the file. Inside an
 * explicit transaction the key file is looked for once (vault_get stats it on every call: two fifths
 * of an import's lookup of a person by national ID): no row sealed under a key the file gained
 * since can be written while this transaction holds the write lock, and a vault once handed out
 * stays valid. */
static int nid_index_sql(struct store_sqlite *s, const char *nid, struct sb *w, struct binds *b, struct pcmt_err *err)
{
	const struct vault *v = s->in_tx && s->tx_vault ? s->tx_vault : vault_get(s->base.url, err);
	char hex[33];

	if (!v)
		return -1;
	if (s->in_tx)
		s->tx_vault = v;
	sb_add(w, " AND t.nid_index ");
	in_marks(w, v->n);
	for (int i = 0; i < v->n; i++) {
		vault_index_hex(&v->keys[i], "nid", nid, hex);
		if (bt(b, hex))
			return err_set(err, ERR_BAD_REQUEST, "q", "too many search words");
	}
	return 0;
}

/* store_search_words' count: how many persons a word's token names under every key of the file, up
 * to STORE_SEARCH_PROBE. */
struct tok_ctx {
	struct store_sqlite *s;
	const struct vault *v;
};

static int tok_count(void *cls, const char *p, size_t k, long *n, struct pcmt_err *err)
{
	struct tok_ctx *c = cls;
	struct store_sqlite *s = c->s;
	struct sb q = {0};
	sqlite3_stmt *st = NULL;
	int rc = -1, r;

	sb_add(&q, "SELECT count(*) FROM (SELECT 1 FROM person_token WHERE h ");
	in_marks(&q, c->v->n);
	sb_add(&q, " LIMIT %d)", STORE_SEARCH_PROBE);
	if (q.oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto done;
	}
	if (!(st = dyn_get(s, q.p))) {
		err_set(err, ERR_INTERNAL, NULL, "cannot prepare statement: %s", sqlite3_errmsg(s->db));
		goto done;
	}
	for (int i = 0; i < c->v->n; i++)
		sqlite3_bind_int64(st, i + 1, vault_index_tok(&c->v->keys[i], p, k));
	if ((r = sqlite3_step(st)) != SQLITE_ROW) {
		sq_fail(s, r, err, "counting a search word");
		goto done;
	}
	*n = (long)sqlite3_column_int64(st, 0);
	rc = 0;
done:
	dyn_done(s, st);
	free(q.p);
	return rc;
}

/* Persons' search (folded text): all digits is an exact national ID; otherwise the words of
 * store_search_words, the rarest driving. One IN (list) per word instead made SQLite build a
 * temporary b-tree of every word's whole list, "nguyen"'s 386,000 persons included: 520 ms against
 * 17 ms for a three-word name on the national set (1,000,000 persons), the same 1,122 persons. */
static int person_search_sql(struct store_sqlite *s, const char *p, struct sb *w, struct binds *b, int *joined,
			     struct pcmt_err *err)
{
	struct store_word word[STORE_SEARCH_WORDS];
	struct tok_ctx c = {s, NULL};
	int nw, lead;
	size_t n = strlen(p);

	*joined = 0;
	if (strspn(p, "0123456789") == n) {
		sb_add(w, " WHERE 1 = 1");
		return nid_index_sql(s, p, w, b, err);
	}
	if (!(c.v = vault_get(s->base.url, err)) || (nw = store_search_words(p, tok_count, &c, word, &lead, err)) < 0)
		return -1;
	if (!nw) {
		sb_add(w, " WHERE 1 = 1");
		return 0;
	}
	/* One key (the usual case): a join from the lead word's tokens, which come in person_id order
	 * from the primary key, so that a page ordered by a.person_id stops at its last row instead of
	 * sorting every match. Under two keys (a rotation half done) a person can hold the word under
	 * both, and the join would list it twice: IN (...) then. */
	if (c.v->n == 1) {
		sb_add(w, " JOIN person_token a ON a.person_id = t.id AND a.h = ?");
		*joined = 1;
	} else {
		sb_add(w, " WHERE t.id IN (SELECT a.person_id FROM person_token a WHERE a.h ");
		in_marks(w, c.v->n);
	}
	for (int i = 0; i < c.v->n; i++)
		if (bi(b, vault_index_tok(&c.v->keys[i], word[lead].p, word[lead].k)))
			return err_set(err, ERR_BAD_REQUEST, "q", "too many search words");
	for (int j = 0; j < nw; j++) {
		if (j == lead)
			continue;
		sb_add(w, " AND EXISTS (SELECT 1 FROM person_token x WHERE x.h ");
		in_marks(w, c.v->n);
		sb_add(w, " AND x.person_id = a.person_id)");
		for (int i = 0; i < c.v->n; i++)
			if (bi(b, vault_index_tok(&c.v->keys[i], word[j].p, word[j].k)))
				return err_set(err, ERR_BAD_REQUEST, "q", "too many search words");
	}
	sb_add(w, *joined ? " WHERE 1 = 1" : ")");
	return 0;
}

/* The joins and WHERE clause of a list (from " JOIN"/" WHERE" on); *joined when a person search
 * joined person_token a (the page is then ordered by a.person_id, which equals t.id). The search
 * comes first, since its binds must precede the filters' in the text. */
static int where_sql(struct store_sqlite *s, const struct entity_def *e, const struct store_query *q,
		     struct sb *w, struct binds *b, int *joined, struct pcmt_err *err)
{
	char d[DATE_BUFSZ];
	int32_t asof = q->as_of == DATE_NONE ? date_today() : q->as_of;

	*joined = 0;
	if (q->search && *q->search && e == &ent_persons) {
		if (person_search_sql(s, q->search, w, b, joined, err))
			return -1;
	} else {
		sb_add(w, " WHERE 1 = 1");
	}
	if (q->scope && q->scope->ou_id && (e->flags & E_PERSONAL) &&
	    subtree_sql(s, e, q->scope->ou_id, one_person(q), w, b, err))
		return -1;
	if (q->ou_subtree && subtree_sql(s, e, q->ou_subtree, one_person(q), w, b, err))
		return -1;
	if (q->search && *q->search && e != &ent_persons) {
		const char *p = q->search;
		size_t n = strlen(p), digits = strspn(p, "0123456789");

		if (!ent_field(e, "name_fold"))
			return err_set(err, ERR_BAD_REQUEST, "q", "%s cannot be searched by name", e->name);
		if (digits == n && ent_field(e, "national_id")) {
			sb_add(w, " AND t.national_id = ?");
			if (bt(b, p))
				return err_set(err, ERR_BAD_REQUEST, "q", "too many search words");
		} else {
			while (*p) {
				size_t k;

				while (*p == ' ')
					p++;
				k = strcspn(p, " ");
				if (!k)
					break;
				sb_add(w, " AND t.name_fold LIKE ? ESCAPE '\\'");
				if (like_token(b, p, k))
					return err_set(err, ERR_BAD_REQUEST, "q", "too many search words");
				p += k;
			}
		}
	}
	for (int i = 0; i < q->neq; i++) {
		const struct field_def *f = ent_field(e, q->eq[i].field);
		json_t *v = q->eq[i].value;

		if (!f || !(f->flags & F_FILTER))
			return err_set(err, ERR_BAD_REQUEST, q->eq[i].field, "%s cannot be filtered by %s", e->name,
				       q->eq[i].field);
		if (!v || json_is_null(v)) {
			sb_add(w, " AND t.%s IS NULL", f->name);
			continue;
		}
		if (f->flags & F_IDENT) {
			/* sealed: an exact match through its blind index (national_id is the only one) */
			if (strcmp(f->name, "national_id") || !json_is_string(v))
				return err_set(err, ERR_BAD_REQUEST, f->name, "%s cannot be filtered by %s", e->name, f->name);
			if (nid_index_sql(s, json_string_value(v), w, b, err))
				return -1;
			continue;
		}
		sb_add(w, " AND t.%s = ?", f->name);
		if (f->type == FT_BOOL ? bi(b, json_is_true(v))
		    : json_is_integer(v) ? bi(b, json_integer_value(v))
		    : json_is_string(v)  ? bt(b, json_string_value(v))
					 : -1)
			return err_set(err, ERR_BAD_REQUEST, f->name, "bad filter value for %s", f->name);
	}
	for (int i = 0; i < q->nrng && i < QR_MAX; i++) {
		const struct field_def *f = ent_field(e, q->rng[i].field);
		char rd[DATE_BUFSZ];

		if (!f || f->type != FT_DATE)
			return err_set(err, ERR_BAD_REQUEST, q->rng[i].field, "%s has no date %s", e->name, q->rng[i].field);
		if (q->rng[i].lo != DATE_NONE) {
			sb_add(w, " AND t.%s >= ?", f->name);
			if (bt(b, date_format(q->rng[i].lo, rd)))
				return err_set(err, ERR_BAD_REQUEST, NULL, "too many filters");
		}
		if (q->rng[i].hi != DATE_NONE) {
			sb_add(w, " AND t.%s <= ?", f->name);
			if (bt(b, date_format(q->rng[i].hi, rd)))
				return err_set(err, ERR_BAD_REQUEST, NULL, "too many filters");
		}
	}
	date_format(asof, d);
	if (q->classification) {
		if (e != &ent_persons)
			return err_set(err, ERR_BAD_REQUEST, "classification", "only persons have classifications");
		sb_add(w, " AND EXISTS (SELECT 1 FROM classification c WHERE c.person_id = t.id AND c.kind = ?"
			  " AND c.date_from <= ? AND (c.date_to IS NULL OR c.date_to >= ?))");
		if (bt(b, q->classification) || bt(b, d) || bt(b, d))
			return err_set(err, ERR_BAD_REQUEST, NULL, "too many filters");
	}
	if (q->record_status) {
		static const char open[] = "EXISTS (SELECT 1 FROM mgmt_record r WHERE r.person_id = t.id AND r.opened <= ?"
					   " AND (r.closed IS NULL OR r.closed >= ?))";
		static const char any[] = "EXISTS (SELECT 1 FROM mgmt_record r WHERE r.person_id = t.id)";

		if (e != &ent_persons)
			return err_set(err, ERR_BAD_REQUEST, "record", "only persons have management records");
		if (!strcmp(q->record_status, "open")) {
			sb_add(w, " AND %s", open);
		} else if (!strcmp(q->record_status, "closed")) {
			sb_add(w, " AND %s AND NOT %s", any, open);
		} else if (!strcmp(q->record_status, "none")) {
			sb_add(w, " AND NOT %s", any);
		} else {
			return err_set(err, ERR_INVALID, "record", "record must be open, closed or none");
		}
		if (strcmp(q->record_status, "none") && (bt(b, d) || bt(b, d)))
			return err_set(err, ERR_BAD_REQUEST, NULL, "too many filters");
	}
	return w->oom ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
}

static int sq_list(struct store *st, const struct entity_def *e, const struct store_query *q,
		   json_t **items, int64_t *total, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	struct sb w = {0}, sql = {0};
	struct binds b = {0};
	sqlite3_stmt *qs = NULL;
	json_t *arr = NULL;
	int rc = -1, src, joined, limit = q->limit <= 0 ? 50 : q->limit > 1000 ? 1000 : q->limit;

	*items = NULL;
	*total = 0;
	if (ready(s, err) || where_sql(s, e, q, &w, &b, &joined, err))
		goto out;
	if (q->count_max > 0)
		sb_add(&sql, "SELECT count(*) FROM (SELECT 1 FROM %s t%s LIMIT %lld)", e->table, w.p,
		       (long long)q->count_max + 1);
	else
		sb_add(&sql, "SELECT count(*) FROM %s t%s", e->table, w.p);
	if (sql.oom || !(qs = dyn_get(s, sql.p))) {
		sq_fail(s, SQLITE_ERROR, err, "counting");
		goto out;
	}
	binds_apply(qs, &b);
	if ((src = sqlite3_step(qs)) != SQLITE_ROW) {
		sq_fail(s, src, err, "counting");
		goto out;
	}
	*total = sqlite3_column_int64(qs, 0);
	dyn_done(s, qs);
	qs = NULL;
	sql.n = 0;
	sb_add(&sql, "SELECT ");
	select_cols(&sql, e);
	sb_add(&sql, " FROM %s t%s ORDER BY %s LIMIT %d OFFSET %d", e->table, w.p, joined ? "a.person_id" : e->order_by, limit,
	       q->offset < 0 ? 0 : q->offset);
	if (sql.oom || !(qs = dyn_get(s, sql.p))) {
		sq_fail(s, SQLITE_ERROR, err, "listing");
		goto out;
	}
	binds_apply(qs, &b);
	if (!(arr = json_array())) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	while ((src = sqlite3_step(qs)) == SQLITE_ROW) {
		json_t *row = row_json(qs, e);

		if (!row) {
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		json_array_append_new(arr, row);
		if (e == &ent_persons && sq_person_open(s, row, err))
			goto out;
	}
	if (src != SQLITE_DONE) {
		sq_fail(s, src, err, "listing");
		goto out;
	}
	*items = arr;
	arr = NULL;
	rc = 0;
out:
	dyn_done(s, qs);
	json_decref(arr);
	binds_free(&b);
	free(w.p);
	free(sql.p);
	return rc;
}

static int sq_person_similar(struct store *st, const struct scope *sc, const char *name_fold, int32_t dob,
			     int64_t exclude_id, json_t **out, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	struct sb w = {0};
	struct binds b = {0};
	sqlite3_stmt *q = NULL;
	char d[DATE_BUFSZ];
	int rc = -1, src;
	json_t *arr = NULL;
	const struct vault *v;

	*out = NULL;
	if (ready(s, err) || !(v = vault_get(s->base.url, err)))
		return -1;
	/* name_fold holds the folded name's blind index, under whichever key sealed the row */
	sb_add(&w, "SELECT t.id, t.full_name, t.dob, t.residence_ou FROM person t WHERE t.name_fold ");
	in_marks(&w, v->n);
	sb_add(&w, " AND t.id <> ?");
	for (int i = 0; i < v->n; i++) {
		char hex[33];

		vault_index_hex(&v->keys[i], "name", name_fold, hex);
		if (bt(&b, hex))
			goto out;
	}
	if (bi(&b, exclude_id))
		goto out;
	if (dob != DATE_NONE) {
		sb_add(&w, " AND t.dob = ?");
		if (bt(&b, date_format(dob, d)))
			goto out;
	}
	if (sc && sc->ou_id && subtree_sql(s, &ent_persons, sc->ou_id, 0, &w, &b, err))
		goto out;
	sb_add(&w, " ORDER BY t.id LIMIT 20");
	if (w.oom || !(q = dyn_get(s, w.p))) {
		sq_fail(s, SQLITE_ERROR, err, "finding similar persons");
		goto out;
	}
	binds_apply(q, &b);
	arr = json_array();
	while (arr && (src = sqlite3_step(q)) == SQLITE_ROW) {
		json_t *o = json_object();

		const char *sealed = (const char *)sqlite3_column_text(q, 1);
		char *name = NULL;

		json_object_set_new(o, "id", json_integer(sqlite3_column_int64(q, 0)));
		if (sealed && *sealed &&
		    vault_open(v, "person", sqlite3_column_int64(q, 0), "full_name", sealed, &name, err)) {
			json_decref(o);
			goto out;
		}
		json_object_set_new(o, "full_name", json_string(name ? name : ""));
		free(name);
		json_object_set_new(o, "dob", sqlite3_column_type(q, 2) == SQLITE_NULL
						      ? json_null()
						      : json_string((const char *)sqlite3_column_text(q, 2)));
		json_object_set_new(o, "residence_ou", json_integer(sqlite3_column_int64(q, 3)));
		json_array_append_new(arr, o);
	}
	*out = arr;
	arr = NULL;
	rc = 0;
out:
	if (rc && !err->code)
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
	json_decref(arr);
	dyn_done(s, q);
	binds_free(&b);
	free(w.p);
	return rc;
}

static int sq_counts(struct store *st, json_t **out, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	json_t *o;

	*out = NULL;
	if (ready(s, err) || !(o = json_object()))
		return -1;
	for (int i = 0; ent_all[i]; i++) {
		sqlite3_stmt *q = NULL;
		char sql[128];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", ent_all[i]->table);
		if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW) {
			sqlite3_finalize(q);
			json_decref(o);
			return sq_fail(s, SQLITE_ERROR, err, "counting");
		}
		json_object_set_new(o, ent_all[i]->name, json_integer(sqlite3_column_int64(q, 0)));
		sqlite3_finalize(q);
	}
	*out = o;
	return 0;
}


/* ---- rulebook ------------------------------------------------------------------------------- */

static int sq_rules_load(struct store *st, struct rulebook *rb, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	int rc;

	if (ready(s, err))
		return -1;
	if (sqlite3_prepare_v2(s->db, "SELECT code, value, unit, effective_from, confirmed, source, coalesce(note, '') FROM rule",
			       -1, &q, NULL) != SQLITE_OK)
		return sq_fail(s, SQLITE_ERROR, err, "reading the rulebook");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct rule r;

		memset(&r, 0, sizeof(r));
		snprintf(r.code, sizeof(r.code), "%s", (const char *)sqlite3_column_text(q, 0));
		r.value = sqlite3_column_double(q, 1);
		snprintf(r.unit, sizeof(r.unit), "%s", (const char *)sqlite3_column_text(q, 2));
		if (date_parse((const char *)sqlite3_column_text(q, 3), &r.effective_from)) {
			sqlite3_finalize(q);
			return err_set(err, ERR_INTERNAL, "rule", "rule %s has a bad effective date", r.code);
		}
		r.confirmed = sqlite3_column_int(q, 4);
		snprintf(r.source, sizeof(r.source), "%s", (const char *)sqlite3_column_text(q, 5));
		snprintf(r.note, sizeof(r.note), "%s", (const char *)sqlite3_column_text(q, 6));
		if (rulebook_add(rb, &r)) {
			sqlite3_finalize(q);
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		}
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sq_fail(s, rc, err, "reading the rulebook");
	rulebook_sort(rb);
	return 0;
}

static int sq_rule_put(struct store *st, const struct rule *r, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	char d[DATE_BUFSZ];
	int rc, mine;

	if (ready(s, err) || auto_begin(s, &mine, err))
		return -1;
	rc = sqlite3_prepare_v2(s->db,
				"INSERT INTO rule (code, value, unit, effective_from, confirmed, source, note) "
				"VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code, effective_from) DO UPDATE SET "
				"value = excluded.value, unit = excluded.unit, confirmed = excluded.confirmed, "
				"source = excluded.source, note = excluded.note",
				-1, &q, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(q, 1, r->code, -1, SQLITE_TRANSIENT);
		sqlite3_bind_double(q, 2, r->value);
		sqlite3_bind_text(q, 3, r->unit, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 4, date_format(r->effective_from, d), -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(q, 5, r->confirmed ? 1 : 0);
		sqlite3_bind_text(q, 6, r->source, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 7, r->note, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	return auto_end(s, mine, rc == SQLITE_DONE ? 0 : sq_fail(s, rc, err, "writing a rule"), err);
}

/* ---- live snapshot -------------------------------------------------------------------------- */

static int32_t col_date(sqlite3_stmt *q, int c, int32_t if_null)
{
	const char *t = (const char *)sqlite3_column_text(q, c);
	int32_t d;

	return t && date_parse(t, &d) == 0 ? d : if_null;
}

static const char *col_text(sqlite3_stmt *q, int c)
{
	const char *t = (const char *)sqlite3_column_text(q, c);

	return t ? t : "";
}

/* The event queries, each "WHERE person_id = ?" or over all persons ordered by person. */
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

static int ev_add(struct snap_person *p, int which, sqlite3_stmt *q)
{
	switch (which) {
	case 0: return snap_person_cls(p, col_text(q, 1), col_date(q, 2, DATE_NONE), col_date(q, 3, SNAP_OPEN));
	case 1: return snap_person_det(p, col_date(q, 1, DATE_NONE), sqlite3_column_int64(q, 2), col_text(q, 3));
	case 2: return snap_person_rec(p, col_text(q, 1), col_date(q, 2, DATE_NONE), col_date(q, 3, SNAP_OPEN),
				       sqlite3_column_int64(q, 4));
	case 3: return snap_person_test(p, col_date(q, 1, DATE_NONE), col_text(q, 2), col_text(q, 3));
	case 4: return snap_person_treat(p, col_text(q, 1), sqlite3_column_int64(q, 2), col_date(q, 3, DATE_NONE),
					 col_date(q, 4, SNAP_OPEN), col_date(q, 5, SNAP_OPEN), col_text(q, 6));
	case 5: return snap_person_sup(p, col_text(q, 1), col_date(q, 2, DATE_NONE));
	case 6: return snap_person_dose(p, col_date(q, 1, DATE_NONE), col_text(q, 2));
	case 7: return snap_person_rx(p, col_date(q, 1, DATE_NONE), col_date(q, 2, DATE_NONE));
	default: return snap_person_res(p, sqlite3_column_int64(q, 1), col_date(q, 2, DATE_NONE), col_date(q, 3, DATE_NONE));
	}
}

static int64_t change_seq(struct store_sqlite *s)
{
	sqlite3_stmt *q = NULL;
	int64_t v = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(seq), 0) FROM change_log", -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static int sq_snap_load(struct store *st, struct snap *sn, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	int rc = -1, src;
	char sql[256];

	if (ready(s, err))
		return -1;
	/* one read transaction: the image and its change-log position agree */
	if (exec(s, "BEGIN", err))
		return -1;
	sn->seq = change_seq(s);
	if (sqlite3_prepare_v2(s->db, "SELECT id, coalesce(parent_id, 0), kind, code, name, valid_from, valid_to FROM org_unit ORDER BY id",
			       -1, &q, NULL) != SQLITE_OK)
		goto sqlfail;
	while ((src = sqlite3_step(q)) == SQLITE_ROW)
		if (snap_ou_add(sn, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1), col_text(q, 2), col_text(q, 3),
				col_text(q, 4), col_date(q, 5, DATE_NONE), col_date(q, 6, SNAP_OPEN)))
			goto oom;
	if (src != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(s->db, "SELECT id, ou_id, kind, coalesce(qualified, 0), qualified_since FROM facility ORDER BY id",
			       -1, &q, NULL) != SQLITE_OK)
		goto sqlfail;
	while ((src = sqlite3_step(q)) == SQLITE_ROW)
		if (snap_facility_add(sn, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1), col_text(q, 2),
				      sqlite3_column_int(q, 3), col_date(q, 4, DATE_NONE)))
			goto oom;
	if (src != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(q);
	if (snap_finish(sn))
		goto oom;
	if (sqlite3_prepare_v2(s->db, "SELECT from_id, to_id, kind, effective FROM org_unit_link ORDER BY from_id, to_id",
			       -1, &q, NULL) != SQLITE_OK)
		goto sqlfail;
	while ((src = sqlite3_step(q)) == SQLITE_ROW)
		if (snap_link_add(sn, sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1), col_text(q, 2),
				  col_date(q, 3, DATE_NONE)))
			goto oom;
	if (src != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(s->db, "SELECT id, residence_ou, sex, dob FROM person ORDER BY id", -1, &q, NULL) != SQLITE_OK)
		goto sqlfail;
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		struct snap_person *p = snap_person_new(sqlite3_column_int64(q, 0), sqlite3_column_int64(q, 1),
							col_text(q, 2), col_date(q, 3, DATE_NONE));

		if (!p || snap_person_put(sn, p))
			goto oom;
	}
	if (src != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(q);
	/* tests are most of the image: count them first so they go into one slab */
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM drug_test", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW)
		goto sqlfail;
	if (snap_slab_reserve(sn, (size_t)sqlite3_column_int64(q, 0)))
		goto oom;
	sqlite3_finalize(q);
	for (int w = 0; w < EV_N; w++) {
		struct snap_person *p = NULL;

		snprintf(sql, sizeof(sql), "%s ORDER BY person_id", ev_sql[w]);
		if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
			goto sqlfail;
		while ((src = sqlite3_step(q)) == SQLITE_ROW) {
			int64_t pid = sqlite3_column_int64(q, 0);

			if (!p || p->id != pid)
				p = snap_person_mut(sn, pid);
			if (p && (w == 3 ? snap_slab_test(sn, p, col_date(q, 1, DATE_NONE), col_text(q, 2), col_text(q, 3))
					 : ev_add(p, w, q)))
				goto oom;
		}
		if (src != SQLITE_DONE)
			goto sqlfail;
		sqlite3_finalize(q);
	}
	q = NULL;
	snap_sort_all(sn);
	rc = 0;
	goto out;
oom:
	err_set(err, ERR_INTERNAL, NULL, "out of memory loading the snapshot");
	goto out;
sqlfail:
	sq_fail(s, SQLITE_ERROR, err, "loading the snapshot");
out:
	sqlite3_finalize(q);
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

/* The operations image: five small scans, JSON lists passed through as stored (opimg.c reads them). */
static int sq_oper_load(struct store *st, struct op_image *img, struct pcmt_err *err)
{
	static const char *const sql[] = {
		"SELECT id, ou_id, kind, venue_kind, discovered, status_history FROM hotspot ORDER BY id",
		"SELECT id, ou_id, detected, detecting_force, route, coalesce(organised, 0), coalesce(transnational, 0),"
		" suspects, coalesce(ringleaders, 0), seizures, stages FROM drug_case ORDER BY id",
		"SELECT id, ou_id, plant, detected, eradicated, area_m2, plant_count, coalesce(replanted, 0) FROM plant_site"
		" ORDER BY id",
		"SELECT id, ou_id, activity_date, form, audience, coalesce(participants, 0), coalesce(commitments_signed, 0)"
		" FROM communication_activity ORDER BY id",
		"SELECT id, ou_id, year, population FROM ou_population ORDER BY id",
	};
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	int rc = -1, src = SQLITE_DONE, bad = 0;

	if (ready(s, err))
		return -1;
	if (exec(s, "BEGIN", err))
		return -1;
	for (int k = 0; k < 5 && !bad; k++) {
		if (sqlite3_prepare_v2(s->db, sql[k], -1, &q, NULL) != SQLITE_OK)
			goto sqlfail;
		while (!bad && (src = sqlite3_step(q)) == SQLITE_ROW) {
			int64_t id = sqlite3_column_int64(q, 0), ou = sqlite3_column_int64(q, 1);

			switch (k) {
			case 0:
				bad = op_hotspot_add(img, id, ou, col_text(q, 2), (const char *)sqlite3_column_text(q, 3),
						     col_date(q, 4, DATE_NONE), (const char *)sqlite3_column_text(q, 5));
				break;
			case 1:
				bad = op_case_add(img, id, ou, col_date(q, 2, DATE_NONE), col_text(q, 3), col_text(q, 4),
						  sqlite3_column_int(q, 5), sqlite3_column_int(q, 6), sqlite3_column_int64(q, 7),
						  sqlite3_column_int64(q, 8), (const char *)sqlite3_column_text(q, 9),
						  (const char *)sqlite3_column_text(q, 10));
				break;
			case 2:
				bad = op_plant_add(img, id, ou, (const char *)sqlite3_column_text(q, 2), col_date(q, 3, DATE_NONE),
						   col_date(q, 4, DATE_NONE), sqlite3_column_int64(q, 5), sqlite3_column_int64(q, 6),
						   sqlite3_column_int(q, 7));
				break;
			case 3:
				bad = op_comm_add(img, id, ou, col_date(q, 2, DATE_NONE), col_text(q, 3),
						  (const char *)sqlite3_column_text(q, 4), sqlite3_column_int64(q, 5),
						  sqlite3_column_int64(q, 6));
				break;
			default:
				bad = op_pop_add(img, id, ou, sqlite3_column_int(q, 2), sqlite3_column_int64(q, 3));
			}
		}
		if (!bad && src != SQLITE_DONE)
			goto sqlfail;
		sqlite3_finalize(q);
		q = NULL;
	}
	if (bad) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory loading the operations image");
		goto out;
	}
	op_image_finish(img);
	rc = 0;
	goto out;
sqlfail:
	sq_fail(s, SQLITE_ERROR, err, "loading the operations image");
out:
	sqlite3_finalize(q);
	sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}

static int sq_snap_person(struct store *st, int64_t id, struct snap_person **out, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	struct snap_person *p = NULL;
	char sql[256];
	int src;

	*out = NULL;
	if (ready(s, err))
		return -1;
	if (sqlite3_prepare_v2(s->db, "SELECT id, residence_ou, sex, dob FROM person WHERE id = ?", -1, &q, NULL) != SQLITE_OK)
		return sq_fail(s, SQLITE_ERROR, err, "reading a person");
	sqlite3_bind_int64(q, 1, id);
	src = sqlite3_step(q);
	if (src == SQLITE_ROW)
		p = snap_person_new(id, sqlite3_column_int64(q, 1), col_text(q, 2), col_date(q, 3, DATE_NONE));
	sqlite3_finalize(q);
	if (src == SQLITE_DONE)
		return 0; /* deleted */
	if (!p)
		return src == SQLITE_ROW ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : sq_fail(s, src, err, "reading a person");
	for (int w = 0; w < EV_N; w++) {
		snprintf(sql, sizeof(sql), "%s WHERE person_id = ?", ev_sql[w]);
		if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(q, 1, id);
		while ((src = sqlite3_step(q)) == SQLITE_ROW)
			if (ev_add(p, w, q))
				goto fail;
		sqlite3_finalize(q);
		q = NULL;
		if (src != SQLITE_DONE)
			goto fail;
	}
	*out = p;
	return 0;
fail:
	sqlite3_finalize(q);
	snap_person_free(p);
	return err_set(err, ERR_INTERNAL, NULL, "cannot read person %lld for the snapshot", (long long)id);
}

static int sq_changes(struct store *st, int64_t after, int (*fn)(void *cls, int64_t person_id, const char *table),
		      void *cls, int64_t *last, int *gap, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	int src, first = 1;

	*last = after;
	*gap = 0;
	if (ready(s, err))
		return -1;
	if (sqlite3_prepare_v2(s->db, "SELECT seq, person_id, tbl FROM change_log WHERE seq > ? ORDER BY seq", -1, &q, NULL) != SQLITE_OK)
		return sq_fail(s, SQLITE_ERROR, err, "reading the change log");
	sqlite3_bind_int64(q, 1, after);
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(q, 0);

		if (first && seq != after + 1)
			*gap = 1; /* entries were pruned: the caller reloads */
		first = 0;
		*last = seq;
		if (!*gap && fn(cls, sqlite3_column_int64(q, 1), col_text(q, 2)))
			break;
	}
	sqlite3_finalize(q);
	return src == SQLITE_ROW || src == SQLITE_DONE ? 0 : sq_fail(s, src, err, "reading the change log");
}

/* ---- natural keys (imports) ----------------------------------------------------------------- */

/* SELECT id ... WHERE f1 IS ?1 AND ... (IS: a null equals a null, and SQLite still uses indexes),
 * scoped like ST_GET when `scoped`, cached per entity, field set and scoped. An unscoped caller
 * gets a statement without the subtree test: "?1 IS NULL OR x IN (SELECT ...)" still built the
 * IN's ephemeral table on every step, the larger part of an import's per-person lookup. */
static int find_statement(struct store_sqlite *s, int ix, const int *fields, int nf, int scoped, sqlite3_stmt **out,
			  struct pcmt_err *err)
{
	const struct entity_def *e = ent_all[ix];
	uint64_t mask = 0;
	struct sb b = {0};
	int slot = -1, rc;

	for (int i = 0; i < nf; i++)
		mask |= (uint64_t)1 << fields[i];
	for (int i = 0; i < FIND_CACHE; i++) {
		if (s->find[i].st && s->find[i].ix == ix && s->find[i].mask == mask && s->find[i].scoped == scoped) {
			*out = s->find[i].st;
			return 0;
		}
		if (!s->find[i].st && slot < 0)
			slot = i;
	}
	if (slot < 0) { /* full: start again (a process imports a few entities at most) */
		for (int i = 0; i < FIND_CACHE; i++) {
			sqlite3_finalize(s->find[i].st);
			s->find[i].st = NULL;
		}
		slot = 0;
	}
	/* min and count rather than ORDER BY id LIMIT 2: the sort built a temporary b-tree on every
	 * step (the index on the fields does not give id order) */
	sb_add(&b, "SELECT min(t.id), count(*) FROM %s t WHERE 1", e->table);
	for (int i = 0; i < e->nfields; i++)
		if (mask & ((uint64_t)1 << i))
			sb_add(&b, " AND t.%s IS ?%d", e->fields[i].name, i + 3);
	if (scoped)
		sb_add(&b, " AND %s IN (SELECT o.id FROM org_unit o WHERE o.path >= ?1 AND o.path < ?2)", e->ou_expr);
	rc = b.oom ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : prepare(s, b.p, &s->find[slot].st, err);
	free(b.p);
	if (rc)
		return -1;
	s->find[slot].ix = ix;
	s->find[slot].mask = mask;
	s->find[slot].scoped = scoped;
	*out = s->find[slot].st;
	return 0;
}

/* find() by national ID: the persons whose blind index matches under any key of the file, in scope.
 * The statement is kept (per key count, scoped or not): an import of a province's tests looks up
 * 100,000 persons, and preparing it each time cost more than the lookup. */
static int find_nid(struct store_sqlite *s, const struct scope *sc, const char *nid, int64_t *id, int *n,
		    struct pcmt_err *err)
{
	struct sb w = {0};
	struct binds b = {0};
	sqlite3_stmt *q = NULL;
	int rc = -1, src, scoped = sc && sc->ou_id;

	if (!nid)
		return 0;
	sb_add(&w, "SELECT t.id FROM person t WHERE 1 = 1");
	if (nid_index_sql(s, nid, &w, &b, err))
		goto out;
	if (scoped && subtree_sql(s, &ent_persons, sc->ou_id, 0, &w, &b, err))
		goto out;
	sb_add(&w, " ORDER BY t.id LIMIT 2");
	/* the text depends only on the key count and the scope's presence (the scope's paths are binds) */
	if (s->find_nid[scoped].st && s->find_nid[scoped].nkeys != b.n - 2 * scoped) {
		sqlite3_finalize(s->find_nid[scoped].st);
		s->find_nid[scoped].st = NULL;
	}
	if (!s->find_nid[scoped].st) {
		if (w.oom || sqlite3_prepare_v2(s->db, w.p, -1, &s->find_nid[scoped].st, NULL) != SQLITE_OK) {
			sq_fail(s, SQLITE_ERROR, err, "looking up a record");
			goto out;
		}
		s->find_nid[scoped].nkeys = b.n - 2 * scoped;
	}
	q = s->find_nid[scoped].st;
	binds_apply(q, &b);
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		if (!*n)
			*id = sqlite3_column_int64(q, 0);
		(*n)++;
	}
	rc = src == SQLITE_DONE ? 0 : sq_fail(s, src, err, "looking up a record");
out:
	if (q) {
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
	}
	binds_free(&b);
	free(w.p);
	return rc;
}

/* find() of a person on fields some of which are sealed (an import's identical-row check): the
 * clear fields and the folded name's blind index narrow it to candidates, each then opened and its
 * sealed fields compared. */
static int find_sealed(struct store_sqlite *s, const struct scope *sc, json_t *rec, const int *fields, int nf,
		       int64_t *id, int *n, struct pcmt_err *err)
{
	const struct vault *v = vault_get(s->base.url, err);
	const char *fold = json_string_value(json_object_get(rec, "name_fold"));
	struct sb w = {0};
	struct binds b = {0};
	sqlite3_stmt *q = NULL;
	int rc = -1, src;

	if (!v)
		return -1;
	sb_add(&w, "SELECT t.id FROM person t WHERE 1 = 1");
	for (int i = 0; i < nf; i++) {
		const struct field_def *f = &ent_persons.fields[fields[i]];
		json_t *x = json_object_get(rec, f->name);

		if (f->flags & F_IDENT)
			continue;
		if (!x || json_is_null(x)) {
			sb_add(&w, " AND t.%s IS NULL", f->name);
		} else {
			sb_add(&w, " AND t.%s = ?", f->name);
			if (json_is_integer(x) ? bi(&b, json_integer_value(x)) : json_is_boolean(x) ? bi(&b, json_is_true(x))
											   : bt(&b, json_string_value(x)))
				goto toomany;
		}
	}
	if (fold) {
		char hex[33];

		sb_add(&w, " AND t.name_fold ");
		in_marks(&w, v->n);
		for (int i = 0; i < v->n; i++) {
			vault_index_hex(&v->keys[i], "name", fold, hex);
			if (bt(&b, hex))
				goto toomany;
		}
	}
	if (sc && sc->ou_id && subtree_sql(s, &ent_persons, sc->ou_id, 0, &w, &b, err))
		goto out;
	sb_add(&w, " ORDER BY t.id LIMIT 100");
	if (w.oom || sqlite3_prepare_v2(s->db, w.p, -1, &q, NULL) != SQLITE_OK) {
		sq_fail(s, SQLITE_ERROR, err, "looking up a record");
		goto out;
	}
	binds_apply(q, &b);
	while (*n < 2 && (src = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t cand = sqlite3_column_int64(q, 0);
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
	goto out;
toomany:
	err_set(err, ERR_BAD_REQUEST, NULL, "too many fields to look up");
out:
	sqlite3_finalize(q);
	binds_free(&b);
	free(w.p);
	return rc;
}

static int sq_find(struct store *st, const struct entity_def *e, const struct scope *sc, json_t *rec,
		   const int *fields, int nf, int64_t *id, int *n, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	int ix = ent_index(e), src, scoped = (e->flags & E_PERSONAL) && e->ou_expr && sc && sc->ou_id;
	sqlite3_stmt *q;

	*id = 0;
	*n = 0;
	if (ix < 0 || ready(s, err))
		return -1;
	for (int i = 0; i < nf; i++)
		if (fields[i] < 0 || fields[i] >= e->nfields || fields[i] >= 64)
			return err_set(err, ERR_INTERNAL, NULL, "find: no such field");
	for (int i = 0; i < nf; i++)
		if (e->fields[fields[i]].flags & F_IDENT) {
			/* sealed: the national ID alone through its blind index; otherwise candidates by
			 * the clear fields and the name's blind index, then compared opened */
			if (nf == 1 && !strcmp(e->fields[fields[i]].name, "national_id"))
				return find_nid(s, sc, json_string_value(json_object_get(rec, "national_id")), id, n, err);
			return find_sealed(s, sc, rec, fields, nf, id, n, err);
		}
	if (find_statement(s, ix, fields, nf, scoped, &q, err))
		return -1;
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (scoped && bind_scope(s, q, 1, sc, err))
		return -1;
	for (int i = 0; i < nf; i++) {
		const struct field_def *f = &e->fields[fields[i]];

		if (bind_json(q, fields[i] + 3, f->type, json_object_get(rec, f->name)) != SQLITE_OK)
			return err_set(err, ERR_INTERNAL, NULL, "cannot bind values");
	}
	if ((src = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t c = sqlite3_column_int64(q, 1);

		*id = c ? sqlite3_column_int64(q, 0) : 0;
		*n = c > 1 ? 2 : (int)c;
		src = sqlite3_step(q);
	}
	sqlite3_reset(q);
	return src == SQLITE_DONE ? 0 : sq_fail(s, src, err, "looking up a record");
}

/* The statement is kept by entity, field and the scope's presence (a small cache: an import asks
 * for one). */
static int sq_rows_of(struct store *st, const struct entity_def *e, const struct scope *sc, int field, int64_t id,
		      int (*fn)(void *cls, const struct bulk_val *v), void *cls, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	int ix = ent_index(e), scoped = (e->flags & E_PERSONAL) && e->ou_expr && sc && sc->ou_id, src;
	struct bulk_val v[64];
	sqlite3_stmt *q = NULL;

	if (ix < 0 || ready(s, err) || store_rows_of_check(e, field, err))
		return -1;
	{
		struct sb b = {0};

		sb_add(&b, "SELECT ");
		for (int f = 0; f < e->nfields; f++)
			sb_add(&b, "%st.%s", f ? ", " : "", e->fields[f].name);
		sb_add(&b, " FROM %s t WHERE t.%s = ?3", e->table, e->fields[field].name);
		if (scoped)
			sb_add(&b, " AND %s IN (SELECT o.id FROM org_unit o WHERE o.path >= ?1 AND o.path < ?2)", e->ou_expr);
		q = b.oom ? NULL : dyn_get(s, b.p);
		free(b.p);
		if (!q)
			return sq_fail(s, SQLITE_ERROR, err, "reading rows");
	}
	if (scoped && bind_scope(s, q, 1, sc, err)) {
		dyn_done(s, q);
		return -1;
	}
	sqlite3_bind_int64(q, 3, id);
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		for (int f = 0; f < e->nfields; f++) {
			enum fld_type t = e->fields[f].type;

			memset(&v[f], 0, sizeof(v[f]));
			if (sqlite3_column_type(q, f) == SQLITE_NULL)
				v[f].is_null = 1;
			else if (t == FT_INT || t == FT_MONEY || t == FT_REF || t == FT_OU || t == FT_BOOL)
				v[f].i = sqlite3_column_int64(q, f);
			else
				v[f].s = col_text(q, f);
		}
		if (fn(cls, v)) {
			src = SQLITE_DONE;
			break;
		}
	}
	dyn_done(s, q);
	return src == SQLITE_DONE ? 0 : sq_fail(s, src, err, "reading rows");
}

/* ---- bulk loads ----------------------------------------------------------------------------- */

static int sq_bulk_mode(struct store *st, int on, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	int rc, mine;

	if (ready(s, err) || auto_begin(s, &mine, err))
		return -1;
	if (on) {
		/* keep the triggers' definitions aside, then drop them: 30 million change-log rows would
		 * double the load and tell live snapshots nothing a full reload does not */
		rc = exec(s, "CREATE TABLE IF NOT EXISTS bulk_saved_trigger (name TEXT PRIMARY KEY, sql TEXT NOT NULL);"
			     "INSERT OR IGNORE INTO bulk_saved_trigger SELECT name, sql FROM sqlite_master WHERE type = 'trigger'",
			  err);
		if (rc == 0 && sqlite3_prepare_v2(s->db, "SELECT name FROM bulk_saved_trigger", -1, &q, NULL) == SQLITE_OK) {
			char sql[200];

			while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
				snprintf(sql, sizeof(sql), "DROP TRIGGER IF EXISTS \"%s\"", col_text(q, 0));
				rc = exec(s, sql, err);
			}
		}
	} else {
		/* province codes the dropped triggers did not set, before the triggers (and their change
		 * logging) come back */
		rc = exec(s, sqlite_province_fill, err);
		if (rc == 0 && sqlite3_prepare_v2(s->db, "SELECT sql FROM bulk_saved_trigger", -1, &q, NULL) == SQLITE_OK)
			while (rc == 0 && sqlite3_step(q) == SQLITE_ROW)
				rc = exec(s, col_text(q, 0), err);
		sqlite3_finalize(q);
		q = NULL;
		if (rc == 0)
			rc = exec(s, "DROP TABLE IF EXISTS bulk_saved_trigger;"
				     "INSERT INTO change_log (person_id, tbl) VALUES (0, 'bulk load')", err);
	}
	sqlite3_finalize(q);
	return auto_end(s, mine, rc, err);
}

/* The bulk path's INSERT of `rows` rows (ST_BULK: 1, ST_BULK_MANY: BULK_ROWS): ST_INSERT's, plus
 * each row's province_code (prov_of), since the triggers that set it are off during bulk loads and
 * filling it afterwards would rewrite every row. Row k's values are parameters k * bulk_width(e) +
 * 1 ...: its fields, created_at, updated_at, id, then its province_code when it has one. */
static int bulk_width(const struct entity_def *e)
{
	const struct sqlite_province_src *src;

	return e->nfields + 3 + (province_src_col(e, &src) > 0);
}

static int bulk_statement(struct store_sqlite *s, int ix, int slot, int rows, struct pcmt_err *err)
{
	const struct entity_def *e = ent_all[ix];
	const struct sqlite_province_src *src = NULL;
	struct sb b = {0};
	int rc, col = -1, width = bulk_width(e);

	col = province_src_col(e, &src);
	sb_add(&b, "INSERT INTO %s (", e->table);
	for (int i = 0; i < e->nfields; i++)
		sb_add(&b, "%s, ", e->fields[i].name);
	sb_add(&b, "created_at, updated_at, id%s) VALUES ", col > 0 ? ", province_code" : "");
	for (int r = 0, base = 0; r < rows; r++, base += width) {
		sb_add(&b, "%s(", r ? ", " : "");
		for (int i = 0; i < width; i++)
			sb_add(&b, "%s?%d", i ? ", " : "", base + i + 1);
		sb_add(&b, ")");
	}
	rc = b.oom ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : prepare(s, b.p, &s->st[ix][slot], err);
	free(b.p);
	return rc;
}

/* A bulk row's province_code is its source row's (sqlite_province_src: its person's, its unit's, its
 * facility's), '' when there is none, as ST_INSERT's subselect gives it. The subselect sought the
 * person in the person table on every row, and those pages did not stay in the page cache beside
 * the new rows' and their index's: the writing thread of an import spent a fifth of its time there,
 * much of it reading pages back from the file. Each source row is looked up once instead and its
 * province kept. Nothing changes a source's province during a bulk load (its triggers are off);
 * the cache is still emptied at BEGIN and at a rollback to a savepoint (tx_run), and whenever this
 * connection wrote anything but bulk rows of the same table since its last use
 * (sqlite3_total_changes64): a province an ordinary write moved is never served from it. */
static void prov_reset(struct store_sqlite *s, const char *table)
{
	struct prov_cache *c = &s->prov;

	free(c->id);
	free(c->code);
	c->id = NULL;
	c->code = NULL;
	c->cap = c->n = 0;
	c->ncodes = 0;
	c->table = table;
}

static int prov_grow(struct prov_cache *c)
{
	size_t ncap = c->cap ? c->cap * 2 : 4096;
	int64_t *nid;
	uint8_t *ncode;

	if (ncap > PROV_SLOTS_MAX)
		return -1;
	nid = calloc(ncap, sizeof(*nid));
	ncode = malloc(ncap);
	if (!nid || !ncode) {
		free(nid);
		free(ncode);
		return -1;
	}
	for (size_t i = 0; i < c->cap; i++) {
		size_t j;

		if (!c->id[i])
			continue;
		for (j = ((uint64_t)c->id[i] * 0x9e3779b97f4a7c15ULL) >> 40 & (ncap - 1); nid[j]; j = (j + 1) & (ncap - 1))
			;
		nid[j] = c->id[i];
		ncode[j] = c->code[i];
	}
	free(c->id);
	free(c->code);
	c->id = nid;
	c->code = ncode;
	c->cap = ncap;
	return 0;
}

/* The province_code of row id of table from into *code: a string of the cache, stable until the
 * cache is emptied (*transient 0), or buf (*transient 1: bind it as SQLITE_TRANSIENT). */
static int prov_of(struct store_sqlite *s, const char *from, const struct bulk_val *v, const char **code,
		   int *transient, char buf[PROV_CODE_MAX], struct pcmt_err *err)
{
	struct prov_cache *c = &s->prov;
	int64_t id = v->is_null ? 0 : v->i;
	size_t j = 0;
	const char *t;
	int src, k;

	*code = "";
	*transient = 0;
	if (id > 0 && c->cap)
		for (j = ((uint64_t)id * 0x9e3779b97f4a7c15ULL) >> 40 & (c->cap - 1); c->id[j]; j = (j + 1) & (c->cap - 1))
			if (c->id[j] == id) {
				*code = c->codes[c->code[j]];
				return 0;
			}
	if (v->is_null)
		return 0; /* the subselect finds no row */
	if (c->get && c->get_from != from) {
		sqlite3_finalize(c->get);
		c->get = NULL;
	}
	if (!c->get) {
		char sql[128];

		snprintf(sql, sizeof(sql), "SELECT province_code FROM %s WHERE id = ?1", from);
		if (prepare(s, sql, &c->get, err))
			return -1;
		c->get_from = from;
	}
	sqlite3_bind_int64(c->get, 1, id);
	src = sqlite3_step(c->get);
	if (src != SQLITE_ROW) {
		sqlite3_reset(c->get);
		return src == SQLITE_DONE ? 0 : sq_fail(s, src, err, "reading a province");
	}
	t = (const char *)sqlite3_column_text(c->get, 0);
	snprintf(buf, PROV_CODE_MAX, "%s", t ? t : "");
	*code = buf;
	*transient = 1;
	/* kept unless it cannot be: a code too long, too many codes, a full cache */
	if (id <= 0 || !t || strlen(t) >= PROV_CODE_MAX || ((c->n + 1) * 2 > c->cap && prov_grow(c))) {
		sqlite3_reset(c->get);
		return 0;
	}
	for (k = 0; k < c->ncodes && strcmp(c->codes[k], t); k++)
		;
	if (k == c->ncodes && c->ncodes < PROV_CODES)
		snprintf(c->codes[c->ncodes++], PROV_CODE_MAX, "%s", t);
	sqlite3_reset(c->get);
	if (k == c->ncodes)
		return 0;
	for (j = ((uint64_t)id * 0x9e3779b97f4a7c15ULL) >> 40 & (c->cap - 1); c->id[j]; j = (j + 1) & (c->cap - 1))
		;
	c->id[j] = id;
	c->code[j] = (uint8_t)k;
	c->n++;
	*code = c->codes[k];
	*transient = 0;
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

/* Bulk rows are valid by construction (a generated data set, or an import that ran ent_validate
 * on every row), so the table's CHECK constraints are off while they go in: SQLite evaluates a
 * CHECK (x IN ('a', 'b', ...)) by building an ephemeral table on every row, which was half of an
 * import's CPU time. The pragma is the connection's and lasts only for this call: every other
 * write keeps its checks. Changing it expires prepared statements, which SQLite prepares again on
 * their next step (once per batch here). */
/* Binds row v (nf values) at parameters base + 1 ..., its id (0: SQLite chooses) after them. */
static void bulk_bind(sqlite3_stmt *q, const struct entity_def *e, const struct bulk_val *v, json_t *sealed,
		      int base, const char *now, int64_t id)
{
	int nf = e->nfields;

	for (int f = 0; f < nf; f++) {
		const char *sv = sealed ? json_string_value(json_object_get(sealed, e->fields[f].name)) : NULL;

		if (sv)
			sqlite3_bind_text(q, base + f + 1, sv, -1, SQLITE_TRANSIENT);
		else if (v[f].is_null)
			sqlite3_bind_null(q, base + f + 1);
		else if (e->fields[f].type == FT_INT || e->fields[f].type == FT_MONEY || e->fields[f].type == FT_REF ||
			 e->fields[f].type == FT_OU || e->fields[f].type == FT_BOOL)
			sqlite3_bind_int64(q, base + f + 1, v[f].i);
		else
			sqlite3_bind_text(q, base + f + 1, v[f].s, -1, SQLITE_STATIC);
	}
	sqlite3_bind_text(q, base + nf + 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, base + nf + 2, now, -1, SQLITE_STATIC);
	if (id)
		sqlite3_bind_int64(q, base + nf + 3, id);
	else
		sqlite3_bind_null(q, base + nf + 3);
}

/* Bulk rows are valid by construction (a generated data set, or an import that ran ent_validate
 * on every row), so the table's CHECK constraints are off while they go in: SQLite evaluates a
 * CHECK (x IN ('a', 'b', ...)) by building an ephemeral table on every row, which was half of an
 * import's CPU time. The pragma is the connection's and lasts only for this call: every other
 * write keeps its checks. Changing it expires prepared statements, which SQLite prepares again on
 * their next step (once per batch here). Rows other than persons go in BULK_ROWS to a statement;
 * persons one by one (each is sealed under its id, and has its search tokens written). */
static int sq_bulk_insert(struct store *st, const struct entity_def *e, const struct bulk_val *vals, size_t n,
			  int64_t *first_id, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	int ix = ent_index(e), nf = e->nfields, src, ntok = 0, rc = -1, unchecked = 0, width, pcol, transient;
	const struct sqlite_province_src *psrc = NULL;
	sqlite3_stmt *q = NULL, *many = NULL;
	const char *prov;
	char now[21], pbuf[PROV_CODE_MAX];
	int64_t pid = 0, tok[VAULT_MAX_TOKENS];
	const struct vault *vt = NULL;
	const struct vault_key *key = NULL;
	size_t r = 0;

	*first_id = 0;
	if (ix < 0 || ready(s, err))
		return -1;
	if (!s->in_tx)
		return err_set(err, ERR_INTERNAL, NULL, "bulk_insert needs an open transaction");
	width = bulk_width(e);
	pcol = province_src_col(e, &psrc);
	if (pcol > 0 && (!s->prov.table || strcmp(s->prov.table, e->table) ||
			 sqlite3_total_changes64(s->db) != s->prov.changes))
		prov_reset(s, e->table);
	if (exec(s, "PRAGMA ignore_check_constraints = ON", err))
		return -1;
	unchecked = 1;
	if (!s->st[ix][ST_BULK] && bulk_statement(s, ix, ST_BULK, 1, err))
		goto out;
	q = s->st[ix][ST_BULK];
	date_now_iso(now);
	/* persons are sealed on the way in, each under the id it gets: ids are chosen here */
	if (e == &ent_persons && (!(pid = next_person_id(s)) || sq_write_key(s, &vt, &key, err))) {
		if (!pid)
			sq_fail(s, sqlite3_errcode(s->db), err, "choosing an id");
		goto out;
	}
	if (!pid && n >= BULK_ROWS) {
		if (!s->st[ix][ST_BULK_MANY] && bulk_statement(s, ix, ST_BULK_MANY, BULK_ROWS, err))
			goto out;
		many = s->st[ix][ST_BULK_MANY];
		for (; r + BULK_ROWS <= n; r += BULK_ROWS) {
			sqlite3_reset(many);
			for (int k = 0; k < BULK_ROWS; k++) {
				const struct bulk_val *v = vals + (r + (size_t)k) * (size_t)nf;

				bulk_bind(many, e, v, NULL, k * width, now, 0);
				if (pcol > 0) {
					if (prov_of(s, psrc->from, &v[pcol - 1], &prov, &transient, pbuf, err))
						goto out;
					sqlite3_bind_text(many, k * width + nf + 4, prov, -1,
							  transient ? SQLITE_TRANSIENT : SQLITE_STATIC);
				}
			}
			src = sqlite3_step(many);
			if (src != SQLITE_DONE) {
				sq_fail(s, src, err, "bulk inserting");
				goto out;
			}
			/* ids without AUTOINCREMENT go on from the largest, one by one: the chunk's first */
			if (r == 0)
				*first_id = sqlite3_last_insert_rowid(s->db) - (BULK_ROWS - 1);
		}
	}
	for (; r < n; r++) {
		const struct bulk_val *v = vals + r * (size_t)nf;
		json_t *sealed = NULL;

		sqlite3_reset(q);
		if (pid && bulk_seal(e, v, pid + (int64_t)r, key, &sealed, tok, &ntok, err))
			goto out;
		bulk_bind(q, e, v, sealed, 0, now, pid ? pid + (int64_t)r : 0);
		json_decref(sealed);
		if (pcol > 0) {
			if (prov_of(s, psrc->from, &v[pcol - 1], &prov, &transient, pbuf, err))
				goto out;
			sqlite3_bind_text(q, nf + 4, prov, -1, transient ? SQLITE_TRANSIENT : SQLITE_STATIC);
		}
		src = sqlite3_step(q);
		if (src != SQLITE_DONE) {
			sq_fail(s, src, err, "bulk inserting");
			goto out;
		}
		if (r == 0)
			*first_id = sqlite3_last_insert_rowid(s->db);
		if (pid && sq_tokens_put(s, pid + (int64_t)r, tok, ntok, err))
			goto out;
	}
	rc = 0;
out:
	/* the cache holds while the connection's next write is again one of these */
	if (pcol > 0 && rc == 0)
		s->prov.changes = sqlite3_total_changes64(s->db);
	else if (pcol > 0)
		s->prov.table = NULL;
	if (q) {
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
	}
	if (many) {
		sqlite3_reset(many);
		sqlite3_clear_bindings(many);
	}
	if (unchecked) {
		struct pcmt_err e2;

		err_clear(&e2);
		if (exec(s, "PRAGMA ignore_check_constraints = OFF", &e2) && rc == 0) {
			*err = e2;
			rc = -1;
		}
	}
	return rc;
}

/* PRAGMA foreign_keys does nothing inside a transaction: refused there rather than ignored. */
static int sq_ref_checks(struct store *st, int on, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);

	if (ready(s, err))
		return -1;
	if (s->in_tx)
		return err_set(err, ERR_INTERNAL, NULL, "reference checks cannot change inside a transaction");
	return exec(s, on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF", err);
}

/* ---- whole tables (pcmt copy) --------------------------------------------------------------- */

static int raw_internal(const char *name)
{
	return !strcmp(name, "schema_version") || !strcmp(name, "change_log") || !strcmp(name, "bulk_saved_trigger") ||
	       !strncmp(name, "sqlite_", 7);
}

static int sq_raw_tables(struct store *st, json_t **out, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL, *c = NULL;
	json_t *o;
	int src;

	*out = NULL;
	if (ready(s, err))
		return -1;
	if (!(o = json_object()))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &q, NULL) != SQLITE_OK)
		goto fail;
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = col_text(q, 0);
		json_t *cols;

		if (raw_internal(name))
			continue;
		cols = json_array();
		json_object_set_new(o, name, cols);
		if (sqlite3_prepare_v2(s->db, "SELECT name FROM pragma_table_info(?) ORDER BY cid", -1, &c, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_text(c, 1, name, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(c) == SQLITE_ROW)
			json_array_append_new(cols, json_string(col_text(c, 0)));
		sqlite3_finalize(c);
		c = NULL;
	}
	if (src != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(q);
	*out = o;
	return 0;
fail:
	sqlite3_finalize(q);
	sqlite3_finalize(c);
	json_decref(o);
	return sq_fail(s, SQLITE_ERROR, err, "listing tables");
}

/* A table name we may put into SQL: one of raw_tables'. */
static int raw_known(struct store_sqlite *s, const char *table, struct pcmt_err *err)
{
	sqlite3_stmt *q = NULL;
	int found = 0;

	if (raw_internal(table))
		return err_set(err, ERR_NOT_FOUND, "table", "no table %s", table);
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, table, -1, SQLITE_TRANSIENT);
		found = sqlite3_step(q) == SQLITE_ROW;
	}
	sqlite3_finalize(q);
	return found ? 0 : err_set(err, ERR_NOT_FOUND, "table", "no table %s", table);
}

static int sq_raw_read(struct store *st, const char *table,
		       int (*fn)(void *cls, int ncols, const char *const *cols, const char *const *vals), void *cls,
		       struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	enum { RAW_MAXCOL = 64 };
	const char *names[RAW_MAXCOL], *vals[RAW_MAXCOL];
	char num[RAW_MAXCOL][32], sql[200];
	sqlite3_stmt *q = NULL;
	int n, src;

	if (ready(s, err) || raw_known(s, table, err))
		return -1;
	snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\"", table);
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
		return sq_fail(s, SQLITE_ERROR, err, "reading a table");
	if ((n = sqlite3_column_count(q)) > RAW_MAXCOL) {
		sqlite3_finalize(q);
		return err_set(err, ERR_INTERNAL, NULL, "too many columns in %s", table);
	}
	for (int i = 0; i < n; i++)
		names[i] = sqlite3_column_name(q, i);
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++) {
			switch (sqlite3_column_type(q, i)) {
			case SQLITE_NULL:
				vals[i] = NULL;
				break;
			case SQLITE_INTEGER:
				snprintf(num[i], sizeof(num[i]), "%lld", (long long)sqlite3_column_int64(q, i));
				vals[i] = num[i];
				break;
			case SQLITE_FLOAT:
				snprintf(num[i], sizeof(num[i]), "%.17g", sqlite3_column_double(q, i));
				vals[i] = num[i];
				break;
			default:
				vals[i] = (const char *)sqlite3_column_text(q, i);
			}
		}
		if (fn(cls, n, names, vals))
			break;
	}
	sqlite3_finalize(q);
	return src == SQLITE_ROW || src == SQLITE_DONE ? 0 : sq_fail(s, src, err, "reading a table");
}

static int sq_raw_write(struct store *st, const char *table, int ncols, const char *const *cols,
			const char *const *vals, size_t nrows, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	struct sb b = {0};
	int rc = -1, src;

	if (ready(s, err) || raw_known(s, table, err))
		return -1;
	if (!s->in_tx)
		return err_set(err, ERR_INTERNAL, NULL, "raw_write needs an open transaction");
	/* org units may come before their parents: references are counted and checked at COMMIT */
	if (exec(s, "PRAGMA defer_foreign_keys = ON", err))
		return -1;
	sb_add(&b, "INSERT INTO \"%s\" (", table);
	for (int c = 0; c < ncols; c++)
		sb_add(&b, "%s\"%s\"", c ? ", " : "", cols[c]);
	sb_add(&b, ") VALUES (");
	for (int c = 0; c < ncols; c++)
		sb_add(&b, "%s?", c ? ", " : "");
	sb_add(&b, ")");
	if (b.oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (sqlite3_prepare_v2(s->db, b.p, -1, &q, NULL) != SQLITE_OK) {
		err_set(err, ERR_INVALID, NULL, "cannot write %s: %s", table, sqlite3_errmsg(s->db));
		goto out;
	}
	/* text into each column: its affinity makes integers and reals of the canonical forms */
	for (size_t r = 0; r < nrows; r++) {
		sqlite3_reset(q);
		for (int c = 0; c < ncols; c++) {
			const char *v = vals[r * (size_t)ncols + (size_t)c];

			if (v)
				sqlite3_bind_text(q, c + 1, v, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(q, c + 1);
		}
		if ((src = sqlite3_step(q)) != SQLITE_DONE) {
			sq_fail(s, src, err, "writing a table");
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	free(b.p);
	return rc;
}

/* ---- keys and retention (store.h: key_current ... person_erase) ----------------------------- */

static int sq_key_current(struct store *st, char id[17], struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	int rc;

	id[0] = '\0';
	if (ready(s, err))
		return -1;
	if ((rc = sqlite3_prepare_v2(s->db, "SELECT key_id FROM vault_state WHERE id = 1", -1, &q, NULL)) != SQLITE_OK)
		return sq_fail(s, rc, err, "reading the database's key id");
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(id, 17, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(s, rc, err, "reading the database's key id");
}

static int sq_key_switch(struct store *st, const char *key_id, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	const struct vault *v;
	sqlite3_stmt *q = NULL;
	int rc = -1, mine = 0, src;

	if (ready(s, err))
		return -1;
	if (!(v = vault_get(s->base.url, err)))
		return -1;
	if (!vault_key(v, key_id))
		return err_set(err, ERR_INVALID, "key", "the key file lacks key %s", key_id);
	if (auto_begin(s, &mine, err))
		return -1;
	if ((src = sqlite3_prepare_v2(s->db, "INSERT INTO vault_state (id, key_id) VALUES (1, ?1)"
					     " ON CONFLICT (id) DO UPDATE SET key_id = ?1", -1, &q, NULL)) != SQLITE_OK) {
		sq_fail(s, src, err, "switching the key");
		goto done;
	}
	sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
	if ((src = sqlite3_step(q)) != SQLITE_DONE) {
		sq_fail(s, src, err, "switching the key");
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(q);
	return auto_end(s, mine, rc, err);
}

static const char person_secret_cols[] = "national_id, full_name, aliases, address, phone, name_fold";

/* One person row's secrets as a record vault_seal_person takes: opened when sealed (key_id set),
 * as they are when still plain (a database from before schema 9, whose name_fold is plain too). */
static int reseal_rec(const struct vault *v, sqlite3_stmt *q, json_t **out, struct pcmt_err *err)
{
	static const char *const names[] = {"national_id", "full_name", "aliases", "address", "phone"};
	int64_t id = sqlite3_column_int64(q, 0);
	int plain = sqlite3_column_type(q, 7) == SQLITE_NULL;
	json_t *rec = json_object();
	int rc = -1;

	if (!rec)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (int i = 0; i < 5; i++) {
		const char *t = (const char *)sqlite3_column_text(q, i + 1);
		char *open = NULL;

		if (!t)
			continue;
		if (!plain && *t && vault_open(v, "person", id, names[i], t, &open, err))
			goto out;
		json_object_set_new(rec, names[i], json_string(open ? open : t));
		if (open) {
			sodium_memzero(open, strlen(open));
			free(open);
		}
	}
	if (plain && sqlite3_column_text(q, 6))
		json_object_set_new(rec, "name_fold", json_string((const char *)sqlite3_column_text(q, 6)));
	else if (ent_persons.derive(rec, err)) /* the fold, recomputed from the opened name */
		goto out;
	*out = rec;
	rec = NULL;
	rc = 0;
out:
	json_decref(rec);
	return rc;
}

static int sq_key_reseal(struct store *st, int batch, int64_t *done, int64_t *left, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	const struct vault *v;
	const struct vault_key *k;
	sqlite3_stmt *q = NULL, *u = NULL;
	char sql[300], *trig = NULL;
	int rc = -1, mine = 0, src;

	*done = 0;
	*left = 0;
	if (ready(s, err))
		return -1;
	if (s->in_tx)
		return err_set(err, ERR_INTERNAL, NULL, "key_reseal runs its own transactions");
	if (auto_begin(s, &mine, err))
		return -1;
	if (sq_write_key(s, &v, &k, err))
		goto done;
	/* Re-sealing changes nothing a live snapshot holds: the person's change-log trigger is set
	 * aside inside this transaction (DDL is transactional here, and the write lock keeps every
	 * other writer out until it is back), so a national rotation does not log a million rows. */
	if ((src = sqlite3_prepare_v2(s->db, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'person_au'",
				      -1, &q, NULL)) != SQLITE_OK) {
		sq_fail(s, src, err, "re-sealing");
		goto done;
	}
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		trig = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	q = NULL;
	if (trig && exec(s, "DROP TRIGGER person_au", err))
		goto done;
	snprintf(sql, sizeof sql, "SELECT id, %s, key_id FROM person WHERE key_id IS NULL OR key_id <> ?"
				  " ORDER BY id LIMIT %d", person_secret_cols, batch > 0 ? batch : 1000);
	if ((src = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK ||
	    (src = sqlite3_prepare_v2(s->db, "UPDATE person SET national_id = ?, full_name = ?, aliases = ?, address = ?,"
					     " phone = ?, name_fold = ?, nid_index = ?, key_id = ? WHERE id = ?",
				      -1, &u, NULL)) != SQLITE_OK) {
		sq_fail(s, src, err, "re-sealing");
		goto done;
	}
	sqlite3_bind_text(q, 1, k->id, -1, SQLITE_STATIC);
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		static const char *const cols[] = {"national_id", "full_name", "aliases", "address", "phone", "name_fold",
						   "nid_index", "key_id"};
		int64_t id = sqlite3_column_int64(q, 0), tok[VAULT_MAX_TOKENS];
		json_t *rec = NULL;
		int ntok = 0;

		if (reseal_rec(v, q, &rec, err) || vault_seal_person(k, id, rec, tok, &ntok, err)) {
			json_decref(rec);
			goto done;
		}
		sqlite3_reset(u);
		for (int i = 0; i < 8; i++) {
			const char *t = json_string_value(json_object_get(rec, cols[i]));

			if (t)
				sqlite3_bind_text(u, i + 1, t, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(u, i + 1);
		}
		sqlite3_bind_int64(u, 9, id);
		json_decref(rec);
		if ((src = sqlite3_step(u)) != SQLITE_DONE) {
			sq_fail(s, src, err, "re-sealing");
			goto done;
		}
		/* an erased person has no tokens to write */
		if (sq_tokens_put(s, id, tok, ntok, err))
			goto done;
		(*done)++;
	}
	if (src != SQLITE_DONE) {
		sq_fail(s, src, err, "re-sealing");
		goto done;
	}
	sqlite3_finalize(q);
	q = NULL;
	if ((src = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM person WHERE key_id IS NULL OR key_id <> ?", -1, &q,
				      NULL)) != SQLITE_OK) {
		sq_fail(s, src, err, "counting");
		goto done;
	}
	sqlite3_bind_text(q, 1, k->id, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		*left = sqlite3_column_int64(q, 0);
	if (trig && exec(s, trig, err))
		goto done;
	rc = 0;
done:
	free(trig);
	sqlite3_finalize(q);
	sqlite3_finalize(u);
	return auto_end(s, mine, rc, err);
}

static int sq_person_erase(struct store *st, int64_t id, int32_t day, int dry_run, int *done, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	char d[DATE_BUFSZ];
	int rc = -1, mine = 0, src;

	*done = 0;
	if (ready(s, err) || auto_begin(s, &mine, err))
		return -1;
	if ((src = sqlite3_prepare_v2(s->db, "SELECT erased_on FROM person WHERE id = ?", -1, &q, NULL)) != SQLITE_OK) {
		sq_fail(s, src, err, "erasing");
		goto done;
	}
	sqlite3_bind_int64(q, 1, id);
	src = sqlite3_step(q);
	if (src == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_NULL)
		*done = 1;
	else if (src != SQLITE_ROW && src != SQLITE_DONE) {
		sq_fail(s, src, err, "erasing");
		goto done;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (!*done || dry_run) {
		rc = 0;
		goto done;
	}
	/* '' rather than NULL: full_name is NOT NULL; vault_open_person reads '' as erased */
	if ((src = sqlite3_prepare_v2(s->db, "UPDATE person SET national_id = NULL, full_name = '', aliases = NULL,"
					     " address = NULL, phone = NULL, name_fold = '', nid_index = NULL,"
					     " dob = CASE WHEN dob IS NULL THEN NULL ELSE substr(dob, 1, 4) || '-01-01' END,"
					     " erased_on = ?, version = version + 1, updated_at = ? WHERE id = ?",
				      -1, &q, NULL)) != SQLITE_OK) {
		sq_fail(s, src, err, "erasing");
		goto done;
	}
	{
		char now[21];

		date_now_iso(now);
		sqlite3_bind_text(q, 1, date_format(day, d), -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 2, now, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 3, id);
	}
	if ((src = sqlite3_step(q)) != SQLITE_DONE) {
		sq_fail(s, src, err, "erasing");
		goto done;
	}
	if (sq_tokens_put(s, id, NULL, 0, err))
		goto done;
	rc = 0;
done:
	sqlite3_finalize(q);
	return auto_end(s, mine, rc, err);
}

/* ---- succession and residence history (the 2025 reform, docs/reform.md) --------------------- */

static json_t *ou_brief(sqlite3_stmt *q, int c)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)sqlite3_column_int64(q, c), "code",
			      col_text(q, c + 1), "name", col_text(q, c + 2), "kind", col_text(q, c + 3));

	json_object_set_new(o, "valid_from", sqlite3_column_type(q, c + 4) == SQLITE_NULL ? json_null()
											  : json_string(col_text(q, c + 4)));
	json_object_set_new(o, "valid_to", sqlite3_column_type(q, c + 5) == SQLITE_NULL ? json_null()
										      : json_string(col_text(q, c + 5)));
	return o;
}

#define OU_BRIEF_COLS "o.id, o.code, o.name, o.kind, o.valid_from, o.valid_to"

static int sq_ou_history(struct store *st, int64_t id, json_t **preds, json_t **succs, struct pcmt_err *err)
{
	static const char *const sql[2] = {
		"SELECT " OU_BRIEF_COLS ", l.kind, l.effective FROM org_unit_link l JOIN org_unit o ON o.id = l.from_id"
		" WHERE l.to_id = ? ORDER BY o.code, o.id",
		"SELECT " OU_BRIEF_COLS ", l.kind, l.effective FROM org_unit_link l JOIN org_unit o ON o.id = l.to_id"
		" WHERE l.from_id = ? ORDER BY o.code, o.id"};
	struct store_sqlite *s = SQ(st);
	json_t **out[2] = {preds, succs};
	sqlite3_stmt *q = NULL;
	int src = SQLITE_DONE;

	*preds = *succs = NULL;
	if (ready(s, err))
		return -1;
	for (int k = 0; k < 2; k++) {
		*out[k] = json_array();
		if (sqlite3_prepare_v2(s->db, sql[k], -1, &q, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_int64(q, 1, id);
		while ((src = sqlite3_step(q)) == SQLITE_ROW) {
			json_t *o = ou_brief(q, 0);

			json_object_set_new(o, "link", json_string(col_text(q, 6)));
			json_object_set_new(o, "effective", json_string(col_text(q, 7)));
			json_array_append_new(*out[k], o);
		}
		sqlite3_finalize(q);
		q = NULL;
		if (src != SQLITE_DONE)
			goto fail;
	}
	return 0;
fail:
	sqlite3_finalize(q);
	json_decref(*preds);
	json_decref(*succs);
	*preds = *succs = NULL;
	return sq_fail(s, src == SQLITE_DONE ? SQLITE_ERROR : src, err, "reading org-unit history");
}

/* Runs one statement with up to 6 binds (int64 where t[i] == 'i', text where 's', NULL where 'n'). */
static int run_binds(struct store_sqlite *s, const char *sql, const char *t, const int64_t *iv,
		     const char *const *sv, int64_t *changes, struct pcmt_err *err)
{
	sqlite3_stmt *q = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL)) != SQLITE_OK)
		return sq_fail(s, rc, err, "moving residents");
	for (int i = 0; t[i]; i++) {
		if (t[i] == 'i')
			sqlite3_bind_int64(q, i + 1, iv[i]);
		else if (t[i] == 's')
			sqlite3_bind_text(q, i + 1, sv[i], -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(q, i + 1);
	}
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sq_fail(s, rc, err, "moving residents");
	if (changes)
		*changes = sqlite3_changes64(s->db);
	return 0;
}

static int sq_residence_move(struct store *st, const struct scope *sc, int64_t person_id, const int64_t *from,
			     const int64_t *to, size_t n, int32_t effective, const char *reason, int64_t *moved,
			     struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	char last[DATE_BUFSZ], now[21];
	int64_t iv[6] = {0}, k = 0;
	const char *sv[6] = {0};
	json_t *p = NULL;
	int rc = -1, mine = 0;

	*moved = 0;
	if (ready(s, err))
		return -1;
	if (person_id > 0 && n != 1)
		return err_set(err, ERR_INTERNAL, NULL, "moving one person names one unit");
	date_format(effective - 1, last);
	date_now_iso(now);
	if (person_id > 0) {
		sqlite3_stmt *q = NULL;
		int src, late = 0;

		if (scoped_get(s, &ent_persons, sc, person_id, &p, err))
			return -1;
		if (json_integer_value(json_object_get(p, "residence_ou")) != from[0]) {
			json_decref(p);
			return err_set(err, ERR_NOT_FOUND, "person_id", "person %lld does not reside in org unit %lld",
				       (long long)person_id, (long long)from[0]);
		}
		json_decref(p);
		if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM residence_history WHERE person_id = ? AND date_to >= ?", -1,
				       &q, NULL) != SQLITE_OK)
			return sq_fail(s, SQLITE_ERROR, err, "reading residence history");
		sqlite3_bind_int64(q, 1, person_id);
		sqlite3_bind_text(q, 2, last, -1, SQLITE_TRANSIENT);
		src = sqlite3_step(q);
		late = src == SQLITE_ROW;
		sqlite3_finalize(q);
		if (src != SQLITE_ROW && src != SQLITE_DONE)
			return sq_fail(s, src, err, "reading residence history");
		if (late)
			return err_set(err, ERR_INVALID, "effective",
				       "person %lld's current residence starts after %s: history is appended, not rewritten",
				       (long long)person_id, last);
	}
	if (auto_begin(s, &mine, err))
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* the closed period starts the day after the previous one ended (NULL: since always) */
		iv[0] = from[i];
		iv[1] = 0;
		sv[1] = last;
		sv[2] = reason;
		sv[3] = now;
		iv[4] = person_id;
		iv[5] = person_id;
		if (run_binds(s,
			      "INSERT INTO residence_history (person_id, ou_id, date_from, date_to, reason, created_at)"
			      " SELECT p.id, p.residence_ou, (SELECT date(max(r.date_to), '+1 day') FROM residence_history r"
			      "  WHERE r.person_id = p.id), ?2, ?3, ?4 FROM person p"
			      " WHERE p.residence_ou = ?1 AND (?5 = 0 OR p.id = ?6)"
			      "  AND NOT EXISTS (SELECT 1 FROM residence_history r WHERE r.person_id = p.id AND r.date_to >= ?2)",
			      "isssii", iv, sv, NULL, err))
			goto out;
		iv[1] = to[i];
		sv[1] = NULL;
		sv[2] = now;
		sv[3] = last;
		if (run_binds(s,
			      "UPDATE person SET residence_ou = ?2, version = version + 1, updated_at = ?3"
			      " WHERE residence_ou = ?1 AND (?5 = 0 OR id = ?6)"
			      "  AND EXISTS (SELECT 1 FROM residence_history r WHERE r.person_id = person.id AND r.date_to = ?4"
			      "   AND r.ou_id = ?1)",
			      "iissii", iv, sv, &k, err))
			goto out;
		*moved += k;
	}
	rc = 0;
out:
	return auto_end(s, mine, rc, err);
}

static int sq_ou_close(struct store *st, const int64_t *ids, size_t n, int32_t valid_to, int64_t *closed,
		       struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	char d[DATE_BUFSZ], now[21];
	int rc = -1, mine = 0, src = SQLITE_DONE;

	*closed = 0;
	if (ready(s, err) || auto_begin(s, &mine, err))
		return -1;
	date_now_iso(now);
	if (sqlite3_prepare_v2(s->db, "UPDATE org_unit SET valid_to = ?1, version = version + 1, updated_at = ?2"
				      " WHERE id = ?3 AND valid_to IS NULL", -1, &q, NULL) != SQLITE_OK) {
		sq_fail(s, SQLITE_ERROR, err, "closing org units");
		goto out;
	}
	sqlite3_bind_text(q, 1, date_format(valid_to, d), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 2, now, -1, SQLITE_TRANSIENT);
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 3, ids[i]);
		if ((src = sqlite3_step(q)) != SQLITE_DONE) {
			sq_fail(s, src, err, "closing org units");
			goto out;
		}
		*closed += sqlite3_changes64(s->db);
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	return auto_end(s, mine, rc, err);
}

static int sq_ou_links(struct store *st, const int64_t *from, const int64_t *to, const int8_t *partial, size_t n,
		       int32_t effective, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	char d[DATE_BUFSZ];
	int rc = -1, mine = 0, src;

	if (ready(s, err) || auto_begin(s, &mine, err))
		return -1;
	/* an identical link is left alone (no write, no change-log entry) */
	if (sqlite3_prepare_v2(s->db, "INSERT INTO org_unit_link (from_id, to_id, kind, effective) VALUES (?1, ?2, ?3, ?4)"
				      " ON CONFLICT (from_id, to_id) DO UPDATE SET kind = excluded.kind, effective = excluded.effective"
				      " WHERE kind <> excluded.kind OR effective <> excluded.effective", -1, &q, NULL) != SQLITE_OK) {
		sq_fail(s, SQLITE_ERROR, err, "linking org units");
		goto out;
	}
	sqlite3_bind_text(q, 4, date_format(effective, d), -1, SQLITE_TRANSIENT);
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, from[i]);
		sqlite3_bind_int64(q, 2, to[i]);
		sqlite3_bind_text(q, 3, partial[i] ? "partial" : "full", -1, SQLITE_STATIC);
		if ((src = sqlite3_step(q)) != SQLITE_DONE) {
			sq_fail(s, src, err, "linking org units");
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(q);
	return auto_end(s, mine, rc, err);
}

static int sq_residence_history(struct store *st, const struct scope *sc, int64_t person_id, json_t **out,
				struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	sqlite3_stmt *q = NULL;
	json_t *p = NULL, *arr;
	int src;

	*out = NULL;
	if (ready(s, err) || scoped_get(s, &ent_persons, sc, person_id, &p, err))
		return -1;
	json_decref(p);
	if (sqlite3_prepare_v2(s->db,
			       "SELECT " OU_BRIEF_COLS ", r.date_from, r.date_to, r.reason, 0 FROM residence_history r"
			       " JOIN org_unit o ON o.id = r.ou_id WHERE r.person_id = ?1"
			       " UNION ALL SELECT " OU_BRIEF_COLS ", (SELECT date(max(r.date_to), '+1 day') FROM residence_history r"
			       "  WHERE r.person_id = ?1), NULL, NULL, 1 FROM person p JOIN org_unit o ON o.id = p.residence_ou"
			       " WHERE p.id = ?1 ORDER BY 10, 8",
			       -1, &q, NULL) != SQLITE_OK)
		return sq_fail(s, SQLITE_ERROR, err, "reading residence history");
	sqlite3_bind_int64(q, 1, person_id);
	arr = json_array();
	while ((src = sqlite3_step(q)) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o}", "orgunit", ou_brief(q, 0), "from",
						     sqlite3_column_type(q, 6) == SQLITE_NULL ? json_null() : json_string(col_text(q, 6)),
						     "to", sqlite3_column_type(q, 7) == SQLITE_NULL ? json_null() : json_string(col_text(q, 7)),
						     "reason", sqlite3_column_type(q, 8) == SQLITE_NULL ? json_null() : json_string(col_text(q, 8))));
	sqlite3_finalize(q);
	if (src != SQLITE_DONE) {
		json_decref(arr);
		return sq_fail(s, src, err, "reading residence history");
	}
	*out = arr;
	return 0;
}

static int sq_reassign_pending(struct store *st, int64_t root, int32_t date, json_t **out, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(st);
	char lo[PATH_MAX_LEN] = "", hi[PATH_MAX_LEN] = "", d[DATE_BUFSZ];
	sqlite3_stmt *q = NULL;
	json_t *arr, *cur = NULL;
	int64_t last = 0;
	int src;

	*out = NULL;
	if (ready(s, err))
		return -1;
	if (root) {
		if (ou_path(s, root, lo, err))
			return -1;
		path_hi(lo, hi);
	}
	/* one row per (person, candidate); candidates of a person come together */
	if (sqlite3_prepare_v2(s->db,
			       "SELECT p.id, " OU_BRIEF_COLS ", n.id, n.code, n.name, n.kind, l.kind FROM person p"
			       " JOIN org_unit o ON o.id = p.residence_ou"
			       " JOIN org_unit_link l ON l.from_id = o.id JOIN org_unit n ON n.id = l.to_id"
			       " WHERE o.valid_to IS NOT NULL AND o.valid_to < ?1"
			       "  AND (?2 IS NULL OR EXISTS (SELECT 1 FROM org_unit_link l2 JOIN org_unit n2 ON n2.id = l2.to_id"
			       "   WHERE l2.from_id = o.id AND n2.path >= ?2 AND n2.path < ?3))"
			       " ORDER BY p.id, n.code",
			       -1, &q, NULL) != SQLITE_OK)
		return sq_fail(s, SQLITE_ERROR, err, "reading persons awaiting re-assignment");
	sqlite3_bind_text(q, 1, date_format(date, d), -1, SQLITE_TRANSIENT);
	if (root) {
		sqlite3_bind_text(q, 2, lo, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 3, hi, -1, SQLITE_TRANSIENT);
	}
	arr = json_array();
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t pid = sqlite3_column_int64(q, 0);

		if (!cur || pid != last) {
			cur = json_pack("{s:I, s:o, s:[]}", "person_id", (json_int_t)pid, "residence", ou_brief(q, 1),
					"candidates");
			json_array_append_new(arr, cur);
			last = pid;
		}
		json_array_append_new(json_object_get(cur, "candidates"),
				      json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)sqlite3_column_int64(q, 7),
						"code", col_text(q, 8), "name", col_text(q, 9), "kind", col_text(q, 10),
						"link", col_text(q, 11)));
	}
	sqlite3_finalize(q);
	if (src != SQLITE_DONE) {
		json_decref(arr);
		return sq_fail(s, src, err, "reading persons awaiting re-assignment");
	}
	*out = arr;
	return 0;
}

/* ---- security tables (src/auth/) ------------------------------------------------------------ */

static int sql_stmt(struct store_sqlite *s, const char *sql, sqlite3_stmt **st, struct pcmt_err *err)
{
	int free_slot = -1;

	for (int i = 0; i < SQL_CACHE; i++) {
		if (s->sqlc[i].sql == sql) {
			*st = s->sqlc[i].st;
			sqlite3_reset(*st);
			sqlite3_clear_bindings(*st);
			return 0;
		}
		if (!s->sqlc[i].sql && free_slot < 0)
			free_slot = i;
	}
	if (prepare(s, sql, st, err))
		return -1;
	if (free_slot >= 0) {
		s->sqlc[free_slot].sql = sql;
		s->sqlc[free_slot].st = *st;
	}
	return 0;
}

static void sql_done(struct store_sqlite *s, sqlite3_stmt *st)
{
	for (int i = 0; i < SQL_CACHE; i++)
		if (s->sqlc[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return;
		}
	sqlite3_finalize(st);
}

static int sq_sql(struct store *stp, const char *sql, int n, const char *const *params,
		  int (*fn)(void *cls, int ncols, const char *const *vals), void *cls, int64_t *changed,
		  struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(stp);
	sqlite3_stmt *st;
	const char *vals[32];
	int rc, ncols;

	if (changed)
		*changed = 0;
	if (sql_stmt(s, sql, &st, err))
		return -1;
	for (int i = 0; i < n; i++) {
		char name[16];
		int ix;

		snprintf(name, sizeof(name), "$%d", i + 1);
		if ((ix = sqlite3_bind_parameter_index(st, name)) <= 0)
			continue;
		if (params[i])
			sqlite3_bind_text(st, ix, params[i], -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, ix);
	}
	ncols = sqlite3_column_count(st);
	if (ncols > (int)(sizeof(vals) / sizeof(vals[0]))) {
		sql_done(s, st);
		return err_set(err, ERR_INTERNAL, NULL, "too many columns");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!fn)
			continue;
		for (int c = 0; c < ncols; c++)
			vals[c] = (const char *)sqlite3_column_text(st, c);
		if (fn(cls, ncols, vals)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		sq_fail(s, rc, err, "reading or writing the security tables");
		sql_done(s, st);
		return -1;
	}
	if (changed)
		*changed = sqlite3_changes(s->db);
	sql_done(s, st);
	return 0;
}

static int sq_audit_append(struct store *stp, struct audit_entry *e, size_t n, struct pcmt_err *err)
{
	struct store_sqlite *s = SQ(stp);
	sqlite3_stmt *last = NULL, *ins = NULL;
	char prev[AUDIT_HASH_HEX + 1] = AUDIT_GENESIS;
	int64_t id = 0;
	int mine = 0, rc = -1, src;

	if (n == 0)
		return 0;
	/* BEGIN IMMEDIATE (ours or the caller's) holds the write lock: nobody appends in between */
	if (auto_begin(s, &mine, err))
		return -1;
	if ((!s->audit_last && prepare(s, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", &s->audit_last, err)) ||
	    (!s->audit_ins &&
	     prepare(s, "INSERT INTO audit_log(id, at, user_id, username, action, entity, record_id, detail, addr,"
		     " outcome, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)", &s->audit_ins, err)))
		goto out;
	last = s->audit_last;
	ins = s->audit_ins;
	if ((src = sqlite3_step(last)) == SQLITE_ROW) {
		id = sqlite3_column_int64(last, 0);
		snprintf(prev, sizeof(prev), "%s", col_text(last, 1));
	} else if (src != SQLITE_DONE) {
		sq_fail(s, src, err, "reading the audit log");
		goto out;
	}
	sqlite3_reset(last);
	for (size_t i = 0; i < n; i++) {
		e[i].id = ++id;
		memcpy(e[i].prev_hash, prev, sizeof(prev));
		audit_chain_hash(&e[i], e[i].hash);
		memcpy(prev, e[i].hash, sizeof(prev));
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, e[i].id);
		sqlite3_bind_text(ins, 2, e[i].at, -1, SQLITE_STATIC);
		if (e[i].user_id)
			sqlite3_bind_int64(ins, 3, e[i].user_id);
		else
			sqlite3_bind_null(ins, 3);
		sqlite3_bind_text(ins, 4, e[i].username, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, e[i].action, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 6, e[i].entity, -1, SQLITE_STATIC);
		if (e[i].record_id)
			sqlite3_bind_int64(ins, 7, e[i].record_id);
		else
			sqlite3_bind_null(ins, 7);
		sqlite3_bind_text(ins, 8, e[i].detail, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 9, e[i].addr, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 10, e[i].outcome, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 11, e[i].prev_hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 12, e[i].hash, -1, SQLITE_STATIC);
		if ((src = sqlite3_step(ins)) != SQLITE_DONE) {
			sq_fail(s, src, err, "appending to the audit log");
			goto out;
		}
	}
	rc = 0;
out:
	if (last)
		sqlite3_reset(last);
	if (ins) {
		sqlite3_reset(ins);
		sqlite3_clear_bindings(ins);
	}
	return auto_end(s, mine, rc, err);
}

static void sq_close(struct store *st)
{
	struct store_sqlite *s = SQ(st);

	if (!s)
		return;
	if (s->in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < ENT_MAX; i++)
		for (int j = 0; j < ST_N; j++)
			sqlite3_finalize(s->st[i][j]);
	sqlite3_finalize(s->ou_get);
	sqlite3_finalize(s->ou_code);
	sqlite3_finalize(s->ou_path);
	sqlite3_finalize(s->tok_del);
	sqlite3_finalize(s->tok_ins);
	sqlite3_finalize(s->tok_ins_many);
	for (int i = 0; i < SQL_CACHE; i++)
		sqlite3_finalize(s->sqlc[i].st);
	for (int i = 0; i < FIND_CACHE; i++)
		sqlite3_finalize(s->find[i].st);
	for (int i = 0; i < DYN_CACHE; i++) {
		sqlite3_finalize(s->dyn[i].st);
		free(s->dyn[i].sql);
	}
	sqlite3_finalize(s->find_nid[0].st);
	sqlite3_finalize(s->find_nid[1].st);
	sqlite3_finalize(s->nid_taken);
	sqlite3_finalize(s->next_pid);
	for (int i = 0; i < TX_N; i++)
		sqlite3_finalize(s->tx[i]);
	sqlite3_finalize(s->key_id);
	sqlite3_finalize(s->audit_last);
	sqlite3_finalize(s->audit_ins);
	sqlite3_finalize(s->prov.get);
	prov_reset(s, NULL);
	sqlite3_close(s->db);
	free(s);
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.migrate = sq_migrate,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.checkpoint = sq_checkpoint,
	.insert = sq_insert,
	.update = sq_update,
	.get = sq_get,
	.del = sq_del,
	.list = sq_list,
	.person_similar = sq_person_similar,
	.find = sq_find,
	.rows_of = sq_rows_of,
	.ou_get = sq_ou_get,
	.ou_by_code = sq_ou_by_code,
	.ou_within = sq_ou_within,
	.ou_link = sq_ou_link,
	.ou_history = sq_ou_history,
	.residence_move = sq_residence_move,
	.ou_close = sq_ou_close,
	.ou_links = sq_ou_links,
	.residence_history = sq_residence_history,
	.reassign_pending = sq_reassign_pending,
	.rules_load = sq_rules_load,
	.rule_put = sq_rule_put,
	.snap_load = sq_snap_load,
	.oper_load = sq_oper_load,
	.snap_person = sq_snap_person,
	.changes = sq_changes,
	.bulk_mode = sq_bulk_mode,
	.bulk_insert = sq_bulk_insert,
	.ref_checks = sq_ref_checks,
	.counts = sq_counts,
	.raw_tables = sq_raw_tables,
	.raw_read = sq_raw_read,
	.raw_write = sq_raw_write,
	.key_current = sq_key_current,
	.key_switch = sq_key_switch,
	.key_reseal = sq_key_reseal,
	.person_erase = sq_person_erase,
	.sql = sq_sql,
	.audit_append = sq_audit_append,
	.close = sq_close,
};

/* SQLite keeps memory statistics (sqlite3_status) under one process-wide mutex taken by every
 * allocation of every connection; pcmt never reads them, and the server's threads, each on its
 * own connection, would otherwise queue on that mutex, behind a holder the scheduler preempted
 * when the machine is loaded. Only effective before the library initialises (the first open). */
static void sq_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Each connection's page cache: 32 MiB unless $PCMT_SQLITE_CACHE_KIB says otherwise (64 KiB to
 * 4 GiB). A server holds one connection per worker thread plus the group writer and the
 * checkpointer, so this is the knob that sizes pcmt serve's memory beyond its own working set
 * (docs/deployment.md); the resilience soak sets it small so that a leak is not hidden behind
 * caches filling up with a growing database. */
static int sq_cache_pragma(struct store_sqlite *s, struct pcmt_err *err)
{
	const char *env = getenv("PCMT_SQLITE_CACHE_KIB");
	long long kib = 32768;
	char sql[64], *end;

	if (env && *env) {
		kib = strtoll(env, &end, 10);
		if (*end || kib < 64 || kib > 4LL * 1024 * 1024) {
			err_set(err, ERR_INVALID, "PCMT_SQLITE_CACHE_KIB",
				"PCMT_SQLITE_CACHE_KIB must be a number of KiB from 64 to 4194304, not '%.40s'", env);
			return -1;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%lld;", kib);
	return exec(s, sql, err);
}

struct store *store_sqlite_open(const char *path, struct pcmt_err *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct store_sqlite *s = calloc(1, sizeof(*s));
	int rc;

	if (!s) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	pthread_once(&once, sq_configure);
	s->base.ops = &sqlite_ops;
	snprintf(s->base.url, sizeof(s->base.url), "sqlite:%s", path);
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     sqlite_wal_vfs());
	if (rc != SQLITE_OK) {
		err_set(err, ERR_UNAVAILABLE, "db", "cannot open %s: %s", path,
			s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 10000);
	/* WAL: readers never block the writer; synchronous=NORMAL in WAL loses no committed
	 * transaction when the process dies (only an OS crash may lose the last ones). */
	if (exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
		    "PRAGMA temp_store = MEMORY;"
		    /* freed space is zeroed: an erased (retention) or re-sealed (rotation) identity leaves no
		     * old ciphertext behind in free pages for a key that is still around */
		    "PRAGMA secure_delete = ON;",
		 err))
		goto fail;
	if (sq_cache_pragma(s, err))
		goto fail;
	return &s->base;
fail:
	sq_close(&s->base);
	return NULL;
}
