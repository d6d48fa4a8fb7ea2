/* store.c: picks a backend from a database URL. */
#include "store/store.h"

#include <string.h>

struct store *store_open(const char *url, struct pcmt_err *err)
{
	if (!url || !*url) {
		err_set(err, ERR_BAD_REQUEST, "db", "no database given (use --db FILE or PCMT_DB)");
		return NULL;
	}
	if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
		err_set(err, ERR_UNSUPPORTED, "db", "this build of pcmt has no PostgreSQL backend yet");
		return NULL;
	}
	if (!strncmp(url, "sqlite:", 7))
		url += 7;
	return store_sqlite_open(url, err);
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}
