/* Unit tests of src/autogen.c: the plan, the proof before writing, baselines. */
#include "unit.h"

START_TEST(test_autogen_plan)
{
	sqlite3		*db = unit_db(NULL);
	struct autogen	*ag;
	char		*cause = NULL;

	ck_assert_int_eq(autogen_plan(db, model_schema(), 0, &ag, &cause), 0);
	ck_assert_uint_eq(ag->up->nops, 1);
	ck_assert_int_eq(ag->up->ops[0].type, OP_CREATE_TABLE);
	ck_assert_uint_eq(ag->down->nops, 1);
	ck_assert_int_eq(ag->down->ops[0].type, OP_DROP_TABLE);
	ck_assert_ptr_nonnull(strstr(ag->upgrade, "CREATE TABLE users ("));
	ck_assert_ptr_nonnull(strstr(ag->downgrade, "DROP TABLE users;"));
	ck_assert_int_eq(autogen_prove(db, ag, model_schema(), 0, &cause), 0);
	/* The upgrade brings a database to the model: nothing left to do. */
	unit_exec(db, ag->upgrade);
	autogen_free(ag);
	ck_assert_int_eq(autogen_plan(db, model_schema(), 0, &ag, &cause), 0);
	ck_assert_uint_eq(ag->up->nops, 0);
	ck_assert_str_eq(ag->upgrade, "");
	autogen_free(ag);
	sqlite3_close(db);
}
END_TEST

/*
 * The model's views are planned as its tables are: made after the tables,
 * proven (a proof that finds the view missing refuses), without a
 * PostgreSQL section, and a view only the database has is kept.
 */
START_TEST(test_autogen_plan_views)
{
	sqlite3		*db = unit_db("CREATE TABLE t (id INTEGER PRIMARY KEY, "
	    "x TEXT); CREATE VIEW old AS SELECT id FROM t");
	struct schema	*model;
	struct autogen	*ag;
	char		*cause = NULL, *saved;

	ck_assert_int_eq(model_parse("views.sql", "CREATE TABLE t (id INTEGER "
	    "PRIMARY KEY, x TEXT); CREATE TABLE u (y TEXT); CREATE VIEW v AS "
	    "SELECT x, y FROM t, u;", &model, &cause), 0);
	ck_assert_int_eq(autogen_plan(db, model, 0, &ag, &cause), 0);
	ck_assert_uint_eq(ag->up->nops, 2);
	ck_assert_int_eq(ag->up->ops[0].type, OP_CREATE_TABLE);
	ck_assert_int_eq(ag->up->ops[1].type, OP_CREATE_VIEW);
	ck_assert_str_eq(ag->up->ops[1].name, "v");
	ck_assert_uint_eq(ag->up->nunknown_views, 1);
	ck_assert_str_eq(ag->up->unknown_views[0], "old");
	ck_assert_int_eq(ag->down->ops[0].type, OP_DROP_VIEW);
	ck_assert_ptr_nonnull(strstr(ag->upgrade, "CREATE VIEW v AS SELECT x, "
	    "y FROM t, u;\n"));
	ck_assert_ptr_null(ag->pg_upgrade);
	ck_assert_str_eq(ag->pg_why, "view v is SQLite SQL");
	ck_assert_int_eq(autogen_prove(db, ag, model, 0, &cause), 0);
	saved = ag->upgrade;
	ag->upgrade = render_table(&model->tables[1], NULL);
	ck_assert_int_eq(autogen_prove(db, ag, model, 0, &cause), -1);
	ck_assert_str_eq(cause, "after the upgrade on a copy of the schema, "
	    "yet it still needs: create view v");
	free(cause);
	free(ag->upgrade);
	ag->upgrade = saved;
	autogen_free(ag);
	/* Applied, the model's view works and nothing is left to do. */
	unit_exec(db, "INSERT INTO t (x) VALUES ('a')");
	ck_assert_int_eq(autogen_plan(db, model, 0, &ag, &cause), 0);
	unit_exec(db, ag->upgrade);
	unit_exec(db, "INSERT INTO u VALUES ('b')");
	CK_STR(unit_query(db, "SELECT x || y FROM v"), "ab");
	autogen_free(ag);
	ck_assert_int_eq(autogen_plan(db, model, 0, &ag, &cause), 0);
	ck_assert_uint_eq(ag->up->nops, 0);
	autogen_free(ag);
	/* Dropped with DIFF_DROP_UNKNOWN: not destructive, no rows lost. */
	ck_assert_int_eq(autogen_plan(db, model, DIFF_DROP_UNKNOWN, &ag,
	    &cause), 0);
	ck_assert_uint_eq(ag->up->nops, 1);
	ck_assert_int_eq(ag->up->ops[0].type, OP_DROP_VIEW);
	ck_assert_int_eq(diff_destructive(&ag->up->ops[0]), 0);
	ck_assert_int_eq(autogen_prove(db, ag, model, DIFF_DROP_UNKNOWN,
	    &cause), 0);
	autogen_free(ag);
	schema_free(model);
	sqlite3_close(db);
}
END_TEST

