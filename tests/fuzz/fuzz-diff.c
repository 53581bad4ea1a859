/*
 * The differ: the input is two schemas' SQL, the live one and the model,
 * separated by a line "-- model". Whatever they hold, introspecting, diffing
 * and rendering never fail unsafely, and a plan the differ makes either
 * proves out (the upgrade applied in a transaction gives the model, so a
 * re-diff is empty, and the downgrade gives the live schema back) or is
 * refused with a cause: autogen_prove() is the check db migrate runs.
 * With EXODB_FUZZ_STRICT set, a refused proof aborts too (each such class
 * is a case the differ does not handle yet).
 */
#include "fuzz.h"

static int
fuzz_progress(void *arg)
{
	return ++*(int *)arg > 200000;
}

/* A database made by sql, or NULL when SQLite refuses it. */
static sqlite3 *
fuzz_db(const char *sql, int *steps)
{
	sqlite3	*db;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 100000);
	sqlite3_progress_handler(db, 100, fuzz_progress, steps);
	*steps = 0;
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 strict = -1;
	struct schema		*model = NULL;
	struct autogen		*ag = NULL;
	sqlite3			*live = NULL, *mdb = NULL;
	char			*text, *sep, *cause = NULL;
	int			 steps;

	if (strict == -1)
		strict = getenv("EXODB_FUZZ_STRICT") != NULL;
	if (size > 4096)
		return 0;
	text = fuzz_string(data, size);
	if ((sep = strstr(text, "\n-- model\n")) == NULL)
		goto out;
	*sep = '\0';
	if ((live = fuzz_db(text, &steps)) == NULL ||
	    (mdb = fuzz_db(sep + 10, &steps)) == NULL)
		goto out;
	sqlite3_progress_handler(live, 0, NULL, NULL);
	if (introspect_schema(mdb, &model, &cause) == -1)
		goto out;
	if (autogen_plan(live, model, 0, &ag, &cause) == -1)
		goto out;
	if (autogen_prove(live, ag, model, 0, &cause) == -1) {
		FUZZ_ASSERT(cause != NULL && *cause != '\0', "no cause");
		FUZZ_ASSERT(!strict, "refused: %s\nupgrade:\n%s\ndowngrade:\n%s",
		    cause, ag->upgrade, ag->downgrade);
	}
out:
	free(cause);
	autogen_free(ag);
	schema_free(model);
	sqlite3_close(live);
	sqlite3_close(mdb);
	free(text);
	return 0;
}
