/* test_vault.c: identities sealed at rest (src/store/vault.c and both backends' use of it).
 * Sealing: a round trip, a ciphertext moved to another row or field or altered or read with another
 * key fails; key files: format, mode, ids. On a real database (SQLite, and PostgreSQL as pg/...):
 * nothing identifying is stored in clear (the raw columns, read back with raw_read), national-ID
 * lookup, duplicates and name search through blind indexes, and a key rotation stopped half way
 * (records under two keys, every one readable and found), resumed, finished, after which the old key
 * is no longer needed; retention's erasure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "store/vault.h"
#include "testlib.h"
#include "util/date.h"
#include "util/text.h"

struct fx {
	struct tl_tmp tmp, ktmp;
	struct store *s;
	struct ent_ctx ctx;
	char keyfile[400];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pcmt_err err;
	struct vault v;

	if (!f || sodium_init() < 0 || tl_tmp_init(&f->ktmp))
		return -1;
	/* a key file of the test's own (a rotation rewrites it), named for the whole process as
	 * --key-file would */
	snprintf(f->keyfile, sizeof f->keyfile, "%s/test.key", f->ktmp.dir);
	memset(&v, 0, sizeof v);
	err_clear(&err);
	if (vault_add_key(&v, &err) || vault_save(f->keyfile, &v, &err))
		return -1;
	vault_set_path(f->keyfile);
	vault_forget();
	f->s = tl_store_with_units(&f->tmp);
	f->ctx.today = date_from_ymd(2025, 6, 1);
	*state = f;
	return f->s ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	tl_tmp_cleanup(&f->tmp);
	tl_tmp_cleanup(&f->ktmp);
	vault_set_path(NULL);
	vault_forget();
	free(f);
	return 0;
}

static int64_t person(struct fx *f, const char *name, const char *aliases, const char *nid, const char *dob,
		      struct pcmt_err *err)
{
	char buf[600];
	json_t *in, *rec = NULL, *out = NULL;
	int64_t id = 0;

	snprintf(buf, sizeof buf,
		 "{\"full_name\": \"%s\", \"sex\": \"male\", \"dob\": \"%s\", \"residence_ou\": \"16837\","
		 " \"address\": \"Bản Phà Khốn\", \"phone\": \"0912 345 678\"%s%s%s%s%s%s}",
		 name, dob, aliases ? ", \"aliases\": \"" : "", aliases ? aliases : "", aliases ? "\"" : "",
		 nid ? ", \"national_id\": \"" : "", nid ? nid : "", nid ? "\"" : "");
	in = json_loads(buf, 0, NULL);
	assert_non_null(in);
	err_clear(err);
	if (ent_validate(&ent_persons, &f->ctx, in, 0, &rec, err) == 0 &&
	    f->s->ops->insert(f->s, &ent_persons, NULL, rec, &out, err) == 0)
		id = json_integer_value(json_object_get(out, "id"));
	json_decref(in);
	json_decref(rec);
	json_decref(out);
	return id;
}

static int64_t person_ok(struct fx *f, const char *name, const char *aliases, const char *nid, const char *dob)
{
	struct pcmt_err err;
	int64_t id = person(f, name, aliases, nid, dob, &err);

	if (!id)
		fail_msg("insert %s: %s", name, err.message);
	return id;
}

static int64_t count_search(struct fx *f, const char *plain, int64_t *first)
{
	struct store_query q = {0};
	struct pcmt_err err;
	json_t *items = NULL;
	int64_t total = -1;
	char *fold = text_fold(plain);

	q.as_of = DATE_NONE;
	q.search = fold;
	q.limit = 100;
	err_clear(&err);
	if (f->s->ops->list(f->s, &ent_persons, &q, &items, &total, &err))
		fail_msg("search %s: %s", plain, err.message);
	if (first)
		*first = json_array_size(items) ? json_integer_value(json_object_get(json_array_get(items, 0), "id")) : 0;
	json_decref(items);
	free(fold);
	return total;
}

