/* test_concurrency.c: many officers at once through real HTTP (libcurl, one thread per client),
 * on whichever backend the suite runs (SQLite, and PostgreSQL as pg/api/test_concurrency).
 *   - 16 clients each register persons and classify them as addicts in Nam Can while others read
 *     records, lists and the drug-free answer (which replays the change log under those commits);
 *     afterwards every acknowledged write (201) is there: each person reads back, the list total and
 *     the drug-free addict count (the live snapshot) equal the acknowledged numbers.
 *   - two officers save the same person from the same version at the same instant, many times:
 *     exactly one gets 200, the other 409 naming the winner's version.
 *   - a burst of registrations at the same instant (on SQLite they share one transaction, group
 *     commit), one of them a national ID already registered: that one gets its 409, every other
 *     gets 201 and is there, and the audit chain holding their entries verifies. */
#include <pthread.h>

#include "apitest.h"

enum { CLIENTS = 16, ROUNDS = 20, RACES = 25, SERVER_THREADS = 8 };

struct client {
	struct api_fx *f;
	int no;
	int64_t ids[ROUNDS];   /* acknowledged persons */
	int npersons, ncls;    /* acknowledged writes */
	int busy;              /* 503s (allowed: not acknowledged) */
	char bad[300];         /* first unexpected answer */
};

static void note_bad(struct client *c, const char *what, const struct tl_resp *r)
{
	if (!c->bad[0])
		snprintf(c->bad, sizeof(c->bad), "client %d %s: %ld %.200s", c->no, what, r->status, r->body ? r->body : "");
}

static void *client_run(void *arg)
{
	struct client *c = arg;
	char body[300], path[80];

	for (int i = 0; i < ROUNDS; i++) {
		struct tl_resp r;
		int64_t id;

		snprintf(body, sizeof(body), "{\"full_name\": \"Người %d %d\", \"sex\": \"male\", \"dob\": \"1990-01-01\","
			 " \"residence_ou\": \"16837\"}", c->no, i);
		if (tl_http(&c->f->srv, "POST", "/api/v1/persons", body, &r) || (r.status != 201 && r.status != 503)) {
			note_bad(c, "POST person", &r);
			tl_resp_free(&r);
			continue;
		}
		if (r.status == 503) {
			c->busy++;
			tl_resp_free(&r);
			continue;
		}
		id = json_integer_value(json_object_get(r.json, "id"));
		c->ids[c->npersons++] = id;
		tl_resp_free(&r);
		snprintf(body, sizeof(body), "{\"person_id\": %lld, \"kind\": \"addict\", \"date_from\": \"2024-01-01\"}",
			 (long long)id);
		if (tl_http(&c->f->srv, "POST", "/api/v1/classifications", body, &r) == 0 && r.status == 201)
			c->ncls++;
		else if (r.status == 503)
			c->busy++;
		else
			note_bad(c, "POST classification", &r);
		tl_resp_free(&r);
		/* reads between the writes: the record, a list, and (every few rounds) the live snapshot */
		snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)id);
		if (tl_http(&c->f->srv, "GET", path, NULL, &r) || r.status != 200)
			note_bad(c, "GET person", &r);
		tl_resp_free(&r);
		if (tl_http(&c->f->srv, "GET", "/api/v1/persons?limit=5", NULL, &r) || r.status != 200)
			note_bad(c, "GET persons", &r);
		tl_resp_free(&r);
		if (i % 4 == c->no % 4) {
			if (tl_http(&c->f->srv, "GET", "/api/v1/drug-free?orgunit=16837", NULL, &r) || r.status != 200)
				note_bad(c, "GET drug-free", &r);
			tl_resp_free(&r);
		}
	}
	return NULL;
}

static int64_t addicts_in_nam_can(struct api_fx *f)
{
	struct tl_resp r = api_get(f, "/api/v1/drug-free?orgunit=16837", 200);
	json_t *c, *crit;
	int64_t n = -1;
	size_t i;

	json_array_foreach(json_object_get(r.json, "communes"), i, c) {
		if (strcmp(json_string_value(json_object_get(c, "code")), "16837"))
			continue;
		crit = json_array_get(json_object_get(c, "criteria"), 0);
		n = json_integer_value(json_object_get(json_object_get(crit, "counts"), "addicts"));
	}
	if (n < 0)
		fail_msg("no Nam Can in %s", r.body);
	tl_resp_free(&r);
	return n;
}

