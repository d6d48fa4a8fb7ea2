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

/* m5: scale-out readiness (docs/deployment.md). Every table gets province_code, the code of the
 * province its row belongs to, with the same meaning as in sqlite_schema.c m5, maintained by
 * BEFORE triggers (a value given on insert is kept: pcmt copy brings it along). The tables that grow
 * with the country -- persons, their records, and the operations records -- are keyed by
 * (id, province_code), and a person's records reference (person_id, province_code) ON UPDATE
 * CASCADE: distributing them by province (Citus create_distributed_table(..., 'province_code'))
 * then co-locates a person with every record of theirs, and splitting the database per province is
 * a WHERE clause. Org units, facilities, plans, targets, custom indicators, the rulebook and
 * succession links stay keyed by id: they are small and every province reads them (reference
 * tables). A person who moves to another province takes their records along through the cascade;
 * a unit moved to another province takes everything under it (org_unit_moved). */
#define PROV_COL(t) "ALTER TABLE " t " ADD COLUMN province_code " TXT " NOT NULL DEFAULT '';"
#define PROV_IDX(t) "CREATE INDEX " t "_province ON " t "(province_code, id);"
#define PROV_TRIGGER(t, fn, cols) \
	"CREATE TRIGGER " t "_province BEFORE INSERT OR UPDATE OF " cols " ON " t " FOR EACH ROW EXECUTE FUNCTION " fn "();"
/* the body of a BEFORE trigger function setting NEW.province_code to expr (kept when given on insert) */
#define PROV_FN(name, expr) \
	"CREATE FUNCTION " name "() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN" \
	"  IF TG_OP = 'INSERT' AND NEW.province_code <> '' THEN RETURN NEW; END IF;" \
	"  NEW.province_code := " expr "; RETURN NEW; END $f$;"
/* key a table by (id, province_code) */
#define PROV_KEY(t) "ALTER TABLE " t " DROP CONSTRAINT " t "_pkey, ADD PRIMARY KEY (id, province_code);"
#define EVENT_FK(t) "ALTER TABLE " t " DROP CONSTRAINT " t "_person_id_fkey;"
#define EVENT_REF(t) "ALTER TABLE " t " ADD CONSTRAINT " t "_person_fkey FOREIGN KEY (person_id, province_code)" \
	" REFERENCES person (id, province_code) ON UPDATE CASCADE;"
#define EVENT_FILL(t) "UPDATE " t " SET province_code = pcmt_person_province(person_id);"
#define OU_FILL(t) "UPDATE " t " SET province_code = pcmt_ou_province(ou_id);"

