/* version.h: the release both programs print with --version. */
#ifndef PGWAL_VERSION_H
#define PGWAL_VERSION_H
#define PGWAL_VERSION "0.1.0"
#endif