static int setup(void **state)
{
	struct api_fx *f;

	if (api_setup(state))
		return -1;
	/* more workers (and, on PostgreSQL, connections) than api_setup's server has */
	f = *state;
	tl_server_stop(&f->srv, 0);
	return tl_server_start_ex(&f->srv, f->tmp.db, "PCMT_TODAY=" API_TODAY, SERVER_THREADS);
}

static void test_every_acknowledged_write_is_there(void **state)
{
	struct api_fx *f = *state;
	struct client *c = calloc(CLIENTS, sizeof(*c));
	pthread_t th[CLIENTS];
	int persons = 0, cls = 0, busy = 0;
	struct tl_resp r;
	char path[80];

	assert_non_null(c);
	assert_int_equal(addicts_in_nam_can(f), 0); /* the live snapshot exists before the writes */
	for (int i = 0; i < CLIENTS; i++) {
		c[i].f = f;
		c[i].no = i;
		assert_int_equal(pthread_create(&th[i], NULL, client_run, &c[i]), 0);
	}
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < CLIENTS; i++) {
		if (c[i].bad[0])
			fail_msg("%s", c[i].bad);
		persons += c[i].npersons;
		cls += c[i].ncls;
		busy += c[i].busy;
		for (int k = 0; k < c[i].npersons; k++) {
			snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)c[i].ids[k]);
			r = api_get(f, path, 200);
			tl_resp_free(&r);
		}
	}
	/* "busy" is an honest refusal, but a healthy server under this load should not need it */
	assert_true(busy <= CLIENTS * ROUNDS / 20);
	assert_true(persons >= CLIENTS * ROUNDS - busy);
	assert_int_equal(api_count(f, "persons"), persons);
	assert_int_equal(api_count(f, "classifications"), cls);
	r = api_get(f, "/api/v1/persons?orgunit=16837&limit=1", 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "total")), persons);
	tl_resp_free(&r);
	/* the live snapshot replayed every committed classification, whatever order they committed in */
	assert_int_equal(addicts_in_nam_can(f), cls);
	free(c);
}

struct racer {
	struct api_fx *f;
	pthread_barrier_t *go;
	int64_t person, version;
	int no;
	long status;
	int64_t current; /* from a 409 */
};

static void *race_run(void *arg)
{
	struct racer *x = arg;
	char path[64], ifm[48], body[200];
	const char *hdr[] = {ifm, NULL};
	struct tl_resp r;

	snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)x->person);
	snprintf(ifm, sizeof(ifm), "If-Match: \"%lld\"", (long long)x->version);
	snprintf(body, sizeof(body), "{\"full_name\": \"Cán bộ %d sửa\", \"sex\": \"male\", \"residence_ou\": \"16837\"}", x->no);
	pthread_barrier_wait(x->go);
	if (tl_http_ex(&x->f->srv, "PUT", path, hdr, body, strlen(body), &r) == 0) {
		x->status = r.status;
		x->current = json_integer_value(json_object_get(json_object_get(r.json, "error"), "current_version"));
	}
	tl_resp_free(&r);
	return NULL;
}

static void test_two_officers_one_wins(void **state)
{
	struct api_fx *f = *state;
	int64_t p = api_person(f, "Nguyễn Văn Tranh", "male", "1990-01-01", "16837"), version = 1;
	pthread_barrier_t go;

	for (int round = 0; round < RACES; round++) {
		struct racer x[2];
		pthread_t th[2];
		int winner;

		assert_int_equal(pthread_barrier_init(&go, NULL, 2), 0);
		for (int i = 0; i < 2; i++) {
			x[i] = (struct racer){f, &go, p, version, i, 0, 0};
			assert_int_equal(pthread_create(&th[i], NULL, race_run, &x[i]), 0);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&go);
		if (!((x[0].status == 200 && x[1].status == 409) || (x[0].status == 409 && x[1].status == 200)))
			fail_msg("round %d: wanted one 200 and one 409, got %ld and %ld", round, x[0].status, x[1].status);
		winner = x[0].status == 200 ? 0 : 1;
		/* the loser is told the version the winner wrote */
		assert_int_equal(x[1 - winner].current, version + 1);
		version++;
		{
			char path[64];
			struct tl_resp r;

			snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)p);
			r = api_get(f, path, 200);
			assert_int_equal(json_integer_value(json_object_get(r.json, "version")), version);
			if (!strstr(json_string_value(json_object_get(r.json, "full_name")), winner ? "1" : "0"))
				fail_msg("round %d: the stored name is not the winner's: %s", round, r.body);
			tl_resp_free(&r);
		}
	}
}

