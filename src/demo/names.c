/* names.c: the demo's Vietnamese word lists. Surname weights follow the commonly cited shares
 * (Nguyễn about a third of Kinh people; Hồ, Võ and Đậu common in Nghệ An); the minority names are
 * those typical of Kỳ Sơn, Tương Dương and Quế Phong (Thái: Lô, Vi, Lương, Lữ; H'Mông: Xồng, Lầu,
 * Vừ; Khơ Mú: Moong, Cụt, Xeo). Everyone made from them is fictional. */
#include "demo/names.h"

#include <stdio.h>

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

struct wword {
	const char *w;
	int weight;
};

static const char *wpick(struct rng *r, const struct wword *t, int n)
{
	int total = 0, x;

	for (int i = 0; i < n; i++)
		total += t[i].weight;
	x = rng_below(r, total);
	for (int i = 0; i < n; i++) {
		if (x < t[i].weight)
			return t[i].w;
		x -= t[i].weight;
	}
	return t[n - 1].w;
}

#define PICK(r, a) ((a)[rng_below((r), N(a))])

/* ---- Kinh ----------------------------------------------------------------------------------- */

static const struct wword kinh_surname[] = {
	{"Nguyễn", 310}, {"Trần", 100}, {"Lê", 95}, {"Phạm", 60}, {"Hoàng", 45}, {"Phan", 45},
	{"Vũ", 25}, {"Võ", 35}, {"Đặng", 20}, {"Bùi", 20}, {"Đỗ", 15}, {"Hồ", 40}, {"Ngô", 13},
	{"Dương", 10}, {"Đậu", 15}, {"Thái", 10}, {"Cao", 10}, {"Đinh", 10}, {"Hà", 8}, {"Chu", 6},
	{"Lưu", 5}, {"Trương", 8}, {"Tăng", 4}, {"Lý", 5}, {"Mai", 6}};

static const struct wword kinh_middle_m[] = {
	{"Văn", 400}, {"Đức", 70}, {"Hữu", 60}, {"Minh", 60}, {"Quang", 50}, {"Công", 50},
	{"Xuân", 40}, {"Đình", 50}, {"Ngọc", 30}, {"Thanh", 40}, {"Anh", 25}, {"Duy", 25},
	{"Tiến", 20}, {"Trọng", 25}, {"Quốc", 25}, {"Bá", 20}, {"Khắc", 15}, {"Viết", 15}};

static const char *const kinh_given_m[] = {
	"Hùng", "Dũng", "Tuấn", "Hải", "Nam", "Long", "Sơn", "Thắng", "Cường", "Hiếu", "Phong", "Tùng",
	"Quân", "Đạt", "Huy", "Hoàng", "Trung", "Bình", "An", "Lâm", "Tài", "Thành", "Vinh", "Khánh",
	"Hưng", "Toàn", "Lực", "Mạnh", "Tâm", "Nghĩa", "Quyết", "Đông", "Hà", "Tú", "Việt", "Đức", "Phúc",
	"Thịnh", "Hòa", "Kiên", "Linh", "Lợi", "Trường", "Chiến", "Công", "Thái", "Sáng", "Tình", "Hậu",
	"Luận"};

static const struct wword kinh_middle_f[] = {
	{"Thị", 700}, {"Ngọc", 50}, {"Thu", 40}, {"Thanh", 40}, {"Phương", 30}, {"Minh", 20}, {"Hồng", 40},
	{"Kim", 30}};

static const char *const kinh_given_f[] = {
	"Lan", "Hoa", "Hương", "Mai", "Hằng", "Nga", "Linh", "Trang", "Thảo", "Hà", "Yến", "Thu", "Huyền",
	"Nhung", "Loan", "Phượng", "Tuyết", "Vân", "Oanh", "Dung", "Hạnh", "Lý", "Nhàn", "Hiền", "Quyên"};

/* ---- Thái ----------------------------------------------------------------------------------- */

static const struct wword thai_surname[] = {
	{"Lô", 200}, {"Vi", 180}, {"Lương", 160}, {"Lữ", 100}, {"Lang", 80}, {"Hà", 60}, {"Sầm", 40},
	{"Quang", 40}, {"Kha", 30}, {"Ngân", 30}, {"Cầm", 20}, {"Lò", 20}};

static const char *const thai_given_m[] = {
	"Pó", "Khăm", "Bun", "Xoan", "Thông", "Phăn", "Sơn", "Tuấn", "Hùng", "Chiến", "Thắng", "Bình",
	"Xuân", "Khiêm", "Mạnh", "Quyết", "Thoong", "Piên", "Hiệp", "Vinh", "Tâm", "Đôi", "Hoan", "Vương"};

