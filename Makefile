# pgwal: pgwal-read and kafka-write.
#
#   make                build both programs into $(O) (default: build)
#   make check          install missing dependencies, build with ASan+UBSan,
#                       start the test rig (PostgreSQL, Kafka), run every test,
#                       stop the rig; PG=17 on that PostgreSQL major version
#                       (default Debian's 15; others fetched once into the cache)
#   make check-matrix   the version-independent tests on PostgreSQL 12, 13, 14,
#                       16, 17, 18 (PG_MATRIX), a line per version
#   make demo           the main job on throwaway servers
#   make install        PREFIX=/usr/local DESTDIR=
#   make SAN=1          sanitizer build (into build/san)
#   make WERROR=1       warnings are errors (CI)
#   make fuzz           longer libFuzzer runs (FUZZ_SECONDS per target)
#   make crash          the full crash suite (E2E_KILLS, E2E_LOAD_SECONDS)
#   make bench          pgwal-read vs pg_recvlogical, kafka-write vs kcat,
#                       the pipeline's CPU per change, the pipeline vs
#                       Debezium (throughput and latency)
#   make format / make format-check

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=

CC      ?= cc
CFLAGS  ?= -O2 -g
SAN     ?= 0
WERROR  ?= 0
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
PG      ?= 15
PG_MATRIX ?= 12 13 14 16 17 18

ifeq ($(SAN),1)
O       ?= build/san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
O       ?= build
SANFLAGS =
endif

WARN    = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN   += -Werror
endif

PKGS     = libpq rdkafka
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ifeq ($(PKG_LIBS),)
PKG_CFLAGS := -I$(shell pg_config --includedir 2>/dev/null)
PKG_LIBS   := -lpq -lrdkafka
endif

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(SANFLAGS) -Icommon $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

COMMON_SRC = $(wildcard common/*.c)
READ_SRC   = $(filter-out pgwal-read/main.c,$(wildcard pgwal-read/*.c))
WRITE_SRC  = $(filter-out kafka-write/main.c,$(wildcard kafka-write/*.c))
UNIT_SRC   = $(wildcard tests/unit/test_*.c)
FUZZ_SRC   = $(wildcard tests/fuzz/fuzz_*.c)
HELPER_SRC = $(wildcard tests/helpers/*.c)

COMMON_OBJ = $(COMMON_SRC:%.c=$(O)/obj/%.o)
READ_OBJ   = $(READ_SRC:%.c=$(O)/obj/%.o)
WRITE_OBJ  = $(WRITE_SRC:%.c=$(O)/obj/%.o)
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
HELPER_BIN = $(HELPER_SRC:tests/helpers/%.c=$(O)/tests/%)
FUZZ_BIN   = $(FUZZ_SRC:tests/fuzz/%.c=$(O)/fuzz/%)

PROGS = $(O)/pgwal-read $(O)/kafka-write
MANS  = $(wildcard man/*.1) $(wildcard man/*.5) $(wildcard man/*.7)

.PHONY: all tests fuzz-build fuzz check check-matrix crash demo install uninstall clean format format-check bench
all: $(PROGS)

$(O)/obj/%.o: %.c $(wildcard common/*.h pgwal-read/*.h kafka-write/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/libcommon.a: $(COMMON_OBJ)
	$(AR) rcs $@ $^
$(O)/libpgwalread.a: $(READ_OBJ)
	rm -f $@ # a file removed from pgwal-read/ must leave the archive too
	$(AR) rcs $@ $^
$(O)/libkafkawrite.a: $(WRITE_OBJ)
	$(AR) rcs $@ $^

$(O)/pgwal-read: $(O)/obj/pgwal-read/main.o $(O)/libpgwalread.a $(O)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)
$(O)/kafka-write: $(O)/obj/kafka-write/main.o $(O)/libkafkawrite.a $(O)/libcommon.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

TEST_LIBS = $(O)/libpgwalread.a $(O)/libkafkawrite.a $(O)/libcommon.a
$(O)/tests/%: tests/unit/%.c $(TEST_LIBS) tests/unit/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ipgwal-read -Ikafka-write -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(TEST_LIBS) $(PKG_LIBS)
$(O)/tests/%: tests/helpers/%.c $(TEST_LIBS) tests/unit/murmur2.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ipgwal-read -Ikafka-write -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(TEST_LIBS) $(PKG_LIBS)

tests: $(PROGS) $(UNIT_BIN) $(HELPER_BIN)

# libFuzzer targets are built with clang from the sources directly, so that
# the code under test carries the coverage instrumentation.
FUZZ_FLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	-Icommon -Ipgwal-read -Ikafka-write $(PKG_CFLAGS)
$(O)/fuzz/%: tests/fuzz/%.c $(COMMON_SRC) $(READ_SRC) $(WRITE_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(COMMON_SRC) $(READ_SRC) $(WRITE_SRC) $(PKG_LIBS)
fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@for f in $(FUZZ_BIN); do \
	  n=$$(basename $$f); mkdir -p $(O)/fuzz/corpus-$$n; \
	  echo "fuzzing $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) $(O)/fuzz/corpus-$$n tests/fuzz/seeds/$$n || exit 1; \
	done

# make check: the README's test command.  SAN=1 unless told otherwise.
check:
	scripts/deps.sh
	$(MAKE) SAN=$(if $(filter command line,$(origin SAN)),$(SAN),1) WERROR=$(WERROR) tests fuzz-build
	PG=$(PG) scripts/check.sh $(if $(filter command line,$(origin SAN)),$(if $(filter 1,$(SAN)),build/san,build),build/san)

# make check-matrix: the version-independent pgwal-read tests on every other
# pinned PostgreSQL (PG_MATRIX="12 13 14 16 17 18"), a line per version
check-matrix:
	scripts/deps.sh
	$(MAKE) SAN=$(if $(filter command line,$(origin SAN)),$(SAN),1) WERROR=$(WERROR) tests
	PG_MATRIX="$(PG_MATRIX)" scripts/check-matrix.sh $(if $(filter command line,$(origin SAN)),$(if $(filter 1,$(SAN)),build/san,build),build/san)

demo: all
	scripts/deps.sh
	scripts/demo.sh $(O)

# benchmarks, side by side in one run (not part of make check)
bench: all tests
	scripts/bench-pgwal-read.sh $(O)
	scripts/bench-kafka-write.sh $(O)
	scripts/bench-pipeline.sh $(O)
	scripts/bench-debezium.sh $(O)

# the full crash suite: more kills over a longer load than make check runs
crash:
	scripts/deps.sh
	$(MAKE) SAN=1 tests
	E2E_KILLS=$${E2E_KILLS:-100} E2E_LOAD_SECONDS=$${E2E_LOAD_SECONDS:-120} \
	  TESTS='tests/t/50-e2e-crash.sh tests/t/51-e2e-faults.sh tests/t/52-e2e-crash-exactly-once.sh tests/t/53-e2e-cluster-exactly-once.sh' \
	  scripts/check.sh build/san

install: $(PROGS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(PROGS) $(DESTDIR)$(BINDIR)/
	for m in $(MANS); do \
	  s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/pgwal-read $(DESTDIR)$(BINDIR)/kafka-write
	for m in $(MANS); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$m); done

FORMAT_SRC = $(wildcard common/*.[ch] pgwal-read/*.[ch] kafka-write/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c tests/helpers/*.c)
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf build
