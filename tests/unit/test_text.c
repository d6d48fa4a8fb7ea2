/* test_text.c: unit tests for src/util/text.c: the accent-folded search key for Vietnamese names,
 * NFC normalisation, what counts as acceptable text, trimming.
 * Strings whose normalisation form matters are written as byte escapes so that an editor cannot
 * silently re-normalise them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/text.h"

/* "Nguyễn Văn Ánh" precomposed (NFC) and fully decomposed (NFD). */
#define NGUYEN_NFC "Nguy\xe1\xbb\x85n V\xc4\x83n \xc3\x81nh"
#define NGUYEN_NFD "Nguye\xcc\x82\xcc\x83n Va\xcc\x86n A\xcc\x81nh"
/* "Đặng Thị Đào" NFC and NFD (Đ has no decomposition; ặ = a + dot below + breve) */
#define DANG_NFC "\xc4\x90\xe1\xba\xb7ng Th\xe1\xbb\x8b \xc4\x90\xc3\xa0o"
#define DANG_NFD "\xc4\x90" "a\xcc\xa3\xcc\x86ng Thi\xcc\xa3 \xc4\x90" "a\xcc\x80o"

static void assert_fold(const char *in, const char *want)
{
	char *got = text_fold(in);

	if (!got || strcmp(got, want) != 0) {
		print_error("text_fold(\"%s\") = \"%s\", want \"%s\"\n", in, got ? got : "(null)", want);
		free(got);
		fail();
	}
	free(got);
}

static void assert_nfc(const char *in, const char *want)
{
	char *got = text_nfc(in);

	if (!got || strcmp(got, want) != 0) {
		print_error("text_nfc(\"%s\") = \"%s\", want \"%s\"\n", in, got ? got : "(null)", want);
		free(got);
		fail();
	}
	free(got);
}

static int valid(const char *s)
{
	return text_valid(s, strlen(s));
}

static void test_fold_vietnamese_names(void **state)
{
	assert_fold("Nguyễn Văn Ánh", "nguyen van anh");
	assert_fold(NGUYEN_NFC, "nguyen van anh");
	assert_fold("Đặng Thị Đào", "dang thi dao");
	assert_fold(DANG_NFC, "dang thi dao");
	assert_fold("Lò Văn Pủa", "lo van pua");
	assert_fold("Vừ Bá Dơ", "vu ba do");
	assert_fold("Trương Thị Hường", "truong thi huong");
	assert_fold("Hồ Xuân Hương", "ho xuan huong");
	assert_fold("nguyen van a", "nguyen van a"); /* already folded: unchanged */
}

static void test_fold_every_vowel(void **state)
{
	assert_fold("àáảãạ ăằắẳẵặ âầấẩẫậ", "aaaaa aaaaaa aaaaaa");
	assert_fold("èéẻẽẹ êềếểễệ", "eeeee eeeeee");
	assert_fold("ìíỉĩị", "iiiii");
	assert_fold("òóỏõọ ôồốổỗộ ơờớởỡợ", "ooooo oooooo oooooo");
	assert_fold("ùúủũụ ưừứửữự", "uuuuu uuuuuu");
	assert_fold("ỳýỷỹỵ", "yyyyy");
	assert_fold("ÀÁẢÃẠ ĂẰẮẲẴẶ ÂẦẤẨẪẬ", "aaaaa aaaaaa aaaaaa");
	assert_fold("ÈÉẺẼẸ ÊỀẾỂỄỆ ÌÍỈĨỊ", "eeeee eeeeee iiiii");
	assert_fold("ÒÓỎÕỌ ÔỒỐỔỖỘ ƠỜỚỞỠỢ", "ooooo oooooo oooooo");
	assert_fold("ÙÚỦŨỤ ƯỪỨỬỮỰ ỲÝỶỸỴ", "uuuuu uuuuuu yyyyy");
	assert_fold("đĐ", "dd");
}

static void test_fold_nfd_equals_nfc(void **state)
{
	char *a = text_fold(NGUYEN_NFC), *b = text_fold(NGUYEN_NFD);

	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a, b);
	assert_string_equal(b, "nguyen van anh");
	free(a);
	free(b);
	assert_fold(DANG_NFD, "dang thi dao");
	/* D followed by a combining short stroke overlay, as some keyboards type Đ */
	assert_fold("D\xcc\xb5ng", "dng");
}

static void test_fold_whitespace(void **state)
{
	assert_fold("  Nguyễn   Văn\tÁnh \n", "nguyen van anh");
	assert_fold("\t\r\nNguyễn\r\nVăn  Ánh", "nguyen van anh");
	assert_fold("Nguyễn\xc2\xa0Văn", "nguyen van"); /* no-break space counts as a space */
	assert_fold("a", "a");
	assert_fold(" a ", "a");
	assert_fold("", "");
	assert_fold("   ", "");
	assert_fold(" \t \n ", "");
}

static void test_fold_case(void **state)
{
	assert_fold("NGUYỄN VĂN ÁNH", "nguyen van anh");
	assert_fold("nGuYễN vĂn ÁnH", "nguyen van anh");
	assert_fold("ĐẶNG THỊ ĐÀO", "dang thi dao");
	assert_fold("ABC xyz 123", "abc xyz 123");
}

