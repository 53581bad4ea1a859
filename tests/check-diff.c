/*
 * Unit tests of src/diff.c: golden cases in tests/golden/NAME.golden, each a
 * starting schema (and a target; tests/golden/model.sql when none is given,
 * never the app's model, which may change without the differ changing), the
 * operations the differ must find, and the upgrade and downgrade SQL it must
 * render, or the error with which it must refuse. A case file reads:
 *
 *	=== from		SQL of the live database
 *	=== to			SQL of the target (optional: golden/model.sql)
 *	=== was: t.c old	column c of the target was called old (optional)
 *	=== flags: drop-unknown views	(optional, either or both)
 *	=== ops			one line per operation, as diff_describe() says
 *	=== upgrade		the SQL, exactly
 *	=== downgrade		the SQL, exactly
 *	=== error		instead of the three above: the refusal
 *
 * Every case is also replayed: the upgrade on the live schema must give the
 * target, the downgrade after it the live schema again.
 */
#include <dirent.h>

#include "unit.h"

#ifndef GOLDEN_DIR
#define GOLDEN_DIR "tests/golden"
#endif
#ifndef MIN_CASES
#define MIN_CASES 25
#endif

struct golden {
	char	*file;
	char	*sections[8];
	char	*was[4];
	size_t	 nwas;
	int	 flags;
};
enum { G_FROM, G_TO, G_OPS, G_UP, G_DOWN, G_ERROR, G_NSECTIONS };
static const char *golden_names[] = { "from", "to", "ops", "upgrade",
    "downgrade", "error" };

static char *
golden_read(const char *path)
{
	FILE	*f;
	char	*text;
	long	 len;

	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = xmalloc((size_t)len + 1);
	ck_assert_int_eq(fread(text, 1, (size_t)len, f), (size_t)len);
	text[len] = '\0';
	fclose(f);
	return text;
}

static void
golden_parse(struct golden *g, const char *file)
{
	char	*path, *text, *line, *next, **cur = NULL;
	size_t	 i;

	memset(g, 0, sizeof *g);
	g->file = xstrdup(file);
	path = xasprintf("%s/%s", GOLDEN_DIR, file);
	text = golden_read(path);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strncmp(line, "=== ", 4) != 0) {
			if (cur == NULL)
				continue;
			if (*cur == NULL)
				*cur = xasprintf("%s\n", line);
			else {
				char *old = *cur;

				*cur = xasprintf("%s%s\n", old, line);
				free(old);
			}
			continue;
		}
		line += 4;
		cur = NULL;
		if (strncmp(line, "was: ", 5) == 0) {
			ck_assert_uint_lt(g->nwas, 4);
			g->was[g->nwas++] = xstrdup(line + 5);
			continue;
		}
		if (strncmp(line, "flags: ", 7) == 0) {
			if (strstr(line, "drop-unknown") != NULL)
				g->flags |= DIFF_DROP_UNKNOWN;
			if (strstr(line, "views") != NULL)
				g->flags |= DIFF_VIEWS;
			continue;
		}
		for (i = 0; i < G_NSECTIONS; i++) {
			if (strcmp(line, golden_names[i]) == 0)
				cur = &g->sections[i];
		}
		ck_assert_msg(cur != NULL, "%s: unknown section '%s'", file,
		    line);
		if (*cur == NULL)
			*cur = xstrdup("");
	}
	free(text);
	free(path);
}

static void
golden_free(struct golden *g)
{
	size_t	i;

	for (i = 0; i < G_NSECTIONS; i++)
		free(g->sections[i]);
	for (i = 0; i < g->nwas; i++)
		free(g->was[i]);
	free(g->file);
}

static struct schema *
golden_schema(sqlite3 *db, const char *file)
{
	struct schema	*s;
	char		*cause = NULL;

	if (introspect_schema(db, &s, &cause) == -1)
		ck_abort_msg("%s: introspect: %s", file, cause);
	return s;
}

/* Apply "=== was: table.column old" to the target schema. */
static void
golden_was(struct schema *to, const char *was, const char *file)
{
	char		*spec = xstrdup(was), *dot, *sp;
	size_t		 i, j;

	dot = strchr(spec, '.');
	sp = strchr(spec, ' ');
	ck_assert_msg(dot != NULL && sp != NULL, "%s: bad was", file);
	*dot = *sp = '\0';
	for (i = 0; i < to->ntables; i++) {
		if (!schema_same_name(to->tables[i].name, spec))
			continue;
		for (j = 0; j < to->tables[i].ncolumns; j++) {
			if (schema_same_name(to->tables[i].columns[j].name,
			    dot + 1))
				to->tables[i].columns[j].was =
				    schema_strdup(to, sp + 1);
		}
	}
	free(spec);
}

