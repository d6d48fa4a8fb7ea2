/* entity.c: the registry's entities, their enums, and generic validation driven by the descriptors.
 * Entity-specific rules (an end date after its start, a national ID that agrees with sex and date of
 * birth) live in each entity's check hook below; they are pure and take "today" from ent_ctx. */
#include "domain/entity.h"

#include <stdlib.h>
#include <string.h>

#include "domain/nid.h"
#include "util/date.h"
#include "util/text.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define ENUM(var, nm, arr) const struct enum_def var = {nm, arr, N(arr)}

/* ---- enums ---------------------------------------------------------------------------------- */

static const struct enum_val v_ou_kind[] = {
	{"nation", "Quốc gia", "Nation"},
	{"province", "Tỉnh/thành phố", "Province/city"},
	{"district", "Quận/huyện/thị xã/thành phố thuộc tỉnh", "District/town/provincial city"},
	{"commune", "Xã/phường/thị trấn/đặc khu", "Commune/ward/township/special zone"}};
ENUM(en_ou_kind, "ou_kind", v_ou_kind);

static const struct enum_val v_sex[] = {{"male", "Nam", "Male"}, {"female", "Nữ", "Female"}};
ENUM(en_sex, "sex", v_sex);

static const struct enum_val v_facility_kind[] = {
	{"health_station", "Trạm y tế xã", "Commune health station"},
	{"rehab_public", "Cơ sở cai nghiện công lập", "Public rehabilitation facility"},
	{"rehab_private", "Cơ sở cai nghiện tư nhân", "Private rehabilitation facility"},
	{"ost_point", "Cơ sở điều trị methadone/buprenorphine", "Methadone/buprenorphine dispensing point"},
	{"counselling_point", "Điểm tư vấn, hỗ trợ cai nghiện", "Counselling point"},
	{"hospital", "Bệnh viện", "Hospital"}};
ENUM(en_facility_kind, "facility_kind", v_facility_kind);

static const struct enum_val v_classification[] = {
	{"addict", "Người nghiện ma túy", "Drug addict"},
	{"illegal_user", "Người sử dụng trái phép chất ma túy", "Illegal drug user"},
	{"post_rehab", "Người sau cai nghiện", "Person after rehabilitation"},
	{"psychosis", "Người có biểu hiện loạn thần", "Person with psychosis signs"},
	{"released", "Người chấp hành xong án phạt tù về ma túy", "Released from a drug-related sentence"}};
ENUM(en_classification, "classification", v_classification);

static const struct enum_val v_det_result[] = {
	{"addicted", "Nghiện ma túy", "Addicted"},
	{"not_addicted", "Không nghiện", "Not addicted"}};
ENUM(en_det_result, "determination_result", v_det_result);

static const struct enum_val v_substance_group[] = {
	{"opioids", "Nhóm thuốc phiện (opioid)", "Opioids"},
	{"ats", "Ma túy tổng hợp dạng amphetamine", "Amphetamine-type/synthetic"},
	{"cannabis", "Cần sa", "Cannabis"},
	{"other", "Khác", "Other"}};
ENUM(en_substance_group, "substance_group", v_substance_group);

static const struct enum_val v_record_kind[] = {
	{"illegal_user", "Quản lý người sử dụng trái phép", "Illegal-user management"},
	{"post_rehab", "Quản lý sau cai nghiện", "Post-rehabilitation management"},
	{"addict", "Quản lý người nghiện", "Addict management"}};
ENUM(en_record_kind, "record_kind", v_record_kind);

static const struct enum_val v_record_close[] = {
	{"period_ended", "Hết thời hạn quản lý", "Management period ended"},
	{"addiction_determined", "Được xác định nghiện", "Addiction determined"},
	{"admin_measure", "Áp dụng biện pháp xử lý hành chính khác", "Another administrative measure"},
	{"imprisoned", "Chấp hành án phạt tù", "Imprisoned"},
	{"moved", "Chuyển nơi cư trú", "Moved away"},
	{"died", "Chết", "Died"},
	{"other", "Lý do khác", "Other"}};
ENUM(en_record_close, "record_close_reason", v_record_close);

