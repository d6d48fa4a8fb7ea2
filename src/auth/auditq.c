/* auditq.c: the batching audit writer (auditq.h). Two buffers: producers fill one under the mutex
 * while the writer appends the other to the store outside it. */
#include "auth/auditq.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/group.h"
#include "store/store.h"

struct auditq {
	pthread_mutex_t mu;
	pthread_cond_t more;  /* to the writer: entries waiting, or stop */
	pthread_cond_t room;  /* to producers and flushers: a batch was written */
	pthread_t thread;
	struct store *st;
	struct store_group *group;  /* when not NULL, batches join the writes' shared transaction */
	struct audit_entry *fill;  /* being filled by producers */
	struct audit_entry *busy;  /* being written */
	size_t nfill;
	uint64_t queued, written;  /* entries ever queued / ever committed (or given up) */
	int stop;
	int urgent;  /* a flusher waits: write without gathering more */
};

struct batch {
	struct audit_entry *e;
	size_t n;
};

static int append_batch(struct store *st, void *cls, struct pcmt_err *err)
{
	struct batch *b = cls;

	return st->ops->audit_append(st, b->e, b->n, err);
}

static void *writer(void *arg)
{
	struct auditq *q = arg;
	struct pcmt_err err;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct timespec until;
		struct audit_entry *b;
		size_t n;
		int failures = 0;

		while (q->nfill == 0 && !q->stop)
			pthread_cond_wait(&q->more, &q->mu);
		if (q->nfill == 0 && q->stop)
			break;
		/* gather a batch: wait a little for more unless stopping or full */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)AUDITQ_FLUSH_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!q->stop && !q->urgent && q->nfill < AUDITQ_MAX / 2)
			if (pthread_cond_timedwait(&q->more, &q->mu, &until) == ETIMEDOUT)
				break;
		b = q->fill;
		n = q->nfill;
		q->fill = q->busy;
		q->busy = b;
		q->nfill = 0;
		q->urgent = 0;
		pthread_cond_broadcast(&q->room);
		pthread_mutex_unlock(&q->mu);
		/* a busy database is retried; the entries are not dropped while it comes back */
		for (;;) {
			struct batch bt = {b, n};
			int rc;

			err_clear(&err);
			/* on SQLite, through the writes' group: a connection of its own would queue for the
			 * write lock in SQLite's sleeping busy handler while the group keeps taking it */
			rc = q->group ? store_group_run(q->group, append_batch, &bt, &err)
				      : q->st->ops->audit_append(q->st, b, n, &err);
			if (rc == 0)
				break;
			if (++failures == 1 || failures % 100 == 0)
				fprintf(stderr, "pcmt serve: cannot write %zu audit entries (attempt %d): %s\n", n, failures,
					err.message);
			if (failures >= 600) {
				fprintf(stderr, "pcmt serve: %zu audit entries LOST after %d attempts\n", n, failures);
				break;
			}
			struct timespec ts = {0, 100000000L};

			nanosleep(&ts, NULL);
		}
		pthread_mutex_lock(&q->mu);
		q->written += n;
		pthread_cond_broadcast(&q->room);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct auditq *auditq_start(const char *db_url, struct store_group *group, struct pcmt_err *err)
{
	struct auditq *q = calloc(1, sizeof(*q));

	if (!q || !(q->fill = calloc(AUDITQ_MAX, sizeof(*q->fill))) || !(q->busy = calloc(AUDITQ_MAX, sizeof(*q->busy)))) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto fail;
	}
	q->group = group;
	if (!group && !(q->st = store_open(db_url, err)))
		goto fail;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->room, NULL);
	if (pthread_create(&q->thread, NULL, writer, q)) {
		err_set(err, ERR_INTERNAL, NULL, "cannot start the audit writer");
		pthread_cond_destroy(&q->more);
		pthread_cond_destroy(&q->room);
		pthread_mutex_destroy(&q->mu);
		goto fail;
	}
	return q;
fail:
	if (q) {
		store_close(q->st);
		free(q->fill);
		free(q->busy);
		free(q);
	}
	return NULL;
}

void auditq_push(struct auditq *q, const struct audit_entry *e)
{
	pthread_mutex_lock(&q->mu);
	while (q->nfill >= AUDITQ_MAX)
		pthread_cond_wait(&q->room, &q->mu);
	q->fill[q->nfill++] = *e;
	q->queued++;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->mu);
}

void auditq_flush(struct auditq *q)
{
	uint64_t target;

	pthread_mutex_lock(&q->mu);
	target = q->queued;
	while (q->written < target) {
		q->urgent = 1;
		pthread_cond_signal(&q->more);
		pthread_cond_wait(&q->room, &q->mu);
	}
	pthread_mutex_unlock(&q->mu);
}

void auditq_stop(struct auditq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->room);
	pthread_mutex_destroy(&q->mu);
	store_close(q->st);
	free(q->fill);
	free(q->busy);
	free(q);
}
