/* Exercises every function of the glibc compatibility shim. Built twice by GlibcCompatShimTests: with gcc
   against glibc (the reference: glibc's own __*_chk functions) and with musl-gcc against musl plus the
   shim; the two outputs must be identical. Failing checks run in a child whose stderr is captured. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

void __chk_fail(void);
void __fortify_fail(const char *);   /* GLIBC_PRIVATE in glibc: called in the shim build only */
void *__memcpy_chk(void *, const void *, size_t, size_t);
void *__memmove_chk(void *, const void *, size_t, size_t);
void *__mempcpy_chk(void *, const void *, size_t, size_t);
void *__memset_chk(void *, int, size_t, size_t);
char *__strncpy_chk(char *, const char *, size_t, size_t);
char *__stpncpy_chk(char *, const char *, size_t, size_t);
void __explicit_bzero_chk(void *, size_t, size_t);
char *__strcpy_chk(char *, const char *, size_t);
char *__stpcpy_chk(char *, const char *, size_t);
char *__strcat_chk(char *, const char *, size_t);
char *__strncat_chk(char *, const char *, size_t, size_t);
int __sprintf_chk(char *, int, size_t, const char *, ...);
int __snprintf_chk(char *, size_t, int, size_t, const char *, ...);
int __vsprintf_chk(char *, int, size_t, const char *, va_list);
int __vsnprintf_chk(char *, size_t, int, size_t, const char *, va_list);
int __fprintf_chk(FILE *, int, const char *, ...);
int __printf_chk(int, const char *, ...);
int __vfprintf_chk(FILE *, int, const char *, va_list);
int __vprintf_chk(int, const char *, va_list);
int __dprintf_chk(int, int, const char *, ...);
int __vdprintf_chk(int, int, const char *, va_list);
int __asprintf_chk(char **, int, const char *, ...);
int __vasprintf_chk(char **, int, const char *, va_list);
void __syslog_chk(int, int, const char *, ...);
void __vsyslog_chk(int, int, const char *, va_list);
size_t __fread_chk(void *, size_t, size_t, size_t, FILE *);
ssize_t __read_chk(int, void *, size_t, size_t);
ssize_t __pread_chk(int, void *, size_t, off_t, size_t);
ssize_t __recv_chk(int, void *, size_t, size_t, int);
char *__getcwd_chk(char *, size_t, size_t);
ssize_t __readlink_chk(const char *, char *, size_t, size_t);
long __fdelt_chk(long);
void __longjmp_chk(jmp_buf, int) __attribute__((noreturn));
/* By their link names: the headers of both libcs may map these to other names. */
int call_fcntl64(int, int, ...) __asm__("fcntl64");
int call_open64(const char *, int, ...) __asm__("open64");
off_t call_lseek64(int, off_t, int) __asm__("lseek64");
int call_fstat64(int, struct stat *) __asm__("fstat64");
int __register_atfork(void (*)(void), void (*)(void), void (*)(void), void *);
uint32_t arc4random(void);
extern char __libc_single_threaded;
#include <ucontext.h>

static char big[64];
static volatile size_t n8 = 8, n9 = 9, n16 = 16;  /* volatile: keep the compiler from judging the calls */
static char tmpdir[64];

static void expect_abort(const char *name, void (*fn)(void))
{
    int fds[2];
    if (pipe(fds) != 0) { perror("pipe"); exit(1); }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn();
        _exit(0);
    }
    close(fds[1]);
    char text[256];
    size_t len = 0;
    ssize_t got;
    while ((got = read(fds[0], text + len, sizeof text - 1 - len)) > 0) len += got;
    text[len] = 0;
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    printf("%s: %s, stderr \"%.*s\"\n", name,
           WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT ? "SIGABRT" : "no abort",
           len > 0 && text[len - 1] == '\n' ? (int)len - 1 : (int)len, text);
}

