/* operations.c: the operations registry's entities (operations.h): hotspots with their status history,
 * drug crime cases with seizures and stages, narcotic plant sites, communication activities and
 * org-unit populations by year. Generic validation comes from the descriptors (entity.c); the lists
 * held as FT_JSON (status history, seizures, stages, person links) are checked here, each error
 * naming the entry ("stages[2]") so that a form can point at it. */
#include "domain/operations.h"

#include <stdio.h>
#include <string.h>

#include "util/date.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define ENUM(var, nm, arr) const struct enum_def var = {nm, arr, N(arr)}

/* ---- enums ----------------------------------------------------------------------------------- */

static const struct enum_val v_hotspot_kind[] = {
	{"use_venue", "Tụ điểm, điểm tổ chức, chứa chấp sử dụng trái phép chất ma túy",
	 "Place organising or harbouring drug use"},
	{"retail_point", "Điểm bán lẻ trái phép chất ma túy", "Retail dealing spot"},
	{"complex_area", "Địa bàn phức tạp về ma túy", "Complex area"}};
ENUM(en_hotspot_kind, "hotspot_kind", v_hotspot_kind);

static const struct enum_val v_hotspot_status[] = {
	{"active", "Đang hoạt động", "Active"},
	{"under_transformation", "Đang chuyển hóa", "Under transformation"},
	{"eliminated", "Đã triệt xóa", "Eliminated"}};
ENUM(en_hotspot_status, "hotspot_status", v_hotspot_status);

static const struct enum_val v_venue_kind[] = {
	{"motel", "Nhà nghỉ", "Motel, guesthouse"},
	{"hotel", "Khách sạn", "Hotel"},
	{"bar", "Quán bar, vũ trường", "Bar, nightclub"},
	{"karaoke", "Quán karaoke", "Karaoke"},
	{"private_house", "Nhà riêng", "Private house"},
	{"rented_room", "Phòng trọ", "Rented room"},
	{"eatery", "Quán cà phê, quán ăn", "Café, eatery"},
	{"open_ground", "Bãi đất trống, nơi công cộng", "Open ground, public place"},
	{"other", "Khác", "Other"}};
ENUM(en_venue_kind, "venue_kind", v_venue_kind);

static const struct enum_val v_case_force[] = {
	{"police", "Công an", "Police"},
	{"border_guard", "Bộ đội Biên phòng", "Border Guard"},
	{"customs", "Hải quan", "Customs"},
	{"coast_guard", "Cảnh sát biển", "Coast Guard"}};
ENUM(en_case_force, "case_force", v_case_force);

static const struct enum_val v_case_route[] = {
	{"land_border", "Tuyến biên giới đường bộ", "Land border"},
	{"sea", "Tuyến biển", "Sea"},
	{"air", "Tuyến hàng không", "Air"},
	{"postal_express", "Tuyến bưu chính, chuyển phát nhanh", "Postal and express delivery"},
	{"cyberspace", "Lợi dụng không gian mạng", "Cyberspace"},
	{"inland", "Nội địa", "Inland"}};
ENUM(en_case_route, "case_route", v_case_route);

static const struct enum_val v_seized_substance[] = {
	{"heroin", "Heroin", "Heroin"},
	{"opium", "Thuốc phiện", "Opium"},
	{"methamphetamine", "Ma túy đá (methamphetamine)", "Crystal methamphetamine"},
	{"synthetic_pills", "Ma túy tổng hợp dạng viên (hồng phiến, thuốc lắc)", "Synthetic drug pills (yaba, ecstasy)"},
	{"ketamine", "Ketamine", "Ketamine"},
	{"cannabis", "Cần sa", "Cannabis"},
	{"cocaine", "Cocaine", "Cocaine"},
	{"other", "Chất ma túy khác", "Other narcotic substance"}};
ENUM(en_seized_substance, "seized_substance", v_seized_substance);

