/* sqlite_schema.c: the SQLite schema as numbered migrations. A migration, once released, never
 * changes: a new need is a new migration. The SQL stays close to what PostgreSQL accepts (TEXT dates
 * in ISO form, INTEGER ids, CHECK lists for enums) so that the PostgreSQL twin mirrors it line by
 * line. tests/store checks that every entity descriptor field has its column. */
#include <stddef.h>

#include "store/sqlite_schema.h"

static const char m1[] =
	"CREATE TABLE org_unit ("
	"  id INTEGER PRIMARY KEY,"
	"  code TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('nation','province','district','commune')),"
	"  type_name TEXT,"
	"  parent_id INTEGER REFERENCES org_unit(id),"
	"  valid_from TEXT,"
	"  valid_to TEXT,"
	"  name_fold TEXT NOT NULL,"
	"  path TEXT NOT NULL DEFAULT '',"  /* '/1/40/417/' ids root..self: subtree = path prefix */
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX org_unit_code ON org_unit(code);"
	"CREATE INDEX org_unit_parent ON org_unit(parent_id);"
	"CREATE INDEX org_unit_path ON org_unit(path);"
	"CREATE TABLE org_unit_link ("
	"  from_id INTEGER NOT NULL REFERENCES org_unit(id),"
	"  to_id INTEGER NOT NULL REFERENCES org_unit(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('full','partial')),"
	"  effective TEXT NOT NULL,"
	"  PRIMARY KEY (from_id, to_id));"
	"CREATE INDEX org_unit_link_to ON org_unit_link(to_id);"

	"CREATE TABLE facility ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('health_station','rehab_public','rehab_private','ost_point',"
	"                                      'counselling_point','hospital')),"
	"  ou_id INTEGER NOT NULL REFERENCES org_unit(id),"
	"  address TEXT,"
	"  qualified INTEGER CHECK (qualified IN (0,1)),"
	"  qualified_since TEXT,"
	"  capacity INTEGER,"
	"  name_fold TEXT NOT NULL,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX facility_ou ON facility(ou_id);"

	"CREATE TABLE person ("
	"  id INTEGER PRIMARY KEY,"
	"  national_id TEXT UNIQUE,"
	"  full_name TEXT NOT NULL,"
	"  aliases TEXT,"
	"  sex TEXT NOT NULL CHECK (sex IN ('male','female')),"
	"  dob TEXT,"
	"  residence_ou INTEGER NOT NULL REFERENCES org_unit(id),"
	"  address TEXT,"
	"  phone TEXT,"
	"  occupation TEXT,"
	"  employment TEXT CHECK (employment IN ('employed','unemployed','student','other')),"
	"  name_fold TEXT NOT NULL,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX person_residence ON person(residence_ou);"
	"CREATE INDEX person_fold ON person(name_fold, dob);"

	"CREATE TABLE classification ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES person(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('addict','illegal_user','post_rehab','psychosis','released')),"
	"  date_from TEXT NOT NULL,"
	"  date_to TEXT,"
	"  basis TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX classification_person ON classification(person_id, date_from);"
	"CREATE INDEX classification_kind ON classification(kind, date_from);"

	"CREATE TABLE determination ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES person(id),"
	"  det_date TEXT NOT NULL,"
	"  facility_id INTEGER NOT NULL REFERENCES facility(id),"
	"  result TEXT NOT NULL CHECK (result IN ('addicted','not_addicted')),"
	"  substance_group TEXT CHECK (substance_group IN ('opioids','ats','cannabis','other')),"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX determination_person ON determination(person_id, det_date);"

	"CREATE TABLE mgmt_record ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES person(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('illegal_user','post_rehab','addict')),"
	"  opened TEXT NOT NULL,"
	"  closed TEXT,"
	"  close_reason TEXT CHECK (close_reason IN ('period_ended','addiction_determined','admin_measure',"
	"                                            'imprisoned','moved','died','other')),"
	"  managing_ou INTEGER NOT NULL REFERENCES org_unit(id),"
	"  officer TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX mgmt_record_person ON mgmt_record(person_id, opened);"
	"CREATE INDEX mgmt_record_ou ON mgmt_record(managing_ou);"

	"CREATE TABLE drug_test ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES person(id),"
	"  test_date TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('periodic','sudden','on_request','determination')),"
	"  substances TEXT,"  /* JSON list of {substance, result}, validated by the domain */
	"  result TEXT NOT NULL CHECK (result IN ('negative','positive','invalid')),"
	"  facility_id INTEGER REFERENCES facility(id),"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX drug_test_person ON drug_test(person_id, test_date);"

	"CREATE TABLE treatment ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES person(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('compulsory_facility','voluntary_facility',"
	"                                      'voluntary_community','methadone','buprenorphine')),"
	"  facility_id INTEGER REFERENCES facility(id),"
	"  start_date TEXT NOT NULL,"
	"  planned_end TEXT,"
	"  end_date TEXT,"
	"  outcome TEXT NOT NULL CHECK (outcome IN ('ongoing','completed','dropped_out','relapsed',"
	"                                            'transferred','died')),"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX treatment_person ON treatment(person_id, start_date);"
	"CREATE INDEX treatment_facility ON treatment(facility_id);"

	"CREATE TABLE support ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES person(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('counselling','vocational_training','job_placement','loan','other')),"
	"  support_date TEXT NOT NULL,"
	"  provider TEXT,"
	"  amount_vnd INTEGER,"
	"  note TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX support_person ON support(person_id, support_date);";

