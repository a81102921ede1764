/*
 * test-enroll — lib/enroll.c without a page or a peer: the explanation of
 * peer failures (by kind and cause, never by message text), the wizard's
 * view of the draft (reading makes no draft, the first change does), and
 * the refusals an action makes before it reaches a peer.
 */
#include <signal.h>

#include "../../lib/core.h"
#include "../../lib/enroll.h"
#include "unit.h"

static char share[PATH_MAX];

/* An empty, migrated store with its key. */
static int
fresh_store(void)
{
	return unit_fresh_store() || secret_ensure_key();
}

/* A store holding a live registration (values only, no peer). */
static int
registered_store(void)
{
	static const char *const kv[][2] = {
		{ REG_VC_HOST, "vcsa01.prod.eu-west.corp.example.com" },
		{ REG_VC_PORT, "443" },
		{ REG_VC_THUMBPRINT, "AA:BB" },
		{ REG_VC_USER, "svc-connector" },
		{ REG_PROXY_DECIDED, "1" },
		{ REG_AWS_REGION, "eu-west-1" },
		{ REG_AWS_KEY_ID, "AKIAIOSFODNN7EXAMPLE" },
		{ REG_AWS_ACCOUNT, "123456789012" },
		{ REG_PORTAL_KEY_ID, "AMPKEY" },
		{ REG_AT, "1700000000" },
	};

	if (fresh_store() != 0)
		return -1;
	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
		if (db_setting_set(kv[i][0], kv[i][1]) != 0)
			return -1;
	return secret_put(REG_VC_PASSWORD, "pw", 2);
}

static long long
draft_rows(void)
{
	return unit_query_int("SELECT count(*) FROM settings WHERE name LIKE "
	    "'draft.%' OR name = 'wizard.started'") +
	    unit_query_int("SELECT count(*) FROM secrets WHERE name LIKE "
	    "'draft.%'");
}

/* ---- explaining failures ---- */

TEST(explain_refused_address_by_cause)
{
	struct vsphere_error e = { .kind = VSPHERE_E_TRANSPORT };
	struct enroll_result r = { 0 };

	e.http.kind = HTTP_ECONNECT;
	e.http.cause = HTTP_C_POLICY;
	snprintf(e.http.detail, sizeof e.http.detail, "whatever the text");
	enroll_explain_vsphere(&e, "vc.example.com", 443, NULL, &r);
	CHECK(strstr(r.msg, "vc.example.com resolves to an address the "
	    "connector may not connect to") != NULL);
}

TEST(explain_nothing_answered_names_the_port)
{
	struct vsphere_error e = { .kind = VSPHERE_E_TRANSPORT };
	struct enroll_result r = { 0 };

	e.http.kind = HTTP_ECONNECT;
	snprintf(e.http.detail, sizeof e.http.detail, "connection refused, "
	    "not allowed");
	enroll_explain_vsphere(&e, "192.0.2.10", 8443, NULL, &r);
	CHECK(strstr(r.msg, "Nothing answered at 192.0.2.10:8443.") != NULL);
}

TEST(explain_pinned_certificate_by_cause)
{
	struct vsphere_error e = { .kind = VSPHERE_E_TRANSPORT };
	struct enroll_result r = { 0 };

	e.http.kind = HTTP_ETLS;
	e.http.cause = HTTP_C_PIN;
	enroll_explain_vsphere(&e, "vc", 443, NULL, &r);
	CHECK(strstr(r.msg, "no longer the one you trusted") != NULL);
	e.http.cause = HTTP_C_NONE;
	snprintf(e.http.detail, sizeof e.http.detail, "not the pinned one");
	enroll_explain_vsphere(&e, "vc", 443, NULL, &r);
	CHECK(strstr(r.msg, "The TLS handshake with vc:443 failed.") != NULL);
}

