/* cmd_serve.c: `pcmt serve`: migrates the database, serves the JSON API and the web UI until SIGINT
 * or SIGTERM, then stops cleanly (requests in flight finish, store handles close). */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "http/server.h"

static const char usage[] =
	"usage: pcmt serve [--db URL] [--port N] [--bind ADDR] [--threads N] [--web DIR] [--port-file FILE]\n"
	"                  [--tls-cert FILE --tls-key FILE] [--trust-proxy] [--max-connections N]\n"
	"                  [--timeout S]\n\n"
	"Brings the database's schema up to date, then serves the JSON API under /api/v1 and the web UI\n"
	"until interrupted (SIGINT or SIGTERM).\n\n"
	"  --db URL          database: FILE, sqlite:FILE or postgresql://... (default $PCMT_DB, else pcmt.db)\n"
	"  --port N          TCP port (default 8080; 0 picks a free port)\n"
	"  --bind ADDR       address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)\n"
	"  --threads N       worker threads and database handles, on PostgreSQL each a connection\n"
	"                    (default 2 x CPUs)\n"
	"  --web DIR         static files for non-API paths (default " PCMT_SOURCE_DIR "/web)\n"
	"  --port-file FILE  write the bound port to FILE once listening (for scripts and tests)\n"
	"  --tls-cert FILE   serve HTTPS with this PEM certificate chain (and --tls-key)\n"
	"  --tls-key FILE    the PEM private key of --tls-cert\n"
	"  --trust-proxy     behind a reverse proxy: the client address is X-Forwarded-For's last entry\n"
	"                    (never use it when clients can reach pcmt directly)\n"
	"  --max-connections N  connections served at once (default 1024); requests on connections\n"
	"                    beyond it get 503 with Retry-After and are closed\n"
	"  --timeout S       seconds a connection may stay silent (mid-request or idle) before it is\n"
	"                    closed (default 30)\n"
	"Every API route but /api/v1/health and /api/v1/auth/login needs a user: see pcmt user and\n"
	"docs/security.md.\n";

/* Bad option values are usage errors: exit 2 (cli_fail's 1, plus one). */
static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* Written to a temporary name and renamed, so a reader never sees half a number. */
static int write_port_file(const char *path, int port)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	if (!(f = fopen(tmp, "w")))
		return -1;
	if (fprintf(f, "%d\n", port) < 0) {
		fclose(f);
		return -1;
	}
	if (fclose(f) || rename(tmp, path))
		return -1;
	return 0;
}

/* The database URL without its password ("postgresql://u:secret@h/db" -> "postgresql://u:***@h/db"):
 * the start line goes to logs. */
static void redact_url(const char *url, char *out, size_t cap)
{
	const char *scheme = strstr(url, "://"), *at, *colon;

	snprintf(out, cap, "%s", url);
	if (!scheme)
		return;
	at = strchr(scheme + 3, '@');
	colon = at ? memchr(scheme + 3, ':', (size_t)(at - (scheme + 3))) : NULL;
	if (colon)
		snprintf(out, cap, "%.*s:***%s", (int)(colon - url), url, at);
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'},      {"port", required_argument, 0, 'p'},
		{"bind", required_argument, 0, 'b'},    {"threads", required_argument, 0, 't'},
		{"web", required_argument, 0, 'w'},     {"port-file", required_argument, 0, 'f'},
		{"tls-cert", required_argument, 0, 'C'}, {"tls-key", required_argument, 0, 'K'},
		{"trust-proxy", no_argument, 0, 'P'},   {"max-connections", required_argument, 0, 'M'},
		{"timeout", required_argument, 0, 'T'}, {0, 0, 0, 0}};
	struct http_server_opts o = {NULL, "127.0.0.1", 8080, 0, PCMT_SOURCE_DIR "/web", NULL, NULL, 0, 0, 0};
	const char *db = NULL, *port_file = NULL;
	struct http_server *srv = NULL;
	char shown[512];
	struct pcmt_err err;
	sigset_t sigs;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned char addr[16];
	int c, sig = 0, rc = 1;

	o.threads = ncpu > 0 && ncpu < 64 ? 2 * (int)ncpu : 4;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:p:b:t:w:f:C:K:PM:T:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'b': o.bind = optarg; break;
		case 'w': o.web_dir = optarg; break;
		case 'f': port_file = optarg; break;
		case 'C': o.tls_cert = optarg; break;
		case 'K': o.tls_key = optarg; break;
		case 'P': o.trust_proxy = 1; break;
		case 'p':
			if (parse_int(optarg, 0, 65535, &o.port))
				return cli_fail("serve", "--port must be a number from 0 to 65535") + 1;
			break;
		case 't':
			if (parse_int(optarg, 1, 256, &o.threads))
				return cli_fail("serve", "--threads must be a number from 1 to 256") + 1;
			break;
		case 'M':
			if (parse_int(optarg, 1, 100000, &o.max_conns))
				return cli_fail("serve", "--max-connections must be a number from 1 to 100000") + 1;
			break;
		case 'T':
			if (parse_int(optarg, 1, 3600, &o.conn_timeout))
				return cli_fail("serve", "--timeout must be a number of seconds from 1 to 3600") + 1;
			break;
		default:
			return cli_usage(&cmd_serve);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_serve);
	if (inet_pton(AF_INET, o.bind, &addr) != 1 && inet_pton(AF_INET6, o.bind, &addr) != 1)
		return cli_fail("serve", "--bind must be an IPv4 or IPv6 address such as 127.0.0.1 or ::1") + 1;
	if (!o.tls_cert != !o.tls_key)
		return cli_fail("serve", "HTTPS needs both --tls-cert and --tls-key") + 1;
	o.db_url = cli_db(db);

	/* Block the stop signals before any server thread exists, so that only sigwait() sees them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL))
		return cli_fail("serve", "cannot block signals");
	signal(SIGPIPE, SIG_IGN);

	err_clear(&err);
	if (http_server_start(&o, &srv, &err))
		return cli_fail("serve", "%s", err.message);
	if (port_file && write_port_file(port_file, http_server_port(srv))) {
		cli_fail("serve", "cannot write the port file %s", port_file);
		goto out;
	}
	redact_url(o.db_url, shown, sizeof(shown));
	if (strchr(o.bind, ':'))
		printf("pcmt: serving %s on http%s://[%s]:%d\n", shown, http_server_tls(srv) ? "s" : "", o.bind,
		       http_server_port(srv));
	else
		printf("pcmt: serving %s on http%s://%s:%d\n", shown, http_server_tls(srv) ? "s" : "", o.bind,
		       http_server_port(srv));
	fflush(stdout);
	if (sigwait(&sigs, &sig))
		cli_fail("serve", "sigwait failed");
	rc = 0;
out:
	http_server_stop(srv);
	return rc;
}

const struct cmd cmd_serve = {"serve", "serve the JSON API and web UI over HTTP", usage, run};
