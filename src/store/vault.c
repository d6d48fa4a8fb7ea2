/* vault.c: key files, field encryption and blind indexes (see vault.h). libsodium only: AEAD
 * crypto_aead_xchacha20poly1305_ietf, keyed BLAKE2b crypto_generichash, crypto_kdf for subkeys,
 * sodium_bin2base64 for text. */
#include "store/vault.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain/entity.h"

#define SEAL_PREFIX "pv1:"
#define KEY_LINE "pcmt-key v1 "

/* ---- keys ----------------------------------------------------------------------------------- */

static void key_derive(struct vault_key *k)
{
	unsigned char fp[8];

	crypto_kdf_derive_from_key(k->enc, sizeof k->enc, 1, "pcmt-enc", k->master);
	crypto_kdf_derive_from_key(k->idx, sizeof k->idx, 2, "pcmt-idx", k->master);
	/* the id: a keyed fingerprint, not the key's plain hash, under a fixed personal context */
	crypto_generichash(fp, sizeof fp, (const unsigned char *)"pcmt key id v1", 14, k->master, sizeof k->master);
	sodium_bin2hex(k->id, sizeof k->id, fp, sizeof fp);
}

const struct vault_key *vault_key(const struct vault *v, const char *id)
{
	for (int i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i].id, id))
			return &v->keys[i];
	return NULL;
}

int vault_add_key(struct vault *v, struct pcmt_err *err)
{
	struct vault_key *k;

	if (v->n >= VAULT_MAX_KEYS)
		return err_set(err, ERR_INVALID, "key", "the key file already holds %d keys: finish a rotation first",
			       VAULT_MAX_KEYS);
	k = &v->keys[v->n];
	randombytes_buf(k->master, sizeof k->master);
	key_derive(k);
	v->current = v->n++;
	return 0;
}

void vault_drop_old(struct vault *v)
{
	if (v->n <= 0)
		return;
	if (v->current != 0)
		v->keys[0] = v->keys[v->current];
	sodium_memzero(&v->keys[1], sizeof(v->keys[0]) * (VAULT_MAX_KEYS - 1));
	v->n = 1;
	v->current = 0;
}

static int key_from_b64(const char *b64, size_t len, struct vault_key *k)
{
	size_t bin_len = 0;

	if (sodium_base642bin(k->master, sizeof k->master, b64, len, NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) || bin_len != sizeof k->master)
		return -1;
	key_derive(k);
	return 0;
}

int vault_parse(const char *text, size_t len, struct vault *v, struct pcmt_err *err)
{
	const char *p = text, *end = text + len;
	int line = 0, have_current = 0;

	memset(v, 0, sizeof *v);
	v->current = -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char buf[256], id[VAULT_ID_LEN + 1], b64[128], flag[16];
		int k;

		line++;
		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0 || p[0] == '#')
			goto next;
		if (n >= sizeof buf)
			return err_set(err, ERR_INVALID, "key", "key file line %d is too long", line);
		memcpy(buf, p, n);
		buf[n] = '\0';
		flag[0] = '\0';
		if (strncmp(buf, KEY_LINE, strlen(KEY_LINE)) ||
		    (k = sscanf(buf + strlen(KEY_LINE), "%16s %127s %15s", id, b64, flag)) < 2)
			return err_set(err, ERR_INVALID, "key", "key file line %d is not \"pcmt-key v1 ID KEY [current]\"", line);
		if (v->n >= VAULT_MAX_KEYS)
			return err_set(err, ERR_INVALID, "key", "key file holds more than %d keys", VAULT_MAX_KEYS);
		if (key_from_b64(b64, strlen(b64), &v->keys[v->n]))
			return err_set(err, ERR_INVALID, "key", "key file line %d: the key is not 32 bytes of base64", line);
		if (strcmp(v->keys[v->n].id, id))
			return err_set(err, ERR_INVALID, "key", "key file line %d: id %s does not match its key", line, id);
		if (k == 3) {
			if (strcmp(flag, "current"))
				return err_set(err, ERR_INVALID, "key", "key file line %d: unknown flag", line);
			if (have_current++)
				return err_set(err, ERR_INVALID, "key", "key file marks two keys current");
			v->current = v->n;
		}
		v->n++;
