/* vault.h: identities encrypted at rest (both backends share it; nothing else calls libsodium's
 * AEAD or keyed hashing).
 *
 * A key file holds one or more 32-byte master keys, each with its id (16 hex digits, a keyed
 * BLAKE2b fingerprint of the key, so that a ciphertext names the key it needs and a wrong key file
 * is told apart from a damaged record). From each master key two subkeys are derived
 * (crypto_kdf): one for XChaCha20-Poly1305 field encryption, one for BLAKE2b blind indexes.
 *
 * A sealed field is the text "pv1:KEYID:BASE64(nonce || ciphertext || tag)", with associated data
 * "pcmt/TABLE/ID/FIELD": moving a ciphertext to another row or field fails authentication.
 * Blind indexes are keyed hashes of the accent-folded text: 128-bit hex for exact lookups (national
 * ID; folded full name for possible duplicates), 64-bit integers for search tokens (each word of the
 * folded name and aliases, and each of its prefixes of 2 letters or more). What they leak is in
 * docs/security.md.
 *
 * Which key file (vault_get): --key-file (vault_set_path), else $PCMT_KEY_FILE, else $PCMT_KEY (one
 * base64 key, for containers and tests), else for a SQLite database FILE the file "FILE.key" beside
 * it. Loaded key files are cached per path and reloaded when the file changes (a rotation by another
 * process). Returned vaults are immutable and live until the process ends: threads share them.
 *
 * Ownership: strings returned through char ** are malloc'd (caller frees); plaintext buffers are
 * wiped before they are freed where vault.c owns them. */
#ifndef PCMT_VAULT_H
#define PCMT_VAULT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum { VAULT_MAX_KEYS = 8, VAULT_ID_LEN = 16, VAULT_MAX_TOKENS = 256 };

struct vault_key {
	char id[VAULT_ID_LEN + 1];
	unsigned char master[32];
	unsigned char enc[32];   /* XChaCha20-Poly1305 subkey */
	unsigned char idx[32];   /* BLAKE2b subkey for blind indexes */
};

struct vault {
	struct vault_key keys[VAULT_MAX_KEYS];
	int n;
	int current;             /* index of the key new ciphertexts use */
	char path[1024];         /* the file it came from ("" for $PCMT_KEY) */
};

/* Names the key file to use for the rest of the process (the --key-file option). NULL: none. */
void vault_set_path(const char *path);
/* The vault for a database URL (see above), or NULL with ERR_UNAVAILABLE saying how to give a key. */
const struct vault *vault_get(const char *db_url, struct pcmt_err *err);
/* The key file path vault_get would use for db_url, whether or not it exists ("" with $PCMT_KEY, or
 * when none can be derived: a PostgreSQL URL without --key-file or $PCMT_KEY_FILE). */
void vault_path_for(const char *db_url, char *out, size_t cap);
/* Drops the cached vaults so that the next vault_get reads the files again. */
void vault_forget(void);

/* Key files. Format: "# comment" lines, then one line per key "pcmt-key v1 ID BASE64KEY [current]".
 * Loading refuses a file readable by group or others (like ssh), an unknown line, a key whose id is
 * not its fingerprint, or no current key. Writing goes to FILE.tmp (mode 0600), fsync, rename. */
int vault_load(const char *path, struct vault *v, struct pcmt_err *err);
int vault_parse(const char *text, size_t len, struct vault *v, struct pcmt_err *err);
int vault_save(const char *path, const struct vault *v, struct pcmt_err *err);
/* Adds a fresh random key and makes it current. ERR_INVALID when the vault is full. */
int vault_add_key(struct vault *v, struct pcmt_err *err);
/* Keeps only the current key. */
void vault_drop_old(struct vault *v);
/* The key with this id, or NULL. */
const struct vault_key *vault_key(const struct vault *v, const char *id);

/* Seals plaintext for (table, id, field) under key k. *out receives "pv1:..." (malloc'd). */
int vault_seal(const struct vault_key *k, const char *table, int64_t id, const char *field, const char *plain,
	       char **out, struct pcmt_err *err);
/* Opens a sealed text. ERR_INTERNAL naming the field when the key is missing or the ciphertext does
 * not authenticate (moved, edited, or another database's key). A value not starting with "pv1:" is
 * refused the same way: nothing plain is read as if it were sealed. */
int vault_open(const struct vault *v, const char *table, int64_t id, const char *field, const char *sealed,
	       char **plain, struct pcmt_err *err);
/* 1 if s looks sealed ("pv1:"). */
int vault_is_sealed(const char *s);

/* Blind indexes under key k. domain separates uses ("nid", "name", "tok"). */
void vault_index_hex(const struct vault_key *k, const char *domain, const char *text, char out[33]);
int64_t vault_index_tok(const struct vault_key *k, const char *text, size_t len);
/* The search tokens of folded text (words split on spaces; each whole word and each prefix of 2
 * characters or more, UTF-8 aware), hashed under k, without duplicates. Returns how many (at most
 * cap). */
int vault_tokens(const struct vault_key *k, const char *folded, int64_t *out, int cap);

/* Persons: the columns that carry secrets. Seals rec (a validated person with "name_fold" derived)
 * in place for row id under key k: every F_IDENT field becomes its sealed text, "name_fold" the
 * name's blind index, "nid_index" the national ID's (or null), "key_id" k's id. tokens/ntok receive
 * the search tokens of the plaintext folded name (cap VAULT_MAX_TOKENS). */
int vault_seal_person(const struct vault_key *k, int64_t id, json_t *rec, int64_t *tokens, int *ntok,
		      struct pcmt_err *err);
/* Opens every sealed F_IDENT field of a person row (as read from the store) in place. */
int vault_open_person(const struct vault *v, int64_t id, json_t *row, struct pcmt_err *err);

#endif
