#ifndef CLOOMSYSTEM_H
#define CLOOMSYSTEM_H

#include <sys/types.h>

/// How strongly a task is fenced off from the store (see spawn.c).
enum loom_isolation {
    /// A plain child. Descendants that outlive the task are still killed (the child is a
    /// subreaper that kills every process reparented to it before it exits).
    LOOM_ISOLATION_NONE = 0,
    /// New mount and PID namespaces (needs CAP_SYS_ADMIN: root): the store is read-only
    /// except the task's output, and every process of the task dies with it.
    LOOM_ISOLATION_NAMESPACES = 1,
    /// The same inside a new user namespace (an unprivileged user, where the kernel allows it).
    LOOM_ISOLATION_USER_NAMESPACES = 2,
};

/// One child to start. Every string is prepared by the caller: the child between clone and
/// exec calls nothing but system calls (the parent is multithreaded; no malloc, no locks).
struct loom_spawn_request {
    const char *path;            // absolute path of the program
    char *const *argv;
    char *const *envp;
    const char *cwd;
    int log_fd;                  // becomes stdout and stderr
    int isolation;               // enum loom_isolation
    const char *read_only;       // with namespaces: made read-only (the store root), or NULL
    const char *writable;        // with namespaces: stays writable inside read_only, or NULL
};

/// Starts the request's program under a small supervisor process (the returned pid, the
/// leader of a new process group). Returns 0, or an errno value; `*stage` names the step
/// that failed (0 clone, 1 user map, 2 mounts, 3 exec, 4 supervisor fork) so the caller can
/// fall back to weaker isolation when the kernel refuses namespaces.
/// `*status_fd` is a pipe end on which the supervisor writes the program's raw wait status
/// (4 bytes) just before it exits; read it after waiting for the supervisor.
/// `*stack` is the supervisor's stack: give it to loom_spawn_release once the supervisor has
/// been waited for.
int loom_spawn(const struct loom_spawn_request *r, pid_t *pid, int *status_fd, int *stage, void **stack);
void loom_spawn_release(void *stack);

/// The GNU build ID of the running executable (up to `capacity` bytes), or 0 if it has none.
int loom_build_id(unsigned char *out, int capacity);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no concurrently spawned child inherits.
int loom_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addchdir_np (glibc 2.29), which Swift's Glibc module does not show;
/// `actions` is a posix_spawn_file_actions_t *.
int loom_spawn_actions_chdir(void *actions, const char *path);

/// renameat2(from_dir, from, to_dir, to, flags), which Swift's Glibc module does not show
/// (Linux 3.15; ext4, xfs, btrfs, tmpfs). LOOM_RENAME_EXCHANGE swaps two existing names
/// atomically (ENOENT when one does not exist); LOOM_RENAME_NOREPLACE renames only if `to`
/// does not exist (EEXIST otherwise). Returns 0, or -1 with errno set (EINVAL or ENOSYS where
/// the file system or kernel cannot).
enum { LOOM_RENAME_NOREPLACE = 1, LOOM_RENAME_EXCHANGE = 2 };
int loom_renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned flags);

/// The number of CPUs in this process's affinity mask (sched_getaffinity, which Swift's Glibc
/// module does not show), or -1 where it cannot be read (more than 1,024 CPUs, or not Linux).
int loom_affinity_cpus(void);


#endif
