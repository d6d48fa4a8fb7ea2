/* server.h: the pcmt HTTP daemon (libmicrohttpd, internal thread pool) and its store handle pool.
 * `pcmt serve` starts one, waits for a signal and stops it; tests do the same through the binary. */
#ifndef PCMT_HTTP_SERVER_H
#define PCMT_HTTP_SERVER_H

#include <microhttpd.h>

#include "util/err.h"

struct http_server_opts {
	const char *db_url;   /* store_open() URL */
	const char *bind;     /* IPv4 or IPv6 address to listen on, e.g. "127.0.0.1" */
	int port;             /* 0 = let the kernel pick a free one */
	int threads;          /* worker threads, also the number of store handles; >= 1 */
	const char *web_dir;  /* static files served for non-API paths */
	const char *tls_cert; /* PEM certificate chain file: serve HTTPS (with tls_key); NULL: HTTP */
	const char *tls_key;  /* PEM private key file */
	int trust_proxy;      /* take the client address from X-Forwarded-For (behind a reverse proxy) */
	int max_conns;        /* connections served at once; more get 503 (0: 1024) */
	int conn_timeout;     /* seconds a connection may stay silent before it is closed (0: 30) */
};

struct http_server;

/* Opens opts->threads store handles on db_url, migrates the schema through the first, and starts
 * listening. Returns 0 and *out, or -1 with err set (nothing left running). */
int http_server_start(const struct http_server_opts *opts, struct http_server **out, struct pcmt_err *err);
/* The port actually bound (useful when opts->port was 0). */
int http_server_port(const struct http_server *srv);
/* 1 when serving HTTPS. */
int http_server_tls(const struct http_server *srv);
/* Schema versions seen by the migration at start. */
void http_server_schema(const struct http_server *srv, int *from, int *to);
/* Stops accepting, finishes requests in flight, closes every store handle and frees srv. */
void http_server_stop(struct http_server *srv);

/* Internal to src/http: answers a non-API request from the static directory (GET/HEAD only). */
enum MHD_Result http_static(struct MHD_Connection *c, const char *web_dir, const char *path,
			    const char *method);

#endif
