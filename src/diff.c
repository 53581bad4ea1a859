/*
 * The difference between two schemas as a list of typed operations: what must
 * happen to the "from" schema (the live database) to make it the "to" schema
 * (the model). The list is data: the tests check it before any SQL exists and
 * render.c writes upgrade and downgrade SQL from it.
 *
 * Per table, the cheap operations SQLite's ALTER TABLE can do (add column, drop
 * column, create and drop index) are used when every change of that table is
 * one of them, and columns renamed in the model (struct column's "was") are
 * renamed in place; anything else (a changed type, NOT NULL, DEFAULT, CHECK,
 * primary key, collation, UNIQUE constraint, foreign key or table option)
 * rebuilds the table once, which also recreates its indexes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exodb.h"

struct diff_why {
	sqlite3_str	*text;
};

/*
 * What a table's diff must know of the rest: the views there while the
 * tables change, and with DIFF_VIEWS the diffs whose trigger operations move
 * triggers out of the way meanwhile (dropped before, or made after): such a
 * trigger neither stops a column from going nor is made again by a rebuild.
 * No moves: triggers are not managed, and a rebuild keeps the live ones.
 */
struct diff_env {
	const struct schema	*views;
	const struct diff	*moves[2];
};

/* Whether trigger text sql (by its pointer) is moved out of the way. */
static int
diff_moved(const struct diff_env *env, const char *sql)
{
	const struct diff	*d;
	size_t			 i, k;

	for (k = 0; k < 2; k++) {
		if ((d = env->moves[k]) == NULL)
			continue;
		for (i = 0; i < d->nops; i++) {
			if ((d->ops[i].type == OP_CREATE_TRIGGER ||
			    d->ops[i].type == OP_DROP_TRIGGER) &&
			    d->ops[i].sql == sql)
				return 1;
		}
	}
	return 0;
}

static void
diff_why(struct diff_why *why, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
diff_why(struct diff_why *why, const char *fmt, ...)
{
	va_list	ap;

	if (why->text == NULL)
		why->text = sqlite3_str_new(NULL);
	else
		sqlite3_str_appendall(why->text, "; ");
	va_start(ap, fmt);
	sqlite3_str_vappendf(why->text, fmt, ap);
	va_end(ap);
}

/* "t gains UNIQUE (a, b)": a constraint by its columns, not its index. */
static void
diff_why_unique(struct diff_why *why, const char *table, const char *verb,
    const struct index *ix)
{
	sqlite3_str	*cols = sqlite3_str_new(NULL);
	char		*list;
	size_t		 i;

	for (i = 0; i < ix->ncolumns; i++)
		sqlite3_str_appendf(cols, "%s%s", i > 0 ? ", " : "",
		    ix->columns[i].name);
	list = xstr_finish(cols);
	diff_why(why, "%s %s UNIQUE (%s)", table, verb, list);
	free(list);
}

static struct op *
diff_add(struct diff *d, enum op_type type, const struct table *from,
    const struct table *to)
{
	struct op	*op;

	d->ops = xreallocarray(d->ops, d->nops + 1, sizeof *d->ops);
	op = &d->ops[d->nops++];
	memset(op, 0, sizeof *op);
	op->type = type;
	op->from = from;
	op->to = to;
	return op;
}

void
diff_free(struct diff *d)
{
	size_t	i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nops; i++) {
		free(d->ops[i].why);
		free(d->ops[i].triggers);
	}
	free(d->ops);
	free(d->unknown);
	free(d->unknown_views);
	free(d->unknown_triggers);
	free(d);
}

const char *
diff_op_name(enum op_type type)
{
	switch (type) {
	case OP_CREATE_TABLE:
		return "create table";
	case OP_DROP_TABLE:
		return "drop table";
	case OP_ADD_COLUMN:
		return "add column";
	case OP_DROP_COLUMN:
		return "drop column";
	case OP_RENAME_COLUMN:
		return "rename column";
	case OP_CREATE_INDEX:
		return "create index";
	case OP_DROP_INDEX:
		return "drop index";
	case OP_REBUILD_TABLE:
		return "rebuild table";
	case OP_CREATE_VIEW:
		return "create view";
	case OP_DROP_VIEW:
		return "drop view";
	case OP_CREATE_TRIGGER:
		return "create trigger";
	case OP_DROP_TRIGGER:
		return "drop trigger";
	}
	return "?";
}

/* Whether the operation loses data: a dropped table or column. */
int
diff_destructive(const struct op *op)
{
	size_t	i;

	switch (op->type) {
	case OP_DROP_TABLE:
	case OP_DROP_COLUMN:
		return 1;
	case OP_REBUILD_TABLE:
		for (i = 0; i < op->from->ncolumns; i++) {
			if (schema_match_column(op->to,
			    &op->from->columns[i]) == NULL)
				return 1;
		}
		return 0;
	default:
		return 0;
	}
}

