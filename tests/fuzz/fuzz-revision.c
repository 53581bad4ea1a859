/*
 * The revision-file parser: any bytes parse or are refused with a cause.
 * A file that parses is written again by revision_format() from what was
 * parsed, and that text parses to the same id, parents and sections (but
 * for the blank lines around a section, which the writer sets); written
 * once more, it is the same text (the format is a fixed point).
 */
#include <ctype.h>

#include "fuzz.h"

/* Whether a and b are equal but for leading and trailing white space. */
static int
same_trimmed(const char *a, const char *b)
{
	size_t	na, nb;

	while (isspace((unsigned char)*a))
		a++;
	while (isspace((unsigned char)*b))
		b++;
	na = strlen(a);
	nb = strlen(b);
	while (na > 0 && isspace((unsigned char)a[na - 1]))
		na--;
	while (nb > 0 && isspace((unsigned char)b[nb - 1]))
		nb--;
	return na == nb && memcmp(a, b, na) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct revision		*rev = NULL, *again = NULL;
	char			 file[64];
	char			*text, *text2, *cause = NULL;
	size_t			 i;

	if (revision_parse("fuzz.sql", "20260101000000_fuzz.sql",
	    (const char *)data, size, &rev, &cause) == -1) {
		FUZZ_ASSERT(cause != NULL && *cause != '\0', "no cause");
		free(cause);
		return 0;
	}
	text = revision_format(rev);
	snprintf(file, sizeof file, "%s_fuzz.sql", rev->id);
	FUZZ_ASSERT(revision_parse("again.sql", file, text, strlen(text),
	    &again, &cause) == 0, "written text does not parse: %s\n%s",
	    cause, text);
	FUZZ_ASSERT(strcmp(rev->id, again->id) == 0, "id");
	FUZZ_ASSERT(rev->nparents == again->nparents, "parents");
	for (i = 0; i < rev->nparents; i++)
		FUZZ_ASSERT(strcmp(rev->parents[i], again->parents[i]) == 0,
		    "parent %zu", i);
	FUZZ_ASSERT(same_trimmed(rev->upgrade, again->upgrade),
	    "upgrade '%s' became '%s'", rev->upgrade, again->upgrade);
	FUZZ_ASSERT(same_trimmed(rev->downgrade, again->downgrade),
	    "downgrade '%s' became '%s'", rev->downgrade, again->downgrade);
	text2 = revision_format(again);
	FUZZ_ASSERT(strcmp(text, text2) == 0, "written twice, the text "
	    "changed:\n%s\n---\n%s", text, text2);
	free(text2);
	free(text);
	revision_free(again);
	revision_free(rev);
	return 0;
}
