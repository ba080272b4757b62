#pragma once
// Actor: the task an operation acts for, as the layers below the task model see it (what
// Linux reaches through `current`, passed explicitly). It is the entity that waits (a
// SchedEntity), the credentials permission checks use, and the few things a lower layer
// must ask of a task: a signal to itself and a resource limit. The only Actor is a Task
// (core/task): its constructor is the Task's alone, so Task::of is a checked conversion.

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

 protected:
  ~Actor() override = default;

  Credentials m_creds;

 private:
  friend class Task;
  explicit Actor(Carrier c) : SchedEntity(c) {}
};

}  // namespace uml::kern
