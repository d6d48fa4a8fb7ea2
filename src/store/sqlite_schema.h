/* sqlite_schema.h: SQLite migrations; sqlite_migrations[i] takes the schema from version i to i+1. */
#ifndef PCMT_SQLITE_SCHEMA_H
#define PCMT_SQLITE_SCHEMA_H

extern const char *const sqlite_migrations[]; /* NULL-terminated */
/* Sets every province_code still '' (m5): run after a bulk load, which goes without triggers. */
extern const char sqlite_province_fill[];

#endif
