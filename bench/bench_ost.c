/* bench_ost.c: pcmt-bench-ost, the substitution clinic's benchmark (issue 11): what a counter waits
 * for at a 500-patient clinic -- the day's queue, and recording a dose with its stock movement -- on a
 * given database (a copy of the national data set) and, in the same run, on a fresh database that
 * holds nothing but the same clinic (the baseline: the ratio shows what the national data set costs).
 * It adds the clinic first when the database has none (bench/ost.sh says how), then times the engine
 * calls the API makes (engine/ost.c), without HTTP. Figures are printed, never asserted. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "demo/rng.h"
#include "engine/ost.h"
#include "engine/rulebook.h"
#include "util/date.h"

#define CLINIC_NAME "Cơ sở điều trị Methadone (benchmark)"

static const char usage[] =
	"usage: pcmt-bench-ost --db URL [--district CODE] [--patients N] [--rounds N] [--doses N] [--fresh-dir DIR]\n"
	"                      [--scoped]\n\n"
	"Adds to --db (once) a methadone clinic in --district (default 417) with --patients (default 500)\n"
	"patients residing there, each with a methadone episode, 30-day maintenance prescriptions and 60\n"
	"days of doses (92% adherence, some missed runs), bulk-loaded; then times the queue of today\n"
	"(--rounds, default 20: min, median, p95) and --doses doses (default 100) recorded one by one for\n"
	"patients still waiting. The same is done on a fresh SQLite database in --fresh-dir (default\n"
	"/tmp) holding only that clinic, as the baseline of the ratios. --scoped runs both as a caller\n"
	"confined to the district (as a health worker there is). The last line, \"bench: ...\", is for\n"
	"scripts.\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the process (user + system): what the work cost, whatever else the machine runs. */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stats {
	double min, median, p95; /* ms */
	int n;
};

static struct stats summarise(double *t, int n)
{
	struct stats s = {0, 0, 0, n};

	if (!n)
		return s;
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	s.min = t[0] * 1e3;
	s.median = (n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2) * 1e3;
	s.p95 = t[(int)((n - 1) * 0.95)] * 1e3;
	return s;
}

static void vi(struct bulk_val *v, int64_t i)
{
	memset(v, 0, sizeof(*v));
	v->i = i;
}

static void vs(struct bulk_val *v, const char *s)
{
	memset(v, 0, sizeof(*v));
	v->s = s;
	v->is_null = s == NULL;
}

static int fail(const char *what, const struct pcmt_err *err)
{
	fprintf(stderr, "pcmt-bench-ost: %s: %s%s%s\n", what, err->field[0] ? err->field : "", err->field[0] ? ": " : "",
		err->message);
	return -1;
}

/* The clinic already there, or 0. */
static int64_t find_clinic(struct store *s, int64_t district, struct pcmt_err *err)
{
	struct store_query q;
	json_t *k = json_string("ost_point"), *ou = json_integer(district), *items = NULL, *it;
	int64_t total, id = 0;
	size_t i;

	memset(&q, 0, sizeof(q));
	q.eq[0].field = "kind";
	q.eq[0].value = k;
	q.eq[1].field = "ou_id";
	q.eq[1].value = ou;
	q.neq = 2;
	q.as_of = DATE_NONE;
	q.limit = 1000;
	if (s->ops->list(s, &ent_facilities, &q, &items, &total, err) == 0)
		json_array_foreach(items, i, it)
			if (!strcmp(json_string_value(json_object_get(it, "name")), CLINIC_NAME))
				id = json_integer_value(json_object_get(it, "id"));
	json_decref(items);
	json_decref(k);
	json_decref(ou);
	return id;
}

/* Adds the clinic and its patients' last 60 days; returns the clinic's id or 0. persons: the
 * patients' ids (n of them). */
