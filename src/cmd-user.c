/*
 * The "user" commands: administering the app's accounts. One exec function
 * each beside its constant entry; each needs the database at head
 * (CMD_AT_HEAD), since the users table is what the revisions make. Passwords come from prompt.c only,
 * never from an option, and are wiped before anything is reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int	cmd_user_create_exec(struct cmd *, char **);
static int	cmd_user_approve_exec(struct cmd *, char **);
static int	cmd_user_revoke_exec(struct cmd *, char **);
static int	cmd_user_list_exec(struct cmd *, char **);
static int	cmd_user_show_exec(struct cmd *, char **);
static int	cmd_user_set_role_exec(struct cmd *, char **);
static int	cmd_user_passwd_exec(struct cmd *, char **);
static int	cmd_user_delete_exec(struct cmd *, char **);
static int	cmd_user_verify_exec(struct cmd *, char **);

#define CMD_USER_PASSWORD_STDIN \
	{ .id = OPT_PASSWORD_STDIN, .name = "password-stdin", \
	  .help = "read the password from the first line of\n" \
	  "standard input instead of the terminal" }

/*
 * Every user command works on the users table the revisions make, on
 * either database, through cmd->ops->users.
 */
#define CMD_USER_READ	(CMD_REPO | CMD_DB_READ | CMD_AT_HEAD | CMD_USERS | \
			    CMD_ARGS_FIRST)
#define CMD_USER_WRITE	(CMD_REPO | CMD_DB_WRITE | CMD_AT_HEAD | CMD_USERS | \
			    CMD_ARGS_FIRST)

const struct cmd_entry cmd_user_entries[] = {
	{
		.group = "user", .name = "create",
		.summary = "create a user; the password is asked for twice",
		.options = (const struct cmd_option[]) {
			{ .id = OPT_EMAIL, .name = "email", .arg = "EMAIL",
			  .help = "the user's email",
			  .flags = CMD_OPT_REQUIRED },
			{ .id = OPT_ROLE, .name = "role", .arg = "ROLE",
			  .help = "user (the default) or admin" },
			{ .id = OPT_APPROVED, .name = "approved",
			  .help = "approve the user at once" },
			CMD_USER_PASSWORD_STDIN,
			{ .name = NULL }
		},
		.args = "NAME", .minargs = 1, .maxargs = 1,
		.flags = CMD_USER_WRITE | CMD_USERS_INSERT,
		.exec = cmd_user_create_exec
	},
	{
		.group = "user", .name = "approve",
		.summary = "approve users, so that they can log in",
		.args = "NAME...", .minargs = 1, .maxargs = -1,
		.flags = CMD_USER_WRITE,
		.exec = cmd_user_approve_exec
	},
	{
		.group = "user", .name = "revoke",
		.summary = "withdraw users' approval",
		.args = "NAME...", .minargs = 1, .maxargs = -1,
		.flags = CMD_USER_WRITE,
		.exec = cmd_user_revoke_exec
	},
	{
		.group = "user", .name = "list",
		.summary = "list users: id, username, email, role, approved",
		.options = (const struct cmd_option[]) {
			{ .id = OPT_PENDING, .name = "pending",
			  .help = "only users not approved yet" },
			{ .id = OPT_ROLE, .name = "role", .arg = "ROLE",
			  .help = "only users with this role" },
			CMD_OPTION_JSON("a JSON array instead of a table"),
			{ .id = OPT_NO_HEADER, .name = "no-header",
			  .help = "the table without its title line" },
			{ .name = NULL }
		},
		.flags = CMD_USER_READ,
		.exec = cmd_user_list_exec
	},
	{
		.group = "user", .name = "show",
		.summary = "show one user",
		.options = (const struct cmd_option[]) {
			CMD_OPTION_JSON("a JSON object instead of lines"),
			{ .name = NULL }
		},
		.args = "NAME", .minargs = 1, .maxargs = 1,
		.flags = CMD_USER_READ,
		.exec = cmd_user_show_exec
	},
	{
		.group = "user", .name = "set-role",
		.summary = "make a user a user or an admin",
		.args = "NAME ROLE", .minargs = 2, .maxargs = 2,
		.flags = CMD_USER_WRITE,
		.exec = cmd_user_set_role_exec
	},
	{
		.group = "user", .name = "passwd",
		.summary = "set a user's password; it is asked for twice",
		.options = (const struct cmd_option[]) {
			CMD_USER_PASSWORD_STDIN,
			{ .name = NULL }
		},
		.args = "NAME", .minargs = 1, .maxargs = 1,
		.flags = CMD_USER_WRITE,
		.exec = cmd_user_passwd_exec
	},
	{
		.group = "user", .name = "delete",
		.summary = "delete a user, after asking on the terminal",
		.options = (const struct cmd_option[]) {
			{ .id = OPT_YES, .name = "yes",
			  .help = "do not ask (needed without a terminal)" },
			{ .name = NULL }
		},
		.args = "NAME", .minargs = 1, .maxargs = 1,
		.flags = CMD_USER_WRITE,
		.exec = cmd_user_delete_exec
	},
	{
		.group = "user", .name = "verify",
		.summary = "check a user's password: exit 1 if it does not "
		    "match, 3 if the stored hash cannot be checked",
		.options = (const struct cmd_option[]) {
			CMD_USER_PASSWORD_STDIN,
			{ .name = NULL }
		},
		.args = "NAME", .minargs = 1, .maxargs = 1,
		.flags = CMD_USER_WRITE,
		.exec = cmd_user_verify_exec
	},
};
const size_t cmd_user_nentries =
    sizeof cmd_user_entries / sizeof cmd_user_entries[0];

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
	char			 pw[PROMPT_BUFSIZE], *prompt;
	size_t			 len;
	int			 flags = PROMPT_TWICE, ret;

	*hash = NULL;
	if (password_cost(&cost, cause) == -1)
		return -1;
	if (cmd->opt[OPT_PASSWORD_STDIN] != NULL)
		flags |= PROMPT_STDIN;
	prompt = xasprintf("New password for %s: ", name);
	ret = prompt_password(prompt, flags, pw, sizeof pw, &len, cause);
	if (ret == 0)
		ret = password_hash(pw, len, &cost, hash, cause);
	explicit_bzero(pw, sizeof pw);
	free(prompt);
	return ret;
}

