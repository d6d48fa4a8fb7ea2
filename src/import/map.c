/* map.c: spreadsheet columns to entity fields, and one cell to the JSON value ent_validate takes.
 * The headers a file may use are generated from the entity descriptors (field name, Vietnamese and
 * English label) at run time, compared in accent-folded form, so that a field added to entity.c is
 * importable at once and "Ngày sinh", "ngay sinh", "NGÀY SINH", "Date of birth" and "dob" all name
 * the same column. Pure: no I/O. */
#include "import/imp.h"

#include <stdlib.h>
#include <string.h>

#include "util/date.h"
#include "util/text.h"

const char *const imp_errcols[3] = {"Lỗi - dòng / Error row", "Lỗi - cột / Error field", "Lỗi / Error"};

/* Accent- and case-folded form of s[0..n) with '_' read as a space ("date_from" = "date from"). */
static char *fold_n(const char *s, size_t n)
{
	char *t = malloc(n + 1), *f;

	if (!t)
		return NULL;
	memcpy(t, s, n);
	t[n] = '\0';
	for (char *p = t; *p; p++)
		if (*p == '_')
			*p = ' ';
	f = text_fold(t);
	free(t);
	return f;
}

static int same_fold(const char *folded, const char *label)
{
	char *f;
	int eq;

	if (!label)
		return 0;
	if (!(f = fold_n(label, strlen(label))))
		return 0;
	eq = !strcmp(folded, f);
	free(f);
	return eq;
}

/* Does folded header h name field f of e? */
static int names_field(const struct field_def *f, const char *h)
{
	if (same_fold(h, f->name) || same_fold(h, f->label_vi) || same_fold(h, f->label_en))
		return 1;
	/* a person is referred to by national ID: the persons' own labels for it name this column too */
	if (f->type == FT_REF && f->ref && !strcmp(f->ref, "persons")) {
		const struct field_def *nid = ent_field(&ent_persons, "national_id");

		return nid && (same_fold(h, nid->name) || same_fold(h, nid->label_vi) || same_fold(h, nid->label_en));
	}
	return 0;
}

static int ignored_header(const char *h)
{
	static const char *const skip[] = {"", "stt", "tt", "so tt", "no", "no.", "#", NULL};

	for (int i = 0; skip[i]; i++)
		if (!strcmp(h, skip[i]))
			return 1;
	return 0;
}

void imp_map_free(struct imp_map *m)
{
	for (int i = 0; m->header && i < m->ncols; i++)
		free(m->header[i]);
	free(m->header);
	free(m->field_of);
	m->header = NULL;
	m->field_of = NULL;
	m->ncols = 0;
}

const char *imp_map_label(const struct imp_map *m, int field)
{
	if (field >= 0 && field < 64 && m->col_of[field] >= 0 && m->header[m->col_of[field]][0])
		return m->header[m->col_of[field]];
	return field >= 0 && field < m->e->nfields ? m->e->fields[field].name : "";
}

int imp_map_header(const struct entity_def *e, const struct imp_cell *cells, int n, struct imp_map *m,
		   struct pcmt_err *err)
{
	memset(m, 0, sizeof(*m));
	m->e = e;
	m->date_field = -1;
	for (int i = 0; i < 64; i++)
		m->col_of[i] = -1;
	if (e->nfields > 64)
		return err_set(err, ERR_INTERNAL, NULL, "entity with too many fields");
	m->field_of = calloc((size_t)n, sizeof(*m->field_of));
	m->header = calloc((size_t)n, sizeof(*m->header));
	if (!m->field_of || !m->header)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	m->ncols = n;
	for (int c = 0; c < n; c++) {
		char *raw = malloc(cells[c].n + 1), *h;

		if (!raw)
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		memcpy(raw, cells[c].s, cells[c].n);
		raw[cells[c].n] = '\0';
		m->header[c] = text_nfc(text_trim(raw));
		free(raw);
		if (!m->header[c] || !(h = fold_n(m->header[c], strlen(m->header[c]))))
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		m->field_of[c] = IMP_COL_IGNORE;
		for (int k = 0; k < 3; k++)
			if (same_fold(h, imp_errcols[k]))
				m->field_of[c] = IMP_COL_OURS;
		if (m->field_of[c] == IMP_COL_IGNORE && !ignored_header(h)) {
			int found = -1;

			for (int f = 0; f < e->nfields && found < 0; f++)
				if (!(e->fields[f].flags & F_DERIVED) && names_field(&e->fields[f], h))
					found = f;
			if (found < 0) {
				free(h);
				return err_set(err, ERR_INVALID, m->header[c],
					       "column %d: the header \"%s\" is not a field of %s (see docs/import.md or GET /api/v1/schema)",
					       c + 1, m->header[c], e->name);
			}
			if (m->col_of[found] >= 0) {
				free(h);
				return err_set(err, ERR_INVALID, m->header[c], "columns %d and %d both name the field %s",
					       m->col_of[found] + 1, c + 1, e->fields[found].name);
			}
			m->col_of[found] = c;
			m->field_of[c] = found;
		}
		free(h);
	}
	for (int f = 0; f < e->nfields; f++) {
		const struct field_def *fd = &e->fields[f];

		if ((fd->flags & F_REQUIRED) && !(fd->flags & F_DERIVED) && m->col_of[f] < 0)
			return err_set(err, ERR_INVALID, fd->name, "the file has no column for the required field %s (%s / %s)",
				       fd->name, fd->label_vi, fd->label_en);
		if (m->date_field < 0 && fd->type == FT_DATE && (fd->flags & F_REQUIRED))
			m->date_field = f;
	}
	return 0;
}

