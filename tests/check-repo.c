/* Unit tests of src/repo.c: init, loading, the graph, lookups, writing. */
#include <sys/stat.h>

#include "unit.h"

static void
rev(const char *id, const char *parents, const char *slug)
{
	char	*path, *text;

	path = xasprintf("m/versions/%s_%s.sql", id, slug);
	text = xasprintf("-- exodb revision\n-- id: %s\n-- revises: %s\n"
	    "-- message: %s\n-- created: c\n\n-- +upgrade\n-- +downgrade\n",
	    id, parents, slug);
	unit_write(path, text);
	free(path);
	free(text);
}

static struct repo *
load_ok(void)
{
	struct repo	*repo;
	char		*cause = NULL;

	if (repo_load("m", &repo, &cause) == -1)
		ck_abort_msg("repo_load: %s", cause);
	return repo;
}

static char *
load_error(void)
{
	struct repo	*repo;
	char		*cause = NULL;

	ck_assert_int_eq(repo_load("m", &repo, &cause), -1);
	ck_assert_ptr_null(repo);
	return cause;
}

START_TEST(test_repo_init)
{
	struct stat	 sb;
	char		*cause = NULL;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	ck_assert_int_eq(stat("m/versions", &sb), 0);
	ck_assert(S_ISDIR(sb.st_mode));
	ck_assert_int_eq(access("m/README", R_OK), 0);
	ck_assert_int_eq(repo_init("m", &cause), -1);
	ck_assert_str_eq(cause, "m: folder exists and is not empty");
	free(cause);
	ck_assert_int_eq(repo_init("no/such", &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "cannot create folder"));
	free(cause);
	unit_rmdir();
}
END_TEST

