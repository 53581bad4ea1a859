/*
 * The migration repository: a folder holding versions/, whose revision files
 * form a graph through their "revises" lines, as Alembic's do. Loading checks
 * the whole graph (duplicate ids, unknown parents, cycles) before any command
 * acts on it, and orders it so that every revision comes after its parents.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exodb.h"

static const char repo_readme[] =
"This is exodb's migration repository, made by 'exodb db init'.\n"
"\n"
"versions/   one SQL file per revision, <id>_<slug>.sql, where the id is the\n"
"            UTC time the revision was made (YYYYMMDDHHMMSS). Each file has a\n"
"            header ('-- revises:' names its parents), an '-- +upgrade'\n"
"            section and a '-- +downgrade' section.\n"
"\n"
"'exodb db migrate -m MESSAGE' writes a revision from the difference between\n"
"the compiled-in model and the database; 'exodb db upgrade' applies pending\n"
"revisions, each in its own transaction. Commit this folder with the code.\n"
"Once a revision is applied, do not edit it: exodb keeps its checksum.\n";

/*
 * Create the repository at dir: the folder (if missing), versions/ and a
 * README. A folder that exists and is not empty is refused; on failure what
 * was made is removed.
 */
int
repo_init(const char *dir, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	char		*versions = NULL, *readme = NULL;
	struct stat	 sb;
	int		 made_dir = 0, made_versions = 0, fd = -1, ret = -1;
	size_t		 len = sizeof repo_readme - 1;

	if (lstat(dir, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		*cause = xasprintf("%s: is a symbolic link; the migration "
		    "repository must be a plain folder", dir);
		return -1;
	}
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				break;
		}
		closedir(d);
		if (de != NULL) {
			*cause = xasprintf("%s: folder exists and is not empty",
			    dir);
			return -1;
		}
	} else if (errno != ENOENT) {
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		return -1;
	} else if (mkdir(dir, 0700) == -1) {
		*cause = xasprintf("%s: cannot create folder: %s", dir,
		    strerror(errno));
		return -1;
	} else
		made_dir = 1;
	versions = xasprintf("%s/versions", dir);
	if (mkdir(versions, 0700) == -1) {
		*cause = xasprintf("%s: cannot create folder: %s", versions,
		    strerror(errno));
		goto out;
	}
	made_versions = 1;
	readme = xasprintf("%s/README", dir);
	fd = open(readme, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1 || write(fd, repo_readme, len) != (ssize_t)len ||
	    fsync(fd) == -1) {
		*cause = xasprintf("%s: cannot write: %s", readme,
		    strerror(errno));
		if (fd != -1)
			unlink(readme);
		goto out;
	}
	ret = 0;
out:
	if (fd != -1)
		close(fd);
	if (ret == -1 && made_versions)
		rmdir(versions);
	if (ret == -1 && made_dir)
		rmdir(dir);
	free(versions);
	free(readme);
	return ret;
}

void
repo_free(struct repo *repo)
{
	size_t	i;

	if (repo == NULL)
		return;
	for (i = 0; i < repo->nrevs; i++)
		revision_free(repo->revs[i]);
	free(repo->revs);
	free(repo->heads);
	free(repo->dir);
	free(repo->versions);
	free(repo);
}