static char *
diff_describe_raw(const struct op *op)
{
	const char	*name = diff_op_name(op->type);

	switch (op->type) {
	case OP_CREATE_TABLE:
		return xasprintf("%s %s", name, op->to->name);
	case OP_DROP_TABLE:
		return xasprintf("%s %s", name, op->from->name);
	case OP_ADD_COLUMN:
	case OP_DROP_COLUMN:
		return xasprintf("%s %s.%s", name, op->from->name,
		    op->column->name);
	case OP_RENAME_COLUMN:
		return xasprintf("%s %s.%s to %s", name, op->from->name,
		    op->old->name, op->column->name);
	case OP_CREATE_INDEX:
	case OP_DROP_INDEX:
		return xasprintf("%s %s on %s", name, op->index->name,
		    op->from->name);
	case OP_REBUILD_TABLE:
		return xasprintf("%s %s: %s", name, op->from->name, op->why);
	case OP_CREATE_VIEW:
	case OP_DROP_VIEW:
		return xasprintf("%s %s%s", name, op->name, op->changes ?
		    " (it changes)" : "");
	case OP_CREATE_TRIGGER:
	case OP_DROP_TRIGGER:
		return xasprintf("%s %s on %s%s", name, op->name, op->on,
		    op->changes ? " (it changes)" : "");
	}
	return xstrdup(name);
}

/*
 * One line for the operation, as revision files and messages show it. Names
 * and expressions come from the live database and may hold any character:
 * control characters become spaces, so that the line stays one line (and a
 * "-- " comment in a revision stays a comment).
 */