static const char m2[] =
	/* the rulebook: dated parameters (src/domain/rules.h) */
	"CREATE TABLE rule ("
	"  code TEXT NOT NULL,"
	"  value REAL NOT NULL,"
	"  unit TEXT NOT NULL,"
	"  effective_from TEXT NOT NULL,"
	"  confirmed INTEGER NOT NULL CHECK (confirmed IN (0,1)),"
	"  source TEXT NOT NULL,"
	"  note TEXT,"
	"  PRIMARY KEY (code, effective_from));"
	/* Every committed write to person-level data leaves the person's id here, in the same
	 * transaction, whoever wrote it (this server, another one, a CLI import): the live snapshot
	 * replays it to stay in step. person_id 0 marks org-unit and facility writes. */
	"CREATE TABLE change_log ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  person_id INTEGER NOT NULL,"
	"  tbl TEXT NOT NULL);"
	"CREATE TRIGGER person_ai AFTER INSERT ON person BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.id, 'person'); END;"
	"CREATE TRIGGER person_au AFTER UPDATE ON person BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.id, 'person'); INSERT INTO change_log (person_id, tbl) SELECT OLD.id, 'person' WHERE OLD.id <> NEW.id; END;"
	"CREATE TRIGGER person_ad AFTER DELETE ON person BEGIN INSERT INTO change_log (person_id, tbl) VALUES (OLD.id, 'person'); END;"
	"CREATE TRIGGER classification_ai AFTER INSERT ON classification BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, 'classification'); END;"
	"CREATE TRIGGER classification_au AFTER UPDATE ON classification BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, 'classification'); INSERT INTO change_log (person_id, tbl) SELECT OLD.person_id, 'classification' WHERE OLD.person_id <> NEW.person_id; END;"
	"CREATE TRIGGER classification_ad AFTER DELETE ON classification BEGIN INSERT INTO change_log (person_id, tbl) VALUES (OLD.person_id, 'classification'); END;"
	"CREATE TRIGGER determination_ai AFTER INSERT ON determination BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, 'determination'); END;"
	"CREATE TRIGGER determination_au AFTER UPDATE ON determination BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, 'determination'); INSERT INTO change_log (person_id, tbl) SELECT OLD.person_id, 'determination' WHERE OLD.person_id <> NEW.person_id; END;"
	"CREATE TRIGGER determination_ad AFTER DELETE ON determination BEGIN INSERT INTO change_log (person_id, tbl) VALUES (OLD.person_id, 'determination'); END;"
	"CREATE TRIGGER mgmt_record_ai AFTER INSERT ON mgmt_record BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, 'mgmt_record'); END;"
	"CREATE TRIGGER mgmt_record_au AFTER UPDATE ON mgmt_record BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, 'mgmt_record'); INSERT INTO change_log (person_id, tbl) SELECT OLD.person_id, 'mgmt_record' WHERE OLD.person_id <> NEW.person_id; END;"
	"CREATE TRIGGER mgmt_record_ad AFTER DELETE ON mgmt_record BEGIN INSERT INTO change_log (person_id, tbl) VALUES (OLD.person_id, 'mgmt_record'); END;"
	"CREATE TRIGGER drug_test_ai AFTER INSERT ON drug_test BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, 'drug_test'); END;"
	"CREATE TRIGGER drug_test_au AFTER UPDATE ON drug_test BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, 'drug_test'); INSERT INTO change_log (person_id, tbl) SELECT OLD.person_id, 'drug_test' WHERE OLD.person_id <> NEW.person_id; END;"
	"CREATE TRIGGER drug_test_ad AFTER DELETE ON drug_test BEGIN INSERT INTO change_log (person_id, tbl) VALUES (OLD.person_id, 'drug_test'); END;"
	"CREATE TRIGGER treatment_ai AFTER INSERT ON treatment BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, 'treatment'); END;"
	"CREATE TRIGGER treatment_au AFTER UPDATE ON treatment BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, 'treatment'); INSERT INTO change_log (person_id, tbl) SELECT OLD.person_id, 'treatment' WHERE OLD.person_id <> NEW.person_id; END;"
	"CREATE TRIGGER treatment_ad AFTER DELETE ON treatment BEGIN INSERT INTO change_log (person_id, tbl) VALUES (OLD.person_id, 'treatment'); END;"
	"CREATE TRIGGER support_ai AFTER INSERT ON support BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, 'support'); END;"
	"CREATE TRIGGER support_au AFTER UPDATE ON support BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, 'support'); INSERT INTO change_log (person_id, tbl) SELECT OLD.person_id, 'support' WHERE OLD.person_id <> NEW.person_id; END;"
	"CREATE TRIGGER support_ad AFTER DELETE ON support BEGIN INSERT INTO change_log (person_id, tbl) VALUES (OLD.person_id, 'support'); END;"
	"CREATE TRIGGER org_unit_ai AFTER INSERT ON org_unit BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'org_unit'); END;"
	"CREATE TRIGGER org_unit_au AFTER UPDATE ON org_unit BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'org_unit'); END;"
	"CREATE TRIGGER org_unit_ad AFTER DELETE ON org_unit BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'org_unit'); END;"
	"CREATE TRIGGER facility_ai AFTER INSERT ON facility BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'facility'); END;"
	"CREATE TRIGGER facility_au AFTER UPDATE ON facility BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'facility'); END;"
	"CREATE TRIGGER facility_ad AFTER DELETE ON facility BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'facility'); END;";

