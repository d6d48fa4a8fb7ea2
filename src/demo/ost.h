/* ost.h (demo): a year of opioid substitution clinic work for the demo province, on top of the
 * methadone and buprenorphine episodes the demo already drew: prescriptions through induction, dose
 * finding and 30-day maintenance blocks, a dose a day with realistic misses (single days and
 * streaks that raise the queue's alerts), dropouts that stop coming weeks before their episode is
 * closed, weekly take-home doses for the patients the rulebook finds eligible, a few guest doses,
 * monthly receipts, waste, and a daily reconciliation with a handful of flagged differences.
 * Deterministic for a seed; every prescription and take-home run passes the rules of domain/ost.h. */
#ifndef PCMT_DEMO_OST_H
#define PCMT_DEMO_OST_H

#include <stdint.h>

#include "store/store.h"

struct demo_ost_stats {
	int clinics, patients_today, prescriptions, doses, take_home, guest;
	int stock_movements, reconciliations, flagged;
};

/* Inside the caller's transaction, after the persons and their treatments are written: reads the
 * episodes and dispensing points back from the store and bulk-loads the clinic's rows (with change
 * tracking suspended, as `pcmt demo --scale national` does). Returns 0, or -1 with err set. */
int demo_ost(struct store *s, const struct ent_ctx *ctx, uint64_t seed, struct demo_ost_stats *st,
	     struct pcmt_err *err);

#endif