static const struct enum_val v_seized_unit[] = {{"g", "gam", "grams"}, {"pills", "viên", "pills"}};
ENUM(en_seized_unit, "seized_unit", v_seized_unit);

/* in en_seized_substance order: pills are counted, everything else weighed */
static const char *const seized_units[SZ_N] = {"g", "g", "g", "pills", "g", "g", "g", "g"};

static const struct enum_val v_case_stage[] = {
	{"detected", "Phát hiện, bắt giữ", "Detected"},
	{"prosecuted", "Khởi tố", "Prosecuted"},
	{"indicted", "Truy tố", "Indicted"},
	{"tried", "Xét xử", "Tried"}};
ENUM(en_case_stage, "case_stage", v_case_stage);

static const struct enum_val v_plant_kind[] = {
	{"opium_poppy", "Cây thuốc phiện (anh túc)", "Opium poppy"},
	{"cannabis", "Cây cần sa", "Cannabis"},
	{"coca", "Cây côca", "Coca"},
	{"other", "Cây khác có chứa chất ma túy", "Other plant containing narcotics"}};
ENUM(en_plant_kind, "plant_kind", v_plant_kind);

static const struct enum_val v_comm_form[] = {
	{"rally", "Mít tinh, diễu hành", "Rally, parade"},
	{"mobile_propaganda", "Tuyên truyền lưu động", "Mobile propaganda"},
	{"posters_banners", "Pa-nô, áp phích, băng rôn, khẩu hiệu", "Posters, billboards, banners"},
	{"social_networks", "Mạng xã hội, trang thông tin điện tử", "Social networks, web pages"},
	{"school_session", "Ngoại khóa, tuyên truyền trong trường học", "School session"},
	{"police_listen_forum", "Diễn đàn \"Công an lắng nghe ý kiến Nhân dân\"",
	 "\"Police listen to people's opinions\" forum"},
	{"household_commitment", "Ký cam kết hộ gia đình", "Household commitment signing"},
	{"loudspeaker", "Hệ thống loa truyền thanh cơ sở", "Commune loudspeaker system"},
	{"meeting", "Hội nghị, tọa đàm, nói chuyện chuyên đề", "Meeting, talk"},
	{"other", "Hình thức khác", "Other"}};
ENUM(en_comm_form, "communication_form", v_comm_form);

static const struct enum_val v_comm_audience[] = {
	{"general_public", "Toàn dân", "General public"},
	{"students", "Học sinh, sinh viên", "Pupils and students"},
	{"youth", "Thanh thiếu niên", "Young people"},
	{"workers", "Công nhân, người lao động", "Workers"},
	{"households", "Hộ gia đình", "Households"},
	{"users_families", "Người nghiện, người sử dụng và gia đình", "Users, addicts and their families"},
	{"community_leaders", "Người có uy tín, già làng, trưởng bản", "Prestigious people, village elders"},
	{"officials", "Cán bộ, đảng viên", "Officials"},
	{"other", "Đối tượng khác", "Other"}};
ENUM(en_comm_audience, "communication_audience", v_comm_audience);

const char *op_seized_unit(const char *substance)
{
	for (int i = 0; substance && i < SZ_N; i++)
		if (!strcmp(v_seized_substance[i].code, substance))
			return seized_units[i];
	return NULL;
}

/* ---- shared helpers --------------------------------------------------------------------------- */

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int32_t jdate(json_t *rec, const char *k)
{
	int32_t d;
	const char *s = jstr(rec, k);

	return s && date_parse(s, &d) == 0 ? d : DATE_NONE;
}

static int enum_ix(const struct enum_def *en, const char *code)
{
	for (int i = 0; code && i < en->n; i++)
		if (!strcmp(en->vals[i].code, code))
			return i;
	return -1;
}

/* A list entry's "date": a real date, not after today, rewritten in ISO form so that every stored
 * list reads the same however it was typed. DATE_NONE after setting err. */
