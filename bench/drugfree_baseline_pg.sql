-- drugfree_baseline_pg.sql: the drug-free commune criteria (src/domain/criteria.h) written as
-- straightforward SQL over the PostgreSQL schema (src/store/pg_schema.c), the baseline that
-- bench/run.sh --pg times the engine against. It must give, commune by commune, what
-- `pcmt eval drug-free --db postgresql://... --format csv` gives (bench/check_baseline.sh --pg
-- diffs the two), and the same rows as bench/drugfree_baseline_sqlite.sql on the same data.
--
-- Input: two psql variables,
--   psql -X -q -A -t -F, -v d=2025-06-30 -v root=40 -f bench/drugfree_baseline_pg.sql URL
-- d is the request date D (YYYY-MM-DD), root the code of the org unit whose communes are
-- evaluated. The numbers (test window 30, ceiling 10, lookback 365, periodic interval 90) are the
-- rules in force on D in the database's `rule` table, as the engine reads them (those defaults when
-- the table holds none).
--
-- Output, in three parts marked by a "phase,name" row so that a timer can tell them apart (run.sh
-- adds -c '\timing on' before -f and sums the "Time:" lines of each part):
--   index   the extra indexes below and ANALYZE (a one-off cost, reported separately);
--   eval    the parameters on D, the communes under the root into the temporary table
--           commune_set, then the evaluation into the temporary table drugfree_sql;
--   output  one row per commune: commune_id, code, drug_free, criterion_1, criterion_2,
--           criterion_3, addicts, addicts_in_community (0/1 flags), ordered by code; then
--           total,communes,drug-free communes.
--
-- Date semantics (src/domain/snap.h), on PostgreSQL `date` columns:
--   classification held on D   date_from <= D and (date_to is null or date_to >= D)
--   record open on D           opened <= D and (closed is null or closed > D)
--   treatment active on D      start_date <= D and (end_date is null or end_date >= D), not 'died';
--                              the one that started last decides whether it is residential (on
--                              one start day a residential one wins: snap.c cmp_treat)
--   latest test on D           the last test on or before D; on one day a positive one wins, then
--                              an invalid one (snap.c cmp_test)
--   detection                  a positive test or 'addicted' determination in (D - lookback, D]
--
-- Written as a competent PostgreSQL developer would: the parameters on D computed once and handed
-- to the queries as constants (\gset), so that the planner sees the dates and prunes drug_test's
-- yearly partitions; the communes under the root put in a temporary table and ANALYZEd, since no
-- planner can estimate a recursive CTE (estimated at 1 row instead of 10,047 for the nation, the
-- persons were fetched commune by commune: 8 to 13 s instead of 4 to 5); each fact table read once,
-- filtered to what holds on D and grouped by person (merge and hash joins, parallel scans where
-- the planner wants them); the lookups that concern fewer persons (detection of the unclassified,
-- the post-rehabilitation tests and support) as correlated EXISTS on (person_id, ...) indexes,
-- skipped by CASE where a fact cannot change the verdict. JIT is off for the session: on the
-- national set it spent 0.8 s compiling and saved nothing. A larger work_mem (64 MB, 256 MB)
-- made the national evaluation slower, not faster (other plans), and is not used. The same rules
-- as per-person correlated lookups only (as in the SQLite baseline) took 22 s on the national set.
-- The test requirement "the latest test on or before D lies in [D - window, D] and is negative" is
-- read as the equivalent "the latest test within [D - window, D] is negative" (none there: failed),
-- so that only the window's tests are read instead of every person's history.
\set ON_ERROR_STOP on
SET client_min_messages = warning; -- no "already exists, skipping" notices
SET jit = off;

SELECT 'phase', 'index';
-- The schema indexes every event table on (person_id, date). These add what the queries filter
-- on: tests by date for the window (with the columns it reads), tests per person with the columns
-- the lookups test, determinations by person and result. drug_test is partitioned by year: an
-- index on it is built on every partition. ANALYZE, for a database fresh from a bulk load.
CREATE INDEX IF NOT EXISTS bench_drug_test_dpr ON drug_test (test_date, person_id, result);
CREATE INDEX IF NOT EXISTS bench_drug_test_pdrk ON drug_test (person_id, test_date, result, kind);
CREATE INDEX IF NOT EXISTS bench_determination_prd ON determination (person_id, result, det_date);
ANALYZE org_unit, person, classification, mgmt_record, treatment, drug_test, determination, support, rule;

