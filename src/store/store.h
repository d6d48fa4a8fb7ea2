/* store.h: the one storage interface of pcmt.
 * A backend (store_sqlite.c, store_pg.c) fills a struct store_ops and embeds struct store
 * as the first member of its own state, SQLite-vfs style. Nothing outside a backend file calls its
 * database library. Records cross this interface as jansson objects in the validated form produced
 * by ent_validate() (src/domain/entity.h); the store adds "id", "version", "created_at" and
 * "updated_at" on the way out and never sends F_HIDDEN fields.
 *
 * Scope: every read and write of an E_PERSONAL entity takes a struct scope. The backend applies it
 * in one place (its query builder): a row whose org unit (entity_def.ou_expr) is not inside the
 * scope's subtree does not exist for that caller (ERR_NOT_FOUND). A NULL scope means unrestricted
 * (administrative CLI commands only).
 *
 * Ownership: json_t arguments are borrowed; json_t ** out-parameters receive a new reference.
 * Errors: every op returns 0 or -1 with *err filled. A handle is used by one thread at a time. */
#ifndef PCMT_STORE_H
#define PCMT_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "domain/audit.h"
#include "domain/entity.h"
#include "domain/opimg.h"
#include "domain/rules.h"
#include "domain/snap.h"
#include "util/err.h"

struct store;

struct scope {
	int64_t ou_id; /* root of the subtree the caller may see; 0 = everything */
};

/* An org unit as the rest of pcmt needs it for checks and scoping. */
struct ou_info {
	int64_t id;
	char code[17];
	char kind[12];      /* en_ou_kind code */
	int64_t parent_id;  /* 0 for the nation */
	int32_t valid_from; /* DATE_NONE when open-ended */
	int32_t valid_to;
	char name[201];
};

enum { QF_MAX = 8, QR_MAX = 2 };

struct store_query {
	const struct scope *scope;
	int64_t ou_subtree;     /* only rows whose org unit lies under this unit; 0 = no filter */
	const char *search;     /* accent-folded search text (name tokens, or an exact national ID) */
	struct {
		const char *field;  /* an F_FILTER field of the entity */
		json_t *value;      /* borrowed; already in validated form */
	} eq[QF_MAX];
	int neq;
	/* persons only (the fields below): */
	const char *classification; /* holds this classification on as_of */
	const char *record_status;  /* "open": has a management record open on as_of; "closed": has
				       records, none open; "none": never had one */
	int32_t as_of;              /* DATE_NONE = today */
	int limit, offset;          /* limit 1..1000 */
	int64_t count_max;          /* 0: *total counts every match; else counting stops past count_max
				       (*total <= count_max + 1): a search's "thi" matches 364,000 of a
				       national set, whose exact count nobody reads */
	/* date ranges: only rows whose FT_DATE field lies in [lo, hi] (an end DATE_NONE is open) */
	struct {
		const char *field;
		int32_t lo, hi;
	} rng[QR_MAX];
	int nrng;
};

/* A typed value for bulk loads (one per field, in descriptor order). */
struct bulk_val {
	int is_null;
	int64_t i;      /* FT_INT, FT_MONEY, FT_REF, FT_OU, FT_BOOL */
	const char *s;  /* FT_TEXT, FT_DATE, FT_ENUM, FT_JSON (JSON text) */
};

enum store_sp { SP_MARK, SP_KEEP, SP_UNDO };
enum store_cp { CP_DEFER, CP_RUN };

