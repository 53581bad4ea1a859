/*
 * password.c: the RFC 9106 known answer, the PHC strings exodb writes, the
 * cost setting and its floor, verification and when to rehash.
 */
#include <stdint.h>

#include <argon2.h>

#include "unit.h"

#define FLOOR_PHC	"$argon2id$v=19$m=19456,t=2,p=1$"
#define DEFAULT_PHC	"$argon2id$v=19$m=65536,t=3,p=4$"

/*
 * libargon2's own test vector for Argon2id v19 ("password", "somesalt",
 * m=65536, t=2, p=1): a PHC string exodb did not write.
 */
#define REFERENCE_PHC	"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ" \
	"$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"

/* Every input of Argon2id, for the known-answer tests. */
struct input {
	const void		*pwd;
	size_t			 pwdlen;
	const void		*salt;
	size_t			 saltlen;
	const void		*secret;
	size_t			 secretlen;
	const void		*ad;
	size_t			 adlen;
	struct password_cost	 cost;
};

/*
 * Argon2id by libargon2 with every input given, the tag written to out:
 * what the known-answer tests of RFC 9106 need, secret and associated data
 * included, which exodb itself never passes.
 */
static int
derive(const struct input *in, void *out, size_t outlen, char **cause)
{
	argon2_context	 ctx;
	int		 rc;

	memset(&ctx, 0, sizeof ctx);
	ctx.out = out;
	ctx.outlen = (uint32_t)outlen;
	ctx.pwd = (uint8_t *)(uintptr_t)in->pwd;
	ctx.pwdlen = (uint32_t)in->pwdlen;
	ctx.salt = (uint8_t *)(uintptr_t)in->salt;
	ctx.saltlen = (uint32_t)in->saltlen;
	ctx.secret = (uint8_t *)(uintptr_t)in->secret;
	ctx.secretlen = (uint32_t)in->secretlen;
	ctx.ad = (uint8_t *)(uintptr_t)in->ad;
	ctx.adlen = (uint32_t)in->adlen;
	ctx.t_cost = in->cost.t;
	ctx.m_cost = in->cost.m;
	ctx.lanes = in->cost.p;
	ctx.threads = in->cost.p;
	ctx.version = ARGON2_VERSION_13;
	ctx.flags = ARGON2_DEFAULT_FLAGS;
	if ((rc = argon2_ctx(&ctx, Argon2_id)) != ARGON2_OK) {
		*cause = xasprintf("argon2id: %s", argon2_error_message(rc));
		return -1;
	}
	return 0;
}

