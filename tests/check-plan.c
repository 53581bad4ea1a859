/*
 * Unit tests of src/plan.c: which revisions a target runs, in what order.
 * No database: the history is built in memory.
 */
#include "unit.h"

/*
 * A repository: a root 01, then 02 and 03 on it, a merge 04 of both, and 05
 * on 04.
 */
static struct repo *
graph(void)
{
	static const char *revs[][3] = {
		{ "20260101000001", "none", "a" },
		{ "20260101000002", "20260101000001", "b" },
		{ "20260101000003", "20260101000001", "c" },
		{ "20260101000004", "20260101000002 20260101000003", "m" },
		{ "20260101000005", "20260101000004", "e" },
	};
	struct repo	*repo;
	char		*cause = NULL;
	size_t		 i;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	for (i = 0; i < 5; i++)
		unit_revision("m/versions", revs[i][0], revs[i][1], revs[i][2],
		    NULL, NULL);
	if (repo_load("m", &repo, &cause) == -1)
		ck_abort_msg("%s", cause);
	unit_rmdir();
	return repo;
}

/* A history holding the revisions whose last two digits are listed. */
static struct history *
applied(const char *list)
{
	struct history	*h = history_new();
	char		 id[15];
	const char	*p;

	for (p = list; *p != '\0'; p += p[2] == ' ' ? 3 : 2) {
		snprintf(id, sizeof id, "202601010000%.2s", p);
		history_add(h, id, "x", "now");
	}
	return h;
}

/* The last two digits of the ids a plan runs, or the error. */
static char *
plan(const struct repo *repo, const char *have, const char *target, int up)
{
	struct history	*h = applied(have);
	struct plan	*p;
	sqlite3_str	*s;
	char		*cause = NULL;
	size_t		 i;

	if (plan_new(repo, h, target, up, &p, &cause) == -1) {
		history_free(h);
		return cause;
	}
	ck_assert_int_eq(p->up, up);
	s = sqlite3_str_new(NULL);
	for (i = 0; i < p->nrevs; i++)
		sqlite3_str_appendf(s, "%s%s", i > 0 ? " " : "",
		    p->revs[i]->id + 12);
	plan_free(p);
	history_free(h);
	return xstr_finish(s);
}

START_TEST(test_plan_to)
{
	struct repo	*repo = graph();

	CK_STR(plan(repo, "", "head", 1), "01 02 03 04 05");
	CK_STR(plan(repo, "01 03", "head", 1), "02 04 05");
	CK_STR(plan(repo, "", "20260101000003", 1), "01 03");
	CK_STR(plan(repo, "", "2026010100000", 1),
	    "revision prefix '2026010100000' is ambiguous: 20260101000001 "
	    "20260101000002 20260101000003 20260101000004 20260101000005");
	CK_STR(plan(repo, "", "7", 1), "unknown revision '7'");
	CK_STR(plan(repo, "", "base", 0), "");
	CK_STR(plan(repo, "", "base", 1), "");
	CK_STR(plan(repo, "01 02 03 04 05", "head", 1), "");
	/* Through the merge point: the merge first, then each branch. */
	CK_STR(plan(repo, "01 02 03 04 05", "base", 0), "05 04 03 02 01");
	CK_STR(plan(repo, "01 02 03 04 05", "20260101000002", 0), "05 04 03");
	CK_STR(plan(repo, "01 02 03 04 05", "20260101000001", 0),
	    "05 04 03 02");
	CK_STR(plan(repo, "01 02", "20260101000003", 0), "revision "
	    "20260101000003 is not applied; downgrade goes back to an applied "
	    "revision");
	/* An upgrade only applies. */
	CK_STR(plan(repo, "01 02 03 04 05", "20260101000002", 1), "");
	repo_free(repo);
}
END_TEST