static const struct enum_val v_test_kind[] = {
	{"periodic", "Định kỳ", "Periodic"},
	{"sudden", "Đột xuất", "Sudden"},
	{"on_request", "Theo yêu cầu", "On request"},
	{"determination", "Phục vụ xác định tình trạng nghiện", "For determination"}};
ENUM(en_test_kind, "test_kind", v_test_kind);

static const struct enum_val v_test_result[] = {
	{"negative", "Âm tính", "Negative"},
	{"positive", "Dương tính", "Positive"},
	{"invalid", "Không xác định", "Invalid"}};
ENUM(en_test_result, "test_result", v_test_result);

static const struct enum_val v_substance[] = {
	{"opioids", "Opiat (morphin, heroin)", "Opiates (morphine, heroin)"},
	{"methamphetamine", "Methamphetamine", "Methamphetamine"},
	{"amphetamine", "Amphetamine", "Amphetamine"},
	{"mdma", "MDMA (thuốc lắc)", "MDMA (ecstasy)"},
	{"ketamine", "Ketamine", "Ketamine"},
	{"cannabis", "Cần sa (THC)", "Cannabis (THC)"},
	{"cocaine", "Cocaine", "Cocaine"},
	{"methadone", "Methadone", "Methadone"},
	{"buprenorphine", "Buprenorphine", "Buprenorphine"},
	{"other", "Chất khác", "Other"}};
ENUM(en_substance, "substance", v_substance);

static const struct enum_val v_treatment_kind[] = {
	{"compulsory_facility", "Cai nghiện bắt buộc tại cơ sở", "Compulsory, at a facility"},
	{"voluntary_facility", "Cai nghiện tự nguyện tại cơ sở", "Voluntary, at a facility"},
	{"voluntary_community", "Cai nghiện tự nguyện tại gia đình, cộng đồng", "Voluntary, at home/community"},
	{"methadone", "Điều trị thay thế bằng methadone", "Methadone substitution"},
	{"buprenorphine", "Điều trị thay thế bằng buprenorphine", "Buprenorphine substitution"}};
ENUM(en_treatment_kind, "treatment_kind", v_treatment_kind);

static const struct enum_val v_treatment_outcome[] = {
	{"ongoing", "Đang điều trị", "Ongoing"},
	{"completed", "Hoàn thành", "Completed"},
	{"dropped_out", "Bỏ điều trị", "Dropped out"},
	{"relapsed", "Tái nghiện", "Relapsed"},
	{"transferred", "Chuyển cơ sở", "Transferred"},
	{"died", "Chết", "Died"}};
ENUM(en_treatment_outcome, "treatment_outcome", v_treatment_outcome);

static const struct enum_val v_support_kind[] = {
	{"counselling", "Tư vấn", "Counselling"},
	{"vocational_training", "Dạy nghề", "Vocational training"},
	{"job_placement", "Giới thiệu việc làm", "Job placement"},
	{"loan", "Vay vốn", "Loan"},
	{"other", "Hỗ trợ khác", "Other"}};
ENUM(en_support_kind, "support_kind", v_support_kind);

static const struct enum_val v_employment[] = {
	{"employed", "Có việc làm", "Employed"},
	{"unemployed", "Không có việc làm", "Unemployed"},
	{"student", "Học sinh, sinh viên", "Student"},
	{"other", "Khác", "Other"}};
ENUM(en_employment, "employment", v_employment);

/* ---- shared checks -------------------------------------------------------------------------- */

static int32_t jdate(json_t *rec, const char *k)
{
	int32_t d;
	const char *s = json_string_value(json_object_get(rec, k));

	return s && date_parse(s, &d) == 0 ? d : DATE_NONE;
}

static const char *jstr(json_t *rec, const char *k)
{
	return json_string_value(json_object_get(rec, k));
}

/* end (if any) must not precede start. */
static int order2(json_t *rec, const char *start, const char *end, struct pcmt_err *err)
{
	int32_t a = jdate(rec, start), b = jdate(rec, end);

	if (a != DATE_NONE && b != DATE_NONE && b < a)
		return err_set(err, ERR_INVALID, end, "%s must not be before %s", end, start);
	return 0;
}