static char *
hex(const unsigned char *p, size_t n)
{
	char	*s = xmalloc(2 * n + 1);
	size_t	 i;

	for (i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	return s;
}

/* RFC 9106, section 5.3: Argon2id with a secret and associated data. */
START_TEST(test_derive_rfc9106)
{
	static const char	 want[] = "0d640df58d78766c08c037a34a8b53c9"
	    "d01ef0452d75b65eb52520e96b01e659";
	unsigned char		 pwd[32], salt[16], secret[8], ad[12], tag[32];
	struct input		 in;
	char			*cause = NULL, *got;

	memset(pwd, 0x01, sizeof pwd);
	memset(salt, 0x02, sizeof salt);
	memset(secret, 0x03, sizeof secret);
	memset(ad, 0x04, sizeof ad);
	memset(&in, 0, sizeof in);
	in.pwd = pwd;
	in.pwdlen = sizeof pwd;
	in.salt = salt;
	in.saltlen = sizeof salt;
	in.secret = secret;
	in.secretlen = sizeof secret;
	in.ad = ad;
	in.adlen = sizeof ad;
	in.cost.m = 32;
	in.cost.t = 3;
	in.cost.p = 4;
	ck_assert_int_eq(derive(&in, tag, sizeof tag, &cause), 0);
	CK_STR(hex(tag, sizeof tag), want);
	/* Every input counts: one bit of the associated data, of the secret. */
	ad[0] ^= 1;
	ck_assert_int_eq(derive(&in, tag, sizeof tag, &cause), 0);
	ck_assert_str_ne(got = hex(tag, sizeof tag), want);
	free(got);
	ad[0] ^= 1;
	secret[7] ^= 0x80;
	ck_assert_int_eq(derive(&in, tag, sizeof tag, &cause), 0);
	ck_assert_str_ne(got = hex(tag, sizeof tag), want);
	free(got);
}
END_TEST

/* The reference implementation's vector, without secret or data. */
START_TEST(test_derive_reference)
{
	struct input		in;
	unsigned char		tag[32];
	char			*cause = NULL;

	memset(&in, 0, sizeof in);
	in.pwd = "password";
	in.pwdlen = 8;
	in.salt = "somesalt";
	in.saltlen = 8;
	in.cost.m = 65536;
	in.cost.t = 2;
	in.cost.p = 1;
	ck_assert_int_eq(derive(&in, tag, sizeof tag, &cause), 0);
	CK_STR(hex(tag, sizeof tag), "09316115d5cf24ed5a15a31a3ba326e5"
	    "cf32edc24702987c02b6566f61913cf7");
}
END_TEST

START_TEST(test_derive_refused)
{
	struct input		in;
	unsigned char		tag[32];
	char			*cause = NULL;

	memset(&in, 0, sizeof in);
	in.pwd = "password";
	in.pwdlen = 8;
	in.salt = "short";
	in.saltlen = 5;
	in.cost = password_floor;
	ck_assert_int_eq(derive(&in, tag, sizeof tag, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "argon2id: "));
	free(cause);
}
END_TEST

START_TEST(test_parse_cost)
{
	struct password_cost	 c;
	char			*cause = NULL;

	ck_assert_int_eq(password_parse_cost("m=19456,t=2,p=1", &c, &cause), 0);
	ck_assert_uint_eq(c.m, 19456);
	ck_assert_uint_eq(c.t, 2);
	ck_assert_uint_eq(c.p, 1);
	ck_assert_int_eq(password_parse_cost("m=65536,t=3,p=4", &c, &cause), 0);
	ck_assert_uint_eq(c.m, 65536);
	ck_assert_uint_eq(c.t, 3);
	ck_assert_uint_eq(c.p, 4);
	ck_assert_int_eq(password_parse_cost("m=4194304,t=1024,p=255", &c,
	    &cause), 0);
}
END_TEST

/* Below OWASP's floor in any one of m, t and p: refused. */
START_TEST(test_parse_cost_floor)
{
	static const char	*below[] = {
		"m=19455,t=2,p=1", "m=19456,t=1,p=1", "m=19456,t=2,p=0",
		"m=8,t=1,p=1", "m=0,t=0,p=0",
	};
	struct password_cost	 c;
	char			*cause = NULL;
	size_t			 i;

	for (i = 0; i < sizeof below / sizeof below[0]; i++) {
		ck_assert_int_eq(password_parse_cost(below[i], &c, &cause), -1);
		ck_assert_msg(strstr(cause, "below OWASP's floor") != NULL,
		    "%s: %s", below[i], cause);
		ck_assert_ptr_nonnull(strstr(cause, "EXODB_ARGON2_COST: "));
		free(cause);
		cause = NULL;
	}
}
END_TEST

START_TEST(test_parse_cost_malformed)
{
	static const char	*bad[] = {
		"", "m=19456,t=2", "m=19456,t=2,p=1,", "t=2,m=19456,p=1",
		"m=019456,t=2,p=1", "m=19456, t=2,p=1", "m=-1,t=2,p=1",
		"m=19456,t=2,p=1x", "m=99999999999,t=2,p=1", "M=19456,t=2,p=1",
		"m=,t=2,p=1",
	};
	struct password_cost	 c;
	char			*cause = NULL;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(password_parse_cost(bad[i], &c, &cause), -1);
		ck_assert_msg(strstr(cause, "expected m=KIB,t=PASSES,p=LANES")
		    != NULL, "'%s': %s", bad[i], cause);
		free(cause);
		cause = NULL;
	}
	/* Above the ceiling. */
	ck_assert_int_eq(password_parse_cost("m=4194305,t=2,p=1", &c, &cause),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "m is above"));
	free(cause);
	/* Each of t and p is checked too, each named. */
	ck_assert_int_eq(password_parse_cost("m=19456,t=1025,p=1", &c, &cause),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "t is above"));
	free(cause);
	ck_assert_int_eq(password_parse_cost("m=19456,t=2,p=256", &c, &cause),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "p is above"));
	free(cause);
}
END_TEST

