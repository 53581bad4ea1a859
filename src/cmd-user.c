/*
 * The "user" commands: administering the app's accounts. One exec function
 * each beside its constant entry; each needs the database at head, since the
 * users table is what the revisions make. Passwords come from prompt.c only,
 * never from an option, and are wiped before anything is reported.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exodb.h"

static int	cmd_user_create_exec(struct cmd *);
static int	cmd_user_approve_exec(struct cmd *);
static int	cmd_user_revoke_exec(struct cmd *);
static int	cmd_user_list_exec(struct cmd *);
static int	cmd_user_show_exec(struct cmd *);
static int	cmd_user_set_role_exec(struct cmd *);
static int	cmd_user_passwd_exec(struct cmd *);
static int	cmd_user_delete_exec(struct cmd *);
static int	cmd_user_verify_exec(struct cmd *);

static const struct option cmd_user_create_options[] = {
	{ "email", required_argument, NULL, 'e' },
	{ "role", required_argument, NULL, 'r' },
	{ "approved", no_argument, NULL, 'a' },
	{ "password-stdin", no_argument, NULL, 'P' },
	{ NULL, 0, NULL, 0 }
};

static const struct option cmd_user_list_options[] = {
	{ "pending", no_argument, NULL, 'p' },
	{ "role", required_argument, NULL, 'r' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 }
};

static const struct option cmd_user_password_options[] = {
	{ "password-stdin", no_argument, NULL, 'P' },
	{ NULL, 0, NULL, 0 }
};

static const struct option cmd_user_delete_options[] = {
	{ "yes", no_argument, NULL, 'y' },
	{ NULL, 0, NULL, 0 }
};

#define PASSWORD_STDIN_HELP \
	"      --password-stdin       read the password from the first line of\n" \
	"                             standard input instead of the terminal\n"

const struct cmd_entry cmd_user_entries[] = {
	{ "user", "create",
	  "NAME --email EMAIL [--role ROLE] [--approved] [--password-stdin]",
	  "create a user; the password is asked for twice",
	  "", cmd_user_create_options,
	  "      --email EMAIL          the user's email (required)\n"
	  "      --role ROLE            user (the default) or admin\n"
	  "      --approved             approve the user at once\n"
	  PASSWORD_STDIN_HELP,
	  1, 1, CMD_REPO | CMD_DB_WRITE, cmd_user_create_exec },
	{ "user", "approve", "NAME",
	  "approve a user, so that they can log in",
	  "", NULL, NULL, 1, 1, CMD_REPO | CMD_DB_WRITE, cmd_user_approve_exec },
	{ "user", "revoke", "NAME",
	  "withdraw a user's approval",
	  "", NULL, NULL, 1, 1, CMD_REPO | CMD_DB_WRITE, cmd_user_revoke_exec },
	{ "user", "list", "[--pending] [--role ROLE] [--json]",
	  "list users: id, username, email, role, approved",
	  "", cmd_user_list_options,
	  "      --pending              only users not approved yet\n"
	  "      --role ROLE            only users with this role\n"
	  "      --json                 a JSON array instead of a table\n",
	  0, 0, CMD_REPO | CMD_DB_READ, cmd_user_list_exec },
	{ "user", "show", "NAME",
	  "show one user",
	  "", NULL, NULL, 1, 1, CMD_REPO | CMD_DB_READ, cmd_user_show_exec },
	{ "user", "set-role", "NAME ROLE",
	  "make a user a user or an admin",
	  "", NULL, NULL, 2, 2, CMD_REPO | CMD_DB_WRITE,
	  cmd_user_set_role_exec },
	{ "user", "passwd", "NAME [--password-stdin]",
	  "set a user's password; it is asked for twice",
	  "", cmd_user_password_options, PASSWORD_STDIN_HELP,
	  1, 1, CMD_REPO | CMD_DB_WRITE, cmd_user_passwd_exec },
	{ "user", "delete", "NAME [--yes]",
	  "delete a user, after asking on the terminal",
	  "", cmd_user_delete_options,
	  "      --yes                  do not ask (needed without a terminal)\n",
	  1, 1, CMD_REPO | CMD_DB_WRITE, cmd_user_delete_exec },
	{ "user", "verify", "NAME [--password-stdin]",
	  "check a user's password; exit 1 if it does not match",
	  "", cmd_user_password_options, PASSWORD_STDIN_HELP,
	  1, 1, CMD_REPO | CMD_DB_WRITE, cmd_user_verify_exec },
};
const size_t cmd_user_nentries =
    sizeof cmd_user_entries / sizeof cmd_user_entries[0];

/*
 * Report a failure, "exodb: user COMMAND: cause", free the cause and return
 * exit status 1.
 */