static const char *const thai_given_f[] = {
	"Xuân", "Hoa", "Mai", "Bích", "Ban", "Kim", "Thu", "Hằng", "Phương", "Lan", "Liên", "Ngọc"};

/* ---- H'Mông --------------------------------------------------------------------------------- */

static const struct wword hmong_surname[] = {
	{"Xồng", 150}, {"Lầu", 150}, {"Vừ", 150}, {"Lỳ", 100}, {"Mùa", 80}, {"Thò", 60}, {"Và", 70},
	{"Cứ", 50}, {"Hờ", 40}, {"Vàng", 60}, {"Giàng", 50}};

static const char *const hmong_middle_m[] = {"Bá", "Chồng", "Nhìa", "Giống", "Xái", "Phổng", "Văn", "Bá", "Chồng"};

static const char *const hmong_given_m[] = {
	"Tu", "Pao", "Dê", "Chò", "Sùng", "Vảng", "Tồng", "Của", "Xía", "Nênh", "Lử", "Chía", "Dìa",
	"Phềnh", "Thông", "Pó", "Lầu", "Tếnh", "Xá", "Chống"};

static const char *const hmong_middle_f[] = {"Y", "Thị", "Y"};

static const char *const hmong_given_f[] = {"Mai", "Dợ", "Máy", "Pa", "Xê", "Ly", "Mỷ", "Chà", "Di", "Sy"};

/* ---- Khơ Mú --------------------------------------------------------------------------------- */

static const struct wword khmu_surname[] = {
	{"Moong", 220}, {"Cụt", 180}, {"Xeo", 150}, {"Lô", 80}, {"Kha", 70}, {"Lương", 60}, {"Vi", 50}};

static const char *const khmu_given_m[] = {
	"Thương", "Ten", "Hải", "Sơn", "Khăm", "Tư", "Phăn", "Dũng", "Thi", "Ngọc", "Pheng", "Sinh",
	"Xăm", "Lâm", "Vân", "Hồng"};

static const char *const khmu_given_f[] = {"Bun", "Thoa", "Ngân", "Hoa", "Xai", "Mây", "Thu", "Pheng"};

void names_person(struct rng *r, enum ethnic e, int female, char *buf, size_t n)
{
	switch (e) {
	case ETH_THAI:
		snprintf(buf, n, "%s %s %s", wpick(r, thai_surname, N(thai_surname)), female ? "Thị" : "Văn",
			 female ? PICK(r, thai_given_f) : PICK(r, thai_given_m));
		return;
	case ETH_HMONG:
		snprintf(buf, n, "%s %s %s", wpick(r, hmong_surname, N(hmong_surname)),
			 female ? PICK(r, hmong_middle_f) : PICK(r, hmong_middle_m),
			 female ? PICK(r, hmong_given_f) : PICK(r, hmong_given_m));
		return;
	case ETH_KHMU:
		snprintf(buf, n, "%s %s %s", wpick(r, khmu_surname, N(khmu_surname)), female ? "Thị" : "Văn",
			 female ? PICK(r, khmu_given_f) : PICK(r, khmu_given_m));
		return;
	default:
		break;
	}
	if (female)
		snprintf(buf, n, "%s %s %s", wpick(r, kinh_surname, N(kinh_surname)),
			 wpick(r, kinh_middle_f, N(kinh_middle_f)), PICK(r, kinh_given_f));
	else if (rng_chance(r, 120)) /* a two-syllable middle part, as in "Nguyễn Văn Minh Tuấn" */
		snprintf(buf, n, "%s %s %s %s", wpick(r, kinh_surname, N(kinh_surname)),
			 wpick(r, kinh_middle_m, N(kinh_middle_m)), PICK(r, kinh_given_m), PICK(r, kinh_given_m));
	else
		snprintf(buf, n, "%s %s %s", wpick(r, kinh_surname, N(kinh_surname)),
			 wpick(r, kinh_middle_m, N(kinh_middle_m)), PICK(r, kinh_given_m));
}

static const char *const aliases[] = {
	"Tý", "Tèo", "Cu Bin", "Tũn", "Béo", "Còi", "Đen", "Sún", "Bờm", "Tồ", "Cu Tí", "Hùng Đen",
	"Bi", "Cò", "Lùn", "Sẹo", "Tũn Còi", "Mập"};

