/* pg_schema.h: the PostgreSQL schema as numbered migrations, the twin of sqlite_schema.h:
 * pg_migrations[i] takes the schema from version i to i+1, and version i means the same tables and
 * columns on both backends (tests/store/test_schema.c checks it). */
#ifndef PCMT_PG_SCHEMA_H
#define PCMT_PG_SCHEMA_H

extern const char *const pg_migrations[]; /* NULL-terminated */

/* Tables natively partitioned by year of a date column (RANGE partitions named <table>_yYYYY, made
 * on demand by pcmt_year_partition(table, year)). NULL-terminated. */
struct pg_partitioned {
	const char *table;
	const char *date_col;
};
extern const struct pg_partitioned pg_partitioned[];

/* Advisory-lock keys (pg_advisory_xact_lock): the change log's commit order, migrations, and edits
 * of the org-unit tree. */
#define PG_LOCK_LOG 1885564276     /* 'pcmt' */
#define PG_LOCK_MIGRATE 1885564269 /* 'pcmm' */
#define PG_LOCK_TREE 1885564789    /* 'pcou' */
#define PG_LOCK_AUDIT 1885564257   /* 'pcma': the audit chain's appender */

#endif
