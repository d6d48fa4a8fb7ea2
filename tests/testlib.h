/* testlib.h: shared helpers for pcmt's tests: temporary databases, a `pcmt serve` child on a free
 * port, and HTTP calls through libcurl. Only tests link this. */
#ifndef PCMT_TESTLIB_H
#define PCMT_TESTLIB_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include "store/store.h"

/* A fresh temporary directory (mkdtemp) and a database inside it; removed by tl_cleanup.
 * Backend selection: with $PCMT_TEST_PG set (a base URL such as
 * postgresql://pcmt@/postgres?host=/tmp/sock) and PCMT_TEST_BACKEND not "sqlite", db is instead a
 * URL naming a fresh PostgreSQL database pcmt_t_<pid>_<n>_<random> (created on first open, dropped
 * by tl_tmp_cleanup), so the same tests run on both backends. PCMT_TEST_BACKEND=pg without
 * $PCMT_TEST_PG exits 77 (CTest: skipped). */
struct tl_tmp {
	char dir[256];
	char db[600];
};
int tl_tmp_init(struct tl_tmp *t);
void tl_tmp_cleanup(struct tl_tmp *t);
/* The PostgreSQL base URL the tests run against, or NULL for SQLite. */
const char *tl_pg(void);

/* A migrated store on a new temporary database, with a small org-unit tree:
 * VN (nation) > 40 Nghe An (province) > 417 Ky Son (district) > communes 16837 Nam Can and
 * 16822 Keng Du; and 40 > 415 Que Phong > 16756 Tri Le. Ids are looked up with tl_ou(). */
struct store *tl_store_with_units(struct tl_tmp *t);
int64_t tl_ou(struct store *s, const char *code);

/* A `pcmt serve` child process on a free port. */
struct tl_server {
	pid_t pid;
	int port;
	char base[64]; /* "http://127.0.0.1:PORT" */
	char db[600];  /* the database it serves */
	char token[64]; /* an admin's bearer token (user tl-admin), sent by tl_http() by default */
};
/* Starts `pcmt serve --db DB --port 0 --port-file F` and waits until it answers /api/v1/health.
 * Before that it makes sure the database has the API-only admin user "tl-admin" and gives srv a
 * bearer token of it, which tl_http() and tl_http_ex() send unless told otherwise.
 * extra_env: NULL or "NAME=VALUE" to add to its environment. */
int tl_server_start(struct tl_server *srv, const char *db, const char *extra_env);
/* As tl_server_start with --threads N (0: pcmt's default; tl_server_start uses 4 on PostgreSQL). */
int tl_server_start_ex(struct tl_server *srv, const char *db, const char *extra_env, int threads);
/* As tl_server_start_ex with more `pcmt serve` options (a NULL-terminated list, or NULL). */
int tl_server_start_args(struct tl_server *srv, const char *db, const char *extra_env, int threads,
			 const char *const *args);
/* SIGTERM (or SIGKILL when hard) and wait. A soft stop that does not end in exit status 0 (a crash,
 * a sanitizer report) fails the running test. */
void tl_server_stop(struct tl_server *srv, int hard);

struct tl_resp {
	long status;
	char *body;     /* malloc'd, NUL-terminated */
	size_t len;
	json_t *json;   /* parsed body or NULL */
	char *headers;  /* malloc'd response header lines, or NULL */
	char cookie[128];   /* the pcmt_session value of a Set-Cookie header, or "" */
	char set_cookie[256]; /* the whole Set-Cookie header value, or "" */
	long retry_after;   /* the Retry-After header, or 0 */
};
/* method "GET"/"POST"/...; path begins with "/"; body may be NULL. Returns 0 when a response came.
 * Sends the server's admin token (srv->token) as Authorization: Bearer. */
int tl_http(struct tl_server *srv, const char *method, const char *path, const char *body,
	    struct tl_resp *r);
/* As tl_http, with extra request headers (a NULL-terminated list of "Name: value", or NULL) and a
 * body of len bytes. A body is sent as Content-Type: application/json unless headers name another
 * ("Content-Type:" with no value sends none). The admin token is sent unless headers contain an
 * "Authorization:" or "Cookie:" line ("Authorization:" with no value sends no credentials). */
int tl_http_ex(struct tl_server *srv, const char *method, const char *path, const char *const *headers,
	       const char *body, size_t len, struct tl_resp *r);
void tl_resp_free(struct tl_resp *r);
/* The value of response header `name` (case-insensitive) copied into buf, or NULL when absent. */
const char *tl_resp_header(const struct tl_resp *r, const char *name, char *buf, size_t cap);

/* Acting as someone else. tl_user() adds a user to the server's database (role admin, province,
 * district, commune, health or viewer; ou_code NULL for an admin; password NULL for an API-only
 * user) and, when token is not NULL, issues it a bearer token. Returns 0 or fails the test. */
int tl_user(struct tl_server *srv, const char *username, const char *role, const char *ou_code, const char *password,
	    char token[64]);
/* A request with the given bearer token (NULL: no credentials at all). */
int tl_http_as(struct tl_server *srv, const char *token, const char *method, const char *path, const char *body,
	       struct tl_resp *r);
/* Logs in with a password: session receives the cookie's token, csrf the CSRF token. Returns the
 * status (200 on success). */
long tl_login(struct tl_server *srv, const char *username, const char *password, char session[64], char csrf[64]);
/* A request authenticated by the session cookie, with X-CSRF-Token: csrf unless csrf is NULL. */
int tl_http_cookie(struct tl_server *srv, const char *session, const char *csrf, const char *method, const char *path,
		   const char *body, struct tl_resp *r);
/* The error.field / error.code of a JSON error body, or "" */
const char *tl_err_field(const struct tl_resp *r);
const char *tl_err_code(const struct tl_resp *r);

#endif