static int fold_into(json_t *rec, const char *dst, const char *a, const char *b, struct pcmt_err *err)
{
	const char *sa = jstr(rec, a), *sb = b ? jstr(rec, b) : NULL;
	char *joined, *f;
	size_t la = sa ? strlen(sa) : 0, lb = sb ? strlen(sb) : 0;

	joined = malloc(la + lb + 2);
	if (!joined)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	snprintf(joined, la + lb + 2, "%s%s%s", sa ? sa : "", sb ? " " : "", sb ? sb : "");
	f = text_fold(joined);
	free(joined);
	if (!f)
		return err_set(err, ERR_INVALID, a, "text is not valid UTF-8");
	json_object_set_new(rec, dst, json_string(f));
	free(f);
	return 0;
}

/* ---- org units ------------------------------------------------------------------------------ */

static const struct field_def f_orgunits[] = {
	{"code", FT_TEXT, F_REQUIRED | F_FILTER, 16, 0, 0, 0, "Mã", "Code"},
	{"name", FT_TEXT, F_REQUIRED, 200, 0, 0, 0, "Tên", "Name"},
	{"kind", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_ou_kind, 0, 0, "Cấp", "Level"},
	{"type_name", FT_TEXT, 0, 64, 0, 0, 0, "Loại", "Type"},
	{"parent_id", FT_OU, F_FILTER, 0, 0, 0, 0, "Đơn vị cấp trên", "Parent"},
	{"valid_from", FT_DATE, F_FUTURE_OK, 0, 0, 0, 0, "Hiệu lực từ", "Valid from"},
	{"valid_to", FT_DATE, F_FUTURE_OK, 0, 0, 0, 0, "Hiệu lực đến", "Valid to"},
	{"name_fold", FT_TEXT, F_DERIVED | F_HIDDEN, 400, 0, 0, 0, 0, 0}};

static int check_orgunit(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	const char *code = jstr(rec, "code");

	for (const char *p = code; p && *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '-' || *p == '_'))
			return err_set(err, ERR_INVALID, "code", "code may contain only letters, digits, '-' and '_'");
	return order2(rec, "valid_from", "valid_to", err);
}

static int derive_name(json_t *rec, struct pcmt_err *err)
{
	return fold_into(rec, "name_fold", "name", NULL, err);
}

const struct entity_def ent_orgunits = {
	"orgunits", "org_unit", "Đơn vị hành chính", "Org units", E_ORGUNIT, f_orgunits, N(f_orgunits),
	"t.id", "t.kind, t.code, t.id", check_orgunit, derive_name};

/* ---- facilities ----------------------------------------------------------------------------- */

static const struct field_def f_facilities[] = {
	{"name", FT_TEXT, F_REQUIRED, 200, 0, 0, 0, "Tên cơ sở", "Name"},
	{"kind", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_facility_kind, 0, 0, "Loại cơ sở", "Kind"},
	{"ou_id", FT_OU, F_REQUIRED | F_FILTER, 0, 0, 0, 0, "Địa bàn", "Org unit"},
	{"address", FT_TEXT, 0, 300, 0, 0, 0, "Địa chỉ", "Address"},
	{"qualified", FT_BOOL, F_FILTER, 0, 0, 0, 0, "Đủ điều kiện xác định tình trạng nghiện",
	 "Qualified to determine addiction"},
	{"qualified_since", FT_DATE, 0, 0, 0, 0, 0, "Đủ điều kiện từ ngày", "Qualified since"},
	{"capacity", FT_INT, 0, 0, 0, 0, 0, "Công suất", "Capacity"},
	{"name_fold", FT_TEXT, F_DERIVED | F_HIDDEN, 400, 0, 0, 0, 0, 0}};

static int check_facility(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	if (jstr(rec, "qualified_since") && !json_is_true(json_object_get(rec, "qualified")))
		return err_set(err, ERR_INVALID, "qualified_since", "qualified_since needs qualified to be true");
	return 0;
}

const struct entity_def ent_facilities = {
	"facilities", "facility", "Cơ sở", "Facilities", 0, f_facilities, N(f_facilities),
	"t.ou_id", "t.name_fold", check_facility, derive_name};

/* ---- persons -------------------------------------------------------------------------------- */

