/* plans.c: the seeds' plans and targets for the demo (plans.h). Each target carries the sentence of the
 * seed it implements; those on cases, communication, plants and hotspots read the operations
 * registry's measures (demo/operations.c writes the data), and the equipment of border units, which
 * pcmt does not record, stays under its code reserved in ind_pending[] and answers no_data. */
#include "demo/plans.h"

#include <stdio.h>
#include <string.h>

#include "domain/plan.h"
#include "util/date.h"

/* Plan 359/KH-UBND counts completed compulsory-rehabilitation records against the number Decision
 * 4378/QĐ-UBND (30 Dec 2022) assigned for 2023. The seed does not give that number and the decision
 * was not read: the demo assumes this one, and says so in the target's note. */
#define ASSIGNED_359 500

struct dplan {
	const char *code, *title, *issuing, *scope, *issued, *from, *to, *source;
};

struct dtarget {
	int plan;                    /* index into plans[] */
	const char *indicator, *cmp;
	long long value;
	const char *unit, *period, *deadline;
	long long denominator;       /* 0: none */
	const char *statement, *note;
};

static const struct dplan plans[] = {
	{"180/KH-UBND", "Kế hoạch thực hiện công tác phòng, chống ma túy năm 2022 (tỉnh Nghệ An)", "40", "40",
	 "2022-03-16", "2022-01-01", "2022-12-31",
	 "seed: Baonghean.vn, \"Nghe An: Synchronously and drastically deploy solutions to prevent drug smuggling "
	 "across the border\" (Plan No. 180/KH-UBND dated March 16, 2022)"},
	{"359/KH-UBND", "Kế hoạch triển khai Tháng hành động phòng, chống ma túy năm 2023 (tỉnh Nghệ An)", "40", "40",
	 "2023-05-30", "2023-06-01", "2023-06-30",
	 "seed: Baonghean.vn, \"Nghe An launches Action Month against drugs\" (Plan No. 359/KH-UBND dated May 30, 2023)"},
	{"TH-KMT-2024-2025",
	 "Đề án xây dựng xã, phường, thị trấn, huyện, thị xã, thành phố không ma túy tỉnh Thanh Hóa giai đoạn 2024-2025",
	 "38", "38", NULL, "2024-01-01", "2025-12-31",
	 "seed: baothanhhoa.vn, conference of 15 October deploying the Project on building drug-free communes, wards, "
	 "towns, districts, towns and cities in Thanh Hoa province, period 2024-2025 (date of approval not in the seed)"},
	{"CTMTQG-PCMT-2030", "Chương trình mục tiêu quốc gia phòng, chống ma túy đến năm 2030", "VN", "VN", NULL,
	 "2025-01-01", "2030-12-31",
	 "seed: nghean.gov.vn, conference on implementing the National Target Program on Drug Prevention and Control "
	 "to 2030 (implementation period 2025 to the end of 2030); investment policy: Resolution 163/2024/QH15"},
};

