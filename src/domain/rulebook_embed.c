/* rulebook_embed.c: data/rulebook.tsv built into the binary as rulebook_default_tsv, so that every
 * database gets the default rulebook from `pcmt migrate` wherever pcmt runs. Same technique as
 * src/demo/units_embed.c: .incbin at build time, and an OBJECT_DEPENDS line in CMakeLists.txt. */
#include "domain/rules.h"

#ifndef PCMT_SOURCE_DIR
#error "PCMT_SOURCE_DIR must name the source tree (set by CMakeLists.txt)"
#endif

/* The length is the difference of two labels in the same section, which the assembler resolves to
 * a constant: no code has to run to know it. A NUL byte follows the text so that it can also be
 * printed as a C string; the length does not count it. */
__asm__("\t.pushsection .rodata\n"
	"\t.balign 16\n"
	"\t.globl rulebook_default_tsv\n"
	"\t.hidden rulebook_default_tsv\n"
	"rulebook_default_tsv:\n"
	"\t.incbin \"" PCMT_SOURCE_DIR "/data/rulebook.tsv\"\n"
	"pcmt_rulebook_tsv_end:\n"
	"\t.byte 0\n"
	"\t.balign 8\n"
	"\t.globl rulebook_default_tsv_len\n"
	"\t.hidden rulebook_default_tsv_len\n"
	"rulebook_default_tsv_len:\n"
	"\t.quad pcmt_rulebook_tsv_end - rulebook_default_tsv\n"
	"\t.popsection\n");