START_TEST(test_plan_forward)
{
	struct repo	*repo = graph();

	CK_STR(plan(repo, "", "+2", 1), "01 02");
	CK_STR(plan(repo, "", "+5", 1), "01 02 03 04 05");
	/* 04 waits for 02, which comes first. */
	CK_STR(plan(repo, "01 03", "+1", 1), "02");
	CK_STR(plan(repo, "01 03", "+2", 1), "02 04");
	CK_STR(plan(repo, "", "+6", 1),
	    "'+6': only 5 revisions pending; that is past head");
	CK_STR(plan(repo, "01 02 03 04", "+2", 1),
	    "'+2': only 1 revision pending; that is past head");
	CK_STR(plan(repo, "", "+x", 1),
	    "'+x': not a revision id, 'head', 'heads', 'base' or +N");
	CK_STR(plan(repo, "", "+0", 1),
	    "'+0': not a revision id, 'head', 'heads', 'base' or +N");
	CK_STR(plan(repo, "", "+1", 0), "'+1': downgrade goes back: use -N");
	repo_free(repo);
}
END_TEST

START_TEST(test_plan_back)
{
	struct repo	*repo = graph();

	CK_STR(plan(repo, "01 02 03 04 05", "-1", 0), "05");
	CK_STR(plan(repo, "01 02 03 04 05", "-3", 0), "05 04 03");
	CK_STR(plan(repo, "01 02 03 04 05", "-5", 0), "05 04 03 02 01");
	/* 01 stays while 02 or 03 is applied. */
	CK_STR(plan(repo, "01 02 03", "-2", 0), "03 02");
	CK_STR(plan(repo, "", "-1", 0),
	    "'-1': only 0 revisions applied; that is below base");
	CK_STR(plan(repo, "01", "-2", 0),
	    "'-2': only 1 revision applied; that is below base");
	CK_STR(plan(repo, "01", "-1", 1), "'-1': upgrade goes forward: use +N");
	repo_free(repo);
}
END_TEST

/* What a database at a target has: the target and its ancestors. */
START_TEST(test_plan_wanted)
{
	struct repo	*repo = graph();
	struct revision	*rev;
	char		*cause = NULL;
	int		 want[5];

	memset(want, 0, sizeof want);
	ck_assert_int_eq(plan_wanted(repo, "20260101000004", want, &rev,
	    &cause), 0);
	ck_assert_str_eq(rev->id, "20260101000004");
	ck_assert(want[0] && want[1] && want[2] && want[3] && !want[4]);
	memset(want, 0, sizeof want);
	ck_assert_int_eq(plan_wanted(repo, "20260101000003", want, &rev,
	    &cause), 0);
	ck_assert(want[0] && !want[1] && want[2] && !want[3] && !want[4]);
	memset(want, 0, sizeof want);
	ck_assert_int_eq(plan_wanted(repo, "base", want, &rev, &cause), 0);
	ck_assert_ptr_null(rev);
	ck_assert(!want[0] && !want[4]);
	ck_assert_int_eq(plan_wanted(repo, "head", want, &rev, &cause), 0);
	ck_assert(want[0] && want[4]);
	repo_free(repo);
}
END_TEST

/* Two branches, 02 and 03 on 01: "head" is refused, "heads" is both. */
START_TEST(test_plan_heads)
{
	static const char *revs[][3] = {
		{ "20260101000001", "none", "a" },
		{ "20260101000002", "20260101000001", "b" },
		{ "20260101000003", "20260101000001", "c" },
	};
	struct repo	*repo;
	struct revision	*rev;
	char		*cause = NULL, *msg;
	int		 want[3] = { 0, 0, 0 };
	size_t		 i;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	for (i = 0; i < 3; i++)
		unit_revision("m/versions", revs[i][0], revs[i][1], revs[i][2],
		    NULL, NULL);
	if (repo_load("m", &repo, &cause) == -1)
		ck_abort_msg("%s", cause);
	unit_rmdir();
	msg = plan(repo, "", "head", 1);
	ck_assert_msg(strstr(msg, "merge") != NULL, "%s", msg);
	free(msg);
	CK_STR(plan(repo, "", "heads", 1), "01 02 03");
	CK_STR(plan(repo, "01 02", "heads", 1), "03");
	CK_STR(plan(repo, "01 02 03", "heads", 0),
	    "'heads': not a revision id, 'head', 'base' or -N");
	ck_assert_int_eq(plan_wanted(repo, "heads", want, &rev, &cause), 0);
	ck_assert_ptr_null(rev);
	ck_assert(want[0] && want[1] && want[2]);
	repo_free(repo);
}
END_TEST