static const struct field_def f_persons[] = {
	{"national_id", FT_TEXT, F_IDENT | F_UNIQUE | F_FILTER, 12, 0, 0, 0, "Số định danh/CCCD", "National ID"},
	{"full_name", FT_TEXT, F_REQUIRED | F_IDENT, 200, 0, 0, 0, "Họ và tên", "Full name"},
	{"aliases", FT_TEXT, F_IDENT, 300, 0, 0, 0, "Tên gọi khác", "Aliases"},
	{"sex", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_sex, 0, 0, "Giới tính", "Sex"},
	{"dob", FT_DATE, 0, 0, 0, 0, 0, "Ngày sinh", "Date of birth"},
	{"residence_ou", FT_OU, F_REQUIRED | F_FILTER, 0, 0, 0, "commune", "Nơi cư trú (xã/phường)",
	 "Residence (commune)"},
	{"address", FT_TEXT, F_IDENT, 300, 0, 0, 0, "Địa chỉ", "Address"},
	{"phone", FT_TEXT, F_IDENT, 20, 0, 0, 0, "Số điện thoại", "Phone"},
	{"occupation", FT_TEXT, 0, 100, 0, 0, 0, "Nghề nghiệp", "Occupation"},
	{"employment", FT_ENUM, 0, 0, &en_employment, 0, 0, "Tình trạng việc làm", "Employment"},
	/* Sealed at rest (store/vault.h): the store replaces name_fold with the folded name's blind
	 * index and fills nid_index and key_id; they never leave the store. */
	{"name_fold", FT_TEXT, F_DERIVED | F_HIDDEN, 600, 0, 0, 0, 0, 0},
	{"nid_index", FT_TEXT, F_DERIVED | F_HIDDEN, 32, 0, 0, 0, 0, 0},
	{"key_id", FT_TEXT, F_DERIVED | F_HIDDEN, 16, 0, 0, 0, 0, 0}};

static int check_person(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	int32_t dob = jdate(rec, "dob");
	const char *nid = jstr(rec, "national_id"), *phone = jstr(rec, "phone");
	int digits = 0;

	if (dob != DATE_NONE && dob < date_from_ymd(1900, 1, 1))
		return err_set(err, ERR_INVALID, "dob", "date of birth before 1900 is not plausible");
	if (nid && nid_check(nid, jstr(rec, "sex"), dob, NULL, "national_id", err))
		return -1;
	for (const char *p = phone; p && *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p != '+' && *p != ' ' && *p != '.' && *p != '-')
			return err_set(err, ERR_INVALID, "phone", "phone may contain only digits, spaces, '+', '.' and '-'");
	}
	if (phone && (digits < 8 || digits > 15))
		return err_set(err, ERR_INVALID, "phone", "phone must have 8 to 15 digits");
	return 0;
}

static int derive_person(json_t *rec, struct pcmt_err *err)
{
	return fold_into(rec, "name_fold", "full_name", "aliases", err);
}

const struct entity_def ent_persons = {
	"persons", "person", "Đối tượng quản lý", "Persons", E_PERSONAL, f_persons, N(f_persons),
	/* by id: names are sealed, so the database cannot sort by them */
	"t.residence_ou", "t.id", check_person, derive_person};

/* ---- person events -------------------------------------------------------------------------- */

#define PERSON_REF {"person_id", FT_REF, F_REQUIRED | F_FILTER, 0, 0, "persons", 0, "Đối tượng", "Person"}
#define EVENT_OU ENT_EVENT_OU

static const struct field_def f_classifications[] = {
	PERSON_REF,
	{"kind", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_classification, 0, 0, "Phân loại", "Classification"},
	{"date_from", FT_DATE, F_REQUIRED, 0, 0, 0, 0, "Từ ngày", "From"},
	{"date_to", FT_DATE, F_FUTURE_OK, 0, 0, 0, 0, "Đến ngày", "To"},
	{"basis", FT_TEXT, 0, 300, 0, 0, 0, "Căn cứ", "Basis"}};

static int check_classification(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	return order2(rec, "date_from", "date_to", err);
}

const struct entity_def ent_classifications = {
	"classifications", "classification", "Phân loại đối tượng", "Classifications", E_PERSONAL,
	f_classifications, N(f_classifications), EVENT_OU, "t.person_id, t.date_from, t.id",
	check_classification, NULL};

