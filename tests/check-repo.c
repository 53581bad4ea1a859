/* Unit tests of src/repo.c: init, loading, the graph, lookups, writing. */
#include <sys/stat.h>

#include <dirent.h>

#include "unit.h"

static void
rev(const char *id, const char *parents, const char *slug)
{
	unit_revision("m/versions", id, parents, slug, NULL, NULL);
}

/* The whole of a file, NUL-terminated; *len is its length. */
static char *
read_file(const char *path, size_t *len)
{
	FILE	*f;
	char	*text;
	long	 n;

	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	ck_assert_int_ge(n = ftell(f), 0);
	rewind(f);
	text = xmalloc((size_t)n + 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return text;
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

/* What 'flask db init' and 'flask db migrate' leave, one file at a time. */
START_TEST(test_repo_is_alembic)
{
	static const char *const	 files[] = {
		"m/alembic.ini", "m/env.py", "m/script.py.mako",
		"m/versions/89012febb40b_users.py"
	};
	struct repo			*repo;
	char				*cause = NULL;
	size_t				 i;

	unit_tmpdir();
	ck_assert_int_eq(repo_is_alembic("m"), 0);
	ck_assert_int_eq(repo_init("m", &cause), 0);
	ck_assert_int_eq(repo_is_alembic("m"), 0);
	unit_write("m/versions/notes.txt", "not Python");
	ck_assert_int_eq(repo_is_alembic("m"), 0);
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		unit_write(files[i], "# Alembic\n");
		ck_assert_msg(repo_is_alembic("m"), "%s", files[i]);
		ck_assert_int_eq(repo_load("m", &repo, &cause), -1);
		ck_assert_str_eq(cause, "m: is a Flask-Migrate (Alembic) "
		    "repository, which exodb does not read; 'exodb db init' says "
		    "how to adopt its database");
		free(cause);
		ck_assert_int_eq(unlink(files[i]), 0);
	}
	ck_assert_int_eq(repo_is_alembic("m"), 0);
	unit_rmdir();
}
END_TEST

START_TEST(test_repo_load_orders_the_graph)
{
	struct repo	*repo;
	char		*cause = NULL;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	repo = unit_repo_load("m");
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
	repo = unit_repo_load("m");
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
	CK_STR(cause, "m/versions/20260101000005_link.sql: is a symbolic link; "
	    "revisions must be plain files");
	ck_assert_int_eq(unlink("m/versions/20260101000005_link.sql"), 0);
	/* Neither a folder nor a FIFO (which must not block the load). */
	ck_assert_int_eq(mkdir("m/versions/20260101000006_dir.sql", 0700), 0);
	CK_STR(load_error(), "m/versions/20260101000006_dir.sql: not a regular "
	    "file");
	ck_assert_int_eq(rmdir("m/versions/20260101000006_dir.sql"), 0);
	ck_assert_int_eq(mkfifo("m/versions/20260101000007_fifo.sql", 0600), 0);
	CK_STR(load_error(), "m/versions/20260101000007_fifo.sql: not a regular "
	    "file");
	ck_assert_int_eq(unlink("m/versions/20260101000007_fifo.sql"), 0);
	/* An unreadable file names why. */
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod("m/versions/20260101000001_a.sql", 0),
		    0);
		CK_STR(load_error(), "m/versions/20260101000001_a.sql: "
		    "Permission denied");
	}
	unit_rmdir();
}
END_TEST

/*
 * Files are read into one buffer that grows: a file larger than it reads
 * whole, and the files after it read as themselves.
 */
START_TEST(test_repo_load_large_file)
{
	struct repo		*repo;
	struct revision		*parsed;
	char			*up, *text, *cause = NULL;
	size_t			 n = 100000, len;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	up = xmalloc(n + 1);
	memset(up, '-', n);
	memcpy(up, "SELECT 1;\n", 10);
	up[n - 1] = '\n';
	up[n] = '\0';
	unit_revision("m/versions", "20260101000001", "none", "big", up, NULL);
	rev("20260101000002", "20260101000001", "small");
	repo = unit_repo_load("m");
	ck_assert_uint_eq(repo->nrevs, 2);
	ck_assert_uint_eq(strlen(repo->revs[0]->upgrade), n);
	ck_assert_str_eq(repo->revs[1]->message, "small");
	text = read_file("m/versions/20260101000001_big.sql", &len);
	ck_assert_int_eq(revision_parse("p", "20260101000001_big.sql", text,
	    len, &parsed, &cause), 0);
	ck_assert_str_eq(repo->revs[0]->checksum, parsed->checksum);
	revision_free(parsed);
	free(text);
	free(up);
	repo_free(repo);
	unit_rmdir();
}
END_TEST