next:
		p = nl ? nl + 1 : end;
	}
	if (v->n == 0)
		return err_set(err, ERR_INVALID, "key", "the key file holds no key");
	if (v->current < 0) {
		if (v->n > 1)
			return err_set(err, ERR_INVALID, "key", "the key file holds several keys and none is current");
		v->current = 0;
	}
	return 0;
}

int vault_load(const char *path, struct vault *v, struct pcmt_err *err)
{
	char buf[4096];
	struct stat sb;
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_UNAVAILABLE, "key",
			       "cannot open key file %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) || (sb.st_mode & 077)) {
		close(fd);
		return err_set(err, ERR_UNAVAILABLE, "key",
			       "key file %s may be read by others: chmod 600 it (and check who saw it)", path);
	}
	n = read(fd, buf, sizeof buf);
	close(fd);
	if (n < 0 || n == (ssize_t)sizeof buf) {
		sodium_memzero(buf, sizeof buf);
		return err_set(err, ERR_UNAVAILABLE, "key", "cannot read key file %s", path);
	}
	rc = vault_parse(buf, (size_t)n, v, err);
	sodium_memzero(buf, sizeof buf);
	if (rc == 0)
		snprintf(v->path, sizeof v->path, "%s", path);
	return rc;
}

int vault_save(const char *path, const struct vault *v, struct pcmt_err *err)
{
	char tmp[1100], b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	FILE *f = NULL;
	int fd = -1, rc = -1;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return err_set(err, ERR_INVALID, "key", "key file path too long");
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return err_set(err, ERR_UNAVAILABLE, "key", "cannot create %s: %s", tmp, strerror(errno));
	if (!(f = fdopen(fd, "w"))) {
		close(fd);
		goto out;
	}
	fprintf(f, "# pcmt key file: the key to the identities in a pcmt database. Keep it outside the\n"
		   "# database and its backups, readable only by pcmt (mode 600), and back it up: without it\n"
		   "# names and national IDs cannot be read. Several lines: a rotation is in progress.\n");
	for (int i = 0; i < v->n; i++) {
		sodium_bin2base64(b64, sizeof b64, v->keys[i].master, sizeof v->keys[i].master,
				  sodium_base64_VARIANT_ORIGINAL);
		fprintf(f, KEY_LINE "%s %s%s\n", v->keys[i].id, b64, i == v->current ? " current" : "");
	}
	sodium_memzero(b64, sizeof b64);
	if (fflush(f) || fsync(fileno(f)))
		goto out;
	if (fclose(f)) {
		f = NULL;
		goto out;
	}
	f = NULL;
	if (rename(tmp, path))
		goto out;
	rc = 0;
out:
	if (f)
		fclose(f);
	if (rc) {
		unlink(tmp);
		err_set(err, ERR_UNAVAILABLE, "key", "cannot write key file %s: %s", path, strerror(errno));
	}
	return rc;
}

/* ---- which key file, cached ----------------------------------------------------------------- */

static pthread_mutex_t vlock = PTHREAD_MUTEX_INITIALIZER;
static char vpath_opt[1024];

struct vcache {
	char path[1024];
	struct timespec mtime;
	off_t size;
	ino_t ino;
	const struct vault *v;
};
static struct vcache cache[8];
static const struct vault *env_vault;
/* Every vault handed out, replaced or forgotten ones too: threads may still hold them, so they live
 * until the process ends (a few per rotation), reachable from here. */
static const struct vault **issued;
static size_t nissued, capissued;

static int remember(const struct vault *v)
{
	if (nissued == capissued) {
		size_t cap = capissued ? capissued * 2 : 8;
		const struct vault **n = realloc(issued, cap * sizeof *n);

		if (!n)
			return -1;
		issued = n;
		capissued = cap;
	}
	issued[nissued++] = v;
	return 0;
}

void vault_set_path(const char *path)
{
	pthread_mutex_lock(&vlock);
	snprintf(vpath_opt, sizeof vpath_opt, "%s", path ? path : "");
	pthread_mutex_unlock(&vlock);
}

