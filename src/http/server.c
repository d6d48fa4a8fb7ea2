/* server.c: the libmicrohttpd daemon behind `pcmt serve`: per-request arena and capped body,
 * the store handle pool, the one place where a caller is authenticated, checked against the route's
 * roles and given its scope, the audit of every person-level request, and sending the JSON a
 * handler left in struct http_req. Routing (and the roles of each route) is routes.c; the
 * handlers are api_*.c. */
#include "http/server.h"
#include "engine/live.h"
#include "engine/rulebook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "auth/auditq.h"
#include "auth/throttle.h"
#include "http/http.h"
#include "store/group.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/date.h"

enum {
	DISCARD_MAX = 16 << 20,   /* an over-long chunked body is drained this far, then dropped */
	CONN_LIMIT = 1024,        /* simultaneous connections served (--max-connections) */
	CONN_TIMEOUT_S = 30,      /* idle seconds before a connection is closed (slowloris; --timeout) */
	POOL_WAIT_S = 30          /* longest wait for a free store handle before 503 */
};

/* Store handles are single-threaded: a request checks one out for its duration. */
struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct store **all;  /* every handle, closed at stop */
	struct store **idle; /* stack of free handles */
	int n, nidle;
};

struct http_server {
	struct MHD_Daemon *d;
	atomic_int listening; /* MHD's own log is quiet until then: start errors are ours, one line */
	struct pool pool;
	struct live *live;    /* the live snapshot the programme logic reads */
	char web_dir[4096];
	int port;
	int schema_from, schema_to;
	struct throttle *throttle;  /* failed logins */
	struct auditq *audit;       /* the batching audit writer */
	struct store_group *group;  /* group commit of the CRUD writes (SQLite); NULL: one transaction each */
	int tls;                    /* serving HTTPS: cookies get Secure */
	int trust_proxy;            /* the client address is X-Forwarded-For's last entry */
	char *tls_mem[2];           /* certificate and key, kept while the daemon runs */
	atomic_int conns;           /* connections open now (MHD_OPTION_NOTIFY_CONNECTION) */
	int max_conns;              /* above this a request is answered 503 and its connection closed */
};

/* Per-request state, allocated in its own arena on the first callback (*req_cls). */
struct req_state {
	struct arena *arena;
	char *body;      /* accumulated request body (arena) */
	size_t len, cap;
	size_t dropped;  /* bytes drained after the cap was passed */
	size_t max;      /* this route's body cap (HTTP_BODY_MAX, or HTTP_UPLOAD_MAX for uploads) */
	char *big;       /* an upload's body, malloc'd (beyond the arena's cap); freed at completion */
	int too_large;   /* body over the cap: answer 413, write nothing */
	int answered;    /* a response was queued early (413 on Content-Length) */
};

/* ---- store pool ----------------------------------------------------------------------------- */

static void pool_close(struct pool *p)
{
	for (int i = 0; i < p->n; i++)
		store_close(p->all[i]);
	free(p->all);
	free(p->idle);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}

static struct store *pool_get(struct pool *p)
{
	struct store *s = NULL;
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += POOL_WAIT_S;
	pthread_mutex_lock(&p->mu);
	while (p->nidle == 0)
		if (pthread_cond_timedwait(&p->cv, &p->mu, &until) == ETIMEDOUT)
			break;
	if (p->nidle > 0)
		s = p->idle[--p->nidle];
	pthread_mutex_unlock(&p->mu);
	return s;
}