START_TEST(test_cost_env)
{
	struct password_cost	 c;
	char			*cause = NULL;

	unsetenv(PASSWORD_COST_ENV);
	ck_assert_int_eq(password_cost(&c, &cause), 0);
	ck_assert_uint_eq(c.m, 65536);
	ck_assert_uint_eq(c.t, 3);
	ck_assert_uint_eq(c.p, 4);
	setenv(PASSWORD_COST_ENV, "", 1);
	ck_assert_int_eq(password_cost(&c, &cause), 0);
	ck_assert_uint_eq(c.m, 65536);
	setenv(PASSWORD_COST_ENV, "m=19456,t=2,p=1", 1);
	ck_assert_int_eq(password_cost(&c, &cause), 0);
	ck_assert_uint_eq(c.m, 19456);
	setenv(PASSWORD_COST_ENV, "m=1024,t=2,p=1", 1);
	ck_assert_int_eq(password_cost(&c, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "below OWASP's floor"));
	free(cause);
	unsetenv(PASSWORD_COST_ENV);
}
END_TEST

/* $argon2id$v=19$m=..,t=..,p=..$ + 22 characters of salt $ 43 of tag. */
static void
check_phc(const char *phc, const char *prefix)
{
	const char	*salt, *tag;

	ck_assert_msg(strncmp(phc, prefix, strlen(prefix)) == 0, "%s", phc);
	salt = phc + strlen(prefix);
	ck_assert_ptr_nonnull(tag = strchr(salt, '$'));
	ck_assert_int_eq(tag - salt, 22);
	tag++;
	ck_assert_uint_eq(strlen(tag), 43);
	ck_assert_uint_eq(strspn(salt, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789+/$"), strlen(salt));
}

START_TEST(test_hash_format)
{
	struct password_params	 pp;
	char			*a = NULL, *b = NULL, *cause = NULL;

	ck_assert_int_eq(password_hash("correct horse", 13, &password_floor, &a,
	    &cause), 0);
	check_phc(a, FLOOR_PHC);
	ck_assert_int_eq(password_params(a, &pp, &cause), 0);
	ck_assert_int_eq(pp.argon2id, 1);
	ck_assert_uint_eq(pp.version, 19);
	ck_assert_uint_eq(pp.saltlen, 16);
	ck_assert_uint_eq(pp.taglen, 32);
	/* A fresh salt each time. */
	ck_assert_int_eq(password_hash("correct horse", 13, &password_floor, &b,
	    &cause), 0);
	ck_assert_str_ne(a, b);
	ck_assert_uint_eq(strlen(a), strlen(b));
	free(a);
	free(b);
	ck_assert_int_eq(password_hash("correct horse", 13, &password_default,
	    &a, &cause), 0);
	check_phc(a, DEFAULT_PHC);
	ck_assert_uint_eq(strlen(a), 97);
	free(a);
}
END_TEST

START_TEST(test_verify)
{
	char	*phc = NULL, *cause = NULL;
	int	 match = -1;

	ck_assert_int_eq(password_hash("correct horse", 13, &password_floor,
	    &phc, &cause), 0);
	ck_assert_int_eq(password_verify(phc, "correct horse", 13, &match,
	    &cause), 0);
	ck_assert_int_eq(match, 1);
	ck_assert_int_eq(password_verify(phc, "correct horsf", 13, &match,
	    &cause), 0);
	ck_assert_int_eq(match, 0);
	/* A prefix is not the password: lengths count. */
	ck_assert_int_eq(password_verify(phc, "correct horse", 12, &match,
	    &cause), 0);
	ck_assert_int_eq(match, 0);
	free(phc);
	/* A string written by libargon2's own tests. */
	ck_assert_int_eq(password_verify(REFERENCE_PHC, "password", 8, &match,
	    &cause), 0);
	ck_assert_int_eq(match, 1);
	ck_assert_int_eq(password_verify(REFERENCE_PHC, "Password", 8, &match,
	    &cause), 0);
	ck_assert_int_eq(match, 0);
}
END_TEST

START_TEST(test_verify_unreadable)
{
	static const char	*bad[] = {
		"", "x", "$2b$12$abcdefghijklmnopqrstuu", "$argon2id$",
		"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ",
		"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$",
		"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$a",
		"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$CTFh!",
		"$argon2id$v=19$m=65536,t=3$c29tZXNhbHQ$CTFhFdXPJO1aFaMa",
		"$argon2x$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$CTFhFdXPJO1aFaMa",
		REFERENCE_PHC "$",
	};
	char	*cause = NULL;
	size_t	 i;
	int	 match = -1;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(password_verify(bad[i], "password", 8, &match,
		    &cause), -1);
		ck_assert_int_eq(match, 0);
		ck_assert_msg(strcmp(cause, "stored hash is not an Argon2 PHC "
		    "string") == 0, "'%s': %s", bad[i], cause);
		free(cause);
		cause = NULL;
	}
	/* Another version, or more than the ceiling: named as such. */
	ck_assert_int_eq(password_verify("$argon2id$v=16$m=65536,t=2,p=1$"
	    "c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    "password", 8, &match, &cause), -1);
	ck_assert_str_eq(cause, "stored hash is of Argon2 version 16; only 19 "
	    "is read");
	free(cause);
	ck_assert_int_eq(password_verify("$argon2id$v=19$m=4294967295,t=2,p=1$"
	    "c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    "password", 8, &match, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "asks for more than exodb allows"));
	free(cause);
	/* Readable but impossible for Argon2: libargon2 says why. */
	ck_assert_int_eq(password_verify("$argon2id$v=19$m=65536,t=2,p=1$"
	    "c29t$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    "password", 8, &match, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "cannot check the password: "));
	free(cause);
}
END_TEST

START_TEST(test_needs_rehash)
{
	struct password_cost	 stronger = { 65536, 4, 4 };
	char			*floor_phc = NULL, *default_phc = NULL;
	char			*cause = NULL;

	ck_assert_int_eq(password_hash("correct horse", 13, &password_floor,
	    &floor_phc, &cause), 0);
	ck_assert_int_eq(password_hash("correct horse", 13, &password_default,
	    &default_phc, &cause), 0);
	ck_assert_int_eq(password_needs_rehash(default_phc, &password_default),
	    0);
	ck_assert_int_eq(password_needs_rehash(default_phc, &password_floor), 0);
	ck_assert_int_eq(password_needs_rehash(floor_phc, &password_floor), 0);
	ck_assert_int_eq(password_needs_rehash(floor_phc, &password_default), 1);
	ck_assert_int_eq(password_needs_rehash(default_phc, &stronger), 1);
	/* m=65536,t=2,p=1 has a lower t and p than the default. */
	ck_assert_int_eq(password_needs_rehash(REFERENCE_PHC, &password_default),
	    1);
	/* Argon2i, or a short salt: replaced even at a high cost. */
	ck_assert_int_eq(password_needs_rehash("$argon2i$v=19$m=65536,t=3,p=4$"
	    "c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    &password_floor), 1);
	ck_assert_int_eq(password_needs_rehash("$argon2id$v=19$m=65536,t=3,p=4$"
	    "c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    &password_floor), 1);
	ck_assert_int_eq(password_needs_rehash("$argon2id$v=19$m=65536,t=3,p=4$"
	    "c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    &password_default), 0);
	ck_assert_int_eq(password_needs_rehash("not a hash", &password_floor), 1);
	/*
	 * Only weaker in every respect: argon2-cffi's old default is stronger
	 * in m and p than the default, weaker in t, and is kept.
	 */
	ck_assert_int_eq(password_needs_rehash("$argon2id$v=19$m=102400,t=2,p=8$"
	    "c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    &password_default), 0);
	ck_assert_int_eq(password_needs_rehash("$argon2id$v=19$m=65536,t=2,p=4$"
	    "c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    &password_default), 1);
	ck_assert_int_eq(password_needs_rehash("$argon2id$v=19$m=32768,t=3,p=4$"
	    "c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    &password_default), 1);
	ck_assert_int_eq(password_needs_rehash("$argon2id$v=19$m=32768,t=4,p=4$"
	    "c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
	    &password_default), 0);
	free(floor_phc);
	free(default_phc);
}
END_TEST

START_TEST(test_params)
{
	struct password_params	 pp;
	char			*cause = NULL;

	ck_assert_int_eq(password_params(REFERENCE_PHC, &pp, &cause), 0);
	ck_assert_int_eq(pp.argon2id, 1);
	ck_assert_uint_eq(pp.cost.m, 65536);
	ck_assert_uint_eq(pp.cost.t, 2);
	ck_assert_uint_eq(pp.cost.p, 1);
	ck_assert_uint_eq(pp.saltlen, 8);
	ck_assert_uint_eq(pp.taglen, 32);
	ck_assert_int_eq(password_params("$argon2d$v=19$m=8,t=1,p=1$AAAA$AAAAAA",
	    &pp, &cause), 0);
	ck_assert_int_eq(pp.argon2id, 0);
	ck_assert_uint_eq(pp.saltlen, 3);
	ck_assert_uint_eq(pp.taglen, 4);
}
END_TEST

START_TEST(test_scheme)
{
	static const char *cases[][2] = {
		{ "pbkdf2:sha256:600000$Ab3dE6gH$0f1e2d", "werkzeug pbkdf2" },
		{ "scrypt:32768:8:1$Ab3dE6gH$0f1e2d", "werkzeug scrypt" },
		{ "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
		  "bcrypt" },
		{ "$2y$10$abc", "bcrypt" },
		{ "pbkdf2_sha256$600000$salt$hash=", "django pbkdf2" },
		{ "$6$salt$hash", "sha512-crypt" },
		{ "!", "a placeholder" },
		{ "*", "a placeholder" },
		{ "disabled", "a placeholder" },
		{ "", "an empty string" },
		{ "$unknown$abcdefghijklmnopqrstuvwxyz", "an unknown format" },
	};
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_str_eq(password_scheme(cases[i][0]), cases[i][1]);
	/* Argon2, readable or not, is for password_params to judge. */
	ck_assert_ptr_null(password_scheme(REFERENCE_PHC));
	ck_assert_ptr_null(password_scheme("$argon2id$v=19$m=1"));
	ck_assert_ptr_null(password_scheme("$argon2i$"));
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("password");
	TCase	*tc;

	tc = tcase_create("argon2id");
	tcase_add_test(tc, test_derive_rfc9106);
	tcase_add_test(tc, test_derive_reference);
	tcase_add_test(tc, test_derive_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("password_parse_cost");
	tcase_add_test(tc, test_parse_cost);
	tcase_add_test(tc, test_parse_cost_floor);
	tcase_add_test(tc, test_parse_cost_malformed);
	suite_add_tcase(s, tc);
	tc = tcase_create("password_cost");
	tcase_add_test(tc, test_cost_env);
	suite_add_tcase(s, tc);
	tc = tcase_create("password_hash");
	tcase_add_test(tc, test_hash_format);
	suite_add_tcase(s, tc);
	tc = tcase_create("password_verify");
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_verify_unreadable);
	suite_add_tcase(s, tc);
	tc = tcase_create("password_needs_rehash");
	tcase_add_test(tc, test_needs_rehash);
	suite_add_tcase(s, tc);
	tc = tcase_create("password_scheme");
	tcase_add_test(tc, test_scheme);
	suite_add_tcase(s, tc);
	tc = tcase_create("password_params");
	tcase_add_test(tc, test_params);
	suite_add_tcase(s, tc);
	return s;
}
