/* auditlog.h: reading the audit log back: queries (pcmt audit, GET /api/v1/audit) and the chain
 * check (pcmt audit verify). */
#ifndef PCMT_AUDITLOG_H
#define PCMT_AUDITLOG_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

struct audit_filter {
	const char *user;    /* user name, or NULL */
	const char *since;   /* YYYY-MM-DD[THH:MM:SS], inclusive, or NULL */
	const char *until;   /* YYYY-MM-DD (the whole day) or a timestamp, inclusive, or NULL */
	const char *action;  /* or NULL */
	int limit, offset;   /* limit 1..10000 */
};

/* Entries matching f in chain order as a JSON array of objects (every column). */
int audit_query(struct store *s, const struct audit_filter *f, json_t **items, struct pcmt_err *err);

struct audit_verdict {
	int64_t checked;     /* entries checked */
	int64_t broken_at;   /* id of the first entry whose link is broken; 0 when intact */
	char why[160];       /* what is wrong there */
	char head[65];       /* the last entry's hash (record it elsewhere to detect truncation) */
};

/* Walks the chain from the first entry. Returns 0 with *v filled (broken or not), -1 on a store
 * error. */
int audit_verify(struct store *s, struct audit_verdict *v, struct pcmt_err *err);

#endif
