/* Unit tests of src/schema.c (src/model.c has check-model.c). */
#include "unit.h"

START_TEST(test_schema_build)
{
	struct schema		*s = schema_new();
	struct table		*t;
	struct column		*c;
	struct index		*ix;

	t = schema_add_table(s, "t");
	c = schema_add_column(s, t, "a");
	ck_assert_str_eq(c->type, "");
	c->type = schema_strdup(s, "TEXT");
	schema_add_column(s, t, "b");
	ix = schema_add_index(s, t, "ix");
	ck_assert_int_eq(ix->origin, 'c');
	schema_add_index_column(s, ix, "a", "BINARY", 0);
	schema_add_index_column(s, ix, "b", "nocase", 1);
	ck_assert_ptr_null(ix->columns[0].collation);
	ck_assert_str_eq(ix->columns[1].collation, "nocase");
	ck_assert_ptr_eq(schema_table(s, "T"), &s->tables[0]);
	ck_assert_ptr_null(schema_table(s, "u"));
	ck_assert_str_eq(schema_column(&s->tables[0], "A")->type, "TEXT");
	ck_assert_ptr_null(schema_column(&s->tables[0], "c"));
	ck_assert_ptr_nonnull(schema_index(&s->tables[0], "IX"));
	ck_assert_ptr_null(schema_strdup(s, NULL));
	schema_free(s);
	schema_free(NULL);
}
END_TEST

START_TEST(test_schema_same)
{
	ck_assert(schema_same_name("Users", "users"));
	ck_assert(!schema_same_name("users", "user"));
	ck_assert(schema_same_name(NULL, NULL));
	ck_assert(!schema_same_name("a", NULL));
	ck_assert(schema_same_text("role IN ('user','admin')",
	    "ROLE in ( 'user', 'admin' )"));
	ck_assert(!schema_same_text("role IN ('user')", "role IN ('User')"));
	ck_assert(schema_same_text("varchar(64)", "VARCHAR (64)"));
	ck_assert(schema_same_text(NULL, NULL));
	ck_assert(!schema_same_text("0", NULL));
}
END_TEST

/* The bytes schema_pack() writes for s; *n their length. */
static char *
pack(const struct schema *s, int *n)
{
	sqlite3_str	*out = sqlite3_str_new(NULL);

	schema_pack(s, out);
	*n = sqlite3_str_length(out);
	return sqlite3_str_finish(out);
}

/* u, packed again, is the n bytes it was read from. */
static void
expect_repack(const struct schema *u, const char *bytes, int n)
{
	char	*again;
	int	 m;

	again = pack(u, &m);
	ck_assert_int_eq(m, n);
	ck_assert_mem_eq(again, bytes, (size_t)n);
	sqlite3_free(again);
}

