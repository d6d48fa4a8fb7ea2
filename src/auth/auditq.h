/* auditq.h: the server's audit writer. Reads (and logins, exports, denials) are queued in memory
 * and appended to the hash chain by one thread in batches (one transaction per batch, the chain
 * computed in order), so that 20,000 audited reads a second cost one transaction every
 * AUDITQ_FLUSH_MS instead of 20,000. A producer blocks while the queue holds AUDITQ_MAX entries:
 * a read is never served without its entry queued. What a crash can lose is the entries of the
 * last AUDITQ_FLUSH_MS (docs/security.md, durability). Writes' entries do not come here: they are
 * appended in the write's own transaction (server.c). */
#ifndef PCMT_AUDITQ_H
#define PCMT_AUDITQ_H

#include "domain/audit.h"
#include "util/err.h"

enum { AUDITQ_MAX = 16384, AUDITQ_FLUSH_MS = 100 };

struct auditq;

struct store_group;

/* Starts the writer thread. Batches are appended through group (store/group.h) when it is not
 * NULL, else on a store handle of its own opened on db_url. */
struct auditq *auditq_start(const char *db_url, struct store_group *group, struct pcmt_err *err);
/* Queues a copy of e (id and hashes are filled by the writer). */
void auditq_push(struct auditq *q, const struct audit_entry *e);
/* Waits until every entry queued so far is committed (tests, pcmt audit through a live server). */
void auditq_flush(struct auditq *q);
/* Writes what is queued, stops the thread, closes the handle. */
void auditq_stop(struct auditq *q);

#endif