static void expect_name(struct fx *f, int64_t id, const char *name, const char *nid)
{
	struct pcmt_err err;
	json_t *row = NULL;

	err_clear(&err);
	if (f->s->ops->get(f->s, &ent_persons, NULL, id, &row, &err))
		fail_msg("get %lld: %s", (long long)id, err.message);
	assert_string_equal(json_string_value(json_object_get(row, "full_name")), name);
	if (nid)
		assert_string_equal(json_string_value(json_object_get(row, "national_id")), nid);
	assert_string_equal(json_string_value(json_object_get(row, "address")), "Bản Phà Khốn");
	assert_string_equal(json_string_value(json_object_get(row, "phone")), "0912 345 678");
	json_decref(row);
}

/* ---- sealing, without a database ------------------------------------------------------------ */

static void test_seal_open_and_tamper(void **state)
{
	struct vault v, w;
	struct pcmt_err err;
	char *sealed = NULL, *plain = NULL;

	memset(&v, 0, sizeof v);
	memset(&w, 0, sizeof w);
	err_clear(&err);
	assert_int_equal(vault_add_key(&v, &err), 0);
	assert_int_equal(vault_add_key(&w, &err), 0);
	assert_int_equal(vault_seal(&v.keys[0], "person", 7, "full_name", "Nguyễn Văn Ánh", &sealed, &err), 0);
	assert_true(vault_is_sealed(sealed));
	assert_null(strstr(sealed, "Nguy"));
	assert_int_equal(vault_open(&v, "person", 7, "full_name", sealed, &plain, &err), 0);
	assert_string_equal(plain, "Nguyễn Văn Ánh");
	free(plain);
	/* the same plain text seals differently each time (random nonce) */
	{
		char *again = NULL;

		assert_int_equal(vault_seal(&v.keys[0], "person", 7, "full_name", "Nguyễn Văn Ánh", &again, &err), 0);
		assert_string_not_equal(again, sealed);
		free(again);
	}
	/* moved to another row, another field: refused */
	assert_int_equal(vault_open(&v, "person", 8, "full_name", sealed, &plain, &err), -1);
	assert_non_null(strstr(err.message, "does not authenticate"));
	assert_int_equal(vault_open(&v, "person", 7, "aliases", sealed, &plain, &err), -1);
	/* another key file: the key is named as missing */
	assert_int_equal(vault_open(&w, "person", 7, "full_name", sealed, &plain, &err), -1);
	assert_non_null(strstr(err.message, v.keys[0].id));
	/* one character changed */
	{
		size_t n = strlen(sealed);

		sealed[n - 5] = sealed[n - 5] == 'A' ? 'B' : 'A';
		assert_int_equal(vault_open(&v, "person", 7, "full_name", sealed, &plain, &err), -1);
	}
	/* plain text is never taken for sealed */
	assert_int_equal(vault_open(&v, "person", 7, "full_name", "Nguyễn Văn Ánh", &plain, &err), -1);
	assert_null(plain);
	free(sealed);
}

