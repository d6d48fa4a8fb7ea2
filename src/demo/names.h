/* names.h: Vietnamese text for the demo: personal names of the Kinh majority and of the Thái,
 * H'Mông and Khơ Mú peoples of western Nghệ An, village and street addresses, phone numbers,
 * occupations and trades. Tables only; which person gets what is decided in demo.c. */
#ifndef PCMT_NAMES_H
#define PCMT_NAMES_H

#include <stddef.h>

#include "demo/rng.h"

enum ethnic { ETH_KINH, ETH_THAI, ETH_HMONG, ETH_KHMU, ETH_N };

/* Where an address is: ward or township (khối), lowland commune (xóm), mountain commune (bản),
 * city ward with streets (Vinh). */
enum addr_kind { ADDR_TOWN, ADDR_LOWLAND, ADDR_MOUNTAIN, ADDR_CITY };

/* Full name "Surname Middle Given" in NFC into buf. */
void names_person(struct rng *r, enum ethnic e, int female, char *buf, size_t n);
/* A nickname of the kind recorded under "aliases". */
const char *names_alias(struct rng *r);
/* Street-level part of an address, e.g. "Bản Huồi Giảng", "Xóm 7", "Số 25 đường Lê Lợi". */
void names_address(struct rng *r, enum addr_kind k, char *buf, size_t n);
/* A 10-digit Vietnamese mobile number. */
void names_phone(struct rng *r, char *buf, size_t n);

struct occupation {
	const char *name;       /* occupation text, NULL when none is recorded */
	const char *employment; /* en_employment code */
};

/* An occupation fitting the place (mountain, coastal) and age at the reference date. */
struct occupation names_occupation(struct rng *r, int mountain, int coastal, int age);
/* A trade taught in vocational training. */
const char *names_trade(struct rng *r);

#endif
