// Starting a task's process with the store fenced off and no process left behind.
//
// Shape: loom -> supervisor -> program.
// - The supervisor is cloned from loom sharing its memory (CLONE_VM, on a stack of its own, like
//   posix_spawn's child): no copy of loom's page tables and no copy-on-write faults in loom while
//   tasks run (a plain fork cost about a millisecond per task). It is cloned into new mount and
//   PID namespaces when isolation is asked for (inside a new user namespace for an unprivileged
//   user). In the mount namespace it bind-mounts the store read-only, keeping the task's output
//   directory writable, so nothing the task runs can change a stored artifact (root ignores file
//   modes; a task running as root inside the namespace could still remount, which is why Loom
//   also checks its inputs after every task).
// - The supervisor is PID 1 of the new PID namespace: when it exits, the kernel kills every
//   process left in the namespace before the exit completes (setsid and double forks do not
//   escape). Without namespaces it is a child subreaper and kills every descendant itself.
// - It starts the program (CLONE_VM | CLONE_VFORK: suspended until the program has exec'd),
//   reaps whatever is reparented to it, and when the program exits, kills and reaps the rest,
//   passes the program's raw wait status up a pipe and exits. Loom reads the status (or, if the
//   supervisor died without writing it, waits for the supervisor), so no process of the task
//   is alive when Loom hashes the output.
//
// Because the supervisor shares loom's memory and thread pointer, it calls nothing of libc's
// after the clone but `clone` itself: only raw system calls (`sys`), which touch no errno and no
// lock. It reads only
// its own stack and `struct job`, which lives on that stack; argv and envp (loom's memory) are
// read only until the program's exec, and loom_spawn returns only after that.
#define _GNU_SOURCE
#include "CLoomSystem.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <sched.h>
#include <spawn.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef ST_VALID
#define ST_VALID 0x0020
#endif

// A raw system call: returns the result, or -errno. No libc, no errno, no TLS.
static inline long sys(long n, long a, long b, long c, long d, long e, long f) {
#if defined(__x86_64__)
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
    return ret;
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
#else
#error "raw system calls are written for x86_64 and aarch64"
#endif
}
#define SYS0(n) sys(n, 0, 0, 0, 0, 0, 0)
#define SYS1(n, a) sys(n, (long)(a), 0, 0, 0, 0, 0)
#define SYS2(n, a, b) sys(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(n, a, b, c) sys(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(n, a, b, c, d) sys(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define SYS5(n, a, b, c, d, e) sys(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

// The kernel's struct sigaction for rt_sigaction (not libc's).
struct ksigaction { unsigned long handler, flags, restorer, mask; };

static void set_signal(int s, unsigned long handler) {
    struct ksigaction a = {handler, 0, 0, 0};
    SYS4(SYS_rt_sigaction, s, &a, 0, 8);
}

static unsigned long mem_len(const char *s) { unsigned long n = 0; while (s[n]) n++; return n; }

// Everything the supervisor needs, on its own stack.
struct job {
    const struct loom_spawn_request *r;  // loom's memory: read only until the program's exec
    int err_fd, status_fd, flags_userns, in_pid_ns;
    char uid_map[64], gid_map[64];
};

static void report(int fd, int stage, long err) {
    int msg[2] = {stage, (int)-err};
    SYS3(SYS_write, fd, msg, sizeof msg);
    SYS1(SYS_exit, 127);
    __builtin_unreachable();
}

static long write_file(const char *path, const char *text) {
    long fd = SYS4(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC, 0);
    if (fd < 0) return fd;
    long len = (long)mem_len(text);
    long n = SYS3(SYS_write, fd, text, len);
    SYS1(SYS_close, fd);
    return n == len ? 0 : (n < 0 ? n : -EIO);
}

// Decimal text of v into buf.
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
    if (SYS2(SYS_statfs, path, &s) != 0 || !(s.f_flags & ST_VALID)) return 0;
    unsigned long f = 0;
    if (s.f_flags & MS_NOSUID) f |= MS_NOSUID;      // statfs's ST_* bits are the MS_* bits
    if (s.f_flags & MS_NODEV) f |= MS_NODEV;
    if (s.f_flags & MS_NOEXEC) f |= MS_NOEXEC;
    if (s.f_flags & MS_NOATIME) f |= MS_NOATIME;
    if (s.f_flags & MS_NODIRATIME) f |= MS_NODIRATIME;
    if (s.f_flags & MS_RELATIME) f |= MS_RELATIME;
    return f;
}

static long fence(const char *read_only, const char *writable) {
    long rc = SYS5(SYS_mount, 0, "/", 0, MS_REC | MS_PRIVATE, 0);
    if (rc != 0 || !read_only) return rc;
    // The output first becomes a mount of its own, so the read-only remount of the store
    // (not recursive) leaves it writable.
    if (writable && (rc = SYS5(SYS_mount, writable, writable, 0, MS_BIND, 0)) != 0) return rc;
    if ((rc = SYS5(SYS_mount, read_only, read_only, 0, MS_BIND | MS_REC, 0)) != 0) return rc;
    unsigned long keep = locked_flags(read_only);
    return SYS5(SYS_mount, 0, read_only, 0, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, 0);
}