static int32_t entry_date(const struct ent_ctx *ctx, json_t *it, const char *field, struct pcmt_err *err)
{
	json_t *v = json_object_get(it, "date");
	char buf[DATE_BUFSZ];
	int32_t d;

	if (!json_is_string(v) || date_parse(json_string_value(v), &d)) {
		err_set(err, ERR_INVALID, field, "%s: date must be a real date, YYYY-MM-DD or DD/MM/YYYY", field);
		return DATE_NONE;
	}
	if (ctx && d > ctx->today) {
		err_set(err, ERR_INVALID, field, "%s: the date is in the future", field);
		return DATE_NONE;
	}
	json_object_set_new(it, "date", json_string(date_format(d, buf)));
	return d;
}

/* Exactly the keys `want` (NULL-terminated), plus optional ones in `may`. */
static int keys_ok(json_t *it, const char *const *want, const char *const *may)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	if (!json_is_object(it))
		return 0;
	for (int i = 0; want[i]; i++, n++)
		if (!json_object_get(it, want[i]))
			return 0;
	json_object_foreach(it, k, v) {
		int known = 0;

		for (int i = 0; want[i]; i++)
			known |= !strcmp(k, want[i]);
		for (int i = 0; may && may[i]; i++)
			known |= !strcmp(k, may[i]);
		if (!known)
			return 0;
	}
	return json_object_size(it) >= n;
}

/* ---- hotspots --------------------------------------------------------------------------------- */

static const struct field_def f_hotspots[] = {
	{"kind", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_hotspot_kind, 0, 0, "Loại", "Kind"},
	{"ou_id", FT_OU, F_REQUIRED | F_FILTER, 0, 0, 0, "commune", "Xã, phường", "Commune"},
	{"address", FT_TEXT, 0, 300, 0, 0, 0, "Địa chỉ", "Address"},
	{"description", FT_TEXT, 0, 1000, 0, 0, 0, "Mô tả", "Description"},
	{"discovered", FT_DATE, F_REQUIRED, 0, 0, 0, 0, "Ngày phát hiện", "Date discovered"},
	{"venue_kind", FT_ENUM, F_FILTER, 0, &en_venue_kind, 0, 0, "Loại cơ sở, địa điểm", "Venue kind"},
	{"status_history", FT_JSON, F_REQUIRED, 2048, 0, 0, 0, "Diễn biến tình trạng", "Status history"},
	{"status", FT_ENUM, F_DERIVED | F_FILTER, 0, &en_hotspot_status, 0, 0, "Tình trạng hiện tại", "Current status"}};