static void pool_put(struct pool *p, struct store *s)
{
	pthread_mutex_lock(&p->mu);
	p->idle[p->nidle++] = s;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* ---- responses ------------------------------------------------------------------------------ */

/* json_string() refuses invalid UTF-8, which a truncated message can end in: trim, then give up on
 * non-ASCII rather than lose the error. */
static json_t *safe_string(const char *s)
{
	char buf[512];
	size_t n;
	json_t *j = json_string(s);

	if (j)
		return j;
	snprintf(buf, sizeof(buf), "%s", s);
	n = strlen(buf);
	for (size_t k = 1; k <= 3 && k <= n; k++) {
		buf[n - k] = '\0';
		if ((j = json_string(buf)))
			return j;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return json_string(buf);
}

static json_t *error_body(const struct pcmt_err *err)
{
	json_t *e = json_object();

	json_object_set_new(e, "code", json_string(err_code_name(err->code)));
	json_object_set_new(e, "message", safe_string(err->message[0] ? err->message : err_code_name(err->code)));
	if (err->field[0])
		json_object_set_new(e, "field", safe_string(err->field));
	if (err->existing_id)
		json_object_set_new(e, "existing_id", json_integer(err->existing_id));
	if (err->current_version)
		json_object_set_new(e, "current_version", json_integer(err->current_version));
	return json_pack("{s:o}", "error", e);
}

int http_json(struct http_req *r, int status, json_t *body)
{
	json_decref(r->resp);
	r->status = status;
	r->resp = body;
	return 0;
}

int http_bytes(struct http_req *r, int status, const char *type, const char *filename, char *buf, size_t len)
{
	json_decref(r->resp);
	r->resp = NULL;
	free(r->raw);
	r->status = status;
	r->raw = buf;
	r->raw_len = len;
	r->raw_type = type;
	r->disposition[0] = '\0';
	if (filename)
		snprintf(r->disposition, sizeof(r->disposition), "attachment; filename=\"%s\"", filename);
	return 0;
}

int http_fail(struct http_req *r, const struct pcmt_err *err)
{
	enum err_code code = err->code == ERR_OK ? ERR_INTERNAL : err->code;
	struct pcmt_err e = *err;

	e.code = code;
	free(r->raw);
	r->raw = NULL;
	http_json(r, err_http_status(code), error_body(&e));
	return -1;
}

int http_failf(struct http_req *r, enum err_code code, const char *field, const char *fmt, ...)
{
	struct pcmt_err err;
	va_list ap;

	err_clear(&err);
	err.code = code;
	snprintf(err.field, sizeof(err.field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err.message, sizeof(err.message), fmt, ap);
	va_end(ap);
	return http_fail(r, &err);
}

static enum MHD_Result queue(struct MHD_Connection *c, int status, json_t *body, const char *etag,
			     const char *location, const char *allow, const struct http_req *r)
{
	struct MHD_Response *resp;
	char *txt = NULL;
	size_t n = 0;
	enum MHD_Result ret;

	if (body) {
		txt = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
		if (!txt) {
			static const char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";

			status = 500;
			resp = MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
			goto send;
		}
		n = strlen(txt);
	}
	resp = MHD_create_response_from_buffer(n, txt, txt ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
send:
	if (!resp) {
		free(txt);
		return MHD_NO;
	}
	if (body)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (etag && *etag)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (location && *location)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	if (allow && *allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	if (r && r->cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->cookie);
	if (r && r->retry_after > 0) {
		char ra[16];

		snprintf(ra, sizeof(ra), "%d", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"pcmt\"");
	ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A file answer (a report): the bytes as they are, with their type and attachment name. */
static enum MHD_Result queue_raw(struct MHD_Connection *c, struct http_req *r)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(r->raw_len, r->raw, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	r->raw = NULL; /* libmicrohttpd frees it with the response */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->raw_type);
	if (r->disposition[0])
		MHD_add_response_header(resp, "Content-Disposition", r->disposition);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result queue_error(struct MHD_Connection *c, enum err_code code, const char *field,
				   const char *msg)
{
	struct pcmt_err err;
	json_t *body;
	enum MHD_Result ret;

	err_clear(&err);
	err.code = code;
	snprintf(err.field, sizeof(err.field), "%s", field ? field : "");
	snprintf(err.message, sizeof(err.message), "%s", msg);
	body = error_body(&err);
	ret = queue(c, err_http_status(code), body, NULL, NULL, NULL, NULL);
	json_decref(body);
	return ret;
}

/* ---- request helpers ------------------------------------------------------------------------ */

const char *http_query(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct each_ctx {
	struct http_req *r;
	int (*fn)(struct http_req *r, const char *k, const char *v, void *cls);
	void *cls;
	int failed;
};

static enum MHD_Result each_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	struct each_ctx *x = cls;

	if (x->failed)
		return MHD_NO;
	if (x->fn(x->r, k, v, x->cls)) {
		x->failed = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

int http_query_each(struct http_req *r, int (*fn)(struct http_req *r, const char *k, const char *v, void *cls),
		    void *cls)
{
	struct each_ctx x = {r, fn, cls, 0};

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, each_arg, &x);
	return x.failed ? -1 : 0;
}

const char *http_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int64_t http_parse_pos(const char *s)
{
	int64_t v = 0;

	if (!s || !*s || strlen(s) > 15)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (*s - '0');
	}
	return v;
}

int http_need_id(struct http_req *r)
{
	r->id = http_parse_pos(r->id_text);
	if (r->id <= 0)
		return http_failf(r, ERR_BAD_REQUEST, "id", "the id in the path must be a positive whole number");
	return 0;
}

int http_expected_version(struct http_req *r, int64_t *out)
{
	json_t *v = r->body ? json_object_get(r->body, "version") : NULL;
	const char *h = http_header(r, MHD_HTTP_HEADER_IF_MATCH);
	char buf[32];
	size_t n;

	*out = 0;
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			return http_failf(r, ERR_BAD_REQUEST, "version", "version must be a positive whole number");
		*out = json_integer_value(v);
		return 0;
	}
	if (!h || !*h)
		return 0;
	if (!strncmp(h, "W/", 2))
		h += 2;
	snprintf(buf, sizeof(buf), "%s", h);
	n = strlen(buf);
	if (n >= 2 && buf[0] == '"' && buf[n - 1] == '"') {
		buf[n - 1] = '\0';
		memmove(buf, buf + 1, n - 1);
	}
	if ((*out = http_parse_pos(buf)) <= 0)
		return http_failf(r, ERR_BAD_REQUEST, "If-Match", "If-Match must be a record version such as \"3\"");
	return 0;
}

/* ---- who is calling ------------------------------------------------------------------------ */

struct throttle *http_throttle(struct http_server *srv)
{
	return srv->throttle;
}

/* The client's address: the peer, or behind a trusted reverse proxy the last X-Forwarded-For
 * entry (the one the proxy itself added; earlier ones are the client's to forge). */
static void client_addr(struct http_server *srv, struct MHD_Connection *c, char out[64])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const char *xff = srv->trust_proxy ? MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For") : NULL;

	out[0] = '\0';
	if (xff && *xff) {
		const char *last = strrchr(xff, ',');

		last = last ? last + 1 : xff;
		while (*last == ' ')
			last++;
		snprintf(out, 64, "%.63s", last);
		return;
	}
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, out, 64);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out, 64);
}

/* The session token in the Cookie header (pcmt_session=...), or NULL. */
static const char *cookie_token(struct http_req *r)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "pcmt_session");

	return v && *v ? v : NULL;
}

/* Authenticates the request: a bearer token, else the session cookie. Returns 1 with r->user set,
 * 0 when no credentials came, -1 when the ones that came are not valid (or the store failed:
 * *err says which). */
static int authenticate(struct http_req *r, struct auth_user *u, struct pcmt_err *err)
{
	const char *h = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION), *tok;

	if (h && *h) {
		if (strncasecmp(h, "Bearer ", 7))
			return err_set(err, ERR_UNAUTHENTICATED, "Authorization", "use Authorization: Bearer <token>");
		tok = h + 7;
		while (*tok == ' ')
			tok++;
		if (auth_token_check(r->st, tok, "bearer", u, err))
			return -1;
		r->token = tok;
	} else if ((tok = cookie_token(r))) {
		if (auth_token_check(r->st, tok, "session", u, err))
			return -1;
		r->token = tok;
		r->via_cookie = 1;
	} else {
		return 0;
	}
	r->user = u;
	return 1;
}

