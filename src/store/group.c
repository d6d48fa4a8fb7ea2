/* group.c: group commit (group.h). One mutex guards the shared handle and the open transaction;
 * a caller runs its write under it, then either commits (nobody queued behind it) or leaves the
 * transaction open for the next caller and sleeps until whoever commits tells it how that went.
 * Where the backend has log upkeep (SQLite's checkpoints: a copy into the database and two
 * fsyncs), a thread of the group does it on a handle of its own, so that no commit made under the
 * mutex waits for it. */
#include "store/group.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	CHECKPOINT_GAP_MS = 100,          /* between two checkpoints: pages written again meanwhile are copied once */
	CHECKPOINT_RESTART_PAGES = 32768, /* a log this long (128 MiB of 4 KiB pages) is started again,
					     unless $PCMT_LOG_RESTART_PAGES says otherwise (tests) */
};

/* A kept write waiting for its transaction to end; lives on its caller's stack. */
struct member {
	struct member *next;
	int done;              /* the transaction ended */
	int rc;                /* 0 committed, -1 lost */
	struct pcmt_err err;   /* why it was lost */
};

struct store_group {
	pthread_mutex_t mu;     /* the handle and every field below */
	pthread_cond_t ended;   /* a transaction ended: members look at their done */
	struct store *st;
	atomic_int wanting;     /* callers waiting for mu: while there are any, the commit is theirs */
	int open;               /* a transaction is open on st */
	int n;                  /* writes kept in it */
	struct member *members; /* their callers */
	uint64_t commits, writes;
	/* log upkeep (NULL cp: none) */
	struct store *cp;       /* the checkpointer's handle */
	pthread_t cp_thread;
	pthread_mutex_t cp_mu;  /* the two fields below */
	pthread_cond_t cp_cv;   /* to the checkpointer: a commit, or stop */
	uint64_t cp_commits;    /* commits made (the checkpointer copies after them) */
	int cp_stop;
	int cp_restart;         /* log length in pages from which the checkpointer starts it again */
};

static void end_tx(struct store_group *g, const struct pcmt_err *lost);