static const struct field_def f_determinations[] = {
	PERSON_REF,
	{"det_date", FT_DATE, F_REQUIRED, 0, 0, 0, 0, "Ngày xác định", "Date"},
	{"facility_id", FT_REF, F_REQUIRED | F_FILTER, 0, 0, "facilities", 0, "Cơ sở xác định", "Facility"},
	{"result", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_det_result, 0, 0, "Kết quả", "Result"},
	{"substance_group", FT_ENUM, 0, 0, &en_substance_group, 0, 0, "Nhóm chất chính", "Main substance group"}};

static int check_determination(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	const char *r = jstr(rec, "result");

	if (r && !strcmp(r, "addicted") && !jstr(rec, "substance_group"))
		return err_set(err, ERR_INVALID, "substance_group", "an addicted result needs the main substance group");
	return 0;
}

const struct entity_def ent_determinations = {
	"determinations", "determination", "Xác định tình trạng nghiện", "Addiction-status determinations",
	E_PERSONAL, f_determinations, N(f_determinations), EVENT_OU, "t.person_id, t.det_date, t.id",
	check_determination, NULL};

static const struct field_def f_records[] = {
	PERSON_REF,
	{"kind", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_record_kind, 0, 0, "Loại hồ sơ", "Record kind"},
	{"opened", FT_DATE, F_REQUIRED, 0, 0, 0, 0, "Ngày lập", "Opened"},
	{"closed", FT_DATE, 0, 0, 0, 0, 0, "Ngày kết thúc", "Closed"},
	{"close_reason", FT_ENUM, 0, 0, &en_record_close, 0, 0, "Lý do kết thúc", "Why closed"},
	{"managing_ou", FT_OU, F_REQUIRED | F_FILTER, 0, 0, 0, 0, "Đơn vị quản lý", "Managing org unit"},
	{"officer", FT_TEXT, 0, 100, 0, 0, 0, "Cán bộ phụ trách", "Responsible officer"}};

static int check_record(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	int closed = jstr(rec, "closed") != NULL, reason = jstr(rec, "close_reason") != NULL;

	if (closed && !reason)
		return err_set(err, ERR_INVALID, "close_reason", "a closed record needs the reason it was closed");
	if (!closed && reason)
		return err_set(err, ERR_INVALID, "closed", "close_reason given but the record has no closing date");
	return order2(rec, "opened", "closed", err);
}

const struct entity_def ent_records = {
	"records", "mgmt_record", "Hồ sơ quản lý", "Management records", E_PERSONAL, f_records,
	N(f_records), EVENT_OU, "t.person_id, t.opened, t.id", check_record, NULL};

static const struct field_def f_tests[] = {
	PERSON_REF,
	{"test_date", FT_DATE, F_REQUIRED, 0, 0, 0, 0, "Ngày xét nghiệm", "Test date"},
	{"kind", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_test_kind, 0, 0, "Hình thức", "Kind"},
	{"substances", FT_JSON, 0, 4096, 0, 0, 0, "Kết quả theo chất", "Per-substance results"},
	{"result", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_test_result, 0, 0, "Kết quả chung", "Overall result"},
	{"facility_id", FT_REF, 0, 0, 0, "facilities", 0, "Nơi xét nghiệm", "Facility"}};

static int check_test(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	json_t *subs = json_object_get(rec, "substances"), *it;
	const char *overall = jstr(rec, "result");
	size_t i;
	int pos = 0, neg = 0, n = 0;
	char f[64];

	if (!subs || json_is_null(subs))
		return 0;
	if (!json_is_array(subs))
		return err_set(err, ERR_INVALID, "substances", "substances must be a list of {substance, result}");
	if (json_array_size(subs) > 20)
		return err_set(err, ERR_INVALID, "substances", "at most 20 substances per test");
	json_array_foreach(subs, i, it) {
		const char *s = jstr(it, "substance"), *r = jstr(it, "result");

		snprintf(f, sizeof(f), "substances[%zu]", i);
		if (!json_is_object(it) || json_object_size(it) != 2 || !s || !r)
			return err_set(err, ERR_INVALID, f, "each entry must be exactly {\"substance\": ..., \"result\": ...}");
		if (!enum_find(&en_substance, s))
			return err_set(err, ERR_INVALID, f, "unknown substance");
		if (!enum_find(&en_test_result, r))
			return err_set(err, ERR_INVALID, f, "result must be negative, positive or invalid");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(jstr(json_array_get(subs, j), "substance"), s))
				return err_set(err, ERR_INVALID, f, "substance listed twice");
		pos += !strcmp(r, "positive");
		neg += !strcmp(r, "negative");
		n++;
	}
	if (overall && pos && strcmp(overall, "positive"))
		return err_set(err, ERR_INVALID, "result", "a substance tested positive, so the overall result must be positive");
	if (overall && n && neg == n && strcmp(overall, "negative"))
		return err_set(err, ERR_INVALID, "result", "every substance tested negative, so the overall result must be negative");
	return 0;
}