static int
cmd_user_create_exec(struct cmd *cmd, char **cause)
{
	const struct cmd_userops *users = cmd->ops->users;
	struct user	 u;
	const char	*name = cmd->argv[0];
	long long	 id;
	int		 status = -1;

	memset(&u, 0, sizeof u);
	/* Borrowed from argv; only the hash is this function's to free. */
	u.username = (char *)name;
	u.email = (char *)cmd->opt[OPT_EMAIL];
	u.role = (char *)(cmd->opt[OPT_ROLE] != NULL ? cmd->opt[OPT_ROLE] :
	    "user");
	u.approved = cmd->opt[OPT_APPROVED] != NULL;
	if (user_valid_name(u.username, cause) == -1 ||
	    user_valid_email(u.email, cause) == -1 ||
	    user_valid_role(u.role, cause) == -1 ||
	    users->check_free(cmd, u.username, u.email, cause) == -1 ||
	    cmd_user_new_hash(cmd, name, &u.password_hash, cause) == -1 ||
	    users->create(cmd, &u, &id, cause) == -1)
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
	return status;
}

/*
 * Approve (1) or revoke (0) the users the command names, in one transaction:
 * all of them or, should one be unknown, none.
 */
static int
cmd_user_approval(struct cmd *cmd, int approved, char **cause)
{
	const struct cmd_userops *users = cmd->ops->users;
	char	**names, *what;
	int	 *changed, i, n = cmd->argc, status = -1;

	names = xcalloc((size_t)n, sizeof *names);
	changed = xcalloc((size_t)n, sizeof *changed);
	if (users->begin(cmd, cause) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (users->set_approved(cmd, cmd->argv[i], approved,
		    &names[i], &changed[i], cause) == -1)
			break;
	}
	if (i < n || users->commit(cmd, cause) == -1) {
		users->rollback(cmd);
		if (n > 1) {
			what = *cause;
			*cause = xasprintf("%s; no user was changed", what);
			free(what);
		}
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (approved && changed[i])
			cmd_note("approved %s", names[i]);
		else if (approved)
			cmd_note("%s is already approved", names[i]);
		else if (changed[i])
			cmd_note("revoked the approval of %s", names[i]);
		else
			cmd_note("%s is not approved; nothing to revoke",
			    names[i]);
	}
	status = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(changed);
	return status;
}