static char *
golden_ops(const struct diff *d)
{
	sqlite3_str	*s = sqlite3_str_new(NULL);
	char		*what;
	size_t		 i;

	for (i = 0; i < d->nops; i++) {
		what = diff_describe(&d->ops[i]);
		sqlite3_str_appendf(s, "%s\n", what);
		free(what);
	}
	return xstr_finish(s);
}

/* Run SQL the way the runner does: foreign keys off, one transaction. */
static void
golden_replay(sqlite3 *db, const char *sql, const char *what)
{
	char	*err = NULL;

	if (sqlite3_exec(db, "PRAGMA foreign_keys = OFF; BEGIN", NULL, NULL,
	    NULL) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, &err) !=
	    SQLITE_OK || sqlite3_exec(db, "PRAGMA foreign_key_check; COMMIT",
	    NULL, NULL, &err) != SQLITE_OK)
		ck_abort_msg("%s fails: %s", what, err);
}

static void
golden_same(sqlite3 *db, const struct schema *want, int flags,
    const char *what)
{
	struct schema	*now = golden_schema(db, what);
	struct diff	*d;
	char		*cause = NULL, *ops;

	ck_assert_int_eq(diff_schemas(now, want, flags, &d, &cause), 0);
	ops = golden_ops(d);
	ck_assert_msg(d->nops == 0, "%s, yet it still needs:\n%s", what, ops);
	free(ops);
	diff_free(d);
	schema_free(now);
}

/* The target of the cases that give none: tests/golden/model.sql. */
static const struct schema *
golden_model(void)
{
	static struct schema	*model;
	char			*cause = NULL, *path;

	if (model == NULL) {
		path = xasprintf("%s/model.sql", GOLDEN_DIR);
		if (model_load(path, &model, &cause) == -1)
			ck_abort_msg("%s", cause);
		free(path);
	}
	return model;
}

static void
golden_run(const char *file)
{
	struct golden	 g;
	struct schema	*from, *to = NULL;
	const struct schema *target;
	struct diff	*up = NULL, *down = NULL;
	sqlite3		*db, *tdb;
	char		*cause = NULL, *ops, *upsql, *downsql, *what;
	size_t		 i;

	golden_parse(&g, file);
	ck_assert_msg(g.sections[G_FROM] != NULL, "%s: no from", file);
	db = unit_db(g.sections[G_FROM]);
	from = golden_schema(db, file);
	target = golden_model();
	if (g.sections[G_TO] != NULL) {
		tdb = unit_db(g.sections[G_TO]);
		to = golden_schema(tdb, file);
		sqlite3_close(tdb);
		for (i = 0; i < g.nwas; i++)
			golden_was(to, g.was[i], file);
		target = to;
	}
	if (g.sections[G_ERROR] != NULL) {
		ck_assert_msg(diff_schemas(from, target, g.flags, &up,
		    &cause) == -1, "%s: the differ did not refuse", file);
		g.sections[G_ERROR][strcspn(g.sections[G_ERROR], "\n")] = '\0';
		ck_assert_msg(strstr(cause, g.sections[G_ERROR]) != NULL,
		    "%s: refused with '%s'", file, cause);
		free(cause);
		goto out;
	}
	if (diff_schemas(from, target, g.flags, &up, &cause) == -1 ||
	    diff_invert(up, from, &down, &cause) == -1)
		ck_abort_msg("%s: %s", file, cause);
	ops = golden_ops(up);
	upsql = render_ops(up);
	downsql = render_ops(down);
	/*
	 * To write a new case: print what the differ says, then check it. That
	 * switches the three assertions off, so CI refuses it.
	 */
	if (getenv("GOLDEN_PRINT") != NULL && getenv("CI") != NULL)
		ck_abort_msg("GOLDEN_PRINT turns the golden assertions off; "
		    "unset it (CI is set)");
	if (getenv("GOLDEN_PRINT") != NULL)
		printf("### %s\n=== ops\n%s=== upgrade\n%s=== downgrade\n%s",
		    file, ops, upsql, downsql);
	else {
		ck_assert_msg(strcmp(ops, g.sections[G_OPS] != NULL ?
		    g.sections[G_OPS] : "") == 0, "%s: ops\n%s", file, ops);
		ck_assert_msg(strcmp(upsql, g.sections[G_UP] != NULL ?
		    g.sections[G_UP] : "") == 0, "%s: upgrade\n%s", file,
		    upsql);
		ck_assert_msg(strcmp(downsql, g.sections[G_DOWN] != NULL ?
		    g.sections[G_DOWN] : "") == 0, "%s: downgrade\n%s", file,
		    downsql);
	}
	what = xasprintf("%s: after the upgrade", file);
	golden_replay(db, upsql, what);
	golden_same(db, target, g.flags, what);
	free(what);
	what = xasprintf("%s: after the downgrade", file);
	golden_replay(db, downsql, what);
	golden_same(db, from, DIFF_DROP_UNKNOWN | (g.flags & DIFF_VIEWS), what);
	free(what);
	free(ops);
	free(upsql);
	free(downsql);
out:
	diff_free(up);
	diff_free(down);
	schema_free(from);
	schema_free(to);
	sqlite3_close(db);
	golden_free(&g);
}

