/* err.c: filling and naming pcmt errors; the single code -> HTTP status map. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void err_clear(struct pcmt_err *err)
{
	memset(err, 0, sizeof(*err));
}

int err_set(struct pcmt_err *err, enum err_code code, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->code = code;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

int err_http_status(enum err_code code)
{
	switch (code) {
	case ERR_OK: return 200;
	case ERR_BAD_REQUEST: return 400;
	case ERR_INVALID: return 422;
	case ERR_NOT_FOUND: return 404;
	case ERR_CONFLICT: return 409;
	case ERR_TOO_LARGE: return 413;
	case ERR_METHOD: return 405;
	case ERR_UNSUPPORTED: return 415;
	case ERR_UNAVAILABLE: return 503;
	case ERR_INTERNAL: return 500;
	case ERR_UNAUTHENTICATED: return 401;
	case ERR_FORBIDDEN: return 403;
	case ERR_CSRF: return 403;
	case ERR_THROTTLED: return 429;
	}
	return 500;
}

const char *err_code_name(enum err_code code)
{
	switch (code) {
	case ERR_OK: return "ok";
	case ERR_BAD_REQUEST: return "bad_request";
	case ERR_INVALID: return "invalid";
	case ERR_NOT_FOUND: return "not_found";
	case ERR_CONFLICT: return "conflict";
	case ERR_TOO_LARGE: return "too_large";
	case ERR_METHOD: return "method_not_allowed";
	case ERR_UNSUPPORTED: return "unsupported";
	case ERR_UNAVAILABLE: return "unavailable";
	case ERR_INTERNAL: return "internal";
	case ERR_UNAUTHENTICATED: return "unauthenticated";
	case ERR_FORBIDDEN: return "forbidden";
	case ERR_CSRF: return "csrf";
	case ERR_THROTTLED: return "throttled";
	}
	return "internal";
}