static const char m3[] =
	/* programme plans, their targets and custom indicators (src/domain/plan.c). Not in the change
	 * log: indicator answers read them from here on every request, and the snapshot holds none. */
	"CREATE TABLE plan ("
	"  id INTEGER PRIMARY KEY,"
	"  code TEXT NOT NULL UNIQUE,"
	"  title TEXT NOT NULL,"
	"  issuing_ou INTEGER NOT NULL REFERENCES org_unit(id),"
	"  scope_ou INTEGER NOT NULL REFERENCES org_unit(id),"
	"  date_issued TEXT,"
	"  period_from TEXT NOT NULL,"
	"  period_to TEXT NOT NULL,"
	"  source TEXT,"
	"  name_fold TEXT NOT NULL,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX plan_scope ON plan(scope_ou);"
	"CREATE TABLE plan_target ("
	"  id INTEGER PRIMARY KEY,"
	"  plan_id INTEGER NOT NULL REFERENCES plan(id),"
	"  indicator TEXT NOT NULL,"
	"  comparator TEXT NOT NULL CHECK (comparator IN ('>=','<=','>','<')),"
	"  value INTEGER NOT NULL,"
	"  unit TEXT NOT NULL CHECK (unit IN ('percent','persons','communes','districts','provinces','facilities',"
	"                                    'records','cases','count')),"
	"  period_kind TEXT NOT NULL CHECK (period_kind IN ('year','quarter','month','plan')),"
	"  deadline TEXT NOT NULL,"
	"  baseline_value INTEGER,"
	"  baseline_date TEXT,"
	"  denominator INTEGER CHECK (denominator > 0),"
	"  scope_ou INTEGER REFERENCES org_unit(id),"
	"  statement TEXT,"
	"  note TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX plan_target_plan ON plan_target(plan_id);"
	"CREATE TABLE custom_indicator ("
	"  id INTEGER PRIMARY KEY,"
	"  code TEXT NOT NULL UNIQUE,"
	"  name_vi TEXT NOT NULL,"
	"  name_en TEXT,"
	"  expression TEXT NOT NULL,"
	"  unit TEXT NOT NULL CHECK (unit IN ('percent','persons','communes','districts','provinces','facilities',"
	"                                    'records','cases','count')),"
	"  description TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);";

static const char m4[] =
	/* the operations registry (src/domain/operations.c). Not person-level: each write leaves a
	 * person_id 0 marker with its table in the change log, and the live snapshot reloads only its
	 * operations image (engine/live.c) when nothing but these tables changed. */
	"CREATE TABLE ou_population ("
	"  id INTEGER PRIMARY KEY,"
	"  ou_id INTEGER NOT NULL REFERENCES org_unit(id),"
	"  year INTEGER NOT NULL CHECK (year BETWEEN 1900 AND 2200),"
	"  population INTEGER NOT NULL CHECK (population > 0),"
	"  source TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  UNIQUE (ou_id, year));"

	"CREATE TABLE hotspot ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL CHECK (kind IN ('use_venue','retail_point','complex_area')),"
	"  ou_id INTEGER NOT NULL REFERENCES org_unit(id),"
	"  address TEXT,"
	"  description TEXT,"
	"  discovered TEXT NOT NULL,"
	"  venue_kind TEXT CHECK (venue_kind IN ('motel','hotel','bar','karaoke','private_house','rented_room','eatery',"
	"                                        'open_ground','other')),"
	"  status_history TEXT NOT NULL,"  /* JSON list of {status, date}, validated by the domain */
	"  status TEXT NOT NULL CHECK (status IN ('active','under_transformation','eliminated')),"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX hotspot_ou ON hotspot(ou_id, discovered);"

	"CREATE TABLE drug_case ("
	"  id INTEGER PRIMARY KEY,"
	"  case_number TEXT NOT NULL UNIQUE,"
	"  detected TEXT NOT NULL,"
	"  ou_id INTEGER NOT NULL REFERENCES org_unit(id),"
	"  detecting_force TEXT NOT NULL CHECK (detecting_force IN ('police','border_guard','customs','coast_guard')),"
	"  route TEXT NOT NULL CHECK (route IN ('land_border','sea','air','postal_express','cyberspace','inland')),"
	"  organised INTEGER CHECK (organised IN (0,1)),"
	"  transnational INTEGER CHECK (transnational IN (0,1)),"
	"  suspects INTEGER NOT NULL CHECK (suspects >= 0),"
	"  ringleaders INTEGER CHECK (ringleaders >= 0),"
	"  seizures TEXT,"    /* JSON list of {substance, quantity, unit} */
	"  stages TEXT,"      /* JSON list of {stage, date, mobile_trial?} */
	"  person_ids TEXT,"  /* JSON list of person ids: links only */
	"  note TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX drug_case_ou ON drug_case(ou_id, detected);"

	"CREATE TABLE plant_site ("
	"  id INTEGER PRIMARY KEY,"
	"  ou_id INTEGER NOT NULL REFERENCES org_unit(id),"
	"  location TEXT,"
	"  plant TEXT CHECK (plant IN ('opium_poppy','cannabis','coca','other')),"
	"  detected TEXT NOT NULL,"
	"  area_m2 INTEGER NOT NULL CHECK (area_m2 >= 0),"
	"  plant_count INTEGER NOT NULL CHECK (plant_count >= 0),"
	"  eradicated TEXT,"
	"  replanted INTEGER CHECK (replanted IN (0,1)),"
	"  note TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX plant_site_ou ON plant_site(ou_id, detected);"

	"CREATE TABLE communication_activity ("
	"  id INTEGER PRIMARY KEY,"
	"  activity_date TEXT NOT NULL,"
	"  ou_id INTEGER NOT NULL REFERENCES org_unit(id),"
	"  form TEXT NOT NULL CHECK (form IN ('rally','mobile_propaganda','posters_banners','social_networks',"
	"                                     'school_session','police_listen_forum','household_commitment',"
	"                                     'loudspeaker','meeting','other')),"
	"  audience TEXT CHECK (audience IN ('general_public','students','youth','workers','households',"
	"                                    'users_families','community_leaders','officials','other')),"
	"  participants INTEGER CHECK (participants >= 0),"
	"  commitments_signed INTEGER CHECK (commitments_signed >= 0),"
	"  title TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE INDEX communication_activity_ou ON communication_activity(ou_id, activity_date);"
	"CREATE TRIGGER ou_population_ai AFTER INSERT ON ou_population BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'ou_population'); END;"
	"CREATE TRIGGER ou_population_au AFTER UPDATE ON ou_population BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'ou_population'); END;"
	"CREATE TRIGGER ou_population_ad AFTER DELETE ON ou_population BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'ou_population'); END;"
	"CREATE TRIGGER hotspot_ai AFTER INSERT ON hotspot BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'hotspot'); END;"
	"CREATE TRIGGER hotspot_au AFTER UPDATE ON hotspot BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'hotspot'); END;"
	"CREATE TRIGGER hotspot_ad AFTER DELETE ON hotspot BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'hotspot'); END;"
	"CREATE TRIGGER drug_case_ai AFTER INSERT ON drug_case BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'drug_case'); END;"
	"CREATE TRIGGER drug_case_au AFTER UPDATE ON drug_case BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'drug_case'); END;"
	"CREATE TRIGGER drug_case_ad AFTER DELETE ON drug_case BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'drug_case'); END;"
	"CREATE TRIGGER plant_site_ai AFTER INSERT ON plant_site BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'plant_site'); END;"
	"CREATE TRIGGER plant_site_au AFTER UPDATE ON plant_site BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'plant_site'); END;"
	"CREATE TRIGGER plant_site_ad AFTER DELETE ON plant_site BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'plant_site'); END;"
	"CREATE TRIGGER communication_activity_ai AFTER INSERT ON communication_activity BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'communication_activity'); END;"
	"CREATE TRIGGER communication_activity_au AFTER UPDATE ON communication_activity BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'communication_activity'); END;"
	"CREATE TRIGGER communication_activity_ad AFTER DELETE ON communication_activity BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'communication_activity'); END;";