/* ---- cells ----------------------------------------------------------------------------------- */

/* A whole number, allowing thousands separators ("5.000.000", "5,000,000", "5 000 000") and an
 * xlsx number's ".0". */
static int parse_int(const char *s, int64_t *out)
{
	char d[32];
	size_t k = 0, len = strlen(s);
	const char *p = s;
	int neg = 0, groups = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (len > 2 && !strcmp(s + len - 2, ".0"))
		len -= 2;
	for (const char *q = p; q < s + len; q++) {
		if (*q >= '0' && *q <= '9') {
			if (k >= 18)
				return -1;
			d[k++] = *q;
		} else if ((*q == '.' || *q == ',' || *q == ' ') && k > 0) {
			/* a separator must be followed by exactly three digits */
			const char *r = q + 1;
			int digits = 0;

			while (r < s + len && *r >= '0' && *r <= '9' && digits < 4) {
				r++;
				digits++;
			}
			if (digits != 3)
				return -1;
			groups++;
		} else {
			return -1;
		}
	}
	if (!k)
		return -1;
	d[k] = '\0';
	*out = strtoll(d, NULL, 10) * (neg ? -1 : 1);
	return 0;
}

/* d/m/yyyy with one- or two-digit day and month becomes dd/mm/yyyy, which date_parse takes. */
static void pad_dmy(const char *s, char out[32])
{
	int d, m, y, k = 0;
	size_t n = strlen(s);

	/* a full dd/mm/yyyy or ISO date, as most cells are, comes out as it went in: no scanf per row */
	if (n == 10 && ((s[2] == '/' && s[5] == '/') || (s[4] == '-' && s[7] == '-'))) {
		size_t i = 0;

		for (; i < 10; i++)
			if (!(s[i] >= '0' && s[i] <= '9') && !(s[2] == '/' && (i == 2 || i == 5)) &&
			    !(s[4] == '-' && (i == 4 || i == 7)))
				break;
		if (i == 10) {
			memcpy(out, s, 11);
			return;
		}
	}
	snprintf(out, 32, "%.31s", s);
	if (n >= 16)
		return;
	if (sscanf(s, "%2d/%2d/%4d%n", &d, &m, &y, &k) == 3 && k == (int)n && y >= 1000)
		snprintf(out, 32, "%02d/%02d/%04d", d, m, y);
	else if (sscanf(s, "%2d-%2d-%4d%n", &d, &m, &y, &k) == 3 && k == (int)n && y >= 1000)
		snprintf(out, 32, "%02d/%02d/%04d", d, m, y);
}

static json_t *enum_value(const struct field_def *f, const char *s)
{
	char *h;
	json_t *out = NULL;

	if (enum_find(f->en, s))
		return json_string(s);
	/* a label written as pcmt writes it needs no folding (folding costs more than the rest of the row) */
	for (int i = 0; i < f->en->n; i++)
		if ((f->en->vals[i].label_vi && !strcmp(s, f->en->vals[i].label_vi)) ||
		    (f->en->vals[i].label_en && !strcmp(s, f->en->vals[i].label_en)))
			return json_string(f->en->vals[i].code);
	if (!(h = fold_n(s, strlen(s))))
		return NULL;
	for (int i = 0; i < f->en->n && !out; i++)
		if (same_fold(h, f->en->vals[i].code) || same_fold(h, f->en->vals[i].label_vi) ||
		    same_fold(h, f->en->vals[i].label_en))
			out = json_string(f->en->vals[i].code);
	free(h);
	return out ? out : json_string(s); /* ent_validate names the field and lists the codes */
}