/* A long linear chain: each plan is one pass, whatever the target. */
START_TEST(test_plan_long_chain)
{
	struct repo	*repo;
	struct history	*h = history_new();
	struct plan	*p;
	char		*cause = NULL, id[15], parent[15];
	size_t		 i, n = 5000;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	strcpy(parent, "none");
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof id, "2026%010zu", i + 1);
		unit_revision("m/versions", id, parent, "r", NULL, NULL);
		if (i < n / 2)
			history_add(h, id, "x", "now");
		strcpy(parent, id);
	}
	if (repo_load("m", &repo, &cause) == -1)
		ck_abort_msg("%s", cause);
	unit_rmdir();
	ck_assert_int_eq(plan_new(repo, h, "head", 1, &p, &cause), 0);
	ck_assert_uint_eq(p->nrevs, n / 2);
	plan_free(p);
	ck_assert_int_eq(plan_new(repo, h, "-2500", 0, &p, &cause), 0);
	ck_assert_uint_eq(p->nrevs, n / 2);
	ck_assert_str_eq(p->revs[0]->id, "20260000002500");
	plan_free(p);
	ck_assert_int_eq(plan_new(repo, h, "+2500", 1, &p, &cause), 0);
	ck_assert_str_eq(p->revs[2499]->id, "20260000005000");
	plan_free(p);
	history_free(h);
	repo_free(repo);
}
END_TEST

/* Each revision a plan runs has its section for the dialect, or it fails. */
START_TEST(test_plan_check_dialect)
{
	struct revision	 a, b, *revs[2] = { &a, &b };
	struct plan	 p = { 1, revs, 2 };
	char		*cause = NULL;

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.path = (char *)"v/a.sql";
	b.path = (char *)"v/b.sql";
	a.upgrade = a.downgrade = (char *)"";
	a.pg_upgrade = a.pg_downgrade = (char *)"";
	b.pg_upgrade = b.pg_downgrade = (char *)"SELECT 1;";
	ck_assert_int_eq(plan_check_dialect(&p, DIALECT_POSTGRESQL, &cause), 0);
	ck_assert_int_eq(plan_check_dialect(&p, DIALECT_SQLITE, &cause), -1);
	CK_STR(cause, "v/b.sql: has no upgrade section for SQLite "
	    "('-- +upgrade'); write one for this database");
	p.up = 0;
	ck_assert_int_eq(plan_check_dialect(&p, DIALECT_SQLITE, &cause), -1);
	CK_STR(cause, "v/b.sql: has no downgrade section for SQLite "
	    "('-- +downgrade'); write one for this database");
	p.nrevs = 1;
	ck_assert_int_eq(plan_check_dialect(&p, DIALECT_SQLITE, &cause), 0);
	/* The downgrade is what a downgrade needs. */
	a.pg_downgrade = NULL;
	ck_assert_int_eq(plan_check_dialect(&p, DIALECT_POSTGRESQL, &cause),
	    -1);
	CK_STR(cause, "v/a.sql: has no downgrade section for PostgreSQL "
	    "('-- +downgrade postgresql'); write one for this database");
	p.up = 1;
	ck_assert_int_eq(plan_check_dialect(&p, DIALECT_POSTGRESQL, &cause), 0);
	/* An empty plan needs nothing. */
	p.nrevs = 0;
	ck_assert_int_eq(plan_check_dialect(&p, DIALECT_SQLITE, &cause), 0);
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("plan");
	TCase	*tc;

	tc = tcase_create("plan_to");
	tcase_add_test(tc, test_plan_to);
	tcase_add_test(tc, test_plan_heads);
	suite_add_tcase(s, tc);
	tc = tcase_create("plan_forward");
	tcase_add_test(tc, test_plan_forward);
	suite_add_tcase(s, tc);
	tc = tcase_create("plan_back");
	tcase_add_test(tc, test_plan_back);
	suite_add_tcase(s, tc);
	tc = tcase_create("plan_wanted");
	tcase_add_test(tc, test_plan_wanted);
	suite_add_tcase(s, tc);
	tc = tcase_create("plan_check_dialect");
	tcase_add_test(tc, test_plan_check_dialect);
	suite_add_tcase(s, tc);
	tc = tcase_create("plan_long_chain");
	tcase_add_test(tc, test_plan_long_chain);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