/* A cookie-authenticated request that changes state must carry the session's CSRF token: another
 * site can make a browser send the cookie, but cannot read the token to put it in a header. */
static int csrf_ok(struct http_req *r)
{
	const char *h;
	char want[AUTH_CSRF_LEN + 1];

	if (!r->via_cookie || !strcmp(r->method, "GET"))
		return 1;
	if (!(h = http_header(r, "X-CSRF-Token")))
		return 0;
	auth_csrf(r->token, want);
	return auth_streq(h, want) == 0;
}

/* ---- audit ---------------------------------------------------------------------------------- */

static void audit_fill(struct http_req *r, struct audit_entry *e, const char *action, const char *entity,
		       int64_t record_id, const char *detail, const char *outcome)
{
	memset(e, 0, sizeof(*e));
	audit_now(e->at);
	if (r->user) {
		e->user_id = r->user->id;
		snprintf(e->username, sizeof(e->username), "%s", r->user->username);
	}
	snprintf(e->action, sizeof(e->action), "%s", action);
	snprintf(e->entity, sizeof(e->entity), "%s", entity ? entity : "");
	e->record_id = record_id;
	snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
	snprintf(e->addr, sizeof(e->addr), "%s", r->addr);
	snprintf(e->outcome, sizeof(e->outcome), "%s", outcome);
}

void http_audit(struct http_req *r, const char *action, const char *entity, int64_t record_id, const char *detail,
		const char *outcome)
{
	struct audit_entry e;

	audit_fill(r, &e, action, entity, record_id, detail, outcome);
	auditq_push(r->srv->audit, &e);
}

int http_audit_tx(struct http_req *r, const char *action, const char *entity, const char *detail,
		  struct pcmt_err *err)
{
	struct audit_entry e;

	audit_fill(r, &e, action, entity, 0, detail, "ok");
	return r->st->ops->audit_append(r->st, &e, 1, err);
}

/* The outcome word for a status. */
static const char *outcome_of(int status)
{
	if (status < 400)
		return "ok";
	if (status == 401)
		return "unauthenticated";
	if (status == 403)
		return "denied";
	if (status == 404)
		return "not_found";
	if (status == 429)
		return "throttled";
	return "failed";
}

struct qs {
	char *p;
	size_t n, cap;
};

