/* sqlite_wal.h: a VFS for pcmt's SQLite connections that writes each commit's log frames with one
 * system call instead of two per page. SQLite appends a transaction to the write-ahead log as a
 * 24-byte frame header and a page per changed page, each its own pwrite; a registration changes
 * 20-30 pages, so a commit made 40-60 system calls while holding the write lock, each costly on a
 * virtual machine. This VFS gathers a log file's contiguous writes in memory and writes them when
 * the transaction's commit frame is complete, before SQLite publishes the commit to other
 * connections (the wal-index header), so that no reader can see a frame that is not in the file
 * and a failed write fails the commit. Everything else is the default VFS's, untouched.
 * $PCMT_SQLITE_WAL_GATHER=0 turns it off (a baseline for bench/, a way out if it ever misbehaves). */
#ifndef PCMT_STORE_SQLITE_WAL_H
#define PCMT_STORE_SQLITE_WAL_H

/* Registers the VFS once (not as the default) and returns its name for sqlite3_open_v2, or NULL
 * when it is turned off or cannot be registered (then the default VFS is used). Thread-safe. */
const char *sqlite_wal_vfs(void);

#endif