static void test_key_files(void **state)
{
	struct tl_tmp t;
	struct vault v, r;
	struct pcmt_err err;
	char path[400], text[600];
	struct stat sb;
	FILE *fp;

	assert_int_equal(tl_tmp_init(&t), 0);
	snprintf(path, sizeof path, "%s/k", t.dir);
	memset(&v, 0, sizeof v);
	err_clear(&err);
	assert_int_equal(vault_add_key(&v, &err), 0);
	assert_int_equal(vault_add_key(&v, &err), 0);
	assert_int_equal(vault_save(path, &v, &err), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(vault_load(path, &r, &err), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.current, 1);
	assert_string_equal(r.keys[1].id, v.keys[1].id);
	assert_memory_equal(r.keys[0].master, v.keys[0].master, 32);
	/* readable by others: refused */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(vault_load(path, &r, &err), -1);
	assert_non_null(strstr(err.message, "chmod 600"));
	/* an id that is not its key's, two current keys, garbage */
	snprintf(text, sizeof text, "pcmt-key v1 0000000000000000 %s\n", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	assert_int_equal(vault_parse(text, strlen(text), &r, &err), -1);
	assert_non_null(strstr(err.message, "does not match"));
	assert_int_equal(vault_parse("hello\n", 6, &r, &err), -1);
	assert_int_equal(vault_parse("# only a comment\n", 17, &r, &err), -1);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fclose(fp);
	tl_tmp_cleanup(&t);
}

static void test_tokens(void **state)
{
	struct vault v;
	struct pcmt_err err;
	int64_t tok[64];
	int n;

	memset(&v, 0, sizeof v);
	err_clear(&err);
	assert_int_equal(vault_add_key(&v, &err), 0);
	/* "nguyen": ng ngu nguy nguye nguyen (5); "van": va van (2); "a": a (1) */
	n = vault_tokens(&v.keys[0], "nguyen van a", tok, 64);
	assert_int_equal(n, 8);
	assert_int_equal(tok[0], vault_index_tok(&v.keys[0], "ng", 2));
	assert_int_equal(tok[7], vault_index_tok(&v.keys[0], "a", 1));
	/* duplicates once; a cap is respected */
	assert_int_equal(vault_tokens(&v.keys[0], "van van", tok, 64), 2);
	assert_int_equal(vault_tokens(&v.keys[0], "nguyen van a", tok, 3), 3);
}

/* ---- on a database -------------------------------------------------------------------------- */

struct raw {
	int rows;
	int plain; /* a column holding one of the plain texts */
	const char *const *needles;
};

static int raw_row(void *cls, int ncols, const char *const *cols, const char *const *vals)
{
	struct raw *r = cls;

	r->rows++;
	for (int i = 0; i < ncols; i++)
		for (int k = 0; vals[i] && r->needles[k]; k++)
			if (strstr(vals[i], r->needles[k])) {
				print_error("column %s holds \"%s\"\n", cols[i], r->needles[k]);
				r->plain++;
			}
	return 0;
}

static void test_nothing_plain_stored(void **state)
{
	struct fx *f = *state;
	/* the phone whole, as given and as digits: "0912" alone turned up by chance in the hex of
	 * blind indexes and audit hashes (a 4-digit run: about 1 in 1,000 per digest) */
	static const char *const needles[] = {"Nguyễn", "nguyen", "040090123456", "Bản Phà", "0912 345 678", "0912345678",
					      "Tèo", "teo", NULL};
	struct raw r = {0, 0, needles};
	struct pcmt_err err;
	json_t *tables = NULL;
	const char *t;
	json_t *cols;

	person_ok(f, "Nguyễn Văn Ánh", "Tèo", "040090123456", "1990-05-01");
	err_clear(&err);
	assert_int_equal(f->s->ops->raw_tables(f->s, &tables, &err), 0);
	json_object_foreach(tables, t, cols) {
		if (!strcmp(t, "org_unit"))
			continue; /* place names are not identities */
		assert_int_equal(f->s->ops->raw_read(f->s, t, raw_row, &r, &err), 0);
	}
	json_decref(tables);
	assert_true(r.rows > 0);
	assert_int_equal(r.plain, 0);
}

static void test_lookups_through_blind_indexes(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	json_t *dups = NULL;
	int64_t a = person_ok(f, "Nguyễn Văn Ánh", "Tèo", "040090123456", "1990-05-01"), first = 0;
	int64_t b = person_ok(f, "Nguyễn Văn Ánh", NULL, NULL, "1990-05-01");

	/* national ID: a duplicate is a conflict naming the holder */
	assert_int_equal(person(f, "Lô Văn Pheng", NULL, "040090123456", "1990-05-01", &err), 0);
	assert_int_equal(err.code, ERR_CONFLICT);
	assert_string_equal(err.field, "national_id");
	assert_int_equal(err.existing_id, a);
	assert_int_equal(count_search(f, "040090123456", &first), 1);
	assert_int_equal(first, a);
	/* possible duplicates: same folded name and date of birth */
	assert_int_equal(f->s->ops->person_similar(f->s, NULL, "nguyen van anh", date_from_ymd(1990, 5, 1), a, &dups, &err),
			 0);
	assert_int_equal(json_array_size(dups), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(dups, 0), "id")), b);
	assert_string_equal(json_string_value(json_object_get(json_array_get(dups, 0), "full_name")), "Nguyễn Văn Ánh");
	json_decref(dups);
	/* search: accents and case folded, word prefixes, aliases */
	assert_int_equal(count_search(f, "NGUYỄN ánh", NULL), 2);
	assert_int_equal(count_search(f, "ngu va", NULL), 2);
	assert_int_equal(count_search(f, "teo", &first), 1);
	assert_int_equal(first, a);
	assert_int_equal(count_search(f, "anh x", NULL), 0);
}

