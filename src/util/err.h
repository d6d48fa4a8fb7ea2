/* err.h: the one error type of pcmt.
 * Every fallible function returns int (0 on success, -1 on failure) and fills a caller-owned
 * struct pcmt_err. The HTTP layer maps err->code to a status in one place (err_http_status). */
#ifndef PCMT_ERR_H
#define PCMT_ERR_H

#include <stdint.h>

enum err_code {
	ERR_OK = 0,
	ERR_BAD_REQUEST,   /* malformed input: bad JSON, bad query string          -> 400 */
	ERR_INVALID,       /* well-formed input that breaks a rule                  -> 422 */
	ERR_NOT_FOUND,     /* no such record (or out of the caller's scope)         -> 404 */
	ERR_CONFLICT,      /* duplicate unique key, stale version, still referenced -> 409 */
	ERR_TOO_LARGE,     /* body or field over its cap                            -> 413 */
	ERR_METHOD,        /* method not allowed on this route                      -> 405 */
	ERR_UNSUPPORTED,   /* content type or backend not supported                 -> 415 */
	ERR_UNAVAILABLE,   /* busy, overloaded, shutting down                       -> 503 */
	ERR_INTERNAL,      /* our fault: database error, out of memory              -> 500 */
	ERR_UNAUTHENTICATED, /* no or bad credentials                               -> 401 */
	ERR_FORBIDDEN,     /* the caller's role may not use this endpoint           -> 403 */
	ERR_CSRF,          /* a cookie-authenticated write without its CSRF token   -> 403 */
	ERR_THROTTLED      /* too many failed logins; Retry-After says when         -> 429 */
};

struct pcmt_err {
	enum err_code code;
	char field[64];        /* offending field or parameter, "" when none */
	char message[256];     /* one human sentence, never contains user data as a format */
	int64_t existing_id;   /* for ERR_CONFLICT on a unique key: the record already there; else 0 */
	int64_t current_version; /* for ERR_CONFLICT on a stale version: the version in store; else 0 */
};

void err_clear(struct pcmt_err *err);
/* Sets code, field (may be NULL) and a printf-formatted message; always returns -1 so that
 * validators can `return err_set(...)`. */
int err_set(struct pcmt_err *err, enum err_code code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int err_http_status(enum err_code code);
const char *err_code_name(enum err_code code);

#endif
