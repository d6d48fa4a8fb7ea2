/* cmd_copy.c: `pcmt copy`: moves a whole database between backends (SQLite <-> PostgreSQL, or
 * either to itself), ids kept, and proves the copy by reading both sides back: per table, the row
 * count and a digest of every row. A row's digest is BLAKE2b-256 (libsodium crypto_generichash) of
 * its canonical text (store.h, raw_read: the same bytes on every backend), columns in name order;
 * a table's digest is the sum of its rows' digests modulo 2^256, so it does not depend on the order
 * rows come in, which differs between backends. Everything goes through the store interface
 * (raw_tables, raw_read, raw_write), so this file knows no backend. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/vault.h"
#include "util/arena.h"

static const char usage[] =
	"usage: pcmt copy --from URL --to URL [--replace]\n"
	"       pcmt copy --digest --from URL\n\n"
	"Copies every table of a database (org units, facilities, persons and all their records, plans,\n"
	"operations records, the rulebook) with its ids into another one, of either backend:\n"
	"  pcmt copy --from sqlite:pcmt.db --to postgresql://pcmt@db.example/pcmt\n"
	"  pcmt copy --from postgresql://pcmt@db.example/pcmt --to sqlite:backup.db\n"
	"The destination is created and migrated if need be and must be empty (--replace drops it\n"
	"first). The change log is not copied: servers on the destination start from a full load.\n"
	"Then both databases are read back and, per table, the row counts and digests (BLAKE2b-256 of\n"
	"each row's canonical text, summed over the rows) are printed and compared.\n"
	"--digest prints the counts and digests of one database, for comparing by hand.\n\n"
	"The source must have this pcmt's schema (pcmt migrate --db URL first). It is read in one\n"
	"snapshot (SQLite: writers wait until the copy is done).\n\n"
	"Exit status 0 when every table matches, 1 on error or any difference, 2 on bad usage.\n";

enum { MAXCOL = 64, BATCH_ROWS = 5000, BATCH_BYTES = 16 << 20 };

struct digest {
	int64_t rows;
	unsigned char sum[crypto_generichash_BYTES];
};

/* One table's rows on their way: digested, and buffered for the destination. */
struct pass {
	struct store *dst;       /* NULL: digest only */
	const char *table;
	int ncols;               /* 0 until the first row */
	const char *cols[MAXCOL];
	int order[MAXCOL];       /* column indexes in name order */
	struct arena *mem;       /* buffered values */
	const char **vals;       /* BATCH_ROWS * ncols */
	size_t nrows;
	struct digest d;
	int stop_at_first;       /* emptiness check */
	struct pcmt_err *err;
	int failed;
};

static void digest_row(struct pass *p, const char *const *vals)
{
	crypto_generichash_state st;
	unsigned char h[crypto_generichash_BYTES];
	unsigned carry = 0;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	for (int k = 0; k < p->ncols; k++) {
		int i = p->order[k];
		const char *v = vals[i];

		crypto_generichash_update(&st, (const unsigned char *)p->cols[i], strlen(p->cols[i]) + 1);
		if (v) {
			crypto_generichash_update(&st, (const unsigned char *)"V", 1);
			crypto_generichash_update(&st, (const unsigned char *)v, strlen(v) + 1);
		} else {
			crypto_generichash_update(&st, (const unsigned char *)"N", 1);
		}
	}
	crypto_generichash_final(&st, h, sizeof(h));
	for (size_t b = 0; b < sizeof(h); b++) { /* little-endian add, modulo 2^256 */
		unsigned t = p->d.sum[b] + h[b] + carry;

		p->d.sum[b] = (unsigned char)t;
		carry = t >> 8;
	}
	p->d.rows++;
}

static int flush(struct pass *p)
{
	if (!p->dst || !p->nrows)
		return 0;
	if (p->dst->ops->raw_write(p->dst, p->table, p->ncols, p->cols, p->vals, p->nrows, p->err)) {
		p->failed = 1;
		return -1;
	}
	p->nrows = 0;
	arena_free(p->mem);
	if (!(p->mem = arena_new((size_t)BATCH_BYTES * 2))) {
		p->failed = 1;
		return err_set(p->err, ERR_INTERNAL, NULL, "out of memory");
	}
	return 0;
}

