/*
 * pq.c: libpq, opened with dlopen() the first time a command reaches
 * PostgreSQL (see pq.h for why it is not linked in).
 */
#define PQ_IMPLEMENTATION
#include "pq.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "exodb.h"

/* The soname of Debian's libpq5, which libpq-dev's headers describe. */
#define PQ_LIBRARY	"libpq.so.5"

/* A unit test points this at a library that is missing, or is not libpq. */
const char			*pq_library = PQ_LIBRARY;
static struct pq_functions	functions;
static int			loaded;

int
pq_load(char **cause)
{
	void	*lib;

	if (loaded)
		return 0;
	if ((lib = dlopen(pq_library, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		*cause = xasprintf("cannot load libpq (%s): %s; "
		    "scripts/install-deps installs it", pq_library, dlerror());
		return -1;
	}
#define PQ_RESOLVE(f) \
	if ((*(void **)&functions.f = dlsym(lib, #f)) == NULL) { \
		*cause = xasprintf("%s has no %s: %s", pq_library, #f, \
		    dlerror()); \
		dlclose(lib); \
		return -1; \
	}
	PQ_FUNCTIONS(PQ_RESOLVE)
#undef PQ_RESOLVE
	loaded = 1;
	return 0;
}

const struct pq_functions *
pq(void)
{
	char	*cause = NULL;

	if (!loaded && pq_load(&cause) == -1) {
		/* As xmalloc does: nothing below can go on without it. */
		fprintf(stderr, "exodb: %s\n", cause);
		exit(1);
	}
	return &functions;
}
