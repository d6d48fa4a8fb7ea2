/* throttle.c: failed-login counts per user name and per address (throttle.h has the policy).
 * One mutex: logins are rare next to the Argon2id work each one costs. */
#include "auth/throttle.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	unsigned char key[16]; /* BLAKE2b-128 of "u:" name or "a:" address; all zero = empty */
	int fails;
	time_t last;           /* last failure */
};

struct throttle {
	pthread_mutex_t mu;
	struct slot s[THROTTLE_SLOTS];
};

struct throttle *throttle_new(void)
{
	struct throttle *t = calloc(1, sizeof(*t));

	if (t)
		pthread_mutex_init(&t->mu, NULL);
	return t;
}

void throttle_free(struct throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static void key_of(char kind, const char *v, unsigned char key[16])
{
	crypto_generichash_state st;
	unsigned char k = (unsigned char)kind;

	crypto_generichash_init(&st, NULL, 0, 16);
	crypto_generichash_update(&st, &k, 1);
	crypto_generichash_update(&st, (const unsigned char *)(v ? v : ""), v ? strlen(v) : 0);
	crypto_generichash_final(&st, key, 16);
	if (!key[0])
		key[0] = 1; /* never the empty key */
}

/* The slot of key (create: take it over, preferring the oldest of 8 probed slots), or NULL. */
static struct slot *find(struct throttle *t, const unsigned char key[16], int create)
{
	size_t h = ((size_t)key[1] << 8 | key[2]) % THROTTLE_SLOTS;
	struct slot *victim = NULL;

	for (int i = 0; i < 8; i++) {
		struct slot *s = &t->s[(h + (size_t)i) % THROTTLE_SLOTS];

		if (!memcmp(s->key, key, 16))
			return s;
		if (!victim || s->last < victim->last)
			victim = s;
	}
	if (!create)
		return NULL;
	memcpy(victim->key, key, 16);
	victim->fails = 0;
	victim->last = 0;
	return victim;
}

/* Seconds still to wait for a slot with this many failures over `free`, first block `base` s. */
static int wait_of(const struct slot *s, int free_fails, int base, time_t now)
{
	int64_t block = base;

	if (!s || s->fails < free_fails)
		return 0;
	for (int i = free_fails; i < s->fails && block < THROTTLE_MAX_S; i++)
		block *= 2;
	if (block > THROTTLE_MAX_S)
		block = THROTTLE_MAX_S;
	if (now >= s->last + block)
		return 0;
	return (int)(s->last + block - now);
}

int throttle_wait(struct throttle *t, const char *user, const char *addr, time_t now)
{
	unsigned char ku[16], ka[16];
	int wu, wa;

	key_of('u', user, ku);
	key_of('a', addr, ka);
	pthread_mutex_lock(&t->mu);
	wu = wait_of(find(t, ku, 0), THROTTLE_USER_FREE, 30, now);
	wa = wait_of(find(t, ka, 0), THROTTLE_ADDR_FREE, 60, now);
	pthread_mutex_unlock(&t->mu);
	return wu > wa ? wu : wa;
}

void throttle_failed(struct throttle *t, const char *user, const char *addr, time_t now)
{
	unsigned char ku[16], ka[16];
	struct slot *s;

	key_of('u', user, ku);
	key_of('a', addr, ka);
	pthread_mutex_lock(&t->mu);
	if ((s = find(t, ku, 1))) {
		/* a quarter of an hour without failures forgets them */
		if (now - s->last > THROTTLE_MAX_S)
			s->fails = 0;
		s->fails++;
		s->last = now;
	}
	if ((s = find(t, ka, 1))) {
		if (now - s->last > THROTTLE_MAX_S)
			s->fails = 0;
		s->fails++;
		s->last = now;
	}
	pthread_mutex_unlock(&t->mu);
}

void throttle_succeeded(struct throttle *t, const char *user)
{
	unsigned char ku[16];
	struct slot *s;

	key_of('u', user, ku);
	pthread_mutex_lock(&t->mu);
	if ((s = find(t, ku, 0)))
		s->fails = 0;
	pthread_mutex_unlock(&t->mu);
}
