/* sha256.h -- SHA-256 as lower-case hex, over a file, a text or a running
 * digest (OpenSSL's EVP underneath). Every workbook, summary and database
 * row names a file by these 64 hex digits. */
#ifndef SVC_SHA256_H
#define SVC_SHA256_H

#include <stddef.h>

struct evp_md_ctx_st;

#define SHA256_HEX_SIZE 65      /* 64 hex digits and the NUL */

/* Opens path for reading when it is a regular file, never blocking: a FIFO
 * or a device put under a name svcrecon reads (a feed replaced after its
 * checks, a workbook's or a statement's name in --out) blocked fopen() for
 * ever (tests/e2e/t8500). NULL otherwise, with errno set and *why (when
 * why is given) "not a regular file", "Is a directory" or strerror().
 * no_link: a path that is itself a symbolic link is not followed (ELOOP,
 * *why "a symbolic link"): `run`'s inbox files (etl/load.c). */
#include <stdbool.h>
#include <stdio.h>
FILE *sha256_open_regular(const char *path, bool no_link, const char **why);
/* Hex SHA-256 of a whole regular file (sha256_open_regular); 0, or -1 with
 * errno set (the file could not be opened or read, or is no regular file;
 * ENOMEM when OpenSSL could not start a digest). */
int sha256_file(const char *path, bool no_link, char hex[SHA256_HEX_SIZE],
                unsigned long long *bytes);
/* Hex SHA-256 of len bytes at p. */
void sha256_bytes(const void *p, size_t len, char hex[SHA256_HEX_SIZE]);
/* Running digest: sha256_begin() returns NULL when out of memory;
 * sha256_end() writes the hex and frees the digest (NULL is a no-op). */
struct evp_md_ctx_st *sha256_begin(void);
void sha256_add(struct evp_md_ctx_st *md, const void *p, size_t len);
void sha256_end(struct evp_md_ctx_st *md, char hex[SHA256_HEX_SIZE]);
void sha256_free(struct evp_md_ctx_st *md);

#endif