static int
golden_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The case files, read once when the suite is made: one test each. */
static char	**golden_files;
static size_t	  golden_nfiles;

static void
golden_list(void)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 len;

	if ((d = opendir(GOLDEN_DIR)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 8 || strcmp(de->d_name + len - 7, ".golden") != 0)
			continue;
		golden_files = xreallocarray(golden_files, golden_nfiles + 1,
		    sizeof *golden_files);
		golden_files[golden_nfiles++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (golden_nfiles > 0)
		qsort(golden_files, golden_nfiles, sizeof *golden_files,
		    golden_cmp);
}

START_TEST(test_diff_golden_cases)
{
	ck_assert_msg(golden_nfiles >= MIN_CASES, "only %zu golden cases in "
	    "%s", golden_nfiles, GOLDEN_DIR);
}
END_TEST

START_TEST(test_diff_golden)
{
	golden_run(golden_files[_i]);
}
END_TEST

START_TEST(test_diff_destructive)
{
	sqlite3		*db = unit_db("CREATE TABLE users (id INTEGER "
	    "PRIMARY KEY, username TEXT, extra TEXT); CREATE TABLE old (x)");
	struct schema	*from;
	struct diff	*d;
	char		*cause = NULL;
	size_t		 i, n = 0;

	from = golden_schema(db, "destructive");
	ck_assert_int_eq(diff_schemas(from, golden_model(), DIFF_DROP_UNKNOWN,
	    &d, &cause), 0);
	for (i = 0; i < d->nops; i++)
		n += diff_destructive(&d->ops[i]);
	/* The rebuild loses users.extra; old is dropped. */
	ck_assert_uint_eq(d->nops, 2);
	ck_assert_uint_eq(n, 2);
	diff_free(d);
	ck_assert_int_eq(diff_schemas(from, golden_model(), 0, &d, &cause), 0);
	ck_assert_uint_eq(d->nunknown, 1);
	ck_assert_str_eq(d->unknown[0], "old");
	diff_free(d);
	schema_free(from);
	sqlite3_close(db);
}
END_TEST

/*
 * A PostgreSQL column's identity (introspect-pg.c fills it; SQLite's are
 * 0) is compared as the rest of a column is, and named.
 */
START_TEST(test_diff_identity)
{
	sqlite3		*db = unit_db("CREATE TABLE t (id INTEGER NOT NULL, "
	    "x TEXT)");
	struct schema	*a, *b;
	struct diff	*d;
	char		*cause = NULL;

	a = golden_schema(db, "identity a");
	b = golden_schema(db, "identity b");
	ck_assert_int_eq(diff_schemas(a, b, 0, &d, &cause), 0);
	ck_assert_uint_eq(d->nops, 0);
	diff_free(d);
	a->tables[0].columns[0].identity = 'd';
	ck_assert_int_eq(diff_schemas(a, b, 0, &d, &cause), 0);
	ck_assert_uint_eq(d->nops, 1);
	ck_assert_int_eq(d->ops[0].type, OP_REBUILD_TABLE);
	ck_assert_str_eq(d->ops[0].why, "t.id identity by default -> none");
	diff_free(d);
	b->tables[0].columns[0].identity = 'a';
	ck_assert_int_eq(diff_schemas(a, b, 0, &d, &cause), 0);
	ck_assert_str_eq(d->ops[0].why, "t.id identity by default -> always");
	diff_free(d);
	schema_free(a);
	schema_free(b);
	sqlite3_close(db);
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("diff");
	TCase	*tc;

	golden_list();
	tc = tcase_create("diff_schemas");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_diff_golden_cases);
	tcase_add_loop_test(tc, test_diff_golden, 0, (int)golden_nfiles);
	tcase_add_test(tc, test_diff_destructive);
	tcase_add_test(tc, test_diff_identity);
	suite_add_tcase(s, tc);
	return s;
}