TEST(explain_invalid_login)
{
	struct vsphere_error e = { .kind = VSPHERE_E_FAULT,
	    .fault = VSPHERE_FAULT_INVALID_LOGIN };
	struct enroll_result r = { 0 };

	enroll_explain_vsphere(&e, "vc", 443, NULL, &r);
	CHECK(strcmp(r.msg, "vCenter refused this user name and password.") ==
	    0);
}

TEST(explain_aws_codes)
{
	struct aws_error e = { .kind = AWS_E_SERVICE,
	    .code = AWS_C_REQUEST_EXPIRED };
	struct enroll_result r = { 0 };

	enroll_explain_aws(&e, "AWS", NULL, &r);
	CHECK(strstr(r.msg, "AWS says the connector's clock is off") != NULL);
	e.code = AWS_C_INVALID_TOKEN;
	enroll_explain_aws(&e, "The portal", NULL, &r);
	CHECK(strstr(r.msg, "The portal does not know this key ID") != NULL);
}

TEST(explain_proxy_credentials_by_cause)
{
	struct http_error e = { .kind = HTTP_EPROXY,
	    .cause = HTTP_C_PROXY_AUTH };
	struct enroll_result r = { 0 };

	enroll_explain_proxy(&e, "proxy.example.com", "3128", NULL, &r);
	CHECK(r.field == EF_PROXY_PASSWORD);
	CHECK(strcmp(r.msg, "The proxy refused this user name and password.") ==
	    0);
	e.cause = HTTP_C_NONE;
	snprintf(e.detail, sizeof e.detail, "407 in the text only");
	enroll_explain_proxy(&e, "proxy.example.com", "3128", NULL, &r);
	CHECK(r.field == EF_PROXY_HOST);
	CHECK(strstr(r.msg, "The proxy at proxy.example.com:3128") != NULL);
}

TEST(explain_where_adds_what_to_do_there)
{
	struct vsphere_error v = { .kind = VSPHERE_E_FAULT,
	    .fault = VSPHERE_FAULT_INVALID_LOGIN };
	struct aws_error a = { .kind = AWS_E_SERVICE,
	    .code = AWS_C_INVALID_TOKEN };
	struct http_error p = { .kind = HTTP_EPROXY,
	    .cause = HTTP_C_PROXY_AUTH };
	struct enroll_result r = { 0 };

	enroll_explain_vsphere(&v, "vc", 443, "Update the registration", &r);
	CHECK(strstr(r.msg, "vCenter refused this user name and password. ") ==
	    r.msg);
	CHECK(strstr(r.msg, "current password in Update the registration.") !=
	    NULL);
	enroll_explain_aws(&a, "AWS", "Update the registration", &r);
	CHECK(strcmp(r.msg, "AWS does not know this key ID, or it was "
	    "revoked. Create a new access key for the connector's IAM user "
	    "and enter it in Update the registration.") == 0);
	enroll_explain_proxy(&p, "proxy", "3128", "Update the registration",
	    &r);
	CHECK(strstr(r.msg, "current ones in Update the registration.") !=
	    NULL);
	/* The wizard's pin advice names its own step. */
	v.kind = VSPHERE_E_TRANSPORT;
	v.http.kind = HTTP_ETLS;
	v.http.cause = HTTP_C_PIN;
	enroll_explain_vsphere(&v, "vc", 443, NULL, &r);
	CHECK(strstr(r.msg, "Go back to review the new one in the vCenter "
	    "step.") != NULL);
	enroll_explain_vsphere(&v, "vc", 443, "Update the registration", &r);
	CHECK(strstr(r.msg, "trust it again (if not, find out what answers in "
	    "vCenter's place) in Update the registration.") != NULL);
}

