/* operations.h: the demo's operations registry for Nghệ An (code 40): populations per commune and
 * year, hotspots with their status histories, drug crime cases on every route with seizures and
 * stages, poppy sites in the mountain districts (a few replanted) and communication activities that
 * reach most communes each year, from 2021 to today. A handful of communes of Kỳ Sơn, Tương Dương
 * and Quế Phong are drawn as Decision 28/2025 type I and a few more as type II, so that the
 * indicators and `pcmt eval classification` have something to show. Deterministic for a seed. */
#ifndef PCMT_DEMO_OPERATIONS_H
#define PCMT_DEMO_OPERATIONS_H

#include <stdint.h>

#include "store/store.h"

/* Inserts everything through ent_validate and ops->insert inside the caller's transaction, after
 * the org units are in place (the province's districts and communes are read from the store).
 * Every date lies on or before ctx->today. Returns 0, or -1 with err set. */
int demo_operations(struct store *s, const struct ent_ctx *ctx, uint64_t seed, struct pcmt_err *err);

#endif