static const struct dtarget targets[] = {
	/* Plan 180/KH-UBND, 2022: eight goals, every number */
	{0, "cases_handled_lawfully_pct", ">=", 100, "percent", "year", "2022-12-31", 0,
	 "100% of cases related to the law and drug crimes, especially cases related to the organization and illegal "
	 "use of drugs, are handled promptly, strictly, and in accordance with the law.", NULL},
	{0, "communes_reached_communication_pct", ">=", 100, "percent", "year", "2022-12-31", 0,
	 "100% of communes, wards, towns, schools... are propagandized about the law on PCMT in many different forms, "
	 "at least once a year", "schools are not org units in pcmt: the measure covers communes"},
	{0, "addicts_change", "<", 0, "persons", "year", "2022-12-31", 0,
	 "Control and reduce the number of drug addicts compared to 2021", NULL},
	{0, "services_reach_pct", ">=", 76, "percent", "year", "2022-12-31", 0,
	 "the proportion of addicts with management records who have access to counseling, treatment, and drug "
	 "addiction rehabilitation services reaches 76% of the total number of addicts with management records", NULL},
	{0, "voluntary_treatment_pct", ">=", 40, "percent", "year", "2022-12-31", 0,
	 "the proportion of addicts participating in voluntary drug addiction rehabilitation at home, in the community, "
	 "and at drug addiction rehabilitation facilities out of the total number of addicts undergoing rehabilitation "
	 "reaches 40%", NULL},
	{0, "facility_treatment_pct", ">=", 80, "percent", "year", "2022-12-31", 0,
	 "80% of drug addicts are treated at facilities with drug addiction treatment functions", NULL},
	{0, "community_trained_pct", ">=", 40, "percent", "year", "2022-12-31", 0,
	 "40% of drug addicts treated at home and in the community are trained in a profession", NULL},
	{0, "plant_sites_replanted", "<=", 0, "count", "year", "2022-12-31", 0,
	 "Do not replant narcotic plants", NULL},
	{0, "plant_sites_destroyed_pct", ">=", 100, "percent", "year", "2022-12-31", 0,
	 "promptly detect and eradicate 100% of the planting and replanting areas of narcotic opium plants", NULL},
	/* Plan 359/KH-UBND, Action Month June 2023 */
	{1, "compulsory_records_completed", ">=", 60, "percent", "year", "2023-06-30", ASSIGNED_359,
	 "Strive by the end of June 2023, the results of compulsorily completing drug rehabilitation records will "
	 "reach at least 60% of the target assigned in Decision 4378/QD- dated December 30, 2022 of the People's "
	 "Committee of Nghe An province on announcing the socio-economic plan targets for 2023.",
	 "the number assigned by Decision 4378/QĐ-UBND was not read: the demo assumes 500 records for 2023"},
	/* Thanh Hoa project 2024-2025 */
	{2, "drug_free_communes_pct", ">=", 100, "percent", "plan", "2025-12-31", 0,
	 "determined to complete the construction of 100% of drug-free communes, wards, towns, districts, towns and "
	 "cities according to the criteria of the Ministry of Public Security in 2025.",
	 "the demo's persons live in Nghe An only: Thanh Hoa's communes have no records and meet the criteria vacuously"},
	{2, "drug_free_districts_pct", ">=", 100, "percent", "plan", "2025-12-31", 0,
	 "The specific goal is to build in all 27/27 districts, towns and cities 100% of communes, wards and towns to "
	 "meet the criteria", NULL},
	/* National target programme to 2030 */
	{3, "drug_free_communes_pct", ">=", 50, "percent", "plan", "2030-12-31", 0,
	 "At least 50% of communes, wards and special zones nationwide will be drug-free.", NULL},
	{3, "drug_free_communes_pct", ">=", 20, "percent", "plan", "2025-12-31", 0,
	 "20% of communes drug-free by the end of 2025 (Resolution 163/2024/QH15, as quoted in provincial plans)",
	 "not in the seed's text: RULES.md records it as quoted by provincial plans"},
	{3, "hotspots_destroyed_pct", ">=", 100, "percent", "plan", "2030-12-31", 0,
	 "100% of locations organizing and harboring illegal drug use, drug retailers ... will be discovered and "
	 "destroyed.", NULL},
	{3, "plant_sites_destroyed_pct", ">=", 100, "percent", "plan", "2030-12-31", 0,
	 "100% of ... areas illegally growing plants containing drugs will be discovered and destroyed.", NULL},
	{3, "border_units_equipped_pct", ">", 80, "percent", "plan", "2030-12-31", 0,
	 "Over 80% of units and officers and soldiers of the specialized force for drug crime prevention and control "
	 "under the Border Guard and Coast Guard will be equipped with modern weapons, support tools and technical "
	 "means.", NULL},
	{3, "cases_border_routes_change_pct", ">", 3, "percent", "year", "2030-12-31", 0,
	 "Every year, the number of drug crimes detected and arrested in border areas by land, sea, air, and express "
	 "delivery increases by over 3%", NULL},
	{3, "cases_organised_change_pct", ">", 3, "percent", "year", "2030-12-31", 0,
	 "the number of organized, transnational cases increases by over 3%", NULL},
	{3, "cases_cyber_change_pct", ">", 5, "percent", "year", "2030-12-31", 0,
	 "the number of cases taking advantage of cyberspace increases by over 5%", NULL},
	{3, "health_stations_qualified_pct", ">", 80, "percent", "plan", "2030-12-31", 0,
	 "Over 80% of commune-level health stations ... are qualified to determine drug addiction status.", NULL},
	{3, "rehab_public_qualified_pct", ">=", 100, "percent", "plan", "2030-12-31", 0,
	 "... and 100% of public drug rehabilitation facilities are qualified to determine drug addiction status.", NULL},
	{3, "counselling_point_communes_pct", ">", 70, "percent", "plan", "2030-12-31", 0,
	 "Over 70% of communes, wards, and special zones with drug addicts arrange drug addiction reception and "
	 "counseling points that meet the prescribed conditions", NULL},
	{3, "community_treatment_provinces_pct", ">=", 70, "percent", "plan", "2030-12-31", 0,
	 "at least 70% of provinces and cities organize voluntary drug addiction rehabilitation at home and in the "
	 "community.", NULL},
	{3, "ost_patients", ">=", 50000, "persons", "plan", "2030-12-31", 0,
	 "Ensure facilities and maintain treatment for at least 50,000 people addicted to opioid substances", NULL},
};

