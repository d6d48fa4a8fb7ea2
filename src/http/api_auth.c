/* api_auth.c: POST /api/v1/auth/login, POST /api/v1/auth/logout, GET /api/v1/auth/me and
 * POST /api/v1/auth/tokens (the contract: docs/security.md). Logins are throttled per user name and
 * per address (auth/throttle.h) and audited whatever their outcome. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/throttle.h"
#include "http/http.h"
#include "http/server.h"
#include "util/arena.h"

/* {"user": ..., "csrf_token": ...}: csrf_token is null for a bearer-token caller (no CSRF there). */
static json_t *whoami(const struct auth_user *u, const char *session_token)
{
	char csrf[AUTH_CSRF_LEN + 1];

	if (!session_token)
		return json_pack("{s:o, s:n}", "user", auth_user_json(u), "csrf_token");
	auth_csrf(session_token, csrf);
	return json_pack("{s:o, s:s}", "user", auth_user_json(u), "csrf_token", csrf);
}

static void session_cookie(struct http_req *r, const char *token, int max_age)
{
	snprintf(r->cookie, sizeof(r->cookie), "pcmt_session=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%d%s",
		 token, max_age, http_server_tls(r->srv) ? "; Secure" : "");
}

/* A login's audit entry: by the name tried (there is no user yet when it fails). */
static void audit_login(struct http_req *r, const struct auth_user *u, const char *name, const char *outcome)
{
	const struct auth_user *was = r->user;
	struct auth_user tried;

	memset(&tried, 0, sizeof(tried));
	if (u)
		tried = *u;
	else
		snprintf(tried.username, sizeof(tried.username), "%.*s", AUTH_USERNAME_MAX, name);
	r->user = &tried;
	http_audit(r, "login", "auth", 0, "", outcome);
	r->user = was;
	r->audit = -1;
}

int api_login(struct http_req *r)
{
	struct auth_user u;
	struct pcmt_err err;
	char hash[AUTH_PW_HASH_MAX] = "", token[AUTH_TOKEN_LEN + 1];
	const char *name, *pw;
	int wait, found;

	err_clear(&err);
	name = json_string_value(json_object_get(r->body, "username"));
	pw = json_string_value(json_object_get(r->body, "password"));
	if (!name || !*name)
		return http_failf(r, ERR_INVALID, "username", "username is required (a string)");
	if (!pw)
		return http_failf(r, ERR_INVALID, "password", "password is required (a string)");
	if (strlen(name) > AUTH_USERNAME_MAX || strlen(pw) > AUTH_PW_MAX)
		return http_failf(r, ERR_UNAUTHENTICATED, NULL, "wrong user name or password");
	if ((wait = throttle_wait(http_throttle(r->srv), name, r->addr, time(NULL))) > 0) {
		r->retry_after = wait;
		audit_login(r, NULL, name, "throttled");
		return http_failf(r, ERR_THROTTLED, NULL, "too many failed logins; try again in %d seconds", wait);
	}
	found = auth_user_find(r->st, name, &u, hash, &err) == 0;
	if (!found && err.code != ERR_NOT_FOUND)
		return http_fail(r, &err);
	/* unknown user, disabled user and wrong password: one answer, one cost */
	if (auth_pw_verify(found && !u.disabled ? hash : NULL, pw)) {
		throttle_failed(http_throttle(r->srv), name, r->addr, time(NULL));
		audit_login(r, found ? &u : NULL, name, "failed");
		return http_failf(r, ERR_UNAUTHENTICATED, NULL, "wrong user name or password");
	}
	throttle_succeeded(http_throttle(r->srv), name);
	if (auth_token_issue(r->st, u.id, "session", AUTH_SESSION_TTL, r->addr, token, &err))
		return http_fail(r, &err);
	session_cookie(r, token, AUTH_SESSION_TTL);
	audit_login(r, &u, name, "ok");
	return http_json(r, 200, whoami(&u, token));
}

int api_logout(struct http_req *r)
{
	struct pcmt_err err;

	err_clear(&err);
	if (auth_token_revoke(r->st, r->token, &err))
		return http_fail(r, &err);
	r->audit = 1;
	snprintf(r->audit_action, sizeof(r->audit_action), "logout");
	if (r->via_cookie)
		session_cookie(r, "", 0);
	return http_json(r, 204, NULL);
}

int api_me(struct http_req *r)
{
	return http_json(r, 200, whoami(r->user, r->via_cookie ? r->token : NULL));
}

/* POST /api/v1/auth/tokens[?expires=DAYS]: a bearer token for the caller, shown once. */
int api_token_new(struct http_req *r)
{
	struct pcmt_err err;
	char token[AUTH_TOKEN_LEN + 1], until[24];
	const char *e = http_query(r, "expires");
	int64_t days = AUTH_BEARER_TTL_DAYS;

	err_clear(&err);
	if (e && ((days = http_parse_pos(e)) <= 0 || days > 366))
		return http_failf(r, ERR_INVALID, "expires", "expires must be a number of days from 1 to 366");
	if (auth_token_issue(r->st, r->user->id, "bearer", days * 86400, r->addr, token, &err))
		return http_fail(r, &err);
	auth_time(days * 86400, until);
	r->audit = 1;
	snprintf(r->audit_action, sizeof(r->audit_action), "token");
	return http_json(r, 201, json_pack("{s:s, s:s}", "token", token, "expires_at", until));
}
