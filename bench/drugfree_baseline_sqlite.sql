-- drugfree_baseline_sqlite.sql: the drug-free commune criteria (src/domain/criteria.h) written as
-- straightforward SQL over the SQLite schema, the baseline that bench/run.sh times the engine
-- against. It must give, commune by commune, what `pcmt eval drug-free --format csv` gives
-- (bench/check_baseline.sh diffs the two).
--
-- Input: a temporary table set by the caller in the same session,
--   CREATE TEMP TABLE bench_param (d TEXT NOT NULL, root_code TEXT NOT NULL);
--   INSERT INTO bench_param VALUES ('2025-06-30', '40');
-- d is the request date D (YYYY-MM-DD), root_code the org unit whose communes are evaluated.
-- The numbers (test window 30, ceiling 10, lookback 365, periodic interval 90) are the rules in
-- force on D in the database's `rule` table, as the engine reads them (those defaults when the
-- table holds none: a database `pcmt migrate` has not seeded yet).
--
-- Output, in three parts marked by a ('phase', name) row so that a timer can tell them apart:
--   index   the extra indexes below (a one-off cost, reported separately);
--   eval    the evaluation, into temp.drugfree_sql;
--   output  one row per commune: commune_id, code, drug_free, criterion_1, criterion_2,
--           criterion_3, addicts, addicts_in_community (0/1 flags), ordered by code; then
--           ('total', communes, drug-free communes).
--
-- Date semantics (src/domain/snap.h), dates being ISO text so that they compare as strings:
--   classification held on D   date_from <= D and (date_to is null or date_to >= D)
--   record open on D           opened <= D and (closed is null or closed > D)
--   treatment active on D      start_date <= D and (end_date is null or end_date >= D), not 'died';
--                              the one that started last decides whether it is residential (on
--                              one start day a residential one wins)
--   latest test on D           the last test on or before D; on one day a positive one wins, then
--                              an invalid one (a total order: snap.c cmp_test)
--   detection                  a positive test or 'addicted' determination in (D - lookback, D]
--
-- Written as a competent SQL developer would: each resident's facts on D by correlated lookups on
-- (person_id, ...) indexes, the per-person CTEs MATERIALIZED (inlined, SQLite re-runs a lookup at
-- every use of its column: three times slower), lookups skipped by CASE where a fact cannot matter.
-- Note on SQLite 3.40.1 (Debian 12): with sqlite_stat1 present, `kind IN ('a', 'b') AND date_from
-- <= D` over an index (person_id, kind, date_from, ...) can return rows with date_from > D (the
-- OP_SeekScan jump skips the upper-bound test). Hence no ANALYZE here (it did not speed this query
-- up either) and two lookups instead of `kind IN (...)`.

SELECT 'phase', 'index';
-- The schema indexes every event table on (person_id, date). These add the columns the
-- correlated lookups filter on, so that each lookup is answered from the index alone.
CREATE INDEX IF NOT EXISTS bench_classification_pkd ON classification(person_id, kind, date_from, date_to);
CREATE INDEX IF NOT EXISTS bench_mgmt_record_pko ON mgmt_record(person_id, kind, opened, closed);
CREATE INDEX IF NOT EXISTS bench_drug_test_pdr ON drug_test(person_id, test_date, result, kind);
CREATE INDEX IF NOT EXISTS bench_determination_prd ON determination(person_id, result, det_date);