static int
cmd_user_approve_exec(struct cmd *cmd, char **cause)
{
	return cmd_user_approval(cmd, 1, cause);
}

static int
cmd_user_revoke_exec(struct cmd *cmd, char **cause)
{
	return cmd_user_approval(cmd, 0, cause);
}

/*
 * What a list writes, gathered in blocks so that stdio is called once a block
 * rather than once a cell: a million-row list spends its time reading rows.
 */
static char	cmd_user_out[1 << 16];
static size_t	cmd_user_outlen;

static void
cmd_user_flush(void)
{
	fwrite(cmd_user_out, 1, cmd_user_outlen, stdout);
	cmd_user_outlen = 0;
}

static void
cmd_user_put(const char *s, size_t n)
{
	size_t	k;

	while (n > 0) {
		if (cmd_user_outlen == sizeof cmd_user_out)
			cmd_user_flush();
		k = sizeof cmd_user_out - cmd_user_outlen;
		if (k > n)
			k = n;
		memcpy(cmd_user_out + cmd_user_outlen, s, k);
		cmd_user_outlen += k;
		s += k;
		n -= k;
	}
}

static void
cmd_user_putc(char c)
{
	if (cmd_user_outlen == sizeof cmd_user_out)
		cmd_user_flush();
	cmd_user_out[cmd_user_outlen++] = c;
}

/*
 * Put a cell of a table padded to width columns and two more, or ending the
 * line when last. What the app stored may hold anything: control characters
 * show as '?', so that no cell can move the cursor or end a line.
 */
static void
cmd_user_put_cell(const char *s, size_t width, int last)
{
	unsigned char	c;
	size_t		n = 0, pad;

	/* A byte at a time into the block: cells are short. */
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (c < 0x20 || c == 0x7f)
			c = '?';
		n += (c & 0xc0) != 0x80;
		if (cmd_user_outlen == sizeof cmd_user_out)
			cmd_user_flush();
		cmd_user_out[cmd_user_outlen++] = (char)c;
	}
	if (last) {
		cmd_user_putc('\n');
		return;
	}
	for (pad = n < width + 2 ? width + 2 - n : 0; pad > 0; pad -= n) {
		if (cmd_user_outlen == sizeof cmd_user_out)
			cmd_user_flush();
		n = sizeof cmd_user_out - cmd_user_outlen;
		if (n > pad)
			n = pad;
		memset(cmd_user_out + cmd_user_outlen, ' ', n);
		cmd_user_outlen += n;
	}
}

/* Print a cell on its own, as cmd_user_put_cell() puts it. */
static void
cmd_user_cell(const char *s, size_t width, int last)
{
	cmd_user_put_cell(s, width, last);
	cmd_user_flush();
}

/* v in decimal at the end of buf[24]; returns where it starts. */
static const char *
cmd_user_decimal(long long v, char buf[24])
{
	unsigned long long	 u = v < 0 ? 0ULL - (unsigned long long)v :
				     (unsigned long long)v;
	char			*p = buf + 23;

	*p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		*--p = '-';
	return p;
}

#define CMD_USER_NCOLUMNS 5

/* One line of the table: the cells padded to width. */
static void
cmd_user_line(const char *const cell[CMD_USER_NCOLUMNS],
    const size_t width[CMD_USER_NCOLUMNS])
{
	size_t	j;

	for (j = 0; j < CMD_USER_NCOLUMNS; j++)
		cmd_user_put_cell(cell[j], width[j], j == CMD_USER_NCOLUMNS - 1);
}

/*
 * The users l lists as a table with a title line, each column as wide as it
 * needs, or as a JSON array of objects; *rows counts them. Written as read,
 * so only one row is ever in memory.
 */
