/* serve.h - `jitgate serve`: the daemon's entry point. */
#ifndef JG_HTTP_SERVE_H
#define JG_HTTP_SERVE_H

/* argv[0] is "serve". Returns the process exit status. */
int jg_serve_main(int argc, char **argv);

#endif
