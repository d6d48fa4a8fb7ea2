/* reform.h: a reform mapping (new org units and the old units each was formed from, fully or
 * partly), parsed from the official merges JSON (../shared/data/vn-units-2025-07-01-merges.json
 * shape) or pcmt's TSV (data/vn-units-2025-07-01.tsv, docs/data.md). Pure: no store; the engine
 * (engine/reform.h) applies a parsed mapping. docs/reform.md explains what a merge means in pcmt. */
#ifndef PCMT_REFORM_H
#define PCMT_REFORM_H

#include <jansson.h>
#include <stddef.h>

#include "util/err.h"

struct reform_merge {
	const char *old_code;
	const char *old_name; /* NULL when the file gives none (TSV) */
	int partial;          /* only part of the old unit went into the new one */
};

struct reform_unit {
	const char *code, *parent, *name, *type_name; /* parent: a province code, "VN" for provinces */
	int level;            /* 1 province, 3 commune (no district level after the reform) */
	size_t first, n;      /* its merges: map->m[first .. first + n) */
	char where[48];       /* "line 12" or "data[3].level2s[7]", for messages */
};

struct reform_map {
	struct reform_unit *u; /* provinces first, then communes, as in the file */
	size_t nu;
	struct reform_merge *m;
	size_t nm;
	size_t nprov;          /* units of level 1 */
	/* storage the strings point into */
	json_t *json;
	char *text;
};

/* Parses buf (JSON when its first non-space byte is '{', else TSV). Checks shape, codes, merge
 * types, duplicate codes, and that each commune's province is in the mapping. -1 with err set
 * (naming the line or JSON path) on any problem. */
int reform_parse(const char *buf, size_t len, struct reform_map *out, struct pcmt_err *err);
void reform_map_free(struct reform_map *m);

/* The official type of a new unit from its name's leading words ("Xã", "Phường", "Đặc khu"; for
 * provinces "Thành phố Trung ương" or "Tỉnh"), or NULL. */
const char *reform_type_of(const char *name, int level);

#endif