static int on_row(void *cls, int ncols, const char *const *cols, const char *const *vals)
{
	struct pass *p = cls;

	if (p->stop_at_first) {
		p->d.rows++;
		return 1;
	}
	if (!p->ncols) {
		if (ncols > MAXCOL) {
			p->failed = 1;
			err_set(p->err, ERR_INTERNAL, NULL, "%s has more than %d columns", p->table, MAXCOL);
			return 1;
		}
		for (int i = 0; i < ncols; i++) {
			if (!(p->cols[i] = strdup(cols[i]))) {
				p->failed = 1;
				err_set(p->err, ERR_INTERNAL, NULL, "out of memory");
				return 1;
			}
			p->ncols = i + 1;
		}
		/* column indexes in name order (insertion sort: a few dozen columns) */
		for (int i = 0; i < ncols; i++) {
			int k = i;

			while (k > 0 && strcmp(p->cols[p->order[k - 1]], p->cols[i]) > 0) {
				p->order[k] = p->order[k - 1];
				k--;
			}
			p->order[k] = i;
		}
	}
	digest_row(p, vals);
	if (!p->dst)
		return 0;
	for (int i = 0; i < ncols; i++) {
		const char **slot = &p->vals[p->nrows * (size_t)ncols + (size_t)i];

		*slot = NULL;
		if (vals[i] && !(*slot = arena_strdup(p->mem, vals[i]))) {
			p->failed = 1;
			err_set(p->err, ERR_INTERNAL, NULL, "out of memory");
			return 1;
		}
	}
	p->nrows++;
	if ((p->nrows == BATCH_ROWS || arena_used(p->mem) > BATCH_BYTES) && flush(p))
		return 1;
	return 0;
}