/* What repo_resolve() names, as ids separated by spaces, or its error. */
static char *
resolve(const struct repo *repo, const int *applied, const char *spec,
    int allow)
{
	struct repo_target	 t;
	sqlite3_str		*out;
	char			*cause = NULL;
	size_t			 i;

	if (repo_resolve(repo, applied, spec, allow, &t, &cause) == -1) {
		ck_assert_ptr_null(t.revs);
		return cause;
	}
	out = sqlite3_str_new(NULL);
	sqlite3_str_appendf(out, "%x:", t.kind);
	for (i = 0; i < t.nrevs; i++)
		sqlite3_str_appendf(out, " %s", t.revs[i]->id);
	if (t.steps > 0)
		sqlite3_str_appendf(out, " %ld", t.steps);
	free(t.revs);
	return xstr_finish(out);
}

#define ALL (REPO_ID | REPO_HEAD | REPO_HEADS | REPO_BASE | REPO_CURRENT | \
	REPO_UP | REPO_DOWN | REPO_EMPTY)

START_TEST(test_repo_resolve)
{
	struct repo	*repo;
	char		*cause = NULL;
	int		 applied[4] = { 1, 1, 0, 0 };

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	repo = unit_repo_load("m");
	CK_STR(resolve(repo, NULL, "head", REPO_HEAD), "2:");
	CK_STR(resolve(repo, NULL, "head", REPO_HEAD | REPO_ONE),
	    "'head': no revisions in m/versions");
	repo_free(repo);
	rev("20260101000001", "none", "a");
	rev("20260101000012", "20260101000001", "b");
	rev("20260101000013", "20260101000012", "c");
	repo = unit_repo_load("m");
	CK_STR(resolve(repo, NULL, "20260101000012", REPO_ID),
	    "1: 20260101000012");
	CK_STR(resolve(repo, NULL, "2026010100000", REPO_ID),
	    "1: 20260101000001");
	CK_STR(resolve(repo, NULL, "202601010000", REPO_ID),
	    "revision prefix '202601010000' is ambiguous: "
	    "20260101000001 20260101000012 20260101000013");
	CK_STR(resolve(repo, NULL, "3", REPO_ID), "unknown revision '3'");
	CK_STR(resolve(repo, NULL, "202601010000013", REPO_ID),
	    "'202601010000013': not a revision id");
	CK_STR(resolve(repo, NULL, "head", ALL), "2: 20260101000013");
	CK_STR(resolve(repo, NULL, "heads", ALL), "4: 20260101000013");
	CK_STR(resolve(repo, NULL, "base", ALL), "8:");
	CK_STR(resolve(repo, NULL, "", ALL), "80:");
	CK_STR(resolve(repo, NULL, "+2", ALL), "20: 2");
	CK_STR(resolve(repo, NULL, "-12", ALL), "40: 12");
	CK_STR(resolve(repo, applied, "current", ALL), "10: 20260101000012");
	applied[0] = applied[1] = 0;
	CK_STR(resolve(repo, applied, "current", ALL),
	    "'current': no revision is applied");
	/* The message lists exactly what the caller accepts. */
	CK_STR(resolve(repo, NULL, "head~1", ALL), "'head~1': not a revision "
	    "id, 'head', 'heads', 'base', 'current', +N, -N or empty");
	CK_STR(resolve(repo, NULL, "base", REPO_ID | REPO_HEAD),
	    "'base': not a revision id or 'head'");
	CK_STR(resolve(repo, NULL, "+0", REPO_ID | REPO_UP),
	    "'+0': not a revision id or +N");
	CK_STR(resolve(repo, NULL, "-1", REPO_HEADS), "'-1': not 'heads'");
	repo_free(repo);
	/* Two heads, and a current revision on each branch. */
	rev("20260101000014", "20260101000012", "d");
	repo = unit_repo_load("m");
	CK_STR(resolve(repo, NULL, "heads", ALL),
	    "4: 20260101000013 20260101000014");
	CK_STR(resolve(repo, NULL, "head", ALL), "the revision graph has 2 "
	    "heads: 20260101000013 20260101000014; join them with 'exodb db "
	    "merge -m MESSAGE heads'");
	applied[0] = applied[1] = applied[2] = applied[3] = 1;
	CK_STR(resolve(repo, applied, "current", ALL),
	    "'current': the database is at more than one revision");
	repo_free(repo);
	unit_rmdir();
}
END_TEST