TEST(explain_aws_transport_in_words_not_codes)
{
	struct aws_error e = { .kind = AWS_E_TRANSPORT };
	struct enroll_result r = { 0 };

	snprintf(e.http.endpoint, sizeof e.http.endpoint,
	    "https://sts.us-east-1.amazonaws.com/");
	snprintf(e.http.detail, sizeof e.http.detail, "Connection refused");
	e.http.kind = HTTP_ECONNECT;
	enroll_explain_aws(&e, "AWS", NULL, &r);
	CHECK(strcmp(r.msg, "AWS could not be reached: nothing answered at "
	    "sts.us-east-1.amazonaws.com (Connection refused). Check the "
	    "network, the firewall (outbound HTTPS, port 443) and the proxy "
	    "setting.") == 0);
	e.http.kind = HTTP_ETIMEOUT;
	enroll_explain_aws(&e, "The portal", NULL, &r);
	CHECK(strstr(r.msg, "The portal at sts.us-east-1.amazonaws.com did "
	    "not answer in time.") == r.msg);
	e.http.kind = HTTP_EDNS;
	enroll_explain_aws(&e, "AWS", NULL, &r);
	CHECK(strstr(r.msg, "does not resolve (DNS)") != NULL);
	CHECK(strstr(r.msg, "error at") == NULL);
}

/* ---- the wizard's view ---- */

TEST(next_step_of_empty_store_is_vcenter)
{
	CHECK(fresh_store() == 0);
	CHECK(enroll_next() == ENROLL_VCENTER);
	CHECK(enroll_reachable(ENROLL_VCENTER));
	CHECK(!enroll_reachable(ENROLL_TRUST));
	CHECK(!enroll_reachable(ENROLL_REVIEW));
}

TEST(reading_the_view_makes_no_draft)
{
	char v[300];

	CHECK(registered_store() == 0);
	CHECK(enroll_next() == ENROLL_REVIEW);
	CHECK(reg_value(REG_VC_HOST, 1, v, sizeof v) == 0);
	CHECK(strcmp(v, "vcsa01.prod.eu-west.corp.example.com") == 0);
	CHECK(reg_secret_has(REG_VC_PASSWORD, 1));
	CHECK(!reg_draft_exists());
	CHECK(draft_rows() == 0);
}

TEST(draft_names_are_made_in_one_place)
{
	char dn[64];

	reg_draft_name(REG_VC_PASSWORD, dn, sizeof dn);
	CHECK(strcmp(dn, "draft.vcenter.password") == 0);
}

TEST(discard_without_draft_changes_nothing)
{
	CHECK(registered_store() == 0);
	CHECK(enroll_discard() == 0);
	CHECK(draft_rows() == 0);
	CHECK(reg_registered());
}

/* ---- refusals before any peer ---- */

TEST(vcenter_bad_empty_host)
{
	struct enroll_result r;

	CHECK(fresh_store() == 0);
	CHECK(enroll_vcenter("", &r) == CONN_EINVAL);
	CHECK(r.field == EF_VC_HOST && r.msg[0]);
	CHECK(draft_rows() == 0);
}

TEST(vcenter_bad_loopback_refused_without_draft)
{
	struct enroll_result r;

	CHECK(fresh_store() == 0);
	CHECK(enroll_vcenter("127.0.0.1:443", &r) == CONN_EINVAL);
	CHECK(r.field == EF_VC_HOST);
	CHECK(strstr(r.msg, "may not connect to this address") != NULL);
	CHECK(draft_rows() == 0);
}

TEST(trust_without_certificate_seen)
{
	struct enroll_result r;

	CHECK(fresh_store() == 0);
	CHECK(enroll_trust("AA:BB", &r) == CONN_ENOTFOUND);
}

TEST(trust_bad_other_thumbprint)
{
	struct enroll_result r;

	CHECK(registered_store() == 0);
	CHECK(reg_draft_start() == 0);
	CHECK(reg_draft_set(ENROLL_SEEN_THUMBPRINT, "AA:CC") == 0);
	CHECK(enroll_trust("AA:BB", &r) == CONN_EINVAL);
	CHECK(r.field == EF_FORM && strstr(r.msg, "not the one shown"));
	CHECK(enroll_trust("aa:cc", &r) == 0);
	CHECK(r.audit != NULL);
}