/* Each slot's contract is above it. */
struct store_ops {
	const char *name;
	/* Brings the schema to the newest version, one transaction per migration. from and to report the
	 * versions before and after (may be NULL). */
	int (*migrate)(struct store *s, int *from, int *to, struct pcmt_err *err);
	/* Explicit transactions, for bulk loads (demo, import). Single ops outside begin/commit run in
	 * their own transaction. Nested begin is an error. */
	int (*begin)(struct store *s, struct pcmt_err *err);
	int (*commit)(struct store *s, struct pcmt_err *err);
	int (*rollback)(struct store *s);
	/* Savepoints inside begin/commit, so that one of several writes sharing a transaction (group
	 * commit, store/group.h) is undone alone. SP_MARK opens one; SP_KEEP releases the innermost,
	 * keeping its work; SP_UNDO rolls back to it and releases it, and returns -1 when the whole
	 * transaction did not survive (the database rolled it back itself: no work of it remains).
	 * NULL in a backend that does not use group commit. */
	int (*savepoint)(struct store *s, enum store_sp op, struct pcmt_err *err);
	/* The write-ahead log's upkeep, for a handle whose commits must not pay for it (group commit).
	 * CP_DEFER: this handle's commits no longer copy the log into the database. CP_RUN: copy what
	 * is committed now, without waiting for or blocking readers and writers (SQLite: a PASSIVE
	 * checkpoint); meant for a handle of its own in a thread of its own. CP_RUN returns the log's
	 * length in pages (what it found to copy; when nothing was committed meanwhile and no reader
	 * holds an older state, the next writer starts the log again from its beginning), -1 on error.
	 * NULL: no such upkeep. */
	int (*checkpoint)(struct store *s, enum store_cp op, struct pcmt_err *err);
	/* Inserts a validated record. FT_OU values given as codes are resolved to ids (unknown code or
	 * wrong kind: ERR_INVALID naming the field); FT_REF ids must exist and be in scope
	 * (ERR_INVALID). A duplicate F_UNIQUE value: ERR_CONFLICT with existing_id.
	 * Returns the new record (as get would) in *out when out is not NULL. */
	int (*insert)(struct store *s, const struct entity_def *e, const struct scope *sc, json_t *rec,
		      json_t **out, struct pcmt_err *err);
	/* Replaces row id with a complete validated record. expect_version > 0 must equal the stored
	 * version or ERR_CONFLICT with current_version; the version is then incremented. */
	int (*update)(struct store *s, const struct entity_def *e, const struct scope *sc, int64_t id,
		      json_t *rec, int64_t expect_version, json_t **out, struct pcmt_err *err);
	/* One record, or ERR_NOT_FOUND (also when out of scope). */
	int (*get)(struct store *s, const struct entity_def *e, const struct scope *sc, int64_t id,
		   json_t **out, struct pcmt_err *err);
	/* Deletes row id; ERR_CONFLICT when other records still refer to it. */
	int (*del)(struct store *s, const struct entity_def *e, const struct scope *sc, int64_t id,
		   int64_t expect_version, struct pcmt_err *err);
	/* A page of records in e->order_by order: *items is a JSON array, *total the count of all
	 * matching rows. */
	int (*list)(struct store *s, const struct entity_def *e, const struct store_query *q,
		    json_t **items, int64_t *total, struct pcmt_err *err);
	/* Persons whose name_fold and dob equal the given ones (dob DATE_NONE: name only), other than
	 * exclude_id, within scope: possible duplicates to show an officer. *out is a JSON array of
	 * {id, full_name, dob, residence_ou}. */
	int (*person_similar)(struct store *s, const struct scope *sc, const char *name_fold, int32_t dob,
			      int64_t exclude_id, json_t **out, struct pcmt_err *err);
	/* Rows of e whose fields listed in `fields` (indexes into e->fields, nf of them) equal rec's
	 * values (rec in validated form with org units and references as ids; a null equals a null),
	 * within scope for E_PERSONAL entities: *n = 0, 1 or 2 (meaning "more than one"), *id the first
	 * (lowest id) or 0. For imports: natural keys (a person's national_id, a facility's name) and
	 * rows already there. A backend that keeps a field encrypted compares it through whatever
	 * deterministic form it stores for lookups. */
	int (*find)(struct store *s, const struct entity_def *e, const struct scope *sc, json_t *rec,
		    const int *fields, int nf, int64_t *id, int *n, struct pcmt_err *err);
	/* Calls fn with each row of e whose FT_REF field `field` equals id, within scope as find's:
	 * its values as bulk_insert takes them (e->nfields, descriptor order; text as stored, valid
	 * during the call). fn returning non-zero stops (still 0). For an import's check of the rows
	 * a person already has: one query per person rather than a find per row. Not for entities
	 * with sealed fields. NULL: the import uses find. */
	int (*rows_of)(struct store *s, const struct entity_def *e, const struct scope *sc, int field, int64_t id,
		       int (*fn)(void *cls, const struct bulk_val *v), void *cls, struct pcmt_err *err);
	/* Org unit by id, or by code as in force on `date` (DATE_NONE: today; if none is in force
	 * then, the most recently valid one). ERR_NOT_FOUND when none. */
	int (*ou_get)(struct store *s, int64_t id, struct ou_info *out, struct pcmt_err *err);
	int (*ou_by_code)(struct store *s, const char *code, int32_t date, struct ou_info *out,
			  struct pcmt_err *err);
	/* 1 if `id` lies in the subtree rooted at `root` (a unit is in its own subtree), else 0. */
	int (*ou_within)(struct store *s, int64_t id, int64_t root, int *yes, struct pcmt_err *err);
	/* Records that org unit `from` was succeeded by `to` on `effective`, fully or partially. */
	int (*ou_link)(struct store *s, int64_t from, int64_t to, const char *kind, int32_t effective,
		       struct pcmt_err *err);
	/* The reform's history (docs/reform.md). The units `id` was formed from (*preds: links into it)
	 * and went into (*succs: links out of it), each {"id", "code", "name", "kind", "valid_from",
	 * "valid_to" (null when open), "link": "full"|"partial", "effective"}, by code. */
	int (*ou_history)(struct store *s, int64_t id, json_t **preds, json_t **succs, struct pcmt_err *err);
	/* Moves residents of org units from[i] to to[i] (i < n, each from[i] once) as of `effective`:
	 * person_id > 0 moves that person (n must be 1; ERR_NOT_FOUND when out of scope or not residing
	 * in from[0]; ERR_INVALID on "effective" when their current residence began on or after it:
	 * history is appended, never rewritten), 0 every resident whose current residence began
	 * before `effective`. Each moved person's period in from[i] is closed on effective - 1 in
	 * residence_history with `reason` ("reform", "reassigned", "moved") and residence_ou becomes
	 * to[i]. *moved receives the count. One statement per kind of row on PostgreSQL. */
	int (*residence_move)(struct store *s, const struct scope *sc, int64_t person_id, const int64_t *from,
			      const int64_t *to, size_t n, int32_t effective, const char *reason, int64_t *moved,
			      struct pcmt_err *err);
	/* Closes org units ids[0..n) on valid_to where they are still open (valid_to NULL); *closed
	 * receives how many were. Succession links: links[i] from[i] -> to[i], partial[i] or full, on
	 * effective, each written unless present (ou_link replaces). Batched for the reform's ten
	 * thousand units. */
	int (*ou_close)(struct store *s, const int64_t *ids, size_t n, int32_t valid_to, int64_t *closed,
			struct pcmt_err *err);
	int (*ou_links)(struct store *s, const int64_t *from, const int64_t *to, const int8_t *partial, size_t n,
			int32_t effective, struct pcmt_err *err);
	/* A person's residences, oldest first, the current one last: each {"orgunit": {"id", "code",
	 * "name", "kind", "valid_from", "valid_to"}, "from", "to", "reason"} (null when open/current). */
	int (*residence_history)(struct store *s, const struct scope *sc, int64_t person_id, json_t **out,
				 struct pcmt_err *err);
	/* Persons awaiting re-assignment on `date`: residing in a unit closed before `date` that has
	 * successors, one of them under `root` (0: anywhere). Each {"person_id", "residence": {unit as
	 * above}, "candidates": [{"id", "code", "name", "kind", "link"}]}, by person id. Not filtered by
	 * a scope: the pending persons of a split commune live outside the new units' subtrees, and
	 * the officers of those units are the ones who must place them (the caller passes its root). */
	int (*reassign_pending)(struct store *s, int64_t root, int32_t date, json_t **out, struct pcmt_err *err);
	/* The rulebook: every row of the rule table (rulebook_add each, then rulebook_sort). */
	int (*rules_load)(struct store *s, struct rulebook *rb, struct pcmt_err *err);
	/* Inserts a rule row, or replaces the one with the same code and effective_from. */
	int (*rule_put)(struct store *s, const struct rule *r, struct pcmt_err *err);
	/* Fills an empty snapshot with every org unit, facility and person with their events, then
	 * calls snap_finish. Sets snap->seq to the change-log position the image reflects, read in the
	 * same read transaction so that no write falls between. */
	int (*snap_load)(struct store *s, struct snap *into, struct pcmt_err *err);
	/* Fills an empty operations image (domain/opimg.h) with every hotspot, drug crime case, plant
	 * site, communication activity and population row, then calls op_image_finish; in one read
	 * transaction. A backend may leave this NULL: the live snapshot then has an empty image. */
	int (*oper_load)(struct store *s, struct op_image *into, struct pcmt_err *err);
	/* One person's facts as a detached snap_person (*out NULL when the person no longer exists). */
	int (*snap_person)(struct store *s, int64_t id, struct snap_person **out, struct pcmt_err *err);
	/* Calls fn for each change-log entry after `after`, in order: the person a write touched
	 * (0 for org-unit and facility writes) and the table. *last receives the newest position seen.
	 * *gap is set when entries after `after` were already pruned (the caller must reload). */
	int (*changes)(struct store *s, int64_t after, int (*fn)(void *cls, int64_t person_id, const char *table),
		       void *cls, int64_t *last, int *gap, struct pcmt_err *err);
	/* Bulk loading of generated data sets that are valid by construction (pcmt demo --scale
	 * national): bulk_mode(1) suspends per-row change tracking, bulk_mode(0) restores it and marks
	 * the log so that live snapshots reload everything. bulk_insert inserts n rows of e from vals
	 * (n * e->nfields values, descriptor order, derived fields included) with no validation and
	 * no reference resolution, inside begin/commit; ids are consecutive from *first_id. */
	int (*bulk_mode)(struct store *s, int on, struct pcmt_err *err);
	int (*bulk_insert)(struct store *s, const struct entity_def *e, const struct bulk_val *vals, size_t n,
			   int64_t *first_id, struct pcmt_err *err);
	/* Outside a transaction: turns this handle's checking of references (foreign keys) off (on = 0)
	 * or back on. Off only for a load on a handle that nothing else writes through meanwhile, whose
	 * caller found every row's references itself inside the load's transaction (pcmt import): the
	 * database's own check repeated a seek per reference and row. NULL: references are always
	 * checked. */
	int (*ref_checks)(struct store *s, int on, struct pcmt_err *err);
	/* Row counts of every entity table, as {"persons": n, ...}, for health and tests. */
	int (*counts)(struct store *s, json_t **out, struct pcmt_err *err);
	/* Whole tables, for pcmt copy. Every value crosses as canonical text, the same on every
	 * backend: integers in decimal, booleans 0/1, reals as printf %.17g, dates YYYY-MM-DD, timestamps
	 * YYYY-MM-DDTHH:MM:SSZ, JSON and text as stored; SQL NULL as a NULL pointer.
	 * raw_tables: every data table (not schema_version, the change log nor backend-internal
	 * tables) as {"table": ["column", ...]}, columns in the table's order.
	 * raw_read: calls fn for each row of table in no particular order (cols and vals valid during
	 * the call); fn returning non-zero stops the reading early (still 0). Inside begin/commit every
	 * raw_read of the transaction reads one snapshot.
	 * raw_write: inserts nrows rows (ncols values each, row after row) into table inside
	 * begin/commit, as given (no validation); id sequences move past the ids written; a reference
	 * from an org unit to its parent is checked at commit, so a tree may come in any order. The
	 * caller brackets a load with bulk_mode(1)/(0) like any bulk load. */
	int (*raw_tables)(struct store *s, json_t **out, struct pcmt_err *err);
	int (*raw_read)(struct store *s, const char *table,
			int (*fn)(void *cls, int ncols, const char *const *cols, const char *const *vals), void *cls,
			struct pcmt_err *err);
	int (*raw_write)(struct store *s, const char *table, int ncols, const char *const *cols,
			 const char *const *vals, size_t nrows, struct pcmt_err *err);
	/* Identities encrypted at rest (store/vault.h, docs/security.md). insert/update/get/list/
	 * person_similar/bulk_insert seal and open persons' identifying fields with the key file that
	 * vault_get() finds for the store's URL; these slots serve `pcmt key` and `pcmt retention`.
	 * key_current: the id of the key this database seals new rows under ("" when none yet).
	 * key_switch: makes key_id (which the key file must hold) that key, in one transaction ordered
	 * with every write: from then on no write seals under another key.
	 * key_reseal: seals under the database's key up to `batch` persons still under another key (or
	 * still plain, from before schema 7), in one transaction; *left receives how many remain. Each
	 * call commits, so a rotation stopped half way resumes where it stopped.
	 * person_erase: retention. Erases person id's identifying fields (sealed fields emptied,
	 * blind indexes and search tokens removed, date of birth kept as its year only) and marks the
	 * row erased on `day`; the person's dated facts stay for statistics. *done is 0 when the
	 * person was already erased (nothing written) or does not exist. dry_run: nothing written,
	 * *done tells what would be. No scope: an administrative act. */
	int (*key_current)(struct store *s, char id[17], struct pcmt_err *err);
	int (*key_switch)(struct store *s, const char *key_id, struct pcmt_err *err);
	int (*key_reseal)(struct store *s, int batch, int64_t *done, int64_t *left, struct pcmt_err *err);
	int (*person_erase)(struct store *s, int64_t id, int32_t day, int dry_run, int *done, struct pcmt_err *err);
	/* The security tables (users, tokens, the audit log; src/auth/), which have no entity
	 * descriptors. Runs one statement of portable SQL (the same text on every backend) with text
	 * parameters $1..$n (a NULL pointer is SQL NULL; write CAST($k AS TEXT) where a type cannot be
	 * inferred), inside the open transaction if any, else on its own. fn (may be NULL) receives each
	 * result row as text (NULL for SQL NULL, integers in decimal); fn returning non-zero stops the
	 * reading (still 0). *changed (may be NULL) receives the number of rows written. sql should be a
	 * string literal: a backend may cache the statement by its address. */
	int (*sql)(struct store *s, const char *sql, int n, const char *const *params,
		   int (*fn)(void *cls, int ncols, const char *const *vals), void *cls, int64_t *changed,
		   struct pcmt_err *err);
	/* Appends n entries to the audit chain in order, inside the caller's transaction when one is
	 * open (a write's entry then commits or rolls back with the write), else in one of its own.
	 * Fills each entry's id, prev_hash and hash (audit_chain_hash). Appenders are serialised (SQLite:
	 * the write lock; PostgreSQL: an advisory lock held to commit) so that id order, chain order and
	 * commit order agree. */
	int (*audit_append)(struct store *s, struct audit_entry *e, size_t n, struct pcmt_err *err);
	void (*close)(struct store *s);
};

