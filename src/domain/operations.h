/* operations.h: the operations registry's entities (hotspots, drug crime cases, narcotic plant sites,
 * communication activities, org-unit populations) and their enums. The descriptors are in entity.h's
 * ent_all[] like every other entity; this header adds the enums and the index constants that the
 * operations image (opimg.h), the indicators and the Decision 28/2025 classification read.
 * Enum index constants below follow the order of the vals[] arrays in operations.c. */
#ifndef PCMT_OPERATIONS_H
#define PCMT_OPERATIONS_H

#include "domain/entity.h"

extern const struct enum_def en_hotspot_kind, en_hotspot_status, en_venue_kind, en_case_force, en_case_route,
	en_seized_substance, en_seized_unit, en_case_stage, en_plant_kind, en_comm_form, en_comm_audience;

/* en_hotspot_kind */
enum { HK_USE_VENUE, HK_RETAIL_POINT, HK_COMPLEX_AREA };
/* en_hotspot_status: the only order a status history may take */
enum { HS_ACTIVE, HS_UNDER_TRANSFORMATION, HS_ELIMINATED };
/* en_case_route */
enum { RT_LAND_BORDER, RT_SEA, RT_AIR, RT_POSTAL_EXPRESS, RT_CYBERSPACE, RT_INLAND, RT_N };
/* en_case_stage: forward order */
enum { CS_DETECTED, CS_PROSECUTED, CS_INDICTED, CS_TRIED, CS_N };
/* en_seized_substance */
enum {
	SZ_HEROIN,
	SZ_OPIUM,
	SZ_METHAMPHETAMINE,
	SZ_SYNTHETIC_PILLS,
	SZ_KETAMINE,
	SZ_CANNABIS,
	SZ_COCAINE,
	SZ_OTHER,
	SZ_N
};

/* The unit a seized substance is counted in ("g" or "pills"): fixed per substance so that seizures
 * add up. NULL for an unknown substance. */
const char *op_seized_unit(const char *substance);

#endif
