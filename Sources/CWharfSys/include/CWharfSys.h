#ifndef CWHARFSYS_H
#define CWHARFSYS_H

/// Atomically exchanges the directory entries `a` and `b` (renameat2 with RENAME_EXCHANGE):
/// a reader sees one tree or the other at each path, never neither. Returns 0, or -1 with
/// errno set (EINVAL or ENOSYS where the file system or kernel cannot exchange).
int wharf_rename_exchange(const char *a, const char *b);

#endif