START_TEST(test_repo_graph_questions)
{
	struct repo	 *repo;
	struct revision	**points, *m[3];
	char		 *cause = NULL;
	size_t		  n;
	int		  applied[5] = { 1, 1, 0, 0, 0 }, want[5];

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	rev("20260101000001", "none", "a");
	rev("20260101000002", "20260101000001", "b");
	rev("20260101000003", "20260101000001", "c");
	rev("20260101000004", "20260101000001", "d");
	rev("20260101000005", "20260101000002 20260101000003", "e");
	repo = unit_repo_load("m");
	/* Children, in graph order. */
	ck_assert_uint_eq(repo->revs[0]->nchildren, 3);
	ck_assert_ptr_eq(repo->revs[0]->children[2], repo->revs[3]);
	ck_assert_uint_eq(repo->revs[1]->nchildren, 1);
	ck_assert_ptr_eq(repo->revs[1]->children[0], repo->revs[4]);
	ck_assert_uint_eq(repo->revs[4]->nchildren, 0);
	repo_branchpoints(repo, &points, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_eq(points[0], repo->revs[0]);
	free(points);
	ck_assert(repo_is_current(repo->revs[1], applied));
	ck_assert(!repo_is_current(repo->revs[0], applied));
	ck_assert(!repo_is_current(repo->revs[2], applied));
	memset(want, 0, sizeof want);
	repo_ancestors(repo->revs[4], want);
	ck_assert(want[0] && want[1] && want[2] && !want[3] && want[4]);
	memset(want, 0, sizeof want);
	repo_descendants(repo, repo->revs[2], want);
	ck_assert(!want[0] && !want[1] && want[2] && !want[3] && want[4]);
	/* Merges join heads: two or more, none twice, none an ancestor. */
	m[0] = repo->revs[3];
	m[1] = repo->revs[4];
	ck_assert_int_eq(repo_check_merge(repo, m, 2, &cause), 0);
	m[1] = repo->revs[3];
	ck_assert_int_eq(repo_check_merge(repo, m, 2, &cause), -1);
	CK_STR(cause, "20260101000004 is named twice");
	m[1] = repo->revs[0];
	ck_assert_int_eq(repo_check_merge(repo, m, 2, &cause), -1);
	CK_STR(cause, "20260101000001 is an ancestor of 20260101000004; a "
	    "merge joins heads");
	ck_assert_int_eq(repo_check_merge(repo, m, 1, &cause), -1);
	CK_STR(cause, "a merge joins at least two revisions; name two or "
	    "more, or 'heads'");
	repo_free(repo);
	unit_rmdir();
}
END_TEST

/* A long chain loads in order, with its one head and lookups by id. */
START_TEST(test_repo_long_chain)
{
	struct repo	*repo;
	char		*cause = NULL, id[16], parent[16];
	int		 i;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	strcpy(parent, "none");
	for (i = 0; i < 500; i++) {
		snprintf(id, sizeof id, "2026010%07d", i);
		rev(id, parent, "r");
		strcpy(parent, id);
	}
	repo = unit_repo_load("m");
	ck_assert_uint_eq(repo->nrevs, 500);
	ck_assert_uint_eq(repo->nheads, 1);
	ck_assert_str_eq(repo->heads[0]->id, "20260100000499");
	for (i = 0; i < 500; i++)
		ck_assert_uint_eq(repo->revs[i]->order, (size_t)i);
	ck_assert_ptr_eq(repo_get(repo, "20260100000234"), repo->revs[234]);
	ck_assert_ptr_null(repo_get(repo, "20260100000500"));
	repo_free(repo);
	unit_rmdir();
}
END_TEST

/* The revision files of m/versions in directory order, as repo_load() reads. */
static size_t
dir_order(char names[][32], size_t max)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 n = 0;

	ck_assert_ptr_nonnull(d = opendir("m/versions"));
	while ((de = readdir(d)) != NULL && n < max) {
		if (strstr(de->d_name, ".sql") != NULL)
			snprintf(names[n++], 32, "%.31s", de->d_name);
	}
	closedir(d);
	return n;
}

