/*
 * Plans: which revisions an upgrade or a downgrade to a target runs, and in
 * what order. Pure: a function of the repository, the history and the target,
 * with no database. Each plan is one pass over the repository, whose
 * topological order puts every parent before its children.
 */
#include <stdlib.h>
#include <string.h>

#include "exodb.h"

void
plan_free(struct plan *plan)
{
	if (plan == NULL)
		return;
	free(plan->revs);
	free(plan);
}

/* Mark in want what a database at t has; want[i] is for repo->revs[i]. */
static void
plan_mark(const struct repo *repo, const struct repo_target *t, int *want)
{
	size_t	i;

	if (t->kind == REPO_HEAD || t->kind == REPO_HEADS) {
		for (i = 0; i < repo->nrevs; i++)
			want[i] = 1;
	} else if (t->kind == REPO_ID)
		repo_ancestors(t->revs[0], want);
}

/*
 * Mark in want what a database at target has: all for "head" or "heads",
 * none for "base", else the revision an id or prefix names (set in *rev) and
 * its ancestors.
 */
int
plan_wanted(const struct repo *repo, const char *target, int *want,
    struct revision **rev, char **cause)
{
	struct repo_target	t;

	*rev = NULL;
	if (repo_resolve(repo, NULL, target, REPO_ID | REPO_HEAD | REPO_HEADS |
	    REPO_BASE, &t, cause) == -1)
		return -1;
	plan_mark(repo, &t, want);
	if (t.kind == REPO_ID)
		*rev = t.revs[0];
	free(t.revs);
	return 0;
}

/* The next n pending revisions whose parents are applied (or run first). */
static int
plan_forward(const struct repo *repo, int *applied, long n,
    struct plan *plan, const char *target, char **cause)
{
	const struct revision	*r;
	size_t			 i, j;

	for (i = 0; i < repo->nrevs && plan->nrevs < (size_t)n; i++) {
		r = repo->revs[i];
		for (j = 0; !applied[i] && j < r->nparents; j++) {
			if (!applied[r->parent_revs[j]->order])
				break;
		}
		if (applied[i] || j < r->nparents)
			continue;
		applied[i] = 1;
		plan->revs[plan->nrevs++] = repo->revs[i];
	}
	if (plan->nrevs < (size_t)n) {
		*cause = xasprintf("'%s': only %zu revision%s pending; that is "
		    "past head", target, plan->nrevs, plan->nrevs == 1 ? "" :
		    "s");
		return -1;
	}
	return 0;
}

/* The last n applied revisions that no applied revision (still) revises. */
static int
plan_back(const struct repo *repo, const int *applied, long n,
    struct plan *plan, const char *target, char **cause)
{
	const struct revision	*r;
	size_t			*children, i, j;

	children = xcalloc(repo->nrevs + 1, sizeof *children);
	for (i = 0; i < repo->nrevs; i++) {
		for (j = 0; applied[i] && j < repo->revs[i]->nparents; j++)
			children[repo->revs[i]->parent_revs[j]->order]++;
	}
	for (i = repo->nrevs; i > 0 && plan->nrevs < (size_t)n; i--) {
		r = repo->revs[i - 1];
		if (!applied[i - 1] || children[i - 1] > 0)
			continue;
		for (j = 0; j < r->nparents; j++)
			children[r->parent_revs[j]->order]--;
		plan->revs[plan->nrevs++] = repo->revs[i - 1];
	}
	free(children);
	if (plan->nrevs < (size_t)n) {
		*cause = xasprintf("'%s': only %zu revision%s applied; that is "
		    "below base", target, plan->nrevs, plan->nrevs == 1 ? "" :
		    "s");
		return -1;
	}
	return 0;
}

/*
 * Upgrade: what target t (head, base or a revision) wants and lacks;
 * downgrade: what it has, unwanted.
 */
static int
plan_to(const struct repo *repo, const int *applied,
    const struct repo_target *t, struct plan *plan, char **cause)
{
	struct revision	*rev = t->kind == REPO_ID ? t->revs[0] : NULL;
	int		*want;
	size_t		 i;

	if (!plan->up && rev != NULL && !applied[rev->order]) {
		*cause = xasprintf("revision %s is not applied; downgrade goes "
		    "back to an applied revision", rev->id);
		return -1;
	}
	want = xcalloc(repo->nrevs + 1, sizeof *want);
	plan_mark(repo, t, want);
	for (i = 0; plan->up && i < repo->nrevs; i++) {
		if (want[i] && !applied[i])
			plan->revs[plan->nrevs++] = repo->revs[i];
	}
	for (i = repo->nrevs; !plan->up && i > 0; i--) {
		if (!want[i - 1] && applied[i - 1])
			plan->revs[plan->nrevs++] = repo->revs[i - 1];
	}
	free(want);
	return 0;
}

/*
 * The revisions an upgrade (up) or downgrade to target would run, in the
 * order they run: TARGET is an id or unique prefix, "head", "heads" (upgrade
 * only), "base", "+N" (upgrade only) or "-N" (downgrade only). An upgrade only applies and a
 * downgrade only reverts. On success the caller frees *out with plan_free().
 */
int
plan_new(const struct repo *repo, const struct history *h,
    const char *target, int up, struct plan **out, char **cause)
{
	struct plan		*plan;
	struct repo_target	 t;
	int			*applied = NULL;
	int			 ret = -1;

	*out = NULL;
	plan = xcalloc(1, sizeof *plan);
	plan->up = up;
	plan->revs = xcalloc(repo->nrevs + 1, sizeof *plan->revs);
	memset(&t, 0, sizeof t);
	/* The wrong direction gets its own word before the resolver's. */
	if (target[0] == '+' && !up)
		*cause = xasprintf("'%s': downgrade goes back: use -N", target);
	else if (target[0] == '-' && up)
		*cause = xasprintf("'%s': upgrade goes forward: use +N", target);
	else if (repo_resolve(repo, NULL, target, REPO_ID | REPO_HEAD |
	    REPO_BASE | (up ? REPO_UP | REPO_HEADS : REPO_DOWN), &t,
	    cause) == 0) {
		applied = repo_applied(repo, h);
		if (t.kind == REPO_UP)
			ret = plan_forward(repo, applied, t.steps, plan, target,
			    cause);
		else if (t.kind == REPO_DOWN)
			ret = plan_back(repo, applied, t.steps, plan, target,
			    cause);
		else
			ret = plan_to(repo, applied, &t, plan, cause);
	}
	free(t.revs);
	free(applied);
	if (ret == 0)
		*out = plan;
	else
		plan_free(plan);
	return ret;
}

/*
 * Whether every revision of plan has the section it runs for a dialect: the
 * first that lacks it is named in *cause, so that a runner refuses the plan
 * before anything runs.
 */
int
plan_check_dialect(const struct plan *plan, enum dialect dialect,
    char **cause)
{
	const struct revision	*rev;
	size_t			 i;

	for (i = 0; i < plan->nrevs; i++) {
		rev = plan->revs[i];
		if (revision_sql(rev, dialect, plan->up, NULL) != NULL)
			continue;
		*cause = xasprintf("%s: has no %s section for %s ('-- +%s%s%s'); "
		    "write one for this database", rev->path, plan->up ?
		    "upgrade" : "downgrade", dialect == DIALECT_SQLITE ?
		    "SQLite" : "PostgreSQL", plan->up ? "upgrade" : "downgrade",
		    dialect == DIALECT_SQLITE ? "" : " ",
		    dialect == DIALECT_SQLITE ? "" :
		    revision_dialect_name(dialect));
		return -1;
	}
	return 0;
}