static int
cmd_user_print(const struct cmd_userops *users, struct user_list *l,
    int header, size_t *rows, char **cause)
{
	static const char	*titles[CMD_USER_NCOLUMNS] = {
		"id", "username", "email", "role", "approved"
	};
	const char		*cell[CMD_USER_NCOLUMNS];
	char			 id[24];
	size_t			 width[CMD_USER_NCOLUMNS] = { 0 }, j;
	int			 rc = 0;

	if (l->json)
		cmd_user_putc('[');
	else {
		for (j = 0; j < CMD_USER_NCOLUMNS; j++) {
			width[j] = header ? user_width(titles[j]) : 0;
			if (j < USER_LIST_NWIDTHS && l->width[j] > width[j])
				width[j] = l->width[j];
		}
		if (header)
			cmd_user_line(titles, width);
	}
	/* Stop early once nobody reads what is written; main reports it. */
	while (!ferror(stdout) && (rc = users->list_next(l, cause)) == 1) {
		if (l->json) {
			if (*rows > 0)
				cmd_user_putc(',');
			cmd_user_put(l->object, l->objectlen);
		} else {
			cell[0] = cmd_user_decimal(l->id, id);
			cell[1] = l->username;
			cell[2] = l->email;
			cell[3] = l->role;
			cell[4] = l->approved ? "yes" : "no";
			cmd_user_line(cell, width);
		}
		(*rows)++;
	}
	if (rc != -1 && l->json)
		cmd_user_put("]\n", 2);
	cmd_user_flush();
	return rc == -1 ? -1 : 0;
}

static int
cmd_user_list_exec(struct cmd *cmd, char **cause)
{
	const struct cmd_userops *users = cmd->ops->users;
	struct user_filter	 f;
	struct user_list	 l;
	size_t			 rows = 0;
	int			 ret;

	if (cmd->opt[OPT_JSON] != NULL && cmd->opt[OPT_NO_HEADER] != NULL) {
		*cause = xstrdup("--no-header is for the table, not --json");
		return 2;
	}
	f.pending = cmd->opt[OPT_PENDING] != NULL;
	f.role = cmd->opt[OPT_ROLE];
	ret = users->list_open(cmd, &f, cmd->opt[OPT_JSON] != NULL, &l, cause);
	if (ret == 0)
		ret = cmd_user_print(users, &l, cmd->opt[OPT_NO_HEADER] == NULL,
		    &rows, cause);
	users->list_close(&l);
	if (ret == -1)
		return -1;
	if (rows == 0 && cmd->opt[OPT_JSON] == NULL)
		cmd_note("no users%s", f.pending || f.role != NULL ?
		    " match" : "");
	return 0;
}

/* The user as user list --json writes each one; never the hash. */
static int
cmd_user_show_json(struct cmd *cmd, const struct user *u, char **cause)
{
	char	*o;

	if ((o = cmd->ops->users->json(cmd, u, cause)) == NULL)
		return -1;
	printf("%s\n", o);
	free(o);
	return 0;
}