/* Reads one table through a pass (copying it when p->dst is set). */
static int run_pass(struct store *src, struct pass *p)
{
	int rc;

	if (p->dst) {
		p->mem = arena_new((size_t)BATCH_BYTES * 2);
		p->vals = calloc((size_t)BATCH_ROWS * MAXCOL, sizeof(*p->vals));
		if (!p->mem || !p->vals) {
			arena_free(p->mem);
			free(p->vals);
			return err_set(p->err, ERR_INTERNAL, NULL, "out of memory");
		}
	}
	rc = src->ops->raw_read(src, p->table, on_row, p, p->err);
	if (rc == 0 && !p->failed)
		rc = flush(p);
	for (int i = 0; i < p->ncols; i++)
		free((char *)p->cols[i]);
	arena_free(p->mem);
	free(p->vals);
	p->mem = NULL;
	p->vals = NULL;
	return rc || p->failed ? -1 : 0;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The tables in load order: entity tables in ent_all's (references first), then the rest by name. */
static json_t *table_order(json_t *tables)
{
	json_t *order = json_array(), *rest = json_array(), *v;
	const char *name;
	size_t i;

	for (i = 0; ent_all[i]; i++)
		if (json_object_get(tables, ent_all[i]->table))
			json_array_append_new(order, json_string(ent_all[i]->table));
	json_object_foreach(tables, name, v) {
		int seen = 0;

		for (i = 0; ent_all[i]; i++)
			seen |= !strcmp(ent_all[i]->table, name);
		if (!seen)
			json_array_append_new(rest, json_string(name));
	}
	/* json objects keep insertion order; raw_tables inserts by name, but sort to be sure */
	for (size_t a = 0; a < json_array_size(rest); a++)
		for (size_t b = a + 1; b < json_array_size(rest); b++)
			if (strcmp(json_string_value(json_array_get(rest, a)), json_string_value(json_array_get(rest, b))) > 0) {
				json_t *x = json_incref(json_array_get(rest, a));

				json_array_set(rest, a, json_array_get(rest, b));
				json_array_set_new(rest, b, x);
			}
	json_array_extend(order, rest);
	json_decref(rest);
	return order;
}

/* Same tables with the same columns (in any order)? Names the first difference in msg. */
static int same_schema(json_t *a, json_t *b, char *msg, size_t n)
{
	const char *name;
	json_t *ca, *cb, *c;
	size_t i, j;

	json_object_foreach(a, name, ca) {
		if (!(cb = json_object_get(b, name))) {
			snprintf(msg, n, "table %s is only in the source", name);
			return 0;
		}
		if (json_array_size(ca) != json_array_size(cb)) {
			snprintf(msg, n, "table %s has %zu columns in the source, %zu in the destination", name,
				 json_array_size(ca), json_array_size(cb));
			return 0;
		}
		json_array_foreach(ca, i, c) {
			int found = 0;

			for (j = 0; j < json_array_size(cb); j++)
				found |= json_equal(c, json_array_get(cb, j));
			if (!found) {
				snprintf(msg, n, "column %s.%s is only in the source", name, json_string_value(c));
				return 0;
			}
		}
	}
	json_object_foreach(b, name, cb)
		if (!json_object_get(a, name)) {
			snprintf(msg, n, "table %s is only in the destination", name);
			return 0;
		}
	return 1;
}

/* 1 when table holds the same rows in a and b (count and digest), 0 when not, -1 on an error. */
static int same_rows(struct store *a, struct store *b, const char *table, struct pcmt_err *err)
{
	struct pass pa, pb;

	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	pa.table = pb.table = table;
	pa.err = pb.err = err;
	if (run_pass(a, &pa) || run_pass(b, &pb))
		return -1;
	return pa.d.rows == pb.d.rows && !memcmp(pa.d.sum, pb.d.sum, sizeof(pa.d.sum));
}

static int digest_only(struct store *s, json_t *order, struct pcmt_err *err)
{
	char h[2 * crypto_generichash_BYTES + 1];
	json_t *t;
	size_t i;

	json_array_foreach(order, i, t) {
		struct pass p;

		memset(&p, 0, sizeof(p));
		p.table = json_string_value(t);
		p.err = err;
		if (run_pass(s, &p))
			return -1;
		hex(p.d.sum, sizeof(p.d.sum), h);
		printf("%-24s %10lld  %s\n", p.table, (long long)p.d.rows, h);
	}
	return 0;
}

/* Sealed identities are copied as they are: the destination needs the source's key file. When the
 * two databases' key files differ (FILE.key beside each SQLite file) and the destination has none,
 * the source's is written there (mode 600). */
static int copy_key(const char *from, const char *to)
{
	char sp[1024], dp[1024];
	const struct vault *v;
	struct pcmt_err err;

	err_clear(&err);
	vault_path_for(from, sp, sizeof sp);
	vault_path_for(to, dp, sizeof dp);
	if (!dp[0] || !strcmp(sp, dp) || access(dp, F_OK) == 0 || !(v = vault_get(from, &err)))
		return 0;
	if (vault_save(dp, v, &err))
		return cli_fail("copy", "%s", err.message);
	return 0;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"from", required_argument, 0, 'f'}, {"to", required_argument, 0, 't'},
					     {"replace", no_argument, 0, 'r'},    {"digest", no_argument, 0, 'g'},
					     {0, 0, 0, 0}};
	const char *from = NULL, *to = NULL;
	int c, replace = 0, digest = 0, rc = 1, differ = 0, src_tx = 0, dst_tx = 0, bulk = 0, vault_there = 0;
	struct store *src = NULL, *dst = NULL;
	json_t *st = NULL, *dt = NULL, *order = NULL, *t;
	struct digest *sd = NULL;
	struct pcmt_err err;
	char msg[200];
	size_t i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f:t:rg", opts, NULL)) != -1) {
		switch (c) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'r': replace = 1; break;
		case 'g': digest = 1; break;
		default: return cli_usage(&cmd_copy);
		}
	}
	if (optind < argc || !from || (!digest && !to) || (digest && (to || replace)))
		return cli_usage(&cmd_copy);
	err_clear(&err);
	if (!(src = cli_open(from, 0)))
		return 1;
	if (src->ops->raw_tables(src, &st, &err)) {
		cli_fail("copy", "%s: %s", from, err.message);
		goto out;
	}
	order = table_order(st);
	if (digest) {
		if (src->ops->begin(src, &err) || digest_only(src, order, &err)) {
			cli_fail("copy", "%s: %s", from, err.message);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (replace && store_destroy(to, &err)) {
		cli_fail("copy", "cannot drop %s: %s", to, err.message);
		goto out;
	}
	if (copy_key(from, to))
		goto out;
	if (!(dst = cli_open(to, 1)))
		goto out;
	if (dst->ops->raw_tables(dst, &dt, &err)) {
		cli_fail("copy", "%s: %s", to, err.message);
		goto out;
	}
	if (!same_schema(st, dt, msg, sizeof(msg))) {
		cli_fail("copy", "the two schemas differ (%s): bring the source up to date with pcmt migrate --db SOURCE",
			 msg);
		goto out;
	}
	json_array_foreach(order, i, t) {
		struct pass p;

		memset(&p, 0, sizeof(p));
		p.table = json_string_value(t);
		p.err = &err;
		p.stop_at_first = 1;
		if (dst->ops->raw_read(dst, p.table, on_row, &p, &err)) {
			cli_fail("copy", "%s: %s", to, err.message);
			goto out;
		}
		/* A PostgreSQL database opened with a key file (--key-file, $PCMT_KEY_FILE) records that key
		 * as its own in vault_state at once, so an empty destination may hold that one row: when it
		 * is the source's own, it is not data in the way, and it stays as it is. */
		if (p.d.rows && !strcmp(p.table, "vault_state")) {
			int same = same_rows(src, dst, p.table, &err);

			if (same < 0) {
				cli_fail("copy", "vault_state: %s", err.message);
				goto out;
			}
			if (same) {
				vault_there = 1;
				continue;
			}
		}
		if (p.d.rows) {
			cli_fail("copy", "the destination's table %s is not empty (--replace drops the destination first)",
				 p.table);
			goto out;
		}
	}
	if (!(sd = calloc(json_array_size(order), sizeof(*sd)))) {
		cli_fail("copy", "out of memory");
		goto out;
	}
	/* copy: the source in one snapshot, the destination in one transaction, like a bulk load */
	if (src->ops->begin(src, &err)) {
		cli_fail("copy", "%s: %s", from, err.message);
		goto out;
	}
	src_tx = 1;
	if (dst->ops->bulk_mode(dst, 1, &err) || (bulk = 1, dst->ops->begin(dst, &err))) {
		cli_fail("copy", "%s: %s", to, err.message);
		goto out;
	}
	dst_tx = 1;
	json_array_foreach(order, i, t) {
		struct pass p;

		memset(&p, 0, sizeof(p));
		p.table = json_string_value(t);
		p.dst = vault_there && !strcmp(p.table, "vault_state") ? NULL : dst; /* there already */
		p.err = &err;
		if (run_pass(src, &p)) {
			cli_fail("copy", "table %s: %s", p.table, err.message);
			goto out;
		}
		sd[i] = p.d;
	}
	dst_tx = 0;
	if (dst->ops->commit(dst, &err) || (bulk = 0, dst->ops->bulk_mode(dst, 0, &err))) {
		cli_fail("copy", "%s: %s", to, err.message);
		goto out;
	}
	src->ops->rollback(src);
	src_tx = 0;
	/* proof: read the destination back, table by table */
	printf("%-24s %10s  %-16s  %s\n", "table", "rows", "digest", "check");
	json_array_foreach(order, i, t) {
		struct pass p;
		char h[2 * crypto_generichash_BYTES + 1];
		int same;

		memset(&p, 0, sizeof(p));
		p.table = json_string_value(t);
		p.err = &err;
		if (run_pass(dst, &p)) {
			cli_fail("copy", "reading back %s: %s", p.table, err.message);
			goto out;
		}
		same = p.d.rows == sd[i].rows && !memcmp(p.d.sum, sd[i].sum, sizeof(p.d.sum));
		differ |= !same;
		hex(p.d.sum, 8, h);
		if (same)
			printf("%-24s %10lld  %s  same\n", p.table, (long long)p.d.rows, h);
		else
			printf("%-24s %10lld  %s  DIFFERS (source: %lld rows)\n", p.table, (long long)p.d.rows, h,
			       (long long)sd[i].rows);
	}
	if (differ) {
		cli_fail("copy", "the copy differs from the source");
		goto out;
	}
	rc = 0;
out:
	if (dst_tx)
		dst->ops->rollback(dst);
	if (bulk && dst)
		dst->ops->bulk_mode(dst, 0, &err);
	if (src_tx || (digest && src))
		src->ops->rollback(src);
	free(sd);
	json_decref(st);
	json_decref(dt);
	json_decref(order);
	store_close(src);
	store_close(dst);
	return rc;
}

const struct cmd cmd_copy = {"copy", "copy a whole database between SQLite and PostgreSQL, verified", usage, run};