/* m5: scale-out readiness. Every table carries the code of the province its row belongs to
 * (docs/deployment.md): an org unit its province's code ('' for the nation), a person the province
 * of residence, a person's records their person's, facilities and operations records their org
 * unit's, plans their scope's, targets their scope's or else their plan's; rules and custom
 * indicators are national (''). PostgreSQL keys its person-level and operations tables by it
 * (pg_schema.c m5), ready to be distributed by province; here it is a column kept right by the
 * triggers below, so that either backend can be split or copied into the other. A unit's province
 * changing (a district moved to another province) carries over to everything under it, found by
 * path, in one trigger (SQLite does not let a trigger fire itself again). */
#define OU_PROV(col) "coalesce((SELECT o.province_code FROM org_unit o WHERE o.id = " col "), '')"
#define PERSON_PROV(col) "coalesce((SELECT p.province_code FROM person p WHERE p.id = " col "), '')"
#define UNIT_PROV "CASE WHEN NEW.kind = 'province' THEN NEW.code ELSE " OU_PROV("NEW.parent_id") " END"
#define SUBTREE "(SELECT s.id FROM org_unit s WHERE substr(s.path, 1, length(NEW.path)) = NEW.path)"
/* sets table's province_code from expr for the row NEW.id, when it differs */
#define PROV_SET(t, expr) \
	"UPDATE " t " SET province_code = " expr " WHERE id = NEW.id AND province_code IS NOT " expr ";"
#define PROV_TRIGGERS(t, cols, expr) \
	"CREATE TRIGGER " t "_prov_ai AFTER INSERT ON " t " BEGIN " PROV_SET(t, expr) " END;" \
	"CREATE TRIGGER " t "_prov_au AFTER UPDATE OF " cols " ON " t " BEGIN " PROV_SET(t, expr) " END;"
#define ADD_COL(t) "ALTER TABLE " t " ADD COLUMN province_code TEXT NOT NULL DEFAULT '';"
#define PROV_INDEX(t) "CREATE INDEX " t "_province ON " t "(province_code, id);"
/* the change log's update triggers (m2, m4), dropped while the new column is filled */
#define AU_DROP(t) "DROP TRIGGER " t "_au;"
#define AU_EVENT(t) "CREATE TRIGGER " t "_au AFTER UPDATE ON " t " BEGIN INSERT INTO change_log (person_id, tbl)" \
	" VALUES (NEW.person_id, '" t "'); INSERT INTO change_log (person_id, tbl) SELECT OLD.person_id, '" t "'" \
	" WHERE OLD.person_id <> NEW.person_id; END;"
#define AU_UNIT(t) "CREATE TRIGGER " t "_au AFTER UPDATE ON " t " BEGIN INSERT INTO change_log (person_id, tbl)" \
	" VALUES (0, '" t "'); END;"
#define EVENT_PROV(t) PROV_INDEX(t) PROV_TRIGGERS(t, "person_id", PERSON_PROV("NEW.person_id"))
#define OU_TABLE_PROV(t) PROV_INDEX(t) PROV_TRIGGERS(t, "ou_id", OU_PROV("NEW.ou_id"))
#define TARGET_PROV \
	"CASE WHEN NEW.scope_ou IS NOT NULL THEN " OU_PROV("NEW.scope_ou") \
	" ELSE coalesce((SELECT pl.province_code FROM plan pl WHERE pl.id = NEW.plan_id), '') END"

/* Fills province_code where it is still '' (after the columns are added, and after a bulk load,
 * which runs without triggers), parents before children. */
