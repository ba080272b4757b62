#pragma once
// Guest ABI: poll, select and epoll (Linux x86-64: uapi/asm-generic/poll.h,
// uapi/linux/eventpoll.h).

#include <cstdint>

namespace uml::abi {

struct pollfd {
  int32_t fd;
  int16_t events;
  int16_t revents;
};
inline constexpr uint32_t POLLIN_ = 0x001, POLLPRI_ = 0x002, POLLOUT_ = 0x004, POLLERR_ = 0x008,
                          POLLHUP_ = 0x010, POLLNVAL_ = 0x020, POLLRDNORM_ = 0x040,
                          POLLRDBAND_ = 0x080, POLLWRNORM_ = 0x100, POLLWRBAND_ = 0x200;

inline constexpr uint32_t EPOLLIN_ = 0x001, EPOLLOUT_ = 0x004, EPOLLERR_ = 0x008, EPOLLHUP_ = 0x010,
                          EPOLLRDHUP_ = 0x2000, EPOLLEXCLUSIVE_ = 1u << 28, EPOLLWAKEUP_ = 1u << 29,
                          EPOLLONESHOT_ = 1u << 30, EPOLLET_ = 1u << 31;
inline constexpr int EPOLL_CTL_ADD_ = 1, EPOLL_CTL_DEL_ = 2, EPOLL_CTL_MOD_ = 3;
inline constexpr int EPOLL_CLOEXEC_ = 02000000;
struct epoll_event {
  uint32_t events;
  uint64_t data;
} __attribute__((packed));
static_assert(sizeof(epoll_event) == 12);

}  // namespace uml::abi