/* Read a file below the versions folder, refusing links. */
static int
repo_read(int dirfd, const char *name, const char *path, char **text,
    size_t *len, char **cause)
{
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		*cause = xasprintf("%s: %s", path, errno == ELOOP ?
		    "is a symbolic link; revisions must be plain files" :
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		*cause = xasprintf("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (got < (size_t)sb.st_size &&
	    (n = read(fd, buf + got, (size_t)sb.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got != (size_t)sb.st_size) {
		*cause = xasprintf("%s: short read", path);
		free(buf);
		return -1;
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	return 0;
}

static int
repo_compare_ids(const void *a, const void *b)
{
	const struct revision	*ra = *(struct revision *const *)a;
	const struct revision	*rb = *(struct revision *const *)b;

	int			 c;

	/* By file name within an id, so that messages are the same each run. */
	if ((c = strcmp(ra->id, rb->id)) != 0)
		return c;
	return strcmp(ra->file, rb->file);
}

/* Exact id lookup while revs is still sorted by id, during repo_load(). */
static struct revision *
repo_bsearch(struct revision **revs, size_t n, const char *id)
{
	size_t	lo = 0, hi = n, mid;
	int	c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(id, revs[mid]->id)) == 0)
			return revs[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * Link each revision to its parents, then order the graph: Kahn's algorithm,
 * taking the lowest id among the ready revisions, so that a linear history is
 * in id order. What is left unordered lies on a cycle.
 */
static int
repo_graph(struct repo *repo, char **cause)
{
	struct revision	**sorted, *r;
	size_t		  i, j, k, n = repo->nrevs, nsorted = 0;
	size_t		 *waiting;
	int		 *done;

	for (i = 0; i < n; i++) {
		r = repo->revs[i];
		r->parent_revs = xcalloc(r->nparents, sizeof *r->parent_revs);
		for (j = 0; j < r->nparents; j++) {
			r->parent_revs[j] = repo_bsearch(repo->revs, n,
			    r->parents[j]);
			if (r->parent_revs[j] == NULL) {
				*cause = xasprintf("%s: revises unknown revision "
				    "%s", r->path, r->parents[j]);
				return -1;
			}
		}
	}
	sorted = xcalloc(n, sizeof *sorted);
	waiting = xcalloc(n, sizeof *waiting);
	done = xcalloc(n, sizeof *done);
	for (i = 0; i < n; i++)
		waiting[i] = repo->revs[i]->nparents;
	while (nsorted < n) {
		/* revs is sorted by id: the first ready one is the lowest. */
		for (i = 0; i < n; i++) {
			if (!done[i] && waiting[i] == 0)
				break;
		}
		if (i == n)
			break;
		done[i] = 1;
		r = repo->revs[i];
		r->order = nsorted;
		sorted[nsorted++] = r;
		for (j = 0; j < n; j++) {
			for (k = 0; k < repo->revs[j]->nparents; k++) {
				if (repo->revs[j]->parent_revs[k] == r)
					waiting[j]--;
			}
		}
	}
	if (nsorted < n) {
		sqlite3_str	*out = sqlite3_str_new(NULL);
		char		*list;

		for (i = 0; i < n; i++) {
			if (!done[i])
				sqlite3_str_appendf(out, "%s%s",
				    sqlite3_str_length(out) > 0 ? ", " : "",
				    repo->revs[i]->path);
		}
		list = xstr_finish(out);
		*cause = xasprintf("revision graph has a cycle: %s", list);
		free(list);
		free(sorted);
		free(waiting);
		free(done);
		return -1;
	}
	free(repo->revs);
	repo->revs = sorted;
	free(waiting);
	free(done);
	for (i = 0; i < n; i++)
		repo->revs[i]->is_head = 1;
	for (i = 0; i < n; i++) {
		for (j = 0; j < repo->revs[i]->nparents; j++)
			repo->revs[i]->parent_revs[j]->is_head = 0;
	}
	for (i = 0; i < n; i++) {
		if (!repo->revs[i]->is_head)
			continue;
		repo->heads = xreallocarray(repo->heads, repo->nheads + 1,
		    sizeof *repo->heads);
		repo->heads[repo->nheads++] = repo->revs[i];
	}
	return 0;
}

/* Whether name is a revision file's: <14 digits>_<anything>.sql. */
static int
repo_is_revision_name(const char *name)
{
	size_t	len = strlen(name), i;

	if (len < 19 || strcmp(name + len - 4, ".sql") != 0)
		return 0;
	for (i = 0; i < 14; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
	}
	return name[14] == '_';
}

/*
 * Load the repository at dir and check its graph. On success the caller frees
 * *out with repo_free().
 */
int
repo_load(const char *dir, struct repo **out, char **cause)
{
	struct repo	*repo;
	struct stat	 sb;
	DIR		*d = NULL;
	struct dirent	*de;
	struct revision	*rev;
	char		*path = NULL, *text = NULL;
	size_t		 len, i;
	int		 fd = -1;

	*out = NULL;
	repo = xcalloc(1, sizeof *repo);
	repo->dir = xstrdup(dir);
	repo->versions = xasprintf("%s/versions", dir);
	if (lstat(dir, &sb) == -1 && errno == ENOENT) {
		*cause = xasprintf("%s: no migration repository; run 'exodb db "
		    "init'", dir);
		goto fail;
	}
	/* One rule for the repository and its versions folder: no links. */
	if (S_ISLNK(sb.st_mode)) {
		*cause = xasprintf("%s: is a symbolic link; the migration "
		    "repository must be a plain folder", dir);
		goto fail;
	}
	if (lstat(repo->versions, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		*cause = xasprintf("%s: is a symbolic link; the versions folder "
		    "must be a plain folder", repo->versions);
		goto fail;
	}
	fd = open(repo->versions, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		*cause = xasprintf("%s: %s%s", repo->versions, strerror(errno),
		    errno == ENOENT ? "; run 'exodb db init'" : "");
		if (fd != -1)
			close(fd);
		goto fail;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		path = xasprintf("%s/%s", repo->versions, de->d_name);
		if (!repo_is_revision_name(de->d_name)) {
			*cause = xasprintf("%s: not a revision file name "
			    "(<YYYYMMDDHHMMSS>_<slug>.sql)", path);
			goto fail;
		}
		if (repo_read(dirfd(d), de->d_name, path, &text, &len,
		    cause) == -1)
			goto fail;
		if (revision_parse(path, de->d_name, text, len, &rev,
		    cause) == -1)
			goto fail;
		free(text);
		text = NULL;
		free(path);
		path = NULL;
		repo->revs = xreallocarray(repo->revs, repo->nrevs + 1,
		    sizeof *repo->revs);
		repo->revs[repo->nrevs++] = rev;
	}
	closedir(d);
	d = NULL;
	if (repo->nrevs > 1)
		qsort(repo->revs, repo->nrevs, sizeof *repo->revs,
		    repo_compare_ids);
	for (i = 1; i < repo->nrevs; i++) {
		if (strcmp(repo->revs[i - 1]->id, repo->revs[i]->id) == 0) {
			*cause = xasprintf("duplicate revision id %s: %s and %s",
			    repo->revs[i]->id, repo->revs[i - 1]->path,
			    repo->revs[i]->path);
			goto fail;
		}
	}
	if (repo_graph(repo, cause) == -1)
		goto fail;
	*out = repo;
	return 0;
fail:
	if (d != NULL)
		closedir(d);
	free(path);
	free(text);
	repo_free(repo);
	return -1;
}

/* The revision with exactly this id, or NULL. */
struct revision *
repo_get(const struct repo *repo, const char *id)
{
	size_t	i;

	for (i = 0; i < repo->nrevs; i++) {
		if (strcmp(repo->revs[i]->id, id) == 0)
			return repo->revs[i];
	}
	return NULL;
}

/*
 * The revision an id or a unique prefix of one names. An ambiguous prefix
 * lists the candidates.
 */
struct revision *
repo_find(const struct repo *repo, const char *name, char **cause)
{
	struct revision	*found = NULL;
	sqlite3_str	*list;
	size_t		 i, len = strlen(name), n = 0;
	char		*text;

	if (len == 0 || len > 14 || strspn(name, "0123456789") != len) {
		*cause = xasprintf("'%s': not a revision id, 'head' or 'base'",
		    name);
		return NULL;
	}
	for (i = 0; i < repo->nrevs; i++) {
		if (strncmp(repo->revs[i]->id, name, len) == 0) {
			found = repo->revs[i];
			n++;
		}
	}
	if (n == 1)
		return found;
	if (n == 0) {
		*cause = xasprintf("unknown revision '%s'", name);
		return NULL;
	}
	list = sqlite3_str_new(NULL);
	for (i = 0; i < repo->nrevs; i++) {
		if (strncmp(repo->revs[i]->id, name, len) == 0)
			sqlite3_str_appendf(list, " %s", repo->revs[i]->id);
	}
	text = xstr_finish(list);
	*cause = xasprintf("revision prefix '%s' is ambiguous:%s", name, text);
	free(text);
	return NULL;
}

/* The one head, or NULL for an empty repository; several are an error. */
int
repo_single_head(const struct repo *repo, struct revision **head,
    char **cause)
{
	sqlite3_str	*list;
	char		*text;
	size_t		 i;

	*head = NULL;
	if (repo->nheads <= 1) {
		*head = repo->nheads == 1 ? repo->heads[0] : NULL;
		return 0;
	}
	list = sqlite3_str_new(NULL);
	for (i = 0; i < repo->nheads; i++)
		sqlite3_str_appendf(list, " %s", repo->heads[i]->id);
	text = xstr_finish(list);
	*cause = xasprintf("the revision graph has %zu heads:%s; join them "
	    "with 'exodb db merge -m MESSAGE heads'", repo->nheads, text);
	free(text);
	return -1;
}

/*
 * Whether a is b or one of b's ancestors: a walk up from b that visits each
 * revision once (merges make the paths many) and never goes below a, since
 * a parent always comes before its child in the order.
 */
int
repo_is_ancestor(const struct revision *a, const struct revision *b)
{
	const struct revision	**stack, *r, *p;
	char			 *seen;
	size_t			  n = 0, i;
	int			  found = 0;

	if (a == b)
		return 1;
	if (a->order > b->order)
		return 0;
	stack = xcalloc(b->order + 1, sizeof *stack);
	seen = xcalloc(b->order + 1, 1);
	stack[n++] = b;
	while (n > 0 && !found) {
		r = stack[--n];
		for (i = 0; i < r->nparents && !found; i++) {
			p = r->parent_revs[i];
			if (p == a)
				found = 1;
			else if (p->order > a->order && !seen[p->order]) {
				seen[p->order] = 1;
				stack[n++] = p;
			}
		}
	}
	free(stack);
	free(seen);
	return found;
}

/*
 * The id for a revision made at time now: that second, or the next one no
 * revision has yet. The caller frees it.
 */
char *
repo_new_id(const struct repo *repo, long long now)
{
	struct tm	 tm;
	time_t		 t = (time_t)now;
	char		 id[32];
	size_t		 i;

	for (;; t++) {
		gmtime_r(&t, &tm);
		strftime(id, sizeof id, "%Y%m%d%H%M%S", &tm);
		for (i = 0; i < repo->nrevs; i++) {
			if (strcmp(repo->revs[i]->id, id) == 0)
				break;
		}
		if (i == repo->nrevs)
			return xstrdup(id);
	}
}

/*
 * Write a new file into versions/ whole or not at all: the text goes to a
 * temporary file first, which is linked under its name only once it is
 * complete on disk. link() never replaces a file and never follows a link,
 * and the name is resolved inside the versions folder, so nothing outside it
 * can be reached or overwritten. *path is set to the new file's path.
 */
int
repo_write(struct repo *repo, const char *name, const char *text,
    char **path, char **cause)
{
	char	 tmp[64];
	size_t	 len = strlen(text);
	int	 dirfd, fd = -1, ret = -1;

	*path = NULL;
	if (strchr(name, '/') != NULL || name[0] == '.') {
		*cause = xasprintf("%s: not a file name", name);
		return -1;
	}
	dirfd = open(repo->versions, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (dirfd == -1) {
		*cause = xasprintf("%s: %s", repo->versions, strerror(errno));
		return -1;
	}
	snprintf(tmp, sizeof tmp, ".exodb-%ld.tmp", (long)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause = xasprintf("%s/%s: %s", repo->versions, tmp,
		    strerror(errno));
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) == -1) {
		*cause = xasprintf("%s/%s: %s", repo->versions, name,
		    strerror(errno));
		goto out;
	}
	if (linkat(dirfd, tmp, dirfd, name, 0) == -1) {
		*cause = xasprintf("%s/%s: %s", repo->versions, name,
		    strerror(errno));
		goto out;
	}
	fsync(dirfd);
	*path = xasprintf("%s/%s", repo->versions, name);
	ret = 0;
out:
	if (fd != -1) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
	}
	close(dirfd);
	return ret;
}