static int64_t add_clinic(struct store *s, int64_t district, const int64_t *persons, int n, int32_t T,
			  struct pcmt_err *err)
{
	json_t *fac = json_pack("{s:s, s:s, s:I}", "name", CLINIC_NAME, "kind", "ost_point", "ou_id", (json_int_t)district),
	       *out = NULL;
	struct ent_ctx ctx = {T};
	json_t *val = NULL;
	int64_t id = 0, first = 0;
	struct bulk_val *v = NULL;
	char days[300][DATE_BUFSZ];
	int32_t d0 = T - 240;
	size_t k = 0;
	int rc = -1, nblocks = 9;

	for (int i = 0; i < 300; i++)
		date_format(d0 + i, days[i]);
	if (ent_validate(&ent_facilities, &ctx, fac, 0, &val, err) || s->ops->insert(s, &ent_facilities, NULL, val, &out, err))
		goto out;
	id = json_integer_value(json_object_get(out, "id"));
	if (s->ops->bulk_mode(s, 1, err) || s->ops->begin(s, err))
		goto out;
	/* treatments: one methadone episode each, from T-240, ongoing */
	if (!(v = calloc((size_t)n * 60 * 9 + 64, sizeof(*v))))
		goto oom;
	for (int p = 0; p < n; p++, k += 7) {
		vi(&v[k], persons[p]);
		vs(&v[k + 1], "methadone");
		vi(&v[k + 2], id);
		vs(&v[k + 3], days[0]);
		vs(&v[k + 4], NULL);
		vs(&v[k + 5], NULL);
		vs(&v[k + 6], "ongoing");
	}
	if (s->ops->bulk_insert(s, &ent_treatments, v, (size_t)n, &first, err))
		goto rollback;
	{
		int64_t tx0 = first, rx0;

		/* prescriptions: 30-day maintenance blocks from T-239 to T+30 (9 per patient) */
		k = 0;
		for (int p = 0; p < n; p++)
			for (int b = 0; b < nblocks; b++, k += 10) {
				vi(&v[k], persons[p]);
				vi(&v[k + 1], tx0 + p);
				vi(&v[k + 2], id);
				vs(&v[k + 3], "methadone");
				vi(&v[k + 4], 60 + 5 * (p % 20));
				vs(&v[k + 5], "maintenance");
				vs(&v[k + 6], "BS. Benchmark");
				vs(&v[k + 7], days[1 + 30 * b]);
				vs(&v[k + 8], days[30 + 30 * b]);
				vs(&v[k + 9], NULL);
			}
		if (s->ops->bulk_insert(s, &ent_ost_prescriptions, v, (size_t)n * (size_t)nblocks, &rx0, err))
			goto rollback;
		/* doses for T-60 .. T-1: 92% adherence and a few missed runs, so that streaks exist */
		k = 0;
		for (int p = 0; p < n; p++) {
			struct rng r = rng_stream(11, 7, (uint64_t)p);
			int streak = 0;

			for (int32_t d = T - 60; d < T; d++) {
				int b = (d - (d0 + 1)) / 30;

				if (streak > 0) {
					streak--;
					continue;
				}
				if (rng_chance(&r, 8)) {
					streak = rng_range(&r, 2, 6);
					continue;
				}
				if (!rng_chance(&r, 920))
					continue;
				vi(&v[k], persons[p]);
				vi(&v[k + 1], rx0 + (int64_t)p * nblocks + b);
				vi(&v[k + 2], id);
				vi(&v[k + 3], id);
				vs(&v[k + 4], days[d - d0]);
				vs(&v[k + 5], days[d - d0]);
				vs(&v[k + 6], "witnessed");
				vi(&v[k + 7], 60 + 5 * (p % 20));
				vs(&v[k + 8], NULL);
				k += 9;
			}
		}
		if (s->ops->bulk_insert(s, &ent_ost_doses, v, k / 9, &first, err))
			goto rollback;
		/* a receipt, so that doses know the concentration */
		vi(&v[0], id);
		vs(&v[1], days[240 - 61]);
		vs(&v[2], "receipt");
		vi(&v[3], 500000000);
		vi(&v[4], 10);
		vs(&v[5], NULL);
		vs(&v[6], NULL);
		vs(&v[7], NULL);
		if (s->ops->bulk_insert(s, &ent_ost_stock, v, 1, &first, err))
			goto rollback;
	}
	if (s->ops->commit(s, err) || s->ops->bulk_mode(s, 0, err))
		goto out;
	rc = 0;
	goto out;
oom:
	err->code = ERR_INTERNAL;
	snprintf(err->message, sizeof(err->message), "out of memory");
	goto out;
rollback:
	s->ops->rollback(s);
	s->ops->bulk_mode(s, 0, err);
out:
	free(v);
	json_decref(fac);
	json_decref(val);
	json_decref(out);
	return rc == 0 ? id : 0;
}

