/* Symbol visibility: libuml builds with hidden visibility; only UML_API names are exported. */
#ifndef LIBUML_EXPORT_H
#define LIBUML_EXPORT_H
#if defined(UML_BUILDING_LIBRARY)
#define UML_API __attribute__((visibility("default")))
#else
#define UML_API
#endif
#endif