void vault_forget(void)
{
	pthread_mutex_lock(&vlock);
	/* Vaults handed out stay valid (threads may hold them): only the cache entries go. */
	memset(cache, 0, sizeof cache);
	pthread_mutex_unlock(&vlock);
}

static const char *sqlite_file(const char *url)
{
	if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13))
		return NULL;
	return !strncmp(url, "sqlite:", 7) ? url + 7 : url;
}

static void path_for_locked(const char *db_url, char *out, size_t cap)
{
	const char *env = getenv("PCMT_KEY_FILE"), *f;

	out[0] = '\0';
	if (vpath_opt[0])
		snprintf(out, cap, "%s", vpath_opt);
	else if (env && *env)
		snprintf(out, cap, "%s", env);
	else if ((env = getenv("PCMT_KEY")) && *env)
		out[0] = '\0';
	else if (db_url && (f = sqlite_file(db_url)) && *f && strcmp(f, ":memory:"))
		snprintf(out, cap, "%s.key", f);
}

void vault_path_for(const char *db_url, char *out, size_t cap)
{
	pthread_mutex_lock(&vlock);
	path_for_locked(db_url, out, cap);
	pthread_mutex_unlock(&vlock);
}

const struct vault *vault_get(const char *db_url, struct pcmt_err *err)
{
	char path[1024];
	const char *env;
	const struct vault *res = NULL;
	struct stat sb;
	struct vault *v = NULL;
	int slot = -1;

	pthread_mutex_lock(&vlock);
	path_for_locked(db_url, path, sizeof path);
	if (!path[0]) {
		env = getenv("PCMT_KEY");
		if (!env || !*env) {
			err_set(err, ERR_UNAVAILABLE, "key",
				"no encryption key: give --key-file FILE or $PCMT_KEY_FILE (create one with pcmt key init)");
			goto out;
		}
		if (!env_vault) {
			if (!(v = calloc(1, sizeof *v))) {
				err_set(err, ERR_INTERNAL, NULL, "out of memory");
				goto out;
			}
			if (key_from_b64(env, strlen(env), &v->keys[0])) {
				err_set(err, ERR_UNAVAILABLE, "key", "$PCMT_KEY is not 32 bytes of base64");
				free(v);
				goto out;
			}
			v->n = 1;
			env_vault = v;
		}
		res = env_vault;
		goto out;
	}
	if (stat(path, &sb)) {
		err_set(err, ERR_UNAVAILABLE, "key", "no key file %s (create one with pcmt key init, or give --key-file)",
			path);
		goto out;
	}
	for (int i = 0; i < (int)(sizeof cache / sizeof cache[0]); i++) {
		if (cache[i].v && !strcmp(cache[i].path, path)) {
			if (cache[i].mtime.tv_sec == sb.st_mtim.tv_sec && cache[i].mtime.tv_nsec == sb.st_mtim.tv_nsec &&
			    cache[i].size == sb.st_size && cache[i].ino == sb.st_ino) {
				res = cache[i].v;
				goto out;
			}
			slot = i;
			break;
		}
		if (!cache[i].v && slot < 0)
			slot = i;
	}
	if (slot < 0)
		slot = 0;
	if (!(v = calloc(1, sizeof *v))) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (vault_load(path, v, err) || remember(v)) {
		if (!err->code)
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
		free(v);
		goto out;
	}
	/* the old vault of this slot is left allocated: another thread may still use it */
	snprintf(cache[slot].path, sizeof cache[slot].path, "%s", path);
	cache[slot].mtime = sb.st_mtim;
	cache[slot].size = sb.st_size;
	cache[slot].ino = sb.st_ino;
	cache[slot].v = v;
	res = v;
out:
	pthread_mutex_unlock(&vlock);
	return res;
}

/* ---- sealing -------------------------------------------------------------------------------- */

enum { NONCE = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, TAG = crypto_aead_xchacha20poly1305_ietf_ABYTES };

static int ad_of(char *ad, size_t cap, const char *table, int64_t id, const char *field)
{
	int n = snprintf(ad, cap, "pcmt/%s/%lld/%s", table, (long long)id, field);

	return n > 0 && (size_t)n < cap ? n : -1;
}