char *
diff_describe(const struct op *op)
{
	char	*text, *p;

	text = diff_describe_raw(op);
	for (p = text; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return text;
}

static const char *
diff_show(const char *text)
{
	return text == NULL ? "none" : text;
}

static const char *
diff_identity(int identity)
{
	return identity == 'a' ? "always" : identity == 'd' ? "by default" :
	    "none";
}

/* Why column a (live) is not column b (model), or 0 when they are alike. */
static int
diff_column(struct diff_why *why, const char *table, const struct column *a,
    const struct column *b)
{
	int	n = 0;

	if (!schema_same_text(a->type, b->type)) {
		diff_why(why, "%s.%s type %s -> %s", table, b->name,
		    *a->type ? a->type : "none", *b->type ? b->type : "none");
		n++;
	}
	if (a->notnull != b->notnull) {
		diff_why(why, "%s.%s %s", table, b->name, b->notnull ?
		    "becomes NOT NULL" : "becomes nullable");
		n++;
	}
	if (!schema_same_text(a->dflt, b->dflt)) {
		diff_why(why, "%s.%s default %s -> %s", table, b->name,
		    diff_show(a->dflt), diff_show(b->dflt));
		n++;
	}
	if (!schema_same_text(a->check, b->check)) {
		diff_why(why, "%s.%s check %s -> %s", table, b->name,
		    diff_show(a->check), diff_show(b->check));
		n++;
	}
	if (a->pk != b->pk) {
		diff_why(why, "%s.%s primary key changes", table, b->name);
		n++;
	}
	if (!schema_same_name(a->collation, b->collation)) {
		diff_why(why, "%s.%s collation %s -> %s", table, b->name,
		    diff_show(a->collation), diff_show(b->collation));
		n++;
	}
	/* Only PostgreSQL's columns have one. */
	if (a->identity != b->identity) {
		diff_why(why, "%s.%s identity %s -> %s", table, b->name,
		    diff_identity(a->identity), diff_identity(b->identity));
		n++;
	}
	return n;
}

static int
diff_same_index(const struct index *a, const struct index *b)
{
	size_t	i;

	if (a->sql != NULL || b->sql != NULL)
		return schema_same_text(a->sql, b->sql);
	if (a->unique != b->unique || a->ncolumns != b->ncolumns ||
	    !schema_same_text(a->where, b->where))
		return 0;
	for (i = 0; i < a->ncolumns; i++) {
		if (!schema_same_name(a->columns[i].name, b->columns[i].name) ||
		    !schema_same_name(a->columns[i].collation,
		    b->columns[i].collation) ||
		    a->columns[i].desc != b->columns[i].desc)
			return 0;
	}
	return 1;
}

/* Whether table t has a UNIQUE constraint like ix (same columns). */
static int
diff_has_unique(const struct table *t, const struct index *ix)
{
	size_t	i;

	for (i = 0; i < t->nindexes; i++) {
		if (t->indexes[i].origin == 'u' &&
		    diff_same_index(&t->indexes[i], ix))
			return 1;
	}
	return 0;
}

static int
diff_index_uses(const struct index *ix, const char *column)
{
	size_t	i;

	if (ix->sql != NULL)
		return lex_mentions(ix->sql, column);
	for (i = 0; i < ix->ncolumns; i++) {
		if (schema_same_name(ix->columns[i].name, column))
			return 1;
	}
	return ix->where != NULL && lex_mentions(ix->where, column);
}

/*
 * Whether ALTER TABLE ADD COLUMN can add c: not part of the key or of a
 * UNIQUE constraint, and a NOT NULL column needs a constant default other
 * than NULL (SQLite's rules).
 */
static int
diff_can_add(const struct table *t, const struct column *c)
{
	size_t	i;

	if (c->pk || c->hidden)
		return 0;
	for (i = 0; i < t->nindexes; i++) {
		if (t->indexes[i].origin != 'c' &&
		    diff_index_uses(&t->indexes[i], c->name))
			return 0;
	}
	if (c->dflt != NULL && (!lex_is_literal(c->dflt) ||
	    strncasecmp(c->dflt, "CURRENT_", 8) == 0))
		return 0;
	if (c->notnull && (c->dflt == NULL || strcasecmp(c->dflt, "NULL") == 0))
		return 0;
	return 1;
}

/*
 * Whether ALTER TABLE DROP COLUMN can drop c from t: nothing else in the
 * schema may name it (an index, a CHECK, a trigger, a view, a foreign key),
 * and it may not be in the key or a UNIQUE constraint (SQLite's rules).
 */
static int
diff_can_drop(const struct diff_env *env, const struct table *t,
    const struct column *c, const struct table *keep)
{
	const struct index	*kept;
	size_t			 i, j;

	if (c->pk || c->hidden)
		return 0;
	for (i = 0; i < t->nfks; i++) {
		for (j = 0; j < t->fks[i].ncolumns; j++) {
			if (schema_same_name(t->fks[i].from[j], c->name))
				return 0;
		}
	}
	for (i = 0; i < t->nindexes; i++) {
		/* Indexes the same diff drops first don't count. */
		kept = schema_index(keep, t->indexes[i].name);
		if (t->indexes[i].origin == 'c' && (kept == NULL ||
		    !diff_same_index(&t->indexes[i], kept)))
			continue;
		if (diff_index_uses(&t->indexes[i], c->name))
			return 0;
	}
	for (i = 0; i < t->nchecks; i++) {
		if (lex_mentions(t->checks[i], c->name))
			return 0;
	}
	for (i = 0; i < t->ncolumns; i++) {
		if (&t->columns[i] != c && t->columns[i].check != NULL &&
		    lex_mentions(t->columns[i].check, c->name))
			return 0;
	}
	/* Both sides' triggers, but those out of the way meanwhile. */
	for (i = 0; i < t->ntriggers; i++) {
		if (!diff_moved(env, t->triggers[i]) &&
		    lex_mentions(t->triggers[i], c->name))
			return 0;
	}
	for (i = 0; i < keep->ntriggers; i++) {
		if (!diff_moved(env, keep->triggers[i]) &&
		    lex_mentions(keep->triggers[i], c->name))
			return 0;
	}
	for (i = 0; i < env->views->nviews; i++) {
		if (lex_mentions(env->views->views[i], c->name))
			return 0;
	}
	return 1;
}

static int
diff_same_fk(const struct foreign_key *a, const struct foreign_key *b)
{
	size_t	i;

	if (!schema_same_name(a->table, b->table) ||
	    a->ncolumns != b->ncolumns ||
	    !schema_same_name(a->on_update, b->on_update) ||
	    !schema_same_name(a->on_delete, b->on_delete))
		return 0;
	for (i = 0; i < a->ncolumns; i++) {
		if (!schema_same_name(a->from[i], b->from[i]) ||
		    !schema_same_name(a->to[i], b->to[i]))
			return 0;
	}
	return 1;
}

/* Whether the two tables declare the same foreign keys, in any order. */
static int
diff_same_fks(const struct table *a, const struct table *b)
{
	size_t	i, j;

	if (a->nfks != b->nfks)
		return 0;
	for (i = 0; i < a->nfks; i++) {
		for (j = 0; j < b->nfks; j++) {
			if (diff_same_fk(&a->fks[i], &b->fks[j]))
				break;
		}
		if (j == b->nfks)
			return 0;
	}
	return 1;
}

static int
diff_same_checks(const struct table *a, const struct table *b)
{
	size_t	i, j;

	if (a->nchecks != b->nchecks)
		return 0;
	for (i = 0; i < a->nchecks; i++) {
		for (j = 0; j < b->nchecks; j++) {
			if (schema_same_text(a->checks[i], b->checks[j]))
				break;
		}
		if (j == b->nchecks)
			return 0;
	}
	return 1;
}

/*
 * Whether tables a and b say the same where one of them says what the
 * structs cannot (ON CONFLICT, a named constraint, DEFERRABLE): their CREATE
 * texts, under one name, alike but for spacing, case, quotes and comments.
 */
static int
diff_same_verbatim(const struct table *a, const struct table *b)
{
	char	*ta, *tb;
	int	 same;

	if (!a->verbatim && !b->verbatim)
		return 1;
	ta = render_table(a, "t");
	tb = render_table(b, "t");
	same = schema_same_text(ta, tb);
	free(ta);
	free(tb);
	return same;
}

/*
 * Whether rebuilding table a into b would leave a view or trigger naming a
 * column that goes away or changes its name: the rebuild keeps them as they
 * were written (SQLite does not check them then), and they would fail when
 * used. Sets *cause.
 */
static int
diff_rebuild_breaks(const struct diff_env *env, const struct table *a,
    const struct table *b, char **cause)
{
	const struct schema	*sa = env->views;
	const struct column	*ca, *cb;
	size_t			 i, j;

	for (i = 0; i < a->ncolumns; i++) {
		ca = &a->columns[i];
		cb = schema_match_column(b, ca);
		if (cb != NULL && schema_same_name(ca->name, cb->name))
			continue;
		for (j = 0; j < a->ntriggers; j++) {
			if (!diff_moved(env, a->triggers[j]) &&
			    lex_mentions(a->triggers[j], ca->name)) {
				*cause = xasprintf("table %s: a trigger names "
				    "column %s, which the change %s; change the "
				    "trigger first", a->name, ca->name, cb == NULL ?
				    "drops" : "renames");
				return 1;
			}
		}
		for (j = 0; j < sa->nviews; j++) {
			if (lex_mentions(sa->views[j], ca->name)) {
				*cause = xasprintf("table %s: view %s names column "
				    "%s, which the change %s; change the view "
				    "first", a->name, sa->view_names[j], ca->name,
				    cb == NULL ? "drops" : "renames");
				return 1;
			}
		}
	}
	return 0;
}

static void	diff_table_cheap_ops(const struct diff_env *,
		    const struct table *, const struct table *,
		    void (*)(const struct op *, void *), void *);

/* An emit() for diff_table_cheap_ops(): count the ops that alter the table. */
static void
diff_count_column_op(const struct op *op, void *arg)
{
	if (op->type != OP_CREATE_INDEX && op->type != OP_DROP_INDEX)
		(*(size_t *)arg)++;
}

/*
 * Whether table a can only become b by a rebuild; the reasons go to why:
 * table options, CHECKs, foreign keys, UNIQUE constraints, column changes,
 * and columns that cannot be dropped or added in place. Pure.
 */
static int
diff_table_needs_rebuild(const struct diff_env *sa, const struct table *a,
    const struct table *b, struct diff_why *why)
{
	const struct column	*ca, *cb;
	const struct index	*ia, *ib;
	size_t			 i, ncolumn_ops = 0;

	if (a->without_rowid != b->without_rowid)
		diff_why(why, "%s becomes %s", b->name, b->without_rowid ?
		    "WITHOUT ROWID" : "a rowid table");
	if (a->strict != b->strict)
		diff_why(why, "%s becomes %s", b->name, b->strict ? "STRICT" :
		    "not STRICT");
	if (a->autoincrement != b->autoincrement)
		diff_why(why, "%s %s AUTOINCREMENT", b->name,
		    b->autoincrement ? "gains" : "loses");
	if (!diff_same_checks(a, b))
		diff_why(why, "%s table CHECK constraints change", b->name);
	if (!diff_same_fks(a, b))
		diff_why(why, "%s foreign keys change", b->name);
	for (i = 0; i < a->nindexes; i++) {
		ia = &a->indexes[i];
		if (ia->origin == 'u' && !diff_has_unique(b, ia))
			diff_why_unique(why, b->name, "loses", ia);
	}
	for (i = 0; i < b->nindexes; i++) {
		ib = &b->indexes[i];
		if (ib->origin == 'u' && !diff_has_unique(a, ib))
			diff_why_unique(why, b->name, "gains", ib);
	}
	for (i = 0; i < a->ncolumns; i++) {
		ca = &a->columns[i];
		if ((cb = schema_match_column(b, ca)) != NULL)
			diff_column(why, b->name, ca, cb);
		else if (!diff_can_drop(sa, a, ca, b))
			diff_why(why, "drop column %s.%s", a->name, ca->name);
	}
	for (i = 0; i < b->ncolumns; i++) {
		cb = &b->columns[i];
		if (schema_match_column(a, cb) == NULL && !diff_can_add(b, cb))
			diff_why(why, "add column %s.%s", b->name, cb->name);
	}
	/*
	 * What only the CREATE text says (ON CONFLICT, a named constraint): a
	 * change there is a rebuild from the model's text, and so is a column
	 * added, dropped or renamed in such a table, since ALTER TABLE would
	 * leave a text that is neither the old one nor the model's. Index
	 * changes do not touch the table's text.
	 */
	if (why->text == NULL && !diff_same_verbatim(a, b)) {
		diff_table_cheap_ops(sa, a, b, diff_count_column_op, &ncolumn_ops);
		diff_why(why, ncolumn_ops > 0 ? "%s has constraints ALTER TABLE "
		    "cannot keep (such as ON CONFLICT)" : "%s changes in what "
		    "only its CREATE TABLE text says (such as ON CONFLICT)",
		    b->name);
	}
	return why->text != NULL;
}

/*
 * The ALTERs that turn table a into b, each handed to emit() in the order
 * they run: indexes that go or change are dropped before columns change, and
 * created after. Columns that cannot change in place are left to the rebuild
 * diff_table_needs_rebuild() asks for.
 */
static void
diff_table_cheap_ops(const struct diff_env *sa, const struct table *a,
    const struct table *b, void (*emit)(const struct op *, void *), void *arg)
{
	struct op		 op;
	const struct column	*ca, *cb;
	const struct index	*ia, *ib;
	size_t			 i;

#define EMIT(t, ...) do {						\
	op = (struct op){ .type = (t), .from = a, .to = b, __VA_ARGS__ };	\
	emit(&op, arg);							\
} while (0)
	for (i = 0; i < a->nindexes; i++) {
		ia = &a->indexes[i];
		if (ia->origin != 'c')
			continue;
		ib = schema_index(b, ia->name);
		if (ib == NULL || ib->origin != 'c' || !diff_same_index(ia, ib))
			EMIT(OP_DROP_INDEX, .index = ia);
	}
	for (i = 0; i < a->ncolumns; i++) {
		ca = &a->columns[i];
		if ((cb = schema_match_column(b, ca)) != NULL) {
			if (!schema_same_name(ca->name, cb->name))
				EMIT(OP_RENAME_COLUMN, .column = cb, .old = ca);
		} else if (diff_can_drop(sa, a, ca, b))
			EMIT(OP_DROP_COLUMN, .column = ca);
	}
	for (i = 0; i < b->ncolumns; i++) {
		cb = &b->columns[i];
		if (schema_match_column(a, cb) == NULL && diff_can_add(b, cb))
			EMIT(OP_ADD_COLUMN, .column = cb);
	}
	for (i = 0; i < b->nindexes; i++) {
		ib = &b->indexes[i];
		if (ib->origin != 'c')
			continue;
		ia = schema_index(a, ib->name);
		if (ia == NULL || ia->origin != 'c' || !diff_same_index(ia, ib))
			EMIT(OP_CREATE_INDEX, .index = ib);
	}
#undef EMIT
}

