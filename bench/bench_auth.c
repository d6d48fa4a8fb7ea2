/* bench_auth.c: pcmt-bench-auth, what security costs a request (issues 6 and 10): the audit log's
 * append rate through the batching writer (auth/auditq.c, as `pcmt serve` runs it) against the
 * baseline of one transaction per entry (what auditing each read in its own write would cost),
 * the bearer-token check every API request makes, and one Argon2id password hash. On a fresh
 * database (SQLite in --dir, or --db URL for PostgreSQL). Figures are printed, never asserted. */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auditlog.h"
#include "auth/auditq.h"
#include "auth/auth.h"
#include "cli/cli.h"

#include <sodium.h>
#include <unistd.h>

static const char usage[] =
	"usage: pcmt-bench-auth [--db URL | --dir DIR] [--entries N] [--single N] [--checks N]\n\n"
	"On a fresh database (default a SQLite file in --dir, default /tmp; --db a PostgreSQL URL whose\n"
	"database is dropped and recreated), times: --entries (default 200000) audit entries pushed by\n"
	"two threads through the server's batching writer until committed; --single (default 2000)\n"
	"entries appended one transaction each (the baseline); --checks (default 20000) bearer-token\n"
	"checks; one Argon2id hash. Verifies the chain at the end.\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void entry(struct audit_entry *e, long i)
{
	memset(e, 0, sizeof(*e));
	audit_now(e->at);
	e->user_id = 1 + i % 50;
	snprintf(e->username, sizeof(e->username), "officer%ld", i % 50);
	snprintf(e->action, sizeof(e->action), "read");
	snprintf(e->entity, sizeof(e->entity), "persons");
	e->record_id = 1 + i % 1000000;
	snprintf(e->addr, sizeof(e->addr), "10.1.%ld.%ld", i % 200, i % 250);
	snprintf(e->outcome, sizeof(e->outcome), "ok");
}

struct pusher {
	struct auditq *q;
	long from, n;
};

static void *push(void *arg)
{
	struct pusher *p = arg;
	struct audit_entry e;

	for (long i = p->from; i < p->from + p->n; i++) {
		entry(&e, i);
		auditq_push(p->q, &e);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},      {"dir", required_argument, 0, 'D'},
					     {"entries", required_argument, 0, 'e'}, {"single", required_argument, 0, 's'},
					     {"checks", required_argument, 0, 'c'},  {0, 0, 0, 0}};
	const char *db = NULL, *dir = "/tmp";
	long entries = 200000, single = 2000, checks = 20000;
	char url[600], tok[AUTH_TOKEN_LEN + 1], hash[AUTH_PW_HASH_MAX];
	struct pcmt_err err;
	struct store *s;
	struct auditq *q;
	struct auth_user u;
	struct audit_verdict v;
	pthread_t th[2];
	struct pusher pu[2];
	double t0, batch_s, single_s, check_s, hash_s;
	int64_t uid;
	int c;
	FILE *la;
	char load[64] = "?";

	if (sodium_init() < 0)
		return 1;
	while ((c = getopt_long(argc, argv, "d:D:e:s:c:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'D': dir = optarg; break;
		case 'e': entries = atol(optarg); break;
		case 's': single = atol(optarg); break;
		case 'c': checks = atol(optarg); break;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (entries < 2 || single < 1 || checks < 1) {
		fputs(usage, stderr);
		return 2;
	}
	err_clear(&err);
	if (db)
		snprintf(url, sizeof(url), "%s", db);
	else
		snprintf(url, sizeof(url), "%s/pcmt-bench-auth-%d.db", dir, (int)getpid());
	store_destroy(url, &err);
	if (!(s = cli_open(url, 1)))
		return 1;
	if ((la = fopen("/proc/loadavg", "r"))) {
		if (!fgets(load, sizeof(load), la))
			snprintf(load, sizeof(load), "?");
		load[strcspn(load, "\n")] = '\0';
		fclose(la);
	}
	printf("backend %s, load %s (1, 5, 15 min, ...)\n", s->ops->name, load);

	/* 1. the server's path: two request threads pushing, one writer appending batches */
	if (!(q = auditq_start(url, NULL, &err))) {
		fprintf(stderr, "pcmt-bench-auth: %s\n", err.message);
		return 1;
	}
	t0 = now_s();
	for (int i = 0; i < 2; i++) {
		pu[i] = (struct pusher){q, i * (entries / 2), entries / 2};
		pthread_create(&th[i], NULL, push, &pu[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	auditq_flush(q);
	batch_s = now_s() - t0;
	auditq_stop(q);

	/* 2. the baseline: one transaction per entry */
	t0 = now_s();
	for (long i = 0; i < single; i++) {
		struct audit_entry e;

		entry(&e, i);
		if (s->ops->audit_append(s, &e, 1, &err)) {
			fprintf(stderr, "pcmt-bench-auth: %s\n", err.message);
			return 1;
		}
	}
	single_s = now_s() - t0;

	/* 3. what every API request pays to know its caller */
	if (auth_user_add(s, "bench", "admin", NULL, NULL, &uid, &err) ||
	    auth_token_issue(s, uid, "bearer", 3600, "bench", tok, &err)) {
		fprintf(stderr, "pcmt-bench-auth: %s\n", err.message);
		return 1;
	}
	for (int i = 0; i < 999; i++) { /* other users' tokens in the table */
		char other[AUTH_TOKEN_LEN + 1];

		auth_token_issue(s, uid, i % 2 ? "bearer" : "session", 3600, "bench", other, &err);
	}
	t0 = now_s();
	for (long i = 0; i < checks; i++)
		if (auth_token_check(s, tok, "bearer", &u, &err)) {
			fprintf(stderr, "pcmt-bench-auth: token check failed: %s\n", err.message);
			return 1;
		}
	check_s = now_s() - t0;

	/* 4. one login's password work */
	t0 = now_s();
	if (auth_pw_hash("a benchmark password", hash, &err))
		return 1;
	hash_s = now_s() - t0;

	if (audit_verify(s, &v, &err) || v.broken_at || v.checked != entries / 2 * 2 + single) {
		fprintf(stderr, "pcmt-bench-auth: the chain does not verify: %s (%lld checked)\n", v.why, (long long)v.checked);
		return 1;
	}
	printf("audit, batching writer   %8ld entries in %7.2f s = %9.0f entries/s (2 pushing threads)\n",
	       entries / 2 * 2, batch_s, (double)(entries / 2 * 2) / batch_s);
	printf("audit, one tx per entry  %8ld entries in %7.2f s = %9.0f entries/s (baseline)\n", single, single_s,
	       (double)single / single_s);
	printf("ratio                    %.1fx\n", ((double)(entries / 2 * 2) / batch_s) / ((double)single / single_s));
	printf("token check              %8ld checks  in %7.2f s = %9.0f checks/s, %.1f us each (one thread)\n", checks,
	       check_s, (double)checks / check_s, check_s / (double)checks * 1e6);
	printf("Argon2id hash            %.3f s (opslimit %llu, memlimit %llu MiB)\n", hash_s,
	       (unsigned long long)AUTH_PW_OPSLIMIT, (unsigned long long)(AUTH_PW_MEMLIMIT >> 20));
	printf("chain verified           %lld entries intact\n", (long long)v.checked);
	store_close(s);
	store_destroy(url, &err);
	return 0;
}
