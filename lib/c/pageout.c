// usage: starphleet-pageout PID
//
// Tells the kernel that the pages of PID's own executable, as mapped in PID,
// may go (process_madvise(2), MADV_PAGEOUT; Linux 5.10 and later). They are
// clean file pages: those PID still uses come back on its next touch, the
// rest stop counting in its RSS. The agent runs this on itself after a busy
// spell (lib/ts/core/memory-trim.ts): with JavaScriptCore's JIT off it has no
// FFI to call madvise(2) from, and a child can advise its parent's pages.
// Prints the bytes advised. Needs CAP_SYS_NICE and ptrace read access to PID
// (root has both). Exit: 0 done, 1 could not, 2 usage.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static int usage(void) {
  fprintf(stderr, "usage: starphleet-pageout PID\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc != 2) return usage();
  char *end = NULL;
  errno = 0;
  long pid = strtol(argv[1], &end, 10);
  if (errno != 0 || end == argv[1] || *end != '\0' || pid <= 0 || pid > INT_MAX) return usage();

  // The pidfd first: the maps read after it are those of this very process.
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pidfd < 0) {
    fprintf(stderr, "starphleet-pageout: pid %ld: %s\n", pid, strerror(errno));
    return 1;
  }
  char path[64], exe[PATH_MAX];
  snprintf(path, sizeof path, "/proc/%ld/exe", pid);
  ssize_t n = readlink(path, exe, sizeof exe - 1);
  if (n < 0) {
    fprintf(stderr, "starphleet-pageout: %s: %s\n", path, strerror(errno));
    return 1;
  }
  exe[n] = '\0';
  snprintf(path, sizeof path, "/proc/%ld/maps", pid);
  FILE *maps = fopen(path, "r");
  if (maps == NULL) {
    fprintf(stderr, "starphleet-pageout: %s: %s\n", path, strerror(errno));
    return 1;
  }

  unsigned long long advised = 0;
  char line[PATH_MAX + 256];
  while (fgets(line, sizeof line, maps) != NULL) {
    unsigned long from, to;
    int at = 0;
    // "from-to perms offset dev inode   path"
    if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &from, &to, &at) < 2 || at == 0) continue;
    char *file = line + at;
    file[strcspn(file, "\n")] = '\0';
    if (strcmp(file, exe) != 0) continue;
    struct iovec range = { .iov_base = (void *)from, .iov_len = to - from };
    long r = syscall(SYS_process_madvise, pidfd, &range, 1, MADV_PAGEOUT, 0);
    if (r < 0) {
      fprintf(stderr, "starphleet-pageout: process_madvise: %s\n", strerror(errno));
      fclose(maps);
      return 1;
    }
    advised += (unsigned long long)r;
  }
  fclose(maps);
  printf("%llu\n", advised);
  return 0;
}