/* An emit() for diff_table_cheap_ops(): append the op to the diff. */
static void
diff_emit_op(const struct op *op, void *arg)
{
	*diff_add(arg, op->type, op->from, op->to) = *op;
}

/* An emit() for diff_table_cheap_ops(): name the op in a rebuild's reasons. */
static void
diff_emit_why(const struct op *op, void *arg)
{
	char	*what = diff_describe(op);

	diff_why(arg, "%s", what);
	free(what);
}

/*
 * The triggers a rebuild of a into b makes again (the drop took them): when
 * triggers are managed, those of orig (the table as the upgrade found it,
 * whichever way this rebuild goes) that are not moved out of the way; else
 * the live table's, or the model's when it has none.
 */
static void
diff_rebuild_triggers(struct op *op, const struct diff_env *env,
    const struct table *orig)
{
	const struct table	*t;
	size_t			 i;

	if (env->moves[0] == NULL) {
		t = op->from->ntriggers > 0 ? op->from : op->to;
		op->triggers = xcalloc(t->ntriggers + 1, sizeof *op->triggers);
		for (i = 0; i < t->ntriggers; i++)
			op->triggers[op->ntriggers++] = t->triggers[i];
		return;
	}
	op->triggers = xcalloc(orig->ntriggers + 1, sizeof *op->triggers);
	for (i = 0; i < orig->ntriggers; i++) {
		if (!diff_moved(env, orig->triggers[i]))
			op->triggers[op->ntriggers++] = orig->triggers[i];
	}
}

