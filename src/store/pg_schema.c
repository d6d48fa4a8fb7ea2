/* pg_schema.c: the PostgreSQL schema as numbered migrations, mirroring sqlite_schema.c version for
 * version: the same tables, columns, CHECK lists and indexes, in PostgreSQL's own types (date,
 * timestamptz, boolean, json, bigint). Text is COLLATE "C" so that ordering, ranges over org-unit
 * paths and LIKE behave byte for byte as in SQLite whatever the database's locale. A migration,
 * once released, never changes. tests/store/test_schema.c checks that both backends end with the
 * same tables and columns. */
#include <stddef.h>

#include "store/pg_schema.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define TXT "text COLLATE \"C\""
#define STAMPS "  version bigint NOT NULL DEFAULT 1, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL"

const struct pg_partitioned pg_partitioned[] = {{"drug_test", "test_date"}, {NULL, NULL}};

static const char m1[] =
	"CREATE TABLE org_unit ("
	"  id bigserial PRIMARY KEY,"
	"  code " TXT " NOT NULL,"
	"  name " TXT " NOT NULL,"
	"  kind " TXT " NOT NULL CHECK (kind IN ('nation','province','district','commune')),"
	"  type_name " TXT ","
	/* deferrable so that pcmt copy may load a tree whose parents come after their children */
	"  parent_id bigint REFERENCES org_unit(id) DEFERRABLE INITIALLY IMMEDIATE,"
	"  valid_from date,"
	"  valid_to date,"
	"  name_fold " TXT " NOT NULL,"
	"  path " TXT " NOT NULL DEFAULT '',"
	STAMPS ");"
	"CREATE INDEX org_unit_code ON org_unit(code);"
	"CREATE INDEX org_unit_parent ON org_unit(parent_id);"
	"CREATE INDEX org_unit_path ON org_unit(path);"
	"CREATE TABLE org_unit_link ("
	"  from_id bigint NOT NULL REFERENCES org_unit(id),"
	"  to_id bigint NOT NULL REFERENCES org_unit(id),"
	"  kind " TXT " NOT NULL CHECK (kind IN ('full','partial')),"
	"  effective date NOT NULL,"
	"  PRIMARY KEY (from_id, to_id));"
	"CREATE INDEX org_unit_link_to ON org_unit_link(to_id);"

	"CREATE TABLE facility ("
	"  id bigserial PRIMARY KEY,"
	"  name " TXT " NOT NULL,"
	"  kind " TXT " NOT NULL CHECK (kind IN ('health_station','rehab_public','rehab_private','ost_point',"
	"                                      'counselling_point','hospital')),"
	"  ou_id bigint NOT NULL REFERENCES org_unit(id),"
	"  address " TXT ","
	"  qualified boolean,"
	"  qualified_since date,"
	"  capacity bigint,"
	"  name_fold " TXT " NOT NULL,"
	STAMPS ");"
	"CREATE INDEX facility_ou ON facility(ou_id);"

	"CREATE TABLE person ("
	"  id bigserial PRIMARY KEY,"
	"  national_id " TXT " UNIQUE,"
	"  full_name " TXT " NOT NULL,"
	"  aliases " TXT ","
	"  sex " TXT " NOT NULL CHECK (sex IN ('male','female')),"
	"  dob date,"
	"  residence_ou bigint NOT NULL REFERENCES org_unit(id),"
	"  address " TXT ","
	"  phone " TXT ","
	"  occupation " TXT ","
	"  employment " TXT " CHECK (employment IN ('employed','unemployed','student','other')),"
	"  name_fold " TXT " NOT NULL,"
	STAMPS ");"
	"CREATE INDEX person_residence ON person(residence_ou);"
	"CREATE INDEX person_fold ON person(name_fold, dob);"

	"CREATE TABLE classification ("
	"  id bigserial PRIMARY KEY,"
	"  person_id bigint NOT NULL REFERENCES person(id),"
	"  kind " TXT " NOT NULL CHECK (kind IN ('addict','illegal_user','post_rehab','psychosis','released')),"
	"  date_from date NOT NULL,"
	"  date_to date,"
	"  basis " TXT ","
	STAMPS ");"
	"CREATE INDEX classification_person ON classification(person_id, date_from);"
	"CREATE INDEX classification_kind ON classification(kind, date_from);"

	"CREATE TABLE determination ("
	"  id bigserial PRIMARY KEY,"
	"  person_id bigint NOT NULL REFERENCES person(id),"
	"  det_date date NOT NULL,"
	"  facility_id bigint NOT NULL REFERENCES facility(id),"
	"  result " TXT " NOT NULL CHECK (result IN ('addicted','not_addicted')),"
	"  substance_group " TXT " CHECK (substance_group IN ('opioids','ats','cannabis','other')),"
	STAMPS ");"
	"CREATE INDEX determination_person ON determination(person_id, det_date);"

	"CREATE TABLE mgmt_record ("
	"  id bigserial PRIMARY KEY,"
	"  person_id bigint NOT NULL REFERENCES person(id),"
	"  kind " TXT " NOT NULL CHECK (kind IN ('illegal_user','post_rehab','addict')),"
	"  opened date NOT NULL,"
	"  closed date,"
	"  close_reason " TXT " CHECK (close_reason IN ('period_ended','addiction_determined','admin_measure',"
	"                                            'imprisoned','moved','died','other')),"
	"  managing_ou bigint NOT NULL REFERENCES org_unit(id),"
	"  officer " TXT ","
	STAMPS ");"
	"CREATE INDEX mgmt_record_person ON mgmt_record(person_id, opened);"
	"CREATE INDEX mgmt_record_ou ON mgmt_record(managing_ou);"

	/* The largest table (30 million rows for the nation): partitioned by year of test_date, so that
	 * a year's tests are one table to scan, index, archive or detach. A partitioned table's keys
	 * must hold the partition column, hence (id, test_date); ids stay unique through the sequence. */
	"CREATE FUNCTION pcmt_year_partition(parent text, y integer) RETURNS void LANGUAGE plpgsql AS $f$"
	"DECLARE part text := format('%s_y%s', parent, y);"
	"BEGIN"
	"  IF to_regclass(part) IS NOT NULL THEN RETURN; END IF;"
	"  PERFORM pg_advisory_xact_lock(hashtext(part));"
	"  IF to_regclass(part) IS NOT NULL THEN RETURN; END IF;"
	"  EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, parent,"
	"                 make_date(y, 1, 1), make_date(y + 1, 1, 1));"
	"END $f$;"
	"CREATE TABLE drug_test ("
	"  id bigserial,"
	"  person_id bigint NOT NULL REFERENCES person(id),"
	"  test_date date NOT NULL,"
	"  kind " TXT " NOT NULL CHECK (kind IN ('periodic','sudden','on_request','determination')),"
	"  substances json,"
	"  result " TXT " NOT NULL CHECK (result IN ('negative','positive','invalid')),"
	"  facility_id bigint REFERENCES facility(id),"
	STAMPS ","
	"  PRIMARY KEY (id, test_date)) PARTITION BY RANGE (test_date);"
	"CREATE INDEX drug_test_person ON drug_test(person_id, test_date);"
	"CREATE INDEX drug_test_id ON drug_test(id);"

	"CREATE TABLE treatment ("
	"  id bigserial PRIMARY KEY,"
	"  person_id bigint NOT NULL REFERENCES person(id),"
	"  kind " TXT " NOT NULL CHECK (kind IN ('compulsory_facility','voluntary_facility',"
	"                                      'voluntary_community','methadone','buprenorphine')),"
	"  facility_id bigint REFERENCES facility(id),"
	"  start_date date NOT NULL,"
	"  planned_end date,"
	"  end_date date,"
	"  outcome " TXT " NOT NULL CHECK (outcome IN ('ongoing','completed','dropped_out','relapsed',"
	"                                            'transferred','died')),"
	STAMPS ");"
	"CREATE INDEX treatment_person ON treatment(person_id, start_date);"
	"CREATE INDEX treatment_facility ON treatment(facility_id);"

	"CREATE TABLE support ("
	"  id bigserial PRIMARY KEY,"
	"  person_id bigint NOT NULL REFERENCES person(id),"
	"  kind " TXT " NOT NULL CHECK (kind IN ('counselling','vocational_training','job_placement','loan','other')),"
	"  support_date date NOT NULL,"
	"  provider " TXT ","
	"  amount_vnd bigint,"
	"  note " TXT ","
	STAMPS ");"
	"CREATE INDEX support_person ON support(person_id, support_date);";