/* n persons residing under district (their ids into ids). */
static int persons_under(struct store *s, int64_t district, int n, int64_t *ids, struct pcmt_err *err)
{
	struct store_query q;
	json_t *items = NULL, *it;
	int64_t total;
	int got = 0;
	size_t i;

	memset(&q, 0, sizeof(q));
	q.ou_subtree = district;
	q.as_of = DATE_NONE;
	q.limit = n < 1000 ? n : 1000;
	for (q.offset = 0; got < n; q.offset += q.limit) {
		if (s->ops->list(s, &ent_persons, &q, &items, &total, err))
			return -1;
		json_array_foreach(items, i, it) {
			int64_t id = json_integer_value(json_object_get(it, "id"));
			struct store_query dq;
			json_t *pv = json_integer(id), *d = NULL;
			int64_t dn = 0;

			/* only persons who are nobody's patient yet: the clinic's doses must be theirs alone */
			memset(&dq, 0, sizeof(dq));
			dq.eq[0].field = "person_id";
			dq.eq[0].value = pv;
			dq.neq = 1;
			dq.as_of = DATE_NONE;
			dq.limit = 1;
			if (s->ops->list(s, &ent_ost_doses, &dq, &d, &dn, err)) {
				json_decref(pv);
				json_decref(items);
				return -1;
			}
			json_decref(d);
			json_decref(pv);
			if (got < n && dn == 0)
				ids[got++] = id;
		}
		if (json_array_size(items) < (size_t)q.limit) {
			json_decref(items);
			break;
		}
		json_decref(items);
	}
	return got;
}

/* A fresh SQLite database with VN > 40 > district > commune and n persons in the commune. */
static struct store *fresh_db(const char *path, const char *district_code, int n, int32_t T, int64_t *district,
			      int64_t *ids, struct pcmt_err *err)
{
	struct store *s;
	struct ent_ctx ctx = {T};
	static const char *const units[][4] = {{"VN", "Việt Nam", "nation", NULL}, {"40", "Nghệ An", "province", "VN"}};
	json_t *o, *val, *out;
	int64_t parent = 0, commune = 0;
	char name[64];

	remove(path);
	if (!(s = store_open(path, err)) || s->ops->migrate(s, NULL, NULL, err))
		return NULL;
	for (int u = 0; u < 4; u++) {
		const char *code = u < 2 ? units[u][0] : u == 2 ? district_code : "99999";
		const char *kind = u < 2 ? units[u][2] : u == 2 ? "district" : "commune";

		o = json_pack("{s:s, s:s, s:s}", "code", code, "name", u < 2 ? units[u][1] : code, "kind", kind);
		if (parent)
			json_object_set_new(o, "parent_id", json_integer(parent));
		val = out = NULL;
		if (ent_validate(&ent_orgunits, &ctx, o, 0, &val, err) || s->ops->insert(s, &ent_orgunits, NULL, val, &out, err)) {
			json_decref(o);
			json_decref(val);
			return NULL;
		}
		parent = json_integer_value(json_object_get(out, "id"));
		if (u == 2)
			*district = parent;
		commune = parent;
		json_decref(o);
		json_decref(val);
		json_decref(out);
	}
	if (s->ops->begin(s, err))
		return NULL;
	for (int p = 0; p < n; p++) {
		snprintf(name, sizeof(name), "Bệnh nhân %d", p + 1);
		o = json_pack("{s:s, s:s, s:I}", "full_name", name, "sex", p % 7 ? "male" : "female", "residence_ou",
			      (json_int_t)commune);
		val = out = NULL;
		if (ent_validate(&ent_persons, &ctx, o, 0, &val, err) || s->ops->insert(s, &ent_persons, NULL, val, &out, err)) {
			json_decref(o);
			json_decref(val);
			s->ops->rollback(s);
			return NULL;
		}
		ids[p] = json_integer_value(json_object_get(out, "id"));
		json_decref(o);
		json_decref(val);
		json_decref(out);
	}
	return s->ops->commit(s, err) ? NULL : s;
}