static int check_hotspot(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	static const char *const keys[] = {"status", "date", NULL};
	json_t *h = json_object_get(rec, "status_history"), *it;
	int32_t discovered = jdate(rec, "discovered"), prev_d = DATE_NONE;
	int prev_s = -1;
	size_t i;
	char f[48];

	if (!jstr(rec, "address") && !jstr(rec, "description"))
		return err_set(err, ERR_INVALID, "address", "give the address of the place or a description of it");
	if (jstr(rec, "venue_kind") && jstr(rec, "kind") && !strcmp(jstr(rec, "kind"), "complex_area"))
		return err_set(err, ERR_INVALID, "venue_kind", "venue_kind describes a place, not a complex area");
	if (!json_is_array(h) || json_array_size(h) == 0)
		return err_set(err, ERR_INVALID, "status_history",
			       "status_history must list at least {\"status\": \"active\", \"date\": <the date discovered>}");
	if (json_array_size(h) > 10)
		return err_set(err, ERR_INVALID, "status_history", "at most 10 entries in status_history");
	json_array_foreach(h, i, it) {
		int st;
		int32_t d;

		snprintf(f, sizeof(f), "status_history[%zu]", i);
		if (!keys_ok(it, keys, NULL))
			return err_set(err, ERR_INVALID, f, "%s must be exactly {\"status\": ..., \"date\": ...}", f);
		if ((st = enum_ix(&en_hotspot_status, jstr(it, "status"))) < 0)
			return err_set(err, ERR_INVALID, f, "%s: status must be one of: active, under_transformation, eliminated",
				       f);
		if ((d = entry_date(ctx, it, f, err)) == DATE_NONE)
			return -1;
		if (i == 0 && st != HS_ACTIVE)
			return err_set(err, ERR_INVALID, f, "the history starts with status active (when the place was discovered)");
		if (i == 0 && discovered != DATE_NONE && d != discovered)
			return err_set(err, ERR_INVALID, f, "%s: the first entry (active) is dated the day the place was discovered",
				       f);
		/* a place that comes back after elimination is a new hotspot, so the history only goes forward */
		if (i > 0 && st <= prev_s)
			return err_set(err, ERR_INVALID, f, "%s: status cannot go back from %s to %s (a place active again is a "
				       "new hotspot)", f, v_hotspot_status[prev_s].code, v_hotspot_status[st].code);
		if (i > 0 && d < prev_d)
			return err_set(err, ERR_INVALID, f, "%s: dates must not decrease along the history", f);
		prev_s = st;
		prev_d = d;
	}
	return 0;
}

static int derive_hotspot(json_t *rec, struct pcmt_err *err)
{
	json_t *h = json_object_get(rec, "status_history");
	size_t n = json_array_size(h);
	const char *st = n ? jstr(json_array_get(h, n - 1), "status") : NULL;

	json_object_set_new(rec, "status", st ? json_string(st) : json_null());
	return 0;
}

const struct entity_def ent_hotspots = {
	"hotspots", "hotspot", "Tụ điểm, điểm phức tạp về ma túy", "Hotspots and complex locations", 0, f_hotspots,
	N(f_hotspots), "t.ou_id", "t.discovered, t.id", check_hotspot, derive_hotspot};

/* ---- drug crime cases ------------------------------------------------------------------------- */

static const struct field_def f_cases[] = {
	{"case_number", FT_TEXT, F_REQUIRED | F_UNIQUE | F_FILTER, 40, 0, 0, 0, "Số vụ án", "Case number"},
	{"detected", FT_DATE, F_REQUIRED, 0, 0, 0, 0, "Ngày phát hiện", "Date detected"},
	{"ou_id", FT_OU, F_REQUIRED | F_FILTER, 0, 0, 0, "commune", "Xã, phường nơi phát hiện", "Commune"},
	{"detecting_force", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_case_force, 0, 0, "Lực lượng phát hiện",
	 "Detecting force"},
	{"route", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_case_route, 0, 0, "Tuyến", "Route"},
	{"organised", FT_BOOL, F_FILTER, 0, 0, 0, 0, "Có tổ chức", "Organised"},
	{"transnational", FT_BOOL, F_FILTER, 0, 0, 0, 0, "Xuyên quốc gia", "Transnational"},
	{"suspects", FT_INT, F_REQUIRED, 0, 0, 0, 0, "Số đối tượng bị bắt", "Suspects arrested"},
	{"ringleaders", FT_INT, 0, 0, 0, 0, 0, "Số đối tượng cầm đầu", "Ringleaders"},
	{"seizures", FT_JSON, 0, 4096, 0, 0, 0, "Tang vật thu giữ", "Seizures"},
	{"stages", FT_JSON, 0, 1024, 0, 0, 0, "Tiến trình tố tụng", "Stages"},
	{"person_ids", FT_JSON, 0, 2048, 0, 0, 0, "Đối tượng đang quản lý có liên quan", "Linked persons under management"},
	{"note", FT_TEXT, 0, 500, 0, 0, 0, "Ghi chú", "Note"}};

