/* live.c: keeps the snapshot in step with the store through the change log (see live.h). Writes to
 * the operations tables (opimg.h) reload only the operations image: a commune officer entering
 * communication activities all day must not cost a reload of every person. */
#include "engine/live.h"

#include <pthread.h>
#include <stdlib.h>

#include "domain/opimg.h"
#include "engine/rulebook.h"

struct live {
	pthread_rwlock_t lock;   /* readers vs. the swap of persons */
	pthread_mutex_t sync_mu; /* one syncer at a time */
	struct snap *snap;
	struct rulebook rb;
};

struct collect {
	int64_t *ids;
	size_t n, cap;
	int full;  /* an org unit or facility changed: reload everything */
	int oper;  /* an operations table changed: reload the operations image */
	int oom;
};

static int collect_fn(void *cls, int64_t person_id, const char *table)
{
	struct collect *c = cls;

	if (person_id == 0) {
		if (op_table(table))
			c->oper = 1;
		else
			c->full = 1;
		return 0;
	}
	if (c->n && c->ids[c->n - 1] == person_id)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		int64_t *np;

		if (cap > 1000000) { /* a bulk load: reloading everything is cheaper */
			c->full = 1;
			return 1;
		}
		np = realloc(c->ids, cap * sizeof(*np));
		if (!np) {
			c->oom = 1;
			return 1;
		}
		c->ids = np;
		c->cap = cap;
	}
	c->ids[c->n++] = person_id;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The operations image, loaded after the snapshot so that it is at least as new as snap->seq. */
static struct op_image *load_oper(struct store *s, struct pcmt_err *err)
{
	struct op_image *img = op_image_new();

	if (!img) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	if (s->ops->oper_load && s->ops->oper_load(s, img, err)) {
		op_image_free(img);
		return NULL;
	}
	return img;
}

static struct snap *load_all(struct store *s, struct pcmt_err *err)
{
	struct snap *sn = snap_new();

	if (!sn) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	if (s->ops->snap_load(s, sn, err) || !(sn->oper = load_oper(s, err))) {
		snap_free(sn);
		return NULL;
	}
	return sn;
}

struct live *live_open(struct store *s, struct pcmt_err *err)
{
	struct live *lv = calloc(1, sizeof(*lv));

	if (!lv) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	pthread_rwlock_init(&lv->lock, NULL);
	pthread_mutex_init(&lv->sync_mu, NULL);
	rulebook_init(&lv->rb);
	if (rulebook_open(s, &lv->rb, err) || !(lv->snap = load_all(s, err))) {
		live_close(lv);
		return NULL;
	}
	return lv;
}

void live_close(struct live *lv)
{
	if (!lv)
		return;
	snap_free(lv->snap);
	rulebook_free(&lv->rb);
	pthread_rwlock_destroy(&lv->lock);
	pthread_mutex_destroy(&lv->sync_mu);
	free(lv);
}

int live_sync(struct live *lv, struct store *s, struct pcmt_err *err)
{
	struct collect c = {0};
	struct snap_person **fresh = NULL;
	struct op_image *oper = NULL;
	int64_t last = 0;
	int gap = 0, rc = -1;

	pthread_mutex_lock(&lv->sync_mu);
	if (s->ops->changes(s, lv->snap->seq, collect_fn, &c, &last, &gap, err))
		goto out;
	if (c.oom) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (last == lv->snap->seq) {
		rc = 0;
		goto out;
	}
	if (gap || c.full) {
		struct snap *sn = load_all(s, err), *old;

		if (!sn)
			goto out;
		pthread_rwlock_wrlock(&lv->lock);
		old = lv->snap;
		lv->snap = sn;
		pthread_rwlock_unlock(&lv->lock);
		snap_free(old);
		rc = 0;
		goto out;
	}
	if (c.oper && !(oper = load_oper(s, err)))
		goto out;
	/* each person once, read outside the lock, then swapped in (none when only operations changed) */
	if (c.n)
		qsort(c.ids, c.n, sizeof(*c.ids), cmp_id);
	{
		size_t k = 0;

		for (size_t i = 0; i < c.n; i++)
			if (!k || c.ids[k - 1] != c.ids[i])
				c.ids[k++] = c.ids[i];
		c.n = k;
	}
	if (c.n && !(fresh = calloc(c.n, sizeof(*fresh)))) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c.n; i++)
		if (s->ops->snap_person(s, c.ids[i], &fresh[i], err))
			goto out;
	pthread_rwlock_wrlock(&lv->lock);
	for (size_t i = 0; i < c.n; i++) {
		if (fresh[i]) {
			if (snap_person_put(lv->snap, fresh[i]) == 0)
				fresh[i] = NULL; /* owned by the image now (freed by it on failure too) */
			else
				fresh[i] = NULL;
		} else {
			snap_person_drop(lv->snap, c.ids[i]);
		}
	}
	if (oper) {
		struct op_image *t = lv->snap->oper;

		lv->snap->oper = oper;
		oper = t; /* the old image, freed below outside the lock */
	}
	lv->snap->seq = last;
	pthread_rwlock_unlock(&lv->lock);
	rc = 0;
out:
	if (fresh)
		for (size_t i = 0; i < c.n; i++)
			snap_person_free(fresh[i]);
	free(fresh);
	free(c.ids);
	op_image_free(oper);
	pthread_mutex_unlock(&lv->sync_mu);
	return rc;
}

const struct snap *live_read(struct live *lv)
{
	pthread_rwlock_rdlock(&lv->lock);
	return lv->snap;
}

void live_done(struct live *lv)
{
	pthread_rwlock_unlock(&lv->lock);
}

const struct rulebook *live_rules(const struct live *lv)
{
	return &lv->rb;
}

int64_t live_seq(struct live *lv)
{
	int64_t v;

	pthread_rwlock_rdlock(&lv->lock);
	v = lv->snap->seq;
	pthread_rwlock_unlock(&lv->lock);
	return v;
}
