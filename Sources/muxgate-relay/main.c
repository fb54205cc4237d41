// muxgate-relay: the floor for any stdio proxy. It spawns the child and copies bytes both ways,
// one thread each way, without looking at them (`muxgate-relay COMMAND ARGS...`). The benchmark
// reads muxgate's cost against this process's, in the same run (issue 28).
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void copy(int from, int to) {
    static __thread char buffer[1 << 16];
    for (;;) {
        ssize_t n = read(from, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(to, buffer + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return;
            done += w;
        }
    }
}

static int to_child;
static void *upstream(void *unused) {
    (void)unused;
    copy(0, to_child);
    close(to_child);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: muxgate-relay COMMAND [ARGS...]\n"); return 2; }
    int in[2], out[2];
    if (pipe(in) || pipe(out)) { perror("pipe"); return 1; }
    signal(SIGPIPE, SIG_IGN);
    pid_t child = fork();
    if (child < 0) { perror("fork"); return 1; }
    if (child == 0) {
        dup2(in[0], 0); dup2(out[1], 1);
        close(in[0]); close(in[1]); close(out[0]); close(out[1]);
        execvp(argv[1], argv + 1);
        perror("exec"); _exit(127);
    }
    close(in[0]); close(out[1]);
    to_child = in[1];
    pthread_t thread;
    pthread_create(&thread, NULL, upstream, NULL);
    copy(out[0], 1);
    int status;
    waitpid(child, &status, 0);
    return 0;
}
