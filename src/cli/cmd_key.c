/* cmd_key.c: `pcmt key init|rotate|status`: the key file that seals identities (store/vault.h).
 * A rotation is resumable: each step leaves the key file and the database in a state from which
 * running `pcmt key rotate` again finishes it, and no step leaves a record under a key the file
 * lacks. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "store/vault.h"

static const char usage[] =
	"usage: pcmt key init   [--db URL] [--key-file FILE]\n"
	"       pcmt key rotate [--db URL] [--key-file FILE] [--batch N]\n"
	"       pcmt key status [--db URL] [--key-file FILE]\n\n"
	"Names, aliases, national IDs, addresses and phones are sealed (XChaCha20-Poly1305) under a key\n"
	"kept outside the database. The key file is --key-file FILE, else $PCMT_KEY_FILE, else FILE.key\n"
	"beside a SQLite database FILE ($PCMT_KEY may instead hold one base64 key; it cannot be rotated).\n\n"
	"  init     creates a new key file (mode 600); refuses to overwrite one. pcmt creates one by itself\n"
	"           beside a new SQLite database.\n"
	"  rotate   adds a new key, makes the database seal new writes under it, re-seals every person\n"
	"           (--batch N per transaction, default 2000) and removes the old key from the file.\n"
	"           If stopped, run it again: it resumes. Afterwards the old key is no longer needed.\n"
	"  status   the key file's keys, the database's key and how many persons each key seals.\n";

static int key_init(const char *url)
{
	struct pcmt_err err;
	struct vault v;
	char path[1024];

	err_clear(&err);
	vault_path_for(url, path, sizeof path);
	if (!path[0])
		return cli_fail("key", "no key file to create: give --key-file FILE or $PCMT_KEY_FILE");
	if (access(path, F_OK) == 0)
		return cli_fail("key", "%s exists: refusing to overwrite a key (use pcmt key rotate)", path);
	memset(&v, 0, sizeof v);
	if (vault_add_key(&v, &err) || vault_save(path, &v, &err))
		return cli_fail("key", "%s", err.message);
	printf("created %s (key %s, mode 600): back it up apart from the database\n", path, v.keys[0].id);
	sodium_memzero(&v, sizeof v);
	return 0;
}

static int key_rotate(const char *url, int batch)
{
	struct pcmt_err err;
	struct vault v;
	struct store *s = NULL;
	char path[1024], dbkey[17] = "";
	int64_t done = 0, left = 0, total = 0;
	int rc = 1;

	err_clear(&err);
	memset(&v, 0, sizeof v);
	vault_path_for(url, path, sizeof path);
	if (!path[0])
		return cli_fail("key", "rotate needs a key file (--key-file FILE or $PCMT_KEY_FILE), not $PCMT_KEY");
	if (vault_load(path, &v, &err))
		return cli_fail("key", "%s", err.message);
	if (!(s = cli_open(url, 1)))
		goto out;
	if (s->ops->key_current(s, dbkey, &err)) {
		cli_fail("key", "%s", err.message);
		goto out;
	}
	if (dbkey[0] && !vault_key(&v, dbkey)) {
		cli_fail("key", "%s seals under key %s, which %s lacks: is this its key file?", url, dbkey, path);
		goto out;
	}
	/* 1. a new current key in the file, the old ones kept (unless a rotation is being resumed:
	 *    then the file already holds its new key as current) */
	if (v.n == 1) {
		if (vault_add_key(&v, &err) || vault_save(path, &v, &err)) {
			cli_fail("key", "%s", err.message);
			goto out;
		}
		printf("added key %s to %s\n", v.keys[v.current].id, path);
	} else {
		printf("resuming the rotation to key %s\n", v.keys[v.current].id);
	}
	vault_forget();
	/* 2. the database seals every write from now on under it */
	if (s->ops->key_switch(s, v.keys[v.current].id, &err)) {
		cli_fail("key", "%s", err.message);
		goto out;
	}
	/* 3. every person re-sealed, a batch per transaction */
	do {
		if (s->ops->key_reseal(s, batch, &done, &left, &err)) {
			cli_fail("key", "re-sealing: %s (run pcmt key rotate again to resume)", err.message);
			goto out;
		}
		total += done;
		if (done == 0 && left > 0) {
			cli_fail("key", "%lld persons could not be re-sealed", (long long)left);
			goto out;
		}
	} while (left > 0);
	/* 4. only now the old keys go */
	vault_drop_old(&v);
	if (vault_save(path, &v, &err)) {
		cli_fail("key", "%s", err.message);
		goto out;
	}
	vault_forget();
	printf("re-sealed %lld persons under key %s (was %s); %s now holds only that key\n", (long long)total,
	       v.keys[0].id, dbkey[0] ? dbkey : "none", path);
	rc = 0;
out:
	sodium_memzero(&v, sizeof v);
	store_close(s);
	return rc;
}

static int key_status(const char *url)
{
	struct pcmt_err err;
	const struct vault *v;
	struct store *s;
	char path[1024], dbkey[17] = "";
	int rc = 1;

	err_clear(&err);
	vault_path_for(url, path, sizeof path);
	if (!(v = vault_get(url, &err)))
		return cli_fail("key", "%s", err.message);
	printf("key file: %s\n", path[0] ? path : "($PCMT_KEY)");
	for (int i = 0; i < v->n; i++)
		printf("  key %s%s\n", v->keys[i].id, i == v->current ? " (current)" : "");
	if (!(s = cli_open(url, 1)))
		return 1;
	if (s->ops->key_current(s, dbkey, &err)) {
		cli_fail("key", "%s", err.message);
		goto out;
	}
	printf("database: %s seals under key %s%s\n", url, dbkey[0] ? dbkey : "(none yet)",
	       dbkey[0] && !vault_key(v, dbkey) ? " -- MISSING from the key file" : "");
	rc = 0;
out:
	store_close(s);
	return rc;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'}, {"batch", required_argument, 0, 'b'},
					     {0, 0, 0, 0}};
	const char *db = NULL, *verb;
	int c, batch = 2000;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:b:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'b') {
			batch = (int)strtol(optarg, &end, 10);
			if (!*optarg || *end || batch < 1 || batch > 1000000)
				return cli_fail("key", "--batch must be a whole number from 1 to 1000000") + 1;
		} else {
			return cli_usage(&cmd_key);
		}
	}
	if (optind != argc - 1)
		return cli_usage(&cmd_key);
	verb = argv[optind];
	if (!strcmp(verb, "init"))
		return key_init(cli_db(db));
	if (!strcmp(verb, "rotate"))
		return key_rotate(cli_db(db), batch);
	if (!strcmp(verb, "status"))
		return key_status(cli_db(db));
	return cli_usage(&cmd_key);
}

const struct cmd cmd_key = {"key", "create or rotate the key that seals identities", usage, run};
