/* sqlite_wal.c: the gathering VFS of sqlite_wal.h. A shim over the default VFS: files other than
 * write-ahead logs are opened by it and keep its methods; a log gets methods that buffer writes
 * which continue the previous one and pass everything else through after writing the buffer out.
 *
 * When the buffer is written (the invariant: a frame SQLite may read back, or publish to other
 * connections, is in the file):
 *   - after the page that completes a commit frame (a frame header whose "database size after
 *     commit" field is not zero: the file format's, https://sqlite.org/fileformat.html#walformat),
 *     within that page's xWrite, so a failure fails the commit before SQLite writes the wal-index
 *     header that makes the frames visible. This relies on SQLite writing a frame as its header
 *     then its page, two writes (walWriteOneFrame, unchanged since WAL came in 3.7.0); a test
 *     (tests/store/test_sqlite_wal) reads every commit back from other connections;
 *   - before any other operation on the log (read, size, truncate, sync, lock, close), and before
 *     a write that does not continue the buffer (SQLite rewriting a frame in place) or would
 *     overflow it.
 * A log is used by one connection and pcmt never shares a connection between threads at once
 * (SQLITE_OPEN_NOMUTEX, one handle per worker), so the buffer needs no lock. */
#include "store/sqlite_wal.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

enum {
	WAL_FRAME_HDR = 24,         /* SQLite's WAL frame header (the file format's, fixed) */
	/* a commit larger than this is written in pieces of it: the unix VFS writes at most 0x1ffff
	 * bytes a call (larger sizes are masked, not split), and 31 frames of 4 KiB pages fit */
	GATHER_CAP = 0x1ffff,
};

struct wal_file {
	sqlite3_file base;  /* first: SQLite sees this */
	sqlite3_file *real; /* the default VFS's file, right after this struct */
	char *buf;          /* NULL until the first write */
	sqlite3_int64 off;  /* where buf[0] goes in the file */
	size_t len;
	sqlite3_int64 next; /* where the previous write ended (-1: none yet, or it failed) */
	int commit_page;    /* the next write is the page of a commit frame: write out after it */
};

static sqlite3_vfs gather_vfs;
static sqlite3_vfs *real_vfs;
static const char *vfs_name;

static int flush(struct wal_file *w)
{
	int rc;

	if (!w->len)
		return SQLITE_OK;
	rc = w->real->pMethods->xWrite(w->real, w->buf, (int)w->len, w->off);
	w->len = 0;
	if (rc != SQLITE_OK)
		w->next = -1; /* what follows starts afresh, after SQLite has seen the failure */
	return rc;
}

static int w_close(sqlite3_file *f)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w), rc2 = w->real->pMethods->xClose(w->real);

	free(w->buf);
	w->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int w_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);

	return rc != SQLITE_OK ? rc : w->real->pMethods->xRead(w->real, p, amt, off);
}

/* A frame header that ends a transaction carries the database's size in pages (bytes 4-7). */
static int commit_header(const unsigned char *p, int amt)
{
	return amt == WAL_FRAME_HDR && (p[4] | p[5] | p[6] | p[7]) != 0;
}

static int w_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc, ends = w->commit_page;

	w->commit_page = commit_header(p, amt);
	/* Only a write that continues the previous one is gathered: SQLite appending frames. Anything
	 * else (the log's header when it starts again, a page rewritten in place within its
	 * transaction, the frame headers re-checksummed after that, written after the commit frame)
	 * goes to the file at once, after what was gathered, as it would without this VFS. */
	if (off != w->next || (size_t)amt > GATHER_CAP || (!w->buf && !(w->buf = malloc(GATHER_CAP)))) {
		if ((rc = flush(w)) != SQLITE_OK)
			return rc;
		rc = w->real->pMethods->xWrite(w->real, p, amt, off);
		w->next = rc == SQLITE_OK ? off + amt : -1;
		return rc;
	}
	if (w->len + (size_t)amt > GATHER_CAP && (rc = flush(w)) != SQLITE_OK)
		return rc;
	if (!w->len)
		w->off = off;
	memcpy(w->buf + w->len, p, (size_t)amt);
	w->len += (size_t)amt;
	w->next = off + amt;
	return ends ? flush(w) : SQLITE_OK;
}

static int w_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);

	return rc != SQLITE_OK ? rc : w->real->pMethods->xTruncate(w->real, size);
}

static int w_sync(sqlite3_file *f, int flags)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);

	return rc != SQLITE_OK ? rc : w->real->pMethods->xSync(w->real, flags);
}

