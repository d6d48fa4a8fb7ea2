/* national.c: `pcmt demo --scale national`: a deterministic national data set for benchmarks on
 * the real 10,047 communes of 2025-03-01: about 1,000,000 persons, 30,000,000 drug tests and
 * 3,000,000 treatment episodes. The province demo (demo.c) validates every row; here rows are valid
 * by construction and go through the store's bulk path, committed every few million rows, because
 * validating 37 million JSON objects would take the benchmark's whole budget. */
#include "demo/national.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo/names.h"
#include "demo/rng.h"
#include "util/arena.h"
#include "util/date.h"
#include "util/text.h"

enum { BATCH = 20000, COMMIT_ROWS = 2000000 };

/* A buffer of rows for one entity, flushed through bulk_insert. */
struct batch {
	struct store *s;
	const struct entity_def *e;
	struct bulk_val *v;
	size_t n;
	struct arena *text;
	int64_t *rows_since_commit;
	int64_t first_id;   /* of the last flush */
	struct batch *dep;  /* flushed first: the rows these refer to (persons before their events) */
};

static int batch_init(struct batch *b, struct store *s, const struct entity_def *e, int64_t *since)
{
	memset(b, 0, sizeof(*b));
	b->s = s;
	b->e = e;
	b->rows_since_commit = since;
	b->v = calloc((size_t)BATCH * (size_t)e->nfields, sizeof(*b->v));
	b->text = arena_new((size_t)BATCH * 512);
	return b->v && b->text ? 0 : -1;
}

static int batch_flush(struct batch *b, struct pcmt_err *err)
{
	if (!b->n)
		return 0;
	if (b->dep && batch_flush(b->dep, err))
		return -1;
	if (b->s->ops->bulk_insert(b->s, b->e, b->v, b->n, &b->first_id, err))
		return -1;
	*b->rows_since_commit += (int64_t)b->n;
	b->n = 0;
	arena_free(b->text);
	b->text = arena_new((size_t)BATCH * 512);
	if (!b->text)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (*b->rows_since_commit >= COMMIT_ROWS) {
		if (b->s->ops->commit(b->s, err) || b->s->ops->begin(b->s, err))
			return -1;
		*b->rows_since_commit = 0;
	}
	return 0;
}

static void batch_free(struct batch *b)
{
	free(b->v);
	arena_free(b->text);
}

/* The row being filled; NULL on out of memory. */
static struct bulk_val *batch_row(struct batch *b, struct pcmt_err *err)
{
	struct bulk_val *r;

	if (b->n == BATCH && batch_flush(b, err))
		return NULL;
	r = b->v + b->n * (size_t)b->e->nfields;
	for (int i = 0; i < b->e->nfields; i++)
		r[i] = (struct bulk_val){1, 0, NULL};
	b->n++;
	return r;
}

static void set_i(struct bulk_val *r, const struct entity_def *e, const char *f, int64_t v)
{
	const struct field_def *fd = ent_field(e, f);

	r[fd - e->fields] = (struct bulk_val){0, v, NULL};
}

static void set_s(struct batch *b, struct bulk_val *r, const char *f, const char *v)
{
	const struct field_def *fd = ent_field(b->e, f);
	char *copy = v ? arena_strdup(b->text, v) : NULL;

	r[fd - b->e->fields] = copy ? (struct bulk_val){0, 0, copy} : (struct bulk_val){1, 0, NULL};
}

static void set_d(struct batch *b, struct bulk_val *r, const char *f, int32_t d)
{
	char buf[DATE_BUFSZ];

	if (d != DATE_NONE && d != INT32_MAX)
		set_s(b, r, f, date_format(d, buf));
}

struct commune {
	int64_t id;
	int province; /* GSO code, for citizen IDs */
	int64_t station;
};

struct collect {
	struct commune *c;
	int n, cap;
	const struct snap *s;
};

static int collect_fn(const struct snap *s, int32_t ci, void *cls)
{
	struct collect *k = cls;
	int32_t p = ci;

	if (k->n == k->cap) {
		int cap = k->cap ? k->cap * 2 : 1024;
		void *np = realloc(k->c, (size_t)cap * sizeof(*k->c));

		if (!np)
			return -1;
		k->c = np;
		k->cap = cap;
	}
	while (p >= 0 && s->ous[p].kind != OK_PROVINCE)
		p = s->ous[p].parent_ix;
	k->c[k->n].id = s->ous[ci].id;
	k->c[k->n].province = p >= 0 ? atoi(s->ous[p].code) : 40;
	k->c[k->n].station = 0;
	k->n++;
	return 0;
}

static const char *const cls_codes[] = {"addict", "illegal_user", "post_rehab", "psychosis", "released"};
static const char *const tx_kinds[] = {"compulsory_facility", "voluntary_facility", "voluntary_community", "methadone"};

