// starphleet-supervise: one container's supervisor (the conmon pattern). It
// runs COMMAND (container-run, which execs lxc-execute), owns its stdout and
// stderr so the container outlives the agent, writes them as numbered lines
// into a capped log, hands the phleet secrets on through fd 3, and records
// the exit status. In C because it runs once per container for as long as
// the container does: its whole cost is a few hundred KiB.
//
// Why not s6-log or svlogd: neither numbers its lines nor tags stdout and
// stderr in one file, and the agent counts lost lines by those numbers.
//
// Line format (lib/ts/container/supervisor-line.ts parses it):
//   TIME SEQ SOURCE TEXT\n   TIME = 2026-11-26T12:00:00.000Z (UTC),
//   SEQ counts every line, SOURCE = stdout|stderr|supervisor. TEXT is the
//   line without "\n" (and a "\r" before it); control bytes and bytes that
//   are not UTF-8 are written as \xHH, so a line is always one line. A line
//   over 16 KiB is split into 16 KiB pieces, never dropped.
// The log is renamed to LOG.1 when the next write would pass 5 MiB.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINE 16384
#define LOG_CAP (5L * 1024 * 1024)
#define MAX_SECRETS (16L * 1024 * 1024)
#define READ_CHUNK 65536

static const char *log_path;
static char log_rotated[PATH_MAX];
static off_t log_size;
static unsigned long long seq;
static volatile pid_t child_pid = -1;

// The lines of one read, written with one write() so a reader never sees
// half of a batch's last line.
static char *batch;
static size_t batch_len, batch_cap;
static char stamp[96];

struct splitter {
  const char *source;
  char line[MAX_LINE];
  size_t len;
};

static void usage(void) {
  fputs("usage: starphleet-supervise [--secrets-stdin] LOG PIDFILE EXITFILE COMMAND [ARG...]\n", stderr);
  exit(2);
}

static void die(const char *what) {
  fprintf(stderr, "starphleet-supervise: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void reserve(size_t more) {
  if (batch_len + more <= batch_cap) return;
  size_t cap = batch_cap ? batch_cap : 4096;
  while (cap < batch_len + more) cap *= 2;
  char *grown = realloc(batch, cap);
  if (!grown) die("out of memory");
  batch = grown;
  batch_cap = cap;
}

static void put(const char *s, size_t n) {
  reserve(n);
  memcpy(batch + batch_len, s, n);
  batch_len += n;
}

static void put_hex(unsigned char b) {
  char hex[5];
  snprintf(hex, sizeof hex, "\\x%02x", b);
  put(hex, 4);
}

static void take_stamp(void) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000));
}

// Length of the valid UTF-8 character at s (n bytes left), or 0. Overlong
// forms, surrogates, code points past U+10FFFF and U+FFFD itself (what a
// decoder makes of bad bytes) are not valid: their bytes are escaped.
static size_t utf8_char(const unsigned char *s, size_t n) {
  size_t len;
  unsigned long cp, min;
  if (s[0] >= 0xc0 && s[0] <= 0xdf) { len = 2; cp = s[0] & 0x1f; min = 0x80; }
  else if (s[0] >= 0xe0 && s[0] <= 0xef) { len = 3; cp = s[0] & 0x0f; min = 0x800; }
  else if (s[0] >= 0xf0 && s[0] <= 0xf7) { len = 4; cp = s[0] & 0x07; min = 0x10000; }
  else return 0;
  if (len > n) return 0;
  for (size_t k = 1; k < len; k++) {
    if ((s[k] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[k] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffd) return 0;
  return len;
}

static void put_line(const char *source, const unsigned char *text, size_t n) {
  char head[160];
  int h = snprintf(head, sizeof head, "%s %llu %s ", stamp, ++seq, source);
  put(head, (size_t)h);
  reserve(n * 4 + 1);
  for (size_t i = 0; i < n;) {
    unsigned char b = text[i];
    if (b < 0x80) {
      if ((b < 0x20 && b != 0x09) || b == 0x7f) put_hex(b);
      else batch[batch_len++] = (char)b;
      i++;
      continue;
    }
    size_t len = utf8_char(text + i, n - i);
    if (len) { memcpy(batch + batch_len, text + i, len); batch_len += len; i += len; }
    else { put_hex(b); i++; }
  }
  put("\n", 1);
}

static void log_flush(void) {
  if (batch_len == 0) return;
  if (log_size + (off_t)batch_len > LOG_CAP && log_size > 0) {
    if (rename(log_path, log_rotated) != 0 && errno != ENOENT) die("rotate log");
    log_size = 0;
  }
  // Opened per batch: a log removed while the container runs is made again.
  int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd >= 0) {
    for (size_t done = 0; done < batch_len;) {
      ssize_t w = write(fd, batch + done, batch_len - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      done += (size_t)w;
    }
    close(fd);
  }
  log_size += (off_t)batch_len;
  batch_len = 0;
}

static void supervisor_line(const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  take_stamp();
  put_line("supervisor", (const unsigned char *)text, n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
  log_flush();
}

static void split(struct splitter *sp, const unsigned char *data, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (data[i] == '\n') {
      size_t len = sp->len;
      if (len && sp->line[len - 1] == '\r') len--;
      put_line(sp->source, (const unsigned char *)sp->line, len);
      sp->len = 0;
      continue;
    }
    if (sp->len == MAX_LINE) { put_line(sp->source, (const unsigned char *)sp->line, sp->len); sp->len = 0; }
    sp->line[sp->len++] = (char)data[i];
  }
}

static void mkdir_parents(const char *file) {
  char dir[PATH_MAX];
  if (snprintf(dir, sizeof dir, "%s", file) >= (int)sizeof dir) { errno = ENAMETOOLONG; die(file); }
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) die(dir);
    *p = '/';
  }
}