/* Adds a key to the test's key file (as `pcmt key rotate` does) and returns the new vault. */
static void add_key_to_file(struct fx *f, struct vault *v)
{
	struct pcmt_err err;

	err_clear(&err);
	assert_int_equal(vault_load(f->keyfile, v, &err), 0);
	assert_int_equal(vault_add_key(v, &err), 0);
	assert_int_equal(vault_save(f->keyfile, v, &err), 0);
	vault_forget();
}

static void test_rotation_stopped_resumed(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	struct vault v, oldv;
	char old_id[17], cur[17];
	int64_t ids[30], done, left, total = 0, first;
	char name[64], nid[16];

	err_clear(&err);
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof name, "Lương Văn Khăm %c", 'A' + i % 26);
		snprintf(nid, sizeof nid, "0400901234%02d", i);
		ids[i] = person_ok(f, name, NULL, nid, "1990-05-01");
	}
	assert_int_equal(f->s->ops->key_current(f->s, old_id, &err), 0);
	assert_int_equal(strlen(old_id), 16);
	assert_int_equal(vault_load(f->keyfile, &oldv, &err), 0);
	/* 1. a new key in the file; 2. the database switches to it */
	add_key_to_file(f, &v);
	assert_string_equal(v.keys[0].id, old_id);
	assert_int_equal(f->s->ops->key_switch(f->s, v.keys[1].id, &err), 0);
	assert_int_equal(f->s->ops->key_current(f->s, cur, &err), 0);
	assert_string_equal(cur, v.keys[1].id);
	/* 3. one batch of 10, then "the process dies" */
	assert_int_equal(f->s->ops->key_reseal(f->s, 10, &done, &left, &err), 0);
	assert_int_equal(done, 10);
	assert_int_equal(left, 20);
	/* half way: every record readable, found by national ID and by name, whichever key seals it;
	 * a new write goes under the new key */
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof name, "Lương Văn Khăm %c", 'A' + i % 26);
		snprintf(nid, sizeof nid, "0400901234%02d", i);
		expect_name(f, ids[i], name, nid);
		assert_int_equal(count_search(f, nid, &first), 1);
		assert_int_equal(first, ids[i]);
	}
	assert_int_equal(count_search(f, "luong khăm", NULL), 30);
	assert_int_equal(person(f, "Vi Văn Mới", NULL, "040090123400", "1990-05-01", &err), 0); /* taken, old key */
	assert_int_equal(err.existing_id, ids[0]);
	/* resumed: the rest */
	do {
		assert_int_equal(f->s->ops->key_reseal(f->s, 7, &done, &left, &err), 0);
		total += done;
	} while (left > 0);
	assert_int_equal(total, 20);
	/* 4. the old key leaves the file: everything still reads, searches and refuses duplicates */
	vault_drop_old(&v);
	assert_int_equal(vault_save(f->keyfile, &v, &err), 0);
	vault_forget();
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof name, "Lương Văn Khăm %c", 'A' + i % 26);
		snprintf(nid, sizeof nid, "0400901234%02d", i);
		expect_name(f, ids[i], name, nid);
	}
	assert_int_equal(count_search(f, "luong khăm", NULL), 30);
	assert_int_equal(count_search(f, "040090123417", &first), 1);
	assert_int_equal(first, ids[17]);
	assert_int_equal(person(f, "Vi Văn Mới", NULL, "040090123405", "1990-05-01", &err), 0);
	assert_int_equal(err.existing_id, ids[5]);
	/* the old key alone reads none of them any more */
	assert_int_equal(vault_save(f->keyfile, &oldv, &err), 0);
	vault_forget();
	for (int i = 0; i < 30; i++) {
		json_t *row = NULL;

		assert_int_equal(f->s->ops->get(f->s, &ent_persons, NULL, ids[i], &row, &err), -1);
		assert_non_null(strstr(err.message, v.keys[0].id));
	}
}

