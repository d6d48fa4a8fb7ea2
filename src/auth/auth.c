/* auth.c: users, passwords and tokens over the store's security tables (see auth.h). All SQL here
 * is portable (the same text on SQLite and PostgreSQL: store.h, sql). */
#include "auth/auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/date.h"

static const struct {
	int bit;
	const char *name;
} roles[] = {{ROLE_ADMIN, "admin"},       {ROLE_PROVINCE, "province"}, {ROLE_DISTRICT, "district"},
	     {ROLE_COMMUNE, "commune"},   {ROLE_HEALTH, "health"},     {ROLE_VIEWER, "viewer"}};

const char *auth_role_name(int role)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].bit == role)
			return roles[i].name;
	return "";
}

int auth_role_parse(const char *name)
{
	for (size_t i = 0; name && i < sizeof(roles) / sizeof(roles[0]); i++)
		if (!strcmp(roles[i].name, name))
			return roles[i].bit;
	return 0;
}

/* The org-unit kind a role's unit must be; NULL when any (or none) will do. */
static const char *role_ou_kind(int role)
{
	switch (role) {
	case ROLE_PROVINCE: return "province";
	case ROLE_DISTRICT: return "district";
	case ROLE_COMMUNE: return "commune";
	default: return NULL;
	}
}

int auth_username_ok(const char *u)
{
	size_t n = u ? strlen(u) : 0;

	if (n == 0 || n > AUTH_USERNAME_MAX)
		return 0;
	for (; *u; u++)
		if (!((*u >= 'a' && *u <= 'z') || (*u >= '0' && *u <= '9') || *u == '.' || *u == '_' || *u == '-'))
			return 0;
	return 1;
}

void auth_time(int64_t plus, char out[24])
{
	time_t t = time(NULL) + (time_t)plus;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int auth_streq(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (n != strlen(b))
		return -1;
	return sodium_memcmp(a, b, n) ? -1 : 0;
}

/* ---- passwords ------------------------------------------------------------------------------ */

/* At most AUTH_HASH_PARALLEL Argon2id computations at once (each takes AUTH_PW_MEMLIMIT). */
static pthread_mutex_t hash_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hash_cv = PTHREAD_COND_INITIALIZER;
static int hash_busy;

static void hash_enter(void)
{
	pthread_mutex_lock(&hash_mu);
	while (hash_busy >= AUTH_HASH_PARALLEL)
		pthread_cond_wait(&hash_cv, &hash_mu);
	hash_busy++;
	pthread_mutex_unlock(&hash_mu);
}

static void hash_leave(void)
{
	pthread_mutex_lock(&hash_mu);
	hash_busy--;
	pthread_cond_signal(&hash_cv);
	pthread_mutex_unlock(&hash_mu);
}

int auth_pw_hash(const char *pw, char out[AUTH_PW_HASH_MAX], struct pcmt_err *err)
{
	size_t n = pw ? strlen(pw) : 0;
	int rc;

	if (n < AUTH_PW_MIN)
		return err_set(err, ERR_INVALID, "password", "the password must have at least %d characters", AUTH_PW_MIN);
	if (n > AUTH_PW_MAX)
		return err_set(err, ERR_INVALID, "password", "the password is longer than %d bytes", AUTH_PW_MAX);
	hash_enter();
	rc = crypto_pwhash_str(out, pw, n, AUTH_PW_OPSLIMIT, (size_t)AUTH_PW_MEMLIMIT);
	hash_leave();
	if (rc)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory hashing the password");
	return 0;
}

static char dummy_hash[crypto_pwhash_STRBYTES];

static void dummy_init(void)
{
	unsigned char pw[16];

	randombytes_buf(pw, sizeof(pw));
	if (crypto_pwhash_str(dummy_hash, (const char *)pw, sizeof(pw), AUTH_PW_OPSLIMIT, (size_t)AUTH_PW_MEMLIMIT))
		dummy_hash[0] = '\0';
}

int auth_pw_verify(const char *hash, const char *pw)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	size_t n = pw ? strlen(pw) : 0;
	int rc;

	if (n > AUTH_PW_MAX)
		return -1;
	if (!hash || !*hash) {
		/* no such user or no password: spend the time a real check takes, then refuse */
		pthread_once(&once, dummy_init);
		hash_enter();
		if (dummy_hash[0] && crypto_pwhash_str_verify(dummy_hash, pw ? pw : "", n) == 0)
			dummy_hash[0] = '\0'; /* cannot happen: the dummy password is random */
		hash_leave();
		return -1;
	}
	hash_enter();
	rc = crypto_pwhash_str_verify(hash, pw ? pw : "", n);
	hash_leave();
	return rc ? -1 : 0;
}

