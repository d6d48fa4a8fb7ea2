/* drugfree.h: the drug-free commune evaluation as an answer: every commune under an org unit on a
 * date, with pass/fail per criterion, the counts behind each, the failing persons and the exact
 * reasons, and roll-ups (number and share of drug-free communes) per unit below the root.
 * Shared by `pcmt eval drug-free` and GET /api/v1/drug-free. */
#ifndef PCMT_DRUGFREE_H
#define PCMT_DRUGFREE_H

#include <jansson.h>

#include "engine/live.h"

struct drugfree_opts {
	int64_t ou_id;          /* root org unit (any level) */
	int32_t date;           /* request date D */
	const struct scope *scope; /* persons named in failures are looked up within it */
	int details;            /* 1: list each commune with its failures; 0: roll-ups only */
	int names;              /* 1: add each failing person's full name (a store read each) */
	/* 1: small cells (RULES.md, domain/suppress.h): every count of persons from 1 to t-1 becomes
	 * the string "<t" and a count that would let it be subtracted back from its criterion's base
	 * count becomes "x"; no failures are listed (they name persons). For viewers and answers that
	 * leave the commune; the caller decides. */
	int suppress;
	int aggregate_only;     /* 1: no per-person failures at all, counts only (viewers: docs/security.md) */
};

/* Syncs lv with s, evaluates, and returns the answer in *out (new reference). */
int drugfree_eval(struct live *lv, struct store *s, const struct drugfree_opts *o, json_t **out,
		  struct pcmt_err *err);

#endif