const struct entity_def ent_tests = {
	"tests", "drug_test", "Xét nghiệm ma túy", "Drug tests", E_PERSONAL, f_tests, N(f_tests),
	EVENT_OU, "t.person_id, t.test_date, t.id", check_test, NULL};

static const struct field_def f_treatments[] = {
	PERSON_REF,
	{"kind", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_treatment_kind, 0, 0, "Hình thức điều trị", "Treatment form"},
	{"facility_id", FT_REF, F_FILTER, 0, 0, "facilities", 0, "Cơ sở", "Facility"},
	{"start_date", FT_DATE, F_REQUIRED, 0, 0, 0, 0, "Ngày bắt đầu", "Start"},
	{"planned_end", FT_DATE, F_FUTURE_OK, 0, 0, 0, 0, "Ngày dự kiến kết thúc", "Planned end"},
	{"end_date", FT_DATE, 0, 0, 0, 0, 0, "Ngày kết thúc", "End"},
	{"outcome", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_treatment_outcome, 0, 0, "Kết quả", "Outcome"}};

static int check_treatment(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	const char *kind = jstr(rec, "kind"), *outcome = jstr(rec, "outcome");
	int ended = jstr(rec, "end_date") != NULL;

	if (kind && strcmp(kind, "voluntary_community") && json_is_null(json_object_get(rec, "facility_id")))
		return err_set(err, ERR_INVALID, "facility_id", "treatment of this form needs the facility");
	if (outcome && !strcmp(outcome, "ongoing") && ended)
		return err_set(err, ERR_INVALID, "outcome", "an ended treatment cannot be ongoing");
	if (outcome && strcmp(outcome, "ongoing") && strcmp(outcome, "transferred") && !ended)
		return err_set(err, ERR_INVALID, "end_date", "outcome %s needs the end date", outcome);
	if (order2(rec, "start_date", "planned_end", err))
		return -1;
	return order2(rec, "start_date", "end_date", err);
}

const struct entity_def ent_treatments = {
	"treatments", "treatment", "Điều trị, cai nghiện", "Treatment episodes", E_PERSONAL, f_treatments,
	N(f_treatments), EVENT_OU, "t.person_id, t.start_date, t.id", check_treatment, NULL};

static const struct field_def f_support[] = {
	PERSON_REF,
	{"kind", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_support_kind, 0, 0, "Hình thức hỗ trợ", "Support"},
	{"support_date", FT_DATE, F_REQUIRED, 0, 0, 0, 0, "Ngày", "Date"},
	{"provider", FT_TEXT, 0, 200, 0, 0, 0, "Đơn vị hỗ trợ", "Provider"},
	{"amount_vnd", FT_MONEY, 0, 0, 0, 0, 0, "Số tiền (VNĐ)", "Amount (VND)"},
	{"note", FT_TEXT, 0, 300, 0, 0, 0, "Ghi chú", "Note"}};

static int check_support(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	const char *kind = jstr(rec, "kind");
	json_t *amt = json_object_get(rec, "amount_vnd");

	if (kind && !strcmp(kind, "loan") && !json_is_integer(amt))
		return err_set(err, ERR_INVALID, "amount_vnd", "a loan needs its amount in VND");
	if (json_is_integer(amt) && json_integer_value(amt) == 0 && kind && !strcmp(kind, "loan"))
		return err_set(err, ERR_INVALID, "amount_vnd", "a loan amount must be more than 0");
	return 0;
}

const struct entity_def ent_support = {
	"support", "support", "Hỗ trợ tái hòa nhập", "Reintegration support", E_PERSONAL, f_support,
	N(f_support), EVENT_OU, "t.person_id, t.support_date, t.id", check_support, NULL};