/* Every field of every struct set, each to a value of its own, comes back. */
START_TEST(test_schema_pack_fields)
{
	struct schema		*s = schema_new(), *u;
	struct table		*t;
	struct column		*c;
	struct index		*ix;
	struct foreign_key	*fk;
	static const char	*from[] = { "a", "b" }, *to[] = { "x", "y" };
	static const char	*checks[] = { "a > 0" }, *trig[] = { "CREATE TRIGGER tr" };
	static const char	*trign[] = { "tr" }, *views[] = { "CREATE VIEW v" };
	static const char	*viewn[] = { "v" }, *viewt[] = { "v" };
	char			*bytes;
	int			 n;

	t = schema_add_table(s, "t");
	t->sql = "CREATE TABLE t";
	t->verbatim = 2;
	t->without_rowid = 3;
	t->strict = 4;
	t->autoincrement = 5;
	c = schema_add_column(s, t, "a");
	c->type = "INT";
	c->notnull = 6;
	c->dflt = "7";
	c->pk = 8;
	c->check = "a < 9";
	c->collation = "NOCASE";
	c->hidden = 10;
	c->was = "old";
	c->identity = 'd';
	schema_add_column(s, t, "b");
	ix = schema_add_index(s, t, "ix");
	ix->unique = 11;
	ix->origin = 'u';
	ix->where = "a > 1";
	ix->sql = "CREATE INDEX ix";
	schema_add_index_column(s, ix, "a", "RTRIM", 1);
	schema_add_index_column(s, ix, NULL, NULL, 0);
	t->checks = xcalloc(1, sizeof *t->checks);
	t->checks[0] = checks[0];
	t->nchecks = 1;
	t->fks = xcalloc(2, sizeof *t->fks);
	t->nfks = 2;
	fk = &t->fks[0];
	fk->table = "p";
	fk->from = xcalloc(2, sizeof *fk->from);
	fk->to = xcalloc(2, sizeof *fk->to);
	memcpy(fk->from, from, sizeof from);
	memcpy(fk->to, to, sizeof to);
	fk->ncolumns = 2;
	fk->on_update = "CASCADE";
	fk->on_delete = "SET NULL";
	t->fks[1].table = "q";
	t->fks[1].from = xcalloc(1, sizeof *fk->from);
	t->fks[1].from[0] = "a";
	t->fks[1].ncolumns = 1;
	t->triggers = xcalloc(1, sizeof *t->triggers);
	t->trigger_names = xcalloc(1, sizeof *t->trigger_names);
	t->triggers[0] = trig[0];
	t->trigger_names[0] = trign[0];
	t->ntriggers = 1;
	schema_add_table(s, "empty");
	s->views = xcalloc(1, sizeof *s->views);
	s->view_names = xcalloc(1, sizeof *s->view_names);
	s->views[0] = views[0];
	s->view_names[0] = viewn[0];
	s->nviews = 1;
	s->view_triggers = xcalloc(1, sizeof *s->view_triggers);
	s->view_triggers[0] = viewt[0];
	s->nview_triggers = 1;

	bytes = pack(s, &n);
	ck_assert_int_eq(schema_unpack(bytes, (size_t)n, &u), 0);
	ck_assert_int_eq(u->ntables, 2);
	t = &u->tables[0];
	ck_assert_str_eq(t->name, "t");
	ck_assert_str_eq(t->sql, "CREATE TABLE t");
	ck_assert_int_eq(t->verbatim, 2);
	ck_assert_int_eq(t->without_rowid, 3);
	ck_assert_int_eq(t->strict, 4);
	ck_assert_int_eq(t->autoincrement, 5);
	ck_assert_int_eq(t->ncolumns, 2);
	c = &t->columns[0];
	ck_assert_str_eq(c->name, "a");
	ck_assert_str_eq(c->type, "INT");
	ck_assert_int_eq(c->notnull, 6);
	ck_assert_str_eq(c->dflt, "7");
	ck_assert_int_eq(c->pk, 8);
	ck_assert_str_eq(c->check, "a < 9");
	ck_assert_str_eq(c->collation, "NOCASE");
	ck_assert_int_eq(c->hidden, 10);
	ck_assert_str_eq(c->was, "old");
	ck_assert_int_eq(c->identity, 'd');
	c = &t->columns[1];
	ck_assert_str_eq(c->type, "");
	ck_assert_ptr_null(c->dflt);
	ck_assert_ptr_null(c->check);
	ck_assert_ptr_null(c->collation);
	ck_assert_ptr_null(c->was);
	ck_assert_int_eq(t->nindexes, 1);
	ix = &t->indexes[0];
	ck_assert_str_eq(ix->name, "ix");
	ck_assert_int_eq(ix->unique, 11);
	ck_assert_int_eq(ix->origin, 'u');
	ck_assert_str_eq(ix->where, "a > 1");
	ck_assert_str_eq(ix->sql, "CREATE INDEX ix");
	ck_assert_int_eq(ix->ncolumns, 2);
	ck_assert_str_eq(ix->columns[0].name, "a");
	ck_assert_str_eq(ix->columns[0].collation, "RTRIM");
	ck_assert_int_eq(ix->columns[0].desc, 1);
	ck_assert_ptr_null(ix->columns[1].name);
	ck_assert_ptr_null(ix->columns[1].collation);
	ck_assert_int_eq(ix->columns[1].desc, 0);
	ck_assert_int_eq(t->nchecks, 1);
	ck_assert_str_eq(t->checks[0], "a > 0");
	ck_assert_int_eq(t->nfks, 2);
	fk = &t->fks[0];
	ck_assert_str_eq(fk->table, "p");
	ck_assert_int_eq(fk->ncolumns, 2);
	ck_assert_str_eq(fk->from[1], "b");
	ck_assert_str_eq(fk->to[1], "y");
	ck_assert_str_eq(fk->on_update, "CASCADE");
	ck_assert_str_eq(fk->on_delete, "SET NULL");
	ck_assert_str_eq(t->fks[1].from[0], "a");
	ck_assert_ptr_null(t->fks[1].to);
	ck_assert_ptr_null(t->fks[1].on_update);
	ck_assert_int_eq(t->ntriggers, 1);
	ck_assert_str_eq(t->triggers[0], "CREATE TRIGGER tr");
	ck_assert_str_eq(t->trigger_names[0], "tr");
	t = &u->tables[1];
	ck_assert_str_eq(t->name, "empty");
	ck_assert_ptr_null(t->sql);
	ck_assert_int_eq(t->ncolumns + t->nindexes + t->nfks + t->ntriggers, 0);
	ck_assert_ptr_null(t->trigger_names);
	ck_assert_int_eq(u->nviews, 1);
	ck_assert_str_eq(u->views[0], "CREATE VIEW v");
	ck_assert_str_eq(u->view_names[0], "v");
	ck_assert_int_eq(u->nview_triggers, 1);
	ck_assert_str_eq(u->view_triggers[0], "v");
	expect_repack(u, bytes, n);
	schema_free(u);
	/* The strings above are literals: schema_free() frees the arrays. */
	sqlite3_free(bytes);
	schema_free(s);
}
END_TEST