/* ---- users ---------------------------------------------------------------------------------- */

#define USER_COLS "u.id, u.username, u.role, u.ou_id, u.disabled, u.pw_hash, o.code, o.name"
#define USER_FROM " FROM app_user u LEFT JOIN org_unit o ON o.id = u.ou_id"

struct user_row {
	struct auth_user *u;
	char *pw_hash;
	int found;
};

static int user_row(void *cls, int ncols, const char *const *v)
{
	struct user_row *x = cls;
	struct auth_user *u = x->u;

	memset(u, 0, sizeof(*u));
	u->id = strtoll(v[0], NULL, 10);
	snprintf(u->username, sizeof(u->username), "%s", v[1]);
	u->role = auth_role_parse(v[2]);
	u->ou_id = v[3] ? strtoll(v[3], NULL, 10) : 0;
	u->disabled = v[4] && strcmp(v[4], "0");
	u->has_password = v[5] && *v[5];
	if (x->pw_hash)
		snprintf(x->pw_hash, AUTH_PW_HASH_MAX, "%s", v[5] ? v[5] : "");
	snprintf(u->ou_code, sizeof(u->ou_code), "%s", v[6] ? v[6] : "");
	snprintf(u->ou_name, sizeof(u->ou_name), "%s", v[7] ? v[7] : "");
	x->found = 1;
	return 1;
}

int auth_user_find(struct store *s, const char *username, struct auth_user *u, char pw_hash[AUTH_PW_HASH_MAX],
		   struct pcmt_err *err)
{
	static const char sql[] = "SELECT " USER_COLS USER_FROM " WHERE u.username = $1";
	struct user_row x = {u, pw_hash, 0};
	const char *p[] = {username};

	if (s->ops->sql(s, sql, 1, p, user_row, &x, NULL, err))
		return -1;
	if (!x.found)
		return err_set(err, ERR_NOT_FOUND, "username", "no user %s", username);
	return 0;
}

