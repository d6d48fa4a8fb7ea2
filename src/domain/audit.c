/* audit.c: the audit chain's hash. Fields are length-prefixed so that moving bytes from one field
 * to the next changes the hash. */
#include "domain/audit.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void put_text(crypto_generichash_state *st, const char *s)
{
	unsigned char len[4];
	size_t n = strlen(s);

	len[0] = (unsigned char)(n >> 24);
	len[1] = (unsigned char)(n >> 16);
	len[2] = (unsigned char)(n >> 8);
	len[3] = (unsigned char)n;
	crypto_generichash_update(st, len, sizeof(len));
	crypto_generichash_update(st, (const unsigned char *)s, n);
}

static void put_int(crypto_generichash_state *st, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	put_text(st, buf);
}

void audit_chain_hash(const struct audit_entry *e, char out[AUDIT_HASH_HEX + 1])
{
	crypto_generichash_state st;
	unsigned char h[32];

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	put_text(&st, "pcmt-audit-v1");
	put_text(&st, e->prev_hash);
	put_int(&st, e->id);
	put_text(&st, e->at);
	put_int(&st, e->user_id);
	put_text(&st, e->username);
	put_text(&st, e->action);
	put_text(&st, e->entity);
	put_int(&st, e->record_id);
	put_text(&st, e->detail);
	put_text(&st, e->addr);
	put_text(&st, e->outcome);
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, AUDIT_HASH_HEX + 1, h, sizeof(h));
}

void audit_now(char at[32])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	/* years beyond 9999 do not occur; the mask keeps the compiler's width analysis quiet */
	snprintf(at, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
		 tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, (int)(ts.tv_nsec / 1000000) % 1000);
}