static int
cmd_user_show_exec(struct cmd *cmd, char **cause)
{
	struct user	*u = NULL;
	char		 id[24];
	int		 status;

	if (cmd->ops->users->find(cmd, cmd->argv[0], &u, cause) == -1)
		return -1;
	if (cmd->opt[OPT_JSON] != NULL) {
		status = cmd_user_show_json(cmd, u, cause);
		user_free(u);
		return status;
	}
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
cmd_user_set_role_exec(struct cmd *cmd, char **cause)
{
	const char	*role = cmd->argv[1];
	char		*name = NULL;
	int		 changed;

	if (user_valid_role(role, cause) == -1 ||
	    cmd->ops->users->set_role(cmd, cmd->argv[0], role, &name,
	    &changed, cause) == -1)
		return -1;
	if (changed)
		cmd_note("%s is now %s", name, role);
	else
		cmd_note("%s is already %s", name, role);
	free(name);
	return 0;
}

static int
cmd_user_passwd_exec(struct cmd *cmd, char **cause)
{
	struct user	*u = NULL;
	char		*hash = NULL;
	int		 changed, status = -1;

	const struct cmd_userops *users = cmd->ops->users;

	if (users->find(cmd, cmd->argv[0], &u, cause) == -1 ||
	    cmd_user_new_hash(cmd, u->username, &hash, cause) == -1 ||
	    users->set_hash(cmd, u->id, NULL, hash, &changed, cause) == -1)
		goto out;
	if (!changed) {
		*cause = xasprintf("unknown user '%s'", u->username);
		goto out;
	}
	cmd_note("changed the password of %s", u->username);
	status = 0;
out:
	user_free(u);
	free(hash);
	return status;
}

static int
cmd_user_delete_exec(struct cmd *cmd, char **cause)
{
	struct user	*u = NULL;
	char		*question = NULL;
	int		 yes = cmd->opt[OPT_YES] != NULL, deleted, status = -1;

	if (cmd->ops->users->find(cmd, cmd->argv[0], &u, cause) == -1)
		goto out;
	if (!yes) {
		question = xasprintf("Delete user %s <%s>? [y/N] ", u->username,
		    u->email);
		if (prompt_confirm(question, &yes, cause) == -1)
			goto out;
		if (!yes) {
			*cause = xasprintf("not confirmed; %s is kept",
			    u->username);
			goto out;
		}
	}
	if (cmd->ops->users->delete(cmd, u->id, &deleted, cause) == -1)
		goto out;
	if (!deleted) {
		*cause = xasprintf("unknown user '%s'", u->username);
		goto out;
	}
	cmd_note("deleted user %s", u->username);
	status = 0;
out:
	user_free(u);
	free(question);
	return status;
}

/*
 * Check a password; a stored hash that cannot be read is refused before the
 * password is asked for, exit status 3: whether the password is right cannot
 * be told, which is not the same answer as "no". On a match, a hash weaker
 * than the current cost (password_needs_rehash) is replaced by a fresh one,
 * unless the password changed meanwhile; failing to store it is a warning,
 * not a failed check.
 */
static int
cmd_user_verify_exec(struct cmd *cmd, char **cause)
{
	struct password_cost	 cost;
	struct password_params	 pp;
	struct user		*u = NULL;
	char			 pw[PROMPT_CHECK_BUFSIZE];
	char			*prompt = NULL, *hash = NULL, *why = NULL;
	const char		*scheme;
	size_t			 len = 0;
	int			 flags = PROMPT_CHECK, match = 0, rehash = 0;
	int			 changed, status = -1;

	if (password_cost(&cost, cause) == -1 ||
	    cmd->ops->users->find(cmd, cmd->argv[0], &u, cause) == -1)
		goto out;
	if (password_params(u->password_hash, &pp, &why) == -1) {
		if ((scheme = password_scheme(u->password_hash)) != NULL)
			*cause = xasprintf("the stored hash of '%s' is not "
			    "Argon2 (looks like %s); cannot verify",
			    u->username, scheme);
		else
			*cause = xasprintf("the stored hash of '%s' cannot be "
			    "checked: %s", u->username, why);
		free(why);
		status = 3;
		goto out;
	}
	if (cmd->opt[OPT_PASSWORD_STDIN] != NULL)
		flags |= PROMPT_STDIN;
	prompt = xasprintf("Password for %s: ", u->username);
	if (prompt_password(prompt, flags, pw, sizeof pw, &len, cause) == -1 ||
	    password_verify(u->password_hash, pw, len, &match, cause) == -1)
		goto out;
	if (!match) {
		*cause = xasprintf("password does not match for '%s'",
		    u->username);
		goto out;
	}
	if (password_needs_rehash(u->password_hash, &cost)) {
		rehash = password_hash(pw, len, &cost, &hash, cause) == 0;
		explicit_bzero(pw, sizeof pw);
		if (rehash)
			rehash = cmd->ops->users->set_hash(cmd, u->id,
			    u->password_hash, hash, &changed, cause) == 0 &&
			    changed;
		if (*cause != NULL) {
			cmd_warn("the password matches, but a "
			    "stronger hash could not be stored: %s", *cause);
			free(*cause);
			*cause = NULL;
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
	return status;
}