/*
 * Thousands of files are read by several threads: the chain loads whole,
 * and of two malformed files the one met first in directory order is
 * reported, wherever the other lies.
 */
START_TEST(test_repo_load_shared)
{
	static char	 names[1200][32];
	struct repo	*repo;
	char		*cause = NULL, id[16], parent[16], *path[2], *text;
	char		*want;
	size_t		 n, i, len, bad[2] = { 10, 1090 };

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	strcpy(parent, "none");
	for (i = 0; i < 1100; i++) {
		snprintf(id, sizeof id, "2026010%07zu", i);
		rev(id, parent, "r");
		strcpy(parent, id);
	}
	repo = unit_repo_load("m");
	ck_assert_uint_eq(repo->nrevs, 1100);
	for (i = 0; i < 1100; i++)
		ck_assert_uint_eq(repo->revs[i]->order, i);
	ck_assert_str_eq(repo->heads[0]->id, "20260100001099");
	repo_free(repo);
	n = dir_order(names, 1200);
	ck_assert_uint_eq(n, 1100);
	for (i = 0; i < 2; i++)
		path[i] = xasprintf("m/versions/%s", names[bad[i]]);
	text = read_file(path[0], &len);
	for (i = 0; i < 2; i++)
		unit_write(path[i], "-- not a revision\n");
	for (i = 0; i < 2; i++) {
		want = xasprintf("%s: malformed revision: first line is not "
		    "'-- exodb revision'", path[i]);
		CK_STR(load_error(), want);
		free(want);
		/* Then only the one in the last share is malformed. */
		unit_write(path[0], text);
	}
	free(text);
	free(path[0]);
	free(path[1]);
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
	repo = unit_repo_load("m");
	ck_assert_int_eq(repo_single_head(repo, &head, &cause), 0);
	ck_assert_ptr_null(head);
	repo_free(repo);
	rev("20260101000001", "none", "a");
	rev("20260101000002", "20260101000001", "b");
	repo = unit_repo_load("m");
	ck_assert_int_eq(repo_single_head(repo, &head, &cause), 0);
	ck_assert_str_eq(head->id, "20260101000002");
	repo_free(repo);
	rev("20260101000003", "20260101000001", "c");
	repo = unit_repo_load("m");
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
	repo = unit_repo_load("m");
	ck_assert(repo_is_ancestor(repo->revs[0], repo->revs[3]));
	ck_assert(repo_is_ancestor(repo->revs[2], repo->revs[3]));
	ck_assert(repo_is_ancestor(repo->revs[1], repo->revs[1]));
	ck_assert(!repo_is_ancestor(repo->revs[1], repo->revs[2]));
	ck_assert(!repo_is_ancestor(repo->revs[3], repo->revs[0]));
	repo_free(repo);
	unit_rmdir();
}
END_TEST

