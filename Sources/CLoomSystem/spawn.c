// Starting a task's process with the store fenced off and no process left behind.
//
// Shape: loom -> supervisor -> program.
// - The supervisor is cloned from loom (raw clone: no atfork handlers) into new mount and PID
//   namespaces when isolation is asked for (inside a new user namespace for an unprivileged
//   user). In the mount namespace it bind-mounts the store read-only, keeping the task's
//   output directory writable, so nothing the task runs can change a stored artifact (root
//   ignores file modes, a read-only mount it cannot undo without CAP_SYS_ADMIN in the initial
//   namespace... or in this one: a task running as root inside the namespace could remount,
//   which is why Loom also checks its inputs after every task).
// - The supervisor is PID 1 of the new PID namespace: when it exits, the kernel kills every
//   process left in the namespace before the exit completes (setsid and double forks do not
//   escape). Without namespaces it is a child subreaper and kills every descendant itself.
// - It forks the program, reaps whatever is reparented to it, and when the program exits,
//   passes its raw wait status up a pipe, kills the rest and exits. Loom waits for the
//   supervisor, so no process of the task is alive when Loom hashes the output.
//
// Between clone and exec only system calls run (the parent is multithreaded).
#define _GNU_SOURCE
#include "CLoomSystem.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ST_VALID
#define ST_VALID 0x0020
#endif

