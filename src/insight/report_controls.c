/*
 * report_controls.c - the controls the report gives evidence for, each
 * with the sections of the report that support it. One table: the JSON,
 * HTML and docs/compliance.md all say the same.
 */
#include "insight/report.h"

struct control {
	const char *id, *framework, *title;
	const char *evidence[6]; /* section names, NULL-terminated */
};

static const struct control controls[] = {
	{"CC6.1", "SOC 2",
	 "Access to protected resources is restricted to authorised people "
	 "through logical access controls",
	 {"grants", "standing_privileges", "policy_changes", NULL}},
	{"CC6.2", "SOC 2",
	 "Access is given only after a request is approved, and taken away "
	 "when no longer needed",
	 {"grants", "break_glass", "self_approvals", NULL}},
	{"CC6.3", "SOC 2",
	 "Access is granted, changed and removed by role and least "
	 "privilege, with segregation of duties",
	 {"grants", "standing_privileges", "self_approvals", NULL}},
	{"CC7.2", "SOC 2",
	 "Unusual activity is detected, looked at and dealt with",
	 {"alerts", "break_glass", "audit", NULL}},
	{"A.5.15", "ISO/IEC 27001:2022",
	 "Access control rules are set and enforced",
	 {"policy_changes", "grants", "self_approvals", NULL}},
	{"A.5.18", "ISO/IEC 27001:2022",
	 "Access rights are provided, reviewed, changed and removed",
	 {"grants", "standing_privileges", "break_glass", NULL}},
	{"A.8.2", "ISO/IEC 27001:2022",
	 "Privileged access rights are restricted and managed",
	 {"grants", "standing_privileges", "break_glass", NULL}},
	{"A.8.15", "ISO/IEC 27001:2022",
	 "Activity is logged, and the logs are protected and kept",
	 {"audit", "policy_changes", NULL}},
	{"A.8.16", "ISO/IEC 27001:2022",
	 "Systems are monitored for anomalous behaviour, and it is acted on",
	 {"alerts", "break_glass", NULL}},
};

json_t *jg_report_controls(void)
{
	json_t *a = json_array();

	for (size_t i = 0; i < sizeof(controls) / sizeof(controls[0]); i++) {
		json_t *ev = json_array();
		for (int j = 0; controls[i].evidence[j]; j++)
			json_array_append_new(ev,
			                      json_string(controls[i].evidence[j]));
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:o}", "id",
		                                   controls[i].id, "framework",
		                                   controls[i].framework, "title",
		                                   controls[i].title, "evidence",
		                                   ev));
	}
	return a;
}