/* The change log, PostgreSQL's way. Sequences are not transactional: numbers are taken in the order
 * transactions write, but committed in another order, so a reader that remembers "everything up to
 * seq N" could skip a smaller seq committed after it read N. The log is therefore appended at
 * COMMIT, by deferred constraint triggers, under one exclusive transaction-level advisory lock: the
 * lock is released only after the commit is visible, so seq order is commit order, and every seq
 * below a visible one is either visible or never will be (its transaction rolled back). Readers take
 * no lock and read "seq > last". Holes are normal (rollbacks), so pruning is told by a watermark
 * (change_log_pruned.upto: entries at or below it may be gone), not by a hole. The cost is that
 * commits that touch person-level data serialize their last step (the log append and the commit
 * itself); row writes, checks and index updates still run in parallel. The bulk path sets
 * pcmt.bulk = on for its session, and the triggers' WHEN clause then queues nothing. */
#define LOG_WHEN " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (current_setting('pcmt.bulk', true) IS DISTINCT FROM 'on') "
#define LOG_TRIGGER(t, fn) \
	"CREATE CONSTRAINT TRIGGER " t "_log AFTER INSERT OR UPDATE OR DELETE ON " t LOG_WHEN "EXECUTE FUNCTION " fn "('" t "');"

static const char m2[] =
	"CREATE TABLE rule ("
	"  code " TXT " NOT NULL,"
	"  value double precision NOT NULL,"
	"  unit " TXT " NOT NULL,"
	"  effective_from date NOT NULL,"
	"  confirmed boolean NOT NULL,"
	"  source " TXT " NOT NULL,"
	"  note " TXT ","
	"  PRIMARY KEY (code, effective_from));"
	"CREATE TABLE change_log ("
	"  seq bigserial PRIMARY KEY,"
	"  person_id bigint NOT NULL,"
	"  tbl " TXT " NOT NULL);"
	"CREATE TABLE change_log_pruned (upto bigint NOT NULL);"
	"INSERT INTO change_log_pruned VALUES (0);"
	"CREATE FUNCTION pcmt_log_append(pid bigint, tbl text) RETURNS void LANGUAGE plpgsql AS $f$"
	"BEGIN"
	"  PERFORM pg_advisory_xact_lock(" STR(PG_LOCK_LOG) ");"
	"  INSERT INTO change_log (person_id, tbl) VALUES (pid, tbl);"
	"END $f$;"
	"CREATE FUNCTION pcmt_log_person() RETURNS trigger LANGUAGE plpgsql AS $f$"
	"BEGIN"
	"  IF TG_OP <> 'DELETE' THEN PERFORM pcmt_log_append(NEW.id, TG_ARGV[0]); END IF;"
	"  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id <> NEW.id) THEN"
	"    PERFORM pcmt_log_append(OLD.id, TG_ARGV[0]);"
	"  END IF;"
	"  RETURN NULL;"
	"END $f$;"
	"CREATE FUNCTION pcmt_log_event() RETURNS trigger LANGUAGE plpgsql AS $f$"
	"BEGIN"
	"  IF TG_OP <> 'DELETE' THEN PERFORM pcmt_log_append(NEW.person_id, TG_ARGV[0]); END IF;"
	"  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.person_id <> NEW.person_id) THEN"
	"    PERFORM pcmt_log_append(OLD.person_id, TG_ARGV[0]);"
	"  END IF;"
	"  RETURN NULL;"
	"END $f$;"
	"CREATE FUNCTION pcmt_log_unit() RETURNS trigger LANGUAGE plpgsql AS $f$"
	"BEGIN"
	"  PERFORM pcmt_log_append(0, TG_ARGV[0]);"
	"  RETURN NULL;"
	"END $f$;"
	LOG_TRIGGER("person", "pcmt_log_person")
	LOG_TRIGGER("classification", "pcmt_log_event")
	LOG_TRIGGER("determination", "pcmt_log_event")
	LOG_TRIGGER("mgmt_record", "pcmt_log_event")
	LOG_TRIGGER("drug_test", "pcmt_log_event")
	LOG_TRIGGER("treatment", "pcmt_log_event")
	LOG_TRIGGER("support", "pcmt_log_event")
	LOG_TRIGGER("org_unit", "pcmt_log_unit")
	LOG_TRIGGER("facility", "pcmt_log_unit");