static int check_seizures(json_t *rec, struct pcmt_err *err)
{
	static const char *const keys[] = {"substance", "quantity", "unit", NULL};
	json_t *list = json_object_get(rec, "seizures"), *it;
	size_t i;
	char f[40];

	if (!list || json_is_null(list))
		return 0;
	if (json_array_size(list) > 20)
		return err_set(err, ERR_INVALID, "seizures", "at most 20 seizures per case");
	json_array_foreach(list, i, it) {
		const char *sub = jstr(it, "substance"), *unit = jstr(it, "unit"), *want;
		json_t *q = json_object_get(it, "quantity");

		snprintf(f, sizeof(f), "seizures[%zu]", i);
		if (!keys_ok(it, keys, NULL))
			return err_set(err, ERR_INVALID, f, "%s must be exactly {\"substance\": ..., \"quantity\": ..., \"unit\": ...}",
				       f);
		if (!(want = op_seized_unit(sub)))
			return err_set(err, ERR_INVALID, f, "%s: unknown substance (heroin, opium, methamphetamine, "
				       "synthetic_pills, ketamine, cannabis, cocaine, other)", f);
		if (!json_is_number(q))
			return err_set(err, ERR_INVALID, f, "%s: quantity must be a number", f);
		if (json_number_value(q) <= 0)
			return err_set(err, ERR_INVALID, f, "%s: quantity must be more than 0", f);
		if (json_number_value(q) > 1e9)
			return err_set(err, ERR_INVALID, f, "%s: quantity is too large", f);
		/* one unit per substance, so that seizures add up: 1.2 kg of heroin is 1200 g */
		if (!unit || strcmp(unit, want))
			return err_set(err, ERR_INVALID, f, "%s: %s is counted in %s", f, sub, want);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(jstr(json_array_get(list, j), "substance"), sub))
				return err_set(err, ERR_INVALID, f, "%s: %s is listed twice: add the quantities up", f, sub);
	}
	return 0;
}

static int check_stages(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	static const char *const keys[] = {"stage", "date", NULL}, *const may[] = {"mobile_trial", NULL};
	json_t *list = json_object_get(rec, "stages"), *it;
	int32_t detected = jdate(rec, "detected"), prev_d = detected;
	int prev = -1;
	size_t i;
	char f[40];

	if (!list || json_is_null(list))
		return 0;
	if (json_array_size(list) > CS_N)
		return err_set(err, ERR_INVALID, "stages", "at most %d stages: detected, prosecuted, indicted, tried", CS_N);
	json_array_foreach(list, i, it) {
		json_t *mobile = json_object_get(it, "mobile_trial");
		int32_t d;
		int st;

		snprintf(f, sizeof(f), "stages[%zu]", i);
		if (!keys_ok(it, keys, may))
			return err_set(err, ERR_INVALID, f, "%s must be {\"stage\": ..., \"date\": ...} with \"mobile_trial\" on a "
				       "trial", f);
		if ((st = enum_ix(&en_case_stage, jstr(it, "stage"))) < 0)
			return err_set(err, ERR_INVALID, f, "%s: stage must be one of: detected, prosecuted, indicted, tried", f);
		if ((d = entry_date(ctx, it, f, err)) == DATE_NONE)
			return -1;
		if (st <= prev)
			return err_set(err, ERR_INVALID, f, "%s: stage cannot go back from %s to %s", f, v_case_stage[prev].code,
				       v_case_stage[st].code);
		if (st == CS_DETECTED && d != detected)
			return err_set(err, ERR_INVALID, f, "%s: the detected stage is dated the day the case was detected", f);
		if (prev_d != DATE_NONE && d < prev_d)
			return err_set(err, ERR_INVALID, f, "%s: dates must not decrease (and none before the case was detected)",
				       f);
		if (mobile && (st != CS_TRIED || !json_is_boolean(mobile)))
			return err_set(err, ERR_INVALID, f, "%s: mobile_trial (true or false) belongs on the tried stage", f);
		prev = st;
		prev_d = d;
	}
	return 0;
}