SELECT 'phase', 'eval';
-- the rules in force on D (the latest effective_from on or before D), and the dates they give
SELECT :'d'::date AS d,
       :'d'::date - w.v AS test_from,     -- window: tests on or after this
       :'d'::date - l.v AS detect_after,  -- detection strictly after this
       :'d'::date - i.v AS due_from,      -- post-rehab tests due if the record opened on or before
       c.v AS ceiling
FROM (SELECT coalesce((SELECT value::int FROM rule WHERE code = 'drugfree.test_window_days'
                       AND effective_from <= :'d'::date ORDER BY effective_from DESC LIMIT 1), 30) AS v) w,
     (SELECT coalesce((SELECT value::int FROM rule WHERE code = 'drugfree.community_addict_ceiling'
                       AND effective_from <= :'d'::date ORDER BY effective_from DESC LIMIT 1), 10) AS v) c,
     (SELECT coalesce((SELECT value::int FROM rule WHERE code = 'drugfree.detection_lookback_days'
                       AND effective_from <= :'d'::date ORDER BY effective_from DESC LIMIT 1), 365) AS v) l,
     (SELECT coalesce((SELECT value::int FROM rule WHERE code = 'test.periodic_interval_days'
                       AND effective_from <= :'d'::date ORDER BY effective_from DESC LIMIT 1), 90) AS v) i