// Closes every descriptor from 3 up except the three given.
static void close_all_but(int a, int b, int c) {
    int keep[3] = {a, b, c};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (keep[j] < keep[i]) { int t = keep[i]; keep[i] = keep[j]; keep[j] = t; }
    unsigned int from = 3;
    for (int i = 0; i < 3; i++) {
        if (keep[i] < (int)from) continue;
        if ((unsigned int)keep[i] > from && SYS3(SYS_close_range, from, (unsigned int)keep[i] - 1, 0) != 0)
            for (unsigned int fd = from; fd < (unsigned int)keep[i]; fd++) SYS1(SYS_close, fd);
        from = (unsigned int)keep[i] + 1;
    }
    if (SYS3(SYS_close_range, from, ~0U, 0) != 0)
        for (unsigned int fd = from; fd < 65536; fd++) SYS1(SYS_close, fd);
}

static long dup_to(int from, int to) { return from == to ? to : SYS3(SYS_dup3, from, to, 0); }

// The program: runs on its own stack, sharing memory with the (suspended) supervisor.
static int exec_program(void *arg) {
    struct job *j = arg;
    const struct loom_spawn_request *r = j->r;
    // Handlers do not survive exec; ignored signals do (Loom ignores SIGINT/SIGTERM/SIGHUP).
    for (int s = 1; s < 65; s++) if (s != SIGKILL && s != SIGSTOP) set_signal(s, (unsigned long)SIG_DFL);
    unsigned long none = 0;
    SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &none, 0, 8);
    long null_fd = SYS4(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC, 0);
    long rc;
    if (null_fd < 0) report(j->err_fd, 3, null_fd);
    if ((rc = dup_to((int)null_fd, 0)) < 0 || (rc = dup_to(r->log_fd, 1)) < 0 || (rc = dup_to(r->log_fd, 2)) < 0) report(j->err_fd, 3, rc);
    if ((rc = SYS1(SYS_chdir, r->cwd)) != 0) report(j->err_fd, 3, rc);
    rc = SYS3(SYS_execve, r->path, r->argv, r->envp);
    report(j->err_fd, 3, rc);
    return 0;
}

