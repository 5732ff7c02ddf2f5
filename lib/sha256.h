/* sha256.h -- SHA-256 as lower-case hex, over a file, a text or a running
 * digest (OpenSSL's EVP underneath). Every workbook, summary and database
 * row names a file by these 64 hex digits. */
#ifndef SVC_SHA256_H
#define SVC_SHA256_H

#include <stddef.h>

struct evp_md_ctx_st;

#define SHA256_HEX_SIZE 65      /* 64 hex digits and the NUL */

/* Hex SHA-256 of a whole file; 0, or -1 with errno set (the file could not
 * be opened or read; ENOMEM when OpenSSL could not start a digest). */
int sha256_file(const char *path, char hex[SHA256_HEX_SIZE],
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