static const char m5[] =
	/* the fill below changes no fact a live snapshot holds: not logged (and no trigger event may
	 * be pending when the keys are altered) */
	"SET LOCAL pcmt.bulk = 'on';"
	PROV_COL("org_unit")
	PROV_COL("org_unit_link")
	PROV_COL("rule")
	PROV_COL("custom_indicator")
	PROV_COL("plan")
	PROV_COL("plan_target")
	PROV_COL("facility")
	PROV_COL("person")
	PROV_COL("classification")
	PROV_COL("determination")
	PROV_COL("mgmt_record")
	PROV_COL("drug_test")
	PROV_COL("treatment")
	PROV_COL("support")
	PROV_COL("ou_population")
	PROV_COL("hotspot")
	PROV_COL("drug_case")
	PROV_COL("plant_site")
	PROV_COL("communication_activity")
	/* fill, parents before children */
	"CREATE FUNCTION pcmt_ou_province(ou bigint) RETURNS text LANGUAGE sql STABLE AS"
	" $f$ SELECT coalesce((SELECT province_code FROM org_unit WHERE id = ou), '') $f$;"
	"CREATE FUNCTION pcmt_person_province(pid bigint) RETURNS text LANGUAGE sql STABLE AS"
	" $f$ SELECT coalesce((SELECT province_code FROM person WHERE id = pid), '') $f$;"
	"UPDATE org_unit u SET province_code = coalesce((SELECT p.code FROM org_unit p WHERE p.kind = 'province'"
	"  AND p.path <> '' AND starts_with(u.path, p.path)), '');"
	"UPDATE org_unit_link SET province_code = pcmt_ou_province(from_id);"
	OU_FILL("facility") OU_FILL("ou_population") OU_FILL("hotspot") OU_FILL("drug_case") OU_FILL("plant_site")
	OU_FILL("communication_activity")
	"UPDATE plan SET province_code = pcmt_ou_province(scope_ou);"
	"UPDATE plan_target t SET province_code = CASE WHEN t.scope_ou IS NOT NULL THEN pcmt_ou_province(t.scope_ou)"
	"  ELSE coalesce((SELECT pl.province_code FROM plan pl WHERE pl.id = t.plan_id), '') END;"
	"UPDATE person SET province_code = pcmt_ou_province(residence_ou);"
	EVENT_FILL("classification") EVENT_FILL("determination") EVENT_FILL("mgmt_record") EVENT_FILL("drug_test")
	EVENT_FILL("treatment") EVENT_FILL("support")
	/* indexes after the fill */
	PROV_IDX("org_unit")
	"CREATE INDEX org_unit_kind ON org_unit(kind);"
	"CREATE INDEX org_unit_link_province ON org_unit_link(province_code);"
	"CREATE INDEX rule_province ON rule(province_code);"
	PROV_IDX("custom_indicator") PROV_IDX("plan") PROV_IDX("plan_target") PROV_IDX("facility") PROV_IDX("person")
	PROV_IDX("classification") PROV_IDX("determination") PROV_IDX("mgmt_record") PROV_IDX("drug_test")
	PROV_IDX("treatment") PROV_IDX("support") PROV_IDX("ou_population") PROV_IDX("hotspot") PROV_IDX("drug_case")
	PROV_IDX("plant_site") PROV_IDX("communication_activity")
	/* keys: person-level and operations tables by (id, province_code) */
	EVENT_FK("classification") EVENT_FK("determination") EVENT_FK("mgmt_record") EVENT_FK("drug_test")
	EVENT_FK("treatment") EVENT_FK("support")
	PROV_KEY("person")
	PROV_KEY("classification") PROV_KEY("determination") PROV_KEY("mgmt_record") PROV_KEY("treatment")
	PROV_KEY("support")
	"ALTER TABLE drug_test DROP CONSTRAINT drug_test_pkey, ADD PRIMARY KEY (id, test_date, province_code);"
	EVENT_REF("classification") EVENT_REF("determination") EVENT_REF("mgmt_record") EVENT_REF("drug_test")
	EVENT_REF("treatment") EVENT_REF("support")
	PROV_KEY("ou_population") PROV_KEY("hotspot") PROV_KEY("drug_case") PROV_KEY("plant_site")
	PROV_KEY("communication_activity")
	"ALTER TABLE ou_population DROP CONSTRAINT ou_population_ou_id_year_key,"
	" ADD CONSTRAINT ou_population_ou_id_year_key UNIQUE (ou_id, year, province_code);"
	/* maintenance */
	PROV_FN("pcmt_prov_unit", "CASE WHEN NEW.kind = 'province' THEN NEW.code ELSE pcmt_ou_province(NEW.parent_id) END")
	PROV_FN("pcmt_prov_ou_id", "pcmt_ou_province(NEW.ou_id)")
	PROV_FN("pcmt_prov_residence", "pcmt_ou_province(NEW.residence_ou)")
	PROV_FN("pcmt_prov_event", "pcmt_person_province(NEW.person_id)")
	PROV_FN("pcmt_prov_plan", "pcmt_ou_province(NEW.scope_ou)")
	PROV_FN("pcmt_prov_target", "CASE WHEN NEW.scope_ou IS NOT NULL THEN pcmt_ou_province(NEW.scope_ou)"
				    " ELSE coalesce((SELECT pl.province_code FROM plan pl WHERE pl.id = NEW.plan_id), '') END")
	PROV_FN("pcmt_prov_link", "pcmt_ou_province(NEW.from_id)")
	PROV_TRIGGER("org_unit", "pcmt_prov_unit", "parent_id, kind, code")
	PROV_TRIGGER("org_unit_link", "pcmt_prov_link", "from_id")
	PROV_TRIGGER("facility", "pcmt_prov_ou_id", "ou_id")
	PROV_TRIGGER("ou_population", "pcmt_prov_ou_id", "ou_id")
	PROV_TRIGGER("hotspot", "pcmt_prov_ou_id", "ou_id")
	PROV_TRIGGER("drug_case", "pcmt_prov_ou_id", "ou_id")
	PROV_TRIGGER("plant_site", "pcmt_prov_ou_id", "ou_id")
	PROV_TRIGGER("communication_activity", "pcmt_prov_ou_id", "ou_id")
	PROV_TRIGGER("plan", "pcmt_prov_plan", "scope_ou")
	PROV_TRIGGER("plan_target", "pcmt_prov_target", "scope_ou, plan_id")
	PROV_TRIGGER("person", "pcmt_prov_residence", "residence_ou")
	PROV_TRIGGER("classification", "pcmt_prov_event", "person_id")
	PROV_TRIGGER("determination", "pcmt_prov_event", "person_id")
	PROV_TRIGGER("mgmt_record", "pcmt_prov_event", "person_id")
	PROV_TRIGGER("drug_test", "pcmt_prov_event", "person_id")
	PROV_TRIGGER("treatment", "pcmt_prov_event", "person_id")
	PROV_TRIGGER("support", "pcmt_prov_event", "person_id")
	/* a plan's province carries to its targets without a scope of their own */
	"CREATE FUNCTION pcmt_plan_moved() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
	"  UPDATE plan_target SET province_code = NEW.province_code WHERE plan_id = NEW.id AND scope_ou IS NULL"
	"   AND province_code IS DISTINCT FROM NEW.province_code;"
	"  RETURN NULL; END $f$;"
	"CREATE TRIGGER plan_moved AFTER UPDATE ON plan FOR EACH ROW"
	" WHEN (OLD.province_code IS DISTINCT FROM NEW.province_code) EXECUTE FUNCTION pcmt_plan_moved();"
	/* a unit's province carries to everything under it (a person's records follow by cascade).
	 * AFTER UPDATE, not UPDATE OF province_code: the column changes in a BEFORE trigger, and OF
	 * looks only at the statement's SET list. */
	"CREATE FUNCTION pcmt_org_unit_moved() RETURNS trigger LANGUAGE plpgsql AS $f$"
	"DECLARE lo text := NEW.path; hi text := left(NEW.path, -1) || '0'; p text := NEW.province_code;"
	"BEGIN"
	"  IF lo = '' THEN RETURN NULL; END IF;"
	"  UPDATE org_unit SET province_code = p WHERE path >= lo AND path < hi AND id <> NEW.id AND kind <> 'province'"
	"   AND province_code IS DISTINCT FROM p;"
	"  UPDATE person SET province_code = p WHERE province_code IS DISTINCT FROM p"
	"   AND residence_ou IN (SELECT id FROM org_unit WHERE path >= lo AND path < hi);"
	"  UPDATE facility SET province_code = p WHERE province_code IS DISTINCT FROM p"
	"   AND ou_id IN (SELECT id FROM org_unit WHERE path >= lo AND path < hi);"
	"  UPDATE ou_population SET province_code = p WHERE province_code IS DISTINCT FROM p"
	"   AND ou_id IN (SELECT id FROM org_unit WHERE path >= lo AND path < hi);"
	"  UPDATE hotspot SET province_code = p WHERE province_code IS DISTINCT FROM p"
	"   AND ou_id IN (SELECT id FROM org_unit WHERE path >= lo AND path < hi);"
	"  UPDATE drug_case SET province_code = p WHERE province_code IS DISTINCT FROM p"
	"   AND ou_id IN (SELECT id FROM org_unit WHERE path >= lo AND path < hi);"
	"  UPDATE plant_site SET province_code = p WHERE province_code IS DISTINCT FROM p"
	"   AND ou_id IN (SELECT id FROM org_unit WHERE path >= lo AND path < hi);"
	"  UPDATE communication_activity SET province_code = p WHERE province_code IS DISTINCT FROM p"
	"   AND ou_id IN (SELECT id FROM org_unit WHERE path >= lo AND path < hi);"
	"  UPDATE plan SET province_code = p WHERE province_code IS DISTINCT FROM p"
	"   AND scope_ou IN (SELECT id FROM org_unit WHERE path >= lo AND path < hi);"
	"  UPDATE plan_target SET province_code = p WHERE province_code IS DISTINCT FROM p"
	"   AND scope_ou IN (SELECT id FROM org_unit WHERE path >= lo AND path < hi);"
	"  UPDATE org_unit_link SET province_code = p WHERE province_code IS DISTINCT FROM p"
	"   AND from_id IN (SELECT id FROM org_unit WHERE path >= lo AND path < hi);"
	"  RETURN NULL;"
	"END $f$;"
	"CREATE TRIGGER org_unit_moved AFTER UPDATE ON org_unit FOR EACH ROW"
	" WHEN (OLD.province_code IS DISTINCT FROM NEW.province_code) EXECUTE FUNCTION pcmt_org_unit_moved();";

