/* What the database plugins' split-brain guards share: proof that a pid is this node's server for a
 * data directory (its working directory, its executable), the password file, and the asking of every
 * place a server could answer at, all at once, before a server is started on shared storage. */
#ifndef XHAFW_DBGUARD_H
#define XHAFW_DBGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xhafw/plugin.h"

/* The first line of the password file at path, named option in messages, into *ret (NULL when
 * path is NULL); free it with db_free_password. Warns when others than its owner may read it.
 * Never logged. 0 or -errno after logging why. */
int db_read_password(struct xhafw_step *step, const char *option, const char *path, char **ret);

/* Whether pid is a process whose working directory is dir. */
bool db_cwd_is(long pid, const char *dir);

/* The base name of pid's executable, " (deleted)" dropped (an upgraded package), or "". */
void db_exe_name(long pid, char *buf, size_t size);

/* The first process of /proc for which is_server(pid, dir) holds, or 0. */
long db_find_process(bool (*is_server)(long pid, const char *dir), const char *dir);

/* Start the unit through the service manager: 0, or -errno (-EIO after logging a failed start). */
int db_start_service(struct xhafw_step *step, const char *service);

/* data_dir exists and is a directory; the shared storage is what is missing on a standby. 0 or
 * -errno after logging why. */
int db_need_dir(struct xhafw_step *step, const char *data_dir);

/* validate's word on ready_timeout and guard_timeout: both longer than 0. 0, or -EINVAL after
 * logging each that is not. */
int db_check_timeouts(struct xhafw_step *step, uint64_t ready_timeout_ms, uint64_t guard_timeout_ms);

/* ---- asking every place at once ---- */

/* What the guard learned of one place. */
enum db_probe_state {
        DB_PROBE_PENDING,
        DB_PROBE_ANSWERED,
        DB_PROBE_REFUSED,
        DB_PROBE_SILENT
};

/* One place the guard asks; the plugin keeps what to connect to beside it, by the same index. */
struct db_place {
        enum db_probe_state state;
        bool retry;     /* fresh attempts while it is silent: only where no lookup is repeated */
        uint64_t first; /* when its first attempt was under way */
        unsigned attempts;
        char why[512]; /* why it did not answer */
};

/* One connection attempt: the plugin's handle (a library's connection, or a socket) and its state. */
struct db_attempt {
        size_t place;
        bool open;
        void *conn;
        int fd;
        int status;
};

/* How a plugin makes and drives its attempts. */
struct db_probe_ops {
        /* Start an attempt at place i (q): the place's new state; a->open when a handle is kept. */
        enum db_probe_state (*start)(void *ctx, size_t i, struct db_place *q, struct db_attempt *a);
        /* The socket to wait on, and for what (POLLIN or POLLOUT); < 0: none now. */
        int (*poll_fd)(const struct db_attempt *a, short *ret_events);
        /* The socket is ready: PENDING, ANSWERED, or REFUSED with the reason in why. */
        enum db_probe_state (*advance)(struct db_attempt *a, char *why, size_t why_size);
        /* The attempt that answered (maybe no longer open): what the server says, until deadline. */
        void (*finish)(struct db_attempt *a, const struct db_place *q, uint64_t deadline, char *how, size_t size);
        void (*close)(struct db_attempt *a);
};

/*
 * Ask every place at once, without blocking: each gets its first attempt at once and, while it
 * neither answers nor refuses, a fresh one every retry_ms (Linux resends a lost SYN only after a
 * second) up to max_attempts, if it retries. A place still silent timeout_ms after its first attempt
 * is DB_PROBE_SILENT; one that answers ends the asking. The index of the place that answered (how
 * says what it said), or SIZE_MAX; -errno in *ret_err.
 */
size_t db_probe_all(struct db_place *pl, size_t n, unsigned max_attempts, uint64_t retry_ms, uint64_t timeout_ms,
                    const struct db_probe_ops *ops, void *ctx, char *how, size_t how_size, int *ret_err);

#endif
