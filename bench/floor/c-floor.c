#define _GNU_SOURCE
// The floor of any HTTP/1.1 server on this machine: single-threaded, edge-triggered epoll,
// keep-alive, one constant response per request (the size of Wharf's small.css answer as gzip:
// the same header block length and a 546-byte body). Usage: c-floor PORT [BODY_BYTES]
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
static char resp[4096]; static int resplen;
int main(int argc, char **argv) {
  int port = atoi(argv[1]); int bodylen = argc > 2 ? atoi(argv[2]) : 546;
  resplen = snprintf(resp, sizeof resp, "HTTP/1.1 200 OK\r\nServer: c\r\nContent-Type: text/css; charset=utf-8\r\nContent-Length: %d\r\nCache-Control: public, max-age=3600, stale-while-revalidate=60\r\nCDN-Cache-Control: public, max-age=86400\r\nSurrogate-Control: max-age=86400\r\nETag: \"abcdefabcdefabcdefabcdef-gz\"\r\nLast-Modified: Mon, 30 Nov 2026 10:00:00 GMT\r\nVary: Accept-Encoding\r\nContent-Encoding: gzip\r\nAccept-Ranges: bytes\r\nX-Pad: pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\r\nDate: Mon, 07 Dec 2026 05:00:00 GMT\r\n\r\n", bodylen);
  memset(resp + resplen, 'x', bodylen); resplen += bodylen;
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0); int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(ls, (void*)&a, sizeof a) || listen(ls, 1024)) { perror("bind"); return 1; }
  int ep = epoll_create1(0); struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  struct epoll_event evs[512]; char buf[8192];
  for (;;) {
    int n = epoll_wait(ep, evs, 512, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == ls) { int c; while ((c = accept4(ls, 0, 0, SOCK_NONBLOCK)) >= 0) {
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct epoll_event e = {.events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.fd = c}; epoll_ctl(ep, EPOLL_CTL_ADD, c, &e); } continue; }
      for (;;) { ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0) { int reqs = 0; for (ssize_t k = 3; k < r; k++) if (!memcmp(buf + k - 3, "\r\n\r\n", 4)) reqs++;
          for (int q = 0; q < reqs; q++) if (write(fd, resp, resplen) < 0) break;
          if (r < (ssize_t)sizeof buf) break; }
        else if (r == 0 || errno != EAGAIN) { close(fd); break; } else break; }
    }
  }
}
