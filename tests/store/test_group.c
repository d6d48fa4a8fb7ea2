/* test_group.c: group commit (src/store/group.c) on each backend. SQLite: writes from many threads
 * that arrive while one is running share its transaction (fewer commits than writes), every one
 * of them is committed when its call returns, and the audit chain they appended verifies; a write
 * that fails among them is undone alone (its appended entry is gone, the chain has no gap) while
 * the others commit; under writes that never pause, the log is started again from its beginning
 * instead of growing with every commit. PostgreSQL has no group (its writers commit in parallel):
 * open says so. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auditlog.h"
#include "store/group.h"
#include "testlib.h"

enum { THREADS = 8 };

struct writer {
	struct store_group *g;
	atomic_int *started;  /* writers about to call store_group_run */
	int no;
	int fail;             /* append, then report a failure */
	int rc;
	struct pcmt_err err;
	int64_t id;           /* the entry's id as appended */
};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}


/* An audit entry of a test writer: "<who> <no>" creates a person. */
static void entry_init(struct audit_entry *e, const char *who, int no)
{
	memset(e, 0, sizeof(*e));
	audit_now(e->at);
	e->user_id = 1;
	snprintf(e->username, sizeof(e->username), "%s", who);
	snprintf(e->action, sizeof(e->action), "create");
	snprintf(e->entity, sizeof(e->entity), "persons");
	snprintf(e->detail, sizeof(e->detail), "%s %d", who, no);
	snprintf(e->outcome, sizeof(e->outcome), "ok");
}
static int append_one(struct store *st, void *cls, struct pcmt_err *err)
{
	struct writer *w = cls;
	struct audit_entry e;

	/* the first writer holds the group until the others are queued behind it, so that they join
	 * its transaction (they are released by it, never by time: only the overlap is waited for) */
	if (w->no == 0) {
		for (int i = 0; i < 10000 && atomic_load(w->started) < THREADS; i++)
			sleep_ms(1);
		sleep_ms(100);
	}
	entry_init(&e, "writer", w->no);
	if (st->ops->audit_append(st, &e, 1, err))
		return -1;
	w->id = e.id;
	if (w->fail)
		return err_set(err, ERR_CONFLICT, "national_id", "writer %d refuses after writing", w->no);
	return 0;
}

static void *writer_run(void *arg)
{
	struct writer *w = arg;

	err_clear(&w->err);
	atomic_fetch_add(w->started, 1);
	w->rc = store_group_run(w->g, append_one, w, &w->err);
	return NULL;
}

static int64_t entries_of(struct store *s, const char *detail)
{
	struct pcmt_err err;
	json_t *items = NULL;
	struct audit_filter f = {.user = "writer", .limit = 1000};
	int64_t n = 0;
	size_t i;
	json_t *it;

	err_clear(&err);
	assert_int_equal(audit_query(s, &f, &items, &err), 0);
	json_array_foreach(items, i, it)
		if (!detail || !strcmp(json_string_value(json_object_get(it, "detail")), detail))
			n++;
	json_decref(items);
	return n;
}

/* Runs THREADS writers at once, writer `failing` (or none: -1) failing after its append. Each
 * call's result is checked as it returns: a kept write is already committed, which a second
 * handle sees. */
