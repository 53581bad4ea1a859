/*
 * Unit tests of src/pq.c: loading libpq. A library that is missing, or is
 * not libpq, fails with the reason and loads nothing, and a later call may
 * still load the real one; the seam is pq_library, the soname dlopen()
 * looks for. (That the SQLite commands never load it is tested end to end,
 * in tests/cli-pg.sh.)
 */
#include "unit.h"

#include "pq.h"

START_TEST(test_pq_load_missing)
{
	char	*cause = NULL;
	int	 password;

	pq_library = "libexodb-nosuch.so.0";
	ck_assert_int_eq(pq_load(&cause), -1);
	ck_assert_str_eq(cause, "cannot load libpq (libexodb-nosuch.so.0): "
	    "libexodb-nosuch.so.0: cannot open shared object file: No such "
	    "file or directory; scripts/install-deps installs it");
	free(cause);
	cause = NULL;
	/* Through pg.c, the same reason, and nothing to crash on. */
	ck_assert_int_eq(pg_load(&cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "libexodb-nosuch.so.0"));
	free(cause);
	cause = NULL;
	ck_assert_int_eq(pg_check_uri("postgresql:///db", &password, &cause),
	    -1);
	ck_assert_ptr_nonnull(strstr(cause, "cannot load libpq"));
	free(cause);
}
END_TEST

/* A library that is there but is not libpq: the first function it lacks. */
START_TEST(test_pq_load_not_libpq)
{
	char	*cause = NULL;

	pq_library = "libc.so.6";
	ck_assert_int_eq(pq_load(&cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "libc.so.6 has no PQbackendPID: "));
	ck_assert_ptr_null(strchr(cause, '\n'));
	free(cause);
}
END_TEST

START_TEST(test_pq_load)
{
	char	*cause = NULL;

	pq_library = "libexodb-nosuch.so.0";
	ck_assert_int_eq(pq_load(&cause), -1);
	free(cause);
	cause = NULL;
	/* A failure is not remembered: the real one loads, once. */
	pq_library = "libpq.so.5";
	ck_assert_int_eq(pq_load(&cause), 0);
	ck_assert_ptr_nonnull((void *)PQconninfoParse);
	pq_library = "libexodb-nosuch.so.0";
	ck_assert_int_eq(pq_load(&cause), 0);
	ck_assert_ptr_null(cause);
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("pq");
	TCase	*tc;

	/* In this order: once loaded, libpq stays for the process. */
	tc = tcase_create("pq_load");
	tcase_add_test(tc, test_pq_load_missing);
	tcase_add_test(tc, test_pq_load_not_libpq);
	tcase_add_test(tc, test_pq_load);
	suite_add_tcase(s, tc);
	return s;
}
