/* http.h: the request every API handler sees, the response helpers, and the route table.
 * server.c turns a libmicrohttpd request into a struct http_req (body read and capped, scope
 * computed, a store handle checked out), routes.c picks the handler, the handler fills r->status and
 * r->resp, and server.c sends it. Handlers never talk to libmicrohttpd directly except to read
 * headers and query parameters through the helpers below.
 *
 * Ownership: r->resp and r->body belong to the request (server.c drops them); handlers replace
 * r->resp with http_json()/http_fail(), which take over the reference they are given. Strings
 * from http_query()/http_header() live until the request ends. */
#ifndef PCMT_HTTP_H
#define PCMT_HTTP_H

#include <jansson.h>
#include <stdint.h>

#include "auth/auth.h"
#include "domain/entity.h"
#include "store/store.h"
#include "util/err.h"

struct MHD_Connection;
struct arena;
struct http_server;
struct throttle;

enum {
	HTTP_BODY_MAX = 1 << 20,      /* request bodies above this are refused with 413 */
	HTTP_UPLOAD_MAX = 64 << 20,   /* file uploads (routes with a raw body: imports) */
	HTTP_ARENA_MAX = 4 << 20,     /* per-request arena cap (body plus bookkeeping) */
	HTTP_PATH_MAX = 512,          /* longest URL path served */
	HTTP_LIST_DEFAULT = 50,       /* list page size when ?limit= is absent */
	HTTP_LIST_MAX = 1000,         /* largest ?limit= */
	HTTP_SEARCH_COUNT = 1000      /* a search (?q=) counts its matches up to this many */
};

struct http_req {
	struct MHD_Connection *conn;
	const char *method;              /* "GET", "POST", ...; HEAD is routed as GET */
	const char *path;                /* URL path, percent-decoded, without the query */
	const struct entity_def *ent;    /* {entity} path parameter, NULL when the route has none */
	const char *id_text;             /* {id} path parameter as given, NULL when none */
	int64_t id;                      /* {id} parsed by http_need_id(), else 0 */
	json_t *body;                    /* parsed JSON body of POST/PUT/PATCH, else NULL */
	const char *upload;              /* raw body of an upload route (not NUL-terminated), else NULL */
	size_t upload_len;
	struct arena *arena;             /* request memory, dropped when the request completes */
	struct store *st;                /* a store handle checked out for this request only */
	const struct scope *scope;       /* what the caller may see; NULL = unrestricted. Pass to every
					    store call. Computed once in server.c before dispatch, from
					    the caller's org unit (NULL for an admin). */
	const struct auth_user *user;    /* the authenticated caller; NULL only on public routes */
	const char *token;               /* the caller's session or bearer token (logout, CSRF) */
	int via_cookie;                  /* authenticated by the session cookie (CSRF applies) */
	char addr[64];                   /* the client's address (audit, throttling) */
	struct http_server *srv;         /* the server (throttle, audit queue) */
	struct ent_ctx ctx;              /* validation context: today */
	struct live *live;               /* the live snapshot (criteria, indicators); sync before use */
	int status;                      /* response status, 200 unless a handler sets it */
	json_t *resp;                    /* response body; NULL sends no body (204) */
	char etag[32];                   /* ETag header value when not empty */
	char location[128];              /* Location header value when not empty */
	const char *allow;               /* methods the matched path accepts (Allow header of a 405) */
	/* A response that is not JSON (a report file): sent instead of resp when raw is set. */
	char *raw;                       /* malloc'd bytes, freed by server.c */
	size_t raw_len;
	const char *raw_type;            /* its Content-Type */
	char disposition[160];           /* Content-Disposition header value when not empty */
	char cookie[160];                /* Set-Cookie header value when not empty */
	int retry_after;                 /* Retry-After header (seconds) when > 0 */
	/* the audit entry the dispatcher writes for this request (handlers may add detail/record) */
	int audit;                       /* 1: log it even if the dispatcher would not; -1: the
					    handler has logged it itself (http_audit) */
	char audit_action[24];
	char audit_detail[AUDIT_DETAIL_MAX];
	int64_t audit_record;
	/* a write in the group's shared transaction (SQLite, server.c): what only reads, and may
	 * therefore wait for the commit, is left for after it, outside the write lock */
	int in_group;
	json_t *created_valid;           /* for http_ext.created after the commit (a reference) */
};

