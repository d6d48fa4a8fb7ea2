/* test_crash.c: a `pcmt serve` killed with SIGKILL in the middle of a stream of writes loses no
 * write it answered 2xx. Writers POST persons (and tests for them) from two threads while the main
 * thread kills the server at a random moment; after a restart every acknowledged record is there,
 * unchanged, the database passes SQLite's integrity check, on both backends a consistency query
 * finds every person with their search tokens and sealed, no token without its person and every
 * test in its person's province, and the audit chain verifies. Three rounds on one database
 * (PCMT_CRASH_ROUNDS more: bench/resilience.sh). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

enum { MAX_ACK = 20000, WRITERS = 2 };

struct acked {
	int64_t id;
	char name[64];
	int is_test; /* a drug test rather than a person */
};

struct shared {
	struct tl_server *srv;
	pthread_mutex_t mu;
	struct acked ack[MAX_ACK];
	int nack;
	int round;
};

struct writer {
	struct shared *sh;
	int no;
};

static void *write_loop(void *arg)
{
	struct writer *w = arg;
	struct shared *sh = w->sh;
	char body[512], name[64];
	int64_t last_person = 0;

	for (int i = 0; i < 100000; i++) {
		struct tl_resp r;
		int is_test = last_person && i % 3 == 2;

		if (is_test) {
			snprintf(name, sizeof(name), "test-%lld", (long long)last_person);
			snprintf(body, sizeof(body),
				 "{\"person_id\": %lld, \"test_date\": \"2024-05-0%d\", \"kind\": \"sudden\", \"result\": \"negative\"}",
				 (long long)last_person, 1 + i % 9);
		} else {
			snprintf(name, sizeof(name), "Nguyễn Văn Ghi %d-%d-%d", sh->round, w->no, i);
			snprintf(body, sizeof(body),
				 "{\"full_name\": \"%s\", \"sex\": \"male\", \"dob\": \"1991-02-03\", \"residence_ou\": \"16837\"}",
				 name);
		}
		if (tl_http(sh->srv, "POST", is_test ? "/api/v1/tests" : "/api/v1/persons", body, &r) != 0 || r.status == 0) {
			tl_resp_free(&r);
			break; /* the server is gone */
		}
		if (r.status == 201) {
			int64_t id = json_integer_value(json_object_get(r.json, "id"));

			pthread_mutex_lock(&sh->mu);
			if (sh->nack < MAX_ACK) {
				sh->ack[sh->nack].id = id;
				sh->ack[sh->nack].is_test = is_test;
				snprintf(sh->ack[sh->nack].name, sizeof(sh->ack[sh->nack].name), "%s", name);
				sh->nack++;
			}
			pthread_mutex_unlock(&sh->mu);
			if (!is_test)
				last_person = id;
		} else if (r.status != 503) {
			fprintf(stderr, "unexpected status %ld: %s\n", r.status, r.body ? r.body : "");
			tl_resp_free(&r);
			break;
		}
		tl_resp_free(&r);
	}
	return NULL;
}

static void integrity_ok(const char *db)
{
	char cmd[512], out[256] = "";
	FILE *p;

	if (store_url_is_pg(db))
		return; /* PostgreSQL's own recovery; the acknowledged writes are still counted below */
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' 'PRAGMA integrity_check; PRAGMA foreign_key_check;' 2>&1", db);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(out, sizeof(out), p))
		out[0] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_string_equal(out, "ok\n");
}

/* What the store writes together in one transaction is there together after a kill: a person is
 * written with its search tokens (person_token, whose rows have no foreign key to hold them) and
 * sealed (key_id), and a test carries its person's province (a trigger on both backends). The query
 * counts the rows that break any of these; run with the sqlite3 CLI or psql. */
static const char consistency_sql[] =
	"SELECT (SELECT count(*) FROM person p WHERE NOT EXISTS (SELECT 1 FROM person_token k WHERE k.person_id = p.id))"
	" + (SELECT count(*) FROM person_token k WHERE NOT EXISTS (SELECT 1 FROM person p WHERE p.id = k.person_id))"
	" + (SELECT count(*) FROM person WHERE key_id IS NULL)"
	" + (SELECT count(*) FROM drug_test t WHERE NOT EXISTS"
	"    (SELECT 1 FROM person p WHERE p.id = t.person_id AND p.province_code = t.province_code));";

