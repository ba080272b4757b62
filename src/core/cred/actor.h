#pragma once
// Actor: the task an operation acts for, as the layers below the task model see it (what
// Linux reaches through `current`, passed explicitly). It is the entity that waits (a
// SchedEntity), the credentials permission checks use, and the few things a lower layer
// must ask of a task: a signal to itself and a resource limit. An Actor is a Task (core/task),
// or the kernel itself acting on a host thread that is no task (KernelActor: boot,
// shutdown, a disk hot-plugged through the API); Task::of checks which.

#include <cstdint>

#include "core/cred/credentials.h"
#include "core/sched/scheduler.h"

namespace uml::kern {

class Task;

class Actor : public SchedEntity {
 public:
  // Its credentials: the actor reads its own freely (the task's owner writes them under
  // the task's lock; others take Task::creds_snapshot).
  const Credentials& creds() const { return m_creds; }
  // A signal the kernel sends the actor because of what it just did (send_sig(sig,
  // current, 0)): SIGPIPE for a write to a broken pipe, SIGXFSZ past RLIMIT_FSIZE.
  virtual void signal_self(int sig) = 0;
  // The soft value of one of its process's resource limits (RLIMIT_*).
  virtual uint64_t rlimit_cur(int resource) const = 0;
  bool is_task() const { return m_task; }

 protected:
  ~Actor() override = default;

  Credentials m_creds;

 private:
  friend class Task;
  friend class KernelActor;
  Actor(Carrier c, bool task) : SchedEntity(c), m_task(task) {}

  const bool m_task;
};

// The kernel acting on a host thread that is no task: every capability (the initial
// credentials, as Linux's kernel threads have), no process to signal or limit. It waits as
// an attached thread does; make one on the stack for the operation.
class KernelActor final : public Actor {
 public:
  KernelActor() : Actor(Carrier::HostThread, false) {}
  void signal_self(int) override {}
  uint64_t rlimit_cur(int) const override { return ~uint64_t{0}; }

 private:
  void fiber_main() override {}
  void fiber_released() override {}
};

}  // namespace uml::kern