/* Bytes cut short, or with more after them, are no schema. */
START_TEST(test_schema_unpack_bad)
{
	struct schema	*s, *u;
	sqlite3		*db;
	char		*bytes, *longer, *cause = NULL;
	int		 n, i;

	db = unit_db("CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT "
	    "COLLATE NOCASE UNIQUE);"
	    "CREATE TABLE c (id INTEGER PRIMARY KEY, p INTEGER NOT NULL "
	    "REFERENCES p (id) ON DELETE CASCADE, n INT DEFAULT 3 CHECK "
	    "(n > 0));"
	    "CREATE INDEX ix_c_n ON c (n DESC) WHERE n > 1;"
	    "CREATE VIEW v AS SELECT n FROM c;"
	    "CREATE TRIGGER tr AFTER INSERT ON c BEGIN SELECT 1; END;");
	ck_assert_int_eq(introspect_schema(db, &s, &cause), 0);
	sqlite3_close(db);
	bytes = pack(s, &n);
	ck_assert_int_gt(n, 100);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(schema_unpack(bytes, (size_t)i, &u), -1);
		ck_assert_ptr_null(u);
	}
	longer = xmalloc((size_t)n + 1);
	memcpy(longer, bytes, (size_t)n);
	longer[n] = 0;
	ck_assert_int_eq(schema_unpack(longer, (size_t)n + 1, &u), -1);
	ck_assert_int_eq(schema_unpack(bytes, (size_t)n, &u), 0);
	ck_assert_int_eq(u->ntables, 2);
	ck_assert_int_eq(u->tables[1].nfks, 1);
	ck_assert_int_eq(u->nviews, 1);
	free(longer);
	expect_repack(u, bytes, n);
	schema_free(u);
	sqlite3_free(bytes);
	schema_free(s);
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("schema");
	TCase	*tc;

	tc = tcase_create("schema_add");
	tcase_add_test(tc, test_schema_build);
	suite_add_tcase(s, tc);
	tc = tcase_create("schema_same");
	tcase_add_test(tc, test_schema_same);
	suite_add_tcase(s, tc);
	tc = tcase_create("schema_pack");
	tcase_add_test(tc, test_schema_pack_fields);
	tcase_add_test(tc, test_schema_unpack_bad);
	suite_add_tcase(s, tc);
	return s;
}
