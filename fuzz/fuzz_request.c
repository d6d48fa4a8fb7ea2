/* fuzz_request.c: whole HTTP requests through the real server in this process: libmicrohttpd's
 * request-line, header and query-string parsing, pcmt's unescaping, routing, authentication, the
 * query parameters of every handler (filters, limits, dates, plans), JSON bodies, validation and the
 * store, on a small SQLite database with the test org units and one person, as an administrator.
 *
 * Input: the first line is "METHOD TARGET" (TARGET is path?query, sent as given except for bytes
 * that would end the request line), everything after it is the body. The request is sent over
 * loopback with Content-Length and Connection: close and the whole answer is read. A hang (no answer
 * within 10 s), an answer that is not HTTP, or a 5xx other than 503 is a bug: bad input must get a
 * 4xx (docs/api.md). Sanitizer reports from the server threads end the run as any crash does. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <sodium.h>

#include "auth/auth.h"
#include "domain/entity.h"
#include "http/server.h"
#include "store/store.h"
#include "util/date.h"
#include "util/err.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct http_server *srv;
static int port;
static char token[128];
static char dir[] = "/tmp/pcmt-fuzz-request-XXXXXX";
static char db[96];
static int64_t admin_id;

static const struct {
	const char *code, *name, *kind, *parent;
} units[] = {{"VN", "Việt Nam", "nation", NULL},
	     {"40", "Tỉnh Nghệ An", "province", "VN"},
	     {"417", "Huyện Kỳ Sơn", "district", "40"},
	     {"16837", "Xã Nậm Cắn", "commune", "417"},
	     {"16822", "Xã Keng Đu", "commune", "417"}};

static void die(const char *what, const struct pcmt_err *err)
{
	fprintf(stderr, "fuzz_request: %s: %s\n", what, err ? err->message : strerror(errno));
	exit(1);
}

static void cleanup(void)
{
	char path[128];

	if (srv)
		http_server_stop(srv);
	srv = NULL;
	for (const char *const *s = (const char *const[]){"", "-wal", "-shm", NULL}; *s; s++) {
		snprintf(path, sizeof(path), "%s/fuzz.db%s", dir, *s);
		unlink(path);
	}
	rmdir(dir);
}

/* the data the requests find: org units, one person, an API-only admin and its token */
static void seed(const char *path)
{
	struct pcmt_err err;
	struct ent_ctx ctx = {date_today()};
	struct store *s;
	err_clear(&err);
	if (!(s = store_open(path, &err)) || s->ops->migrate(s, NULL, NULL, &err))
		die("store", &err);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		json_t *in = json_pack("{s:s, s:s, s:s}", "code", units[i].code, "name", units[i].name, "kind",
				       units[i].kind);
		json_t *rec = NULL;

		if (units[i].parent)
			json_object_set_new(in, "parent_id", json_string(units[i].parent));
		if (ent_validate(&ent_orgunits, &ctx, in, 0, &rec, &err) ||
		    s->ops->insert(s, &ent_orgunits, NULL, rec, NULL, &err))
			die("org unit", &err);
		json_decref(in);
		json_decref(rec);
	}
	{
		json_t *in = json_pack("{s:s, s:s, s:s, s:s}", "full_name", "Nguyễn Văn An", "sex", "male", "dob",
				       "1990-01-02", "residence_ou", "16837");
		json_t *rec = NULL;

		if (ent_validate(&ent_persons, &ctx, in, 0, &rec, &err) ||
		    s->ops->insert(s, &ent_persons, NULL, rec, NULL, &err))
			die("person", &err);
		json_decref(in);
		json_decref(rec);
	}
	if (auth_user_add(s, "fuzz-admin", "admin", NULL, NULL, &admin_id, &err) ||
	    auth_token_issue(s, admin_id, "bearer", 86400, "fuzz", token, &err))
		die("admin", &err);
	store_close(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct http_server_opts o = {0};
	struct pcmt_err err;

	(void)argc;
	(void)argv;
	/* identities are sealed (store/vault.h): the server needs a key, a fresh one per run as in
	 * tests/testlib.c, unless the environment names one */
	if (!getenv("PCMT_KEY") && !getenv("PCMT_KEY_FILE")) {
		unsigned char k[32];
		char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];

		if (sodium_init() < 0)
			die("sodium_init", NULL);
		randombytes_buf(k, sizeof k);
		sodium_bin2base64(b64, sizeof b64, k, sizeof k, sodium_base64_VARIANT_ORIGINAL);
		setenv("PCMT_KEY", b64, 0);
	}
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	snprintf(db, sizeof(db), "%s/fuzz.db", dir);
	seed(db);
	o.db_url = db;
	o.bind = "127.0.0.1";
	o.port = 0;
	o.threads = 2;
	o.web_dir = PCMT_WEB_DIR;
	err_clear(&err);
	if (http_server_start(&o, &srv, &err))
		die("http_server_start", &err);
	port = http_server_port(srv);
	atexit(cleanup);
	return 0;
}