static void consistency_ok(const char *db)
{
	char cmd[1024], out[256] = "";
	FILE *p;

	if (store_url_is_pg(db))
		snprintf(cmd, sizeof(cmd), "psql -X -q -A -t -v ON_ERROR_STOP=1 '%s' -c \"%s\" 2>&1", db, consistency_sql);
	else
		snprintf(cmd, sizeof(cmd), "sqlite3 '%s' \"%s\" 2>&1", db, consistency_sql);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(out, sizeof(out), p))
		out[0] = '\0';
	assert_int_equal(pclose(p), 0);
	if (strcmp(out, "0\n"))
		fail_msg("consistency query after the kills: %s", out);
}

/* the audit log's hash chain survives the kills: `pcmt audit verify` finds no broken link */
static void audit_chain_ok(const char *db)
{
	const char *bin = getenv("PCMT_BIN");
	char cmd[1024], out[512] = "";
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' audit verify --db '%s' 2>&1", bin && *bin ? bin : PCMT_BIN, db);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fread(out, 1, sizeof(out) - 1, p))
		out[0] = '\0';
	st = pclose(p);
	if (st != 0)
		fail_msg("pcmt audit verify after the kills: %s", out);
}

static void test_sigkill_loses_no_acknowledged_write(void **state)
{
	struct tl_tmp tmp;
	struct store *s;
	struct tl_server srv;
	struct shared *sh = calloc(1, sizeof(*sh));
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	const char *env = getenv("PCMT_CRASH_ROUNDS");
	int rounds = env && atoi(env) > 0 ? atoi(env) : 3;

	assert_non_null(sh);
	s = tl_store_with_units(&tmp);
	assert_non_null(s);
	store_close(s);
	pthread_mutex_init(&sh->mu, NULL);
	sh->srv = &srv;
	fprintf(stderr, "crash test seed %u\n", seed);
	srand(seed);

	for (int round = 0; round < rounds; round++) {
		pthread_t th[WRITERS];
		struct writer w[WRITERS];
		int before = sh->nack;

		sh->round = round;
		assert_int_equal(tl_server_start(&srv, tmp.db, NULL), 0);
		for (int i = 0; i < WRITERS; i++) {
			w[i].sh = sh;
			w[i].no = i;
			assert_int_equal(pthread_create(&th[i], NULL, write_loop, &w[i]), 0);
		}
		/* let writes flow (on a loaded machine the first ones may take a while), then kill at a
		 * random moment in the middle of the stream */
		for (int waited = 0; waited < 400; waited++) {
			int n;

			pthread_mutex_lock(&sh->mu);
			n = sh->nack - before;
			pthread_mutex_unlock(&sh->mu);
			if (n >= 20)
				break;
			usleep(50000);
		}
		usleep((useconds_t)(rand() % 300000));
		tl_server_stop(&srv, 1);
		for (int i = 0; i < WRITERS; i++)
			pthread_join(th[i], NULL);
		fprintf(stderr, "round %d: %d writes acknowledged before SIGKILL\n", round, sh->nack - before);
		assert_true(sh->nack > before); /* the kill did land in the middle of a stream */
		integrity_ok(tmp.db);
		consistency_ok(tmp.db);
	}

	/* every acknowledged write is there, as written */
	assert_int_equal(tl_server_start(&srv, tmp.db, NULL), 0);
	for (int i = 0; i < sh->nack; i++) {
		struct tl_resp r;
		char path[96];

		snprintf(path, sizeof(path), "/api/v1/%s/%lld", sh->ack[i].is_test ? "tests" : "persons",
			 (long long)sh->ack[i].id);
		assert_int_equal(tl_http(&srv, "GET", path, NULL, &r), 0);
		if (r.status != 200)
			fail_msg("acknowledged %s is missing after SIGKILL (status %ld)", path, r.status);
		if (!sh->ack[i].is_test)
			assert_string_equal(json_string_value(json_object_get(r.json, "full_name")), sh->ack[i].name);
		tl_resp_free(&r);
	}
	tl_server_stop(&srv, 0);
	integrity_ok(tmp.db);
	consistency_ok(tmp.db);
	audit_chain_ok(tmp.db);
	fprintf(stderr, "crash: %d rounds, %d acknowledged writes all read back unchanged; integrity, consistency and audit chain ok\n",
		rounds, sh->nack);
	tl_tmp_cleanup(&tmp);
	pthread_mutex_destroy(&sh->mu);
	free(sh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigkill_loses_no_acknowledged_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
