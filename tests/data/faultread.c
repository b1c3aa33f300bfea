/* LD_PRELOAD fault injection for t602-mpiio-fault: in the MPI rank HG_FAULT_RANK, while the
   environment variable HG_FAULT_ARMED is "1" (both read at every call: the test sets them
   after writing its files), every
   read of at least HG_FAULT_MINLEN bytes (default 65536: data, not HDF5's small metadata reads)
   from a file whose name ends in HG_FAULT_SUFFIX (default ".h5") fails with EIO; with
   HG_FAULT_OPEN=1 it is opening such a file that fails instead (EACCES).  Without
   HG_FAULT_RANK, or in a process without an Open MPI rank (mpiexec), calls go straight through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>


/* 1: this read must fail */
static int Fail(int fd, size_t n)
{
  char        link[64], path[4096];
  const char *armed = getenv("HG_FAULT_ARMED"), *r = getenv("HG_FAULT_RANK"), *me = getenv("OMPI_COMM_WORLD_RANK");
  const char *m = getenv("HG_FAULT_MINLEN"), *suffix = getenv("HG_FAULT_SUFFIX");
  ssize_t     len;
  size_t      ls;

  /* read at every call: the test arms and moves the fault while it runs */
  if (!armed || strcmp(armed, "1") || !r || !me || atoi(r) != atoi(me) || n < (m ? (size_t)atoll(m) : 65536)) return 0;
  if (!suffix) suffix = ".h5";
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  len = readlink(link, path, sizeof(path) - 1);
  if (len <= 0) return 0;
  path[len] = 0;
  ls = strlen(suffix);
  return (size_t)len >= ls && !strcmp(path + len - ls, suffix);
}

#define NEXT(name) static __typeof__(name) *real; if (!real) real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

static size_t IovLen(const struct iovec *v, int c)
{
  size_t n = 0;
  for (int i = 0; i < c; i++) n += v[i].iov_len;
  return n;
}
ssize_t read(int fd, void *b, size_t n)
{
  NEXT(read);
  if (Fail(fd, n)) { errno = EIO; return -1; }
  return real(fd, b, n);
}
ssize_t pread(int fd, void *b, size_t n, off_t o)
{
  NEXT(pread);
  if (Fail(fd, n)) { errno = EIO; return -1; }
  return real(fd, b, n, o);
}
ssize_t pread64(int fd, void *b, size_t n, off_t o)
{
  NEXT(pread64);
  if (Fail(fd, n)) { errno = EIO; return -1; }
  return real(fd, b, n, o);
}
ssize_t readv(int fd, const struct iovec *v, int c)
{
  NEXT(readv);
  if (Fail(fd, IovLen(v, c))) { errno = EIO; return -1; }
  return real(fd, v, c);
}
ssize_t preadv(int fd, const struct iovec *v, int c, off_t o)
{
  NEXT(preadv);
  if (Fail(fd, IovLen(v, c))) { errno = EIO; return -1; }
  return real(fd, v, c, o);
}
ssize_t preadv64(int fd, const struct iovec *v, int c, off_t o)
{
  NEXT(preadv64);
  if (Fail(fd, IovLen(v, c))) { errno = EIO; return -1; }
  return real(fd, v, c, o);
}

/* open(2) of a matching file on the fault rank, with HG_FAULT_OPEN=1 */
static int FailOpen(const char *path)
{
  const char *armed = getenv("HG_FAULT_ARMED"), *r = getenv("HG_FAULT_RANK"), *me = getenv("OMPI_COMM_WORLD_RANK"), *o = getenv("HG_FAULT_OPEN"), *suffix = getenv("HG_FAULT_SUFFIX");
  size_t      n, ls;

  if (!armed || strcmp(armed, "1") || !o || strcmp(o, "1") || !r || !me || atoi(r) != atoi(me) || !path) return 0;
  if (!suffix) suffix = ".h5";
  n  = strlen(path);
  ls = strlen(suffix);
  return n >= ls && !strcmp(path + n - ls, suffix);
}
int open(const char *path, int flags, ...)
{
  mode_t  mode = 0;
  va_list ap;
  NEXT(open);
  va_start(ap, flags);
  if (flags & O_CREAT) mode = va_arg(ap, mode_t);
  va_end(ap);
  if (FailOpen(path)) { errno = EACCES; return -1; }
  return real(path, flags, mode);
}
int open64(const char *path, int flags, ...)
{
  mode_t  mode = 0;
  va_list ap;
  NEXT(open64);
  va_start(ap, flags);
  if (flags & O_CREAT) mode = va_arg(ap, mode_t);
  va_end(ap);
  if (FailOpen(path)) { errno = EACCES; return -1; }
  return real(path, flags, mode);
}
