/* store.c: picks a backend from a database URL. */
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef PCMT_HAVE_PG
struct store *store_pg_open(const char *url, struct pcmt_err *err)
{
	err_set(err, ERR_UNSUPPORTED, "db", "this build of pcmt has no PostgreSQL backend (libpq was not found)");
	return NULL;
}

int store_pg_drop(const char *url, struct pcmt_err *err);
int store_pg_drop(const char *url, struct pcmt_err *err)
{
	return err_set(err, ERR_UNSUPPORTED, "db", "this build of pcmt has no PostgreSQL backend (libpq was not found)");
}
#else
int store_pg_drop(const char *url, struct pcmt_err *err); /* store_pg.c */
#endif

int store_url_is_pg(const char *url)
{
	return url && (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11));
}

struct store *store_open(const char *url, struct pcmt_err *err)
{
	if (!url || !*url) {
		err_set(err, ERR_BAD_REQUEST, "db", "no database given (use --db FILE or PCMT_DB)");
		return NULL;
	}
	if (store_url_is_pg(url))
		return store_pg_open(url, err);
	if (!strncmp(url, "sqlite:", 7))
		url += 7;
	return store_sqlite_open(url, err);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

int store_destroy(const char *url, struct pcmt_err *err)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char path[4096];

	if (!url || !*url)
		return err_set(err, ERR_BAD_REQUEST, "db", "no database given");
	if (store_url_is_pg(url))
		return store_pg_drop(url, err);
	if (!strncmp(url, "sqlite:", 7))
		url += 7;
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		if (snprintf(path, sizeof(path), "%s%s", url, suffix[i]) >= (int)sizeof(path))
			return err_set(err, ERR_BAD_REQUEST, "db", "the path is too long");
		if (unlink(path) && errno != ENOENT)
			return err_set(err, ERR_UNAVAILABLE, "db", "cannot remove %s: %s", path, strerror(errno));
	}
	return 0;
}

int store_scope_by_set(const struct entity_def *e, const char *path, int one_person)
{
	int depth = 0;

	if (!e->ou_expr || strcmp(e->ou_expr, ENT_EVENT_OU) || one_person)
		return 0;
	for (const char *c = path; *c; c++)
		depth += *c == '/';
	/* "/1/" is the nation: its set would be every person, so each row's own lookup is cheaper */
	return depth > 2;
}

int store_rows_of_check(const struct entity_def *e, int field, struct pcmt_err *err)
{
	if (field < 0 || field >= e->nfields || e->nfields > 64 || e->fields[field].type != FT_REF)
		return err_set(err, ERR_INTERNAL, NULL, "rows_of: no such reference");
	for (int f = 0; f < e->nfields; f++)
		if (e->fields[f].flags & F_IDENT)
			return err_set(err, ERR_INTERNAL, NULL, "rows_of: %s has sealed fields", e->name);
	return 0;
}

int store_search_words(const char *q, int (*count)(void *cls, const char *p, size_t k, long *n, struct pcmt_err *err),
		       void *cls, struct store_word w[STORE_SEARCH_WORDS], int *lead, struct pcmt_err *err)
{
	int nw = 0;

	*lead = 0;
	while (*q) {
		size_t k;

		while (*q == ' ')
			q++;
		k = strcspn(q, " ");
		if (!k)
			break;
		if (nw == STORE_SEARCH_WORDS)
			return err_set(err, ERR_BAD_REQUEST, "q", "at most %d search words", STORE_SEARCH_WORDS);
		w[nw].p = q;
		w[nw].k = k;
		if (count(cls, q, k, &w[nw].n, err))
			return -1;
		if (w[nw].n < w[*lead].n || (w[nw].n == w[*lead].n && k > w[*lead].k))
			*lead = nw;
		nw++;
		q += k;
	}
	return nw;
}