/* m6: opioid substitution clinics, the twin of sqlite_schema.c m6. Prescriptions and doses are keyed
 * like every person-level table, by (id, province_code), their references going to (id,
 * province_code) of the person, treatment and prescription with ON UPDATE CASCADE (a person's rows
 * share a province). Stock movements and reconciliations belong to the dispensing point; a dispensed
 * movement's dose may be a guest's from another province, so dose_id is checked by the store, not by
 * a foreign key. */
#define OST_PROV_MOVED \
	"CREATE FUNCTION pcmt_facility_moved_ost() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN" \
	"  UPDATE ost_stock SET province_code = NEW.province_code WHERE facility_id = NEW.id" \
	"   AND province_code IS DISTINCT FROM NEW.province_code;" \
	"  UPDATE ost_reconciliation SET province_code = NEW.province_code WHERE facility_id = NEW.id" \
	"   AND province_code IS DISTINCT FROM NEW.province_code;" \
	"  RETURN NULL; END $f$;" \
	"CREATE TRIGGER facility_moved_ost AFTER UPDATE ON facility FOR EACH ROW" \
	" WHEN (OLD.province_code IS DISTINCT FROM NEW.province_code) EXECUTE FUNCTION pcmt_facility_moved_ost();"

static const char m6[] =
	"CREATE TABLE ost_prescription ("
	"  id bigserial,"
	"  person_id bigint NOT NULL,"
	"  treatment_id bigint NOT NULL,"
	"  facility_id bigint NOT NULL REFERENCES facility(id),"
	"  medicine " TXT " NOT NULL CHECK (medicine IN ('methadone','buprenorphine')),"
	"  dose_mg bigint NOT NULL CHECK (dose_mg BETWEEN 1 AND 1000),"
	"  phase " TXT " NOT NULL CHECK (phase IN ('induction','dose_finding','maintenance','tapering')),"
	"  prescriber " TXT " NOT NULL,"
	"  valid_from date NOT NULL,"
	"  valid_to date NOT NULL,"
	"  note " TXT ","
	STAMPS ","
	"  province_code " TXT " NOT NULL DEFAULT '',"
	"  PRIMARY KEY (id, province_code),"
	"  FOREIGN KEY (person_id, province_code) REFERENCES person (id, province_code) ON UPDATE CASCADE,"
	"  FOREIGN KEY (treatment_id, province_code) REFERENCES treatment (id, province_code) ON UPDATE CASCADE);"
	"CREATE INDEX ost_prescription_person ON ost_prescription(person_id, valid_from);"
	"CREATE INDEX ost_prescription_facility ON ost_prescription(facility_id, valid_to);"
	"CREATE INDEX ost_prescription_treatment ON ost_prescription(treatment_id);"
	"CREATE INDEX ost_prescription_id ON ost_prescription(id);"

	"CREATE TABLE ost_dose ("
	"  id bigserial,"
	"  person_id bigint NOT NULL,"
	"  prescription_id bigint NOT NULL,"
	"  facility_id bigint NOT NULL REFERENCES facility(id),"
	"  home_facility_id bigint NOT NULL REFERENCES facility(id),"
	"  dose_date date NOT NULL,"
	"  dispensed_on date NOT NULL,"
	"  kind " TXT " NOT NULL CHECK (kind IN ('witnessed','take_home','guest')),"
	"  dose_mg bigint NOT NULL CHECK (dose_mg BETWEEN 1 AND 1000),"
	"  reason " TXT ","
	STAMPS ","
	"  province_code " TXT " NOT NULL DEFAULT '',"
	"  PRIMARY KEY (id, province_code),"
	"  FOREIGN KEY (person_id, province_code) REFERENCES person (id, province_code) ON UPDATE CASCADE,"
	"  FOREIGN KEY (prescription_id, province_code) REFERENCES ost_prescription (id, province_code) ON UPDATE CASCADE);"
	"CREATE UNIQUE INDEX ost_dose_day ON ost_dose(person_id, dose_date, province_code);"
	"CREATE INDEX ost_dose_home ON ost_dose(home_facility_id, dose_date);"
	"CREATE INDEX ost_dose_facility ON ost_dose(facility_id, dose_date);"
	"CREATE INDEX ost_dose_prescription ON ost_dose(prescription_id);"
	"CREATE INDEX ost_dose_id ON ost_dose(id);"

	"CREATE TABLE ost_stock ("
	"  id bigserial PRIMARY KEY,"
	"  facility_id bigint NOT NULL REFERENCES facility(id),"
	"  move_date date NOT NULL,"
	"  kind " TXT " NOT NULL CHECK (kind IN ('receipt','dispensed','waste')),"
	"  volume_ul bigint NOT NULL CHECK (volume_ul > 0),"
	"  mg_per_ml bigint NOT NULL CHECK (mg_per_ml BETWEEN 1 AND 100),"
	"  dose_id bigint,"
	"  reason " TXT ","
	"  note " TXT ","
	STAMPS ","
	"  province_code " TXT " NOT NULL DEFAULT '');"
	"CREATE INDEX ost_stock_facility ON ost_stock(facility_id, move_date);"
	"CREATE INDEX ost_stock_dose ON ost_stock(dose_id);"

	"CREATE TABLE ost_reconciliation ("
	"  id bigserial PRIMARY KEY,"
	"  facility_id bigint NOT NULL REFERENCES facility(id),"
	"  day date NOT NULL,"
	"  opening_ul bigint NOT NULL,"
	"  received_ul bigint NOT NULL,"
	"  dispensed_ul bigint NOT NULL,"
	"  waste_ul bigint NOT NULL,"
	"  counted_ul bigint NOT NULL,"
	"  expected_ul bigint NOT NULL,"
	"  difference_ul bigint NOT NULL,"
	"  flagged boolean NOT NULL,"
	"  counted_by " TXT ","
	"  note " TXT ","
	STAMPS ","
	"  province_code " TXT " NOT NULL DEFAULT '',"
	"  UNIQUE (facility_id, day));"

	PROV_IDX("ost_prescription") PROV_IDX("ost_dose") PROV_IDX("ost_stock") PROV_IDX("ost_reconciliation")
	PROV_FN("pcmt_prov_facility_id", "coalesce((SELECT f.province_code FROM facility f WHERE f.id = NEW.facility_id), '')")
	PROV_TRIGGER("ost_prescription", "pcmt_prov_event", "person_id")
	PROV_TRIGGER("ost_dose", "pcmt_prov_event", "person_id")
	PROV_TRIGGER("ost_stock", "pcmt_prov_facility_id", "facility_id")
	PROV_TRIGGER("ost_reconciliation", "pcmt_prov_facility_id", "facility_id")
	OST_PROV_MOVED
	LOG_TRIGGER("ost_prescription", "pcmt_log_event")
	LOG_TRIGGER("ost_dose", "pcmt_log_event");
