/* test_auth.c: authentication through the real server: every route but health and login answers
 * 401 without credentials (and with bad ones); a login sets an HttpOnly SameSite=Strict cookie
 * and gives a CSRF token; cookie writes without (or with a wrong) CSRF token are refused and write
 * nothing; wrong password and unknown user get the same 401; throttling kicks in after 5 failures
 * and refuses even the right password, with Retry-After; logout, password change and disabling
 * revoke sessions; bearer tokens from the API work without CSRF. */
#include "apitest.h"
#include "auth/auth.h"
#include "auth/throttle.h"

#define PW "correct horse battery"

static const struct {
	const char *method, *path, *body;
} protected_routes[] = {
	{"GET", "/api/v1/enums", NULL},
	{"GET", "/api/v1/schema", NULL},
	{"GET", "/api/v1/persons", NULL},
	{"GET", "/api/v1/persons/1", NULL},
	{"POST", "/api/v1/persons", "{\"full_name\": \"A\", \"sex\": \"male\", \"residence_ou\": \"16837\"}"},
	{"PUT", "/api/v1/persons/1", "{\"full_name\": \"A\"}"},
	{"PATCH", "/api/v1/persons/1", "{\"full_name\": \"A\"}"},
	{"DELETE", "/api/v1/persons/1", NULL},
	{"GET", "/api/v1/persons/1/timeline", NULL},
	{"GET", "/api/v1/tests", NULL},
	{"GET", "/api/v1/orgunits", NULL},
	{"GET", "/api/v1/rules", NULL},
	{"GET", "/api/v1/drug-free?orgunit=40", NULL},
	{"GET", "/api/v1/indicators?plan=X", NULL},
	{"GET", "/api/v1/measures", NULL},
	{"GET", "/api/v1/classification?year=2025", NULL},
	{"GET", "/api/v1/auth/me", NULL},
	{"POST", "/api/v1/auth/logout", NULL},
	{"POST", "/api/v1/auth/tokens", NULL},
	{"GET", "/api/v1/audit", NULL},
};

static void test_unauthenticated_401(void **state)
{
	struct api_fx *f = *state;
	static const char *const bad[] = {"Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
					  "Authorization: Basic YWRtaW46YWRtaW4=", "Cookie: pcmt_session=forged", NULL};
	int64_t pid = api_person(f, "Người Một", "male", "1990-01-01", "16837");
	struct tl_resp r;

	assert_true(pid > 0);
	for (size_t i = 0; i < sizeof(protected_routes) / sizeof(protected_routes[0]); i++) {
		const char *b = protected_routes[i].body;

		/* no credentials */
		struct tl_resp x = api_refused_ex(f, protected_routes[i].method, protected_routes[i].path,
						  (const char *const[]){"Authorization:", NULL}, b, b ? strlen(b) : 0, 401,
						  "unauthenticated", NULL);

		assert_null(strstr(x.body, "Người"));
		tl_resp_free(&x);
		/* bad credentials of every kind */
		for (int k = 0; bad[k]; k++) {
			x = api_refused_ex(f, protected_routes[i].method, protected_routes[i].path, (const char *const[]){bad[k], NULL},
					   b, b ? strlen(b) : 0, 401, "unauthenticated", NULL);
			tl_resp_free(&x);
		}
	}
	/* public: health (without counts) and the login route itself */
	assert_int_equal(tl_http_as(&f->srv, NULL, "GET", "/api/v1/health", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, NULL, "GET", "/api/v1/health?counts=1", NULL, &r), 0);
	assert_int_equal(r.status, 401);
	tl_resp_free(&r);
}

