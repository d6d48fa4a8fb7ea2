/* group.h: group commit for a backend whose writers take turns on one lock (SQLite). Concurrent
 * writes share one transaction on one store handle and one commit: each runs in its own savepoint
 * (a failing one is undone alone, the others stay), and each caller returns only after the
 * transaction holding its write has committed. The commit is left to the last caller while others
 * queue behind it, so a group is as large as the writes that arrive during it, with no timer. A
 * backend without savepoints (PostgreSQL, whose writers commit in parallel) gets no group:
 * store_group_open returns NULL with err clear, and callers keep one transaction per write.
 * Where the backend has log upkeep (store_ops.checkpoint), the group's commits skip it and a thread
 * of the group does it on a second handle.
 * Ownership: the group owns its handles; fn borrows the writer's for the duration of its call. */
#ifndef PCMT_STORE_GROUP_H
#define PCMT_STORE_GROUP_H

#include <stdint.h>

#include "store/store.h"

enum { STORE_GROUP_MAX = 256 }; /* writes in one transaction at most, to bound a member's wait */

struct store_group;

/* Opens a handle on url for the group. NULL with err->code ERR_OK when the backend does not use
 * group commit; NULL with err set when the handle cannot be opened. */
struct store_group *store_group_open(const char *url, struct pcmt_err *err);

/* Runs fn(st, cls, err) on the group's handle inside the shared transaction and a savepoint of its
 * own. fn returning 0 keeps its work; then store_group_run returns 0 once that work is committed,
 * or -1 with err set when the transaction could not commit (every write of it is then lost, none
 * answered as kept). fn returning -1 undoes its work alone and store_group_run returns -1 at once
 * with whatever fn left in err (possibly ERR_OK when fn reports its failure elsewhere). */
int store_group_run(struct store_group *g, int (*fn)(struct store *st, void *cls, struct pcmt_err *err), void *cls,
		    struct pcmt_err *err);

/* Transactions committed and writes kept in them since the group opened (for figures and tests). */
void store_group_stats(struct store_group *g, uint64_t *commits, uint64_t *writes);

/* Closes the handle. No call may be running. NULL is a no-op. */
void store_group_close(struct store_group *g);

#endif
