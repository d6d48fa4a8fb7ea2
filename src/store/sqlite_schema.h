/* sqlite_schema.h: SQLite migrations; sqlite_migrations[i] takes the schema from version i to i+1. */
#ifndef PCMT_SQLITE_SCHEMA_H
#define PCMT_SQLITE_SCHEMA_H

extern const char *const sqlite_migrations[]; /* NULL-terminated */
/* Sets every province_code still '' (m5): run after a bulk load, which goes without triggers. */
extern const char sqlite_province_fill[];
/* Where a bulk-loaded row's province_code comes from (m5), so that the bulk path can write it with
 * the row: the column naming the row it inherits it from, in table `from`. NULL-terminated; tables
 * not listed are left to sqlite_province_fill. */
struct sqlite_province_src {
	const char *table, *col, *from;
};
extern const struct sqlite_province_src sqlite_province_src[];

#endif