struct result {
	struct stats queue, dose, queue_cpu;
	int due, waiting, recorded;
	double setup_s;
};

/* Times the queue and the doses on s for clinic fac. */
static int measure(struct store *s, int64_t fac, int32_t T, int rounds, int ndoses, const struct scope *sc,
		   struct result *res)
{
	struct rulebook rb;
	struct pcmt_err err;
	struct ost_env env;
	double *tq = calloc((size_t)rounds + 1, sizeof(double)), *td = calloc((size_t)ndoses + 1, sizeof(double));
	double *cq = calloc((size_t)rounds + 1, sizeof(double));
	json_t *q = NULL, *p;
	int64_t *waiting = calloc(2000, sizeof(int64_t));
	int nw = 0, rc = -1;
	size_t i;

	err_clear(&err);
	rulebook_init(&rb);
	if (!tq || !td || !cq || !waiting || rulebook_open(s, &rb, &err)) {
		fail("rulebook", &err);
		goto out;
	}
	env = (struct ost_env){s, sc, &rb, {T}};
	for (int k = 0; k < rounds; k++) {
		double t0 = now_s(), c0 = cpu_s();

		json_decref(q);
		if (ost_queue(&env, fac, T, NULL, &q, &err)) {
			fail("queue", &err);
			goto out;
		}
		tq[k] = now_s() - t0;
		cq[k] = cpu_s() - c0;
	}
	res->queue = summarise(tq, rounds);
	res->queue_cpu = summarise(cq, rounds);
	res->due = (int)json_integer_value(json_object_get(json_object_get(q, "summary"), "due"));
	json_array_foreach(json_object_get(q, "patients"), i, p)
		if (json_is_null(json_object_get(p, "dosed")) && nw < 2000)
			waiting[nw++] = json_integer_value(json_object_get(p, "person_id"));
	res->waiting = nw;
	res->recorded = 0;
	for (int k = 0; k < ndoses && k < nw; k++) {
		json_t *body = json_pack("{s:I}", "person_id", (json_int_t)waiting[k]), *out = NULL;
		double t0 = now_s();

		if (ost_dose_record(&env, body, &out, &err)) {
			json_decref(body);
			fail("dose", &err);
			goto out;
		}
		td[res->recorded++] = now_s() - t0;
		json_decref(body);
		json_decref(out);
	}
	res->dose = summarise(td, res->recorded);
	rc = 0;
out:
	json_decref(q);
	rulebook_free(&rb);
	free(tq);
	free(cq);
	free(td);
	free(waiting);
	return rc;
}