static void test_wrong_key_file_refused(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	struct vault other;
	int64_t a = person_ok(f, "Hồ Văn Lâm", NULL, NULL, "1980-01-01");
	json_t *row = NULL;

	/* another key file in place of the right one: reads fail naming the key, writes too */
	memset(&other, 0, sizeof other);
	err_clear(&err);
	assert_int_equal(vault_add_key(&other, &err), 0);
	assert_int_equal(vault_save(f->keyfile, &other, &err), 0);
	vault_forget();
	assert_int_equal(f->s->ops->get(f->s, &ent_persons, NULL, a, &row, &err), -1);
	assert_null(row);
	assert_non_null(strstr(err.message, "lacks"));
	assert_int_equal(person(f, "Hồ Văn Mới", NULL, NULL, "1980-01-01", &err), 0);
	assert_int_equal(err.code, ERR_UNAVAILABLE);
}

static void test_erase(void **state)
{
	struct fx *f = *state;
	struct pcmt_err err;
	json_t *row = NULL;
	int done = -1;
	int64_t a = person_ok(f, "Nguyễn Văn Ánh", "Tèo", "040090123456", "1990-05-17");

	err_clear(&err);
	assert_int_equal(f->s->ops->person_erase(f->s, a, date_from_ymd(2030, 1, 2), 1, &done, &err), 0);
	assert_int_equal(done, 1); /* dry run: would */
	expect_name(f, a, "Nguyễn Văn Ánh", "040090123456");
	assert_int_equal(f->s->ops->person_erase(f->s, a, date_from_ymd(2030, 1, 2), 0, &done, &err), 0);
	assert_int_equal(done, 1);
	assert_int_equal(f->s->ops->get(f->s, &ent_persons, NULL, a, &row, &err), 0);
	assert_string_equal(json_string_value(json_object_get(row, "full_name")), "");
	assert_true(json_is_null(json_object_get(row, "national_id")));
	assert_true(json_is_null(json_object_get(row, "aliases")));
	assert_true(json_is_null(json_object_get(row, "address")));
	assert_true(json_is_null(json_object_get(row, "phone")));
	assert_string_equal(json_string_value(json_object_get(row, "dob")), "1990-01-01");
	assert_string_equal(json_string_value(json_object_get(row, "sex")), "male");
	json_decref(row);
	assert_int_equal(count_search(f, "nguyen", NULL), 0);
	assert_int_equal(count_search(f, "040090123456", NULL), 0);
	/* the ID is free again; a second erasure changes nothing */
	assert_true(person(f, "Nguyễn Văn Ánh", NULL, "040090123456", "1990-05-17", &err) > 0);
	assert_int_equal(f->s->ops->person_erase(f->s, a, date_from_ymd(2030, 1, 2), 0, &done, &err), 0);
	assert_int_equal(done, 0);
	/* erased persons survive a rotation */
	{
		struct vault v;
		int64_t d2, left;

		add_key_to_file(f, &v);
		assert_int_equal(f->s->ops->key_switch(f->s, v.keys[1].id, &err), 0);
		assert_int_equal(f->s->ops->key_reseal(f->s, 100, &d2, &left, &err), 0);
		assert_int_equal(left, 0);
		assert_int_equal(f->s->ops->get(f->s, &ent_persons, NULL, a, &row, &err), 0);
		assert_string_equal(json_string_value(json_object_get(row, "full_name")), "");
		json_decref(row);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_open_and_tamper),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test_setup_teardown(test_nothing_plain_stored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookups_through_blind_indexes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_stopped_resumed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