static int check_person_links(json_t *rec, struct pcmt_err *err)
{
	json_t *list = json_object_get(rec, "person_ids"), *it, *sus = json_object_get(rec, "suspects");
	size_t i;

	if (!list || json_is_null(list))
		return 0;
	json_array_foreach(list, i, it) {
		if (!json_is_integer(it) || json_integer_value(it) <= 0)
			return err_set(err, ERR_INVALID, "person_ids", "person_ids[%zu] must be the id of a person (a positive "
				       "whole number)", i);
		for (size_t j = 0; j < i; j++)
			if (json_integer_value(json_array_get(list, j)) == json_integer_value(it))
				return err_set(err, ERR_INVALID, "person_ids", "person_ids[%zu]: person %lld is listed twice", i,
					       (long long)json_integer_value(it));
	}
	/* a linked person is one of the suspects, nothing more */
	if (json_is_integer(sus) && (json_int_t)json_array_size(list) > json_integer_value(sus))
		return err_set(err, ERR_INVALID, "person_ids", "more linked persons (%zu) than suspects (%lld)",
			       json_array_size(list), (long long)json_integer_value(sus));
	return 0;
}

static int check_case(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	json_t *sus = json_object_get(rec, "suspects"), *rl = json_object_get(rec, "ringleaders");

	if (json_is_integer(sus) && json_is_integer(rl) && json_integer_value(rl) > json_integer_value(sus))
		return err_set(err, ERR_INVALID, "ringleaders", "ringleaders (%lld) cannot outnumber the suspects (%lld)",
			       (long long)json_integer_value(rl), (long long)json_integer_value(sus));
	if (check_seizures(rec, err) || check_stages(ctx, rec, err))
		return -1;
	return check_person_links(rec, err);
}

const struct entity_def ent_cases = {
	"cases", "drug_case", "Vụ án về ma túy", "Drug crime cases", 0, f_cases, N(f_cases), "t.ou_id",
	"t.detected, t.id", check_case, NULL};

/* ---- narcotic plant sites ---------------------------------------------------------------------- */

static const struct field_def f_plant_sites[] = {
	{"ou_id", FT_OU, F_REQUIRED | F_FILTER, 0, 0, 0, "commune", "Xã", "Commune"},
	{"location", FT_TEXT, 0, 300, 0, 0, 0, "Địa điểm (thôn, bản, nương)", "Location (village, field)"},
	{"plant", FT_ENUM, F_FILTER, 0, &en_plant_kind, 0, 0, "Loại cây", "Plant"},
	{"detected", FT_DATE, F_REQUIRED, 0, 0, 0, 0, "Ngày phát hiện", "Date detected"},
	{"area_m2", FT_INT, F_REQUIRED, 0, 0, 0, 0, "Diện tích (m²)", "Area (m²)"},
	{"plant_count", FT_INT, F_REQUIRED, 0, 0, 0, 0, "Số cây", "Plants"},
	{"eradicated", FT_DATE, 0, 0, 0, 0, 0, "Ngày triệt phá", "Date eradicated"},
	{"replanted", FT_BOOL, F_FILTER, 0, 0, 0, 0, "Tái trồng", "Replanted"},
	{"note", FT_TEXT, 0, 300, 0, 0, 0, "Ghi chú", "Note"}};

static int check_plant_site(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	int32_t a = jdate(rec, "detected"), b = jdate(rec, "eradicated");
	json_t *area = json_object_get(rec, "area_m2"), *cnt = json_object_get(rec, "plant_count");

	if (json_is_integer(area) && json_is_integer(cnt) && json_integer_value(area) == 0 && json_integer_value(cnt) == 0)
		return err_set(err, ERR_INVALID, "plant_count", "a plant site has plants or an area: both are 0");
	if (a != DATE_NONE && b != DATE_NONE && b < a)
		return err_set(err, ERR_INVALID, "eradicated", "eradicated must not be before detected");
	return 0;
}

