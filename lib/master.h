/*
 * master.h — the prefork master every console program runs: it binds or
 * inherits its FastCGI socket, keeps N single-threaded workers alive,
 * respawns a worker that dies and stops them all on SIGTERM or SIGINT.
 * It knows nothing of requests: the worker is a function it is given.
 */
#ifndef CONNECTOR_MASTER_H
#define CONNECTOR_MASTER_H

/* A worker: serve requests on listen_fd until told to stop; its exit code. */
typedef int (*master_worker_fn)(int listen_fd);

int master_listen(const char *path, int *bound);
void master_run(int fd, int nworkers, int nice, master_worker_fn worker);

#endif