int vault_is_sealed(const char *s)
{
	return s && !strncmp(s, SEAL_PREFIX, strlen(SEAL_PREFIX));
}

int vault_seal(const struct vault_key *k, const char *table, int64_t id, const char *field, const char *plain,
	       char **out, struct pcmt_err *err)
{
	size_t pl = strlen(plain), bl = NONCE + pl + TAG;
	size_t b64l = sodium_base64_ENCODED_LEN(bl, sodium_base64_VARIANT_ORIGINAL);
	unsigned char *bin = malloc(bl);
	char ad[160], *txt = malloc(strlen(SEAL_PREFIX) + VAULT_ID_LEN + 1 + b64l);
	unsigned long long cl = 0;
	int adl = ad_of(ad, sizeof ad, table, id, field);

	*out = NULL;
	if (!bin || !txt || adl < 0) {
		free(bin);
		free(txt);
		return err_set(err, ERR_INTERNAL, field, "cannot seal %s", field);
	}
	randombytes_buf(bin, NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(bin + NONCE, &cl, (const unsigned char *)plain, pl,
						   (const unsigned char *)ad, (unsigned long long)adl, NULL, bin, k->enc);
	memcpy(txt, SEAL_PREFIX, strlen(SEAL_PREFIX));
	memcpy(txt + strlen(SEAL_PREFIX), k->id, VAULT_ID_LEN);
	txt[strlen(SEAL_PREFIX) + VAULT_ID_LEN] = ':';
	sodium_bin2base64(txt + strlen(SEAL_PREFIX) + VAULT_ID_LEN + 1, b64l, bin, NONCE + (size_t)cl,
			  sodium_base64_VARIANT_ORIGINAL);
	free(bin);
	*out = txt;
	return 0;
}

int vault_open(const struct vault *v, const char *table, int64_t id, const char *field, const char *sealed,
	       char **plain, struct pcmt_err *err)
{
	const size_t pre = strlen(SEAL_PREFIX);
	char kid[VAULT_ID_LEN + 1], ad[160];
	const struct vault_key *k;
	unsigned char *bin = NULL;
	size_t sl = strlen(sealed), bl = 0;
	unsigned long long ml = 0;
	char *m = NULL;
	int adl = ad_of(ad, sizeof ad, table, id, field), rc = -1;

	*plain = NULL;
	if (!vault_is_sealed(sealed) || sl < pre + VAULT_ID_LEN + 1 || sealed[pre + VAULT_ID_LEN] != ':' || adl < 0)
		return err_set(err, ERR_INTERNAL, field, "%s of %s %lld is not sealed", field, table, (long long)id);
	memcpy(kid, sealed + pre, VAULT_ID_LEN);
	kid[VAULT_ID_LEN] = '\0';
	if (!(k = vault_key(v, kid)))
		return err_set(err, ERR_INTERNAL, field, "%s of %s %lld is sealed under key %s, which the key file lacks",
			       field, table, (long long)id, kid);
	if (!(bin = malloc(sl)))
		goto oom;
	if (sodium_base642bin(bin, sl, sealed + pre + VAULT_ID_LEN + 1, sl - pre - VAULT_ID_LEN - 1, NULL, &bl, NULL,
			      sodium_base64_VARIANT_ORIGINAL) || bl < NONCE + TAG)
		goto bad;
	if (!(m = malloc(bl - NONCE - TAG + 1)))
		goto oom;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)m, &ml, NULL, bin + NONCE, bl - NONCE,
						       (const unsigned char *)ad, (unsigned long long)adl, bin, k->enc))
		goto bad;
	m[ml] = '\0';
	*plain = m;
	m = NULL;
	rc = 0;
	goto out;
bad:
	err_set(err, ERR_INTERNAL, field, "%s of %s %lld does not authenticate (moved, altered or damaged)", field,
		table, (long long)id);
	goto out;
oom:
	err_set(err, ERR_INTERNAL, NULL, "out of memory");
out:
	free(bin);
	free(m);
	return rc;
}

/* ---- blind indexes -------------------------------------------------------------------------- */

