# svcrecon -- see README.md. `make` builds ./svcrecon; `make test` runs every
# suite (also under ASan+UBSan); `make demo` runs a night on sample-data/.
PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
WERROR  ?= -Werror          # `make WERROR=` if a newer compiler adds a warning
OPT     ?= -O2 -g
PKGS     = sqlite3 xlsxwriter libcrypto
SVC_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
             -Wall -Wextra $(WERROR) $(OPT) -Ietl -Ireports \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
SVC_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lpthread -lm
PY       = /usr/bin/python3

ifdef SANITIZE                 # make SANITIZE=address,undefined BUILD=build/asan
SVC_CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
SVC_LIBS   += -fsanitize=$(SANITIZE)
endif
BUILD ?= build

ETL_SRC  = $(filter-out etl/main.c,$(wildcard etl/*.c))
RPT_SRC  = $(wildcard reports/*.c)
SQL_ONE  = $(filter-out schemas/r0%,$(wildcard schemas/*.sql)) schemas/r010_context.sql
RULES    = $(sort $(filter-out schemas/r010_context.sql,$(wildcard schemas/r0*.sql)))
SQL_SRC  = $(patsubst schemas/%.sql,$(BUILD)/sql_%.c,$(SQL_ONE)) $(BUILD)/sql_rules.c
OBJ      = $(patsubst %.c,$(BUILD)/%.o,$(ETL_SRC) $(RPT_SRC)) \
           $(SQL_SRC:.c=.o)
HDRS     = $(wildcard etl/*.h reports/*.h)

.PHONY: all deps test unit asan valgrind demo bench fuzz install clean \
        test-office test-big
.DELETE_ON_ERROR:

all: svcrecon

# Build dependencies: installed when a header or library is missing
# (as root; apt-get update first). Test tools are added by test-deps.
BUILD_DEBS = gcc make pkg-config libsqlite3-dev libxlsxwriter-dev \
             libcsv-dev libssl-dev
TEST_DEBS  = $(BUILD_DEBS) libcmocka-dev python3 python3-openpyxl sqlite3 time \
             valgrind e2fsprogs
deps:
	@sh tests/ensure-debs $(BUILD_DEBS)
test-deps:
	@sh tests/ensure-debs $(TEST_DEBS)

svcrecon: $(BUILD)/svcrecon
	cp $< $@

$(BUILD)/svcrecon: $(BUILD)/etl/main.o $(OBJ)
	$(CC) -o $@ $^ $(SVC_LIBS)

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(SVC_CFLAGS) -c -o $@ $<

# Each schemas/NAME.sql becomes a NUL-terminated C array sql_NAME.
$(BUILD)/sql_%.c: schemas/%.sql
	@mkdir -p $(BUILD)
	{ printf 'const char sql_%s[] = {\n' '$*'; od -An -v -tx1 < $< | \
	  sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; printf '0x00 };\n'; } > $@
# The rules: schemas/r020..r099, run in name order on one connection.
$(BUILD)/sql_rules.c: $(RULES)
	@mkdir -p $(BUILD)
	{ printf 'const char sql_rules[] = {\n'; cat $(RULES) /dev/null | \
	  od -An -v -tx1 | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  printf '0x00 };\n'; } > $@
$(BUILD)/sql_%.o: $(BUILD)/sql_%.c
	$(CC) $(SVC_CFLAGS) -c -o $@ $<

# ---- tests ---------------------------------------------------------------
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

$(BUILD)/tests/%: tests/unit/%.c $(OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SVC_CFLAGS) -o $@ $< $(OBJ) $(SVC_LIBS) -lcmocka

unit-bins: $(UNIT_BIN) $(BUILD)/svcrecon

# `make test`: the whole suite in a normal build, then again under
# AddressSanitizer + UndefinedBehaviorSanitizer; one summary line at the end.
test: test-deps
	@$(MAKE) --no-print-directory unit-bins
	@$(MAKE) --no-print-directory unit-bins SANITIZE=address,undefined \
	    BUILD=build/asan OPT="-O1 -g"
	@$(MAKE) --no-print-directory svcrecon
	@sh tests/run-all build build/asan

asan:
	@$(MAKE) --no-print-directory unit-bins SANITIZE=address,undefined \
	    BUILD=build/asan OPT="-O1 -g"
	@sh tests/run-all build/asan

valgrind: test-deps
	@$(MAKE) --no-print-directory unit-bins OPT="-O0 -g" BUILD=build/vg
	@VALGRIND=1 sh tests/run-all build/vg

demo: deps svcrecon
	@sh tests/demo

bench: test-deps svcrecon
	@sh bench/run $(BENCH_N)

# Slower checks, run by hand (README): LibreOffice renders each workbook and
# its Summary chart; a listing of more than 1,048,575 rows overflows.
test-office: test-deps svcrecon
	@sh tests/ensure-debs libreoffice-calc-nogui poppler-utils
	@SVCRECON=./svcrecon $(PY) tests/slow/office.py
test-big: test-deps svcrecon
	@SVCRECON=./svcrecon $(PY) tests/slow/overflow.py

# libFuzzer targets (clang), FUZZ_SECONDS each (default 60).
FUZZ_SECONDS ?= 60
fuzz: test-deps
	@sh tests/ensure-debs clang libclang-rt-14-dev
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run

install: svcrecon
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 svcrecon $(DESTDIR)$(PREFIX)/bin/
	install -m 644 docs/svcrecon.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf build svcrecon out
