// renameat2 is a GNU extension: Swift's Glibc module does not declare it, so it is reached
// through this one-line wrapper.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include "CWharfSys.h"

int wharf_rename_exchange(const char *a, const char *b) {
    return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}
