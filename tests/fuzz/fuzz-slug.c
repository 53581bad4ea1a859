/* The slugifier: whatever the message, the slug matches ^[a-z0-9_]{1,40}$,
 * neither leads nor ends with '_' and has no "__". */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*msg, *slug;
	size_t	 i, n;

	msg = fuzz_string(data, size);
	slug = revision_slug(msg);
	n = strlen(slug);
	FUZZ_ASSERT(n >= 1 && n <= 40, "length %zu", n);
	for (i = 0; i < n; i++)
		FUZZ_ASSERT((slug[i] >= 'a' && slug[i] <= 'z') ||
		    (slug[i] >= '0' && slug[i] <= '9') || slug[i] == '_',
		    "byte %d in '%s'", slug[i], slug);
	FUZZ_ASSERT(slug[0] != '_' && slug[n - 1] != '_', "'%s'", slug);
	FUZZ_ASSERT(strstr(slug, "__") == NULL, "'%s'", slug);
	free(slug);
	free(msg);
	return 0;
}