#define PROVINCE_FILL \
	"UPDATE org_unit SET province_code = coalesce((SELECT p.code FROM org_unit p WHERE p.kind = 'province'" \
	"  AND p.path <> '' AND substr(org_unit.path, 1, length(p.path)) = p.path), '') WHERE province_code = '';" \
	"UPDATE org_unit_link SET province_code = " OU_PROV("org_unit_link.from_id") " WHERE province_code = '';" \
	"UPDATE facility SET province_code = " OU_PROV("facility.ou_id") " WHERE province_code = '';" \
	"UPDATE ou_population SET province_code = " OU_PROV("ou_population.ou_id") " WHERE province_code = '';" \
	"UPDATE hotspot SET province_code = " OU_PROV("hotspot.ou_id") " WHERE province_code = '';" \
	"UPDATE drug_case SET province_code = " OU_PROV("drug_case.ou_id") " WHERE province_code = '';" \
	"UPDATE plant_site SET province_code = " OU_PROV("plant_site.ou_id") " WHERE province_code = '';" \
	"UPDATE communication_activity SET province_code = " OU_PROV("communication_activity.ou_id") " WHERE province_code = '';" \
	"UPDATE plan SET province_code = " OU_PROV("plan.scope_ou") " WHERE province_code = '';" \
	"UPDATE plan_target SET province_code = CASE WHEN plan_target.scope_ou IS NOT NULL THEN " OU_PROV("plan_target.scope_ou") \
	"  ELSE coalesce((SELECT pl.province_code FROM plan pl WHERE pl.id = plan_target.plan_id), '') END WHERE province_code = '';" \
	"UPDATE person SET province_code = " OU_PROV("person.residence_ou") " WHERE province_code = '';" \
	"UPDATE classification SET province_code = " PERSON_PROV("classification.person_id") " WHERE province_code = '';" \
	"UPDATE determination SET province_code = " PERSON_PROV("determination.person_id") " WHERE province_code = '';" \
	"UPDATE mgmt_record SET province_code = " PERSON_PROV("mgmt_record.person_id") " WHERE province_code = '';" \
	"UPDATE drug_test SET province_code = " PERSON_PROV("drug_test.person_id") " WHERE province_code = '';" \
	"UPDATE treatment SET province_code = " PERSON_PROV("treatment.person_id") " WHERE province_code = '';" \
	"UPDATE support SET province_code = " PERSON_PROV("support.person_id") " WHERE province_code = '';"

static const char m5[] =
	ADD_COL("org_unit") ADD_COL("org_unit_link") ADD_COL("rule") ADD_COL("custom_indicator") ADD_COL("plan")
	ADD_COL("plan_target") ADD_COL("person") ADD_COL("classification") ADD_COL("determination")
	ADD_COL("mgmt_record") ADD_COL("drug_test") ADD_COL("treatment") ADD_COL("support") ADD_COL("facility")
	ADD_COL("ou_population") ADD_COL("hotspot") ADD_COL("drug_case") ADD_COL("plant_site")
	ADD_COL("communication_activity")
	/* the fill changes nothing a live snapshot holds: it goes without the change log's update
	 * triggers (a national database would otherwise log 30 million rows) and before the indexes */
	AU_DROP("person") AU_DROP("classification") AU_DROP("determination") AU_DROP("mgmt_record")
	AU_DROP("drug_test") AU_DROP("treatment") AU_DROP("support") AU_DROP("org_unit") AU_DROP("facility")
	AU_DROP("ou_population") AU_DROP("hotspot") AU_DROP("drug_case") AU_DROP("plant_site")
	AU_DROP("communication_activity")
	PROVINCE_FILL
	"CREATE TRIGGER person_au AFTER UPDATE ON person BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.id, 'person');"
	" INSERT INTO change_log (person_id, tbl) SELECT OLD.id, 'person' WHERE OLD.id <> NEW.id; END;"
	AU_EVENT("classification") AU_EVENT("determination") AU_EVENT("mgmt_record") AU_EVENT("drug_test")
	AU_EVENT("treatment") AU_EVENT("support")
	AU_UNIT("org_unit") AU_UNIT("facility") AU_UNIT("ou_population") AU_UNIT("hotspot") AU_UNIT("drug_case")
	AU_UNIT("plant_site") AU_UNIT("communication_activity")
	PROV_INDEX("org_unit")
	"CREATE INDEX org_unit_kind ON org_unit(kind);"
	"CREATE INDEX org_unit_link_province ON org_unit_link(province_code);"
	"CREATE INDEX rule_province ON rule(province_code);"
	PROV_INDEX("custom_indicator")
	PROV_INDEX("plan")
	PROV_INDEX("plan_target")
	PROV_INDEX("person")
	EVENT_PROV("classification")
	EVENT_PROV("determination")
	EVENT_PROV("mgmt_record")
	EVENT_PROV("drug_test")
	EVENT_PROV("treatment")
	EVENT_PROV("support")
	OU_TABLE_PROV("facility")
	OU_TABLE_PROV("ou_population")
	OU_TABLE_PROV("hotspot")
	OU_TABLE_PROV("drug_case")
	OU_TABLE_PROV("plant_site")
	OU_TABLE_PROV("communication_activity")
	PROV_TRIGGERS("person", "residence_ou", OU_PROV("NEW.residence_ou"))
	PROV_TRIGGERS("plan", "scope_ou", OU_PROV("NEW.scope_ou"))
	PROV_TRIGGERS("plan_target", "scope_ou, plan_id", TARGET_PROV)
	"CREATE TRIGGER org_unit_link_prov_ai AFTER INSERT ON org_unit_link BEGIN"
	"  UPDATE org_unit_link SET province_code = " OU_PROV("NEW.from_id")
	"  WHERE from_id = NEW.from_id AND to_id = NEW.to_id AND province_code IS NOT " OU_PROV("NEW.from_id") "; END;"
	PROV_TRIGGERS("org_unit", "parent_id, kind, code", UNIT_PROV)
	/* a person's province moves their records with them */
	"CREATE TRIGGER person_prov_moved AFTER UPDATE OF province_code ON person"
	" WHEN OLD.province_code IS NOT NEW.province_code BEGIN"
	"  UPDATE classification SET province_code = NEW.province_code WHERE person_id = NEW.id;"
	"  UPDATE determination SET province_code = NEW.province_code WHERE person_id = NEW.id;"
	"  UPDATE mgmt_record SET province_code = NEW.province_code WHERE person_id = NEW.id;"
	"  UPDATE drug_test SET province_code = NEW.province_code WHERE person_id = NEW.id;"
	"  UPDATE treatment SET province_code = NEW.province_code WHERE person_id = NEW.id;"
	"  UPDATE support SET province_code = NEW.province_code WHERE person_id = NEW.id; END;"
	"CREATE TRIGGER plan_prov_moved AFTER UPDATE OF province_code ON plan"
	" WHEN OLD.province_code IS NOT NEW.province_code BEGIN"
	"  UPDATE plan_target SET province_code = NEW.province_code WHERE plan_id = NEW.id AND scope_ou IS NULL; END;"
	/* a unit's province moves everything under it */
	"CREATE TRIGGER org_unit_prov_moved AFTER UPDATE OF province_code ON org_unit"
	" WHEN OLD.province_code IS NOT NEW.province_code AND NEW.path <> '' BEGIN"
	"  UPDATE org_unit SET province_code = NEW.province_code"
	"   WHERE substr(path, 1, length(NEW.path)) = NEW.path AND id <> NEW.id AND kind <> 'province';"
	"  UPDATE person SET province_code = NEW.province_code WHERE residence_ou IN " SUBTREE ";"
	"  UPDATE facility SET province_code = NEW.province_code WHERE ou_id IN " SUBTREE ";"
	"  UPDATE ou_population SET province_code = NEW.province_code WHERE ou_id IN " SUBTREE ";"
	"  UPDATE hotspot SET province_code = NEW.province_code WHERE ou_id IN " SUBTREE ";"
	"  UPDATE drug_case SET province_code = NEW.province_code WHERE ou_id IN " SUBTREE ";"
	"  UPDATE plant_site SET province_code = NEW.province_code WHERE ou_id IN " SUBTREE ";"
	"  UPDATE communication_activity SET province_code = NEW.province_code WHERE ou_id IN " SUBTREE ";"
	"  UPDATE plan SET province_code = NEW.province_code WHERE scope_ou IN " SUBTREE ";"
	"  UPDATE plan_target SET province_code = NEW.province_code WHERE scope_ou IN " SUBTREE ";"
	"  UPDATE org_unit_link SET province_code = NEW.province_code WHERE from_id IN " SUBTREE "; END;";