static void test_login_cookie_csrf(void **state)
{
	struct api_fx *f = *state;
	char sess[64], csrf[64], tok[64];
	struct tl_resp r;
	int64_t before;

	tl_user(&f->srv, "hoa", "district", "417", PW, NULL);
	/* the login answer: user, org unit, CSRF token, and the cookie's attributes */
	{
		const char *body = "{\"username\": \"hoa\", \"password\": \"" PW "\"}";

		assert_int_equal(tl_http_as(&f->srv, NULL, "POST", "/api/v1/auth/login", body, &r), 0);
		assert_int_equal(r.status, 200);
		assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "user"), "role")), "district");
		assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(r.json, "user"), "orgunit"),
								      "code")),
				    "417");
		assert_non_null(json_string_value(json_object_get(r.json, "csrf_token")));
		assert_non_null(strstr(r.set_cookie, "HttpOnly"));
		assert_non_null(strstr(r.set_cookie, "SameSite=Strict"));
		assert_non_null(strstr(r.set_cookie, "Path=/"));
		assert_int_equal(strlen(r.cookie), 43);
		tl_resp_free(&r);
	}
	assert_int_equal(tl_login(&f->srv, "hoa", PW, sess, csrf), 200);
	/* me, by cookie: the same CSRF token */
	assert_int_equal(tl_http_cookie(&f->srv, sess, NULL, "GET", "/api/v1/auth/me", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.json, "csrf_token")), csrf);
	tl_resp_free(&r);
	/* a cookie write without CSRF, with a wrong one, with another session's: 403 csrf, nothing written */
	before = api_count(f, "persons");
	{
		const char *p = "{\"full_name\": \"Lò Văn A\", \"sex\": \"male\", \"residence_ou\": \"16837\"}";
		char c1[128], x1[128], sess2[64], csrf2[64];

		snprintf(c1, sizeof(c1), "Cookie: pcmt_session=%s", sess);
		r = api_refused_ex(f, "POST", "/api/v1/persons", (const char *const[]){c1, NULL}, p, strlen(p), 403, "csrf", NULL);
		tl_resp_free(&r);
		snprintf(x1, sizeof(x1), "X-CSRF-Token: %s", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
		r = api_refused_ex(f, "POST", "/api/v1/persons", (const char *const[]){c1, x1, NULL}, p, strlen(p), 403, "csrf",
				   NULL);
		tl_resp_free(&r);
		assert_int_equal(tl_login(&f->srv, "hoa", PW, sess2, csrf2), 200);
		assert_string_not_equal(csrf, csrf2);
		snprintf(x1, sizeof(x1), "X-CSRF-Token: %s", csrf2);
		r = api_refused_ex(f, "POST", "/api/v1/persons", (const char *const[]){c1, x1, NULL}, p, strlen(p), 403, "csrf",
				   NULL);
		tl_resp_free(&r);
		r = api_refused_ex(f, "DELETE", "/api/v1/persons/1", (const char *const[]){c1, NULL}, NULL, 0, 403, "csrf", NULL);
		tl_resp_free(&r);
		assert_int_equal(api_count(f, "persons"), before);
		/* with it: written */
		assert_int_equal(tl_http_cookie(&f->srv, sess, csrf, "POST", "/api/v1/persons", p, &r), 0);
		assert_int_equal(r.status, 201);
		tl_resp_free(&r);
		assert_int_equal(api_count(f, "persons"), before + 1);
	}
	/* logging in again while holding a live session cookie needs no CSRF token */
	{
		char sess3[64], c3[128];
		const char *h[] = {c3, NULL};
		const char *body = "{\"username\": \"hoa\", \"password\": \"" PW "\"}";

		snprintf(c3, sizeof(c3), "Cookie: pcmt_session=%s", sess);
		assert_int_equal(tl_http_ex(&f->srv, "POST", "/api/v1/auth/login", h, body, strlen(body), &r), 0);
		assert_int_equal(r.status, 200);
		snprintf(sess3, sizeof(sess3), "%s", r.cookie);
		assert_string_not_equal(sess3, sess);
		tl_resp_free(&r);
	}
		/* a cookie GET needs no CSRF token */
	assert_int_equal(tl_http_cookie(&f->srv, sess, NULL, "GET", "/api/v1/persons", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	tl_resp_free(&r);
	/* a bearer token made through the API works without CSRF; it is not a session cookie */
	assert_int_equal(tl_http_cookie(&f->srv, sess, csrf, "POST", "/api/v1/auth/tokens?expires=2", NULL, &r), 0);
	assert_int_equal(r.status, 201);
	snprintf(tok, sizeof(tok), "%s", json_string_value(json_object_get(r.json, "token")));
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, tok, "POST", "/api/v1/persons",
				    "{\"full_name\": \"Lò Văn B\", \"sex\": \"male\", \"residence_ou\": \"16837\"}", &r),
			 0);
	assert_int_equal(r.status, 201);
	tl_resp_free(&r);
	assert_int_equal(tl_http_cookie(&f->srv, tok, NULL, "GET", "/api/v1/auth/me", NULL, &r), 0);
	assert_int_equal(r.status, 401); /* a bearer token is not accepted as a cookie */
	tl_resp_free(&r);
	/* logout revokes the session (CSRF needed for it too) */
	assert_int_equal(tl_http_cookie(&f->srv, sess, NULL, "POST", "/api/v1/auth/logout", NULL, &r), 0);
	assert_int_equal(r.status, 403);
	tl_resp_free(&r);
	assert_int_equal(tl_http_cookie(&f->srv, sess, csrf, "POST", "/api/v1/auth/logout", NULL, &r), 0);
	assert_int_equal(r.status, 204);
	assert_non_null(strstr(r.set_cookie, "Max-Age=0"));
	tl_resp_free(&r);
	assert_int_equal(tl_http_cookie(&f->srv, sess, NULL, "GET", "/api/v1/auth/me", NULL, &r), 0);
	assert_int_equal(r.status, 401);
	tl_resp_free(&r);
}

