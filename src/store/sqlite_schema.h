/* sqlite_schema.h: SQLite migrations; sqlite_migrations[i] takes the schema from version i to i+1. */
#ifndef PCMT_SQLITE_SCHEMA_H
#define PCMT_SQLITE_SCHEMA_H

extern const char *const sqlite_migrations[]; /* NULL-terminated */

#endif