/* m6: opioid substitution clinics (src/domain/ost.c, docs/ost.md). Prescriptions and doses are
 * person-level (scoped by residence, logged for the live snapshot, province from their person);
 * stock movements and reconciliations belong to the dispensing point (province from its facility,
 * not logged: the snapshot holds no stock). One dose per patient and day, one reconciliation per
 * clinic and day: the indexes make a concurrent second one fail even if two requests pass the
 * checks at once. Volumes in whole µL. */
#define OST_EVENT_LOG(t) \
	"CREATE TRIGGER " t "_ai AFTER INSERT ON " t " BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, '" t "'); END;" \
	AU_EVENT(t) \
	"CREATE TRIGGER " t "_ad AFTER DELETE ON " t " BEGIN INSERT INTO change_log (person_id, tbl) VALUES (OLD.person_id, '" t "'); END;"
#define FACILITY_PROV(col) "coalesce((SELECT f.province_code FROM facility f WHERE f.id = " col "), '')"

static const char m6[] =
	"CREATE TABLE ost_prescription ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES person(id),"
	"  treatment_id INTEGER NOT NULL REFERENCES treatment(id),"
	"  facility_id INTEGER NOT NULL REFERENCES facility(id),"
	"  medicine TEXT NOT NULL CHECK (medicine IN ('methadone','buprenorphine')),"
	"  dose_mg INTEGER NOT NULL CHECK (dose_mg BETWEEN 1 AND 1000),"
	"  phase TEXT NOT NULL CHECK (phase IN ('induction','dose_finding','maintenance','tapering')),"
	"  prescriber TEXT NOT NULL,"
	"  valid_from TEXT NOT NULL,"
	"  valid_to TEXT NOT NULL,"
	"  note TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  province_code TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX ost_prescription_person ON ost_prescription(person_id, valid_from);"
	"CREATE INDEX ost_prescription_facility ON ost_prescription(facility_id, valid_to);"
	"CREATE INDEX ost_prescription_treatment ON ost_prescription(treatment_id);"

	"CREATE TABLE ost_dose ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES person(id),"
	"  prescription_id INTEGER NOT NULL REFERENCES ost_prescription(id),"
	"  facility_id INTEGER NOT NULL REFERENCES facility(id),"
	"  home_facility_id INTEGER NOT NULL REFERENCES facility(id),"
	"  dose_date TEXT NOT NULL,"
	"  dispensed_on TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('witnessed','take_home','guest')),"
	"  dose_mg INTEGER NOT NULL CHECK (dose_mg BETWEEN 1 AND 1000),"
	"  reason TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  province_code TEXT NOT NULL DEFAULT '');"
	"CREATE UNIQUE INDEX ost_dose_day ON ost_dose(person_id, dose_date);"
	"CREATE INDEX ost_dose_home ON ost_dose(home_facility_id, dose_date);"
	"CREATE INDEX ost_dose_facility ON ost_dose(facility_id, dose_date);"
	"CREATE INDEX ost_dose_prescription ON ost_dose(prescription_id);"

	"CREATE TABLE ost_stock ("
	"  id INTEGER PRIMARY KEY,"
	"  facility_id INTEGER NOT NULL REFERENCES facility(id),"
	"  move_date TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('receipt','dispensed','waste')),"
	"  volume_ul INTEGER NOT NULL CHECK (volume_ul > 0),"
	"  mg_per_ml INTEGER NOT NULL CHECK (mg_per_ml BETWEEN 1 AND 100),"
	"  dose_id INTEGER REFERENCES ost_dose(id),"
	"  reason TEXT,"
	"  note TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  province_code TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX ost_stock_facility ON ost_stock(facility_id, move_date);"
	"CREATE INDEX ost_stock_dose ON ost_stock(dose_id);"

	"CREATE TABLE ost_reconciliation ("
	"  id INTEGER PRIMARY KEY,"
	"  facility_id INTEGER NOT NULL REFERENCES facility(id),"
	"  day TEXT NOT NULL,"
	"  opening_ul INTEGER NOT NULL,"
	"  received_ul INTEGER NOT NULL,"
	"  dispensed_ul INTEGER NOT NULL,"
	"  waste_ul INTEGER NOT NULL,"
	"  counted_ul INTEGER NOT NULL,"
	"  expected_ul INTEGER NOT NULL,"
	"  difference_ul INTEGER NOT NULL,"
	"  flagged INTEGER NOT NULL CHECK (flagged IN (0,1)),"
	"  counted_by TEXT,"
	"  note TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  province_code TEXT NOT NULL DEFAULT '');"
	"CREATE UNIQUE INDEX ost_reconciliation_day ON ost_reconciliation(facility_id, day);"

	OST_EVENT_LOG("ost_prescription")
	OST_EVENT_LOG("ost_dose")
	EVENT_PROV("ost_prescription")
	EVENT_PROV("ost_dose")
	PROV_INDEX("ost_stock")
	PROV_TRIGGERS("ost_stock", "facility_id", FACILITY_PROV("NEW.facility_id"))
	PROV_INDEX("ost_reconciliation")
	PROV_TRIGGERS("ost_reconciliation", "facility_id", FACILITY_PROV("NEW.facility_id"))
	/* a person's province moves their prescriptions and doses; a facility's its stock */
	"CREATE TRIGGER person_prov_moved_ost AFTER UPDATE OF province_code ON person"
	" WHEN OLD.province_code IS NOT NEW.province_code BEGIN"
	"  UPDATE ost_prescription SET province_code = NEW.province_code WHERE person_id = NEW.id;"
	"  UPDATE ost_dose SET province_code = NEW.province_code WHERE person_id = NEW.id; END;"
	"CREATE TRIGGER facility_prov_moved_ost AFTER UPDATE OF province_code ON facility"
	" WHEN OLD.province_code IS NOT NEW.province_code BEGIN"
	"  UPDATE ost_stock SET province_code = NEW.province_code WHERE facility_id = NEW.id;"
	"  UPDATE ost_reconciliation SET province_code = NEW.province_code WHERE facility_id = NEW.id; END;";

