/*
 * The command-line parser (cmd.c's cmd_parse and cmd_getopt, over every
 * command's option table). The input is a command line, its words split at
 * NUL bytes: "db\0migrate\0-m\0x". When the first two words do not name a
 * command, the first byte picks one and every word is its argument.
 *
 * Parsing returns 0, 1 (--help) or -1; -1 comes with one line on stderr,
 * "exodb: GROUP NAME: why", and the others with nothing. Once parsed, the
 * operands are within the command's bounds, every required option has a
 * value, a value that must not be blank is not, and every value is the
 * flag's name or text of the words (never memory of its own).
 */
#include "cmd.h"
#include "fuzz.h"

#define FUZZ_MAXWORDS	64

/* Whether p points into one of the n words. */
static int
fuzz_in_words(const char *p, char **words, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		if (p >= words[i] && p <= words[i] + strlen(words[i]))
			return 1;
	}
	return 0;
}

static const struct cmd_entry *
fuzz_entry(const char *group, const char *name)
{
	size_t	i;

	for (i = 0; i < cmd_db_nentries; i++) {
		if (strcmp(group, "db") == 0 &&
		    strcmp(cmd_db_entries[i].name, name) == 0)
			return &cmd_db_entries[i];
	}
	for (i = 0; i < cmd_user_nentries; i++) {
		if (strcmp(group, "user") == 0 &&
		    strcmp(cmd_user_entries[i].name, name) == 0)
			return &cmd_user_entries[i];
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cmd_entry	*e;
	const struct cmd_option	*o;
	struct cmd		 cmd;
	char			*text, *words[FUZZ_MAXWORDS + 1], *argv[
				    FUZZ_MAXWORDS + 2], *err = NULL, *prefix;
	FILE			*saved;
	size_t			 errlen = 0, i, off, pick;
	int			 nwords = 0, argc = 0, ret, j;

	if (size == 0)
		return 0;
	/* The words, each a NUL-terminated piece of one copy of the input. */
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	for (off = 0; off <= size && nwords < FUZZ_MAXWORDS; nwords++) {
		words[nwords] = text + off;
		off += strlen(text + off) + 1;
	}
	words[nwords] = NULL;
	e = nwords >= 2 ? fuzz_entry(words[0], words[1]) : NULL;
	if (e != NULL) {
		for (j = 1; j < nwords; j++)
			argv[argc++] = words[j];
	} else {
		pick = (unsigned char)data[0] % (cmd_db_nentries +
		    cmd_user_nentries);
		e = pick < cmd_db_nentries ? &cmd_db_entries[pick] :
		    &cmd_user_entries[pick - cmd_db_nentries];
		argv[argc++] = (char *)e->name;
		for (j = 0; j < nwords; j++)
			argv[argc++] = words[j];
	}
	argv[argc] = NULL;

	memset(&cmd, 0, sizeof cmd);
	cmd.entry = e;
	saved = stderr;
	if ((stderr = open_memstream(&err, &errlen)) == NULL)
		abort();
	ret = cmd_parse(&cmd, NULL, argc, argv);
	fclose(stderr);
	stderr = saved;

	FUZZ_ASSERT(ret == 0 || ret == 1 || ret == -1, "returned %d", ret);
	if (ret == -1) {
		prefix = xasprintf("exodb: %s %s: ", e->group, e->name);
		FUZZ_ASSERT(strncmp(err, prefix, strlen(prefix)) == 0,
		    "not '%s...': %s", prefix, err);
		FUZZ_ASSERT(errlen > 0 && memchr(err, '\n', errlen) ==
		    err + errlen - 1, "not one line: %s", err);
		free(prefix);
	} else
		FUZZ_ASSERT(errlen == 0, "%d with a message: %s", ret, err);
	if (ret == 0) {
		FUZZ_ASSERT(cmd.argc >= e->minargs && (e->maxargs < 0 ||
		    cmd.argc <= e->maxargs), "%s %s: %d operands", e->group,
		    e->name, cmd.argc);
		for (j = 0; j < cmd.argc; j++)
			FUZZ_ASSERT(fuzz_in_words(cmd.argv[j], words, nwords),
			    "operand %d is not a word", j);
		for (i = 0; e->options != NULL && e->options[i].name != NULL;
		    i++) {
			o = &e->options[i];
			if (cmd.opt[o->id] == NULL) {
				FUZZ_ASSERT(!(o->flags & CMD_OPT_REQUIRED),
				    "--%s is required", o->name);
				continue;
			}
			if (o->arg == NULL) {
				FUZZ_ASSERT(strcmp(cmd.opt[o->id], o->name) ==
				    0, "flag --%s is '%s'", o->name,
				    cmd.opt[o->id]);
				continue;
			}
			FUZZ_ASSERT(fuzz_in_words(cmd.opt[o->id], words,
			    nwords), "--%s's value is not a word's", o->name);
			FUZZ_ASSERT(!(o->flags & CMD_OPT_NOT_BLANK) ||
			    cmd.opt[o->id][strspn(cmd.opt[o->id],
			    " \t\r\n\v\f")] != '\0', "--%s is blank", o->name);
		}
	}
	free(err);
	free(text);
	return 0;
}