int national_run(struct store *s, uint64_t seed, int64_t npersons, struct national_stats *st, struct pcmt_err *err)
{
	struct ent_ctx ctx = {date_today()};
	struct batch bf = {0}, bp = {0}, bc = {0}, bd = {0}, br = {0}, bt = {0}, bx = {0}, bs = {0};
	struct collect k = {0};
	struct snap *sn = NULL;
	int64_t since = 0, *weights = NULL, total = 0;
	int32_t today = ctx.today, start = date_from_ymd(2021, 1, 1);
	size_t len;
	const char *units = units_builtin(&len);
	int rc = -1, in_tx = 0;
	struct ou_info nation;

	memset(st, 0, sizeof(*st));
	/* 1. the real org units, through the validated path (10,807 rows) */
	if (s->ops->begin(s, err))
		return -1;
	in_tx = 1;
	if (units_import(s, &ctx, units, len, DATE_NONE, &st->units, err) || s->ops->commit(s, err))
		goto out;
	in_tx = 0;
	{
		json_t *c = NULL;

		if (s->ops->counts(s, &c, err))
			goto out;
		if (json_integer_value(json_object_get(c, "persons")) || json_integer_value(json_object_get(c, "facilities"))) {
			json_decref(c);
			err_set(err, ERR_CONFLICT, "db", "the database already holds persons or facilities: use a new one");
			goto out;
		}
		json_decref(c);
	}
	if (s->ops->ou_by_code(s, "VN", today, &nation, err) || !(sn = snap_new()) || s->ops->snap_load(s, sn, err) ||
	    snap_communes(sn, snap_ou_ix(sn, nation.id), today, collect_fn, &k) || k.n == 0) {
		if (!err->code)
			err_set(err, ERR_INTERNAL, NULL, "cannot list the communes");
		goto out;
	}
	st->communes = k.n;
	if (s->ops->bulk_mode(s, 1, err) || s->ops->begin(s, err))
		goto out;
	in_tx = 1;
	if (batch_init(&bf, s, &ent_facilities, &since) || batch_init(&bp, s, &ent_persons, &since) ||
	    batch_init(&bc, s, &ent_classifications, &since) || batch_init(&bd, s, &ent_determinations, &since) ||
	    batch_init(&br, s, &ent_records, &since) || batch_init(&bt, s, &ent_tests, &since) ||
	    batch_init(&bx, s, &ent_treatments, &since) || batch_init(&bs, s, &ent_support, &since)) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	bc.dep = bd.dep = br.dep = bt.dep = bx.dep = bs.dep = &bp;
	/* 2. a health station per commune, 85% qualified */
	for (int i = 0; i < k.n; i++) {
		struct rng r = rng_stream(seed, 11, (uint64_t)i);
		struct bulk_val *row = batch_row(&bf, err);

		if (!row)
			goto out;
		set_s(&bf, row, "name", "Trạm y tế xã");
		set_s(&bf, row, "kind", "health_station");
		set_i(row, &ent_facilities, "ou_id", k.c[i].id);
		set_i(row, &ent_facilities, "qualified", rng_chance(&r, 850));
		if (row[ent_field(&ent_facilities, "qualified") - ent_facilities.fields].i)
			set_d(&bf, row, "qualified_since", date_from_ymd(2022, 1, 1) + rng_below(&r, 700));
		set_s(&bf, row, "name_fold", "tram y te xa");
		if (bf.n == BATCH || i == k.n - 1) {
			size_t n = bf.n;

			if (batch_flush(&bf, err))
				goto out;
			for (size_t j = 0; j < n; j++)
				k.c[i + 1 - (int)n + (int)j].station = bf.first_id + (int64_t)j;
		}
	}
	st->facilities = k.n;
	/* 3. persons spread over communes with a heavy skew (many communes have almost none) */
	if (!(weights = calloc((size_t)k.n, sizeof(*weights)))) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (int i = 0; i < k.n; i++) {
		struct rng r = rng_stream(seed, 12, (uint64_t)i);
		int64_t x = rng_below(&r, 1000);

		total += x * x * x / 1000 + 1;
		weights[i] = total;
	}
	for (int64_t pi = 0; pi < npersons; pi++) {
		struct rng r = rng_stream(seed, 13, (uint64_t)pi);
		int64_t w = (int64_t)(rng_next(&r) % (uint64_t)total), pid;
		int lo = 0, hi = k.n - 1, female = rng_chance(&r, 80), ck = rng_pick(&r, (const int[]){40, 30, 18, 5, 7}, 5);
		int32_t dob = date_from_ymd(1965 + rng_below(&r, 40), 1 + rng_below(&r, 12), 1 + rng_below(&r, 28));
		int32_t from = start + rng_below(&r, today - 60 - start), t;
		int y, m, d, ntx;
		char name[128], nid[16], *fold;
		struct bulk_val *row;

		while (lo < hi) {
			int mid = (lo + hi) / 2;

			if (weights[mid] > w)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (!(row = batch_row(&bp, err)))
			goto out;
		names_person(&r, ETH_KINH, female, name, sizeof(name));
		date_to_ymd(dob, &y, &m, &d);
		snprintf(nid, sizeof(nid), "%03d%d%02d%06d", k.c[lo].province, (y >= 2000 ? 2 : 0) + female, y % 100,
			 (int)(pi % 1000000));
		fold = text_fold(name);
		set_s(&bp, row, "national_id", nid);
		set_s(&bp, row, "full_name", name);
		set_s(&bp, row, "sex", female ? "female" : "male");
		set_d(&bp, row, "dob", dob);
		set_i(row, &ent_persons, "residence_ou", k.c[lo].id);
		set_s(&bp, row, "name_fold", fold);
		free(fold);
		/* the person's id: persons are flushed in order, so id = first id of the table + index.
		 * Events reference it; they are flushed after the person's batch, never before. */
		pid = pi + 1;
		st->persons++;

		/* classification, record, determination */
		row = batch_row(&bc, err);
		if (!row)
			goto out;
		set_i(row, &ent_classifications, "person_id", pid);
		set_s(&bc, row, "kind", cls_codes[ck]);
		set_d(&bc, row, "date_from", from);
		st->classifications++;
		if (ck != 4) {
			row = batch_row(&br, err);
			if (!row)
				goto out;
			set_i(row, &ent_records, "person_id", pid);
			set_s(&br, row, "kind", ck == 0 ? "addict" : ck == 2 ? "post_rehab" : "illegal_user");
			set_d(&br, row, "opened", from);
			set_i(row, &ent_records, "managing_ou", k.c[lo].id);
			st->records++;
		}
		if (ck == 0) {
			row = batch_row(&bd, err);
			if (!row)
				goto out;
			set_i(row, &ent_determinations, "person_id", pid);
			set_d(&bd, row, "det_date", from);
			set_i(row, &ent_determinations, "facility_id", k.c[lo].station);
			set_s(&bd, row, "result", "addicted");
			set_s(&bd, row, "substance_group", rng_chance(&r, 700) ? "opioids" : "ats");
			st->determinations++;
		}
		/* tests every ~36 days on average from the classification date: about 30 per person */
		for (t = from + rng_below(&r, 20); t <= today; t += 18 + rng_below(&r, 37)) {
			int last = t + 55 > today;

			row = batch_row(&bt, err);
			if (!row)
				goto out;
			set_i(row, &ent_tests, "person_id", pid);
			set_d(&bt, row, "test_date", t);
			set_s(&bt, row, "kind", rng_chance(&r, 700) ? "periodic" : "sudden");
			set_s(&bt, row, "result", rng_chance(&r, last ? 3 : 50) ? "positive" : "negative");
			st->tests++;
		}
		/* treatment episodes until one is ongoing: at most 6 for addicts, 5 after rehabilitation, 2 for users */
		ntx = ck == 0 ? 6 : ck == 2 ? 5 : ck == 1 ? 2 : 0;
		for (int e = 0, ts = from; e < ntx; e++) {
			int kind = rng_below(&r, 4), len_days = 120 + rng_below(&r, 200);
			int32_t end = ts + len_days;
			int ongoing = (e == ntx - 1 && ck == 0) || end > today;

			row = batch_row(&bx, err);
			if (!row)
				goto out;
			set_i(row, &ent_treatments, "person_id", pid);
			set_s(&bx, row, "kind", tx_kinds[kind]);
			if (kind != 2)
				set_i(row, &ent_treatments, "facility_id", k.c[lo].station);
			set_d(&bx, row, "start_date", ts);
			set_d(&bx, row, "planned_end", ts + 365);
			if (!ongoing)
				set_d(&bx, row, "end_date", end);
			set_s(&bx, row, "outcome", ongoing ? "ongoing" : rng_chance(&r, 700) ? "completed" : "dropped_out");
			st->treatments++;
			if (ongoing)
				break;
			ts = end + 1 + rng_below(&r, 30);
		}
		if (ck == 2)
			for (int e = 0; e < 2; e++) {
				row = batch_row(&bs, err);
				if (!row)
					goto out;
				set_i(row, &ent_support, "person_id", pid);
				set_s(&bs, row, "kind", e ? "vocational_training" : "counselling");
				set_d(&bs, row, "support_date", from + 10 + rng_below(&r, 60) > today ? today : from + 10 + rng_below(&r, 60));
				st->support++;
			}
		/* persons first: events of a flushed person may follow in any later flush */
		if (bp.n == BATCH && batch_flush(&bp, err))
			goto out;
	}
	if (batch_flush(&bp, err) || batch_flush(&bc, err) || batch_flush(&bd, err) || batch_flush(&br, err) ||
	    batch_flush(&bt, err) || batch_flush(&bx, err) || batch_flush(&bs, err) || s->ops->commit(s, err))
		goto out;
	in_tx = 0;
	if (s->ops->bulk_mode(s, 0, err))
		goto out;
	rc = 0;
out:
	if (in_tx)
		s->ops->rollback(s);
	batch_free(&bf);
	batch_free(&bp);
	batch_free(&bc);
	batch_free(&bd);
	batch_free(&br);
	batch_free(&bt);
	batch_free(&bx);
	batch_free(&bs);
	free(weights);
	free(k.c);
	snap_free(sn);
	return rc;
}