/*
 * The operations that turn table a into table b (orig: the table as the
 * upgrade finds it). Added to d; fails only on what exodb cannot manage.
 */
static int
diff_table(struct diff *d, const struct diff_env *sa, const struct table *a,
    const struct table *b, const struct table *orig, char **cause)
{
	struct diff_why	 why = { NULL };
	struct op	*op;
	size_t		 i;

	/* Generated columns can only be kept, as part of the same text. */
	for (i = 0; i < a->ncolumns; i++) {
		if ((a->columns[i].hidden == 2 || a->columns[i].hidden == 3) &&
		    !(a->sql != NULL && b->sql != NULL &&
		    schema_same_text(a->sql, b->sql))) {
			*cause = xasprintf("table %s: generated column %s is not "
			    "supported", a->name, a->columns[i].name);
			return -1;
		}
	}
	if (!diff_table_needs_rebuild(sa, a, b, &why)) {
		diff_table_cheap_ops(sa, a, b, diff_emit_op, d);
		return 0;
	}
	if (diff_rebuild_breaks(sa, a, b, cause)) {
		sqlite3_free(sqlite3_str_finish(why.text));
		return -1;
	}
	/* One rebuild does this table's other changes too: say them. */
	diff_table_cheap_ops(sa, a, b, diff_emit_why, &why);
	op = diff_add(d, OP_REBUILD_TABLE, a, b);
	op->why = xstr_finish(why.text);
	diff_rebuild_triggers(op, sa, orig);
	return 0;
}

