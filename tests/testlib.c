/* testlib.c: temporary databases with a small org-unit tree, a `pcmt serve` child on a free port,
 * and HTTP through libcurl, for the store and API tests. */
#define _XOPEN_SOURCE 700
#include "testlib.h"

#include <curl/curl.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "auth/auth.h"
#include "util/date.h"

enum { START_WAIT_MS = 10000, STOP_WAIT_MS = 10000, RESP_MAX = 64 << 20 };

/* ---- temporary directories ------------------------------------------------------------------ */

const char *tl_pg(void)
{
	const char *base = getenv("PCMT_TEST_PG"), *backend = getenv("PCMT_TEST_BACKEND");

	if (backend && !strcmp(backend, "sqlite"))
		return NULL;
	if (!base || !*base) {
		if (backend && !strcmp(backend, "pg")) {
			fprintf(stderr, "testlib: PCMT_TEST_BACKEND=pg but PCMT_TEST_PG is not set: skipped\n");
			exit(77);
		}
		return NULL;
	}
	return base;
}

/* The key that seals identities (store/vault.h), for this process and the `pcmt` children it
 * starts: a fresh random one per test process, unless the environment names one. */
static void tl_key_env(void)
{
	unsigned char k[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];

	if (getenv("PCMT_KEY") || getenv("PCMT_KEY_FILE"))
		return;
	if (sodium_init() < 0)
		abort();
	randombytes_buf(k, sizeof k);
	sodium_bin2base64(b64, sizeof b64, k, sizeof k, sodium_base64_VARIANT_ORIGINAL);
	setenv("PCMT_KEY", b64, 0);
}

