/* sha256.c -- see sha256.h. */
#include "lib/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *sha256_open_regular(const char *path, bool no_link, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
                        (no_link ? O_NOFOLLOW : 0));
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int err = errno;
        /* O_NOFOLLOW on a link: ELOOP ("Too many levels of symbolic
         * links", which would mislead). A real loop is a link too. */
        *why = no_link && err == ELOOP ? "a symbolic link" : strerror(err);
        if (fd >= 0)
            close(fd);
        errno = err;
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        errno = S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
        *why = S_ISDIR(sb.st_mode) ? "Is a directory" : "not a regular file";
        return NULL;
    }
    int flags = fcntl(fd, F_GETFL);
    FILE *fp = NULL;
    if (flags == -1 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1 ||
        !(fp = fdopen(fd, "rb"))) {
        int err = errno;
        *why = strerror(err);
        close(fd);
        errno = err;
        return NULL;
    }
    return fp;
}

static void to_hex(const unsigned char *sum, unsigned n,
                   char hex[SHA256_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n && i < 32; i++) {
        hex[2 * i] = digits[sum[i] >> 4];
        hex[2 * i + 1] = digits[sum[i] & 15];
    }
    hex[64] = '\0';
}

EVP_MD_CTX *sha256_begin(void)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        md = NULL;
    }
    return md;
}

void sha256_add(EVP_MD_CTX *md, const void *p, size_t len)
{
    EVP_DigestUpdate(md, p, len);
}

void sha256_end(EVP_MD_CTX *md, char hex[SHA256_HEX_SIZE])
{
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(md, sum, &n);
    to_hex(sum, n, hex);
}

void sha256_free(EVP_MD_CTX *md)
{
    EVP_MD_CTX_free(md);
}

void sha256_bytes(const void *p, size_t len, char hex[SHA256_HEX_SIZE])
{
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(p, len, sum, &n, EVP_sha256(), NULL);
    to_hex(sum, n, hex);
}

int sha256_file(const char *path, bool no_link, char hex[SHA256_HEX_SIZE],
                unsigned long long *bytes)
{
    FILE *fp = sha256_open_regular(path, no_link, NULL);
    if (!fp)
        return -1;
    EVP_MD_CTX *md = sha256_begin();
    if (!md) {
        fclose(fp);
        errno = ENOMEM;
        return -1;
    }
    static char buf[1 << 16];
    size_t n;
    *bytes = 0;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
        sha256_add(md, buf, n);
        *bytes += n;
    }
    int err = ferror(fp) ? errno : 0;
    fclose(fp);
    if (err) {
        sha256_free(md);
        errno = err;
        return -1;
    }
    sha256_end(md, hex);
    sha256_free(md);
    return 0;
}