const char sqlite_province_fill[] = PROVINCE_FILL;

const struct sqlite_province_src sqlite_province_src[] = {
	{"person", "residence_ou", "org_unit"},
	{"classification", "person_id", "person"},
	{"determination", "person_id", "person"},
	{"mgmt_record", "person_id", "person"},
	{"drug_test", "person_id", "person"},
	{"treatment", "person_id", "person"},
	{"support", "person_id", "person"},
	{"facility", "ou_id", "org_unit"},
	{"ou_population", "ou_id", "org_unit"},
	{"hotspot", "ou_id", "org_unit"},
	{"drug_case", "ou_id", "org_unit"},
	{"plant_site", "ou_id", "org_unit"},
	{"communication_activity", "ou_id", "org_unit"},
	{"plan", "scope_ou", "org_unit"},
	{"ost_prescription", "person_id", "person"},
	{"ost_dose", "person_id", "person"},
	{"ost_stock", "facility_id", "facility"},
	{"ost_reconciliation", "facility_id", "facility"},
	{"ost_guest_auth", "person_id", "person"},
	{NULL, NULL, NULL}};

/* m7: users, their sessions and API tokens, and the audit log (docs/security.md). Timestamps are
 * ISO text (YYYY-MM-DDTHH:MM:SSZ, the audit log's with milliseconds) on both backends, so that the
 * SQL in src/auth/ is the same for both and the audit chain hashes the same bytes. A token is kept
 * only as the BLAKE2b hash of the random value the client holds. The audit log is append-only:
 * triggers refuse UPDATE and DELETE (someone with the database file can drop them; the hash chain is
 * what detects that: pcmt audit verify). Its ids are given by the appender, in chain order. */
static const char m7[] =
	"CREATE TABLE app_user ("
	"  id INTEGER PRIMARY KEY,"
	"  username TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL CHECK (role IN ('admin','province','district','commune','health','viewer')),"
	"  ou_id INTEGER REFERENCES org_unit(id),"
	"  pw_hash TEXT,"
	"  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0,1)),"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL);"
	"CREATE TABLE auth_token ("
	"  id INTEGER PRIMARY KEY,"
	"  token_hash TEXT NOT NULL UNIQUE,"
	"  user_id INTEGER NOT NULL REFERENCES app_user(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('session','bearer')),"
	"  created_at TEXT NOT NULL,"
	"  expires_at TEXT NOT NULL,"
	"  revoked_at TEXT,"
	"  addr TEXT);"
	"CREATE INDEX auth_token_user ON auth_token(user_id);"
	"CREATE TABLE audit_log ("
	"  id INTEGER PRIMARY KEY,"
	"  at TEXT NOT NULL,"
	"  user_id INTEGER,"
	"  username TEXT,"
	"  action TEXT NOT NULL,"
	"  entity TEXT,"
	"  record_id INTEGER,"
	"  detail TEXT,"
	"  addr TEXT,"
	"  outcome TEXT NOT NULL,"
	"  prev_hash TEXT NOT NULL,"
	"  hash TEXT NOT NULL);"
	"CREATE INDEX audit_log_at ON audit_log(at);"
	"CREATE INDEX audit_log_user ON audit_log(username, at);"
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	" BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;";

