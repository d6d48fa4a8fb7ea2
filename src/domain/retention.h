/* retention.h: when a person's identifying fields may be erased (`pcmt retention`). Pure, over the
 * live snapshot's dated facts (snap.h).
 *
 * A person's identity is kept while they are managed and for the retention period after: the
 * rulebook row retention.identity_months (unconfirmed: no period was found in Law 73/2021/QH14 or
 * Decree 105/2021/ND-CP; pcmt suggests 60 months). The period runs from the person's last fact: the
 * latest of every management record's closing date and every dated fact (classification start or
 * end, determination, test, treatment start or end, support). A person is never due while a
 * management record or a treatment is still open, nor when they never had a management record
 * (registered but never managed: an officer decides, retention does not). */
#ifndef PCMT_RETENTION_H
#define PCMT_RETENTION_H

#include <stdint.h>

#include "domain/rules.h"
#include "domain/snap.h"
#include "util/err.h"

/* The retention period in months in force on `date` (rulebook retention.identity_months, a whole
 * number >= 1). ERR_INTERNAL naming the code when missing or not one. */
int ret_months(const struct rulebook *rb, int32_t date, int *months, struct pcmt_err *err);

/* The person's last fact (see above), or DATE_NONE when never due (an open record or treatment, or
 * no record at all). */
int32_t ret_last_fact(const struct snap_person *p);

/* The first day p's identity may be erased (last fact + months), or DATE_NONE when never. */
int32_t ret_due(const struct snap_person *p, int months);

#endif
