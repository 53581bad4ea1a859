/*
 * What every Check unit test shares: the runner and helpers for real
 * databases (in memory or in a temporary folder), never a stubbed SQLite.
 * Each tests/check-<module>.c defines unit_suite() and includes this once.
 */
#ifndef UNIT_H
#define UNIT_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exodb.h"

static Suite	*unit_suite(void);

/* Not every test file uses every helper. */
#define UNIT_HELPER static __attribute__((unused))

/* An in-memory database with sql run in it. */
UNIT_HELPER sqlite3 *
unit_db(const char *sql)
{
	sqlite3	*db;
	char	*err = NULL;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	if (sql != NULL && sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		ck_abort_msg("setup SQL failed: %s", err);
	return db;
}

UNIT_HELPER void
unit_exec(sqlite3 *db, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		ck_abort_msg("SQL failed: %s: %s", sql, err);
		sqlite3_free(err);
	}
}

/* The first column of the first row of a query, as text (caller frees). */
UNIT_HELPER char *
unit_query(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*stmt;
	char		*text = NULL;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
	    SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW &&
	    sqlite3_column_text(stmt, 0) != NULL)
		text = xstrdup((const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return text != NULL ? text : xstrdup("");
}

/* Compare a string the expression allocates with want, then free it. */
#define CK_STR(expr, want) do {						\
	char *got_ = (expr);						\
	ck_assert_str_eq(got_, want);					\
	free(got_);							\
} while (0)

/* A fresh temporary folder, made the working directory. */
static char unit_dir[64];

UNIT_HELPER void
unit_tmpdir(void)
{
	strcpy(unit_dir, "/tmp/exodb-unit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(unit_dir));
	ck_assert_int_eq(chdir(unit_dir), 0);
}

UNIT_HELPER void
unit_rmdir(void)
{
	char	*cmd;

	if (unit_dir[0] == '\0')
		return;
	if (chdir("/") != 0)
		return;
	cmd = xasprintf("rm -rf '%s'", unit_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", unit_dir);
	free(cmd);
	unit_dir[0] = '\0';
}

/* Write a file with the given text. */
UNIT_HELPER void
unit_write(const char *path, const char *text)
{
	FILE	*f;

	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* The repository in dir, loaded; a failure fails the test. */
UNIT_HELPER struct repo *
unit_repo_load(const char *dir)
{
	struct repo	*repo;
	char		*cause = NULL;

	if (repo_load(dir, &repo, &cause) == -1)
		ck_abort_msg("repo_load: %s", cause);
	return repo;
}

/* The history db records; a failure fails the test. */
UNIT_HELPER struct history *
unit_history(sqlite3 *db)
{
	struct history	*h;
	char		*cause = NULL;

	if (history_read(db, &h, &cause) == -1)
		ck_abort_msg("history_read: %s", cause);
	return h;
}

/*
 * Write the revision file DIR/ID_SLUG.sql with exodb's own formatter, so that
 * tests follow the file format wherever it goes. PARENTS is "none" or ids
 * separated by spaces; the message is the slug; up and down may be NULL.
 */
UNIT_HELPER void
unit_revision(const char *dir, const char *id, const char *parents,
    const char *slug, const char *up, const char *down)
{
	struct revision	 r;
	char		*list, *word, *path, *text;

	memset(&r, 0, sizeof r);
	r.id = (char *)id;
	r.message = (char *)slug;
	r.created = (char *)"2026-01-01T00:00:00Z";
	r.upgrade = (char *)up;
	r.downgrade = (char *)down;
	list = xstrdup(parents);
	r.parents = xcalloc(strlen(list) / 2 + 1, sizeof *r.parents);
	for (word = strtok(list, " "); word != NULL; word = strtok(NULL, " ")) {
		if (strcmp(word, "none") != 0)
			r.parents[r.nparents++] = word;
	}
	text = revision_format(&r);
	path = xasprintf("%s/%s_%s.sql", dir, id, slug);
	unit_write(path, text);
	free(path);
	free(text);
	free(r.parents);
	free(list);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(unit_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

#endif
