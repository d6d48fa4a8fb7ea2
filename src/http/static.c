/* static.c: serves the web UI's files from --web for every non-API path. Paths are checked before
 * the file system sees them: no "..", no hidden files, a length cap, regular files only. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/http.h"
#include "http/server.h"

static const struct {
	const char *ext, *type;
} types[] = {
	{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
	{".css", "text/css; charset=utf-8"},   {".json", "application/json; charset=utf-8"},
	{".png", "image/png"},                 {".svg", "image/svg+xml"},
	{".ico", "image/x-icon"},              {".txt", "text/plain; charset=utf-8"},
	{".woff2", "font/woff2"},              {NULL, NULL}};

static const char *content_type(const char *path)
{
	const char *dot = strrchr(path, '.');

	for (int i = 0; dot && types[i].ext; i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *msg, const char *allow)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(msg), (void *)msg, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* 1 if every segment of path is a plain name: not empty-dot, not hidden, no backslash. */
static int safe_path(const char *path)
{
	if (path[0] != '/' || strlen(path) > HTTP_PATH_MAX || strchr(path, '\\'))
		return 0;
	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1] == '.')
			return 0;
	return 1;
}

enum MHD_Result http_static(struct MHD_Connection *c, const char *web_dir, const char *path, const char *method)
{
	char file[HTTP_PATH_MAX + 4200];
	struct MHD_Response *resp;
	struct stat st;
	enum MHD_Result ret;
	int fd;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "GET, HEAD");
	if (!safe_path(path))
		return text(c, MHD_HTTP_NOT_FOUND, "not found\n", NULL);
	snprintf(file, sizeof(file), "%s%s%s", web_dir, path, path[strlen(path) - 1] == '/' ? "index.html" : "");
	fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return text(c, MHD_HTTP_NOT_FOUND, "not found\n", NULL);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return text(c, MHD_HTTP_NOT_FOUND, "not found\n", NULL);
	}
	/* MHD closes fd when the response is destroyed; if none is made, it stays ours. */
	if (!(resp = MHD_create_response_from_fd((size_t)st.st_size, fd))) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type(file));
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}