\gset p_
DROP TABLE IF EXISTS pg_temp.drugfree_sql, pg_temp.commune_set;
-- the communes under the root in force on D
CREATE TEMP TABLE commune_set AS
WITH RECURSIVE
root AS (
  -- the unit with that code in force on D, else the most recently valid (as `pcmt eval` resolves it)
  SELECT o.id
  FROM org_unit o
  WHERE o.code = :'root'
  ORDER BY ((o.valid_from IS NULL OR o.valid_from <= :'p_d') AND (o.valid_to IS NULL OR o.valid_to >= :'p_d')) DESC,
           coalesce(o.valid_to, '9999-12-31') DESC, o.id DESC
  LIMIT 1
),
tree (id, kind, valid_from, valid_to) AS (
  SELECT o.id, o.kind, o.valid_from, o.valid_to FROM org_unit o JOIN root ON o.id = root.id
  UNION ALL
  SELECT o.id, o.kind, o.valid_from, o.valid_to
  FROM org_unit o JOIN tree t ON o.parent_id = t.id
  WHERE t.kind <> 'commune'
),
commune AS (
  SELECT t.id
  FROM tree t
  WHERE t.kind = 'commune'
    AND (t.valid_from IS NULL OR t.valid_from <= :'p_d') AND (t.valid_to IS NULL OR t.valid_to >= :'p_d')
)
SELECT id FROM commune;
ANALYZE commune_set; -- so that the planner knows how many
CREATE TEMP TABLE drugfree_sql AS
WITH
commune AS (SELECT id FROM commune_set),
cls AS (
  -- classifications held on D, per person
  SELECT k.person_id AS pid,
         bool_or(k.kind = 'addict') AS a,
         bool_or(k.kind IN ('illegal_user', 'psychosis')) AS u,
         bool_or(k.kind = 'post_rehab') AS pr,
         bool_or(k.kind = 'released') AS rel
  FROM classification k
  WHERE k.date_from <= :'p_d' AND (k.date_to IS NULL OR k.date_to >= :'p_d')
  GROUP BY k.person_id
),
rec AS (
  -- management records open on D: any (criteria 1 and 2), and the post-rehabilitation one that
  -- opened last (criterion 3)
  SELECT m.person_id AS pid, max(m.opened) FILTER (WHERE m.kind = 'post_rehab') AS pr_opened
  FROM mgmt_record m
  WHERE m.opened <= :'p_d' AND (m.closed IS NULL OR m.closed > :'p_d')
  GROUP BY m.person_id
),
tx AS (
  -- the treatment active on D that started last: residential (at a facility) or not
  SELECT DISTINCT ON (t.person_id) t.person_id AS pid,
         t.kind IN ('compulsory_facility', 'voluntary_facility') AS residential
  FROM treatment t
  WHERE t.start_date <= :'p_d' AND (t.end_date IS NULL OR t.end_date >= :'p_d') AND t.outcome <> 'died'
  ORDER BY t.person_id, t.start_date DESC, t.kind IN ('compulsory_facility', 'voluntary_facility') DESC
),
lt AS (
  -- the latest test within the window: negative or not
  SELECT DISTINCT ON (x.person_id) x.person_id AS pid, x.result = 'negative' AS negative
  FROM drug_test x
  WHERE x.test_date >= :'p_test_from' AND x.test_date <= :'p_d'
  ORDER BY x.person_id, x.test_date DESC,
           CASE x.result WHEN 'positive' THEN 2 WHEN 'invalid' THEN 1 ELSE 0 END DESC
),
facts AS (
  -- each resident of an evaluated commune who holds a classification, or may be detected
  SELECT pe.id AS pid, pe.residence_ou AS cid,
         coalesce(k.a, false) AS a, coalesce(k.u, false) AS u, coalesce(k.pr, false) AS pr,
         r.pid IS NOT NULL AS rec, r.pr_opened,
         tx.pid IS NOT NULL AS treated, coalesce(tx.residential, false) AS residential,
         coalesce(lt.negative, false) AS test_ok,
         -- detection of a person holding no classification (criterion 1 or 2)
         CASE WHEN k.pid IS NULL OR NOT (k.a OR k.u OR k.pr OR k.rel) THEN
           EXISTS (SELECT 1 FROM determination e WHERE e.person_id = pe.id AND e.result = 'addicted'
                   AND e.det_date > :'p_detect_after' AND e.det_date <= :'p_d') END AS det_addicted,
         CASE WHEN k.pid IS NULL OR NOT (k.a OR k.u OR k.pr OR k.rel) THEN
           EXISTS (SELECT 1 FROM drug_test x WHERE x.person_id = pe.id AND x.result = 'positive'
                   AND x.test_date > :'p_detect_after' AND x.test_date <= :'p_d') END AS det_positive
  FROM person pe
  JOIN commune c ON c.id = pe.residence_ou
  LEFT JOIN cls k ON k.pid = pe.id
  LEFT JOIN rec r ON r.pid = pe.id
  LEFT JOIN tx ON tx.pid = pe.id
  LEFT JOIN lt ON lt.pid = pe.id
  WHERE k.pid IS NULL OR k.a OR k.u OR k.pr OR NOT k.rel
),
verdict AS (
  -- per person: counts toward the commune and whether the person fails each criterion
  SELECT f.cid, f.a,
         f.a AND NOT f.residential AS in_community,
         (f.a AND (NOT f.rec OR NOT f.treated OR (NOT f.residential AND NOT f.test_ok))
          OR coalesce(f.det_addicted, false)) AS fail_1,
         (NOT f.a AND f.u AND (NOT f.rec OR NOT f.test_ok)
          OR (NOT coalesce(f.det_addicted, false) AND coalesce(f.det_positive, false))) AS fail_2,
         (NOT f.a AND f.pr AND
          (f.pr_opened IS NULL
           OR (f.pr_opened <= :'p_due_from'
               AND NOT (EXISTS (SELECT 1 FROM drug_test x WHERE x.person_id = f.pid AND x.kind = 'periodic'
                                AND x.test_date >= f.pr_opened AND x.test_date <= :'p_d')
                        AND EXISTS (SELECT 1 FROM drug_test x WHERE x.person_id = f.pid AND x.kind = 'sudden'
                                    AND x.test_date >= f.pr_opened AND x.test_date <= :'p_d')))
           OR NOT EXISTS (SELECT 1 FROM support s WHERE s.person_id = f.pid
                          AND s.support_date >= f.pr_opened AND s.support_date <= :'p_d'))) AS fail_3
  FROM facts f
),
per_commune AS (
  SELECT v.cid,
         bool_or(v.fail_1) AS fail_1, bool_or(v.fail_2) AS fail_2, bool_or(v.fail_3) AS fail_3,
         count(*) FILTER (WHERE v.a) AS addicts,
         count(*) FILTER (WHERE v.in_community) AS in_community
  FROM verdict v
  GROUP BY v.cid
)
SELECT c.id AS commune_id, o.code,
       (NOT (coalesce(pc.fail_1, false) OR coalesce(pc.in_community, 0) >= :p_ceiling
             OR coalesce(pc.fail_2, false) OR coalesce(pc.fail_3, false)))::int AS drug_free,
       (NOT (coalesce(pc.fail_1, false) OR coalesce(pc.in_community, 0) >= :p_ceiling))::int AS criterion_1,
       (NOT coalesce(pc.fail_2, false))::int AS criterion_2,
       (NOT coalesce(pc.fail_3, false))::int AS criterion_3,
       coalesce(pc.addicts, 0) AS addicts,
       coalesce(pc.in_community, 0) AS addicts_in_community
FROM commune c
JOIN org_unit o ON o.id = c.id
LEFT JOIN per_commune pc ON pc.cid = c.id;

SELECT 'phase', 'output';
SELECT commune_id, code, drug_free, criterion_1, criterion_2, criterion_3, addicts, addicts_in_community
FROM drugfree_sql ORDER BY code;
SELECT 'total', count(*), sum(drug_free) FROM drugfree_sql;