/* Validates and inserts one record; *id receives the new id when id is not NULL. */
static int put(struct store *s, const struct ent_ctx *ctx, const struct entity_def *e, json_t *in, int64_t *id,
	       struct pcmt_err *err)
{
	json_t *valid = NULL, *out = NULL;
	int rc = -1;

	if (!in)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (ent_validate(e, ctx, in, 0, &valid, err) || s->ops->insert(s, e, NULL, valid, &out, err))
		goto out;
	if (id)
		*id = json_integer_value(json_object_get(out, "id"));
	rc = 0;
out:
	json_decref(in);
	json_decref(valid);
	json_decref(out);
	return rc;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int demo_plans(struct store *s, const struct ent_ctx *ctx, struct pcmt_err *err)
{
	int64_t ids[sizeof(plans) / sizeof(plans[0])] = {0};

	for (size_t i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
		const struct dplan *p = &plans[i];
		int32_t issued;

		if (p->issued && date_parse(p->issued, &issued) == 0 && issued > ctx->today)
			continue;
		if (put(s, ctx, &ent_plans,
			json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "code", p->code, "title", p->title,
				  "issuing_ou", p->issuing, "scope_ou", p->scope, "date_issued", str_or_null(p->issued),
				  "period_from", p->from, "period_to", p->to, "source", p->source),
			&ids[i], err))
			return -1;
	}
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		const struct dtarget *t = &targets[i];

		if (!ids[t->plan])
			continue;
		if (put(s, ctx, &ent_targets,
			json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:o, s:s, s:o}", "plan_id", (json_int_t)ids[t->plan],
				  "indicator", t->indicator, "comparator", t->cmp, "value", (json_int_t)t->value, "unit",
				  t->unit, "period_kind", t->period, "deadline", t->deadline, "denominator",
				  t->denominator ? json_integer(t->denominator) : json_null(), "statement", t->statement,
				  "note", str_or_null(t->note)),
			NULL, err))
			return -1;
	}
	/* one custom indicator, so that the feature shows in the demo */
	return put(s, ctx, &ent_custom_indicators,
		   json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "code", "addicts_change_pct", "name_vi",
			     "Tỷ lệ tăng, giảm số người nghiện so với kỳ trước", "name_en",
			     "Change in addicts against the previous period, in %", "expression",
			     "pct(addicts_count - addicts_count_prev, addicts_count_prev)", "unit", "percent", "description",
			     "Plan 180/KH-UBND asks for fewer addicts than in 2021; this shows by how much, in percent"),
		   NULL, err);
}