START_TEST(test_repo_add)
{
	struct repo	*repo;
	struct revision	 r, *got;
	char		*cause = NULL, *path;
	const char	*parents[] = { "20261125043013" };
	const char	*destructive[] = { "drop table old" };

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	rev("20261125043012", "none", "a");
	rev("20261125043013", "20261125043012", "b");
	repo = unit_repo_load("m");
	memset(&r, 0, sizeof r);
	r.message = (char *)"Add posts";
	r.parents = (char **)parents;
	r.nparents = 1;
	r.destructive = (char **)destructive;
	r.ndestructive = 1;
	r.upgrade = (char *)"CREATE TABLE posts (id INTEGER);\n";
	r.downgrade = (char *)"DROP TABLE posts;\n";
	/* 2026-11-25T04:30:11Z is free; 04:30:12 and :13 are taken. */
	ck_assert_int_eq(repo_add(repo, &r, 1795581011, &path, &cause), 0);
	ck_assert_str_eq(path, "m/versions/20261125043011_add_posts.sql");
	free(path);
	ck_assert_int_eq(repo_add(repo, &r, 1795581012, &path, &cause), 0);
	ck_assert_str_eq(path, "m/versions/20261125043014_add_posts.sql");
	free(path);
	repo_free(repo);
	/* It reads back as written, created from the same second as the id. */
	repo = unit_repo_load("m");
	got = repo_get(repo, "20261125043014");
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got->created, "2026-11-25T04:30:14Z");
	ck_assert_str_eq(got->message, "Add posts");
	ck_assert_str_eq(got->parents[0], "20261125043013");
	ck_assert_uint_eq(got->ndestructive, 1);
	ck_assert_str_eq(got->destructive[0], "drop table old");
	ck_assert_str_eq(got->upgrade, r.upgrade);
	ck_assert_str_eq(got->downgrade, r.downgrade);
	/* A message past the bound writes nothing. */
	r.message = (char *)"0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789x";
	ck_assert_int_eq(repo_add(repo, &r, 1795581011, &path, &cause), -1);
	CK_STR(cause, "the message is 201 bytes; at most 200 are allowed (it "
	    "is the revision's one-line summary)");
	ck_assert_int_eq(system("test $(ls m/versions | wc -l) = 4"), 0);
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
	repo = unit_repo_load("m");
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

/*
 * Many revisions ready at once (five branches off one root, then their
 * merge) come out in id order whatever order the files are read in; a name
 * whose id is not all digits is not a revision file's.
 */
START_TEST(test_repo_load_wide)
{
	struct repo	*repo;
	char		*cause = NULL;
	static const char *kids[] = { "20260101000015", "20260101000011",
	    "20260101000014", "20260101000012", "20260101000013" };
	static const char *sorted[] = { "20260101000011", "20260101000012",
	    "20260101000013", "20260101000014", "20260101000015" };
	size_t		 i;

	unit_tmpdir();
	ck_assert_int_eq(repo_init("m", &cause), 0);
	rev("20260101000010", "none", "root");
	for (i = 0; i < 5; i++)
		rev(kids[i], "20260101000010", "kid");
	rev("20260101000020", "20260101000015 20260101000011 20260101000014 "
	    "20260101000012 20260101000013", "merge");
	repo = unit_repo_load("m");
	ck_assert_uint_eq(repo->nrevs, 7);
	ck_assert_str_eq(repo->revs[0]->id, "20260101000010");
	for (i = 1; i <= 5; i++)
		ck_assert_str_eq(repo->revs[i]->id, sorted[i - 1]);
	ck_assert_str_eq(repo->revs[6]->id, "20260101000020");
	ck_assert_uint_eq(repo->nheads, 1);
	repo_free(repo);
	unit_write("m/versions/2026010100003x_odd.sql", "");
	cause = load_error();
	ck_assert_ptr_nonnull(strstr(cause, "m/versions/2026010100003x_odd.sql: "
	    "not a revision file name"));
	free(cause);
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
	tcase_add_test(tc, test_repo_is_alembic);
	suite_add_tcase(s, tc);
	tc = tcase_create("repo_load");
	tcase_add_test(tc, test_repo_load_orders_the_graph);
	tcase_add_test(tc, test_repo_load_errors);
	tcase_add_test(tc, test_repo_load_large_file);
	tcase_add_test(tc, test_repo_load_wide);
	suite_add_tcase(s, tc);
	tcase_add_test(tc, test_repo_long_chain);
	tcase_add_test(tc, test_repo_load_shared);
	tc = tcase_create("repo_resolve");
	tcase_add_test(tc, test_repo_resolve);
	suite_add_tcase(s, tc);
	tc = tcase_create("repo_graph_questions");
	tcase_add_test(tc, test_repo_graph_questions);
	suite_add_tcase(s, tc);
	tc = tcase_create("repo_single_head");
	tcase_add_test(tc, test_repo_single_head);
	suite_add_tcase(s, tc);
	tc = tcase_create("repo_is_ancestor");
	tcase_add_test(tc, test_repo_is_ancestor);
	suite_add_tcase(s, tc);
	tc = tcase_create("repo_add");
	tcase_add_test(tc, test_repo_add);
	suite_add_tcase(s, tc);
	tc = tcase_create("repo_write");
	tcase_add_test(tc, test_repo_write);
	suite_add_tcase(s, tc);
	return s;
}