int auth_user_add(struct store *s, const char *username, const char *role, const char *ou_code, const char *pw,
		  int64_t *id, struct pcmt_err *err)
{
	static const char ins[] = "INSERT INTO app_user(username, role, ou_id, pw_hash, disabled, created_at, updated_at)"
				  " VALUES ($1, $2, $3, $4, 0, $5, $5)";
	char hash[AUTH_PW_HASH_MAX] = "", now[24], ouid[24] = "";
	int r = auth_role_parse(role);
	const char *kind = role_ou_kind(r);
	struct auth_user u;
	struct ou_info ou;
	struct pcmt_err e2;

	if (!auth_username_ok(username))
		return err_set(err, ERR_INVALID, "username", "a user name is 1 to %d of a-z, 0-9, '.', '_' and '-'",
			       AUTH_USERNAME_MAX);
	if (!r)
		return err_set(err, ERR_INVALID, "role", "role must be admin, province, district, commune, health or viewer");
	if (r != ROLE_ADMIN && (!ou_code || !*ou_code))
		return err_set(err, ERR_INVALID, "orgunit", "a %s user needs --orgunit (the unit whose subtree they work in)",
			       role);
	if (ou_code && *ou_code) {
		if (s->ops->ou_by_code(s, ou_code, DATE_NONE, &ou, err))
			return err_set(err, ERR_INVALID, "orgunit", "no org unit has code %s", ou_code);
		if (kind && strcmp(ou.kind, kind))
			return err_set(err, ERR_INVALID, "orgunit", "a %s user needs a %s, and %s is a %s", role, kind, ou_code,
				       ou.kind);
		snprintf(ouid, sizeof(ouid), "%lld", (long long)ou.id);
	}
	err_clear(&e2);
	if (auth_user_find(s, username, &u, NULL, &e2) == 0)
		return err_set(err, ERR_CONFLICT, "username", "user %s exists already", username);
	if (e2.code != ERR_NOT_FOUND) {
		*err = e2;
		return -1;
	}
	if (pw && auth_pw_hash(pw, hash, err))
		return -1;
	auth_time(0, now);
	{
		const char *p[] = {username, role, *ouid ? ouid : NULL, *hash ? hash : NULL, now};

		if (s->ops->sql(s, ins, 5, p, NULL, NULL, NULL, err))
			return -1;
	}
	if (auth_user_find(s, username, &u, NULL, err))
		return -1;
	if (id)
		*id = u.id;
	return 0;
}

static int revoke_all(struct store *s, int64_t user_id, struct pcmt_err *err)
{
	static const char sql[] = "UPDATE auth_token SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL";
	char id[24], now[24];
	const char *p[] = {id, now};

	snprintf(id, sizeof(id), "%lld", (long long)user_id);
	auth_time(0, now);
	return s->ops->sql(s, sql, 2, p, NULL, NULL, NULL, err);
}

int auth_user_passwd(struct store *s, const char *username, const char *pw, struct pcmt_err *err)
{
	static const char sql[] = "UPDATE app_user SET pw_hash = $2, updated_at = $3 WHERE id = $1";
	struct auth_user u;
	char hash[AUTH_PW_HASH_MAX], id[24], now[24];
	const char *p[] = {id, hash, now};

	if (auth_user_find(s, username, &u, NULL, err) || auth_pw_hash(pw, hash, err))
		return -1;
	snprintf(id, sizeof(id), "%lld", (long long)u.id);
	auth_time(0, now);
	if (s->ops->begin(s, err))
		return -1;
	if (s->ops->sql(s, sql, 3, p, NULL, NULL, NULL, err) || revoke_all(s, u.id, err) || s->ops->commit(s, err)) {
		s->ops->rollback(s);
		return -1;
	}
	return 0;
}

int auth_user_disable(struct store *s, const char *username, int disabled, struct pcmt_err *err)
{
	static const char sql[] = "UPDATE app_user SET disabled = $2, updated_at = $3 WHERE id = $1";
	struct auth_user u;
	char id[24], now[24];
	const char *p[] = {id, disabled ? "1" : "0", now};

	if (auth_user_find(s, username, &u, NULL, err))
		return -1;
	snprintf(id, sizeof(id), "%lld", (long long)u.id);
	auth_time(0, now);
	if (s->ops->begin(s, err))
		return -1;
	if (s->ops->sql(s, sql, 3, p, NULL, NULL, NULL, err) || (disabled && revoke_all(s, u.id, err)) ||
	    s->ops->commit(s, err)) {
		s->ops->rollback(s);
		return -1;
	}
	return 0;
}

json_t *auth_user_json(const struct auth_user *u)
{
	json_t *ou = u->ou_id ? json_pack("{s:I, s:s, s:s}", "id", (json_int_t)u->ou_id, "code", u->ou_code, "name",
					  u->ou_name)
			      : json_null();

	return json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)u->id, "username", u->username, "role",
			 auth_role_name(u->role), "orgunit", ou ? ou : json_null());
}

