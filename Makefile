# opsight: the two set-up commands are `make run` and `make test` (see README.md).
JOBS ?= $(shell nproc)
DATA_DIR ?= ./data
HTTP_LISTEN ?= 127.0.0.1:4318

.PHONY: deps build run test unit bench fmt clean

deps:
	@scripts/install-deps.sh build

build: deps
	cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build build/release --target opsight -j $(JOBS)

run: build
	./build/release/src/opsight serve --data-dir $(DATA_DIR) --http-listen $(HTTP_LISTEN)

# One build for all tests: AddressSanitizer + UndefinedBehaviorSanitizer, warnings as errors.
test:
	@scripts/install-deps.sh test
	cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DOPSIGHT_SANITIZE=ON -DOPSIGHT_WERROR=ON -DOPSIGHT_TESTS=ON
	cmake --build build/test -j $(JOBS)
	cd build/test && ctest --output-on-failure --timeout 900 -j $(JOBS)

# Unit tests only (fast inner loop).
unit:
	cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DOPSIGHT_SANITIZE=ON -DOPSIGHT_WERROR=ON -DOPSIGHT_TESTS=ON
	cmake --build build/test -j $(JOBS)
	cd build/test && ctest --output-on-failure -L unit -j $(JOBS)

bench:
	@scripts/install-deps.sh test
	cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DOPSIGHT_BENCH=ON
	cmake --build build/release -j $(JOBS)

fmt:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