static json_t *bool_value(const char *s)
{
	static const char *const yes[] = {"1", "true", "yes", "x", "co", "dung", "y", NULL};
	static const char *const no[] = {"0", "false", "no", "khong", "sai", "n", NULL};
	char *h = fold_n(s, strlen(s));
	json_t *out = NULL;

	for (int i = 0; h && yes[i] && !out; i++)
		if (!strcmp(h, yes[i]))
			out = json_true();
	for (int i = 0; h && no[i] && !out; i++)
		if (!strcmp(h, no[i]))
			out = json_false();
	free(h);
	return out;
}

json_t *imp_cell_value(const struct field_def *f, const struct imp_cell *c, struct pcmt_err *err)
{
	char small[256], *s = small, dmy[32];
	json_t *v = NULL;
	int64_t i;

	if (c->n >= sizeof(small) && !(s = malloc(c->n + 1))) {
		err_set(err, ERR_INTERNAL, f->name, "out of memory");
		return NULL;
	}
	memcpy(s, c->s, c->n);
	s[c->n] = '\0';
	text_trim(s);
	if (!s[0])
		goto out;
	if (c->flags & IMP_CELL_ERROR) {
		err_set(err, ERR_INVALID, f->name, "%s holds a spreadsheet error (%s)", f->name, s);
		goto out;
	}
	switch (f->type) {
	case FT_TEXT:
		/* spreadsheets turn a national ID typed as a number into one and drop its leading zero
		 * (province codes run 001-096): give it back */
		if ((c->flags & IMP_CELL_NUMBER) && !strcmp(f->name, "national_id") && (strlen(s) == 11 || strlen(s) == 8)) {
			char z[16];

			snprintf(z, sizeof(z), "0%s", s);
			v = json_string(z);
		} else {
			v = json_string(s);
		}
		if (!v)
			err_set(err, ERR_INVALID, f->name, "%s is not valid UTF-8", f->name);
		break;
	case FT_INT:
	case FT_MONEY:
		if (parse_int(s, &i))
			err_set(err, ERR_INVALID, f->name, "%s must be a whole number, not \"%.40s\"", f->name, s);
		else
			v = json_integer(i);
		break;
	case FT_DATE:
		if (c->flags & IMP_CELL_FORMULA) {
			err_set(err, ERR_INVALID, f->name, "%s is a formula; a date must be typed in (copy, paste as values)", f->name);
			break;
		}
		if ((c->flags & IMP_CELL_NUMBER) && !(c->flags & IMP_CELL_DATE)) {
			err_set(err, ERR_INVALID, f->name, "%s is a number (%.20s), not a date: format the cell as a date", f->name, s);
			break;
		}
		pad_dmy(s, dmy);
		/* pad_dmy keeps 31 bytes, which can cut a multibyte character: no date, and no valid string */
		if (!(v = json_string(dmy)))
			err_set(err, ERR_INVALID, f->name, "%s must be a date (dd/mm/yyyy or yyyy-mm-dd)", f->name);
		break;
	case FT_ENUM:
		v = enum_value(f, s);
		break;
	case FT_BOOL:
		if (!(v = bool_value(s)))
			err_set(err, ERR_INVALID, f->name, "%s must be yes or no (1/0, có/không, x), not \"%.40s\"", f->name, s);
		break;
	case FT_REF:
	case FT_OU:
		/* natural keys (a national ID, an org-unit code, a facility's name): the driver resolves them */
		if ((c->flags & IMP_CELL_NUMBER) && f->type == FT_REF && !strcmp(f->ref, "persons") &&
		    (strlen(s) == 11 || strlen(s) == 8)) {
			char z[16];

			snprintf(z, sizeof(z), "0%s", s);
			v = json_string(z);
		} else {
			if (c->flags & IMP_CELL_NUMBER) {
				size_t L = strlen(s);

				if (L > 2 && !strcmp(s + L - 2, ".0"))
					s[L - 2] = '\0';
			}
			v = json_string(s);
		}
		if (!v)
			err_set(err, ERR_INVALID, f->name, "%s is not valid UTF-8", f->name);
		break;
	case FT_JSON: {
		json_error_t je;

		if (!(v = json_loads(s, JSON_REJECT_DUPLICATES, &je)))
			err_set(err, ERR_INVALID, f->name, "%s must be a JSON list such as [{\"substance\": \"opioids\", \"result\": \"positive\"}]: %s",
				f->name, je.text);
		break;
	}
	}
out:
	if (s != small)
		free(s);
	return v;
}