/* bytes that would end the request line or a header: replaced, so that the request stays one */
static void line_safe(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == ' ' || s[i] == '\t' || s[i] == '\0')
			s[i] = '_';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t head_len = nl ? (size_t)(nl - data) : size, body_len = nl ? size - head_len - 1 : 0;
	char head[2048], method[16] = "GET", *target, req[4096], resp[8192];
	size_t mlen = 0, got = 0, off;
	struct sockaddr_in sa;
	struct timeval tv = {10, 0};
	int fd, status = 0, n;

	if (head_len >= sizeof(head) || body_len > (2 << 20))
		return 0;
	memcpy(head, data, head_len);
	head[head_len] = '\0';
	/* METHOD: up to the first space, letters only (anything else is sent as GET) */
	target = strchr(head, ' ');
	if (target) {
		mlen = (size_t)(target - head);
		if (mlen > 0 && mlen < sizeof(method) && strspn(head, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == mlen) {
			memcpy(method, head, mlen);
			method[mlen] = '\0';
		}
		target++;
	} else {
		target = head;
	}
	line_safe(target, strlen(target));
	if (*target != '/' && *target != '*')
		return 0; /* not a request target a client would send */

	off = (size_t)snprintf(req, sizeof(req),
			       "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
			       "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			       method, target, token, body_len);
	if (off >= sizeof(req))
		return 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* libFuzzer's -timeout alarm (SIGALRM) may interrupt a system call: start over then */
	for (;;) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			die("socket", NULL);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		if (errno != EINTR)
			die("connect", NULL);
		close(fd);
	}
	/* the server may answer (413, 400) and close before the body is through: that is fine */
	if (send(fd, req, off, MSG_NOSIGNAL) == (ssize_t)off && body_len)
		(void)send(fd, nl + 1, body_len, MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	while ((n = (int)recv(fd, resp + got, sizeof(resp) - 1 - got, 0)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		got += (size_t)n;
		if (got == sizeof(resp) - 1)
			got = 16; /* keep the status line, drain the rest */
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		fprintf(stderr, "fuzz_request: no answer within 10 s to %s %s\n", method, target);
		abort();
	}
	close(fd);
	resp[got] = '\0';
	if (got == 0)
		return 0; /* closed without an answer: MHD does this for a request it cannot parse at all */
	if (sscanf(resp, "HTTP/1.%*1[01] %3d", &status) != 1) {
		fprintf(stderr, "fuzz_request: not an HTTP answer to %s %s: %.40s\n", method, target, resp);
		abort();
	}
	if (status == 401) {
		/* an input logged the admin out (POST /auth/logout revokes the bearer token): a new one,
		 * so that the inputs after it still reach the handlers */
		struct pcmt_err err;
		struct store *s;

		err_clear(&err);
		if (!(s = store_open(db, &err)) || auth_token_issue(s, admin_id, "bearer", 86400, "fuzz", token, &err))
			die("new token", &err);
		store_close(s);
	}
	if (status >= 500 && status != 503) {
		fprintf(stderr, "fuzz_request: %d to %s %s\n%s\n", status, method, target, resp);
		abort();
	}
	return 0;
}
