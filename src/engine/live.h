/* live.h: the live snapshot: the image of src/domain/snap.h kept in step with every committed write,
 * plus the rulebook. Answers reflect every committed write without a nightly job: before reading,
 * a caller syncs, which replays the store's change log (written in the same transaction as each
 * write, by whatever process wrote it) and reloads just the persons it names.
 * Thread-safe: many readers, one syncer at a time; a sync takes the write lock only to swap in
 * persons it has already read from the store. */
#ifndef PCMT_LIVE_H
#define PCMT_LIVE_H

#include "domain/rules.h"
#include "domain/snap.h"
#include "store/store.h"

struct live;

/* Loads the rulebook and the whole image from s. NULL with err set on failure. */
struct live *live_open(struct store *s, struct pcmt_err *err);
void live_close(struct live *lv);
/* Applies every change committed since the last sync (a full reload when the log was pruned or org
 * units or facilities changed; only the operations image when only operations tables changed).
 * Cheap when nothing changed: one indexed query. */
int live_sync(struct live *lv, struct store *s, struct pcmt_err *err);
/* Read access: hold between live_read and live_done; the image does not change meanwhile. */
const struct snap *live_read(struct live *lv);
void live_done(struct live *lv);
/* The rulebook (immutable while the live image exists). */
const struct rulebook *live_rules(const struct live *lv);
/* Statistics for health and benchmarks. */
int64_t live_seq(struct live *lv);

#endif