const char *names_alias(struct rng *r)
{
	return PICK(r, aliases);
}

static const char *const villages[] = {
	"Huồi Giảng", "Nậm Càn", "Phà Khốn", "Xiềng Tắm", "Huồi Cọ", "Na Hỷ", "Tổng Tiếng", "Piêng Luống",
	"Cà Moong", "Xốp Mạt", "Huồi Pủng", "Pà Khốm", "Mường Piệt", "Na Kho", "Hòa Mai", "Cha Lo",
	"Xốp Thập", "Huồi Lự", "Phá Lớm", "Na Ngân", "Kẻo Bắc", "Nậm Tột", "Tà Cọ", "Pủng Khúng",
	"Chà Lò", "Huồi Khe", "Mường Xén", "Cánh Tráp", "Thăm Hín", "Xiềng Lằm"};

static const char *const streets[] = {
	"Lê Lợi", "Quang Trung", "Nguyễn Du", "Trường Thi", "Lê Duẩn", "Phan Bội Châu", "Nguyễn Thị Minh Khai",
	"Hồ Tùng Mậu", "Trần Phú", "Lê Hồng Phong", "Hà Huy Tập", "Nguyễn Văn Cừ", "Đinh Công Tráng",
	"Phong Định Cảng", "Lý Thường Kiệt", "Hermann Gmeiner", "Nguyễn Sỹ Sách", "Lê Mao", "Đốc Thiết",
	"Kim Đồng"};

void names_address(struct rng *r, enum addr_kind k, char *buf, size_t n)
{
	/* many city addresses name a street; the others, like towns, give the block (khối) only */
	if (k == ADDR_CITY && rng_chance(r, 550))
		snprintf(buf, n, "Số %d đường %s", rng_range(r, 1, 240), PICK(r, streets));
	else if (k == ADDR_CITY || k == ADDR_TOWN)
		snprintf(buf, n, "Khối %d", rng_range(r, 1, 18));
	else if (k == ADDR_MOUNTAIN)
		snprintf(buf, n, "Bản %s", PICK(r, villages));
	else
		snprintf(buf, n, "Xóm %d", rng_range(r, 1, 16));
}

static const char *const mobile_prefix[] = {
	"086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039", "091", "094",
	"088", "083", "084", "085", "081", "082", "070", "079", "077", "076", "078", "090", "093", "089"};

void names_phone(struct rng *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s%07d", PICK(r, mobile_prefix), rng_below(r, 10000000));
}

struct occ_row {
	const char *name, *employment;
	int w_lowland, w_mountain, w_coastal;
};

static const struct occ_row occ[] = {
	{"Làm nông", "employed", 160, 200, 80},
	{"Làm rẫy", "employed", 5, 150, 0},
	{"Công nhân", "employed", 90, 15, 70},
	{"Lái xe", "employed", 50, 20, 40},
	{"Thợ xây", "employed", 70, 30, 60},
	{"Phụ hồ", "employed", 60, 30, 50},
	{"Buôn bán nhỏ", "employed", 50, 15, 50},
	{"Thợ sửa xe máy", "employed", 25, 5, 20},
	{"Đánh bắt thủy sản", "employed", 0, 0, 150},
	{"Khai thác gỗ, lâm sản", "employed", 5, 40, 0},
	{"Lao động tự do", "other", 160, 100, 150},
	{"Lao động thời vụ", "other", 40, 40, 40},
	{"Không nghề nghiệp", "unemployed", 230, 250, 230},
	{NULL, "unemployed", 60, 100, 60}};

struct occupation names_occupation(struct rng *r, int mountain, int coastal, int age)
{
	int w[N(occ)];

	if (age < 22 && rng_chance(r, 250))
		return (struct occupation){"Học sinh, sinh viên", "student"};
	for (int i = 0; i < N(occ); i++)
		w[i] = mountain ? occ[i].w_mountain : coastal ? occ[i].w_coastal : occ[i].w_lowland;
	{
		int i = rng_pick(r, w, N(occ));

		return (struct occupation){occ[i].name, occ[i].employment};
	}
}

static const char *const trades[] = {
	"Nghề may công nghiệp", "Sửa chữa xe máy", "Hàn điện", "Kỹ thuật chăn nuôi", "Kỹ thuật trồng trọt",
	"Mộc dân dụng", "Điện dân dụng", "Nề, xây dựng", "Lái xe hạng B", "Nấu ăn"};

const char *names_trade(struct rng *r)
{
	return PICK(r, trades);
}