const struct entity_def ent_plant_sites = {
	"plant_sites", "plant_site", "Diện tích trồng cây có chứa chất ma túy", "Narcotic plant sites", 0,
	f_plant_sites, N(f_plant_sites), "t.ou_id", "t.detected, t.id", check_plant_site, NULL};

/* ---- communication activities ------------------------------------------------------------------ */

static const struct field_def f_communication[] = {
	{"activity_date", FT_DATE, F_REQUIRED, 0, 0, 0, 0, "Ngày", "Date"},
	{"ou_id", FT_OU, F_REQUIRED | F_FILTER, 0, 0, 0, 0, "Địa bàn (xã hoặc cấp trên)", "Org unit (commune or higher)"},
	{"form", FT_ENUM, F_REQUIRED | F_FILTER, 0, &en_comm_form, 0, 0, "Hình thức", "Form"},
	{"audience", FT_ENUM, F_FILTER, 0, &en_comm_audience, 0, 0, "Đối tượng tuyên truyền", "Audience"},
	{"participants", FT_INT, 0, 0, 0, 0, 0, "Số người tham dự", "Participants"},
	{"commitments_signed", FT_INT, 0, 0, 0, 0, 0, "Số bản cam kết đã ký", "Commitments signed"},
	{"title", FT_TEXT, 0, 300, 0, 0, 0, "Nội dung", "Title"}};

static int check_communication(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	json_t *p = json_object_get(rec, "participants"), *c = json_object_get(rec, "commitments_signed");

	/* each commitment is signed by someone who took part */
	if (json_is_integer(p) && json_is_integer(c) && json_integer_value(c) > json_integer_value(p))
		return err_set(err, ERR_INVALID, "commitments_signed", "more commitments signed (%lld) than participants (%lld)",
			       (long long)json_integer_value(c), (long long)json_integer_value(p));
	return 0;
}

const struct entity_def ent_communication = {
	"communication", "communication_activity", "Hoạt động tuyên truyền", "Communication activities", 0,
	f_communication, N(f_communication), "t.ou_id", "t.activity_date, t.id", check_communication, NULL};

/* ---- populations ------------------------------------------------------------------------------- */

static const struct field_def f_populations[] = {
	{"ou_id", FT_OU, F_REQUIRED | F_FILTER, 0, 0, 0, 0, "Đơn vị hành chính", "Org unit"},
	{"year", FT_INT, F_REQUIRED | F_FILTER, 0, 0, 0, 0, "Năm", "Year"},
	{"population", FT_INT, F_REQUIRED, 0, 0, 0, 0, "Dân số thường trú", "Resident population"},
	{"source", FT_TEXT, 0, 300, 0, 0, 0, "Nguồn số liệu", "Source"}};

static int check_population(const struct ent_ctx *ctx, json_t *rec, struct pcmt_err *err)
{
	json_t *y = json_object_get(rec, "year"), *p = json_object_get(rec, "population");
	int ty = 9999, m, d;

	if (ctx)
		date_to_ymd(ctx->today, &ty, &m, &d);
	/* next year's figure may be planned already; further ahead is a typo */
	if (json_is_integer(y) && (json_integer_value(y) < 1900 || json_integer_value(y) > ty + 1))
		return err_set(err, ERR_INVALID, "year", "year must lie in 1900..%d", ty + 1);
	if (json_is_integer(p) && json_integer_value(p) == 0)
		return err_set(err, ERR_INVALID, "population", "population must be more than 0");
	return 0;
}

const struct entity_def ent_populations = {
	"populations", "ou_population", "Dân số theo năm", "Population by year", 0, f_populations, N(f_populations),
	"t.ou_id", "t.year, t.ou_id", check_population, NULL};
