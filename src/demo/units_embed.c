/* units_embed.c: data/vn-units-2025-03-01.tsv and the 2025 reform's mapping
 * (data/vn-units-2025-07-01.tsv) built into the binary, so that `pcmt demo` works from any
 * directory without the source tree. The assembler's .incbin copies the file at build time
 * (C17 has no #embed); CMakeLists.txt makes this object depend on the TSV so an edit rebuilds it. */
#include "demo/units.h"

#ifndef PCMT_SOURCE_DIR
#error "PCMT_SOURCE_DIR must name the source tree (set by CMakeLists.txt)"
#endif

/* Hidden global labels: visible to the C code below, never exported from the binary. A NUL byte
 * after the data lets the parser treat the buffer as a C string like a file read by units_read_file. */
__asm__("\t.pushsection .rodata\n"
	"\t.balign 16\n"
	"\t.globl pcmt_units_tsv\n"
	"\t.hidden pcmt_units_tsv\n"
	"pcmt_units_tsv:\n"
	"\t.incbin \"" PCMT_SOURCE_DIR "/data/vn-units-2025-03-01.tsv\"\n"
	"\t.globl pcmt_units_tsv_end\n"
	"\t.hidden pcmt_units_tsv_end\n"
	"pcmt_units_tsv_end:\n"
	"\t.byte 0\n"
	"\t.balign 16\n"
	"\t.globl pcmt_reform_tsv\n"
	"\t.hidden pcmt_reform_tsv\n"
	"pcmt_reform_tsv:\n"
	"\t.incbin \"" PCMT_SOURCE_DIR "/data/vn-units-2025-07-01.tsv\"\n"
	"\t.globl pcmt_reform_tsv_end\n"
	"\t.hidden pcmt_reform_tsv_end\n"
	"pcmt_reform_tsv_end:\n"
	"\t.byte 0\n"
	"\t.popsection\n");

extern const char pcmt_units_tsv[] __attribute__((visibility("hidden")));
extern const char pcmt_units_tsv_end[] __attribute__((visibility("hidden")));
extern const char pcmt_reform_tsv[] __attribute__((visibility("hidden")));
extern const char pcmt_reform_tsv_end[] __attribute__((visibility("hidden")));

const char *units_builtin(size_t *len)
{
	*len = (size_t)(pcmt_units_tsv_end - pcmt_units_tsv);
	return pcmt_units_tsv;
}

const char *units_reform_builtin(size_t *len)
{
	*len = (size_t)(pcmt_reform_tsv_end - pcmt_reform_tsv);
	return pcmt_reform_tsv;
}