static void report(const char *label, const struct result *r)
{
	printf("%-24s queue of %d due: min %.1f ms, median %.1f ms, p95 %.1f ms (%d rounds); CPU median %.1f ms, min %.1f\n",
	       label, r->due, r->queue.min, r->queue.median, r->queue.p95, r->queue.n, r->queue_cpu.median, r->queue_cpu.min);
	printf("%-24s dose + stock movement: min %.2f ms, median %.2f ms, p95 %.2f ms (%d doses)\n", "", r->dose.min,
	       r->dose.median, r->dose.p95, r->dose.n);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},       {"district", required_argument, 0, 'D'},
					     {"patients", required_argument, 0, 'p'}, {"rounds", required_argument, 0, 'r'},
					     {"doses", required_argument, 0, 'n'},    {"fresh-dir", required_argument, 0, 'f'},
					     {"scoped", no_argument, 0, 's'},         {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	const char *db = NULL, *dcode = "417", *fresh_dir = "/tmp";
	int npat = 500, rounds = 20, ndoses = 100, c, scoped = 0;
	struct scope nat_scope = {0}, base_scope = {0};
	struct pcmt_err err;
	struct store *s = NULL, *f = NULL;
	struct ou_info ou;
	struct result nat, base;
	int64_t *ids, fac, district = 0;
	int32_t T = date_today();
	char fpath[512];
	double t0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'D': dcode = optarg; break;
		case 'p': npat = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'n': ndoses = atoi(optarg); break;
		case 'f': fresh_dir = optarg; break;
		case 's': scoped = 1; break;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!db || npat < 1 || npat > 2000 || rounds < 1 || ndoses < 0) {
		fputs(usage, stderr);
		return 2;
	}
	err_clear(&err);
	memset(&nat, 0, sizeof(nat));
	memset(&base, 0, sizeof(base));
	if (!(ids = calloc((size_t)npat, sizeof(*ids))))
		return 1;
	/* the national copy */
	t0 = now_s();
	if (!(s = cli_open(db, 1)))
		return 1;
	if (s->ops->ou_by_code(s, dcode, T, &ou, &err))
		return fail("district", &err), 1;
	if (!(fac = find_clinic(s, ou.id, &err))) {
		int got = persons_under(s, ou.id, npat, ids, &err);

		if (got < npat)
			return fprintf(stderr, "pcmt-bench-ost: only %d persons under %s\n", got, dcode), 1;
		if (!(fac = add_clinic(s, ou.id, ids, npat, T, &err)))
			return fail("adding the clinic", &err), 1;
	}
	{
		int added = 0;

		if (rulebook_upgrade(s, &added, NULL, &err))
			return fail("rules", &err), 1;
		if (added)
			printf("added %d built-in rules the copy's rulebook predates (as pcmt migrate does)\n", added);
	}
	nat.setup_s = now_s() - t0;
	printf("database %s: clinic %lld in %s %s (set up or found in %.1f s)\n", db, (long long)fac, ou.code, ou.name,
	       nat.setup_s);
	nat_scope.ou_id = scoped ? ou.id : 0;
	if (measure(s, fac, T, rounds, ndoses, scoped ? &nat_scope : NULL, &nat))
		return 1;
	report("national copy", &nat);
	store_close(s);
	/* the baseline: the same clinic alone */
	snprintf(fpath, sizeof(fpath), "%s/pcmt-bench-ost-fresh.db", fresh_dir);
	t0 = now_s();
	if (!(f = fresh_db(fpath, dcode, npat, T, &district, ids, &err)) || !(fac = add_clinic(f, district, ids, npat, T, &err)))
		return fail("the fresh database", &err), 1;
	base.setup_s = now_s() - t0;
	base_scope.ou_id = scoped ? district : 0;
	if (measure(f, fac, T, rounds, ndoses, scoped ? &base_scope : NULL, &base))
		return 1;
	report("fresh (clinic only)", &base);
	store_close(f);
	remove(fpath);
	snprintf(fpath, sizeof(fpath), "%s/pcmt-bench-ost-fresh.db-wal", fresh_dir);
	remove(fpath);
	snprintf(fpath, sizeof(fpath), "%s/pcmt-bench-ost-fresh.db-shm", fresh_dir);
	remove(fpath);
	printf("ratio national / fresh: queue median %.2fx (CPU %.2fx), dose median %.2fx\n", nat.queue.median / base.queue.median,
	       nat.queue_cpu.median / base.queue_cpu.median, nat.dose.median / base.dose.median);
	printf("bench: due=%d queue_median_ms=%.2f queue_p95_ms=%.2f queue_cpu_median_ms=%.2f dose_median_ms=%.3f "
	       "dose_p95_ms=%.3f base_queue_median_ms=%.2f base_queue_cpu_median_ms=%.2f base_dose_median_ms=%.3f\n",
	       nat.due, nat.queue.median, nat.queue.p95, nat.queue_cpu.median, nat.dose.median, nat.dose.p95,
	       base.queue.median, base.queue_cpu.median, base.dose.median);
	free(ids);
	return 0;
}
