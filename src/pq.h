/*
 * pq.h: libpq, loaded by pq.c when a command first reaches PostgreSQL.
 * Linked in, libpq and the two dozen libraries it needs (TLS, Kerberos,
 * LDAP) would load into every run and triple exodb's start-up on SQLite;
 * so the files that talk to PostgreSQL include this header instead of
 * libpq-fe.h, and each PQ function they name is the pointer pq.c resolved.
 */
#ifndef EXODB_PQ_H
#define EXODB_PQ_H

#include <libpq-fe.h>

/* Every libpq function exodb calls. */
#define PQ_FUNCTIONS(X) \
	X(PQbackendPID) \
	X(PQcancel) \
	X(PQclear) \
	X(PQcmdTuples) \
	X(PQconnectdbParams) \
	X(PQconninfoFree) \
	X(PQconninfoParse) \
	X(PQdb) \
	X(PQenterPipelineMode) \
	X(PQerrorMessage) \
	X(PQexec) \
	X(PQexecParams) \
	X(PQexitPipelineMode) \
	X(PQfinish) \
	X(PQfreeCancel) \
	X(PQfreemem) \
	X(PQgetCancel) \
	X(PQgetResult) \
	X(PQgetisnull) \
	X(PQgetlength) \
	X(PQgetvalue) \
	X(PQnfields) \
	X(PQntuples) \
	X(PQpipelineSync) \
	X(PQresultErrorField) \
	X(PQresultErrorMessage) \
	X(PQresultStatus) \
	X(PQsendQueryParams) \
	X(PQsetNoticeReceiver) \
	X(PQsetSingleRowMode) \
	X(PQstatus) \
	X(PQtransactionStatus)

struct pq_functions {
#define PQ_MEMBER(f) __typeof__(f) *f;
	PQ_FUNCTIONS(PQ_MEMBER)
#undef PQ_MEMBER
};

/*
 * Loads libpq once: 0, or -1 with *cause saying why it cannot (and then
 * tries again at the next call). pq_library is the soname it loads.
 */
extern const char *pq_library;
int	 pq_load(char **);
/* The functions; loads them first, fatally, when pq_load() was not called. */
const struct pq_functions *pq(void);

#ifndef PQ_IMPLEMENTATION
#define PQbackendPID	(pq()->PQbackendPID)
#define PQcancel	(pq()->PQcancel)
#define PQclear	(pq()->PQclear)
#define PQcmdTuples	(pq()->PQcmdTuples)
#define PQconnectdbParams	(pq()->PQconnectdbParams)
#define PQconninfoFree	(pq()->PQconninfoFree)
#define PQconninfoParse	(pq()->PQconninfoParse)
#define PQdb	(pq()->PQdb)
#define PQenterPipelineMode	(pq()->PQenterPipelineMode)
#define PQerrorMessage	(pq()->PQerrorMessage)
#define PQexec	(pq()->PQexec)
#define PQexecParams	(pq()->PQexecParams)
#define PQexitPipelineMode	(pq()->PQexitPipelineMode)
#define PQfinish	(pq()->PQfinish)
#define PQfreeCancel	(pq()->PQfreeCancel)
#define PQfreemem	(pq()->PQfreemem)
#define PQgetCancel	(pq()->PQgetCancel)
#define PQgetResult	(pq()->PQgetResult)
#define PQgetisnull	(pq()->PQgetisnull)
#define PQgetlength	(pq()->PQgetlength)
#define PQgetvalue	(pq()->PQgetvalue)
#define PQnfields	(pq()->PQnfields)
#define PQntuples	(pq()->PQntuples)
#define PQpipelineSync	(pq()->PQpipelineSync)
#define PQresultErrorField	(pq()->PQresultErrorField)
#define PQresultErrorMessage	(pq()->PQresultErrorMessage)
#define PQresultStatus	(pq()->PQresultStatus)
#define PQsendQueryParams	(pq()->PQsendQueryParams)
#define PQsetNoticeReceiver	(pq()->PQsetNoticeReceiver)
#define PQsetSingleRowMode	(pq()->PQsetSingleRowMode)
#define PQstatus	(pq()->PQstatus)
#define PQtransactionStatus	(pq()->PQtransactionStatus)
#endif

#endif