static int w_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);

	return rc != SQLITE_OK ? rc : w->real->pMethods->xFileSize(w->real, size);
}

static int w_lock(sqlite3_file *f, int lock)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);

	return rc != SQLITE_OK ? rc : w->real->pMethods->xLock(w->real, lock);
}

static int w_unlock(sqlite3_file *f, int lock)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);

	return rc != SQLITE_OK ? rc : w->real->pMethods->xUnlock(w->real, lock);
}

static int w_reserved(sqlite3_file *f, int *out)
{
	struct wal_file *w = (struct wal_file *)f;

	return w->real->pMethods->xCheckReservedLock(w->real, out);
}

static int w_control(sqlite3_file *f, int op, void *arg)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);

	return rc != SQLITE_OK ? rc : w->real->pMethods->xFileControl(w->real, op, arg);
}

static int w_sector(sqlite3_file *f)
{
	struct wal_file *w = (struct wal_file *)f;

	return w->real->pMethods->xSectorSize(w->real);
}

static int w_device(sqlite3_file *f)
{
	struct wal_file *w = (struct wal_file *)f;

	return w->real->pMethods->xDeviceCharacteristics(w->real);
}

/* Version 1 methods: SQLite never maps a log file or uses its shared memory (that is the
 * database file's), and treats a missing xShmMap as "not supported" on it. */
static const sqlite3_io_methods wal_methods = {
	1, w_close, w_read, w_write, w_truncate, w_sync, w_size, w_lock, w_unlock, w_reserved,
	w_control, w_sector, w_device, NULL, NULL, NULL, NULL, NULL, NULL};

static int g_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc;

	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL)) /* the default VFS's file, methods and all, in our larger slot */
		return real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
	memset(w, 0, sizeof(*w));
	w->real = (sqlite3_file *)(w + 1);
	w->next = -1;
	rc = real_vfs->xOpen(real_vfs, name, w->real, flags, out_flags);
	if (rc == SQLITE_OK)
		w->base.pMethods = &wal_methods;
	else if (w->real->pMethods) /* a failed open may still leave a file to close */
		w->real->pMethods->xClose(w->real);
	return rc;
}

/* The rest of the VFS interface, passed to the default VFS under its own pointer. */
static int g_delete(sqlite3_vfs *v, const char *n, int sync)
{
	(void)v;
	return real_vfs->xDelete(real_vfs, n, sync);
}

static int g_access(sqlite3_vfs *v, const char *n, int flags, int *out)
{
	(void)v;
	return real_vfs->xAccess(real_vfs, n, flags, out);
}

static int g_fullpath(sqlite3_vfs *v, const char *n, int size, char *out)
{
	(void)v;
	return real_vfs->xFullPathname(real_vfs, n, size, out);
}

static void *g_dlopen(sqlite3_vfs *v, const char *n)
{
	(void)v;
	return real_vfs->xDlOpen(real_vfs, n);
}

static void g_dlerror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	real_vfs->xDlError(real_vfs, n, out);
}

static void (*g_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	(void)v;
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void g_dlclose(sqlite3_vfs *v, void *h)
{
	(void)v;
	real_vfs->xDlClose(real_vfs, h);
}

static int g_random(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int g_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return real_vfs->xSleep(real_vfs, us);
}

static int g_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int g_lasterror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int g_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static void registration(void)
{
	const char *env = getenv("PCMT_SQLITE_WAL_GATHER");

	if ((env && !strcmp(env, "0")) || !(real_vfs = sqlite3_vfs_find(NULL)) || real_vfs->iVersion < 2)
		return;
	gather_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct wal_file) + real_vfs->szOsFile,
		.mxPathname = real_vfs->mxPathname,
		.zName = "pcmt-wal-gather",
		.xOpen = g_open,
		.xDelete = g_delete,
		.xAccess = g_access,
		.xFullPathname = g_fullpath,
		.xDlOpen = g_dlopen,
		.xDlError = g_dlerror,
		.xDlSym = g_dlsym,
		.xDlClose = g_dlclose,
		.xRandomness = g_random,
		.xSleep = g_sleep,
		.xCurrentTime = g_time,
		.xGetLastError = g_lasterror,
		.xCurrentTimeInt64 = g_time64,
	};
	if (sqlite3_vfs_register(&gather_vfs, 0) == SQLITE_OK)
		vfs_name = gather_vfs.zName;
}

const char *sqlite_wal_vfs(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, registration);
	return vfs_name;
}