static pid_t raw_fork(unsigned long flags) {
    // clone(flags, newsp = 0, ...): fork semantics on a copy of the stack.
    return (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
}

static void report(int fd, int stage, int err) {
    int msg[2] = {stage, err};
    ssize_t n = write(fd, msg, sizeof msg);
    (void)n;
    _exit(127);
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t len = (ssize_t)strlen(text);
    ssize_t n = write(fd, text, (size_t)len);
    close(fd);
    return n == len ? 0 : -1;
}

// Decimal text of v into buf (no printf after clone).
static char *put_uint(char *buf, unsigned long v) {
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *buf++ = tmp[--n];
    return buf;
}

static void id_map(char *out, unsigned long id) {
    // "ID ID 1\n": the caller's own id maps to itself, which an unprivileged user may write.
    char *p = put_uint(out, id);
    *p++ = ' ';
    p = put_uint(p, id);
    memcpy(p, " 1\n", 4);
}

// Mount flags that a user namespace may not clear on a remount (they are locked).
static unsigned long locked_flags(const char *path) {
    struct statfs s;
    if (statfs(path, &s) != 0 || !(s.f_flags & ST_VALID)) return 0;
    unsigned long f = 0;
    if (s.f_flags & ST_NOSUID) f |= MS_NOSUID;
    if (s.f_flags & ST_NODEV) f |= MS_NODEV;
    if (s.f_flags & ST_NOEXEC) f |= MS_NOEXEC;
    if (s.f_flags & ST_NOATIME) f |= MS_NOATIME;
    if (s.f_flags & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (s.f_flags & ST_RELATIME) f |= MS_RELATIME;
    return f;
}

static int fence(const char *read_only, const char *writable) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return -1;
    if (!read_only) return 0;
    // The output first becomes a mount of its own, so the read-only remount of the store
    // (not recursive) leaves it writable.
    if (writable && mount(writable, writable, NULL, MS_BIND, NULL) != 0) return -1;
    if (mount(read_only, read_only, NULL, MS_BIND | MS_REC, NULL) != 0) return -1;
    unsigned long keep = locked_flags(read_only);
    if (mount(NULL, read_only, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) != 0) return -1;
    return 0;
}

// Closes every descriptor from 3 up except the three given (system calls only).
static void close_all_but(int a, int b, int c) {
    int keep[3] = {a, b, c};
    for (int i = 0; i < 3; i++)  // sort the three
        for (int j = i + 1; j < 3; j++)
            if (keep[j] < keep[i]) { int t = keep[i]; keep[i] = keep[j]; keep[j] = t; }
    unsigned int from = 3;
    for (int i = 0; i < 3; i++) {
        if (keep[i] < (int)from) continue;
        if ((unsigned int)keep[i] > from && syscall(SYS_close_range, from, (unsigned int)keep[i] - 1, 0) != 0)
            for (unsigned int fd = from; fd < (unsigned int)keep[i]; fd++) close((int)fd);
        from = (unsigned int)keep[i] + 1;
    }
    if (syscall(SYS_close_range, from, ~0U, 0) != 0)
        for (unsigned int fd = from; fd < 65536; fd++) close((int)fd);
}

static void exec_program(const struct loom_spawn_request *r, int err_fd) {
    sigset_t none;
    sigemptyset(&none);
    // Loom ignores SIGINT/SIGTERM/SIGHUP itself, and ignored signals survive exec.
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    // Handlers do not survive exec; only ignored signals do. These are the ones Loom (or the
    // Swift runtime, or whoever started Loom) may ignore; resetting all 64 cost a millisecond.
    static const int ignorable[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2, SIGALRM};
    for (unsigned i = 0; i < sizeof ignorable / sizeof ignorable[0]; i++) sigaction(ignorable[i], &dfl, NULL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(r->log_fd, 1) < 0 || dup2(r->log_fd, 2) < 0) report(err_fd, 3, errno);
    if (chdir(r->cwd) != 0) report(err_fd, 3, errno);
    execve(r->path, r->argv, r->envp);
    report(err_fd, 3, errno);
}

// Kills every listed child; returns how many, or -1 if the kernel cannot list them.
static int kill_children(void) {
    char path[64] = "/proc/self/task/";
    char *p = put_uint(path + strlen(path), (unsigned long)syscall(SYS_gettid));
    memcpy(p, "/children", 10);
    char buf[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    int killed = 0;
    unsigned long v = 0;
    int in = 0;
    for (ssize_t i = 0; i <= n; i++) {
        if (i < n && buf[i] >= '0' && buf[i] <= '9') { v = v * 10 + (unsigned long)(buf[i] - '0'); in = 1; }
        else if (in) { kill((pid_t)v, SIGKILL); killed++; v = 0; in = 0; }
    }
    return killed;
}

// Without a PID namespace: kill every child, and, as they die, the children reparented to
// this subreaper, until none is left.
static void kill_descendants(void) {
    for (int round = 0; round < 1000000; round++) {
        int k = kill_children();
        if (k < 0) return;  // no /proc/.../children: best effort only (the caller warns)
        int st;
        pid_t w = waitpid(-1, &st, k > 0 ? 0 : WNOHANG);
        if (w < 0 && errno == ECHILD) return;
        if (w == 0) usleep(1000);  // a child not listed yet (being reparented)
    }
}

static void supervise(const struct loom_spawn_request *r, int err_fd, int status_fd, int in_pid_ns) {
    setpgid(0, 0);
    if (!in_pid_ns) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    // Stopping a task signals its process group: the program takes the signal, the supervisor
    // stays to reap it and report (as PID 1 it would ignore these anyway). SIGKILL still works.
    // (No PR_SET_PDEATHSIG: it fires when the loom *thread* that cloned us exits.)
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    // vfork: the supervisor is single-threaded and waits until the program has exec'd, so the
    // program need not copy the page tables of loom's address space (a second fork did, about a
    // millisecond per task).
    pid_t child = vfork();
    if (child < 0) report(err_fd, 4, errno);
    if (child == 0) exec_program(r, err_fd);
    close(err_fd);  // the program's exec closes its copy; EOF tells loom it started
    int st = 0, main_status = 0;
    for (;;) {
        pid_t w = waitpid(-1, &st, 0);
        if (w == child) { main_status = st; break; }
        if (w < 0 && errno != EINTR) break;
    }
    ssize_t n = write(status_fd, &main_status, sizeof main_status);
    (void)n;
    // In a PID namespace our exit kills the rest; otherwise find and kill them.
    if (!in_pid_ns) kill_descendants();
    _exit(0);
}

int loom_spawn(const struct loom_spawn_request *r, pid_t *pid, int *status_fd, int *stage) {
    int err_pipe[2], status_pipe[2];
    *stage = 0;
    if (pipe2(err_pipe, O_CLOEXEC) != 0) return errno;
    if (pipe2(status_pipe, O_CLOEXEC) != 0) { int e = errno; close(err_pipe[0]); close(err_pipe[1]); return e; }
    unsigned long flags = 0;
    if (r->isolation == LOOM_ISOLATION_NAMESPACES) flags = CLONE_NEWNS | CLONE_NEWPID;
    if (r->isolation == LOOM_ISOLATION_USER_NAMESPACES) flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID;
    char uid_map[64], gid_map[64];
    id_map(uid_map, (unsigned long)geteuid());
    id_map(gid_map, (unsigned long)getegid());
    pid_t p = raw_fork(flags);
    if (p < 0) {
        int e = errno;
        close(err_pipe[0]); close(err_pipe[1]); close(status_pipe[0]); close(status_pipe[1]);
        return e;
    }
    if (p == 0) {
        close(err_pipe[0]);
        close(status_pipe[0]);
        if (r->isolation == LOOM_ISOLATION_USER_NAMESPACES) {
            if (write_file("/proc/self/setgroups", "deny") != 0 || write_file("/proc/self/uid_map", uid_map) != 0
                || write_file("/proc/self/gid_map", gid_map) != 0) report(err_pipe[1], 1, errno);
        }
        if (flags && fence(r->read_only, r->writable) != 0) report(err_pipe[1], 2, errno);
        // The supervisor never execs, so every descriptor of loom's it does not need is closed
        // now: above all the project lock's, which would otherwise keep the lock held by an
        // orphaned task after loom died. The ones kept are close-on-exec for the program.
        close_all_but(err_pipe[1], status_pipe[1], r->log_fd);
        // The status pipe must survive into the supervisor only (it never execs).
        supervise(r, err_pipe[1], status_pipe[1], flags != 0);
    }
    setpgid(p, p);  // also done by the child; whichever runs first, kill(-p) finds the group
    close(err_pipe[1]);
    close(status_pipe[1]);
    int msg[2];
    ssize_t n;
    do { n = read(err_pipe[0], msg, sizeof msg); } while (n < 0 && errno == EINTR);
    close(err_pipe[0]);
    if (n == (ssize_t)sizeof msg) {
        int st;
        while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
        close(status_pipe[0]);
        *stage = msg[0];
        return msg[1] ? msg[1] : EIO;
    }
    *pid = p;
    *status_fd = status_pipe[0];
    return 0;
}

int loom_set_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

struct build_id_search { unsigned char *out; int capacity; int found; };

static int find_build_id(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct build_id_search *s = data;
    // The first object is the executable itself.
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE) continue;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const unsigned char *name = p + sizeof(ElfW(Nhdr));
            const unsigned char *desc = name + ((nh->n_namesz + 3) & ~3U);
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                int n = (int)nh->n_descsz < s->capacity ? (int)nh->n_descsz : s->capacity;
                memcpy(s->out, desc, (size_t)n);
                s->found = n;
                return 1;
            }
            p = desc + ((nh->n_descsz + 3) & ~3U);
        }
    }
    return 1;  // only the executable
}

int loom_build_id(unsigned char *out, int capacity) {
    struct build_id_search s = {out, capacity, 0};
    dl_iterate_phdr(find_build_id, &s);
    return s.found;
}
