/* plans.h: the seeds' programme plans with every numeric target they state (RULES.md "Plan targets
 * in the seeds"), loaded by `pcmt demo` after the persons so that `pcmt indicators` has something to
 * answer: Nghe An Plan 180/KH-UBND (2022) and Plan 359/KH-UBND (2023), the Thanh Hoa drug-free
 * project 2024-2025 and the national target programme 2025-2030. */
#ifndef PCMT_DEMO_PLANS_H
#define PCMT_DEMO_PLANS_H

#include "store/store.h"

/* Inserts the plans, their targets and one example custom indicator through ent_validate and
 * ops->insert, inside the caller's transaction. A plan issued after ctx->today is left out (it did
 * not exist yet). Returns 0, or -1 with err set. */
int demo_plans(struct store *s, const struct ent_ctx *ctx, struct pcmt_err *err);

#endif