/* m7: users, sessions and API tokens, and the audit log, as sqlite_schema.c m7 (timestamps as ISO
 * text there and here: the audit chain hashes the same bytes on both backends). Append-only by
 * trigger; the appender takes PG_LOCK_AUDIT so that ids, chain order and commit order agree. */
static const char m7[] =
	"CREATE TABLE app_user ("
	"  id bigserial PRIMARY KEY,"
	"  username " TXT " NOT NULL UNIQUE,"
	"  role " TXT " NOT NULL CHECK (role IN ('admin','province','district','commune','health','viewer')),"
	"  ou_id bigint REFERENCES org_unit(id),"
	"  pw_hash " TXT ","
	"  disabled bigint NOT NULL DEFAULT 0 CHECK (disabled IN (0,1)),"
	"  created_at " TXT " NOT NULL,"
	"  updated_at " TXT " NOT NULL);"
	"CREATE TABLE auth_token ("
	"  id bigserial PRIMARY KEY,"
	"  token_hash " TXT " NOT NULL UNIQUE,"
	"  user_id bigint NOT NULL REFERENCES app_user(id),"
	"  kind " TXT " NOT NULL CHECK (kind IN ('session','bearer')),"
	"  created_at " TXT " NOT NULL,"
	"  expires_at " TXT " NOT NULL,"
	"  revoked_at " TXT ","
	"  addr " TXT ");"
	"CREATE INDEX auth_token_user ON auth_token(user_id);"
	"CREATE TABLE audit_log ("
	"  id bigint PRIMARY KEY,"
	"  at " TXT " NOT NULL,"
	"  user_id bigint,"
	"  username " TXT ","
	"  action " TXT " NOT NULL,"
	"  entity " TXT ","
	"  record_id bigint,"
	"  detail " TXT ","
	"  addr " TXT ","
	"  outcome " TXT " NOT NULL,"
	"  prev_hash " TXT " NOT NULL,"
	"  hash " TXT " NOT NULL);"
	"CREATE INDEX audit_log_at ON audit_log(at);"
	"CREATE INDEX audit_log_user ON audit_log(username, at);"
	"CREATE FUNCTION pcmt_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
	"  RAISE EXCEPTION 'the audit log is append-only'; END $f$;"
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log"
	" FOR EACH ROW EXECUTE FUNCTION pcmt_audit_append_only();";