static int
cmd_user_fail(struct cmd *cmd, char *cause)
{
	cmd_error("%s %s: %s", cmd->entry->group, cmd->entry->name, cause);
	free(cause);
	/* A write that failed may have left a journal: roll it back now. */
	db_rollback(cmd->db);
	return 1;
}

/*
 * Read a new password (twice on the terminal, once with --password-stdin)
 * and hash it at the current cost; the caller frees *hash. The password is
 * wiped before this returns.
 */
static int
cmd_user_new_hash(struct cmd *cmd, const char *name, char **hash,
    char **cause)
{
	struct password_cost	 cost;
	char			 pw[PASSWORD_MAX + 1], *prompt;
	size_t			 len;
	int			 flags = PROMPT_TWICE, ret;

	*hash = NULL;
	if (password_cost(&cost, cause) == -1)
		return -1;
	if (cmd->opt['P'] != NULL)
		flags = PROMPT_STDIN;
	prompt = xasprintf("New password for %s: ", name);
	ret = prompt_password(prompt, flags, pw, sizeof pw, &len, cause);
	if (ret == 0)
		ret = password_hash(pw, len, &cost, hash, cause);
	explicit_bzero(pw, sizeof pw);
	free(prompt);
	return ret;
}

static int
cmd_user_create_exec(struct cmd *cmd)
{
	struct user	 u;
	const char	*name = cmd->argv[0];
	char		*cause = NULL;
	long long	 id;
	int		 status = 1;

	memset(&u, 0, sizeof u);
	if (cmd->opt['e'] == NULL) {
		cmd_error("user create: an email is required: --email EMAIL");
		return 2;
	}
	/* Borrowed from argv; only the hash is this function's to free. */
	u.username = (char *)name;
	u.email = (char *)cmd->opt['e'];
	u.role = (char *)(cmd->opt['r'] != NULL ? cmd->opt['r'] : "user");
	u.approved = cmd->opt['a'] != NULL;
	if (user_valid_name(u.username, &cause) == -1 ||
	    user_valid_email(u.email, &cause) == -1 ||
	    user_valid_role(u.role, &cause) == -1 ||
	    cmd_require_head(cmd, &cause) == -1 ||
	    user_check_free(cmd->db, u.username, u.email, &cause) == -1 ||
	    cmd_user_new_hash(cmd, name, &u.password_hash, &cause) == -1 ||
	    user_create(cmd->db, &u, &id, &cause) == -1)
		goto out;
	printf("%lld\n", id);
	if (u.approved)
		cmd_note("created user %s (%s), approved", name, u.role);
	else
		cmd_note("created user %s (%s); approve with 'exodb user "
		    "approve %s'", name, u.role, name);
	status = 0;
out:
	free(u.password_hash);
	if (cause != NULL)
		status = cmd_user_fail(cmd, cause);
	return status;
}

/* Approve (1) or revoke (0) the user the command names. */
static int
cmd_user_approval(struct cmd *cmd, int approved)
{
	char	*cause = NULL, *name = NULL;
	int	 changed;

	if (cmd_require_head(cmd, &cause) == -1 ||
	    user_set_approved(cmd->db, cmd->argv[0], approved, &name, &changed,
	    &cause) == -1)
		return cmd_user_fail(cmd, cause);
	if (approved && changed)
		cmd_note("approved %s", name);
	else if (approved)
		cmd_note("%s is already approved", name);
	else if (changed)
		cmd_note("revoked the approval of %s", name);
	else
		cmd_note("%s is not approved; nothing to revoke", name);
	free(name);
	return 0;
}

static int
cmd_user_approve_exec(struct cmd *cmd)
{
	return cmd_user_approval(cmd, 1);
}

static int
cmd_user_revoke_exec(struct cmd *cmd)
{
	return cmd_user_approval(cmd, 0);
}