static int qs_add(struct http_req *r, const char *k, const char *v, void *cls)
{
	struct qs *q = cls;
	int w = snprintf(q->p + q->n, q->cap - q->n, "%s%s%s%s", q->n ? "&" : "", k, v ? "=" : "", v ? v : "");

	if (w > 0)
		q->n = q->n + (size_t)w < q->cap ? q->n + (size_t)w : q->cap - 1;
	return 0;
}

/* What identifies the access: the query string and, for a list of person-level records, the ids
 * it showed (as many as fit). */
static void audit_detail(struct http_req *r, char *out, size_t cap)
{
	struct qs q = {out, 0, cap};
	json_t *items, *it;
	size_t i;

	out[0] = '\0';
	if (r->audit_detail[0])
		qs_add(r, r->audit_detail, NULL, &q);
	http_query_each(r, qs_add, &q);
	items = r->resp && r->status == 200 && r->ent ? json_object_get(r->resp, "items") : NULL;
	json_array_foreach(items, i, it) {
		char one[24];
		size_t k;

		snprintf(one, sizeof(one), "%s%lld", i ? "," : " ids=", (long long)json_integer_value(json_object_get(it, "id")));
		k = strlen(one);
		if (q.n + k + 4 >= cap) {
			snprintf(out + q.n, cap - q.n, ",...");
			break;
		}
		memcpy(out + q.n, one, k + 1);
		q.n += k;
	}
}

/* Which requests the dispatcher logs: everything about persons (reads included), every write,
 * and denials. */
static int audited(const struct http_req *r, int roles)
{
	if (r->audit)
		return r->audit > 0;
	if (strcmp(r->method, "GET"))
		return 1;
	if (r->ent && (r->ent->flags & E_PERSONAL))
		return 1;
	return r->status == 403;
}

static const char *read_action(const struct http_req *r)
{
	if (r->audit_action[0])
		return r->audit_action;
	if (!strcmp(r->method, "GET"))
		return r->id_text ? "read" : "list";
	if (!strcmp(r->method, "POST"))
		return "create";
	if (!strcmp(r->method, "DELETE"))
		return "delete";
	return "update";
}

/* The dispatcher's audit entry of r: what was done to which record, and how it ended. */
static void request_entry(struct http_req *r, struct audit_entry *e)
{
	char *detail = arena_alloc(r->arena, AUDIT_DETAIL_MAX);
	int64_t rec = r->audit_record ? r->audit_record : r->id;

	if (!rec && r->status == 201)
		rec = json_integer_value(json_object_get(r->resp, "id"));
	if (detail)
		audit_detail(r, detail, AUDIT_DETAIL_MAX);
	audit_fill(r, e, read_action(r), r->ent ? r->ent->name : r->path, rec, detail, outcome_of(r->status));
}

/* application/json, with or without parameters such as charset. */
static int is_json_type(const char *ct)
{
	static const char want[] = "application/json";

	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, sizeof(want) - 1))
		return 0;
	ct += sizeof(want) - 1;
	return *ct == '\0' || *ct == ';' || *ct == ' ' || *ct == '\t';
}

/* ---- the request cycle ---------------------------------------------------------------------- */