static void run_writers(int failing, uint64_t *commits, uint64_t *writes)
{
	struct tl_tmp t;
	struct store *s = tl_store_with_units(&t), *other;
	struct store_group *g;
	struct writer w[THREADS];
	pthread_t th[THREADS];
	atomic_int started = 0;
	struct audit_verdict v;
	struct pcmt_err err;
	char detail[32];

	assert_non_null(s);
	err_clear(&err);
	if (!(g = store_group_open(t.db, &err)))
		fail_msg("store_group_open: %s", err.message);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct writer){g, &started, i, i == failing, 0, {0}, 0};
		assert_int_equal(pthread_create(&th[i], NULL, writer_run, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	store_group_stats(g, commits, writes);
	/* read through a handle of its own: what is there is committed */
	assert_non_null(other = store_open(t.db, &err));
	for (int i = 0; i < THREADS; i++) {
		snprintf(detail, sizeof(detail), "writer %d", i);
		if (i == failing) {
			assert_int_equal(w[i].rc, -1);
			assert_int_equal(w[i].err.code, ERR_CONFLICT);
			assert_string_equal(w[i].err.field, "national_id");
			assert_int_equal(entries_of(other, detail), 0);
		} else {
			if (w[i].rc)
				fail_msg("writer %d: %s", i, w[i].err.message);
			assert_int_equal(entries_of(other, detail), 1);
		}
	}
	assert_int_equal(entries_of(other, NULL), failing >= 0 ? THREADS - 1 : THREADS);
	/* one chain, no gap where the failed write's entry was undone */
	assert_int_equal(audit_verify(other, &v, &err), 0);
	assert_int_equal(v.broken_at, 0);
	assert_int_equal(v.checked, failing >= 0 ? THREADS - 1 : THREADS);
	store_close(other);
	store_group_close(g);
	store_close(s);
	tl_tmp_cleanup(&t);
}

static void test_concurrent_writes_share_commits(void **state)
{
	uint64_t commits = 0, writes = 0;

	if (tl_pg())
		skip();
	run_writers(-1, &commits, &writes);
	assert_int_equal(writes, THREADS);
	/* writes that arrived while the first held the group went in with it: fewer commits than writes
	 * (usually one; a writer the scheduler kept away for the 100 ms commits on its own) */
	assert_true(commits >= 1 && commits < THREADS);
}

static void test_failing_write_undone_alone(void **state)
{
	uint64_t commits = 0, writes = 0;

	if (tl_pg())
		skip();
	/* the first (holding the others' transaction open) and one queued behind it */
	run_writers(0, &commits, &writes);
	assert_int_equal(writes, THREADS - 1);
	run_writers(5, &commits, &writes);
	assert_int_equal(writes, THREADS - 1);
	assert_true(commits < THREADS - 1);
}

enum { STREAM_WRITES = 3000 };

struct stream {
	struct store_group *g;
	int no;
	int failed;
};

static int append_plain(struct store *st, void *cls, struct pcmt_err *err)
{
	struct stream *w = cls;
	struct audit_entry e;

	entry_init(&e, "stream", w->no);
	return st->ops->audit_append(st, &e, 1, err);
}

static void *stream_run(void *arg)
{
	struct stream *w = arg;
	struct pcmt_err err;

	for (int i = 0; i < STREAM_WRITES; i++) {
		err_clear(&err);
		if (store_group_run(w->g, append_plain, w, &err))
			w->failed++;
	}
	return NULL;
}

/* Two writers that never pause: the checkpointer copies the log while commits go on, so without
 * holding them off once the log is long it would never be wholly copied and SQLite would append
 * to it for as long as the writes last (its file growing by every commit). With a restart from 64
 * pages, each checkpointer round (100 ms apart) starts it again. */
static void test_log_started_again_under_steady_writes(void **state)
{
	struct tl_tmp t;
	struct store *s, *other;
	struct store_group *g;
	struct stream w[2];
	pthread_t th[2];
	struct pcmt_err err;
	struct audit_verdict v;
	uint64_t commits = 0, writes = 0;
	char wal[sizeof(t.db) + 8];
	unsigned char hdr[32];
	uint32_t starts;
	FILE *f;

	if (tl_pg())
		skip();
	assert_non_null(s = tl_store_with_units(&t));
	err_clear(&err);
	setenv("PCMT_LOG_RESTART_PAGES", "64", 1);
	g = store_group_open(t.db, &err);
	unsetenv("PCMT_LOG_RESTART_PAGES");
	if (!g)
		fail_msg("store_group_open: %s", err.message);
	for (int i = 0; i < 2; i++) {
		w[i] = (struct stream){g, i, 0};
		assert_int_equal(pthread_create(&th[i], NULL, stream_run, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(w[0].failed + w[1].failed, 0);
	store_group_stats(g, &commits, &writes);
	assert_int_equal(writes, 2 * STREAM_WRITES);
	/* the log's header counts its starts from the beginning (big-endian, at byte 12) */
	snprintf(wal, sizeof(wal), "%s-wal", t.db);
	assert_non_null(f = fopen(wal, "rb"));
	assert_int_equal(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
	fclose(f);
	starts = (uint32_t)hdr[12] << 24 | (uint32_t)hdr[13] << 16 | (uint32_t)hdr[14] << 8 | hdr[15];
	if (starts < 2)
		fail_msg("the log was started again %u times in %llu commits", starts, (unsigned long long)commits);
	/* nothing was lost on the way: every entry there, one chain */
	assert_non_null(other = store_open(t.db, &err));
	assert_int_equal(audit_verify(other, &v, &err), 0);
	assert_int_equal(v.broken_at, 0);
	assert_int_equal(v.checked, 2 * STREAM_WRITES);
	store_close(other);
	store_group_close(g);
	store_close(s);
	tl_tmp_cleanup(&t);
}

static void test_no_group_on_postgresql(void **state)
{
	struct tl_tmp t;
	struct store *s;
	struct store_group *g;
	struct pcmt_err err;

	if (!tl_pg())
		skip();
	assert_non_null(s = tl_store_with_units(&t));
	err_clear(&err);
	g = store_group_open(t.db, &err);
	assert_null(g);
	assert_int_equal(err.code, ERR_OK);
	store_close(s);
	tl_tmp_cleanup(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_writes_share_commits),
		cmocka_unit_test(test_failing_write_undone_alone),
		cmocka_unit_test(test_log_started_again_under_steady_writes),
		cmocka_unit_test(test_no_group_on_postgresql),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