/*
 * Whether op creates an index (alone or with its table) whose name another
 * table's index has in schema from.
 */
static int
diff_index_taken(const struct schema *from, const struct op *op, char **cause)
{
	const struct table	*t = op->to;
	const struct index	*ix;
	size_t			 i, j, k;

	if (op->type != OP_CREATE_INDEX && op->type != OP_CREATE_TABLE &&
	    op->type != OP_REBUILD_TABLE)
		return 0;
	for (i = 0; i < t->nindexes; i++) {
		ix = &t->indexes[i];
		if (op->type == OP_CREATE_INDEX && ix != op->index)
			continue;
		for (j = 0; j < from->ntables; j++) {
			if (schema_same_name(from->tables[j].name, t->name))
				continue;
			for (k = 0; k < from->tables[j].nindexes; k++) {
				if (!schema_same_name(from->tables[j]
				    .indexes[k].name, ix->name))
					continue;
				*cause = xasprintf("index %s cannot be created on "
				    "%s: table %s has an index of that name",
				    ix->name, t->name, from->tables[j].name);
				return 1;
			}
		}
	}
	return 0;
}

/* Where schema s has a view of that name, or -1. */
static long
diff_find_view(const struct schema *s, const char *name)
{
	size_t	i;

	for (i = 0; i < s->nviews; i++) {
		if (schema_same_name(s->view_names[i], name))
			return (long)i;
	}
	return -1;
}

/*
 * The views of from that d does not drop, as *kept: a shallow copy of from
 * (the same tables, which d's operations point into) whose view arrays the
 * caller frees. Those are the views that exist while the tables change, and
 * the only ones that can stop a column from going.
 */
static void
diff_kept_views(const struct schema *from, const struct diff *d,
    struct schema *kept)
{
	size_t	i, j;

	*kept = *from;
	kept->views = xcalloc(from->nviews + 1, sizeof *kept->views);
	kept->view_names = xcalloc(from->nviews + 1, sizeof *kept->view_names);
	kept->nviews = 0;
	for (i = 0; i < from->nviews; i++) {
		for (j = 0; j < d->nops; j++) {
			if (d->ops[j].type == OP_DROP_VIEW &&
			    schema_same_name(d->ops[j].name,
			    from->view_names[i]))
				break;
		}
		if (j < d->nops)
			continue;
		kept->views[kept->nviews] = from->views[i];
		kept->view_names[kept->nviews++] = from->view_names[i];
	}
}

static void
diff_kept_free(struct schema *kept)
{
	free(kept->views);
	free(kept->view_names);
}

/* A view's or a trigger's operation (on: a trigger's table). */
static void
diff_add_object(struct diff *d, enum op_type type, const char *name,
    const char *sql, const char *on, int changes)
{
	struct op	*op;

	op = diff_add(d, type, NULL, NULL);
	op->name = name;
	op->sql = sql;
	op->on = on;
	op->changes = changes;
}

/* Where table t has a trigger of that name, or -1. */
static long
diff_find_trigger(const struct table *t, const char *name)
{
	size_t	i;

	for (i = 0; t->trigger_names != NULL && i < t->ntriggers; i++) {
		if (schema_same_name(t->trigger_names[i], name))
			return (long)i;
	}
	return -1;
}

/*
 * The triggers of from's tables that go or change, dropped last made first,
 * before anything else: a trigger to's table lacks is listed in
 * d->unknown_triggers and kept, unless DIFF_DROP_UNKNOWN. The triggers of a
 * table that goes go with it; those of a table made are made with it.
 * Names come from SQLite's schema: a schema without them (PostgreSQL's) has
 * its triggers left alone.
 */
static void
diff_drop_triggers(struct diff *d, const struct schema *from,
    const struct schema *to, const struct table **sto, int flags)
{
	const struct table	*a, *b;
	size_t			 i, j;
	long			 k;

	for (i = from->ntables; i > 0; i--) {
		a = &from->tables[i - 1];
		if ((b = schema_find(sto, to->ntables, a->name)) == NULL ||
		    a->trigger_names == NULL)
			continue;
		for (j = a->ntriggers; j > 0; j--) {
			k = diff_find_trigger(b, a->trigger_names[j - 1]);
			if (k != -1 && schema_same_text(a->triggers[j - 1],
			    b->triggers[k]))
				continue;
			if (k == -1 && !(flags & DIFF_DROP_UNKNOWN)) {
				d->unknown_triggers = xreallocarray(
				    d->unknown_triggers, d->nunknown_triggers + 1,
				    sizeof *d->unknown_triggers);
				d->unknown_triggers[d->nunknown_triggers++] =
				    a->trigger_names[j - 1];
				continue;
			}
			diff_add_object(d, OP_DROP_TRIGGER,
			    a->trigger_names[j - 1], a->triggers[j - 1],
			    a->name, k != -1);
		}
	}
}

