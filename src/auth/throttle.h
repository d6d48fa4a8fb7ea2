/* throttle.h: login throttling per user name and per client address (in the server's memory).
 * Policy (docs/security.md): after THROTTLE_USER_FREE consecutive failed logins for one user name,
 * that name is refused (429, Retry-After) for 30 s, doubling with each further failure up to
 * 15 minutes; after THROTTLE_ADDR_FREE failures from one address, that address likewise (60 s
 * doubling, up to 15 minutes). A refused attempt is not checked at all, so a correct password does
 * not get through while blocked. A successful login clears its user's count (not the address's).
 * Counts live in a fixed table (THROTTLE_SLOTS, oldest overwritten) of one server process. */
#ifndef PCMT_THROTTLE_H
#define PCMT_THROTTLE_H

#include <stdint.h>
#include <time.h>

enum { THROTTLE_USER_FREE = 5, THROTTLE_ADDR_FREE = 20, THROTTLE_SLOTS = 4096, THROTTLE_MAX_S = 900 };

struct throttle;

struct throttle *throttle_new(void);
void throttle_free(struct throttle *t);
/* 0 when a login for user from addr may be tried now; else the seconds to wait. */
int throttle_wait(struct throttle *t, const char *user, const char *addr, time_t now);
void throttle_failed(struct throttle *t, const char *user, const char *addr, time_t now);
void throttle_succeeded(struct throttle *t, const char *user);

#endif
