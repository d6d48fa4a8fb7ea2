/* auth.h: users, roles, passwords and tokens (sessions and API bearer tokens), over the store's
 * security tables (store.h: sql). The HTTP dispatcher (src/http/server.c) and `pcmt user` are its
 * callers; the contract other code relies on is /work/wt/AUTH_CONTRACT.md, summarised in
 * docs/security.md.
 *
 * Passwords: Argon2id through libsodium's crypto_pwhash_str (parameters below, kept in each hash so
 * that they can be raised later: a login with an older hash rehashes it). Tokens: 32 random bytes,
 * base64url, shown once; the database keeps only their BLAKE2b-256 hash, so a copy of the database
 * does not let anyone log in. The CSRF token of a session is derived from the session token (keyed
 * BLAKE2b), so nothing more is stored and only the holder of the cookie can know it. */
#ifndef PCMT_AUTH_H
#define PCMT_AUTH_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* Roles are bits so that a route can allow a set of them. */
enum auth_role {
	ROLE_ADMIN = 1 << 0,
	ROLE_PROVINCE = 1 << 1,
	ROLE_DISTRICT = 1 << 2,
	ROLE_COMMUNE = 1 << 3,
	ROLE_HEALTH = 1 << 4,
	ROLE_VIEWER = 1 << 5
};
#define ROLES_OFFICER (ROLE_PROVINCE | ROLE_DISTRICT | ROLE_COMMUNE)
#define ROLES_ALL (ROLE_ADMIN | ROLES_OFFICER | ROLE_HEALTH | ROLE_VIEWER)

enum {
	AUTH_USERNAME_MAX = 63,
	AUTH_PW_MIN = 10,        /* characters (bytes) at least */
	AUTH_PW_MAX = 1024,
	AUTH_TOKEN_BYTES = 32,
	AUTH_TOKEN_LEN = 43,     /* base64url of 32 bytes, no padding */
	AUTH_CSRF_LEN = 43,
	AUTH_SESSION_TTL = 12 * 3600,      /* a cookie session lasts 12 hours from login */
	AUTH_BEARER_TTL_DAYS = 90          /* pcmt user token without --expires */
};

/* Argon2id cost: 3 passes over 64 MiB (libsodium's "interactive" memory, "moderate"-like passes):
 * about 0.1-0.2 s on one core of the 2-core target. The server runs at most AUTH_HASH_PARALLEL
 * hashes at once so that a burst of logins cannot take more than that many times 64 MiB. */
#define AUTH_PW_OPSLIMIT 3ULL
#define AUTH_PW_MEMLIMIT (64ULL << 20)
enum { AUTH_HASH_PARALLEL = 2, AUTH_PW_HASH_MAX = 128 };

struct auth_user {
	int64_t id;
	char username[AUTH_USERNAME_MAX + 1];
	int role;             /* one ROLE_ bit */
	int64_t ou_id;        /* the org unit whose subtree the user works in; 0 = the whole country */
	char ou_code[17];
	char ou_name[201];
	int disabled;
	int has_password;     /* 0: an API-only account that logs in with tokens only */
};

const char *auth_role_name(int role);
/* The role bit for a name, or 0. */
int auth_role_parse(const char *name);

/* 1 when u is 1..63 of a-z 0-9 . _ - (lower case, so that "Admin" and "admin" are one user). */
int auth_username_ok(const char *u);

/* Hashes a password (Argon2id) after checking its length. */
int auth_pw_hash(const char *pw, char out[AUTH_PW_HASH_MAX], struct pcmt_err *err);
/* 0 when pw matches hash. With hash NULL (no such user, or no password) it still spends the time
 * of one verification and answers -1, so that timing does not tell which. */
int auth_pw_verify(const char *hash, const char *pw);

/* Users. ou_code may be NULL for an admin (the whole country); other roles need one. pw NULL makes
 * an API-only user (tokens only). ERR_CONFLICT when the name is taken, ERR_INVALID naming the
 * field for a bad name, role, org unit or password. */
int auth_user_add(struct store *s, const char *username, const char *role, const char *ou_code, const char *pw,
		  int64_t *id, struct pcmt_err *err);
/* The user by name (ERR_NOT_FOUND), and its password hash when pw_hash is not NULL ("" if none). */
int auth_user_find(struct store *s, const char *username, struct auth_user *u, char pw_hash[AUTH_PW_HASH_MAX],
		   struct pcmt_err *err);
/* New password; every session and token of the user is revoked. */
int auth_user_passwd(struct store *s, const char *username, const char *pw, struct pcmt_err *err);
/* Disables (1) or enables (0); disabling revokes every session and token. */
int auth_user_disable(struct store *s, const char *username, int disabled, struct pcmt_err *err);
/* Every user as [{id, username, role, orgunit: {id, code, name} | null, disabled, password}]. */
int auth_user_list(struct store *s, json_t **out, struct pcmt_err *err);
/* A user as the API shows it: {id, username, role, orgunit: {id, code, name} | null}. */
json_t *auth_user_json(const struct auth_user *u);

/* Tokens. kind "session" (a login: cookie) or "bearer" (an API client). ttl in seconds. token
 * receives the secret the client keeps (shown once, never stored). */
int auth_token_issue(struct store *s, int64_t user_id, const char *kind, int64_t ttl, const char *addr,
		     char token[AUTH_TOKEN_LEN + 1], struct pcmt_err *err);
/* The user holding token, if it is a live token of `kind` of an enabled user; else
 * ERR_UNAUTHENTICATED (same answer for unknown, expired, revoked and disabled). */
int auth_token_check(struct store *s, const char *token, const char *kind, struct auth_user *u,
		     struct pcmt_err *err);
/* Revokes one token (no error when it was not live). */
int auth_token_revoke(struct store *s, const char *token, struct pcmt_err *err);
/* The CSRF token belonging to a session token. */
void auth_csrf(const char *token, char out[AUTH_CSRF_LEN + 1]);
/* Constant-time comparison of two NUL-terminated strings; 0 when equal. */
int auth_streq(const char *a, const char *b);

/* UTC now (+ secs) as YYYY-MM-DDTHH:MM:SSZ. */
void auth_time(int64_t plus, char out[24]);

#endif