START_TEST(test_repo_load_orders_the_graph)
{
	struct repo	*repo;
	char		*cause = NULL;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	repo = load_ok();
	ck_assert_uint_eq(repo->nrevs, 0);
	ck_assert_uint_eq(repo->nheads, 0);
	repo_free(repo);
	/* A child with a smaller id than its parent still comes after it. */
	rev("20260101000003", "none", "root");
	rev("20260101000001", "20260101000003", "child");
	rev("20260101000002", "20260101000003", "other");
	rev("20260101000004", "20260101000001 20260101000002", "merge");
	unit_write("m/versions/README.txt", "ignored");
	unit_write("m/versions/.20260101000009_hidden.sql", "ignored");
	repo = load_ok();
	ck_assert_uint_eq(repo->nrevs, 4);
	ck_assert_str_eq(repo->revs[0]->id, "20260101000003");
	ck_assert_str_eq(repo->revs[1]->id, "20260101000001");
	ck_assert_str_eq(repo->revs[2]->id, "20260101000002");
	ck_assert_str_eq(repo->revs[3]->id, "20260101000004");
	ck_assert_uint_eq(repo->nheads, 1);
	ck_assert_str_eq(repo->heads[0]->id, "20260101000004");
	ck_assert_str_eq(repo->revs[1]->path,
	    "m/versions/20260101000001_child.sql");
	ck_assert_ptr_eq(repo->revs[3]->parent_revs[1], repo->revs[2]);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

START_TEST(test_repo_load_errors)
{
	char	*cause = NULL;

	unit_tmpdir();
	cause = load_error();
	ck_assert_str_eq(cause, "m: no migration repository; run 'exodb db "
	    "init'");
	free(cause);
	ck_assert_int_eq(repo_init("m", &cause), 0);
	rev("20260101000001", "none", "a");
	rev("20260101000001", "none", "b");
	cause = load_error();
	ck_assert_str_eq(cause, "duplicate revision id 20260101000001: "
	    "m/versions/20260101000001_a.sql and "
	    "m/versions/20260101000001_b.sql");
	free(cause);
	ck_assert_int_eq(unlink("m/versions/20260101000001_b.sql"), 0);
	rev("20260101000002", "20260101000009", "orphan");
	cause = load_error();
	ck_assert_str_eq(cause, "m/versions/20260101000002_orphan.sql: "
	    "revises unknown revision 20260101000009");
	free(cause);
	rev("20260101000002", "20260101000003", "orphan");
	rev("20260101000003", "20260101000002", "loop");
	cause = load_error();
	ck_assert_str_eq(cause, "revision graph has a cycle: "
	    "m/versions/20260101000002_orphan.sql, "
	    "m/versions/20260101000003_loop.sql");
	free(cause);
	ck_assert_int_eq(unlink("m/versions/20260101000003_loop.sql"), 0);
	ck_assert_int_eq(unlink("m/versions/20260101000002_orphan.sql"), 0);
	unit_write("m/versions/x.sql", "");
	cause = load_error();
	ck_assert_ptr_nonnull(strstr(cause, "m/versions/x.sql: not a revision "
	    "file name"));
	free(cause);
	ck_assert_int_eq(unlink("m/versions/x.sql"), 0);
	ck_assert_int_eq(symlink("20260101000001_a.sql",
	    "m/versions/20260101000005_link.sql"), 0);
	cause = load_error();
	ck_assert_ptr_nonnull(strstr(cause, "is a symbolic link"));
	free(cause);
	unit_rmdir();
}
END_TEST

START_TEST(test_repo_find)
{
	struct repo	*repo;
	char		*cause = NULL;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	rev("20260101000001", "none", "a");
	rev("20260101000012", "20260101000001", "b");
	rev("20260101000013", "20260101000012", "c");
	repo = load_ok();
	ck_assert_str_eq(repo_find(repo, "20260101000012", &cause)->id,
	    "20260101000012");
	ck_assert_str_eq(repo_find(repo, "202601010000013", &cause) == NULL ?
	    "" : "x", "");
	free(cause);
	ck_assert_str_eq(repo_find(repo, "2026010100000", &cause)->id,
	    "20260101000001");
	ck_assert_ptr_null(repo_find(repo, "202601010000", &cause));
	ck_assert_str_eq(cause, "revision prefix '202601010000' is ambiguous: "
	    "20260101000001 20260101000012 20260101000013");
	free(cause);
	ck_assert_ptr_null(repo_find(repo, "3", &cause));
	ck_assert_str_eq(cause, "unknown revision '3'");
	free(cause);
	ck_assert_ptr_null(repo_find(repo, "head~1", &cause));
	ck_assert_str_eq(cause, "'head~1': not a revision id, 'head' or "
	    "'base'");
	free(cause);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

START_TEST(test_repo_single_head)
{
	struct repo	*repo;
	struct revision	*head;
	char		*cause = NULL;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	repo = load_ok();
	ck_assert_int_eq(repo_single_head(repo, &head, &cause), 0);
	ck_assert_ptr_null(head);
	repo_free(repo);
	rev("20260101000001", "none", "a");
	rev("20260101000002", "20260101000001", "b");
	repo = load_ok();
	ck_assert_int_eq(repo_single_head(repo, &head, &cause), 0);
	ck_assert_str_eq(head->id, "20260101000002");
	repo_free(repo);
	rev("20260101000003", "20260101000001", "c");
	repo = load_ok();
	ck_assert_int_eq(repo_single_head(repo, &head, &cause), -1);
	ck_assert_str_eq(cause, "the revision graph has 2 heads: "
	    "20260101000002 20260101000003; join them with 'exodb db merge "
	    "-m MESSAGE heads'");
	free(cause);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

START_TEST(test_repo_is_ancestor)
{
	struct repo	*repo;
	char		*cause = NULL;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	rev("20260101000001", "none", "a");
	rev("20260101000002", "20260101000001", "b");
	rev("20260101000003", "20260101000001", "c");
	rev("20260101000004", "20260101000002 20260101000003", "m");
	repo = load_ok();
	ck_assert(repo_is_ancestor(repo->revs[0], repo->revs[3]));
	ck_assert(repo_is_ancestor(repo->revs[2], repo->revs[3]));
	ck_assert(repo_is_ancestor(repo->revs[1], repo->revs[1]));
	ck_assert(!repo_is_ancestor(repo->revs[1], repo->revs[2]));
	ck_assert(!repo_is_ancestor(repo->revs[3], repo->revs[0]));
	repo_free(repo);
	unit_rmdir();
}
END_TEST

START_TEST(test_repo_new_id)
{
	struct repo	*repo;
	char		*cause = NULL, *id;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	rev("20261125043012", "none", "a");
	rev("20261125043013", "20261125043012", "b");
	repo = load_ok();
	/* 2026-11-25T04:30:11Z, then the two taken seconds after it. */
	id = repo_new_id(repo, 1795581011LL);
	ck_assert_str_eq(id, "20261125043011");
	free(id);
	id = repo_new_id(repo, 1795581012LL);
	ck_assert_str_eq(id, "20261125043014");
	free(id);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

START_TEST(test_repo_write)
{
	struct repo	*repo;
	struct stat	 sb;
	char		*cause = NULL, *path;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	repo = load_ok();
	ck_assert_int_eq(repo_write(repo, "20260101000001_a.sql", "text\n",
	    &path, &cause), 0);
	ck_assert_str_eq(path, "m/versions/20260101000001_a.sql");
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	free(path);
	/* Never overwrites, never leaves the folder, no leftovers. */
	ck_assert_int_eq(repo_write(repo, "20260101000001_a.sql", "other\n",
	    &path, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "File exists"));
	free(cause);
	ck_assert_int_eq(repo_write(repo, "../x.sql", "x", &path, &cause), -1);
	ck_assert_str_eq(cause, "../x.sql: not a file name");
	free(cause);
	ck_assert_int_eq(access("m/x.sql", F_OK), -1);
	ck_assert_int_eq(symlink("/nonexistent", "m/versions/link.sql"), 0);
	ck_assert_int_eq(repo_write(repo, "link.sql", "x", &path, &cause), -1);
	free(cause);
	ck_assert_int_eq(system("test $(ls -A m/versions | wc -l) = 2"), 0);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("repo");
	TCase	*tc;

	tc = tcase_create("repo_init");
	tcase_add_test(tc, test_repo_init);
	suite_add_tcase(s, tc);
	tc = tcase_create("repo_load");
	tcase_add_test(tc, test_repo_load_orders_the_graph);
	tcase_add_test(tc, test_repo_load_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("repo_find");
	tcase_add_test(tc, test_repo_find);
	suite_add_tcase(s, tc);
	tc = tcase_create("repo_single_head");
	tcase_add_test(tc, test_repo_single_head);
	suite_add_tcase(s, tc);
	tc = tcase_create("repo_is_ancestor");
	tcase_add_test(tc, test_repo_is_ancestor);
	suite_add_tcase(s, tc);
	tc = tcase_create("repo_new_id");
	tcase_add_test(tc, test_repo_new_id);
	suite_add_tcase(s, tc);
	tc = tcase_create("repo_write");
	tcase_add_test(tc, test_repo_write);
	suite_add_tcase(s, tc);
	return s;
}