/* The triggers of to's tables that from's lack or have otherwise. */
static void
diff_create_triggers(struct diff *d, const struct schema *from,
    const struct table **sfrom, const struct schema *to)
{
	const struct table	*a, *b;
	size_t			 i, j;
	long			 k;

	for (i = 0; i < to->ntables; i++) {
		b = &to->tables[i];
		if ((a = schema_find(sfrom, from->ntables, b->name)) == NULL ||
		    b->trigger_names == NULL)
			continue;
		for (j = 0; j < b->ntriggers; j++) {
			k = diff_find_trigger(a, b->trigger_names[j]);
			if (k != -1 && schema_same_text(a->triggers[k],
			    b->triggers[j]))
				continue;
			diff_add_object(d, OP_CREATE_TRIGGER, b->trigger_names[j],
			    b->triggers[j], b->name, k != -1);
		}
	}
}

/*
 * The views of from that go or change, dropped last made first (a view may
 * read one made before it), before any table changes: a view that is not in
 * to is listed in d->unknown_views and kept, unless DIFF_DROP_UNKNOWN. A
 * view is the same when its CREATE VIEW text is, but for spacing, case,
 * quotes and comments. Refuses to drop a view with INSTEAD OF triggers,
 * which its drop would take with it and nothing would make again.
 */
static int
diff_drop_views(struct diff *d, const struct schema *from,
    const struct schema *to, int flags, char **cause)
{
	size_t	i, j;
	long	k;

	for (i = 0; i < from->nviews; i++) {
		if (diff_find_view(to, from->view_names[i]) == -1 &&
		    !(flags & DIFF_DROP_UNKNOWN)) {
			d->unknown_views = xreallocarray(d->unknown_views,
			    d->nunknown_views + 1, sizeof *d->unknown_views);
			d->unknown_views[d->nunknown_views++] =
			    from->view_names[i];
		}
	}
	for (i = from->nviews; i > 0; i--) {
		k = diff_find_view(to, from->view_names[i - 1]);
		if (k != -1 && schema_same_text(from->views[i - 1],
		    to->views[k]))
			continue;
		if (k == -1 && !(flags & DIFF_DROP_UNKNOWN))
			continue;
		for (j = 0; j < from->nview_triggers; j++) {
			if (!schema_same_name(from->view_triggers[j],
			    from->view_names[i - 1]))
				continue;
			*cause = xasprintf("view %s cannot be %s: it has "
			    "INSTEAD OF triggers, which exodb does not manage; "
			    "drop them first", from->view_names[i - 1], k != -1 ?
			    "changed" : "dropped");
			return -1;
		}
		diff_add_object(d, OP_DROP_VIEW, from->view_names[i - 1],
		    from->views[i - 1], NULL, k != -1);
	}
	return 0;
}

/*
 * The views of to that from lacks or has otherwise, made in to's order (the
 * order they were made in), after every table change.
 */
static void
diff_create_views(struct diff *d, const struct schema *from,
    const struct schema *to)
{
	size_t	i;
	long	k;

	for (i = 0; i < to->nviews; i++) {
		k = diff_find_view(from, to->view_names[i]);
		if (k != -1 && schema_same_text(from->views[k], to->views[i]))
			continue;
		diff_add_object(d, OP_CREATE_VIEW, to->view_names[i],
		    to->views[i], NULL, k != -1);
	}
}

/*
 * The operations that turn schema from into schema to. Tables only in from
 * are listed in d->unknown and kept, or dropped with DIFF_DROP_UNKNOWN. With
 * DIFF_VIEWS views and triggers are made, dropped and changed too (the same
 * way: only DIFF_DROP_UNKNOWN drops one that to lacks): first the triggers
 * and views that go or change are dropped, then the tables change, then
 * to's views and triggers are made. On success the caller frees *out with
 * diff_free(); its operations point into both schemas, which must outlive
 * it.
 */
int
diff_schemas(const struct schema *from, const struct schema *to, int flags,
    struct diff **out, char **cause)
{
	struct diff		*d, *later;
	struct diff_env		 env;
	struct schema		 kept;
	const struct table	*a, *b, **sfrom, **sto;
	size_t			 i, j;