void vault_index_hex(const struct vault_key *k, const char *domain, const char *text, char out[33])
{
	unsigned char h[16];
	crypto_generichash_state st;

	crypto_generichash_init(&st, k->idx, sizeof k->idx, sizeof h);
	crypto_generichash_update(&st, (const unsigned char *)domain, strlen(domain) + 1); /* with its NUL */
	crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(out, 33, h, sizeof h);
}

int64_t vault_index_tok(const struct vault_key *k, const char *text, size_t len)
{
	unsigned char h[8];
	crypto_generichash_state st;
	uint64_t u = 0;

	crypto_generichash_init(&st, k->idx, sizeof k->idx, sizeof h);
	crypto_generichash_update(&st, (const unsigned char *)"tok", 4);
	crypto_generichash_update(&st, (const unsigned char *)text, len);
	crypto_generichash_final(&st, h, sizeof h);
	for (int i = 0; i < 8; i++)
		u = u << 8 | h[i];
	return (int64_t)u;
}

int vault_tokens(const struct vault_key *k, const char *folded, int64_t *out, int cap)
{
	const char *p = folded;
	int n = 0;

	while (*p && n < cap) {
		size_t w, chars = 0;

		while (*p == ' ')
			p++;
		w = strcspn(p, " ");
		if (!w)
			break;
		/* every prefix ending on a character boundary with 2 characters or more, and the word */
		for (size_t i = 1; i <= w && n < cap; i++) {
			int dup = 0;
			int64_t h;

			if (i < w && ((unsigned char)p[i] & 0xC0) == 0x80)
				continue; /* inside a UTF-8 sequence */
			chars++;
			if (chars < 2 && i < w)
				continue;
			h = vault_index_tok(k, p, i);
			for (int j = 0; j < n && !dup; j++)
				dup = out[j] == h;
			if (!dup)
				out[n++] = h;
		}
		p += w;
	}
	return n;
}

/* ---- persons -------------------------------------------------------------------------------- */

int vault_seal_person(const struct vault_key *k, int64_t id, json_t *rec, int64_t *tokens, int *ntok,
		      struct pcmt_err *err)
{
	const char *fold = json_string_value(json_object_get(rec, "name_fold"));
	const char *nid = json_string_value(json_object_get(rec, "national_id"));
	char hex[33];

	*ntok = 0;
	if (!fold)
		return err_set(err, ERR_INTERNAL, "name_fold", "a person without its folded name");
	*ntok = vault_tokens(k, fold, tokens, VAULT_MAX_TOKENS);
	vault_index_hex(k, "name", fold, hex);
	json_object_set_new(rec, "name_fold", json_string(hex));
	if (nid) {
		vault_index_hex(k, "nid", nid, hex);
		json_object_set_new(rec, "nid_index", json_string(hex));
	} else {
		json_object_set_new(rec, "nid_index", json_null());
	}
	json_object_set_new(rec, "key_id", json_string(k->id));
	for (int i = 0; i < ent_persons.nfields; i++) {
		const struct field_def *f = &ent_persons.fields[i];
		const char *plain = json_string_value(json_object_get(rec, f->name));
		char *sealed = NULL;

		if (!(f->flags & F_IDENT) || !plain || !*plain)
			continue; /* "" only comes from retention's erasure (validation makes empty text null) */
		if (vault_seal(k, ent_persons.table, id, f->name, plain, &sealed, err))
			return -1;
		json_object_set_new(rec, f->name, json_string(sealed));
		free(sealed);
	}
	return 0;
}

int vault_open_person(const struct vault *v, int64_t id, json_t *row, struct pcmt_err *err)
{
	for (int i = 0; i < ent_persons.nfields; i++) {
		const struct field_def *f = &ent_persons.fields[i];
		const char *sealed = json_string_value(json_object_get(row, f->name));
		char *plain = NULL;

		if (!(f->flags & F_IDENT) || !sealed || !*sealed)
			continue; /* "" is an erased name (retention), not a secret */
		if (vault_open(v, ent_persons.table, id, f->name, sealed, &plain, err))
			return -1;
		json_object_set_new(row, f->name, json_string(plain));
		sodium_memzero(plain, strlen(plain));
		free(plain);
	}
	return 0;
}
