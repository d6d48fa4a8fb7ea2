/* audit.h: one audit-log entry and the hash that chains it to the one before (pure: no I/O).
 * hash(n) = BLAKE2b-256(prev_hash(n) || every field of entry n, each length-prefixed), hex. The
 * entry's own id is hashed, so an edited, deleted, inserted or reordered entry breaks the chain at
 * that point (pcmt audit verify). The first entry's prev_hash is AUDIT_GENESIS. */
#ifndef PCMT_AUDIT_H
#define PCMT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

enum { AUDIT_HASH_HEX = 64, AUDIT_DETAIL_MAX = 400 };

#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

struct audit_entry {
	int64_t id;            /* position in the chain, 1.. (filled by the appender) */
	char at[32];           /* UTC, YYYY-MM-DDTHH:MM:SS.mmmZ */
	int64_t user_id;       /* 0 when nobody was authenticated (a failed login) */
	char username[64];
	char action[24];       /* login, logout, read, list, create, update, delete, export, token, ... */
	char entity[32];       /* the entity or resource, "" when none */
	int64_t record_id;     /* 0 when none */
	char detail[AUDIT_DETAIL_MAX]; /* what else identifies the access (query, ids listed) */
	char addr[64];         /* client address */
	char outcome[16];      /* ok, denied, not_found, failed, throttled */
	char prev_hash[AUDIT_HASH_HEX + 1];
	char hash[AUDIT_HASH_HEX + 1];
};

/* Computes e->hash from e->prev_hash and the other fields. */
void audit_chain_hash(const struct audit_entry *e, char out[AUDIT_HASH_HEX + 1]);

/* The current UTC time in the entry's format. */
void audit_now(char at[32]);

#endif
