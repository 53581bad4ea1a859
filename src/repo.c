/*
 * The migration repository: a folder holding versions/, whose revision files
 * form a graph through their "revises" lines, as Alembic's do. Loading checks
 * the whole graph (duplicate ids, unknown parents, cycles) before any command
 * acts on it, and orders it so that every revision comes after its parents.
 * The graph answers what commands ask of it (targets, heads, ancestry,
 * branches, merges) in time linear in its size, and new revisions are added
 * through it.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exodb.h"

/* The buffer every revision file is read into, to begin with. */
#define REPO_READ_SIZE	16384
/* At most so many threads read revision files, each at least so many. */
#define REPO_READERS	4
#define REPO_SHARE_MIN	512

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
 * Whether dir holds an Alembic repository, as 'flask db init' makes one:
 * alembic.ini, env.py or script.py.mako beside versions/, or Python
 * revisions in versions/. exodb reads neither, so it must not take such a
 * folder for its own (an empty repository) or for a folder to fill.
 */
int
repo_is_alembic(const char *dir)
{
	static const char *const	 files[] = {
		"alembic.ini", "env.py", "script.py.mako"
	};
	DIR				*d;
	struct dirent			*de;
	struct stat			 sb;
	char				*path;
	size_t				 i, len;
	int				 found = 0;

	for (i = 0; !found && i < sizeof files / sizeof files[0]; i++) {
		path = xasprintf("%s/%s", dir, files[i]);
		found = lstat(path, &sb) == 0;
		free(path);
	}
	path = xasprintf("%s/versions", dir);
	if (!found && (d = opendir(path)) != NULL) {
		while (!found && (de = readdir(d)) != NULL) {
			len = strlen(de->d_name);
			found = len > 3 && strcmp(de->d_name + len - 3,
			    ".py") == 0;
		}
		closedir(d);
	}
	free(path);
	return found;
}

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
		revision_free(repo->byid[i]);
	free(repo->byid);
	free(repo->revs);
	free(repo->links);
	free(repo->heads);
	free(repo->dir);
	free(repo->versions);
	free(repo);
}

/*
 * Read the file de names below the versions folder into *buf, which holds
 * *cap bytes and grows as needed (one buffer serves every file), refusing
 * links and anything but a plain file. The directory entry says what the
 * file is, so that most files cost an open, a read and a close.
 */