/* A handler answers r and returns 0, or returns -1 after answering with an error (http_fail). */
typedef int (*http_handler)(struct http_req *r);

/* Sets r->status and r->resp (stealing `body`; NULL means no body). Returns 0. */
int http_json(struct http_req *r, int status, json_t *body);
/* Sets r->status and a non-JSON body: buf (malloc'd, taken over) of len bytes with Content-Type
 * `type`; filename, when not NULL, is sent as an attachment's name (ASCII: letters, digits, . - _).
 * Returns 0. */
int http_bytes(struct http_req *r, int status, const char *type, const char *filename, char *buf, size_t len);
/* Answers with the JSON error for err: {"error": {"code", "message", "field"?, "existing_id"?,
 * "current_version"?}} and the status err_http_status() gives. Returns -1. */
int http_fail(struct http_req *r, const struct pcmt_err *err);
/* err_set() then http_fail(): for errors found by the HTTP layer itself. Returns -1. */
int http_failf(struct http_req *r, enum err_code code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A query parameter, percent-decoded, or NULL when absent ("" when given without a value). */
const char *http_query(struct http_req *r, const char *name);
/* Calls fn for every query parameter (value may be NULL when given as "?flag"); stops and returns
 * -1 as soon as fn does, else 0. */
int http_query_each(struct http_req *r, int (*fn)(struct http_req *r, const char *k, const char *v, void *cls),
		    void *cls);
/* A request header, or NULL. */
const char *http_header(struct http_req *r, const char *name);

/* A whole decimal number in 1..10^15 (ids, versions), or 0 when s is anything else. */
int64_t http_parse_pos(const char *s);
/* Parses r->id_text as a positive id into r->id; answers 400 and returns -1 when it is not one. */
int http_need_id(struct http_req *r);
/* The version the client expects: body "version" or the If-Match header ("3", "\"3\"", W/"3").
 * *out = 0 when neither is given. Answers 400 and returns -1 when one is malformed. */
int http_expected_version(struct http_req *r, int64_t *out);

/* The largest request body the route for method and path takes: HTTP_UPLOAD_MAX for uploads,
 * else HTTP_BODY_MAX. */
size_t http_body_cap(const char *method, const char *path);

/* Picks the handler for r->method and r->path under /api/v1, filling r->ent and r->id_text from the
 * path. Never returns NULL: unknown paths get a 404 handler and known paths with another method a
 * 405 handler. *needs_body is set to 1 when the route reads a JSON body, 2 a raw upload; *roles receives the roles
 * (enum auth_role bits) that may call it, 0 for a public route (the dispatcher enforces it). */
http_handler http_route(struct http_req *r, int *needs_body, int *roles);
/* The roles that may read (write 0) or write (write 1) entity e through the API: the route table's
 * declaration for {entity} routes, also used where one answer gathers several entities (timeline). */
int http_entity_roles(const struct entity_def *e, int write);
/* 1 when the caller may read (write 0) or write (write 1) entity e. */
int http_may(const struct http_req *r, const struct entity_def *e, int write);

/* The server's login throttle and audit queue (server.c). */
struct throttle *http_throttle(struct http_server *srv);
/* Appends an audit entry (outcome "ok") for the request's caller through r->st, inside the
 * transaction the handler has open, so that the entry commits with the write or not at all
 * (imports: their own one transaction). The handler then sets r->audit = -1. */
int http_audit_tx(struct http_req *r, const char *action, const char *entity, const char *detail,
		  struct pcmt_err *err);
/* Queues an audit entry for the request's caller (reads, logins: written by the batch writer). */
void http_audit(struct http_req *r, const char *action, const char *entity, int64_t record_id, const char *detail,
		const char *outcome);

/* Handlers, one file per resource. */
int api_health(struct http_req *r);
int api_enums(struct http_req *r);
int api_schema(struct http_req *r);
int api_list(struct http_req *r);
int api_create(struct http_req *r);
int api_get(struct http_req *r);
int api_replace(struct http_req *r);
int api_patch(struct http_req *r);
int api_delete(struct http_req *r);
int api_person_timeline(struct http_req *r);
int api_rules(struct http_req *r);
int api_drugfree(struct http_req *r);
int api_indicators(struct http_req *r);
int api_measures(struct http_req *r);
int api_classification(struct http_req *r);
int api_report(struct http_req *r);
/* api_mat.c: the opioid substitution clinic */
int api_mat_queue(struct http_req *r);
int api_mat_stock_day(struct http_req *r);
int api_mat_prescribe(struct http_req *r);
int api_mat_dose(struct http_req *r);
int api_mat_guest_authorise(struct http_req *r);
int api_mat_stock_add(struct http_req *r);
int api_mat_reconcile(struct http_req *r);
int api_mat_immutable(struct http_req *r);
int api_mat_indicators(struct http_req *r);
int api_login(struct http_req *r);
int api_logout(struct http_req *r);
int api_me(struct http_req *r);
int api_token_new(struct http_req *r);
int api_audit(struct http_req *r);
int api_import(struct http_req *r);
int api_orgunit_history(struct http_req *r);   /* api_reform.c */
int api_orgunit_search(struct http_req *r);
int api_person_residence(struct http_req *r);
int api_reassign_list(struct http_req *r);
int api_reassign(struct http_req *r);
int api_due(struct http_req *r);

/* What a resource adds to the generic CRUD (api_crud.c asks http_ext_for()). */
struct http_ext {
	const struct entity_def *ent;
	/* A list query parameter particular to the entity: returns 1 when consumed into q, 0 when not
	 * the entity's, -1 after answering with an error. Strings put into q must live in r->arena. */
	int (*list_param)(struct http_req *r, const char *k, const char *v, struct store_query *q);
	/* After a successful insert of `valid` (the validated record, with derived fields), may add
	 * keys to `out` (the stored record about to be sent). Returns 0, or -1 after answering. Only
	 * reads: in a grouped write it runs after the commit (r->in_group), on the request's own
	 * handle. */
	int (*created)(struct http_req *r, json_t *valid, json_t *out);
	/* Before a create (old NULL) or an update (old: the stored record) of `valid`, a rule about
	 * the present that the store, which also loads history, must not apply. Returns 0, or -1
	 * after answering. */
	int (*check)(struct http_req *r, json_t *valid, json_t *old);
};
extern const struct http_ext http_ext_persons;
const struct http_ext *http_ext_for(const struct entity_def *e);

/* Resolves an org unit given by code (as in force today) or, failing that, by numeric id. Answers
 * 422 naming `param` and returns -1 when there is none. */
int http_resolve_ou(struct http_req *r, const char *param, const char *v, int64_t *id);
/* As http_resolve_ou, for the root of an aggregate (drug-free, indicators, classification): a unit
 * outside the caller's subtree answers exactly as a unit that does not exist. v NULL or "" means
 * the caller's own unit (the whole country for an admin: *id = 0 and dflt is resolved instead when
 * not NULL). */
int http_resolve_root(struct http_req *r, const char *param, const char *v, const char *dflt, int64_t *id);
/* The same, codes naming the units in force on `date` (CODE@YYYY-MM-DD another date). */
int http_resolve_root_on(struct http_req *r, const char *param, const char *v, const char *dflt, int32_t date,
			 int64_t *id);
/* The same, a code naming the unit in force on `date` (codes are reused by the 2025 reform). */
int http_resolve_ou_on(struct http_req *r, const char *param, const char *v, int32_t date, int64_t *id);

#endif