struct store {
	const struct store_ops *ops; /* always first: backends embed struct store at offset 0 */
	char url[256];
};

/* Opens a store from a URL: "sqlite:PATH", a plain PATH (SQLite), or "postgresql://..." (when
 * built). Does not migrate. Returns NULL with err set. */
struct store *store_open(const char *url, struct pcmt_err *err);
void store_close(struct store *s);

/* Backend constructors, one per backend file. store_pg_open creates the database when it does not
 * exist yet and the role may create databases, as SQLite creates a missing file. */
struct store *store_sqlite_open(const char *path, struct pcmt_err *err);
struct store *store_pg_open(const char *url, struct pcmt_err *err);

/* Removes a whole database: the SQLite file (with its -wal and -shm), or the PostgreSQL database
 * (DROP DATABASE ... WITH (FORCE), through the server's "postgres" database). For tests and for
 * pcmt copy --replace. A database that does not exist is not an error. */
int store_destroy(const char *url, struct pcmt_err *err);
/* How a backend scopes a list of e to the subtree at path (the org unit's materialised path): 1 for
 * "the row's person is one of the persons residing in the subtree" (a set built once per statement),
 * 0 for "the row's org unit (ou_expr, each row's person looked up) is in the subtree". The same rows
 * either way; the set is cheaper for a list of many rows under a district, province or commune, the
 * lookup for one person's rows (one_person: the list filters person_id) and for the nation's scope,
 * whose set would hold every person. Only for ENT_EVENT_OU entities; 0 for every other. */