static void test_wrong_credentials_same_answer(void **state)
{
	struct api_fx *f = *state;
	struct tl_resp a, b, c;

	tl_user(&f->srv, "lan", "commune", "16837", PW, NULL);
	tl_user(&f->srv, "tokenonly", "admin", NULL, NULL, NULL);
	assert_int_equal(tl_http_as(&f->srv, NULL, "POST", "/api/v1/auth/login",
				    "{\"username\": \"lan\", \"password\": \"wrong password!\"}", &a), 0);
	assert_int_equal(tl_http_as(&f->srv, NULL, "POST", "/api/v1/auth/login",
				    "{\"username\": \"nobody\", \"password\": \"wrong password!\"}", &b), 0);
	assert_int_equal(tl_http_as(&f->srv, NULL, "POST", "/api/v1/auth/login",
				    "{\"username\": \"tokenonly\", \"password\": \"\"}", &c), 0);
	assert_int_equal(a.status, 401);
	assert_string_equal(a.body, b.body);
	assert_string_equal(a.body, c.body);
	assert_string_equal(a.cookie, "");
	tl_resp_free(&a);
	tl_resp_free(&b);
	tl_resp_free(&c);
	/* malformed */
	api_refused(f, "POST", "/api/v1/auth/login", "{\"username\": \"lan\"}", 422, "invalid", "password");
	api_refused(f, "POST", "/api/v1/auth/login", "{\"password\": \"x\"}", 422, "invalid", "username");
}

static void test_throttling(void **state)
{
	struct api_fx *f = *state;
	char sess[64], csrf[64];
	struct tl_resp r;

	tl_user(&f->srv, "minh", "district", "417", PW, NULL);
	tl_user(&f->srv, "other", "district", "417", PW, NULL);
	for (int i = 0; i < THROTTLE_USER_FREE; i++)
		assert_int_equal(tl_login(&f->srv, "minh", "not the password", sess, csrf), 401);
	/* the sixth attempt is refused unchecked, even with the right password */
	assert_int_equal(tl_http_as(&f->srv, NULL, "POST", "/api/v1/auth/login",
				    "{\"username\": \"minh\", \"password\": \"" PW "\"}", &r), 0);
	assert_int_equal(r.status, 429);
	assert_string_equal(tl_err_code(&r), "throttled");
	assert_true(r.retry_after > 0 && r.retry_after <= 30);
	assert_string_equal(r.cookie, "");
	tl_resp_free(&r);
	/* another user from the same address is not blocked (the address limit is higher) */
	assert_int_equal(tl_login(&f->srv, "other", PW, sess, csrf), 200);
}

static void test_passwd_and_disable_revoke(void **state)
{
	struct api_fx *f = *state;
	char sess[64], csrf[64], tok[64];
	struct tl_resp r;
	struct pcmt_err err;
	struct store *s;

	tl_user(&f->srv, "thu", "province", "40", PW, tok);
	assert_int_equal(tl_login(&f->srv, "thu", PW, sess, csrf), 200);
	err_clear(&err);
	assert_non_null(s = store_open(f->tmp.db, &err));
	assert_int_equal(auth_user_passwd(s, "thu", "a brand new password", &err), 0);
	assert_int_equal(tl_http_cookie(&f->srv, sess, NULL, "GET", "/api/v1/auth/me", NULL, &r), 0);
	assert_int_equal(r.status, 401);
	tl_resp_free(&r);
	assert_int_equal(tl_http_as(&f->srv, tok, "GET", "/api/v1/auth/me", NULL, &r), 0);
	assert_int_equal(r.status, 401);
	tl_resp_free(&r);
	assert_int_equal(tl_login(&f->srv, "thu", PW, sess, csrf), 401);
	assert_int_equal(tl_login(&f->srv, "thu", "a brand new password", sess, csrf), 200);
	assert_int_equal(auth_user_disable(s, "thu", 1, &err), 0);
	assert_int_equal(tl_http_cookie(&f->srv, sess, NULL, "GET", "/api/v1/auth/me", NULL, &r), 0);
	assert_int_equal(r.status, 401);
	tl_resp_free(&r);
	assert_int_equal(tl_login(&f->srv, "thu", "a brand new password", sess, csrf), 401);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unauthenticated_401, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_login_cookie_csrf, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_wrong_credentials_same_answer, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_throttling, api_setup, api_teardown),
		cmocka_unit_test_setup_teardown(test_passwd_and_disable_revoke, api_setup, api_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