/* A revision that does not do what it says is never written. */
START_TEST(test_autogen_prove_refuses)
{
	sqlite3		*db;
	struct autogen	*ag;
	char		*cause = NULL, *saved;

	db = unit_db("CREATE TABLE users (id INTEGER PRIMARY KEY, "
	    "username TEXT); CREATE TABLE keep (x)");
	ck_assert_int_eq(autogen_plan(db, model_schema(), 0, &ag, &cause), 0);
	ck_assert_int_eq(autogen_prove(db, ag, model_schema(), 0, &cause), 0);
	saved = ag->upgrade;
	ag->upgrade = xstrdup("SELECT 1;");
	ck_assert_int_eq(autogen_prove(db, ag, model_schema(), 0, &cause), -1);
	ck_assert_msg(strncmp(cause, "after the upgrade on a copy of the schema, "
	    "yet it still needs: rebuild table users", 71) == 0, "%s", cause);
	free(cause);
	free(ag->upgrade);
	ag->upgrade = xstrdup("DROP TABLE nowhere;");
	ck_assert_int_eq(autogen_prove(db, ag, model_schema(), 0, &cause), -1);
	ck_assert_str_eq(cause, "the upgrade fails on a copy of the schema: "
	    "no such table: nowhere");
	free(cause);
	free(ag->upgrade);
	ag->upgrade = saved;
	free(ag->downgrade);
	ag->downgrade = xstrdup("DROP TABLE keep;");
	ck_assert_int_eq(autogen_prove(db, ag, model_schema(), 0, &cause), -1);
	ck_assert_msg(strstr(cause, "after the downgrade on a copy of the "
	    "schema, yet it still needs: ") == cause, "%s", cause);
	free(cause);
	/* The live database itself was never touched. */
	CK_STR(unit_query(db, "SELECT group_concat(name, ' ') FROM "
	    "sqlite_schema"), "users keep");
	autogen_free(ag);
	sqlite3_close(db);
}
END_TEST

/*
 * A baseline takes the chain's schema to the live one, triggers and views
 * too, and back; what it makes whole it makes from the live text.
 */
START_TEST(test_autogen_baseline)
{
	sqlite3			*chain, *live;
	struct autogen		*ag;
	struct chain_drift	*d;
	char			*cause = NULL;

	chain = unit_db("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)");
	live = unit_db("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT); "
	    "CREATE INDEX ix_t_x ON t(x  DESC); CREATE TABLE  u (a, b); "
	    "CREATE INDEX ix_u ON u(a); CREATE VIEW v AS SELECT a FROM u; "
	    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END; "
	    "CREATE TABLE alembic_version (version_num TEXT)");
	ck_assert_int_eq(autogen_baseline(chain, live, &ag, &cause), 0);
	ck_assert_ptr_nonnull(strstr(ag->upgrade, "CREATE INDEX ix_t_x ON "
	    "t(x  DESC);\n"));
	ck_assert_ptr_nonnull(strstr(ag->upgrade, "CREATE TABLE u (a, b);\n"
	    "CREATE INDEX ix_u ON u(a);\n"));
	ck_assert_ptr_nonnull(strstr(ag->upgrade, "-- create view v\n"));
	ck_assert_ptr_nonnull(strstr(ag->upgrade, "-- create trigger tr\n"));
	ck_assert_ptr_null(strstr(ag->upgrade, "alembic_version"));
	ck_assert_ptr_nonnull(strstr(ag->downgrade, "DROP TABLE u;"));
	/* The chain's database, upgraded, drifts from the live one no more. */
	unit_exec(chain, ag->upgrade);
	ck_assert_int_eq(chain_drift(chain, live, &d, &cause), 0);
	ck_assert_uint_eq(d->nitems, 0);
	chain_drift_free(d);
	CK_STR(unit_query(chain, "SELECT sql FROM sqlite_schema WHERE name = "
	    "'ix_t_x'"), "CREATE INDEX ix_t_x ON t(x  DESC)");
	autogen_free(ag);
	/* Nothing to record. */
	ck_assert_int_eq(autogen_baseline(chain, live, &ag, &cause), 0);
	ck_assert_str_eq(ag->upgrade, "");
	autogen_free(ag);
	sqlite3_close(chain);
	sqlite3_close(live);
}
END_TEST

static Suite *
unit_suite(void)
{
	Suite	*s = suite_create("autogen");
	TCase	*tc;

	tc = tcase_create("autogen_plan");
	tcase_add_test(tc, test_autogen_plan);
	tcase_add_test(tc, test_autogen_plan_views);
	suite_add_tcase(s, tc);
	tc = tcase_create("autogen_prove");
	tcase_add_test(tc, test_autogen_prove_refuses);
	suite_add_tcase(s, tc);
	tc = tcase_create("autogen_baseline");
	tcase_add_test(tc, test_autogen_baseline);
	suite_add_tcase(s, tc);
	return s;
}