int store_scope_by_set(const struct entity_def *e, const char *path, int one_person);

/* A person search's words (a folded query that is not all digits): each word must begin a word of
 * the name or aliases, through the search tokens' blind indexes. The rarest word drives the search
 * and the others are probed per candidate; count(cls, word, len, &n, err) counts a word's persons
 * up to STORE_SEARCH_PROBE, enough to tell a rare word from a common one ("nguyen" names two
 * persons in five) without paying for the common one's whole list. Fills w and *lead (past the
 * probe, the longest word: usually the rarer); returns the number of words (0 for none), or -1
 * with err (more than STORE_SEARCH_WORDS words: 400 naming q; or count's error). */
enum { STORE_SEARCH_WORDS = 8, STORE_SEARCH_PROBE = 4096 };
struct store_word {
	const char *p;
	size_t k;
	long n;
};
/* rows_of's precondition, the same on every backend: field is an FT_REF of e (which has at most
 * 64 fields) and e has no sealed fields (their stored text is not the value). 0, or -1 with err. */
int store_rows_of_check(const struct entity_def *e, int field, struct pcmt_err *err);

int store_search_words(const char *q, int (*count)(void *cls, const char *p, size_t k, long *n, struct pcmt_err *err),
		       void *cls, struct store_word w[STORE_SEARCH_WORDS], int *lead, struct pcmt_err *err);
/* 1 if url names a PostgreSQL database. */
int store_url_is_pg(const char *url);

#endif