static const char m3[] =
	"CREATE TABLE plan ("
	"  id bigserial PRIMARY KEY,"
	"  code " TXT " NOT NULL UNIQUE,"
	"  title " TXT " NOT NULL,"
	"  issuing_ou bigint NOT NULL REFERENCES org_unit(id),"
	"  scope_ou bigint NOT NULL REFERENCES org_unit(id),"
	"  date_issued date,"
	"  period_from date NOT NULL,"
	"  period_to date NOT NULL,"
	"  source " TXT ","
	"  name_fold " TXT " NOT NULL,"
	STAMPS ");"
	"CREATE INDEX plan_scope ON plan(scope_ou);"
	"CREATE TABLE plan_target ("
	"  id bigserial PRIMARY KEY,"
	"  plan_id bigint NOT NULL REFERENCES plan(id),"
	"  indicator " TXT " NOT NULL,"
	"  comparator " TXT " NOT NULL CHECK (comparator IN ('>=','<=','>','<')),"
	"  value bigint NOT NULL,"
	"  unit " TXT " NOT NULL CHECK (unit IN ('percent','persons','communes','districts','provinces','facilities',"
	"                                    'records','cases','count')),"
	"  period_kind " TXT " NOT NULL CHECK (period_kind IN ('year','quarter','month','plan')),"
	"  deadline date NOT NULL,"
	"  baseline_value bigint,"
	"  baseline_date date,"
	"  denominator bigint CHECK (denominator > 0),"
	"  scope_ou bigint REFERENCES org_unit(id),"
	"  statement " TXT ","
	"  note " TXT ","
	STAMPS ");"
	"CREATE INDEX plan_target_plan ON plan_target(plan_id);"
	"CREATE TABLE custom_indicator ("
	"  id bigserial PRIMARY KEY,"
	"  code " TXT " NOT NULL UNIQUE,"
	"  name_vi " TXT " NOT NULL,"
	"  name_en " TXT ","
	"  expression " TXT " NOT NULL,"
	"  unit " TXT " NOT NULL CHECK (unit IN ('percent','persons','communes','districts','provinces','facilities',"
	"                                    'records','cases','count')),"
	"  description " TXT ","
	STAMPS ");";