static void chk_fail(void) { __chk_fail(); }
#ifdef SHIM
static void fortify_fail(void) { __fortify_fail("any text"); }
#endif
static void memcpy_over(void) { __memcpy_chk(big, "0123456789", n9, n8); }
static void memmove_over(void) { __memmove_chk(big, big + 1, n9, n8); }
static void mempcpy_over(void) { __mempcpy_chk(big, "0123456789", n9, n8); }
static void memset_over(void) { __memset_chk(big, 'x', n9, n8); }
static void strncpy_over(void) { __strncpy_chk(big, "abc", n9, n8); }
static void stpncpy_over(void) { __stpncpy_chk(big, "abc", n9, n8); }
static void bzero_over(void) { __explicit_bzero_chk(big, n9, n8); }
static void strcpy_over(void) { __strcpy_chk(big, "12345678", n8); }
static void stpcpy_over(void) { __stpcpy_chk(big, "12345678", n8); }
static void strcat_over(void) { strcpy(big, "abcd"); __strcat_chk(big, "efgh", n8); }
static void strncat_over(void) { strcpy(big, "abcd"); __strncat_chk(big, "efghij", 4, n8); }
static void sprintf_over(void) { __sprintf_chk(big, 1, n8, "%d-%s", 1234, "abc"); }
static void sprintf_zero(void) { __sprintf_chk(big, 1, 0, "x"); }
static void snprintf_over(void) { __snprintf_chk(big, n9, 1, n8, "%s", "a"); }
static int vsprintf_via(size_t slen, const char *fmt, ...)
{
    va_list ap; va_start(ap, fmt);
    int r = __vsprintf_chk(big, 1, slen, fmt, ap);
    va_end(ap);
    return r;
}
static int vsnprintf_via(size_t maxlen, size_t slen, const char *fmt, ...)
{
    va_list ap; va_start(ap, fmt);
    int r = __vsnprintf_chk(big, maxlen, 1, slen, fmt, ap);
    va_end(ap);
    return r;
}
static void vsprintf_over(void) { vsprintf_via(n8, "%s", "123456789"); }
static void vsnprintf_over(void) { vsnprintf_via(n16, n8, "%s", "1"); }
static void fread_over(void) { FILE *f = fopen("/dev/zero", "r"); __fread_chk(big, n8, 3, 3, f); }
static void fread_wrap(void) { FILE *f = fopen("/dev/zero", "r"); __fread_chk(big, n8, SIZE_MAX / 2, 3, f); }
static void read_over(void) { __read_chk(0, big, n9, n8); }
static void pread_over(void) { __pread_chk(0, big, n9, 0, n8); }
static void recv_over(void) { __recv_chk(0, big, n9, n8, 0); }
static void getcwd_over(void) { __getcwd_chk(big, n9, n8); }
static void readlink_over(void) { __readlink_chk("/", big, n9, n8); }
static void fdelt_high(void) { __fdelt_chk(1024); }
static void fdelt_negative(void) { __fdelt_chk(-1); }
static jmp_buf returned;
/* A frame far below the caller's (glibc's own check runs a few pushes deep), gone when it returns. */
static __attribute__((noinline)) void set_and_return(void)
{
    volatile char pad[4096];
    pad[0] = 0;
    if (setjmp(returned) != 0) _exit(3);
}
static __attribute__((noinline)) void longjmp_down(void) { set_and_return(); __longjmp_chk(returned, 1); }
static void syslog_both(void)
{
    openlog("shimcheck", LOG_PERROR, LOG_USER);
    __syslog_chk(LOG_ERR, 1, "syslog %d %s", 42, "abc");
    syslog(LOG_ERR, "end");
    closelog();
    abort();
}
static void vsyslog_via(const char *fmt, ...)
{
    va_list ap; va_start(ap, fmt);
    __vsyslog_chk(LOG_ERR, 1, fmt, ap);
    va_end(ap);
}
static void vsyslog_run(void)
{
    openlog("shimcheck", LOG_PERROR, LOG_USER);
    vsyslog_via("vsyslog %d %s", 43, "def");
    closelog();
    abort();
}
static int vfprintf_via(const char *fmt, ...)
{
    va_list ap; va_start(ap, fmt);
    int r = __vfprintf_chk(stdout, 1, fmt, ap);
    va_end(ap);
    return r;
}
static int vprintf_via(const char *fmt, ...)
{
    va_list ap; va_start(ap, fmt);
    int r = __vprintf_chk(1, fmt, ap);
    va_end(ap);
    return r;
}
static int vdprintf_via(const char *fmt, ...)
{
    va_list ap; va_start(ap, fmt);
    int r = __vdprintf_chk(1, 1, fmt, ap);
    va_end(ap);
    return r;
}
static int vasprintf_via(char **out, const char *fmt, ...)
{
    va_list ap; va_start(ap, fmt);
    int r = __vasprintf_chk(out, 1, fmt, ap);
    va_end(ap);
    return r;
}
static int prepared, parented, childed;
static void prepare(void) { prepared++; }
static void parent(void) { parented++; }
static void child(void) { childed++; }

