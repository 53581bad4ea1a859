/*
 * revision-file DIR ID PARENTS SLUG MESSAGE UP DOWN: write DIR/ID_SLUG.sql
 * with exodb's own formatter (revision_format), for the end-to-end tests and
 * the benchmark, so that a change of the file format is made in one place.
 * PARENTS is "none" or ids separated by spaces. An existing file is replaced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exodb.h"

int
main(int argc, char **argv)
{
	struct revision	 r;
	char		*list, *word, *path, *text;
	FILE		*f;

	if (argc != 8) {
		fprintf(stderr, "usage: revision-file DIR ID PARENTS SLUG "
		    "MESSAGE UP DOWN\n");
		return 2;
	}
	memset(&r, 0, sizeof r);
	r.id = argv[2];
	r.message = argv[5];
	r.created = (char *)"2026-01-01T00:00:00Z";
	r.upgrade = argv[6];
	r.downgrade = argv[7];
	list = xstrdup(argv[3]);
	r.parents = xcalloc(strlen(list) / 2 + 1, sizeof *r.parents);
	for (word = strtok(list, " "); word != NULL; word = strtok(NULL, " ")) {
		if (strcmp(word, "none") != 0)
			r.parents[r.nparents++] = word;
	}
	text = revision_format(&r);
	path = xasprintf("%s/%s_%s.sql", argv[1], argv[2], argv[4]);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) == EOF) {
		perror(path);
		return 1;
	}
	free(path);
	free(text);
	free(r.parents);
	free(list);
	return 0;
}
