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
};
/* Starts `pcmt serve --db DB --port 0 --port-file F` and waits until it answers /api/v1/health.
 * extra_env: NULL or "NAME=VALUE" to add to its environment. */
int tl_server_start(struct tl_server *srv, const char *db, const char *extra_env);
/* As tl_server_start with --threads N (0: pcmt's default; tl_server_start uses 4 on PostgreSQL). */
int tl_server_start_ex(struct tl_server *srv, const char *db, const char *extra_env, int threads);
/* SIGTERM (or SIGKILL when hard) and wait. A soft stop that does not end in exit status 0 (a crash,
 * a sanitizer report) fails the running test. */
void tl_server_stop(struct tl_server *srv, int hard);

struct tl_resp {
	long status;
	char *body;     /* malloc'd, NUL-terminated */
	size_t len;
	json_t *json;   /* parsed body or NULL */
	char *headers;  /* malloc'd response header lines, or NULL */
};
/* method "GET"/"POST"/...; path begins with "/"; body may be NULL. Returns 0 when a response came. */
int tl_http(struct tl_server *srv, const char *method, const char *path, const char *body,
	    struct tl_resp *r);
/* As tl_http, with extra request headers (a NULL-terminated list of "Name: value", or NULL) and a
 * body of len bytes. A body is sent as Content-Type: application/json unless headers name another
 * ("Content-Type:" with no value sends none). */
int tl_http_ex(struct tl_server *srv, const char *method, const char *path, const char *const *headers,
	       const char *body, size_t len, struct tl_resp *r);
void tl_resp_free(struct tl_resp *r);
/* The value of response header `name` (case-insensitive) copied into buf, or NULL when absent. */
const char *tl_resp_header(const struct tl_resp *r, const char *name, char *buf, size_t cap);
/* The error.field / error.code of a JSON error body, or "" */
const char *tl_err_field(const struct tl_resp *r);
const char *tl_err_code(const struct tl_resp *r);

#endif
