/* fuzz_route.c: URL paths through the route table (src/http/routes.c), as server.c hands them over
 * after percent-decoding: any bytes up to HTTP_PATH_MAX, with one of the methods the server accepts
 * (the first byte picks it). Every path must come back with a handler (a 404 or 405 one when nothing
 * matches), path parameters that lie inside the path, and an {id} that http_parse_pos reads
 * without overflowing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req r;
	char path[HTTP_PATH_MAX + 1];
	int needs_body, roles;
	http_handler h;

	if (size < 1 || size - 1 > HTTP_PATH_MAX)
		return 0;
	memset(&r, 0, sizeof(r));
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0'; /* a decoded path ends at its first NUL, as a C string does in server.c */
	r.method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
	r.path = path;
	if (!(r.arena = arena_new(HTTP_ARENA_MAX)))
		return 0;
	h = http_route(&r, &needs_body, &roles);
	if (!h) {
		fprintf(stderr, "http_route returned no handler for \"%s\" %s\n", r.method, path);
		abort();
	}
	if (r.id_text) {
		int64_t id = http_parse_pos(r.id_text);

		if (!strstr(path, r.id_text) || id < 0)
			abort();
	}
	if (r.ent && !ent_find(r.ent->name))
		abort();
	arena_free(r.arena);
	return 0;
}