const struct entity_def *const ent_all[] = {
	&ent_orgunits, &ent_facilities, &ent_persons, &ent_classifications, &ent_determinations,
	&ent_records, &ent_tests, &ent_treatments, &ent_support, &ent_plans, &ent_targets, &ent_custom_indicators,
	&ent_populations, &ent_hotspots, &ent_cases, &ent_plant_sites, &ent_communication,
	&ent_ost_prescriptions, &ent_ost_doses, &ent_ost_stock, &ent_ost_reconciliations, &ent_ost_guest_auths, NULL};

/* ---- generic validation --------------------------------------------------------------------- */

const struct entity_def *ent_find(const char *name)
{
	for (int i = 0; ent_all[i]; i++)
		if (!strcmp(ent_all[i]->name, name))
			return ent_all[i];
	return NULL;
}

const struct field_def *ent_field(const struct entity_def *e, const char *name)
{
	for (int i = 0; i < e->nfields; i++)
		if (!strcmp(e->fields[i].name, name))
			return &e->fields[i];
	return NULL;
}

const struct enum_val *enum_find(const struct enum_def *en, const char *code)
{
	for (int i = 0; code && i < en->n; i++)
		if (!strcmp(en->vals[i].code, code))
			return &en->vals[i];
	return NULL;
}

/* Keys a client may send back unchanged from a GET; they are not fields. */
static int meta_key(const char *k)
{
	return !strcmp(k, "id") || !strcmp(k, "version") || !strcmp(k, "created_at") ||
	       !strcmp(k, "updated_at");
}

static const char *type_word(enum fld_type t)
{
	switch (t) {
	case FT_TEXT: return "a string";
	case FT_INT: case FT_MONEY: return "a whole number";
	case FT_DATE: return "a date (YYYY-MM-DD or DD/MM/YYYY)";
	case FT_ENUM: return "one of the listed codes";
	case FT_BOOL: return "true or false";
	case FT_REF: return "the id (a whole number) of an existing record";
	case FT_OU: return "an org-unit id or code";
	case FT_JSON: return "a list";
	}
	return "a value";
}

json_t *ent_value(const struct field_def *f, const struct ent_ctx *ctx, json_t *v, struct pcmt_err *err)
{
	int32_t d;
	char buf[DATE_BUFSZ], *s, *nfc;
	json_t *out;

	switch (f->type) {
	case FT_TEXT:
		if (!json_is_string(v))
			break;
		if (!text_valid(json_string_value(v), json_string_length(v))) {
			err_set(err, ERR_INVALID, f->name, "%s contains invalid UTF-8 or control characters", f->name);
			return NULL;
		}
		s = strdup(json_string_value(v));
		nfc = s ? text_nfc(text_trim(s)) : NULL;
		free(s);
		if (!nfc) {
			err_set(err, ERR_INTERNAL, f->name, "out of memory");
			return NULL;
		}
		if (f->max_len && (int)strlen(nfc) > f->max_len) {
			free(nfc);
			err_set(err, ERR_INVALID, f->name, "%s is longer than %d bytes", f->name, f->max_len);
			return NULL;
		}
		out = nfc[0] ? json_string(nfc) : json_null();
		free(nfc);
		return out;
	case FT_INT:
	case FT_MONEY:
	case FT_REF:
		if (!json_is_integer(v))
			break;
		if (f->type == FT_REF && json_integer_value(v) <= 0) {
			err_set(err, ERR_INVALID, f->name, "%s must be a positive id", f->name);
			return NULL;
		}
		if (!(f->flags & F_SIGNED) && json_integer_value(v) < 0) {
			err_set(err, ERR_INVALID, f->name, "%s must not be negative", f->name);
			return NULL;
		}
		if (json_integer_value(v) > 1000000000000000LL) {
			err_set(err, ERR_INVALID, f->name, "%s is too large", f->name);
			return NULL;
		}
		return json_integer(json_integer_value(v));
	case FT_DATE:
		if (!json_is_string(v))
			break;
		if (date_parse(json_string_value(v), &d)) {
			err_set(err, ERR_INVALID, f->name, "%s is not a valid date (YYYY-MM-DD or DD/MM/YYYY)", f->name);
			return NULL;
		}
		if (!(f->flags & F_FUTURE_OK) && ctx && d > ctx->today) {
			err_set(err, ERR_INVALID, f->name, "%s is in the future", f->name);
			return NULL;
		}
		return json_string(date_format(d, buf));
	case FT_ENUM:
		if (!json_is_string(v))
			break;
		if (!enum_find(f->en, json_string_value(v))) {
			char list[200] = "";
			size_t n = 0;

			for (int i = 0; i < f->en->n && n < sizeof(list) - 40; i++)
				n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "", f->en->vals[i].code);
			err_set(err, ERR_INVALID, f->name, "%s must be one of: %s", f->name, list);
			return NULL;
		}
		return json_string(json_string_value(v));
	case FT_BOOL:
		if (!json_is_boolean(v))
			break;
		return json_boolean(json_is_true(v));
	case FT_OU:
		if (json_is_integer(v) && json_integer_value(v) > 0)
			return json_integer(json_integer_value(v));
		if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= 16)
			return json_string(json_string_value(v));
		break;
	case FT_JSON:
		if (!json_is_array(v))
			break;
		{
			char *dump = json_dumps(v, JSON_COMPACT);
			size_t n = dump ? strlen(dump) : 0;

			free(dump);
			if (f->max_len && (int)n > f->max_len) {
				err_set(err, ERR_INVALID, f->name, "%s is too large", f->name);
				return NULL;
			}
		}
		return json_deep_copy(v);
	}
	err_set(err, ERR_INVALID, f->name, "%s must be %s", f->name, type_word(f->type));
	return NULL;
}

