/* test_sqlite_wal.c: the gathering VFS (src/store/sqlite_wal.c), on plain SQLite. A writer through
 * it commits transactions of every shape the log sees (one row; many pages, more than the gather
 * buffer holds; pages spilled before the commit and rewritten in place, whose frame headers SQLite
 * then re-checksums; a savepoint rolled back; a whole transaction rolled back after spilling), and
 * after each commit:
 *   - other connections, through the default VFS and through this one, read exactly what was
 *     committed, each row's text whole (a frame published before it is in the file would read as
 *     garbage or as older pages);
 *   - a copy of the files taken while the writer is still open, as a kill -9 would leave them,
 *     recovers every committed row and passes integrity_check (the log's checksum chain is whole:
 *     nothing committed was left in the buffer). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite_wal.h"

static char dir[] = "/tmp/pcmt-walgather-XXXXXX";
static char path[256];

static sqlite3 *open_db(const char *p, const char *vfs)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
				      "PRAGMA busy_timeout = 5000;", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

static sqlite3_int64 one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	sqlite3_int64 v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	size_t n;
	FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");

	assert_non_null(b);
	if (a) { /* a log not yet created is no log */
		while ((n = fread(buf, 1, sizeof(buf), a)) > 0)
			assert_int_equal(fwrite(buf, 1, n, b), n);
		fclose(a);
	}
	fclose(b);
}

/* What every reader must see: n rows, their sum of v, and the checksum of their payloads. */
struct expect {
	sqlite3_int64 n, sum, len;
};

static void check_reader(sqlite3 *db, const struct expect *e)
{
	assert_int_equal(one(db, "SELECT count(*) FROM t"), e->n);
	assert_int_equal(one(db, "SELECT coalesce(sum(v), 0) FROM t"), e->sum);
	assert_int_equal(one(db, "SELECT coalesce(sum(length(b)), 0) FROM t"), e->len);
	assert_int_equal(one(db, "SELECT count(*) FROM t WHERE b <> replace(hex(zeroblob(length(b) / 2)), '00',"
			      " char(65 + v % 26) || char(65 + v % 26))"), 0);
}

static void check_readers(sqlite3 *plain, sqlite3 *gathered, const struct expect *e)
{
	check_reader(plain, e);
	check_reader(gathered, e);
}

static void check_crash_copy(const struct expect *e, int round)
{
	char cdb[300], cwal[310], from[310];
	sqlite3 *db;

	snprintf(cdb, sizeof(cdb), "%s/crash%d.db", dir, round);
	snprintf(cwal, sizeof(cwal), "%s-wal", cdb);
	copy_file(path, cdb);
	snprintf(from, sizeof(from), "%s-wal", path);
	copy_file(from, cwal);
	db = open_db(cdb, NULL); /* no -shm: the log is recovered from its frames and checksums */
	check_reader(db, e);
	assert_int_equal(one(db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"), 0);
	sqlite3_close(db);
	unlink(cdb);
	unlink(cwal);
}

/* Inserts n rows of payload size sz (even): v = the next values, b sz letters, each the one of v. */
static void insert_rows(sqlite3 *db, struct expect *e, int n, int sz)
{
	sqlite3_stmt *q;

	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t (v, b) VALUES (?1, "
					    "replace(hex(zeroblob(?2 / 2)), '00', char(65 + ?1 % 26) || char(65 + ?1 % 26)))",
					    -1, &q, NULL), SQLITE_OK);
	for (int i = 0; i < n; i++) {
		sqlite3_int64 v = e->n + 1 + i;

		sqlite3_bind_int64(q, 1, v);
		sqlite3_bind_int(q, 2, sz);
		assert_int_equal(sqlite3_step(q), SQLITE_DONE);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
}

static void after(struct expect *e, int n, int sz)
{
	for (int i = 0; i < n; i++) {
		e->sum += e->n + 1;
		e->n++;
		e->len += sz;
	}
}

static void test_commits_are_read_back_and_survive(void **state)
{
	const char *vfs = sqlite_wal_vfs();
	sqlite3 *w, *plain, *gathered;
	struct expect e = {0, 0, 0};
	int round = 0;

	(void)state;
	assert_non_null(vfs); /* on by default */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	w = open_db(path, vfs);
	exec_ok(w, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, b TEXT NOT NULL);"
		   "CREATE INDEX t_v ON t(v)");
	plain = open_db(path, NULL);
	gathered = open_db(path, vfs);

	for (int k = 0; k < 6; k++) {
		/* one small row a transaction, a few times */
		for (int i = 0; i < 5; i++) {
			insert_rows(w, &e, 1, 100);
			after(&e, 1, 100);
			check_readers(plain, gathered, &e);
		}
		/* a transaction of ~2.5 MiB of pages: more than one gather buffer */
		exec_ok(w, "BEGIN");
		insert_rows(w, &e, 600, 4000);
		exec_ok(w, "COMMIT");
		after(&e, 600, 4000);
		check_readers(plain, gathered, &e);
		check_crash_copy(&e, round++);

		/* a small cache: pages spill to the log before the commit, then the same pages change again
		 * (rewritten in place in the log, their frame headers re-checksummed at the commit) */
		exec_ok(w, "PRAGMA cache_size = 10");
		exec_ok(w, "BEGIN");
		insert_rows(w, &e, 300, 3000);
		exec_ok(w, "UPDATE t SET v = v + 0 WHERE id > (SELECT max(id) - 300 FROM t)");
		exec_ok(w, "UPDATE t SET b = b WHERE id % 7 = 0");
		/* a savepoint undone inside it */
		exec_ok(w, "SAVEPOINT s; INSERT INTO t (v, b) VALUES (-1, 'ZZ'); ROLLBACK TO s; RELEASE s");
		exec_ok(w, "COMMIT");
		after(&e, 300, 3000);
		check_readers(plain, gathered, &e);
		check_crash_copy(&e, round++);

		/* a transaction that spilled, rolled back: nothing of it is seen, before or after */
		exec_ok(w, "BEGIN");
		{
			struct expect lost = e;

			insert_rows(w, &lost, 200, 3000);
		}
		exec_ok(w, "ROLLBACK");
		exec_ok(w, "PRAGMA cache_size = -2000");
		check_readers(plain, gathered, &e);

		/* the log started again from its beginning (its header rewritten at offset 0) */
		if (k % 2 == 1) {
			assert_int_equal(sqlite3_wal_checkpoint_v2(plain, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL),
					 SQLITE_OK);
			insert_rows(w, &e, 1, 100);
			after(&e, 1, 100);
			check_reader(plain, &e);
			check_crash_copy(&e, round++);
		}
	}
	sqlite3_close(gathered);
	sqlite3_close(plain);
	assert_int_equal(sqlite3_close(w), SQLITE_OK);
	/* closed cleanly: the database alone holds everything */
	w = open_db(path, NULL);
	check_reader(w, &e);
	sqlite3_close(w);
	{
		char p[300];

		unlink(path);
		snprintf(p, sizeof(p), "%s-wal", path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", path);
		unlink(p);
		rmdir(dir);
	}
}

int main(void)
{
	const char *backend = getenv("PCMT_TEST_BACKEND");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commits_are_read_back_and_survive),
	};

	if (backend && !strcmp(backend, "pg"))
		return 77; /* SQLite's alone */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