// Kills every listed child; returns how many, or -1 if the kernel cannot list them.
static int kill_children(void) {
    char path[64] = "/proc/self/task/";
    char *p = put_uint(path + 16, (unsigned long)SYS0(SYS_gettid));
    memcpy(p, "/children", 10);
    char buf[4096];
    long fd = SYS4(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return -1;
    long n = SYS3(SYS_read, fd, buf, sizeof buf - 1);
    SYS1(SYS_close, fd);
    int killed = 0;
    unsigned long v = 0;
    int in = 0;
    for (long i = 0; i <= n; i++) {
        if (i < n && buf[i] >= '0' && buf[i] <= '9') { v = v * 10 + (unsigned long)(buf[i] - '0'); in = 1; }
        else if (in) { SYS2(SYS_kill, v, SIGKILL); killed++; v = 0; in = 0; }
    }
    return killed;
}

// Without a PID namespace: kill every child, and, as they die, the children reparented to
// this subreaper, until none is left.
static void kill_descendants(void) {
    for (int round = 0; round < 1000000; round++) {
        int k = kill_children();
        if (k < 0) return;  // no /proc/.../children: best effort only
        int st;
        long w = SYS4(SYS_wait4, -1, &st, k > 0 ? 0 : WNOHANG, 0);
        if (w == -ECHILD) return;
        if (w == 0) { struct timespec ms = {0, 1000000}; SYS2(SYS_nanosleep, &ms, 0); }  // not listed yet
    }
}

static int supervise(void *arg) {
    struct job *j = arg;
    const struct loom_spawn_request *r = j->r;
    // Loom's handlers are loom's code: none may run here. Stopping a task signals its process
    // group: the program takes the signal, the supervisor stays to reap it and report (as PID 1
    // it would ignore these anyway). SIGKILL still works.
    for (int s = 1; s < 65; s++) if (s != SIGKILL && s != SIGSTOP) set_signal(s, (unsigned long)SIG_DFL);
    set_signal(SIGTERM, (unsigned long)SIG_IGN);
    set_signal(SIGINT, (unsigned long)SIG_IGN);
    set_signal(SIGHUP, (unsigned long)SIG_IGN);
    unsigned long none = 0;
    SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &none, 0, 8);
    long rc;
    if (j->flags_userns) {
        if ((rc = write_file("/proc/self/setgroups", "deny")) != 0 || (rc = write_file("/proc/self/uid_map", j->uid_map)) != 0
            || (rc = write_file("/proc/self/gid_map", j->gid_map)) != 0) report(j->err_fd, 1, rc);
    }
    if (j->in_pid_ns && (rc = fence(r->read_only, r->writable)) != 0) report(j->err_fd, 2, rc);
    // The supervisor keeps only what it needs of loom's descriptors: above all not the project
    // lock's, which would keep the lock held by an orphaned task after loom died. Those kept are
    // close-on-exec for the program.
    close_all_but(j->err_fd, j->status_fd, r->log_fd);
    SYS2(SYS_setpgid, 0, 0);
    if (!j->in_pid_ns) SYS5(SYS_prctl, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    // The program: CLONE_VFORK suspends the supervisor until it has exec'd (or failed). libc's
    // clone wrapper starts it on its own stack; in the child it touches nothing but registers.
    char stack[16384] __attribute__((aligned(16)));
    long child = clone(exec_program, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, j);
    if (child < 0) child = -EAGAIN;   // (errno is loom's thread's: not read)
    if (child < 0) report(j->err_fd, 4, child);
    SYS1(SYS_close, j->err_fd);  // the program's copy closed at exec: EOF tells loom it started
    int st = 0, main_status = 0;
    for (;;) {
        long w = SYS4(SYS_wait4, -1, &st, 0, 0);
        if (w == child) { main_status = st; break; }
        if (w < 0 && w != -EINTR) break;
    }
    // Everything else of the task is killed and reaped before the status goes up: Loom goes on
    // (checks and hashes the output) as soon as it reads it, while this process's exit tears
    // down the namespaces, which took 1-1.5 ms per task on the bench machine. As PID 1 of the
    // namespace, kill(-1) reaches every other process in it, and the orphans come to us to be
    // reaped; again until none is left (one forked while the first kill went round).
    if (j->in_pid_ns) {
        for (;;) {
            SYS2(SYS_kill, -1, SIGKILL);
            long w = SYS4(SYS_wait4, -1, &st, __WALL, 0);
            if (w < 0 && w != -EINTR) break;   // ECHILD: none left
        }
    } else {
        kill_descendants();
    }
    SYS3(SYS_write, j->status_fd, &main_status, sizeof main_status);
    SYS1(SYS_exit, 0);
    return 0;
}

enum { supervisor_stack = 256 * 1024 };

int loom_spawn(const struct loom_spawn_request *r, pid_t *pid, int *status_fd, int *stage, void **stack) {
    int err_pipe[2], status_pipe[2];
    *stage = 0;
    *stack = NULL;
    if (pipe2(err_pipe, O_CLOEXEC) != 0) return errno;
    if (pipe2(status_pipe, O_CLOEXEC) != 0) { int e = errno; close(err_pipe[0]); close(err_pipe[1]); return e; }
    unsigned long flags = CLONE_VM | SIGCHLD;
    if (r->isolation == LOOM_ISOLATION_NAMESPACES) flags |= CLONE_NEWNS | CLONE_NEWPID;
    if (r->isolation == LOOM_ISOLATION_USER_NAMESPACES) flags |= CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID;
    void *mem = mmap(NULL, supervisor_stack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (mem == MAP_FAILED) { int e = errno; close(err_pipe[0]); close(err_pipe[1]); close(status_pipe[0]); close(status_pipe[1]); return e; }
    // The job sits at the top of the supervisor's stack.
    struct job *j = (struct job *)((char *)mem + supervisor_stack - sizeof(struct job));
    j->r = r;
    j->err_fd = err_pipe[1];
    j->status_fd = status_pipe[1];
    j->flags_userns = r->isolation == LOOM_ISOLATION_USER_NAMESPACES;
    j->in_pid_ns = r->isolation != LOOM_ISOLATION_NONE;
    id_map(j->uid_map, (unsigned long)geteuid());
    id_map(j->gid_map, (unsigned long)getegid());
    char *top = (char *)((unsigned long)j & ~15UL);
    // No signal may reach loom's handlers on the supervisor's thread before it resets them.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t p = clone(supervise, top, (int)flags, j);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (p < 0) {
        close(err_pipe[0]); close(err_pipe[1]); close(status_pipe[0]); close(status_pipe[1]);
        munmap(mem, supervisor_stack);
        return clone_errno;
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
        while (waitpid(p, &st, __WALL) < 0 && errno == EINTR) {}
        close(status_pipe[0]);
        munmap(mem, supervisor_stack);
        *stage = msg[0];
        return msg[1] ? msg[1] : EIO;
    }
    *pid = p;
    *status_fd = status_pipe[0];
    *stack = mem;
    return 0;
}

void loom_spawn_release(void *stack) {
    if (stack) munmap(stack, supervisor_stack);
}

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

int loom_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int loom_spawn_actions_chdir(void *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np((posix_spawn_file_actions_t *)actions, path);
}

int loom_renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned flags) {
#ifdef SYS_renameat2
    return (int)syscall(SYS_renameat2, from_dir, from, to_dir, to, flags);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int loom_affinity_cpus(void) {
#ifdef __linux__
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    return CPU_COUNT(&set);
#else
    return -1;
#endif
}