/* How many columns s takes on a terminal: one per code point. */
static size_t
cmd_user_width(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

/*
 * Print a cell of a table padded to width. What the app stored may hold
 * anything: control characters show as '?', so that no cell can move the
 * cursor or end a line.
 */
static void
cmd_user_cell(const char *s, size_t width, int last)
{
	size_t	n = cmd_user_width(s);

	for (; *s != '\0'; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
	if (last) {
		putchar('\n');
		return;
	}
	for (; n < width + 2; n++)
		putchar(' ');
}

#define CMD_USER_NCOLUMNS 5

/* The cells of a row of the table: u, or the titles when u is NULL. */
static void
cmd_user_row(const struct user *u, char *id, size_t idsize,
    const char *cell[CMD_USER_NCOLUMNS])
{
	static const char	*titles[CMD_USER_NCOLUMNS] = {
		"id", "username", "email", "role", "approved"
	};
	size_t			 j;

	if (u == NULL) {
		for (j = 0; j < CMD_USER_NCOLUMNS; j++)
			cell[j] = titles[j];
		return;
	}
	snprintf(id, idsize, "%lld", u->id);
	cell[0] = id;
	cell[1] = u->username;
	cell[2] = u->email;
	cell[3] = u->role;
	cell[4] = u->approved ? "yes" : "no";
}

/* The users as a table with a title line, each column as wide as it needs. */
static void
cmd_user_table(const struct user *users, size_t n)
{
	const char	*cell[CMD_USER_NCOLUMNS];
	char		 id[24];
	size_t		 width[CMD_USER_NCOLUMNS] = { 0 }, i, j, w;

	for (i = 0; i <= n; i++) {
		cmd_user_row(i == 0 ? NULL : &users[i - 1], id, sizeof id, cell);
		for (j = 0; j < CMD_USER_NCOLUMNS; j++) {
			if ((w = cmd_user_width(cell[j])) > width[j])
				width[j] = w;
		}
	}
	for (i = 0; i <= n; i++) {
		cmd_user_row(i == 0 ? NULL : &users[i - 1], id, sizeof id, cell);
		for (j = 0; j < CMD_USER_NCOLUMNS; j++)
			cmd_user_cell(cell[j], width[j],
			    j == CMD_USER_NCOLUMNS - 1);
	}
}

static int
cmd_user_list_exec(struct cmd *cmd)
{
	struct user_filter	 f;
	struct user		*users = NULL;
	char			*cause = NULL, *json = NULL;
	size_t			 n = 0;

	f.pending = cmd->opt['p'] != NULL;
	f.role = cmd->opt['r'];
	if (cmd_require_head(cmd, &cause) == -1)
		return cmd_user_fail(cmd, cause);
	if (cmd->opt['j'] != NULL) {
		if (user_list_json(cmd->db, &f, &json, &cause) == -1)
			return cmd_user_fail(cmd, cause);
		printf("%s\n", json);
		free(json);
		return 0;
	}
	if (user_list(cmd->db, &f, &users, &n, &cause) == -1)
		return cmd_user_fail(cmd, cause);
	cmd_user_table(users, n);
	if (n == 0)
		cmd_note("no users%s", f.pending || f.role != NULL ?
		    " match" : "");
	user_list_free(users, n);
	return 0;
}

static int
cmd_user_show_exec(struct cmd *cmd)
{
	struct user	*u = NULL;
	char		*cause = NULL, id[24];

	if (cmd_require_head(cmd, &cause) == -1 ||
	    user_find(cmd->db, cmd->argv[0], &u, &cause) == -1)
		return cmd_user_fail(cmd, cause);
	snprintf(id, sizeof id, "%lld", u->id);
	fputs("id:        ", stdout);
	cmd_user_cell(id, 0, 1);
	fputs("username:  ", stdout);
	cmd_user_cell(u->username, 0, 1);
	fputs("email:     ", stdout);
	cmd_user_cell(u->email, 0, 1);
	fputs("role:      ", stdout);
	cmd_user_cell(u->role, 0, 1);
	fputs("approved:  ", stdout);
	cmd_user_cell(u->approved ? "yes" : "no", 0, 1);
	user_free(u);
	return 0;
}

static int
cmd_user_set_role_exec(struct cmd *cmd)
{
	const char	*role = cmd->argv[1];
	char		*cause = NULL, *name = NULL;
	int		 changed;

	if (user_valid_role(role, &cause) == -1 ||
	    cmd_require_head(cmd, &cause) == -1 ||
	    user_set_role(cmd->db, cmd->argv[0], role, &name, &changed,
	    &cause) == -1)
		return cmd_user_fail(cmd, cause);
	if (changed)
		cmd_note("%s is now %s", name, role);
	else
		cmd_note("%s is already %s", name, role);
	free(name);
	return 0;
}

static int
cmd_user_passwd_exec(struct cmd *cmd)
{
	struct user	*u = NULL;
	char		*cause = NULL, *hash = NULL;
	int		 changed, status = 1;

	if (cmd_require_head(cmd, &cause) == -1 ||
	    user_find(cmd->db, cmd->argv[0], &u, &cause) == -1 ||
	    cmd_user_new_hash(cmd, u->username, &hash, &cause) == -1 ||
	    user_set_hash(cmd->db, u->id, NULL, hash, &changed, &cause) == -1)
		goto out;
	if (!changed) {
		cause = xasprintf("unknown user '%s'", u->username);
		goto out;
	}
	cmd_note("changed the password of %s", u->username);
	status = 0;
out:
	user_free(u);
	free(hash);
	if (cause != NULL)
		status = cmd_user_fail(cmd, cause);
	return status;
}

static int
cmd_user_delete_exec(struct cmd *cmd)
{
	struct user	*u = NULL;
	char		*cause = NULL, *question = NULL;
	int		 yes = cmd->opt['y'] != NULL, deleted, status = 1;

	if (cmd_require_head(cmd, &cause) == -1 ||
	    user_find(cmd->db, cmd->argv[0], &u, &cause) == -1)
		goto out;
	if (!yes) {
		question = xasprintf("Delete user %s <%s>? [y/N] ", u->username,
		    u->email);
		if (prompt_confirm(question, &yes, &cause) == -1)
			goto out;
		if (!yes) {
			cause = xasprintf("not confirmed; %s is kept",
			    u->username);
			goto out;
		}
	}
	if (user_delete(cmd->db, u->id, &deleted, &cause) == -1)
		goto out;
	if (!deleted) {
		cause = xasprintf("unknown user '%s'", u->username);
		goto out;
	}
	cmd_note("deleted user %s", u->username);
	status = 0;
out:
	user_free(u);
	free(question);
	if (cause != NULL)
		status = cmd_user_fail(cmd, cause);
	return status;
}

/*
 * Check a password; a stored hash that cannot be read is refused before the
 * password is asked for. On a match, a hash made with weaker parameters than
 * the current cost is replaced by a fresh one, unless the password changed
 * meanwhile; failing to store it is a warning, not a failed check.
 */
static int
cmd_user_verify_exec(struct cmd *cmd)
{
	struct password_cost	 cost;
	struct password_params	 pp;
	struct user		*u = NULL;
	char			 pw[PASSWORD_MAX + 1];
	char			*cause = NULL, *prompt = NULL, *hash = NULL;
	size_t			 len = 0;
	int			 match = 0, rehash = 0, changed, status = 1;

	if (password_cost(&cost, &cause) == -1 ||
	    cmd_require_head(cmd, &cause) == -1 ||
	    user_find(cmd->db, cmd->argv[0], &u, &cause) == -1 ||
	    password_params(u->password_hash, &pp, &cause) == -1)
		goto out;
	prompt = xasprintf("Password for %s: ", u->username);
	if (prompt_password(prompt, cmd->opt['P'] != NULL ? PROMPT_STDIN : 0,
	    pw, sizeof pw, &len, &cause) == -1 ||
	    password_verify(u->password_hash, pw, len, &match, &cause) == -1)
		goto out;
	if (!match) {
		cause = xasprintf("password does not match for '%s'",
		    u->username);
		goto out;
	}
	if (password_needs_rehash(u->password_hash, &cost)) {
		rehash = password_hash(pw, len, &cost, &hash, &cause) == 0;
		explicit_bzero(pw, sizeof pw);
		if (rehash)
			rehash = user_set_hash(cmd->db, u->id, u->password_hash,
			    hash, &changed, &cause) == 0 && changed;
		if (cause != NULL) {
			cmd_note("warning: the password matches, but a "
			    "stronger hash could not be stored: %s", cause);
			free(cause);
			cause = NULL;
		}
	}
	if (rehash)
		cmd_note("password matches; rehashed with m=%u,t=%u,p=%u",
		    cost.m, cost.t, cost.p);
	else
		cmd_note("password matches");
	status = 0;
out:
	explicit_bzero(pw, sizeof pw);
	user_free(u);
	free(prompt);
	free(hash);
	if (cause != NULL)
		status = cmd_user_fail(cmd, cause);
	return status;
}