int tl_tmp_init(struct tl_tmp *t)
{
	static int serial;
	const char *pg = tl_pg();

	tl_key_env();

	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/pcmt-test-XXXXXX");
	if (!mkdtemp(t->dir)) {
		t->dir[0] = '\0';
		return -1;
	}
	if (!pg) {
		snprintf(t->db, sizeof(t->db), "%s/test.db", t->dir);
		return 0;
	}
	/* the directory's random suffix makes the name unique across concurrent test processes */
	{
		char name[64];

		snprintf(name, sizeof(name), "pcmt_t_%d_%d_%s", (int)getpid(), __atomic_add_fetch(&serial, 1, __ATOMIC_SEQ_CST),
			 strrchr(t->dir, '-') + 1);
		for (char *c = name; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		if (snprintf(t->db, sizeof(t->db), "%s%sdbname=%s", pg, strchr(pg, '?') ? "&" : "?", name) >= (int)sizeof(t->db))
			return -1;
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	if (remove(path))
		fprintf(stderr, "testlib: cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

void tl_tmp_cleanup(struct tl_tmp *t)
{
	struct pcmt_err err;

	err_clear(&err);
	if (t->dir[0] && !getenv("PCMT_KEEP_TMP")) {
		nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		if (store_url_is_pg(t->db) && store_destroy(t->db, &err))
			fprintf(stderr, "testlib: cannot drop the test database: %s\n", err.message);
	}
	t->dir[0] = '\0';
}

/* ---- a store with org units ----------------------------------------------------------------- */

static const struct {
	const char *code, *name, *kind, *parent;
} units[] = {
	{"VN", "Việt Nam", "nation", NULL},
	{"40", "Tỉnh Nghệ An", "province", "VN"},
	{"417", "Huyện Kỳ Sơn", "district", "40"},
	{"16837", "Xã Nậm Cắn", "commune", "417"},
	{"16822", "Xã Keng Đu", "commune", "417"},
	{"415", "Huyện Quế Phong", "district", "40"},
	{"16756", "Xã Tri Lễ", "commune", "415"}};

struct store *tl_store_with_units(struct tl_tmp *t)
{
	struct pcmt_err err;
	struct ent_ctx ctx = {date_today()};
	struct store *s;

	err_clear(&err);
	if (tl_tmp_init(t))
		return NULL;
	if (!(s = store_open(t->db, &err)) || s->ops->migrate(s, NULL, NULL, &err))
		goto fail;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		json_t *in = json_pack("{s:s, s:s, s:s}", "code", units[i].code, "name", units[i].name, "kind", units[i].kind);
		json_t *rec = NULL;
		int rc;

		if (units[i].parent)
			json_object_set_new(in, "parent_id", json_string(units[i].parent));
		rc = ent_validate(&ent_orgunits, &ctx, in, 0, &rec, &err) ||
		     s->ops->insert(s, &ent_orgunits, NULL, rec, NULL, &err);
		json_decref(in);
		json_decref(rec);
		if (rc)
			goto fail;
	}
	return s;
fail:
	fprintf(stderr, "testlib: cannot build the test store in %s: %s (%s)\n", t->db, err.message, err.field);
	store_close(s);
	return NULL;
}

int64_t tl_ou(struct store *s, const char *code)
{
	struct pcmt_err err;
	struct ou_info ou;

	err_clear(&err);
	if (s->ops->ou_by_code(s, code, DATE_NONE, &ou, &err))
		return 0;
	return ou.id;
}

/* ---- a server ------------------------------------------------------------------------------- */

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int read_port(const char *path)
{
	FILE *f = fopen(path, "r");
	int port = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%d", &port) != 1)
		port = 0;
	fclose(f);
	return port;
}

int tl_server_start(struct tl_server *srv, const char *db, const char *extra_env)
{
	/* on PostgreSQL each worker thread holds a connection: a few per server keep parallel tests
	 * within the test cluster's max_connections whatever the machine's CPU count */
	return tl_server_start_ex(srv, db, extra_env, store_url_is_pg(db) ? 4 : 0);
}

/* The admin the tests act as: API-only (no password to hash), created once per database. */
static void admin_token(struct tl_server *srv, const char *db)
{
	struct pcmt_err err;
	struct store *s;
	struct auth_user u;
	int64_t id = 0;

	err_clear(&err);
	if (!(s = store_open(db, &err)) || s->ops->migrate(s, NULL, NULL, &err))
		goto out; /* the server will say what is wrong */
	if (auth_user_find(s, "tl-admin", &u, NULL, &err) == 0)
		id = u.id;
	else if (err.code != ERR_NOT_FOUND)
		goto out;
	else if ((err_clear(&err), auth_user_add(s, "tl-admin", "admin", NULL, NULL, &id, &err)))
		goto out;
	if (auth_token_issue(s, id, "bearer", 86400, "testlib", srv->token, &err))
		srv->token[0] = '\0';
out:
	if (err.code)
		fprintf(stderr, "testlib: no admin token for %s: %s\n", db, err.message);
	store_close(s);
}

int tl_server_start_ex(struct tl_server *srv, const char *db, const char *extra_env, int threads)
{
	return tl_server_start_args(srv, db, extra_env, threads, NULL);
}

int tl_server_start_args(struct tl_server *srv, const char *db, const char *extra_env, int threads,
			 const char *const *args)
{
	char nthreads[16];
	static int serial;
	const char *bin = getenv("PCMT_BIN");
	char port_file[400];
	int waited = 0, status;

	memset(srv, 0, sizeof(srv[0]));
	if (!bin || !*bin)
		bin = PCMT_BIN;
	snprintf(srv->db, sizeof(srv->db), "%s", db);
	admin_token(srv, db);
	/* beside a database file; in /tmp for a database URL */
	snprintf(port_file, sizeof(port_file), "%s.port.%d.%d", store_url_is_pg(db) ? "/tmp/pcmt-test" : db, (int)getpid(),
		 __atomic_add_fetch(&serial, 1, __ATOMIC_SEQ_CST));
	unlink(port_file);
	fflush(NULL);
	srv->pid = fork();
	if (srv->pid < 0)
		return -1;
	if (srv->pid == 0) {
		if (extra_env)
			putenv(strdup(extra_env));
		const char *argv[48] = {"pcmt", "serve", "--db", db, "--port", "0", "--port-file", port_file};
		int argc = 8;

		snprintf(nthreads, sizeof(nthreads), "%d", threads);
		if (threads > 0) {
			argv[argc++] = "--threads";
			argv[argc++] = nthreads;
		}
		for (int i = 0; args && args[i] && argc < 47; i++)
			argv[argc++] = args[i];
		argv[argc] = NULL;
		execv(bin, (char *const *)argv);
		fprintf(stderr, "testlib: cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	while (waited < START_WAIT_MS && !(srv->port = read_port(port_file))) {
		if (waitpid(srv->pid, &status, WNOHANG) == srv->pid) {
			fprintf(stderr, "testlib: pcmt serve exited before listening (status %d)\n", status);
			srv->pid = 0;
			return -1;
		}
		sleep_ms(20);
		waited += 20;
	}
	unlink(port_file);
	if (!srv->port) {
		fprintf(stderr, "testlib: pcmt serve did not write its port within %d ms\n", START_WAIT_MS);
		tl_server_stop(srv, 1);
		return -1;
	}
	snprintf(srv->base, sizeof(srv->base), "http://127.0.0.1:%d", srv->port);
	while (waited < START_WAIT_MS) {
		struct tl_resp r;
		int ok = tl_http(srv, "GET", "/api/v1/health", NULL, &r) == 0 && r.status == 200;

		tl_resp_free(&r);
		if (ok)
			return 0;
		sleep_ms(50);
		waited += 50;
	}
	fprintf(stderr, "testlib: pcmt serve did not answer /api/v1/health within %d ms\n", START_WAIT_MS);
	tl_server_stop(srv, 1);
	return -1;
}

void tl_server_stop(struct tl_server *srv, int hard)
{
	int status = 0, waited = 0;

	if (srv->pid <= 0)
		return;
	kill(srv->pid, hard ? SIGKILL : SIGTERM);
	while (waitpid(srv->pid, &status, WNOHANG) == 0) {
		if (waited >= STOP_WAIT_MS) {
			fprintf(stderr, "testlib: pcmt serve ignored SIGTERM for %d ms; killing it\n", STOP_WAIT_MS);
			kill(srv->pid, SIGKILL);
			waitpid(srv->pid, &status, 0);
			break;
		}
		sleep_ms(10);
		waited += 10;
	}
	srv->pid = 0;
	/* A clean stop exits 0; anything else (a sanitizer report, a crash) fails the test. */
	if (!hard && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		fail_msg("pcmt serve did not stop cleanly: %s %d", WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* ---- HTTP ----------------------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_data(char *p, size_t size, size_t n, void *cls)
{
	struct tl_resp *r = cls;
	size_t add = size * n;
	char *nb;

	if (r->len + add > RESP_MAX || !(nb = realloc(r->body, r->len + add + 1)))
		return 0;
	memcpy(nb + r->len, p, add);
	r->body = nb;
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

/* The session cookie and Retry-After, kept apart for the authentication tests. */
static void header_auth(struct tl_resp *r, const char *p, size_t len)
{
	char line[200];

	snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) - 1 ? len : sizeof(line) - 1), p);
	line[strcspn(line, "\r\n")] = '\0';
	if (!strncasecmp(line, "Set-Cookie: ", 12)) {
		snprintf(r->set_cookie, sizeof(r->set_cookie), "%s", line + 12);
		if (!strncmp(line + 12, "pcmt_session=", 13))
			snprintf(r->cookie, sizeof(r->cookie), "%.*s", (int)strcspn(line + 25, ";"), line + 25);
	} else if (!strncasecmp(line, "Retry-After: ", 13)) {
		r->retry_after = strtol(line + 13, NULL, 10);
	}
}

/* Response headers are kept as received ("Name: value\r\n" lines) for tl_resp_header. */
static size_t on_header(char *p, size_t size, size_t n, void *cls)
{
	struct tl_resp *r = cls;
	size_t add = size * n, have = r->headers ? strlen(r->headers) : 0;
	char *nb;

	if (have + add > 65536 || !(nb = realloc(r->headers, have + add + 1)))
		return 0;
	memcpy(nb + have, p, add);
	nb[have + add] = '\0';
	r->headers = nb;
	header_auth(r, p, add);
	return add;
}

const char *tl_resp_header(const struct tl_resp *r, const char *name, char *buf, size_t cap)
{
	size_t n = strlen(name);

	for (const char *l = r->headers; l && *l;) {
		const char *e = strstr(l, "\r\n");
		size_t ll = e ? (size_t)(e - l) : strlen(l);

		if (ll > n && l[n] == ':' && !strncasecmp(l, name, n)) {
			const char *v = l + n + 1;

			while (*v == ' ')
				v++;
			snprintf(buf, cap, "%.*s", (int)(ll - (size_t)(v - l)), v);
			return buf;
		}
		l += ll + (e ? 2 : 0);
	}
	return NULL;
}

int tl_http_ex(struct tl_server *srv, const char *method, const char *path, const char *const *headers,
	       const char *body, size_t len, struct tl_resp *r)
{
	char auth[128];
	int has_auth = 0;
	CURL *c;
	struct curl_slist *hl = NULL;
	char url[2048];
	int has_ct = 0, rc = -1;
	CURLcode cc;

	memset(r, 0, sizeof(*r));
	pthread_once(&curl_once, curl_init);
	if (!(c = curl_easy_init()))
		return -1;
	snprintf(url, sizeof(url), "%s%s", srv->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	for (int i = 0; headers && headers[i]; i++) {
		if (!strncasecmp(headers[i], "Content-Type:", 13))
			has_ct = 1;
		if (!strncasecmp(headers[i], "Authorization:", 14) || !strncasecmp(headers[i], "Cookie:", 7))
			has_auth = 1;
		hl = curl_slist_append(hl, headers[i]);
	}
	if (!has_auth && srv->token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", srv->token);
		hl = curl_slist_append(hl, auth);
	}
	if (body) {
		if (!has_ct)
			hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") || body)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (hl)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		if (r->len)
			r->json = json_loadb(r->body, r->len, 0, NULL);
		rc = 0;
	} else {
		r->status = 0;
	}
	if (!r->body)
		r->body = calloc(1, 1);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return rc;
}

int tl_http(struct tl_server *srv, const char *method, const char *path, const char *body, struct tl_resp *r)
{
	return tl_http_ex(srv, method, path, NULL, body, body ? strlen(body) : 0, r);
}

void tl_resp_free(struct tl_resp *r)
{
	free(r->body);
	free(r->headers);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

static const char *err_key(const struct tl_resp *r, const char *k)
{
	const char *s = json_string_value(json_object_get(json_object_get(r->json, "error"), k));

	return s ? s : "";
}

const char *tl_err_field(const struct tl_resp *r)
{
	return err_key(r, "field");
}

const char *tl_err_code(const struct tl_resp *r)
{
	return err_key(r, "code");
}

/* ---- acting as another user ----------------------------------------------------------------- */

int tl_user(struct tl_server *srv, const char *username, const char *role, const char *ou_code, const char *password,
	    char token[64])
{
	struct pcmt_err err;
	struct store *s;
	int64_t id = 0;

	err_clear(&err);
	if (!(s = store_open(srv->db, &err)) || auth_user_add(s, username, role, ou_code, password, &id, &err) ||
	    (token && auth_token_issue(s, id, "bearer", 86400, "testlib", token, &err))) {
		store_close(s);
		fail_msg("testlib: cannot add user %s (%s in %s): %s", username, role, ou_code ? ou_code : "-", err.message);
		return -1;
	}
	store_close(s);
	return 0;
}

int tl_http_as(struct tl_server *srv, const char *token, const char *method, const char *path, const char *body,
	       struct tl_resp *r)
{
	char auth[128];
	const char *h[] = {auth, NULL};

	if (token)
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	else
		snprintf(auth, sizeof(auth), "Authorization:");
	return tl_http_ex(srv, method, path, h, body, body ? strlen(body) : 0, r);
}

long tl_login(struct tl_server *srv, const char *username, const char *password, char session[64], char csrf[64])
{
	json_t *b = json_pack("{s:s, s:s}", "username", username, "password", password);
	char *body = json_dumps(b, JSON_COMPACT);
	struct tl_resp r;
	long st;

	session[0] = csrf[0] = '\0';
	if (tl_http_as(srv, NULL, "POST", "/api/v1/auth/login", body, &r))
		fail_msg("testlib: login request failed");
	st = r.status;
	if (st == 200) {
		snprintf(session, 64, "%.63s", r.cookie);
		const char *c = json_string_value(json_object_get(r.json, "csrf_token"));

		snprintf(csrf, 64, "%s", c ? c : "");
	}
	tl_resp_free(&r);
	free(body);
	json_decref(b);
	return st;
}

int tl_http_cookie(struct tl_server *srv, const char *session, const char *csrf, const char *method, const char *path,
		   const char *body, struct tl_resp *r)
{
	char cookie[128], x[128];
	const char *h[] = {cookie, csrf ? x : NULL, NULL};

	snprintf(cookie, sizeof(cookie), "Cookie: pcmt_session=%s", session);
	if (csrf)
		snprintf(x, sizeof(x), "X-CSRF-Token: %s", csrf);
	return tl_http_ex(srv, method, path, h, body, body ? strlen(body) : 0, r);
}