static void *checkpointer(void *arg)
{
	struct store_group *g = arg;
	struct pcmt_err err;
	uint64_t seen = 0;
	int failures = 0, rc, more;

	pthread_mutex_lock(&g->cp_mu);
	while (!g->cp_stop) {
		struct timespec until;

		if (g->cp_commits == seen) {
			pthread_cond_wait(&g->cp_cv, &g->cp_mu);
			continue;
		}
		seen = g->cp_commits;
		pthread_mutex_unlock(&g->cp_mu);
		err_clear(&err);
		if ((rc = g->cp->ops->checkpoint(g->cp, CP_RUN, &err)) >= g->cp_restart) {
			/* Commits go on while it copies, so the log is never wholly in the database and the
			 * writer never starts it again from its beginning: it would grow for as long as writes
			 * come, each commit extending the file (block allocation and zeroing in the kernel).
			 * Once it is long, the rest is copied with the writers held off (the open transaction
			 * committed first), and the next commit starts the log again. Not every time: that
			 * copy syncs the log and the database (tens of ms here) while nobody can write. */
			pthread_mutex_lock(&g->mu);
			if (g->open)
				end_tx(g, NULL);
			pthread_mutex_lock(&g->cp_mu);
			more = g->cp_commits != seen;
			pthread_mutex_unlock(&g->cp_mu);
			if (more)
				rc = g->cp->ops->checkpoint(g->cp, CP_RUN, &err);
			pthread_mutex_unlock(&g->mu);
		}
		if (rc < 0 && (++failures == 1 || failures % 100 == 0))
			fprintf(stderr, "pcmt serve: cannot copy the log into the database (%d times): %s\n", failures,
				err.message);
		pthread_mutex_lock(&g->cp_mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += CHECKPOINT_GAP_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!g->cp_stop && pthread_cond_timedwait(&g->cp_cv, &g->cp_mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&g->cp_mu);
	return NULL;
}

/* Starts the checkpointer when the backend has log upkeep; 0 when it has none. */
static int upkeep_start(struct store_group *g, const char *url, struct pcmt_err *err)
{
	const char *env = getenv("PCMT_LOG_RESTART_PAGES");

	if (!g->st->ops->checkpoint)
		return 0;
	g->cp_restart = env && atoi(env) > 0 ? atoi(env) : CHECKPOINT_RESTART_PAGES;
	if (g->st->ops->checkpoint(g->st, CP_DEFER, err) || !(g->cp = store_open(url, err)))
		return -1;
	pthread_mutex_init(&g->cp_mu, NULL);
	pthread_cond_init(&g->cp_cv, NULL);
	if (pthread_create(&g->cp_thread, NULL, checkpointer, g)) {
		pthread_cond_destroy(&g->cp_cv);
		pthread_mutex_destroy(&g->cp_mu);
		store_close(g->cp);
		g->cp = NULL;
		return err_set(err, ERR_INTERNAL, NULL, "cannot start the checkpointer");
	}
	return 0;
}

struct store_group *store_group_open(const char *url, struct pcmt_err *err)
{
	struct store_group *g;
	struct store *st;

	err_clear(err);
	if (!(st = store_open(url, err)))
		return NULL;
	if (!st->ops->savepoint) {
		store_close(st);
		return NULL;
	}
	if (!(g = calloc(1, sizeof(*g)))) {
		store_close(st);
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->ended, NULL);
	g->st = st;
	if (upkeep_start(g, url, err)) {
		store_group_close(g);
		return NULL;
	}
	return g;
}

/* Ends the open transaction (mu held) and tells each member how: lost (the database already rolled
 * it back, why says how), else committed when it holds kept writes (or lost if the commit fails). */
static void end_tx(struct store_group *g, const struct pcmt_err *lost)
{
	struct pcmt_err err;
	int rc = 0;

	err_clear(&err);
	if (lost) {
		err = *lost;
		rc = -1;
		g->st->ops->rollback(g->st);
	} else if (g->n == 0) {
		g->st->ops->rollback(g->st);
	} else if (g->st->ops->commit(g->st, &err)) {
		rc = -1;
	} else {
		g->commits++;
		g->writes += (uint64_t)g->n;
		if (g->cp) {
			pthread_mutex_lock(&g->cp_mu);
			g->cp_commits++;
			pthread_cond_signal(&g->cp_cv);
			pthread_mutex_unlock(&g->cp_mu);
		}
	}
	for (struct member *m = g->members; m; m = m->next) {
		m->rc = rc;
		if (rc)
			m->err = err;
		m->done = 1;
	}
	g->members = NULL;
	g->n = 0;
	g->open = 0;
	pthread_cond_broadcast(&g->ended);
}

int store_group_run(struct store_group *g, int (*fn)(struct store *st, void *cls, struct pcmt_err *err), void *cls,
		    struct pcmt_err *err)
{
	struct member me;
	struct pcmt_err undo;
	int rc = -1;

	memset(&me, 0, sizeof(me));
	atomic_fetch_add(&g->wanting, 1);
	pthread_mutex_lock(&g->mu);
	atomic_fetch_sub(&g->wanting, 1);
	if (!g->open) {
		if (g->st->ops->begin(g->st, err))
			goto out;
		g->open = 1;
	}
	if (g->st->ops->savepoint(g->st, SP_MARK, err)) {
		end_tx(g, NULL); /* the writes already in stay kept; this one is not run */
		goto out;
	}
	if (fn(g->st, cls, err) == 0 && g->st->ops->savepoint(g->st, SP_KEEP, err) == 0) {
		me.next = g->members;
		g->members = &me;
		g->n++;
		rc = 0;
	} else {
		err_clear(&undo);
		if (g->st->ops->savepoint(g->st, SP_UNDO, &undo))
			end_tx(g, &undo); /* the others went with it: they are told, none is answered as kept */
	}
	/* the last of a queue commits; a queue that never ends is cut at STORE_GROUP_MAX */
	if (g->open && (atomic_load(&g->wanting) == 0 || g->n >= STORE_GROUP_MAX))
		end_tx(g, NULL);
	if (rc == 0) {
		while (!me.done)
			pthread_cond_wait(&g->ended, &g->mu);
		if ((rc = me.rc))
			*err = me.err;
	}
out:
	pthread_mutex_unlock(&g->mu);
	return rc;
}

void store_group_stats(struct store_group *g, uint64_t *commits, uint64_t *writes)
{
	pthread_mutex_lock(&g->mu);
	*commits = g->commits;
	*writes = g->writes;
	pthread_mutex_unlock(&g->mu);
}

void store_group_close(struct store_group *g)
{
	if (!g)
		return;
	if (g->cp) {
		pthread_mutex_lock(&g->cp_mu);
		g->cp_stop = 1;
		pthread_cond_signal(&g->cp_cv);
		pthread_mutex_unlock(&g->cp_mu);
		pthread_join(g->cp_thread, NULL);
		pthread_cond_destroy(&g->cp_cv);
		pthread_mutex_destroy(&g->cp_mu);
		store_close(g->cp);
	}
	if (g->open)
		g->st->ops->rollback(g->st);
	store_close(g->st);
	pthread_cond_destroy(&g->ended);
	pthread_mutex_destroy(&g->mu);
	free(g);
}