static const char m4[] =
	/* the operations registry (src/domain/operations.c): org-unit level, each write logged as a
	 * person_id 0 entry naming its table */
	"CREATE TABLE ou_population ("
	"  id bigserial PRIMARY KEY,"
	"  ou_id bigint NOT NULL REFERENCES org_unit(id),"
	"  year integer NOT NULL CHECK (year BETWEEN 1900 AND 2200),"
	"  population bigint NOT NULL CHECK (population > 0),"
	"  source " TXT ","
	STAMPS ","
	"  UNIQUE (ou_id, year));"

	"CREATE TABLE hotspot ("
	"  id bigserial PRIMARY KEY,"
	"  kind " TXT " NOT NULL CHECK (kind IN ('use_venue','retail_point','complex_area')),"
	"  ou_id bigint NOT NULL REFERENCES org_unit(id),"
	"  address " TXT ","
	"  description " TXT ","
	"  discovered date NOT NULL,"
	"  venue_kind " TXT " CHECK (venue_kind IN ('motel','hotel','bar','karaoke','private_house','rented_room','eatery',"
	"                                        'open_ground','other')),"
	"  status_history json NOT NULL,"
	"  status " TXT " NOT NULL CHECK (status IN ('active','under_transformation','eliminated')),"
	STAMPS ");"
	"CREATE INDEX hotspot_ou ON hotspot(ou_id, discovered);"

	"CREATE TABLE drug_case ("
	"  id bigserial PRIMARY KEY,"
	"  case_number " TXT " NOT NULL UNIQUE,"
	"  detected date NOT NULL,"
	"  ou_id bigint NOT NULL REFERENCES org_unit(id),"
	"  detecting_force " TXT " NOT NULL CHECK (detecting_force IN ('police','border_guard','customs','coast_guard')),"
	"  route " TXT " NOT NULL CHECK (route IN ('land_border','sea','air','postal_express','cyberspace','inland')),"
	"  organised boolean,"
	"  transnational boolean,"
	"  suspects bigint NOT NULL CHECK (suspects >= 0),"
	"  ringleaders bigint CHECK (ringleaders >= 0),"
	"  seizures json,"
	"  stages json,"
	"  person_ids json,"
	"  note " TXT ","
	STAMPS ");"
	"CREATE INDEX drug_case_ou ON drug_case(ou_id, detected);"

	"CREATE TABLE plant_site ("
	"  id bigserial PRIMARY KEY,"
	"  ou_id bigint NOT NULL REFERENCES org_unit(id),"
	"  location " TXT ","
	"  plant " TXT " CHECK (plant IN ('opium_poppy','cannabis','coca','other')),"
	"  detected date NOT NULL,"
	"  area_m2 bigint NOT NULL CHECK (area_m2 >= 0),"
	"  plant_count bigint NOT NULL CHECK (plant_count >= 0),"
	"  eradicated date,"
	"  replanted boolean,"
	"  note " TXT ","
	STAMPS ");"
	"CREATE INDEX plant_site_ou ON plant_site(ou_id, detected);"

	"CREATE TABLE communication_activity ("
	"  id bigserial PRIMARY KEY,"
	"  activity_date date NOT NULL,"
	"  ou_id bigint NOT NULL REFERENCES org_unit(id),"
	"  form " TXT " NOT NULL CHECK (form IN ('rally','mobile_propaganda','posters_banners','social_networks',"
	"                                     'school_session','police_listen_forum','household_commitment',"
	"                                     'loudspeaker','meeting','other')),"
	"  audience " TXT " CHECK (audience IN ('general_public','students','youth','workers','households',"
	"                                    'users_families','community_leaders','officials','other')),"
	"  participants bigint CHECK (participants >= 0),"
	"  commitments_signed bigint CHECK (commitments_signed >= 0),"
	"  title " TXT ","
	STAMPS ");"
	"CREATE INDEX communication_activity_ou ON communication_activity(ou_id, activity_date);"
	LOG_TRIGGER("ou_population", "pcmt_log_unit")
	LOG_TRIGGER("hotspot", "pcmt_log_unit")
	LOG_TRIGGER("drug_case", "pcmt_log_unit")
	LOG_TRIGGER("plant_site", "pcmt_log_unit")
	LOG_TRIGGER("communication_activity", "pcmt_log_unit");

const char *const pg_migrations[] = {m1, m2, m3, m4, NULL};
