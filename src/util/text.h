/* text.h: Unicode text helpers over utf8proc: validation, NFC normalisation and the accent-folded
 * form used for Vietnamese search ("Nguyễn Văn Ánh" -> "nguyen van anh"). */
#ifndef PCMT_TEXT_H
#define PCMT_TEXT_H

#include <stddef.h>

/* 1 if s[0..n) is valid UTF-8 without NUL bytes, DEL, or C0/C1 control characters other than tab,
 * newline and carriage return. */
int text_valid(const char *s, size_t n);
/* NFC form of s, malloc'd (caller frees); NULL on invalid UTF-8 or out of memory. */
char *text_nfc(const char *s);
/* Accent-folded, case-folded, whitespace-collapsed form of s, malloc'd (caller frees); NULL on
 * invalid UTF-8. d-with-stroke folds to d, as Vietnamese readers expect. */
char *text_fold(const char *s);
/* Trims leading/trailing ASCII whitespace in place; returns s. */
char *text_trim(char *s);

#endif