/* m8: the 2025 reform, as sqlite_schema.c m8: residence history (the periods before a person's
 * current commune), keyed and cascaded like a person's other records; succession links logged. */
static const char m8[] =
	"CREATE TABLE residence_history ("
	"  id bigserial,"
	"  person_id bigint NOT NULL,"
	"  ou_id bigint NOT NULL REFERENCES org_unit(id),"
	"  date_from date,"
	"  date_to date NOT NULL,"
	"  reason " TXT " NOT NULL CHECK (reason IN ('reform','reassigned','moved')),"
	"  province_code " TXT " NOT NULL DEFAULT '',"
	"  created_at timestamptz NOT NULL,"
	"  PRIMARY KEY (id, province_code),"
	"  CONSTRAINT residence_history_person_fkey FOREIGN KEY (person_id, province_code)"
	"   REFERENCES person (id, province_code) ON UPDATE CASCADE);"
	"CREATE INDEX residence_history_person ON residence_history(person_id, date_to);"
	"CREATE INDEX residence_history_ou ON residence_history(ou_id);"
	PROV_IDX("residence_history")
	PROV_TRIGGER("residence_history", "pcmt_prov_event", "person_id")
	LOG_TRIGGER("residence_history", "pcmt_log_event")
	LOG_TRIGGER("org_unit_link", "pcmt_log_unit");

