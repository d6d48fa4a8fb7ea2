/* store_sqlite.c: placeholder, replaced by the SQLite backend. */
#include "store/store.h"

struct store *store_sqlite_open(const char *path, struct pcmt_err *err)
{
	err_set(err, ERR_UNSUPPORTED, "db", "not yet");
	return NULL;
}