static int
repo_read(int dirfd, const struct dirent *de, const char *path, char **buf,
    size_t *cap, size_t *len, char **cause)
{
	struct stat	 sb;
	size_t		 got = 0, room;
	ssize_t		 n;
	int		 fd;

	if (de->d_type == DT_LNK) {
		*cause = xasprintf("%s: is a symbolic link; revisions must be "
		    "plain files", path);
		return -1;
	}
	if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN) {
		*cause = xasprintf("%s: not a regular file", path);
		return -1;
	}
	/* Never to block, should a FIFO have taken the file's place. */
	fd = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd == -1) {
		*cause = xasprintf("%s: %s", path, errno == ELOOP ?
		    "is a symbolic link; revisions must be plain files" :
		    strerror(errno));
		return -1;
	}
	if (de->d_type == DT_UNKNOWN && (fstat(fd, &sb) == -1 ||
	    !S_ISREG(sb.st_mode))) {
		*cause = xasprintf("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	for (;;) {
		if (*cap - got < 2) {
			*cap *= 2;
			*buf = xreallocarray(*buf, *cap, 1);
		}
		room = *cap - got - 1;
		if ((n = read(fd, *buf + got, room)) == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		got += (size_t)n;
		/* A plain file reads short only at its end. */
		if ((size_t)n < room)
			break;
	}
	close(fd);
	(*buf)[got] = '\0';
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

/* Exact id lookup in a sorted-by-id array. */
static struct revision *
repo_bsearch(struct revision *const *revs, size_t n, const char *id)
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

/* The ready set of repo_graph(): a min-heap of indexes into byid. */
struct repo_heap {
	size_t	*v;
	size_t	 n;
};

static void
repo_heap_push(struct repo_heap *h, size_t x)
{
	size_t	i = h->n++, up;

	for (; i > 0 && h->v[up = (i - 1) / 2] > x; i = up)
		h->v[i] = h->v[up];
	h->v[i] = x;
}

static size_t
repo_heap_pop(struct repo_heap *h)
{
	size_t	top = h->v[0], x = h->v[--h->n], i = 0, c;

	for (; (c = 2 * i + 1) < h->n; i = c) {
		if (c + 1 < h->n && h->v[c + 1] < h->v[c])
			c++;
		if (x <= h->v[c])
			break;
		h->v[i] = h->v[c];
	}
	h->v[i] = x;
	return top;
}

/*
 * Fill each revision's children from the parent links, in the order of revs:
 * slices of repo->links, which holds every link once.
 */
static void
repo_children(struct repo *repo, struct revision **revs, size_t n,
    size_t nlinks)
{
	struct revision	*r, *p;
	size_t		 i, j, at = 0;

	if (repo->links == NULL)
		repo->links = xcalloc(nlinks + 1, sizeof *repo->links);
	/* nchildren holds the count from repo_graph()'s first pass. */
	for (i = 0; i < n; i++) {
		revs[i]->children = repo->links + at;
		at += revs[i]->nchildren;
		revs[i]->nchildren = 0;
	}
	for (i = 0; i < n; i++) {
		r = revs[i];
		for (j = 0; j < r->nparents; j++) {
			p = r->parent_revs[j];
			p->children[p->nchildren++] = r;
		}
	}
}

/*
 * Link each revision to its parents and children, then order the graph:
 * Kahn's algorithm, taking the lowest id among the ready revisions (a heap),
 * so that a linear history is in id order. What is left unordered lies on a
 * cycle. O(N log N) for N revisions.
 */
static int
repo_graph(struct repo *repo, char **cause)
{
	struct revision		**byid = repo->byid, **sorted, *r, *c;
	struct repo_heap	  ready;
	size_t			  i, j, n = repo->nrevs, nsorted = 0, nlinks = 0;
	size_t			 *waiting;

	for (i = 0; i < n; i++) {
		r = byid[i];
		r->order = i;	/* its place in byid, until sorted */
		/* A parsed revision has room for them. */
		if (r->parent_revs == NULL)
			r->parent_revs = xcalloc(r->nparents,
			    sizeof *r->parent_revs);
		nlinks += r->nparents;
		for (j = 0; j < r->nparents; j++) {
			r->parent_revs[j] = repo_bsearch(byid, n,
			    r->parents[j]);
			if (r->parent_revs[j] == NULL) {
				*cause = xasprintf("%s: revises unknown revision "
				    "%s", r->path, r->parents[j]);
				return -1;
			}
			r->parent_revs[j]->nchildren++;
		}
	}
	repo_children(repo, byid, n, nlinks);
	sorted = xcalloc(n, sizeof *sorted);
	waiting = xcalloc(n, sizeof *waiting);
	ready.v = xcalloc(n, sizeof *ready.v);
	ready.n = 0;
	for (i = 0; i < n; i++) {
		if ((waiting[i] = byid[i]->nparents) == 0)
			repo_heap_push(&ready, i);
	}
	while (ready.n > 0) {
		r = byid[repo_heap_pop(&ready)];
		sorted[nsorted++] = r;
		for (j = 0; j < r->nchildren; j++) {
			c = r->children[j];
			if (--waiting[c->order] == 0)
				repo_heap_push(&ready, c->order);
		}
	}
	free(ready.v);
	if (nsorted < n) {
		sqlite3_str	*out = sqlite3_str_new(NULL);
		char		*list;

		for (i = 0; i < n; i++) {
			if (waiting[i] > 0)
				sqlite3_str_appendf(out, "%s%s",
				    sqlite3_str_length(out) > 0 ? ", " : "",
				    byid[i]->path);
		}
		list = xstr_finish(out);
		*cause = xasprintf("revision graph has a cycle: %s", list);
		free(list);
		free(sorted);
		free(waiting);
		return -1;
	}
	free(waiting);
	repo->revs = sorted;
	for (i = 0; i < n; i++)
		sorted[i]->order = i;
	/* Children in graph order, as listings show them. */
	repo_children(repo, sorted, n, nlinks);
	for (i = 0; i < n; i++) {
		r = sorted[i];
		if ((r->is_head = r->nchildren == 0)) {
			repo->heads = xreallocarray(repo->heads,
			    repo->nheads + 1, sizeof *repo->heads);
			repo->heads[repo->nheads++] = r;
		}
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

/* The revision files of versions/, as its directory entries name them. */
struct repo_files {
	char		 *names;	/* each name, NUL-terminated */
	size_t		  len;
	size_t		  cap;
	size_t		 *at;		/* where each name begins */
	unsigned char	 *type;		/* each one's d_type */
	size_t		  n;
	size_t		  nalloc;
};

/* One reader's share of the files, [from, to), parsed into revs[]. */
struct repo_reader {
	const struct repo	 *repo;
	const struct repo_files	 *files;
	struct revision		**revs;
	int			  dirfd;
	size_t			  from;
	size_t			  to;
	size_t			  failed;	/* the file that failed, or to */
	char			 *cause;
	pthread_t		  thread;
	int			  started;
};

/*
 * The revision files of the open versions folder: names checked, nothing
 * read yet.
 */
static int
repo_list(const struct repo *repo, DIR *d, struct repo_files *f,
    char **cause)
{
	struct dirent	*de;
	size_t		 len;

	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		if (!repo_is_revision_name(de->d_name)) {
			*cause = xasprintf("%s/%s: not a revision file name "
			    "(<YYYYMMDDHHMMSS>_<slug>.sql)", repo->versions,
			    de->d_name);
			return -1;
		}
		if (f->n == f->nalloc) {
			f->nalloc = f->nalloc == 0 ? 64 : f->nalloc * 2;
			f->at = xreallocarray(f->at, f->nalloc, sizeof *f->at);
			f->type = xreallocarray(f->type, f->nalloc, 1);
		}
		while (f->cap - f->len < len + 1) {
			f->cap = f->cap == 0 ? 4096 : f->cap * 2;
			f->names = xreallocarray(f->names, f->cap, 1);
		}
		f->at[f->n] = f->len;
		f->type[f->n++] = de->d_type;
		memcpy(f->names + f->len, de->d_name, len + 1);
		f->len += len + 1;
	}
	return 0;
}

/*
 * Read and parse a reader's share of the files, stopping at the first that
 * fails. Every reader has its own buffers: they run at once.
 */
static void *
repo_read_share(void *arg)
{
	struct repo_reader	*rd = arg;
	struct dirent		 de;
	char			*path, *text;
	size_t			 vlen = strlen(rd->repo->versions), cap, len, i;

	path = xmalloc(vlen + 1 + sizeof de.d_name);
	memcpy(path, rd->repo->versions, vlen);
	path[vlen] = '/';
	cap = REPO_READ_SIZE;
	text = xmalloc(cap);
	rd->failed = rd->to;
	for (i = rd->from; i < rd->to; i++) {
		/* Names fit: each came from a directory entry. */
		strcpy(de.d_name, rd->files->names + rd->files->at[i]);
		de.d_type = rd->files->type[i];
		strcpy(path + vlen + 1, de.d_name);
		if (repo_read(rd->dirfd, &de, path, &text, &cap, &len,
		    &rd->cause) == -1 || revision_parse(path, de.d_name, text,
		    len, &rd->revs[i], &rd->cause) == -1) {
			rd->failed = i;
			break;
		}
	}
	free(text);
	free(path);
	return NULL;
}

/*
 * Read and parse every file into repo->byid, in directory order. Thousands
 * of files are shared among up to REPO_READERS threads, one a processor:
 * opening and reading them is most of the time a large repository takes to
 * load. The error reported is the one a single reader would have met first.
 */
static int
repo_read_all(struct repo *repo, int dirfd, const struct repo_files *f,
    char **cause)
{
	struct repo_reader	 readers[REPO_READERS];
	struct revision		**revs;
	size_t			 nreaders, i, failed = f->n;
	long			 cpus = sysconf(_SC_NPROCESSORS_ONLN);

	nreaders = f->n / REPO_SHARE_MIN;
	if (cpus > 0 && nreaders > (size_t)cpus)
		nreaders = (size_t)cpus;
	if (nreaders > REPO_READERS)
		nreaders = REPO_READERS;
	if (nreaders == 0)
		nreaders = 1;
	revs = xcalloc(f->n + 1, sizeof *revs);
	memset(readers, 0, sizeof readers);
	for (i = 0; i < nreaders; i++) {
		readers[i].repo = repo;
		readers[i].files = f;
		readers[i].revs = revs;
		readers[i].dirfd = dirfd;
		readers[i].from = f->n * i / nreaders;
		readers[i].to = f->n * (i + 1) / nreaders;
	}
	/* The first share is this thread's; one that cannot start is too. */
	for (i = 1; i < nreaders; i++)
		readers[i].started = pthread_create(&readers[i].thread, NULL,
		    repo_read_share, &readers[i]) == 0;
	repo_read_share(&readers[0]);
	for (i = 1; i < nreaders; i++) {
		if (readers[i].started)
			pthread_join(readers[i].thread, NULL);
		else
			repo_read_share(&readers[i]);
	}
	for (i = 0; i < nreaders; i++) {
		if (readers[i].failed < readers[i].to && failed == f->n) {
			failed = readers[i].failed;
			*cause = readers[i].cause;
		} else
			free(readers[i].cause);
	}
	if (failed < f->n) {
		for (i = 0; i < f->n; i++)
			revision_free(revs[i]);
		free(revs);
		return -1;
	}
	repo->byid = revs;
	repo->nrevs = f->n;
	return 0;
}

/*
 * Load the repository at dir and check its graph. On success the caller frees
 * *out with repo_free().
 */
int
repo_load(const char *dir, struct repo **out, char **cause)
{
	struct repo		*repo;
	struct repo_files	 files;
	struct stat		 sb;
	DIR			*d = NULL;
	size_t			 i;
	int			 fd = -1;

	*out = NULL;
	memset(&files, 0, sizeof files);
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
	if (repo_is_alembic(dir)) {
		*cause = xasprintf("%s: is a Flask-Migrate (Alembic) repository, "
		    "which exodb does not read; 'exodb db init' says how to "
		    "adopt its database", dir);
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
	if (repo_list(repo, d, &files, cause) == -1 ||
	    repo_read_all(repo, dirfd(d), &files, cause) == -1)
		goto fail;
	closedir(d);
	d = NULL;
	if (repo->nrevs > 1)
		qsort(repo->byid, repo->nrevs, sizeof *repo->byid,
		    repo_compare_ids);
	for (i = 1; i < repo->nrevs; i++) {
		if (strcmp(repo->byid[i - 1]->id, repo->byid[i]->id) == 0) {
			*cause = xasprintf("duplicate revision id %s: %s and %s",
			    repo->byid[i]->id, repo->byid[i - 1]->path,
			    repo->byid[i]->path);
			goto fail;
		}
	}
	if (repo_graph(repo, cause) == -1)
		goto fail;
	*out = repo;
	repo = NULL;
fail:
	if (d != NULL)
		closedir(d);
	free(files.names);
	free(files.at);
	free(files.type);
	repo_free(repo);
	return *out != NULL ? 0 : -1;
}

/* The revision with exactly this id, or NULL. */
struct revision *
repo_get(const struct repo *repo, const char *id)
{
	return repo_bsearch(repo->byid, repo->nrevs, id);
}

/*
 * Which revisions a history records: a flag per revision, indexed by its
 * order. Rows naming no file are left out. The caller frees the array.
 */
int *
repo_applied(const struct repo *repo, const struct history *h)
{
	const struct revision	*rev;
	int			*applied;
	size_t			 i;

	applied = xcalloc(repo->nrevs, sizeof *applied);
	for (i = 0; h != NULL && i < h->nrows; i++) {
		if ((rev = repo_get(repo, h->rows[i].id)) != NULL)
			applied[rev->order] = 1;
	}
	return applied;
}

/* Whether rev is applied and none of its children is. */
int
repo_is_current(const struct revision *rev, const int *applied)
{
	size_t	i;

	if (!applied[rev->order])
		return 0;
	for (i = 0; i < rev->nchildren; i++) {
		if (applied[rev->children[i]->order])
			return 0;
	}
	return 1;
}

/* Set want[] for rev and each of its ancestors, by order; each visited once. */
void
repo_ancestors(const struct revision *rev, int *want)
{
	const struct revision	**stack, *r, *p;
	size_t			  n = 0, i;

	if (want[rev->order])
		return;
	stack = xcalloc(rev->order + 1, sizeof *stack);
	want[rev->order] = 1;
	stack[n++] = rev;
	while (n > 0) {
		r = stack[--n];
		for (i = 0; i < r->nparents; i++) {
			p = r->parent_revs[i];
			if (!want[p->order]) {
				want[p->order] = 1;
				stack[n++] = p;
			}
		}
	}
	free(stack);
}

/* Set want[] for rev and each of its descendants, by order. */
void
repo_descendants(const struct repo *repo, const struct revision *rev,
    int *want)
{
	const struct revision	*r;
	size_t			 i, j;

	want[rev->order] = 1;
	/* Parents come before children: one pass in order reaches them all. */
	for (i = rev->order + 1; i < repo->nrevs; i++) {
		r = repo->revs[i];
		for (j = 0; j < r->nparents && !want[i]; j++)
			want[i] = want[r->parent_revs[j]->order];
	}
}

/*
 * The revisions more than one revision revises, in graph order. The caller
 * frees *out (not the revisions).
 */
void
repo_branchpoints(const struct repo *repo, struct revision ***out, size_t *n)
{
	size_t	i;

	*out = xcalloc(repo->nrevs, sizeof **out);
	*n = 0;
	for (i = 0; i < repo->nrevs; i++) {
		if (repo->revs[i]->nchildren > 1)
			(*out)[(*n)++] = repo->revs[i];
	}
}

/*
 * Whether revs may be the parents of a merge: at least two, none named twice
 * and none an ancestor of another (a merge joins heads).
 */
int
repo_check_merge(const struct repo *repo, struct revision *const *revs,
    size_t n, char **cause)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			if (i == j)
				continue;
			if (revs[i] == revs[j]) {
				*cause = xasprintf("%s is named twice",
				    revs[i]->id);
				return -1;
			}
			if (repo_is_ancestor(revs[i], revs[j])) {
				*cause = xasprintf("%s is an ancestor of %s; a "
				    "merge joins heads", revs[i]->id,
				    revs[j]->id);
				return -1;
			}
		}
	}
	if (n < 2) {
		*cause = xasprintf("a merge joins at least two revisions; %s",
		    repo->nheads < 2 ? "there is only one head" :
		    "name two or more, or 'heads'");
		return -1;
	}
	return 0;
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

static int
repo_compare_order(const void *a, const void *b)
{
	const struct revision	*ra = *(struct revision *const *)a;
	const struct revision	*rb = *(struct revision *const *)b;

	return ra->order < rb->order ? -1 : ra->order > rb->order;
}

/*
 * The revision an id or a unique prefix of one names: a binary search for
 * the first id at or after the prefix, since byid is sorted. An ambiguous
 * prefix lists the candidates in graph order.
 */
static struct revision *
repo_find(const struct repo *repo, const char *name, char **cause)
{
	struct revision	**match;
	sqlite3_str	 *list;
	size_t		  lo = 0, hi = repo->nrevs, mid, len = strlen(name), n, i;
	char		 *text;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (strncmp(repo->byid[mid]->id, name, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (n = 0; lo + n < repo->nrevs &&
	    strncmp(repo->byid[lo + n]->id, name, len) == 0; n++)
		;
	if (n == 1)
		return repo->byid[lo];
	if (n == 0) {
		*cause = xasprintf("unknown revision '%s'", name);
		return NULL;
	}
	match = xcalloc(n, sizeof *match);
	memcpy(match, repo->byid + lo, n * sizeof *match);
	qsort(match, n, sizeof *match, repo_compare_order);
	list = sqlite3_str_new(NULL);
	for (i = 0; i < n; i++)
		sqlite3_str_appendf(list, " %s", match[i]->id);
	free(match);
	text = xstr_finish(list);
	*cause = xasprintf("revision prefix '%s' is ambiguous:%s", name, text);
	free(text);
	return NULL;
}

/* "not a revision id, 'head' or 'base'": the spellings allow accepts. */
static char *
repo_accepted(int allow)
{
	static const struct {
		int		 bit;
		const char	*name;
	} names[] = {
		{ REPO_ID, "a revision id" },
		{ REPO_HEAD, "'head'" },
		{ REPO_HEADS, "'heads'" },
		{ REPO_BASE, "'base'" },
		{ REPO_CURRENT, "'current'" },
		{ REPO_UP, "+N" },
		{ REPO_DOWN, "-N" },
		{ REPO_EMPTY, "empty" },
	};
	sqlite3_str	*out = sqlite3_str_new(NULL);
	size_t		 i, n = 0, left = 0;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		left += (allow & names[i].bit) != 0;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!(allow & names[i].bit))
			continue;
		sqlite3_str_appendf(out, "%s%s", n == 0 ? "" : n + 1 == left ?
		    " or " : ", ", names[i].name);
		n++;
	}
	return xstr_finish(out);
}

/* N of "+N" or "-N", at least 1, or 0 when spec is not such. */
static long
repo_steps(const char *spec)
{
	char	*end;
	long	 n;

	if (spec[1] < '0' || spec[1] > '9')
		return 0;
	errno = 0;
	n = strtol(spec + 1, &end, 10);
	return *end != '\0' || errno != 0 || n < 1 ? 0 : n;
}

/*
 * Resolve the revision target spec, accepting the spellings allow names:
 *	REPO_ID		an id or a unique prefix of one: that revision
 *	REPO_HEAD	"head": the one head (none in an empty repository, an
 *			error with REPO_ONE); several heads are an error
 *	REPO_HEADS	"heads": every head
 *	REPO_BASE	"base": no revision
 *	REPO_CURRENT	"current": the one applied revision no applied revision
 *			revises (applied[] by order says what is applied; it may
 *			be NULL when REPO_CURRENT is not allowed)
 *	REPO_UP/DOWN	"+N"/"-N": t->steps is N, no revision
 *	REPO_EMPTY	"": no revision
 * t->kind says which matched; t->revs (the caller frees the array) holds the
 * revisions named. A spelling not allowed gets a message listing those that
 * are.
 */
int
repo_resolve(const struct repo *repo, const int *applied, const char *spec,
    int allow, struct repo_target *t, char **cause)
{
	struct revision	*rev;
	char		*list;
	size_t		 i;
	int		 kind = 0;

	memset(t, 0, sizeof *t);
	if (*spec == '\0')
		kind = REPO_EMPTY;
	else if (strcmp(spec, "head") == 0)
		kind = REPO_HEAD;
	else if (strcmp(spec, "heads") == 0)
		kind = REPO_HEADS;
	else if (strcmp(spec, "base") == 0)
		kind = REPO_BASE;
	else if (strcmp(spec, "current") == 0)
		kind = REPO_CURRENT;
	else if (spec[0] == '+' && (t->steps = repo_steps(spec)) > 0)
		kind = REPO_UP;
	else if (spec[0] == '-' && (t->steps = repo_steps(spec)) > 0)
		kind = REPO_DOWN;
	else if (strlen(spec) <= 14 && strspn(spec, "0123456789") ==
	    strlen(spec))
		kind = REPO_ID;
	if (!(kind & allow)) {
		list = repo_accepted(allow);
		*cause = xasprintf("'%s': not %s", spec, list);
		free(list);
		t->steps = 0;
		return -1;
	}
	t->kind = kind;
	t->revs = xcalloc(repo->nheads + 1, sizeof *t->revs);
	switch (kind) {
	case REPO_ID:
		if ((rev = repo_find(repo, spec, cause)) == NULL)
			goto fail;
		t->revs[t->nrevs++] = rev;
		break;
	case REPO_HEAD:
		if (repo_single_head(repo, &rev, cause) == -1)
			goto fail;
		if (rev == NULL && (allow & REPO_ONE)) {
			*cause = xasprintf("'head': no revisions in %s",
			    repo->versions);
			goto fail;
		}
		if (rev != NULL)
			t->revs[t->nrevs++] = rev;
		break;
	case REPO_HEADS:
		for (i = 0; i < repo->nheads; i++)
			t->revs[t->nrevs++] = repo->heads[i];
		break;
	case REPO_CURRENT:
		for (i = 0; i < repo->nrevs; i++) {
			if (!repo_is_current(repo->revs[i], applied))
				continue;
			if (t->nrevs > 0) {
				*cause = xstrdup("'current': the database is "
				    "at more than one revision");
				goto fail;
			}
			t->revs[t->nrevs++] = repo->revs[i];
		}
		if (t->nrevs == 0) {
			*cause = xstrdup("'current': no revision is applied");
			goto fail;
		}
		break;
	}
	return 0;
fail:
	free(t->revs);
	memset(t, 0, sizeof *t);
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
 * Add a revision made at time now: its id is that second in UTC, or the next
 * second no revision has yet, and its creation stamp is the same second. The
 * draft gives the parents, message, destructive lines and sections; its id,
 * created, file and path are ignored. The file <id>_<slug>.sql is written
 * whole or not at all (repo_write()); *path is set to its path, which the
 * caller frees.
 */
int
repo_add(struct repo *repo, const struct revision *draft, time_t now,
    char **path, char **cause)
{
	struct revision	 r = *draft;
	struct tm	 tm;
	char		 id[32], created[32], *slug, *name, *text;
	int		 ret;

	if (revision_check_message(draft->message, cause) == -1)
		return -1;
	for (;; now++) {
		gmtime_r(&now, &tm);
		strftime(id, sizeof id, "%Y%m%d%H%M%S", &tm);
		if (repo_get(repo, id) == NULL)
			break;
	}
	strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	r.id = id;
	r.created = created;
	text = revision_format(&r);
	slug = revision_slug(r.message);
	name = xasprintf("%s_%s.sql", id, slug);
	ret = repo_write(repo, name, text, path, cause);
	free(name);
	free(slug);
	free(text);
	return ret;
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
	/*
	 * The file is complete, but whether its name survives a crash is not
	 * known until the folder is on disk. A revision whose durability is
	 * unknown is not reported as written: it is unlinked again, so that
	 * a later run never applies a file this one said it failed to write.
	 */
	if (fsync(dirfd) == -1) {
		*cause = xasprintf("%s: cannot sync the folder, so %s is "
		    "not kept: %s", repo->versions, name, strerror(errno));
		unlinkat(dirfd, name, 0);
		goto out;
	}
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