struct burster {
	struct api_fx *f;
	pthread_barrier_t *go;
	int no;
	int dup;          /* sends the national ID already registered */
	long status;
	int64_t id;
	char field[40];   /* of an error */
};

static void *burst_run(void *arg)
{
	struct burster *x = arg;
	char body[300];
	struct tl_resp r;

	snprintf(body, sizeof(body), "{\"full_name\": \"Đợt %d\", \"sex\": \"male\", \"dob\": \"1990-01-01\","
		 " \"residence_ou\": \"16837\", \"national_id\": \"%s\"}", x->no, x->dup ? "040090004321" : "");
	if (!x->dup) /* no national ID at all */
		snprintf(body, sizeof(body), "{\"full_name\": \"Đợt %d\", \"sex\": \"male\", \"dob\": \"1990-01-01\","
			 " \"residence_ou\": \"16837\"}", x->no);
	pthread_barrier_wait(x->go);
	if (tl_http(&x->f->srv, "POST", "/api/v1/persons", body, &r) == 0) {
		x->status = r.status;
		x->id = json_integer_value(json_object_get(r.json, "id"));
		snprintf(x->field, sizeof(x->field), "%s",
			 json_string_value(json_object_get(json_object_get(r.json, "error"), "field")) ?: "");
	}
	tl_resp_free(&r);
	return NULL;
}

static void test_burst_with_one_refused(void **state)
{
	struct api_fx *f = *state;
	enum { BURST = SERVER_THREADS, DUP = 3 };
	struct burster x[BURST];
	pthread_t th[BURST];
	pthread_barrier_t go;
	struct tl_resp r;
	char path[64];
	int64_t before;

	api_create(f, "persons", "{\"full_name\": \"Đã có\", \"sex\": \"male\", \"dob\": \"1990-01-01\","
		   " \"residence_ou\": \"16837\", \"national_id\": \"040090004321\"}");
	before = api_count(f, "persons");
	for (int round = 0; round < 5; round++) {
		assert_int_equal(pthread_barrier_init(&go, NULL, BURST), 0);
		for (int i = 0; i < BURST; i++) {
			x[i] = (struct burster){f, &go, round * BURST + i, i == DUP, 0, 0, ""};
			assert_int_equal(pthread_create(&th[i], NULL, burst_run, &x[i]), 0);
		}
		for (int i = 0; i < BURST; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&go);
		for (int i = 0; i < BURST; i++) {
			if (i == DUP) {
				if (x[i].status != 409 || strcmp(x[i].field, "national_id"))
					fail_msg("round %d: the duplicate got %ld (field %s), wanted 409 national_id", round,
						 x[i].status, x[i].field);
				continue;
			}
			if (x[i].status != 201)
				fail_msg("round %d, writer %d: wanted 201, got %ld", round, i, x[i].status);
			snprintf(path, sizeof(path), "/api/v1/persons/%lld", (long long)x[i].id);
			r = api_get(f, path, 200);
			tl_resp_free(&r);
		}
		assert_int_equal(api_count(f, "persons"), before + (round + 1) * (BURST - 1));
	}
	r = api_get(f, "/api/v1/audit?verify=1", 200);
	if (!json_is_true(json_object_get(r.json, "intact")))
		fail_msg("the audit chain is broken: %s", r.body);
	/* at least the entries of the kept writes, committed with them (reads' come through the queue) */
	assert_true(json_integer_value(json_object_get(r.json, "checked")) >= 1 + 5 * (BURST - 1));
	tl_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_acknowledged_write_is_there, setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_two_officers_one_wins, setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_burst_with_one_refused, setup, api_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