TEST(aws_bad_unknown_region)
{
	struct enroll_result r;

	CHECK(fresh_store() == 0);
	CHECK(enroll_aws("xx-nowhere-9", "AKIAIOSFODNN7EXAMPLE", "s", NULL,
	    &r) == CONN_EINVAL);
	CHECK(r.field == EF_REGION);
}

TEST(aws_bad_blank_secret_for_other_key)
{
	struct enroll_result r;

	CHECK(registered_store() == 0);
	CHECK(secret_put(REG_AWS_SECRET, "stored", 6) == 0);
	CHECK(enroll_aws("eu-west-1", "AKIAOTHERKEY00000001", "", NULL, &r) ==
	    CONN_EINVAL);
	CHECK(r.field == EF_SECRET_KEY);
	CHECK(draft_rows() == 0);
}

TEST(portal_keep_without_file_keeps_key)
{
	struct enroll_result r;

	CHECK(registered_store() == 0);
	CHECK(enroll_portal(NULL, 0, 1, &r) == 0);
	CHECK(draft_rows() == 0);
	CHECK(enroll_portal(NULL, 0, 0, &r) == CONN_EINVAL);
	CHECK(r.field == EF_PORTAL_FILE);
}

TEST(portal_bad_unknown_member_named)
{
	static const char f[] = "{\"format\":\"connector-portal-config\","
	    "\"version\":1,\"hello\":1}";
	struct enroll_result r;

	CHECK(fresh_store() == 0);
	CHECK(enroll_portal(f, sizeof f - 1, 0, &r) == CONN_EINVAL);
	CHECK(strcmp(r.msg, "This is not the portal's configuration file: it "
	    "has a member \"hello\" that file never has. Upload the file the "
	    "portal's setup downloaded, unchanged.") == 0);
}

TEST(unregister_when_not_registered)
{
	struct enroll_result r;

	CHECK(fresh_store() == 0);
	CHECK(enroll_unregister("u", "p", &r) == CONN_ENOTFOUND);
}

TEST(rotate_amp_bad_not_registered)
{
	struct enroll_result r;

	CHECK(fresh_store() == 0);
	CHECK(enroll_rotate_amp("{}", 2, &r) == CONN_EINVAL);
	CHECK(r.field == EF_FORM && strstr(r.msg, "Register the connector"));
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (unit_tmp_root("test-enroll", share, sizeof share) != 0)
		return 1;
	log_init("test-enroll");
	RUN(explain_refused_address_by_cause);
	RUN(explain_nothing_answered_names_the_port);
	RUN(explain_pinned_certificate_by_cause);
	RUN(explain_invalid_login);
	RUN(explain_aws_codes);
	RUN(explain_proxy_credentials_by_cause);
	RUN(explain_where_adds_what_to_do_there);
	RUN(explain_aws_transport_in_words_not_codes);
	RUN(next_step_of_empty_store_is_vcenter);
	RUN(reading_the_view_makes_no_draft);
	RUN(draft_names_are_made_in_one_place);
	RUN(discard_without_draft_changes_nothing);
	RUN(vcenter_bad_empty_host);
	RUN(vcenter_bad_loopback_refused_without_draft);
	RUN(trust_without_certificate_seen);
	RUN(trust_bad_other_thumbprint);
	RUN(aws_bad_unknown_region);
	RUN(aws_bad_blank_secret_for_other_key);
	RUN(portal_keep_without_file_keeps_key);
	RUN(portal_bad_unknown_member_named);
	RUN(unregister_when_not_registered);
	RUN(rotate_amp_bad_not_registered);
	db_close();
	unit_rm_rf(unit_tmp);
	UNIT_EXIT();
}