static int list_row(void *cls, int ncols, const char *const *v)
{
	json_t *arr = cls, *o;
	struct auth_user u;
	struct user_row x = {&u, NULL, 0};

	user_row(&x, ncols, v);
	o = auth_user_json(&u);
	json_object_set_new(o, "disabled", json_boolean(u.disabled));
	json_object_set_new(o, "password", json_boolean(u.has_password));
	json_array_append_new(arr, o);
	return 0;
}

int auth_user_list(struct store *s, json_t **out, struct pcmt_err *err)
{
	static const char sql[] = "SELECT " USER_COLS USER_FROM " ORDER BY u.username";
	json_t *arr = json_array();

	*out = NULL;
	if (s->ops->sql(s, sql, 0, NULL, list_row, arr, NULL, err)) {
		json_decref(arr);
		return -1;
	}
	*out = arr;
	return 0;
}

/* ---- tokens --------------------------------------------------------------------------------- */

/* The stored form of a token: hex BLAKE2b-256. */
static void token_hash(const char *token, char out[65])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

void auth_csrf(const char *token, char out[AUTH_CSRF_LEN + 1])
{
	static const unsigned char key[] = "pcmt csrf token v1, derived from the session token";
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), key, sizeof(key) - 1);
	sodium_bin2base64(out, AUTH_CSRF_LEN + 1, h, sizeof(h), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int auth_token_issue(struct store *s, int64_t user_id, const char *kind, int64_t ttl, const char *addr,
		     char token[AUTH_TOKEN_LEN + 1], struct pcmt_err *err)
{
	static const char sql[] = "INSERT INTO auth_token(token_hash, user_id, kind, created_at, expires_at, addr)"
				  " VALUES ($1, $2, $3, $4, $5, $6)";
	unsigned char raw[AUTH_TOKEN_BYTES];
	char hash[65], id[24], now[24], until[24];
	const char *p[] = {hash, id, kind, now, until, addr};

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token, AUTH_TOKEN_LEN + 1, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	token_hash(token, hash);
	snprintf(id, sizeof(id), "%lld", (long long)user_id);
	auth_time(0, now);
	auth_time(ttl, until);
	return s->ops->sql(s, sql, 6, p, NULL, NULL, NULL, err);
}

/* A token as a client sends it: base64url of the right length; anything else is not looked up. */
static int token_shape_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (n != AUTH_TOKEN_LEN)
		return 0;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') || *t == '-' ||
		      *t == '_'))
			return 0;
	return 1;
}

int auth_token_check(struct store *s, const char *token, const char *kind, struct auth_user *u,
		     struct pcmt_err *err)
{
	static const char sql[] = "SELECT " USER_COLS USER_FROM " JOIN auth_token t ON t.user_id = u.id"
				  " WHERE t.token_hash = $1 AND t.kind = $2 AND t.revoked_at IS NULL AND t.expires_at > $3"
				  " AND u.disabled = 0";
	char hash[65], now[24];
	struct user_row x = {u, NULL, 0};
	const char *p[] = {hash, kind, now};

	if (!token_shape_ok(token))
		return err_set(err, ERR_UNAUTHENTICATED, NULL, "the credentials are not valid (or have expired)");
	token_hash(token, hash);
	auth_time(0, now);
	if (s->ops->sql(s, sql, 3, p, user_row, &x, NULL, err))
		return -1;
	if (!x.found)
		return err_set(err, ERR_UNAUTHENTICATED, NULL, "the credentials are not valid (or have expired)");
	return 0;
}

int auth_token_revoke(struct store *s, const char *token, struct pcmt_err *err)
{
	static const char sql[] = "UPDATE auth_token SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL";
	char hash[65], now[24];
	const char *p[] = {hash, now};

	if (!token_shape_ok(token))
		return 0;
	token_hash(token, hash);
	auth_time(0, now);
	return s->ops->sql(s, sql, 2, p, NULL, NULL, NULL, err);
}
