/* fuzz_entity.c: JSON request bodies through the entity validator, as POST/PUT (full) and PATCH
 * (partial) bodies reach it: jansson parses the bytes with the server's flags, ent_validate checks
 * them against one entity's descriptors (the first byte picks the entity and the mode), and a valid
 * record is merged with a second parse of the same body as a PATCH would be. The oracle is the
 * sanitizers plus the validator's contract: it either fails with an error naming a code, or returns
 * an object; never both, never neither. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "domain/entity.h"
#include "util/date.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t nent = 0;
	const struct entity_def *e;
	struct ent_ctx ctx = {date_from_ymd(2025, 6, 30)}; /* a fixed today: reproducible runs */
	struct pcmt_err err;
	json_error_t jerr;
	json_t *in = NULL, *out = NULL, *patch = NULL, *merged = NULL;
	int partial, rc;

	if (size < 1 || size > (1 << 20)) /* the server caps bodies at 1 MiB (HTTP_BODY_MAX) */
		return 0;
	while (ent_all[nent])
		nent++;
	e = ent_all[data[0] % nent];
	partial = (data[0] / nent) & 1;
	/* the same flags as server.c: a body is one JSON value, no trailing garbage */
	in = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &jerr);
	if (!in || !json_is_object(in))
		goto out;
	err_clear(&err);
	rc = ent_validate(e, &ctx, in, partial, &out, &err);
	if ((rc == 0) != (out != NULL) || (rc != 0 && err.code == ERR_OK)) {
		fprintf(stderr, "ent_validate(%s) broke its contract: rc %d, out %p, code %d\n", e->name, rc,
			(void *)out, (int)err.code);
		abort();
	}
	if (rc == 0 && !partial) {
		/* PATCH over the stored record: the same body, validated as partial, merged */
		err_clear(&err);
		if (ent_validate(e, &ctx, in, 1, &patch, &err) == 0) {
			err_clear(&err);
			if (ent_merge(e, &ctx, out, patch, &merged, &err) != 0 && err.code == ERR_OK)
				abort();
		}
	}
out:
	json_decref(merged);
	json_decref(patch);
	json_decref(out);
	json_decref(in);
	return 0;
}