int main(void)
{
    char dst[16];
    printf("memcpy_chk: %s\n", (char *)__memcpy_chk(memset(dst, 0, 16), "01234567", n8, n8));
    printf("memmove_chk: %s\n", (char *)__memmove_chk(strcpy(big, "abcdefgh") + 1, big, 4, 7) - 1);
    printf("mempcpy_chk: end at %td\n", (char *)__mempcpy_chk(dst, "0123", 4, n16) - dst);
    __memset_chk(memset(dst, 0, 16), '*', n8, n8);
    printf("memset_chk: %s\n", dst);
    printf("strncpy_chk: %s\n", __strncpy_chk(memset(dst, 0, 16), "abc", n8, n8));
    printf("stpncpy_chk: end at %td\n", __stpncpy_chk(memset(dst, 0, 16), "abc", n8, n8) - dst);
    strcpy(dst, "secret"); __explicit_bzero_chk(dst, 6, n16);
    printf("explicit_bzero_chk: %d %d\n", dst[0], dst[5]);
    printf("strcpy_chk: %s\n", __strcpy_chk(dst, "1234567", n8));
    printf("stpcpy_chk: end at %td\n", __stpcpy_chk(dst, "1234567", n8) - dst);
    strcpy(dst, "abc");
    printf("strcat_chk: %s\n", __strcat_chk(dst, "defg", n8));
    strcpy(dst, "abc");
    printf("strncat_chk: %s\n", __strncat_chk(dst, "defghij", 4, n8));
    int r = __sprintf_chk(big, 1, sizeof big, "%d %s %.2f %d %d %d %d %.1f %ld %c", 1, "two", 3.0, 4, 5, 6, 7, 8.5, 9L, 'X');
    printf("sprintf_chk: %d [%s]\n", r, big);
    r = __sprintf_chk(big, 0, (size_t)-1, "%s/%d", "unknown size", 7);
    printf("sprintf_chk: %d [%s]\n", r, big);
    r = __snprintf_chk(big, 6, 1, sizeof big, "%s %f", "truncated", 1.5);
    printf("snprintf_chk: %d [%s]\n", r, big);
    r = vsprintf_via(sizeof big, "%x %e %s %d %d %d %d %d", 255, 0.25, "v", 1, 2, 3, 4, 5);
    printf("vsprintf_chk: %d [%s]\n", r, big);
    r = vsnprintf_via(4, sizeof big, "%d", 123456);
    printf("vsnprintf_chk: %d [%s]\n", r, big);
    r = __fprintf_chk(stdout, 1, "fprintf_chk: %s %d %.3f %d %d %d %d\n", "f", 1, 2.5, 3, 4, 5, 6);
    printf("fprintf_chk returned %d\n", r);
    r = __printf_chk(1, "printf_chk: %s %g\n", "p", 0.5);
    printf("printf_chk returned %d\n", r);
    r = vfprintf_via("vfprintf_chk: %s %d\n", "vf", 11);
    printf("vfprintf_chk returned %d\n", r);
    r = vprintf_via("vprintf_chk: %s %d\n", "vp", 12);
    printf("vprintf_chk returned %d\n", r);
    fflush(stdout);
    r = __dprintf_chk(1, 1, "dprintf_chk: %s %d %.1f\n", "d", 13, 1.5);
    printf("dprintf_chk returned %d\n", r);
    fflush(stdout);
    r = vdprintf_via("vdprintf_chk: %s %d\n", "vd", 14);
    printf("vdprintf_chk returned %d\n", r);
    char *allocated = NULL;
    r = __asprintf_chk(&allocated, 1, "%s-%d-%.2f", "as", 15, 0.125);
    printf("asprintf_chk: %d [%s]\n", r, allocated);
    free(allocated);
    r = vasprintf_via(&allocated, "%s-%d", "vas", 16);
    printf("vasprintf_chk: %d [%s]\n", r, allocated);
    free(allocated);

    strcpy(tmpdir, "/tmp/shimcheck-XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    char file[128], link[128];
    snprintf(file, sizeof file, "%s/data", tmpdir);
    snprintf(link, sizeof link, "%s/link", tmpdir);
    FILE *f = fopen(file, "w"); fputs("0123456789abcdef", f); fclose(f);
    f = fopen(file, "r");
    memset(dst, 0, 16);
    printf("fread_chk: %zu [%s]\n", __fread_chk(dst, n8, 2, 3, f), dst);
    fclose(f);
    int fd = call_open64(file, O_RDONLY);
    memset(dst, 0, 16);
    printf("read_chk: %zd [%s]\n", __read_chk(fd, dst, 4, n8), dst);
    memset(dst, 0, 16);
    printf("pread_chk: %zd [%s]\n", __pread_chk(fd, dst, 4, 10, n8), dst);
    printf("lseek64: %lld\n", (long long)call_lseek64(fd, 3, SEEK_SET));
    struct stat st;
    int status = call_fstat64(fd, &st);
    printf("fstat64: %d size %lld\n", status, (long long)st.st_size);
    int set = call_fcntl64(fd, F_SETFD, FD_CLOEXEC);
    int get = call_fcntl64(fd, F_GETFD);
    printf("fcntl64: setfd %d getfd %d getfl %d\n", set, get, call_fcntl64(fd, F_GETFL) & O_ACCMODE);
    close(fd);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[0], "ping", 4);
    memset(dst, 0, 16);
    printf("recv_chk: %zd [%s]\n", __recv_chk(sv[1], dst, 4, n8, 0), dst);
    close(sv[0]); close(sv[1]);
    char cwd[4096];
    chdir(tmpdir);
    printf("getcwd_chk: %s\n", strcmp(__getcwd_chk(cwd, sizeof cwd, sizeof cwd), tmpdir) == 0 ? "the temp dir" : cwd);
    chdir("/");
    symlink("target-of-link", link);
    memset(big, 0, sizeof big);
    printf("readlink_chk: %zd [%s]\n", __readlink_chk(link, big, 32, sizeof big), big);
    unlink(link); unlink(file); rmdir(tmpdir);
    printf("fdelt_chk: %ld %ld %ld\n", __fdelt_chk(0), __fdelt_chk(100), __fdelt_chk(1023));
    jmp_buf env;
    volatile int jumps = 0;
    int value = setjmp(env);
    if (jumps++ == 0) __longjmp_chk(env, 77);
    printf("longjmp_chk: back with %d\n", value);
    uint32_t a = arc4random();
    uint32_t b = arc4random();
    uint32_t c = arc4random();
    printf("arc4random: %s\n", a != b || b != c ? "varies" : "constant");
#ifdef SHIM
    /* Lines starting "shim only" are checked by the test and left out of the comparison with glibc. */
    /* glibc has real contexts; the shim reports them unsupported, as OpenSSL's ASYNC_is_capable() probes. */
    ucontext_t context;
    errno = 0;
    int got = getcontext(&context);
    printf("shim only, getcontext: %d %s\n", got, strerror(errno));
    makecontext(&context, (void (*)(void))abort, 0);
    errno = 0;
    got = setcontext(&context);
    printf("shim only, setcontext: %d %s\n", got, strerror(errno));
#endif
    printf("__libc_single_threaded: %s\n", __libc_single_threaded == 0 || __libc_single_threaded == 1 ? "0 or 1" : "other");
    expect_abort("__chk_fail", chk_fail);
#ifdef SHIM
    expect_abort("shim only, __fortify_fail", fortify_fail);
#endif
    expect_abort("memcpy_chk overflow", memcpy_over);
    expect_abort("memmove_chk overflow", memmove_over);
    expect_abort("mempcpy_chk overflow", mempcpy_over);
    expect_abort("memset_chk overflow", memset_over);
    expect_abort("strncpy_chk overflow", strncpy_over);
    expect_abort("stpncpy_chk overflow", stpncpy_over);
    expect_abort("explicit_bzero_chk overflow", bzero_over);
    expect_abort("strcpy_chk overflow", strcpy_over);
    expect_abort("stpcpy_chk overflow", stpcpy_over);
    expect_abort("strcat_chk overflow", strcat_over);
    expect_abort("strncat_chk overflow", strncat_over);
    expect_abort("sprintf_chk overflow", sprintf_over);
    expect_abort("sprintf_chk size 0", sprintf_zero);
    expect_abort("snprintf_chk maxlen above size", snprintf_over);
    expect_abort("vsprintf_chk overflow", vsprintf_over);
    expect_abort("vsnprintf_chk maxlen above size", vsnprintf_over);
    expect_abort("fread_chk overflow", fread_over);
    expect_abort("fread_chk size*n wraps", fread_wrap);
    expect_abort("read_chk overflow", read_over);
    expect_abort("pread_chk overflow", pread_over);
    expect_abort("recv_chk overflow", recv_over);
    expect_abort("getcwd_chk overflow", getcwd_over);
    expect_abort("readlink_chk overflow", readlink_over);
    expect_abort("fdelt_chk 1024", fdelt_high);
    expect_abort("fdelt_chk -1", fdelt_negative);
    expect_abort("longjmp_chk into a returned frame", longjmp_down);
    expect_abort("syslog_chk (LOG_PERROR)", syslog_both);
    expect_abort("vsyslog_chk (LOG_PERROR)", vsyslog_run);
    __register_atfork(prepare, parent, child, NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(10 * prepared + childed);
    int child_status;
    waitpid(pid, &child_status, 0);
    printf("register_atfork: prepare %d parent %d child %d, child saw %d\n", prepared, parented, childed,
           WEXITSTATUS(child_status));
    return 0;
}
