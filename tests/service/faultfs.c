/* LD_PRELOAD fault injection for the checkpoint tests: writes to files whose name ends in
   HG_FAULT_SUFFIX (default ".tmp") fail with ENOSPC on the MPI rank HG_FAULT_RANK, once
   HG_FAULT_BYTES bytes have gone to the HG_FAULT_FILE-th such file (1 = the first) this
   process writes.  Without HG_FAULT_RANK set, or in a process without an Open MPI rank
   (mpiexec itself), every call goes straight through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int           armed = -1;
static long long     limit, written;
static int           nfile, wantfile;
static ino_t         lastino;
static char          suffix[64] = ".tmp";

static void Arm(void)
{
  const char *r = getenv("HG_FAULT_RANK"), *me = getenv("OMPI_COMM_WORLD_RANK"), *b = getenv("HG_FAULT_BYTES"), *f = getenv("HG_FAULT_FILE"), *s = getenv("HG_FAULT_SUFFIX");
  armed    = r && me && atoi(r) == atoi(me);
  limit    = b ? atoll(b) : 0;
  wantfile = f ? atoi(f) : 1;
  if (s) snprintf(suffix, sizeof(suffix), "%s", s);
}

/* 1: this write must fail */
static int Fail(int fd, size_t n)
{
  char        link[64], path[4096];
  ssize_t     len;
  size_t      ls = strlen(suffix);
  struct stat st;

  if (armed < 0) Arm();
  if (!armed) return 0;
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  len = readlink(link, path, sizeof(path) - 1);
  if (len <= 0) return 0;
  path[len] = 0;
  if ((size_t)len < ls || strcmp(path + len - ls, suffix)) return 0;
  if (fstat(fd, &st) == 0 && st.st_ino != lastino) {
    lastino = st.st_ino;
    nfile++;
    written = 0;
  }
  if (nfile != wantfile) return 0;
  if (written + (long long)n > limit) return 1;
  written += (long long)n;
  return 0;
}

#define NEXT(name) static __typeof__(name) *real; if (!real) real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *b, size_t n)
{
  NEXT(write);
  if (Fail(fd, n)) { errno = ENOSPC; return -1; }
  return real(fd, b, n);
}
ssize_t pwrite(int fd, const void *b, size_t n, off_t o)
{
  NEXT(pwrite);
  if (Fail(fd, n)) { errno = ENOSPC; return -1; }
  return real(fd, b, n, o);
}
ssize_t pwrite64(int fd, const void *b, size_t n, off_t o)
{
  NEXT(pwrite64);
  if (Fail(fd, n)) { errno = ENOSPC; return -1; }
  return real(fd, b, n, o);
}
static size_t IovLen(const struct iovec *v, int c)
{
  size_t n = 0;
  for (int i = 0; i < c; i++) n += v[i].iov_len;
  return n;
}
ssize_t writev(int fd, const struct iovec *v, int c)
{
  NEXT(writev);
  if (Fail(fd, IovLen(v, c))) { errno = ENOSPC; return -1; }
  return real(fd, v, c);
}
ssize_t pwritev(int fd, const struct iovec *v, int c, off_t o)
{
  NEXT(pwritev);
  if (Fail(fd, IovLen(v, c))) { errno = ENOSPC; return -1; }
  return real(fd, v, c, o);
}
ssize_t pwritev64(int fd, const struct iovec *v, int c, off_t o)
{
  NEXT(pwritev64);
  if (Fail(fd, IovLen(v, c))) { errno = ENOSPC; return -1; }
  return real(fd, v, c, o);
}