/* Identities encrypted at rest: the twin of sqlite_schema.c m9 (see there). */
static const char m9[] =
	"ALTER TABLE person ADD COLUMN nid_index " TXT ";"
	"ALTER TABLE person ADD COLUMN key_id " TXT ";"
	"ALTER TABLE person ADD COLUMN erased_on date;"
	"CREATE UNIQUE INDEX person_nid_index ON person(nid_index);"
	"CREATE INDEX person_key ON person(key_id);"
	"CREATE TABLE person_token ("
	"  h bigint NOT NULL,"
	"  person_id bigint NOT NULL,"
	"  PRIMARY KEY (h, person_id));"
	"CREATE INDEX person_token_person ON person_token(person_id);"
	"CREATE TABLE vault_state ("
	"  id integer PRIMARY KEY CHECK (id = 1),"
	"  key_id " TXT " NOT NULL);";

/* m10: guest-dosing authorisations, the twin of sqlite_schema.c m10: a person-level table keyed and
 * referenced by (id, province_code) like ost_dose, so that it moves with its person. */
static const char m10[] =
	"CREATE TABLE ost_guest_auth ("
	"  id bigserial,"
	"  person_id bigint NOT NULL,"
	"  home_facility_id bigint NOT NULL REFERENCES facility(id),"
	"  guest_facility_id bigint NOT NULL REFERENCES facility(id),"
	"  valid_from date NOT NULL,"
	"  valid_to date NOT NULL,"
	"  issued_by " TXT " NOT NULL,"
	"  note " TXT ","
	STAMPS ","
	"  province_code " TXT " NOT NULL DEFAULT '',"
	"  PRIMARY KEY (id, province_code),"
	"  FOREIGN KEY (person_id, province_code) REFERENCES person (id, province_code) ON UPDATE CASCADE);"
	"CREATE INDEX ost_guest_auth_guest ON ost_guest_auth(guest_facility_id, valid_to);"
	"CREATE INDEX ost_guest_auth_person ON ost_guest_auth(person_id, valid_from);"
	"CREATE INDEX ost_guest_auth_id ON ost_guest_auth(id);"
	PROV_IDX("ost_guest_auth")
	PROV_TRIGGER("ost_guest_auth", "pcmt_prov_event", "person_id");

const char *const pg_migrations[] = {m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, NULL};