/* m8: the 2025 reform (docs/reform.md). A person's residence is history: person.residence_ou stays
 * the current commune (what scope and every list read), and residence_history keeps the periods
 * before it, each closed (date_to) and with the reason it ended: the reform moving the residents
 * of a commune that went fully into a new one, an officer re-assigning a person of a split commune,
 * or a move. The current period starts the day after the latest date_to (or is open-ended when
 * there is none), so the two never disagree and nothing is written for persons who never moved.
 * Its province code is the person's, like every other record of theirs. Succession links enter
 * the change log so that a live snapshot reloads the org units when a reform links them. */
static const char m8[] =
	"CREATE TABLE residence_history ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES person(id),"
	"  ou_id INTEGER NOT NULL REFERENCES org_unit(id),"
	"  date_from TEXT,"
	"  date_to TEXT NOT NULL,"
	"  reason TEXT NOT NULL CHECK (reason IN ('reform','reassigned','moved')),"
	"  province_code TEXT NOT NULL DEFAULT '',"
	"  created_at TEXT NOT NULL);"
	"CREATE INDEX residence_history_person ON residence_history(person_id, date_to);"
	"CREATE INDEX residence_history_ou ON residence_history(ou_id);"
	PROV_INDEX("residence_history")
	PROV_TRIGGERS("residence_history", "person_id", PERSON_PROV("NEW.person_id"))
	"CREATE TRIGGER residence_history_ai AFTER INSERT ON residence_history BEGIN INSERT INTO change_log (person_id, tbl) VALUES (NEW.person_id, 'residence_history'); END;"
	AU_EVENT("residence_history")
	"CREATE TRIGGER residence_history_ad AFTER DELETE ON residence_history BEGIN INSERT INTO change_log (person_id, tbl) VALUES (OLD.person_id, 'residence_history'); END;"
	"CREATE TRIGGER org_unit_link_ai AFTER INSERT ON org_unit_link BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'org_unit_link'); END;"
	"CREATE TRIGGER org_unit_link_au AFTER UPDATE ON org_unit_link BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'org_unit_link'); END;"
	"CREATE TRIGGER org_unit_link_ad AFTER DELETE ON org_unit_link BEGIN INSERT INTO change_log (person_id, tbl) VALUES (0, 'org_unit_link'); END;"
	/* a person's province moves their residence history with their other records */
	"CREATE TRIGGER person_prov_moved_residence AFTER UPDATE OF province_code ON person"
	" WHEN OLD.province_code IS NOT NEW.province_code BEGIN"
	"  UPDATE residence_history SET province_code = NEW.province_code WHERE person_id = NEW.id; END;";

/* Identities encrypted at rest (store/vault.h). The sealed fields keep their columns (each now holds
 * "pv1:KEYID:..."); name_fold holds the folded name's blind index; nid_index the national ID's,
 * unique; key_id the key a row is sealed under (NULL: still plain, sealed by the store right after
 * this migration). person_token: the search tokens' blind indexes. vault_state: the key this
 * database seals new rows under (a rotation switches it first). erased_on: the day retention erased
 * the person's identifying fields. No foreign key from person_token: PostgreSQL keys person by
 * (id, province_code); the store deletes a person's tokens with the person. */
static const char m9[] =
	"ALTER TABLE person ADD COLUMN nid_index TEXT;"
	"ALTER TABLE person ADD COLUMN key_id TEXT;"
	"ALTER TABLE person ADD COLUMN erased_on TEXT;"
	"CREATE UNIQUE INDEX person_nid_index ON person(nid_index);"
	"CREATE INDEX person_key ON person(key_id);"
	"CREATE TABLE person_token ("
	"  h INTEGER NOT NULL,"
	"  person_id INTEGER NOT NULL,"
	"  PRIMARY KEY (h, person_id)) WITHOUT ROWID;"
	"CREATE INDEX person_token_person ON person_token(person_id);"
	"CREATE TABLE vault_state ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  key_id TEXT NOT NULL);";

/* m10: guest-dosing authorisations (docs/ost.md, "Guest dosing"): the patient's home clinic lets
 * another dispensing point dose the patient on the days given. Person-level like a dose (scoped by
 * the patient's residence, province from the person); the guest clinic reads one only through the
 * clinic engine, by its own id and the day. Never edited (as every clinic record). */
static const char m10[] =
	"CREATE TABLE ost_guest_auth ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES person(id),"
	"  home_facility_id INTEGER NOT NULL REFERENCES facility(id),"
	"  guest_facility_id INTEGER NOT NULL REFERENCES facility(id),"
	"  valid_from TEXT NOT NULL,"
	"  valid_to TEXT NOT NULL,"
	"  issued_by TEXT NOT NULL,"
	"  note TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1,"
	"  created_at TEXT NOT NULL,"
	"  updated_at TEXT NOT NULL,"
	"  province_code TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX ost_guest_auth_guest ON ost_guest_auth(guest_facility_id, valid_to);"
	"CREATE INDEX ost_guest_auth_person ON ost_guest_auth(person_id, valid_from);"
	EVENT_PROV("ost_guest_auth")
	"CREATE TRIGGER person_prov_moved_guest AFTER UPDATE OF province_code ON person"
	" WHEN OLD.province_code IS NOT NEW.province_code BEGIN"
	"  UPDATE ost_guest_auth SET province_code = NEW.province_code WHERE person_id = NEW.id; END;";

const char *const sqlite_migrations[] = {m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, NULL};