static int finish(const struct entity_def *e, const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	for (int i = 0; i < e->nfields; i++) {
		const struct field_def *f = &e->fields[i];
		json_t *v = json_object_get(rec, f->name);

		if ((f->flags & F_REQUIRED) && (!v || json_is_null(v)))
			return err_set(err, ERR_INVALID, f->name, "%s is required", f->name);
	}
	if (e->check && e->check(ctx, rec, err))
		return -1;
	if (e->derive && e->derive(rec, err))
		return -1;
	return 0;
}

int ent_validate(const struct entity_def *e, const struct ent_ctx *ctx, json_t *in, int partial,
		 json_t **out, struct pcmt_err *err)
{
	json_t *rec = NULL, *v;
	const char *k;
	int rc = -1;

	*out = NULL;
	if (!json_is_object(in))
		return err_set(err, ERR_BAD_REQUEST, NULL, "the body must be a JSON object");
	json_object_foreach(in, k, v) {
		const struct field_def *f = ent_field(e, k);

		if (meta_key(k))
			continue;
		if (!f || (f->flags & F_DERIVED))
			return err_set(err, ERR_INVALID, k, "unknown field for %s", e->name);
	}
	if (!(rec = json_object()))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (int i = 0; i < e->nfields; i++) {
		const struct field_def *f = &e->fields[i];
		json_t *nv;

		if (f->flags & F_DERIVED)
			continue;
		v = json_object_get(in, f->name);
		if (!v) {
			if (!partial)
				json_object_set_new(rec, f->name, json_null());
			continue;
		}
		if (json_is_null(v)) {
			nv = json_null();
		} else if (!(nv = ent_value(f, ctx, v, err))) {
			goto out;
		}
		json_object_set_new(rec, f->name, nv);
	}
	if (!partial && finish(e, ctx, rec, err))
		goto out;
	*out = rec;
	rec = NULL;
	rc = 0;
out:
	json_decref(rec);
	return rc;
}

int ent_merge(const struct entity_def *e, const struct ent_ctx *ctx, json_t *base, json_t *patch,
	      json_t **out, struct pcmt_err *err)
{
	json_t *rec = json_object();

	*out = NULL;
	if (!rec)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (int i = 0; i < e->nfields; i++) {
		const struct field_def *f = &e->fields[i];
		json_t *v = json_object_get(patch, f->name);

		if (f->flags & F_DERIVED)
			continue;
		if (!v)
			v = json_object_get(base, f->name);
		json_object_set(rec, f->name, v ? v : json_null());
	}
	if (finish(e, ctx, rec, err)) {
		json_decref(rec);
		return -1;
	}
	*out = rec;
	return 0;
}