	*out = NULL;
	d = xcalloc(1, sizeof *d);
	d->flags = flags;
	later = xcalloc(1, sizeof *later);
	sfrom = schema_sorted(from);
	sto = schema_sorted(to);
	if (flags & DIFF_VIEWS) {
		diff_drop_triggers(d, from, to, sto, flags);
		if (diff_drop_views(d, from, to, flags, cause) == -1) {
			free(sfrom);
			free(sto);
			diff_free(later);
			diff_free(d);
			return -1;
		}
		diff_create_views(later, from, to);
		diff_create_triggers(later, from, sfrom, to);
	}
	diff_kept_views(from, d, &kept);
	env.views = &kept;
	env.moves[0] = flags & DIFF_VIEWS ? d : NULL;
	env.moves[1] = later;
	for (i = 0; i < to->ntables; i++) {
		b = &to->tables[i];
		if ((a = schema_find(sfrom, from->ntables, b->name)) != NULL) {
			if (diff_table(d, &env, a, b, a, cause) == -1)
				goto fail;
			continue;
		}
		for (j = 0; j < kept.nviews; j++) {
			if (schema_same_name(kept.view_names[j], b->name)) {
				*cause = xasprintf("table %s cannot be created: "
				    "a view has that name", b->name);
				goto fail;
			}
		}
		diff_add(d, OP_CREATE_TABLE, NULL, b);
	}
	/* An index name is unique in the whole database, not per table. */
	for (i = 0; i < d->nops; i++) {
		if (diff_index_taken(from, &d->ops[i], cause))
			goto fail;
	}
	for (i = 0; i < from->ntables; i++) {
		a = &from->tables[i];
		if (schema_find(sto, to->ntables, a->name) != NULL)
			continue;
		if (flags & DIFF_DROP_UNKNOWN)
			diff_add(d, OP_DROP_TABLE, a, NULL);
		else {
			d->unknown = xreallocarray(d->unknown, d->nunknown + 1,
			    sizeof *d->unknown);
			d->unknown[d->nunknown++] = a->name;
		}
	}
	/* The views and triggers made come last. */
	for (i = 0; i < later->nops; i++)
		*diff_add(d, later->ops[i].type, NULL, NULL) = later->ops[i];
	later->nops = 0;
	diff_free(later);
	diff_kept_free(&kept);
	free(sfrom);
	free(sto);
	*out = d;
	return 0;
fail:
	diff_free(later);
	diff_kept_free(&kept);
	free(sfrom);
	free(sto);
	diff_free(d);
	return -1;
}

/*
 * The operations that undo d, for the downgrade section. Each table d touches
 * is diffed back from its new state to its old one, in reverse order, so the
 * undo is checked against SQLite's rules as the forward change was: adding
 * back a dropped NOT NULL column, say, becomes a rebuild. A view made is
 * dropped and a view dropped made again, so the views d made go before the
 * tables change back and those it dropped come back after.
 */
int
diff_invert(const struct diff *d, const struct schema *from, struct diff **out,
    char **cause)
{
	struct diff		*inv;
	struct diff_env		 env;
	struct schema		 kept;
	const struct op		*op;
	size_t			 i, j;
	int			 ret = -1;

	*out = NULL;
	inv = xcalloc(1, sizeof *inv);
	inv->flags = d->flags;
	/*
	 * While the tables change back, the views and triggers d keeps exist
	 * and those it moves are out of the way, as on the way up.
	 */
	diff_kept_views(from, d, &kept);
	env.views = &kept;
	env.moves[0] = d->flags & DIFF_VIEWS ? d : NULL;
	env.moves[1] = NULL;
	for (i = d->nops; i > 0; i = j) {
		op = &d->ops[i - 1];
		j = i - 1;
		switch (op->type) {
		case OP_CREATE_VIEW:
		case OP_DROP_VIEW:
			diff_add_object(inv, op->type == OP_CREATE_VIEW ?
			    OP_DROP_VIEW : OP_CREATE_VIEW, op->name, op->sql,
			    NULL, op->changes);
			continue;
		case OP_CREATE_TRIGGER:
		case OP_DROP_TRIGGER:
			diff_add_object(inv, op->type == OP_CREATE_TRIGGER ?
			    OP_DROP_TRIGGER : OP_CREATE_TRIGGER, op->name,
			    op->sql, op->on, op->changes);
			continue;
		default:
			break;
		}
		/* The run of operations on the same table. */
		for (; j > 0 && d->ops[j - 1].from == op->from &&
		    d->ops[j - 1].to == op->to; j--)
			;
		if (op->type == OP_CREATE_TABLE)
			diff_add(inv, OP_DROP_TABLE, op->to, NULL);
		else if (op->type == OP_DROP_TABLE)
			diff_add(inv, OP_CREATE_TABLE, NULL, op->from);
		else if (diff_table(inv, &env, op->to, op->from, op->from,
		    cause) == -1)
			goto out;
	}
	*out = inv;
	inv = NULL;
	ret = 0;
out:
	diff_kept_free(&kept);
	diff_free(inv);
	return ret;
}