static void write_file(const char *path, const char *text) {
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) { errno = ENAMETOOLONG; die(path); }
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die(tmp);
  size_t n = strlen(text);
  if (write(fd, text, n) != (ssize_t)n) die(tmp);
  close(fd);
  if (rename(tmp, path) != 0) die(path); // whole or absent, never half written
}

static char *read_all(int fd, size_t *len) {
  size_t cap = 4096;
  char *buf = malloc(cap);
  if (!buf) die("out of memory");
  *len = 0;
  for (;;) {
    if (*len == cap) {
      if (cap >= MAX_SECRETS) { errno = EFBIG; die("secrets on stdin"); }
      char *grown = realloc(buf, cap * 2);
      if (!grown) die("out of memory");
      buf = grown;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + *len, cap - *len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("read secrets");
    if (r == 0) return buf;
    *len += (size_t)r;
  }
}

// Signals to the supervisor are for the container.
static void forward(int sig) {
  if (child_pid > 0) kill(child_pid, sig);
}

int main(int argc, char **argv) {
  int arg = 1, secrets_stdin = 0;
  if (arg < argc && strcmp(argv[arg], "--secrets-stdin") == 0) { secrets_stdin = 1; arg++; }
  if (argc - arg < 4) usage();
  log_path = argv[arg];
  const char *pid_file = argv[arg + 1];
  const char *exit_file = argv[arg + 2];
  char **command = argv + arg + 3;
  if (snprintf(log_rotated, sizeof log_rotated, "%s.1", log_path) >= (int)sizeof log_rotated) usage();

  size_t secrets_len = 0;
  char *secrets = secrets_stdin ? read_all(0, &secrets_len) : NULL;

  mkdir_parents(log_path);
  mkdir_parents(pid_file);
  struct stat st;
  log_size = stat(log_path, &st) == 0 ? st.st_size : 0;
  unlink(exit_file);
  char pid_text[32];
  snprintf(pid_text, sizeof pid_text, "%d\n", (int)getpid());
  write_file(pid_file, pid_text);

  int out[2], err[2], sec[2], exec_err[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(sec, O_CLOEXEC) || pipe2(exec_err, O_CLOEXEC)) die("pipe");
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);

  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) _exit(127);
    if (sec[0] == 3) fcntl(3, F_SETFD, 0);
    else if (dup2(sec[0], 3) < 0) _exit(127);
    char *env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", NULL};
    execve(command[0], command, env);
    int e = errno;
    if (write(exec_err[1], &e, sizeof e) < 0) _exit(127);
    _exit(127);
  }
  child_pid = pid;
  close(out[1]);
  close(err[1]);
  close(sec[0]);
  close(exec_err[1]);

  int code = -1, exec_errno = 0;
  ssize_t got;
  do got = read(exec_err[0], &exec_errno, sizeof exec_errno); while (got < 0 && errno == EINTR);
  close(exec_err[0]);
  if (got == (ssize_t)sizeof exec_errno) {
    supervisor_line("cannot start: %s: %s", command[0], strerror(exec_errno));
    code = 127;
  }

  fcntl(sec[1], F_SETFL, O_NONBLOCK);
  size_t secrets_done = 0;
  int sec_fd = secrets_len > 0 && code < 0 ? sec[1] : (close(sec[1]), -1);
  struct splitter streams[2] = {{.source = "stdout"}, {.source = "stderr"}};
  int fds[2] = {out[0], err[0]};
  static unsigned char chunk[READ_CHUNK];
  while (fds[0] >= 0 || fds[1] >= 0 || sec_fd >= 0) {
    struct pollfd p[3];
    int n = 0;
    for (int s = 0; s < 2; s++) if (fds[s] >= 0) p[n++] = (struct pollfd){.fd = fds[s], .events = POLLIN};
    if (sec_fd >= 0) p[n++] = (struct pollfd){.fd = sec_fd, .events = POLLOUT};
    if (poll(p, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    for (int k = 0; k < n; k++) {
      if (!p[k].revents) continue;
      if (p[k].fd == sec_fd) {
        ssize_t w = write(sec_fd, secrets + secrets_done, secrets_len - secrets_done);
        if (w > 0) secrets_done += (size_t)w;
        // All written, or the container ended before reading them.
        if (secrets_done == secrets_len || (w < 0 && errno != EAGAIN && errno != EINTR)) { close(sec_fd); sec_fd = -1; }
        continue;
      }
      int s = p[k].fd == fds[0] ? 0 : 1;
      ssize_t r = read(fds[s], chunk, sizeof chunk);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      take_stamp();
      if (r <= 0) {
        if (streams[s].len) put_line(streams[s].source, (const unsigned char *)streams[s].line, streams[s].len);
        streams[s].len = 0;
        close(fds[s]);
        fds[s] = -1;
      } else {
        split(&streams[s], chunk, (size_t)r);
      }
      log_flush();
    }
  }
  if (secrets) { explicit_bzero(secrets, secrets_len); free(secrets); }

  int status;
  pid_t w;
  do w = waitpid(pid, &status, 0); while (w < 0 && errno == EINTR);
  if (code < 0) code = w == pid && WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  supervisor_line("container exited with status %d", code);
  char code_text[16];
  snprintf(code_text, sizeof code_text, "%d\n", code);
  write_file(exit_file, code_text);
  unlink(pid_file);
  return code;
}