SELECT 'phase', 'eval';
DROP TABLE IF EXISTS temp.drugfree_sql;
CREATE TEMP TABLE drugfree_sql AS
WITH RECURSIVE
rule_on_d AS (
  -- the version of a rule in force on D: the latest effective_from on or before D
  SELECT r.code, r.value
  FROM rule r, bench_param b
  WHERE r.effective_from = (SELECT max(r2.effective_from) FROM rule r2
                            WHERE r2.code = r.code AND r2.effective_from <= b.d)
),
params AS (
  SELECT b.d,
         date(b.d, '-' || w.v || ' days') AS test_from,     -- latest test on or after this
         date(b.d, '-' || l.v || ' days') AS detect_after,  -- detection strictly after this
         date(b.d, '-' || i.v || ' days') AS due_from,      -- post-rehab tests due if opened on or before
         c.v AS ceiling
  FROM bench_param b,
       (SELECT coalesce((SELECT CAST(value AS INTEGER) FROM rule_on_d WHERE code = 'drugfree.test_window_days'), 30) AS v) w,
       (SELECT coalesce((SELECT CAST(value AS INTEGER) FROM rule_on_d WHERE code = 'drugfree.community_addict_ceiling'), 10) AS v) c,
       (SELECT coalesce((SELECT CAST(value AS INTEGER) FROM rule_on_d WHERE code = 'drugfree.detection_lookback_days'), 365) AS v) l,
       (SELECT coalesce((SELECT CAST(value AS INTEGER) FROM rule_on_d WHERE code = 'test.periodic_interval_days'), 90) AS v) i
),
root AS (
  -- the unit with that code in force on D, else the most recently valid (as `pcmt eval` resolves it)
  SELECT o.id
  FROM org_unit o, bench_param b
  WHERE o.code = b.root_code
  ORDER BY ((o.valid_from IS NULL OR o.valid_from <= b.d) AND (o.valid_to IS NULL OR o.valid_to >= b.d)) DESC,
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
  FROM tree t, params p
  WHERE t.kind = 'commune'
    AND (t.valid_from IS NULL OR t.valid_from <= p.d) AND (t.valid_to IS NULL OR t.valid_to >= p.d)
),
held AS MATERIALIZED (
  -- each resident's classifications on D, records, and the kind of treatment active on D
  SELECT pe.id AS pid, pe.residence_ou AS cid,
         EXISTS (SELECT 1 FROM classification k WHERE k.person_id = pe.id AND k.kind = 'addict'
                 AND k.date_from <= p.d AND (k.date_to IS NULL OR k.date_to >= p.d)) AS a,
         -- two lookups, not kind IN (...): see the note on SQLite 3.40.1 at the top
         (EXISTS (SELECT 1 FROM classification k WHERE k.person_id = pe.id AND k.kind = 'illegal_user'
                  AND k.date_from <= p.d AND (k.date_to IS NULL OR k.date_to >= p.d))
          OR EXISTS (SELECT 1 FROM classification k WHERE k.person_id = pe.id AND k.kind = 'psychosis'
                     AND k.date_from <= p.d AND (k.date_to IS NULL OR k.date_to >= p.d))) AS u,
         EXISTS (SELECT 1 FROM classification k WHERE k.person_id = pe.id AND k.kind = 'post_rehab'
                 AND k.date_from <= p.d AND (k.date_to IS NULL OR k.date_to >= p.d)) AS pr,
         EXISTS (SELECT 1 FROM classification k WHERE k.person_id = pe.id AND k.kind = 'released'
                 AND k.date_from <= p.d AND (k.date_to IS NULL OR k.date_to >= p.d)) AS rel
  FROM person pe JOIN commune c ON pe.residence_ou = c.id, params p
),
facts AS MATERIALIZED (
  SELECT h.pid, h.cid, h.a, h.u, h.pr,
         -- any open management record (criteria 1 and 2)
         CASE WHEN h.a OR h.u THEN
           EXISTS (SELECT 1 FROM mgmt_record m WHERE m.person_id = h.pid
                   AND m.opened <= p.d AND (m.closed IS NULL OR m.closed > p.d)) END AS rec,
         -- kind of the treatment active on D that started last (criterion 1)
         CASE WHEN h.a THEN
           (SELECT t.kind FROM treatment t WHERE t.person_id = h.pid AND t.start_date <= p.d
              AND (t.end_date IS NULL OR t.end_date >= p.d) AND t.outcome <> 'died'
            ORDER BY t.start_date DESC, t.kind IN ('compulsory_facility', 'voluntary_facility') DESC,
                     coalesce(t.end_date, '9999-12-31') DESC, t.id DESC LIMIT 1) END AS tx,
         -- the latest test on or before D lies in [D - window, D] and is negative (criteria 1 and 2)
         CASE WHEN h.a OR h.u THEN
           coalesce((SELECT x.test_date >= p.test_from AND x.result = 'negative'
                     FROM drug_test x WHERE x.person_id = h.pid AND x.test_date <= p.d
                     ORDER BY x.test_date DESC,
                              CASE x.result WHEN 'positive' THEN 2 WHEN 'invalid' THEN 1 ELSE 0 END DESC,
                              x.id DESC LIMIT 1), 0) END AS test_ok,
         -- opening date of the open post-rehabilitation record that opened last (criterion 3)
         CASE WHEN h.pr AND NOT h.a THEN
           (SELECT max(m.opened) FROM mgmt_record m WHERE m.person_id = h.pid AND m.kind = 'post_rehab'
              AND m.opened <= p.d AND (m.closed IS NULL OR m.closed > p.d)) END AS pr_opened,
         -- detection of a person holding no classification (criterion 1 or 2)
         CASE WHEN NOT (h.a OR h.u OR h.pr OR h.rel) THEN
           EXISTS (SELECT 1 FROM determination e WHERE e.person_id = h.pid AND e.result = 'addicted'
                   AND e.det_date > p.detect_after AND e.det_date <= p.d) END AS det_addicted,
         CASE WHEN NOT (h.a OR h.u OR h.pr OR h.rel) THEN
           EXISTS (SELECT 1 FROM drug_test x WHERE x.person_id = h.pid AND x.result = 'positive'
                   AND x.test_date > p.detect_after AND x.test_date <= p.d) END AS det_positive
  FROM held h, params p
  WHERE h.a OR h.u OR h.pr OR NOT h.rel
),
verdict AS (
  -- per person: counts toward the commune and whether the person fails each criterion
  SELECT f.pid, f.cid, f.a,
         f.a AND (f.tx IS NULL OR f.tx NOT IN ('compulsory_facility', 'voluntary_facility')) AS in_community,
         (f.a AND (NOT f.rec OR f.tx IS NULL
                   OR (f.tx NOT IN ('compulsory_facility', 'voluntary_facility') AND NOT f.test_ok))
          OR coalesce(f.det_addicted, 0)) AS fail_1,
         (NOT f.a AND f.u AND (NOT f.rec OR NOT f.test_ok)
          OR (NOT coalesce(f.det_addicted, 0) AND coalesce(f.det_positive, 0))) AS fail_2,
         (NOT f.a AND f.pr AND
          (f.pr_opened IS NULL
           OR (f.pr_opened <= p.due_from
               AND NOT (EXISTS (SELECT 1 FROM drug_test x WHERE x.person_id = f.pid AND x.kind = 'periodic'
                                AND x.test_date >= f.pr_opened AND x.test_date <= p.d)
                        AND EXISTS (SELECT 1 FROM drug_test x WHERE x.person_id = f.pid AND x.kind = 'sudden'
                                    AND x.test_date >= f.pr_opened AND x.test_date <= p.d)))
           OR NOT EXISTS (SELECT 1 FROM support s WHERE s.person_id = f.pid
                          AND s.support_date >= f.pr_opened AND s.support_date <= p.d))) AS fail_3
  FROM facts f, params p
)
SELECT c.id AS commune_id, o.code,
       NOT (coalesce(max(v.fail_1), 0) OR coalesce(sum(v.in_community), 0) >= p.ceiling
            OR coalesce(max(v.fail_2), 0) OR coalesce(max(v.fail_3), 0)) AS drug_free,
       NOT (coalesce(max(v.fail_1), 0) OR coalesce(sum(v.in_community), 0) >= p.ceiling) AS criterion_1,
       NOT coalesce(max(v.fail_2), 0) AS criterion_2,
       NOT coalesce(max(v.fail_3), 0) AS criterion_3,
       coalesce(sum(v.a), 0) AS addicts,
       coalesce(sum(v.in_community), 0) AS addicts_in_community
FROM commune c JOIN org_unit o ON o.id = c.id CROSS JOIN params p
LEFT JOIN verdict v ON v.cid = c.id
GROUP BY c.id;

SELECT 'phase', 'output';
SELECT commune_id, code, drug_free, criterion_1, criterion_2, criterion_3, addicts, addicts_in_community
FROM temp.drugfree_sql ORDER BY code;
SELECT 'total', count(*), sum(drug_free) FROM temp.drugfree_sql;