static int read_body(struct http_req *r, struct req_state *rs)
{
	json_error_t je;

	if (rs->too_large)
		return http_failf(r, ERR_TOO_LARGE, NULL, "the request body is larger than %zu bytes", rs->max);
	if (!is_json_type(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
		return http_failf(r, ERR_UNSUPPORTED, NULL, "the request body must have Content-Type application/json");
	if (rs->len == 0)
		return http_failf(r, ERR_BAD_REQUEST, NULL, "the request needs a JSON body");
	r->body = json_loadb(rs->body, rs->len, JSON_REJECT_DUPLICATES, &je);
	if (!r->body)
		return http_failf(r, ERR_BAD_REQUEST, NULL, "malformed JSON: %s (line %d, column %d, byte %d)", je.text,
				  je.line, je.column, je.position);
	if (!json_is_object(r->body))
		return http_failf(r, ERR_BAD_REQUEST, NULL, "the request body must be a JSON object");
	return 0;
}

/* The generic CRUD writes (an entity in the path, a method other than GET) run in one transaction
 * with their audit entry: the entry commits with the write or not at all. */
static int crud_write(const struct http_req *r)
{
	return r->ent && strcmp(r->method, "GET");
}

/* A CRUD write in the group's shared transaction: the handler and the write's audit entry, both in
 * the write's own savepoint, so that the entry commits with the write or not at all. */
struct group_call {
	struct http_req *r;
	http_handler fn;
	int roles;
};

static int crud_in_group(struct store *st, void *cls, struct pcmt_err *err)
{
	struct group_call *x = cls;
	struct http_req *r = x->r;
	struct store *own = r->st;
	struct audit_entry e;
	int rc = -1;

	r->st = st;
	x->fn(r);
	if (r->status >= 400) /* the handler's answer says why; its entry goes to the queue */
		goto out;
	if (r->user && audited(r, x->roles)) {
		request_entry(r, &e);
		if (st->ops->audit_append(st, &e, 1, err))
			goto out;
	}
	rc = 0;
out:
	r->st = own;
	return rc;
}

static enum MHD_Result dispatch(struct http_server *srv, struct req_state *rs, struct MHD_Connection *c,
				const char *url, const char *method)
{
	struct http_req r;
	struct auth_user user;
	struct scope scope;
	struct pcmt_err err;
	http_handler fn;
	int needs_body = 0, roles = 0, authed, in_tx = 0, grouped = 0;
	enum MHD_Result ret;

	if (strncmp(url, "/api/", 5) && strcmp(url, "/api"))
		return http_static(c, srv->web_dir, url, method);
	memset(&r, 0, sizeof(r));
	err_clear(&err);
	r.conn = c;
	r.srv = srv;
	r.method = strcmp(method, MHD_HTTP_METHOD_HEAD) ? method : MHD_HTTP_METHOD_GET;
	r.path = url;
	r.arena = rs->arena;
	r.ctx.today = date_today();
	r.status = 200;
	r.live = srv->live;
	client_addr(srv, c, r.addr);
	fn = http_route(&r, &needs_body, &roles);
	if (!(r.st = pool_get(&srv->pool))) {
		http_failf(&r, ERR_UNAVAILABLE, NULL, "the server is busy; try again");
		goto send;
	}
	/* who: a public route still learns its caller when valid credentials come (health's counts) */
	authed = authenticate(&r, &user, &err);
	if (authed < 0 && (roles || err.code != ERR_UNAUTHENTICATED)) {
		http_fail(&r, &err);
		goto put;
	}
	if (authed < 0)
		r.user = NULL;
	if (roles && !r.user) {
		http_failf(&r, ERR_UNAUTHENTICATED, NULL, "log in first (POST /api/v1/auth/login) or send "
			   "Authorization: Bearer <token>");
		goto put;
	}
	/* may they: the route's roles */
	if (roles && !(roles & r.user->role)) {
		http_failf(&r, ERR_FORBIDDEN, NULL, "the %s role may not use %s %s", auth_role_name(r.user->role), r.method,
			   r.ent ? r.ent->name : r.path);
		goto put;
	}
	/* public routes take no CSRF token: a browser still holding a session may log in again */
	if (roles && r.user && !csrf_ok(&r)) {
		http_failf(&r, ERR_CSRF, "X-CSRF-Token", "a change made with the session cookie needs the X-CSRF-Token "
			   "header (csrf_token of the login answer)");
		goto put;
	}
	/* what they see: the subtree of their org unit; admins everything */
	if (r.user && r.user->role != ROLE_ADMIN) {
		scope.ou_id = r.user->ou_id ? r.user->ou_id : -1; /* no unit: nothing (never everything) */
		r.scope = &scope;
	}
	if (needs_body == 2) {
		if (rs->too_large) {
			http_failf(&r, ERR_TOO_LARGE, NULL, "the upload is larger than %d bytes", HTTP_UPLOAD_MAX);
			goto put;
		}
		r.upload = rs->body ? rs->body : "";
		r.upload_len = rs->len;
	} else if (needs_body && read_body(&r, rs)) {
		goto put;
	}
	if (crud_write(&r) && srv->group) {
		struct group_call x = {&r, fn, roles};
		const struct http_ext *ext = http_ext_for(r.ent);

		r.in_group = 1;
		/* failed at commit or at its audit entry: nothing of it was kept */
		if (store_group_run(srv->group, crud_in_group, &x, &err) && r.status < 400)
			http_fail(&r, &err);
		else if (r.status < 400 && r.created_valid && ext && ext->created)
			ext->created(&r, r.created_valid, r.resp);
		grouped = 1;
		goto put;
	}
	if (crud_write(&r)) {
		if (r.st->ops->begin(r.st, &err)) {
			http_fail(&r, &err);
			goto put;
		}
		in_tx = 1;
	}
	fn(&r);
put:
	/* a grouped write that was kept has its entry committed with it */
	if (r.user && audited(&r, roles) && !(grouped && r.status < 400)) {
		struct audit_entry e;

		request_entry(&r, &e);
		if (in_tx && r.status < 400) {
			err_clear(&err);
			if (r.st->ops->audit_append(r.st, &e, 1, &err) || r.st->ops->commit(r.st, &err)) {
				r.st->ops->rollback(r.st);
				in_tx = 0;
				http_fail(&r, &err);
				snprintf(e.outcome, sizeof(e.outcome), "failed");
				auditq_push(srv->audit, &e);
			}
			in_tx = 0;
		} else {
			auditq_push(srv->audit, &e);
		}
	}
	if (in_tx)
		r.st->ops->rollback(r.st);
	if (r.st)
		pool_put(&srv->pool, r.st);
send:
	if (r.raw)
		ret = queue_raw(c, &r);
	else
		ret = queue(c, r.status, r.resp, r.etag, r.location, r.status == 405 ? r.allow : NULL, &r);
	free(r.raw);
	json_decref(r.body);
	json_decref(r.resp);
	json_decref(r.created_valid);
	return ret;
}

static int64_t content_length(struct MHD_Connection *c)
{
	const char *s = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	long long v;

	if (!s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return -1;
	return v;
}

static void append(struct req_state *rs, const char *data, size_t n)
{
	if (rs->too_large || rs->len + n > rs->max) {
		rs->too_large = 1;
		rs->dropped += n;
		return;
	}
	if (rs->max > HTTP_BODY_MAX) { /* an upload: the heap, not the arena */
		if (rs->len + n > rs->cap) {
			size_t cap = rs->cap ? rs->cap : 65536;
			char *nb;

			while (cap < rs->len + n)
				cap *= 2;
			if (cap > rs->max)
				cap = rs->max;
			if (!(nb = realloc(rs->big, cap))) {
				rs->too_large = 1;
				return;
			}
			rs->big = rs->body = nb;
			rs->cap = cap;
		}
		memcpy(rs->body + rs->len, data, n);
		rs->len += n;
		return;
	}
	if (rs->len + n > rs->cap) {
		size_t cap = rs->cap ? rs->cap : 16384;
		char *nb;

		while (cap < rs->len + n)
			cap *= 2;
		if (cap > HTTP_BODY_MAX)
			cap = HTTP_BODY_MAX;
		if (!(nb = arena_alloc(rs->arena, cap))) {
			rs->too_large = 1;
			return;
		}
		if (rs->len)
			memcpy(nb, rs->body, rs->len);
		rs->body = nb;
		rs->cap = cap;
	}
	memcpy(rs->body + rs->len, data, n);
	rs->len += n;
}

/* The socket context of a connection accepted over max_conns. */
static char conn_over_limit;

/* Counts open connections. libmicrohttpd's own limit (MHD_OPTION_CONNECTION_LIMIT) drops a
 * connection over it without a word, which a client sees as a reset; so that limit is set a band
 * above max_conns and the connections in that band get a 503 they can act on (on_request).
 * Whether a connection is over is decided once, when it is accepted: a keep-alive connection
 * within the limit is never refused later because others arrived (or closed connections were not
 * yet counted out) meanwhile. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *srv = cls;

	(void)c;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		if (atomic_fetch_add(&srv->conns, 1) + 1 > srv->max_conns)
			*socket_context = &conn_over_limit;
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		atomic_fetch_sub(&srv->conns, 1);
	}
}

/* Whether this connection was accepted over max_conns (on_connection). */
static int conn_is_over_limit(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci && ci->socket_context == &conn_over_limit;
}

/* 503 with Retry-After, and the connection closed after it: a client over the limit is told to
 * come back rather than left waiting or reset. */
static enum MHD_Result queue_busy(struct MHD_Connection *c)
{
	static const char busy[] = "{\"error\":{\"code\":\"unavailable\",\"message\":"
				   "\"too many connections; try again\",\"field\":null}}";
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(sizeof(busy) - 1, (void *)busy, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(c, MHD_HTTP_SERVICE_UNAVAILABLE, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct http_server *srv = cls;
	struct req_state *rs = *req_cls;
	struct arena *a;
	int64_t cl;

	if (!rs) {
		if (!(a = arena_new(HTTP_ARENA_MAX)))
			return MHD_NO;
		if (!(rs = arena_alloc(a, sizeof(*rs)))) {
			arena_free(a);
			return MHD_NO;
		}
		memset(rs, 0, sizeof(*rs));
		rs->arena = a;
		*req_cls = rs;
		if (conn_is_over_limit(c)) {
			rs->answered = 1; /* any body is drained, not read */
			return queue_busy(c);
		}
		cl = content_length(c);
		rs->max = http_body_cap(method, url);
		if (cl > (int64_t)rs->max) {
			char m[80];

			/* Refuse before reading a byte of it (the client sees 413 instead of 100 Continue). */
			rs->too_large = 1;
			rs->answered = 1;
			snprintf(m, sizeof(m), "the request body is larger than %zu bytes", rs->max);
			return queue_error(c, ERR_TOO_LARGE, NULL, m);
		}
		if (cl > 0 && rs->max > HTTP_BODY_MAX && (rs->big = malloc((size_t)cl)))
			rs->body = rs->big, rs->cap = (size_t)cl;
		else if (cl > 0 && rs->max <= HTTP_BODY_MAX && (rs->body = arena_alloc(a, (size_t)cl)))
			rs->cap = (size_t)cl;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!rs->answered)
			append(rs, upload_data, *upload_data_size);
		else
			rs->dropped += *upload_data_size;
		*upload_data_size = 0;
		return rs->dropped > DISCARD_MAX ? MHD_NO : MHD_YES;
	}
	if (rs->answered)
		return MHD_YES;
	rs->answered = 1;
	if (strlen(url) > HTTP_PATH_MAX)
		return queue_error(c, ERR_NOT_FOUND, NULL, "the path is too long");
	return dispatch(srv, rs, c, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	struct req_state *rs = *req_cls;

	if (rs) {
		free(rs->big);
		arena_free(rs->arena);
	}
	*req_cls = NULL;
}

/* x-www-form-urlencoded decoding for paths and query values: %XX and '+' as space, as browsers'
 * URLSearchParams send them. API paths never contain '+'. Returns the new length. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;

	for (const char *p = s; *p; p++) {
		if (*p == '+') {
			*w++ = ' ';
		} else if (*p == '%' && p[1] && p[2] && strchr("0123456789abcdefABCDEF", p[1]) &&
			   strchr("0123456789abcdefABCDEF", p[2])) {
			char hex[3] = {p[1], p[2], 0};

			*w++ = (char)strtol(hex, NULL, 16);
			p += 2;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* ---- start and stop ------------------------------------------------------------------------- */

/* libmicrohttpd's messages (its own format strings, not client data) once the server is up. */
__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *srv = cls;

	if (!atomic_load(&srv->listening))
		return;
	fputs("pcmt serve: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static int pool_open(struct pool *p, const char *url, int n, int *from, int *to, struct pcmt_err *err)
{
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->all = calloc((size_t)n, sizeof(*p->all));
	p->idle = calloc((size_t)n, sizeof(*p->idle));
	if (!p->all || !p->idle)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		if (!(p->all[i] = store_open(url, err)))
			return -1;
		p->n++;
		if (i == 0 && p->all[0]->ops->migrate(p->all[0], from, to, err)) {
			char msg[sizeof(err->message)];

			snprintf(msg, sizeof(msg), "%s", err->message);
			return err_set(err, err->code, err->field, "cannot migrate %s: %s", url, msg);
		}
		p->idle[p->nidle++] = p->all[i];
	}
	return 0;
}

/* Opening a database migrates it; the rulebook's upgrade is part of that (engine/rulebook.h): the
 * built-in rows of codes it lacks, said on stderr so that an administrator sees what changed. */
static int rules_upgrade(struct store *s, struct pcmt_err *err)
{
	struct rulebook rb;
	json_t *codes = NULL, *row;
	size_t i;
	int added = 0, rc = -1;

	rulebook_init(&rb);
	if (rulebook_upgrade(s, &added, &codes, err) || (added && s->ops->rules_load(s, &rb, err)))
		goto out;
	if (added && added == rb.n) { /* every row is new: an empty rulebook seeded */
		fprintf(stderr, "pcmt serve: rulebook: seeded from the built-in default (%d rule versions)\n", added);
	} else if (added) {
		fprintf(stderr, "pcmt serve: rulebook: %d rule versions added from the built-in default (codes it lacked):", added);
		json_array_foreach(codes, i, row)
			fprintf(stderr, " %s", json_string_value(json_object_get(row, "code")));
		fputc('\n', stderr);
	}
	rc = 0;
out:
	rulebook_free(&rb);
	json_decref(codes);
	return rc;
}

static int count_row(void *cls, int ncols, const char *const *v)
{
	*(int64_t *)cls = v[0] ? strtoll(v[0], NULL, 10) : 0;
	return 0;
}

/* A PEM file's contents (certificate or key, at most 1 MiB), NUL-terminated, for libmicrohttpd. */
static char *read_pem(const char *path, struct pcmt_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;

	if (!f) {
		err_set(err, ERR_BAD_REQUEST, "tls", "cannot read %s", path);
		return NULL;
	}
	if ((buf = malloc(HTTP_BODY_MAX + 1)))
		n = fread(buf, 1, HTTP_BODY_MAX + 1, f);
	fclose(f);
	if (!buf || n == 0 || n > HTTP_BODY_MAX) {
		free(buf);
		err_set(err, ERR_BAD_REQUEST, "tls", "%s is empty or too large to be a PEM file", path);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

static void tls_free(struct http_server *srv)
{
	for (int i = 0; i < 2; i++) {
		if (srv->tls_mem[i]) {
			sodium_memzero(srv->tls_mem[i], strlen(srv->tls_mem[i]));
			free(srv->tls_mem[i]);
			srv->tls_mem[i] = NULL;
		}
	}
}

int http_server_tls(const struct http_server *srv)
{
	return srv->tls;
}

int http_server_start(const struct http_server_opts *o, struct http_server **out, struct pcmt_err *err)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem tls_opts[3] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL},
					     {MHD_OPTION_END, 0, NULL}};

	*out = NULL;
	if (!srv)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	snprintf(srv->web_dir, sizeof(srv->web_dir), "%s", o->web_dir ? o->web_dir : "");
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (o->port < 0 || o->port > 65535) {
		err_set(err, ERR_BAD_REQUEST, "port", "port must be 0..65535");
		goto fail;
	}
	if (inet_pton(AF_INET, o->bind, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)o->port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, o->bind, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)o->port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		err_set(err, ERR_BAD_REQUEST, "bind", "--bind must be an IPv4 or IPv6 address");
		goto fail;
	}
	if (pool_open(&srv->pool, o->db_url, o->threads, &srv->schema_from, &srv->schema_to, err) ||
	    rules_upgrade(srv->pool.all[0], err))
		goto fail_pool;
	if (!(srv->live = live_open(srv->pool.all[0], err)))
		goto fail_pool;
	{
		/* a fresh database: say why every call will be 401 */
		int64_t users = -1;
		struct pcmt_err e2;

		err_clear(&e2);
		if (srv->pool.all[0]->ops->sql(srv->pool.all[0], "SELECT count(*) FROM app_user", 0, NULL, count_row, &users,
					       NULL, &e2) == 0 && users == 0)
			fprintf(stderr, "pcmt serve: the database has no users yet, so every API call will answer 401: add "
				"one with pcmt user add NAME --role admin (docs/security.md)\n");
	}
	if (!(srv->throttle = throttle_new())) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto fail_pool;
	}
	if (!(srv->group = store_group_open(o->db_url, err)) && err->code != ERR_OK)
		goto fail_pool;
	if (!(srv->audit = auditq_start(o->db_url, srv->group, err)))
		goto fail_pool;
	srv->trust_proxy = o->trust_proxy;
	srv->max_conns = o->max_conns > 0 ? o->max_conns : CONN_LIMIT;
	if ((o->tls_cert && *o->tls_cert) || (o->tls_key && *o->tls_key)) {
		if (!o->tls_cert || !*o->tls_cert || !o->tls_key || !*o->tls_key) {
			err_set(err, ERR_BAD_REQUEST, "tls", "HTTPS needs both --tls-cert and --tls-key");
			goto fail_pool;
		}
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			err_set(err, ERR_UNSUPPORTED, "tls", "this libmicrohttpd was built without TLS: use a reverse proxy "
				"(docs/security.md)");
			goto fail_pool;
		}
		if (!(srv->tls_mem[0] = read_pem(o->tls_cert, err)) || !(srv->tls_mem[1] = read_pem(o->tls_key, err)))
			goto fail_pool;
		flags |= MHD_USE_TLS;
		srv->tls = 1;
	}
	if (srv->tls) {
		tls_opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_mem[0]};
		tls_opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_mem[1]};
	}
	json_object_seed(0); /* before any thread builds an object */
	srv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
				  MHD_OPTION_ARRAY, tls_opts,
				  MHD_OPTION_SOCK_ADDR, sa,
				  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)(srv->max_conns + srv->max_conns / 4 + 16),
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(o->conn_timeout > 0 ? o->conn_timeout
												  : CONN_TIMEOUT_S),
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
				  MHD_OPTION_UNESCAPE_CALLBACK, unescape, srv,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
				  MHD_OPTION_END);
	if (!srv->d) {
		err_set(err, ERR_UNAVAILABLE, "port", "cannot listen on %s port %d (in use, or not allowed)", o->bind,
			o->port);
		goto fail_pool;
	}
	info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : o->port;
	atomic_store(&srv->listening, 1);
	*out = srv;
	return 0;
fail_pool:
	auditq_stop(srv->audit);
	store_group_close(srv->group);
	throttle_free(srv->throttle);
	tls_free(srv);
	live_close(srv->live);
	pool_close(&srv->pool);
fail:
	free(srv);
	return -1;
}

int http_server_port(const struct http_server *srv)
{
	return srv->port;
}

void http_server_schema(const struct http_server *srv, int *from, int *to)
{
	*from = srv->schema_from;
	*to = srv->schema_to;
}

void http_server_stop(struct http_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->d);
	auditq_stop(srv->audit);
	if (srv->group) {
		uint64_t commits, writes;

		store_group_stats(srv->group, &commits, &writes);
		if (commits)
			fprintf(stderr, "pcmt serve: group commit: %llu writes in %llu transactions (%.1f a transaction)\n",
				(unsigned long long)writes, (unsigned long long)commits, (double)writes / (double)commits);
	}
	store_group_close(srv->group);
	throttle_free(srv->throttle);
	tls_free(srv);
	live_close(srv->live);
	pool_close(&srv->pool);
	free(srv);
}