static void test_fold_rejects_invalid_utf8(void **state)
{
	assert_null(text_fold("Nguy\xff" "n"));
	assert_null(text_fold("\xc3"));             /* truncated sequence */
	assert_null(text_fold("a\xed\xa0\x80" "b")); /* UTF-16 surrogate */
}

static void test_nfc(void **state)
{
	assert_nfc(NGUYEN_NFD, NGUYEN_NFC);
	assert_nfc(NGUYEN_NFC, NGUYEN_NFC);
	assert_nfc(DANG_NFD, DANG_NFC);
	assert_nfc("plain ascii", "plain ascii");
	assert_nfc("", "");
	/* the two orders of dot below + circumflex are canonically equivalent: both give ệ */
	assert_nfc("e\xcc\xa3\xcc\x82", "\xe1\xbb\x87");
	assert_nfc("e\xcc\x82\xcc\xa3", "\xe1\xbb\x87");
	/* NFC keeps case and spacing: it is not folding */
	assert_nfc("  A\xcc\x81  ", "  \xc3\x81  ");
	assert_null(text_nfc("\xff"));
	assert_null(text_nfc("ab\xe1\xbb"));
}

static void test_valid_accepts(void **state)
{
	assert_true(valid(""));
	assert_true(valid("plain"));
	assert_true(valid("Nguyễn Văn Ánh"));
	assert_true(valid(NGUYEN_NFD));
	assert_true(valid("Đặng Thị Đào, xã Nậm Cắn, huyện Kỳ Sơn"));
	assert_true(valid("line one\nline two"));
	assert_true(valid("col\tcol"));
	assert_true(valid("windows\r\nline"));
	assert_true(valid("\xc2\xa0no-break\xc2\xa0space"));    /* U+00A0, just after the C1 block */
	assert_true(valid("\xf0\x9f\x98\x80"));                 /* 4-byte sequence */
	assert_true(text_valid("ab\x01", 2));                    /* only n bytes are looked at */
}

static void test_valid_rejects(void **state)
{
	static const struct {
		const char *s;
		size_t n;
		const char *why;
	} bad[] = {
		{"\xff", 1, "byte never used in UTF-8"},
		{"abc\xfe", 4, "byte never used in UTF-8"},
		{"\x80", 1, "lone continuation byte"},
		{"\xc3", 1, "truncated 2-byte sequence"},
		{"\xe1\xbb", 2, "truncated 3-byte sequence"},
		{"\xc3" "A", 2, "lead byte without continuation"},
		{"\xc0\x80", 2, "overlong NUL"},
		{"\xc1\xbf", 2, "overlong 2-byte"},
		{"\xe0\x80\xaf", 3, "overlong 3-byte '/'"},
		{"\xe0\x9f\xbf", 3, "overlong 3-byte"},
		{"\xf0\x80\x80\xaf", 4, "overlong 4-byte '/'"},
		{"\xf0\x8f\xbf\xbf", 4, "overlong 4-byte"},
		{"\xed\xa0\x80", 3, "UTF-16 high surrogate"},
		{"\xed\xbf\xbf", 3, "UTF-16 low surrogate"},
		{"\xf4\x90\x80\x80", 4, "above U+10FFFF"},
		{"\xf8\x88\x80\x80\x80", 5, "5-byte form"},
		{"a\0b", 3, "NUL byte"},
		{"\0", 1, "NUL byte"},
		{"a\x01", 2, "SOH"},
		{"\x1b[31m", 5, "ESC"},
		{"bell\x07", 5, "BEL"},
		{"\x0b", 1, "vertical tab"},
		{"\x0c", 1, "form feed"},
		{"\x1f", 1, "unit separator"},
		{"del\x7f", 4, "DEL"},
		{"\xc2\x80", 2, "C1 control U+0080"},
		{"a\xc2\x85" "b", 4, "C1 next line U+0085"},
		{"\xc2\x93quoted\xc2\x94", 10, "C1 U+0093/94 (cp1252 quotes read as Latin-1)"},
		{"\xc2\x9b" "31m", 5, "C1 CSI U+009B"},
		{"\xc2\x9f", 2, "C1 control U+009F"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (text_valid(bad[i].s, bad[i].n)) {
			print_error("text_valid accepted %s\n", bad[i].why);
			fail();
		}
	}
}

static void test_trim(void **state)
{
	char a[] = "  a b  ", b[] = "\t\r\n x \n", c[] = "   ", d[] = "", e[] = "abc", f[] = "\xc2\xa0x";
	char g[] = " Nguyễn Văn Ánh\t";

	assert_ptr_equal(text_trim(a), a);
	assert_string_equal(a, "a b");
	assert_string_equal(text_trim(b), "x");
	assert_string_equal(text_trim(c), "");
	assert_string_equal(text_trim(d), "");
	assert_string_equal(text_trim(e), "abc");
	assert_string_equal(text_trim(f), "\xc2\xa0x"); /* ASCII whitespace only */
	assert_string_equal(text_trim(g), "Nguyễn Văn Ánh");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_vietnamese_names),
		cmocka_unit_test(test_fold_every_vowel),
		cmocka_unit_test(test_fold_nfd_equals_nfc),
		cmocka_unit_test(test_fold_whitespace),
		cmocka_unit_test(test_fold_case),
		cmocka_unit_test(test_fold_rejects_invalid_utf8),
		cmocka_unit_test(test_nfc),
		cmocka_unit_test(test_valid_accepts),
		cmocka_unit_test(test_valid_rejects),
		cmocka_unit_test(test_trim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
