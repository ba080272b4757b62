#include "core/base/errno.h"

namespace uml::kern {

const char* errno_name(Errno e) {
  if (e == Errno::OVERFLOW_) return "EOVERFLOW";
  switch (e) {
#define UML_ERRNO_NAME(name, num) \
  case Errno::name:               \
    return "E" #name;
    UML_ERRNO_LIST(UML_ERRNO_NAME)
#undef UML_ERRNO_NAME
  }
  return "E?";
}

}  // namespace uml::kern
